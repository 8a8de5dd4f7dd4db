"""The ledger writes of a pass's concurrent senders, committed together (a group commit).

A sender asks for its SENDING mark right before its request goes on the wire (after every rate-limit wait)
and sends only once the mark is durable, so a crash never leads to a resend and never writes off a push that
did not go out. Finished sends' outcomes and claims handed back ride along with the next commit, or the final
flush. One task commits at a time, and each commit takes everything that arrived while the last one was being
written. If the database is unreachable, the journal keeps what it holds and tries again with backoff for up
to `patience`, while the senders wait before the wire: an outage pauses a pass instead of losing pushes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

from bot.core.model import SendOutcome
from bot.core.ports import DeliveryLedger, Lease

log = logging.getLogger(__name__)
T = TypeVar("T")


class ClaimLost(Exception):
    """Another pass took this claim over (ours had stopped extending its lease): it is theirs to send."""


class SendJournal:
    def __init__(
        self, ledger: DeliveryLedger, token: str, now: datetime, *, patience: timedelta = timedelta(minutes=10)
    ) -> None:
        self.ledger = ledger
        self.token = token
        self.now = now
        self.patience = patience.total_seconds()
        self._marks: list[tuple[int, asyncio.Future[None]]] = []
        self._outcomes: list[SendOutcome] = []
        self._give_back: list[int] = []
        self._committer: asyncio.Task[None] | None = None
        # The lease's heartbeat writes the same rows as the commits: one writer at a time, or on PostgreSQL the two
        # statements lock the rows in different orders and deadlock.
        self._writing = asyncio.Lock()
        self._abandoned = False
        self._gave_up = False

    async def on_wire(self, delivery_id: int) -> None:
        """Return once `delivery_id` is recorded as being sent by this pass; ClaimLost if it is no longer ours."""
        if self._abandoned:
            raise ClaimLost("the pass was abandoned")
        mark = (delivery_id, asyncio.get_running_loop().create_future())
        self._marks.append(mark)
        self._commit_soon()
        try:
            await mark[1]
        except asyncio.CancelledError:
            if mark in self._marks:  # not written yet: it never will be
                self._marks.remove(mark)
            raise

    async def extend(self, lease: Lease) -> None:
        """Keep this pass's claims: written between two commits, never beside one."""
        async with self._writing:
            await self.ledger.extend(lease)

    def settled(self, outcome: SendOutcome) -> None:
        self._outcomes.append(outcome)
        self._commit_soon()

    def give_back(self, delivery_id: int) -> None:
        """Hand an unsent claim back, for any pass to send at once."""
        self._give_back.append(delivery_id)
        self._commit_soon()

    def _commit_soon(self) -> None:
        # Outcomes are written promptly too: one that waited for the next mark could be lost to a crash, and a
        # push that went out would then count as unknown.
        if self._committer is None and not self._abandoned:
            self._committer = asyncio.create_task(self._commit_while_pending())

    async def flush(self) -> None:
        """Write what is still pending; raises what writing it raised, once patience ran out."""
        if self._committer is not None:
            await self._committer
        await self._commit()

    def abandon(self) -> None:
        """Stop writing, as a crash would (a sender died): what is in flight stays SENDING, the rest CLAIMED."""
        self._abandoned = True
        if self._committer is not None:
            self._committer.cancel()

    async def _commit_while_pending(self) -> None:
        try:
            while self._marks or self._outcomes or self._give_back:
                await self._commit()
        except Exception:
            pass  # handed to the waiting senders; flush() raises it again if it persists
        finally:
            self._committer = None

    async def _commit(self) -> None:
        marks, self._marks = self._marks, []
        outcomes, self._outcomes = self._outcomes, []
        give_back, self._give_back = self._give_back, []
        if not marks and not outcomes and not give_back:
            return
        try:
            marked = await self._record([delivery_id for delivery_id, _ in marks], outcomes, give_back)
        except Exception as exc:
            for _, waiter in marks:
                if not waiter.done():
                    waiter.set_exception(exc)
            raise
        except BaseException:
            for _, waiter in marks:
                waiter.cancel()
            raise
        for delivery_id, waiter in marks:
            if waiter.done():
                # Its sender was cancelled while the mark was being written: it never sent, so hand it back.
                if delivery_id in marked:
                    self._give_back.append(delivery_id)
            elif delivery_id in marked:
                waiter.set_result(None)
            else:
                waiter.set_exception(ClaimLost(f"delivery {delivery_id} was taken over by another pass"))

    async def _record(self, sending: list[int], outcomes: list[SendOutcome], give_back: list[int]) -> set[int]:
        """One commit, tried again while the database is unreachable, until patience runs out."""
        async def record() -> set[int]:
            async with self._writing:
                return await self.ledger.record(self.token, sending, outcomes, give_back, self.now)

        if self._gave_up:
            return await record()
        try:
            return await patiently(record, self.patience)
        except Exception:
            self._gave_up = True
            raise


async def patiently(call: Callable[[], Awaitable[T]], patience: float) -> T:
    """`call()`, tried again with backoff while it raises (the database is unreachable), for up to `patience`
    seconds; one log line per attempt, then what the last attempt raised."""
    deadline = time.monotonic() + patience
    delay = 0.2
    while True:
        try:
            return await call()
        except Exception as exc:
            if time.monotonic() + delay > deadline:
                log.error("the database stayed unreachable for %.0f s: %s", patience, first_line(exc))
                raise
            log.warning("the database is unreachable, trying again in %.1f s: %s", delay, first_line(exc))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
