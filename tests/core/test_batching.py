"""Group commit: concurrent callers share one run, late callers form the next, and one bad key fails alone."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.batching import Batcher


class Doubler:
    """A run function that records its batches, can be held open, and refuses negative keys."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def run(self, keys: list[int]) -> list[int]:
        self.batches.append(keys)
        await self.gate.wait()
        if any(key < 0 for key in keys):
            raise ValueError(f"negative key in {keys}")
        return [2 * key for key in keys]


async def test_callers_in_the_same_turn_share_one_run() -> None:
    doubler = Doubler()
    batcher = Batcher(doubler.run)
    assert await asyncio.gather(*(batcher.get(n) for n in range(5))) == [0, 2, 4, 6, 8]
    assert doubler.batches == [[0, 1, 2, 3, 4]]


async def test_callers_during_a_run_form_the_next_batch() -> None:
    doubler = Doubler()
    doubler.gate.clear()
    batcher = Batcher(doubler.run)
    first = asyncio.gather(batcher.get(1), batcher.get(2))
    await asyncio.sleep(0.01)
    later = asyncio.gather(batcher.get(3), batcher.get(4), batcher.get(5))
    await asyncio.sleep(0.01)
    doubler.gate.set()
    assert list(await first) == [2, 4] and list(await later) == [6, 8, 10]
    assert doubler.batches == [[1, 2], [3, 4, 5]]


async def test_a_batch_is_at_most_the_limit() -> None:
    doubler = Doubler()
    batcher = Batcher(doubler.run, limit=2)
    assert await asyncio.gather(*(batcher.get(n) for n in range(5))) == [0, 2, 4, 6, 8]
    assert doubler.batches == [[0, 1], [2, 3], [4]]


async def test_one_bad_key_fails_only_its_caller() -> None:
    doubler = Doubler()
    batcher = Batcher(doubler.run)
    results = await asyncio.gather(batcher.get(1), batcher.get(-1), batcher.get(3), return_exceptions=True)
    assert results[0] == 2 and results[2] == 6
    assert isinstance(results[1], ValueError)
    # The shared run failed, then each key ran alone.
    assert doubler.batches == [[1, -1, 3], [1], [-1], [3]]


async def test_a_cancelled_caller_leaves_the_others_their_results() -> None:
    doubler = Doubler()
    doubler.gate.clear()
    batcher = Batcher(doubler.run)
    leaving = asyncio.ensure_future(batcher.get(1))
    staying = asyncio.ensure_future(batcher.get(2))
    await asyncio.sleep(0.01)
    leaving.cancel()
    doubler.gate.set()
    assert await staying == 4
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert await batcher.get(7) == 14  # and the batcher goes on working


async def test_a_wrong_number_of_results_fails_every_caller_instead_of_hanging() -> None:
    async def short(keys: list[int]) -> list[int]:
        return keys[:-1]

    batcher = Batcher(short)
    results = await asyncio.gather(batcher.get(1), batcher.get(2), return_exceptions=True)
    assert all(isinstance(result, ValueError) for result in results)
