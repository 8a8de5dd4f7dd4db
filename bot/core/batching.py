"""Group commit: callers that ask for the same kind of work at about the same time share one trip to the store.

One /done costs a few milliseconds of database round trips and driver bookkeeping, nearly all of it the same
whether a statement carries one row or fifty; under a burst, doing it once for every update that is waiting
is what lets the bot keep up. A lone caller pays one turn of the event loop more.

aiodataloader batches by loop turn only and binds to the loop it was built in; here a batch also takes
everyone who asked while the previous one was in flight, which is what keeps batches growing with the load.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Batcher(Generic[K, V]):
    """`await batcher.get(key)` -> this key's part of one `run(keys)` call, shared with concurrent callers.

    `run` returns one value per key, in order. If it raises for a batch of several keys, each key is run
    again alone, so that one bad key fails only its own caller.
    """

    def __init__(self, run: Callable[[list[K]], Awaitable[Sequence[V]]], *, limit: int = 256) -> None:
        self._run = run
        self._limit = limit
        self._waiting: list[tuple[K, asyncio.Future[V]]] = []
        self._worker: asyncio.Task[None] | None = None

    async def get(self, key: K) -> V:
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._waiting.append((key, future))
        if self._worker is None:
            # A task of its own, started on the loop's next turn: it takes everyone who asks in this turn, and a
            # caller that is cancelled cannot cancel the others' batch.
            self._worker = asyncio.create_task(self._work())
        return await future

    async def _work(self) -> None:
        batch: list[tuple[K, asyncio.Future[V]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self._limit], self._waiting[self._limit :]
                keys = [key for key, _ in batch]
                try:
                    results: Sequence[V | Exception] = self._checked(keys, await self._run(keys))
                except Exception as exc:
                    results = [await self._alone(key) for key in keys] if len(keys) > 1 else [exc]
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():  # its caller was cancelled
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
                batch = []
        except BaseException as exc:
            # Nobody may be left waiting: cancelled with the worker, or failed with it.
            for _, future in batch + self._waiting:
                if future.done():
                    continue
                if isinstance(exc, Exception):
                    future.set_exception(exc)
                else:
                    future.cancel()
            self._waiting = []
            if not isinstance(exc, Exception):
                raise
        finally:
            self._worker = None

    async def _alone(self, key: K) -> V | Exception:
        try:
            return self._checked([key], await self._run([key]))[0]
        except Exception as exc:
            return exc

    @staticmethod
    def _checked(keys: list[K], results: Sequence[V]) -> Sequence[V]:
        if len(results) != len(keys):
            raise ValueError(f"{len(results)} results for {len(keys)} keys")
        return results
