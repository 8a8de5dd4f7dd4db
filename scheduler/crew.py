"""The send step of delivery: a few senders at once over a queue of claims held under one lease, each send recorded
through one journal; the queue is topped up from a Claimer while it has more. What was never tried when the crew
stops is handed back, for any pass or job to send.

A few senders at once, so that one chat waiting for its rate-limit slot holds up no one; the next batch is claimed
while the last one's pushes are still going out. The single-process pass runs a crew over its own claims; a fleet
send job runs one over the claims it took over (`scheduler.fleet.send_job`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from typing import Protocol

from bot.core.model import Claim
from bot.core.ports import Lease
from scheduler.journal import SendJournal
from scheduler.sending import Sender


class ClaimSource(Protocol):
    """Where a crew tops its queue up from: the pass's Claimer, or a send job's hand-over (scheduler.fleet)."""

    @property
    def exhausted(self) -> bool: ...

    async def claim(self, lease: Callable[[], Lease]) -> list[Claim]:
        """The next batch, held under `lease()`; [] once exhausted."""
        ...


class SendCrew:
    def __init__(
        self,
        sender: Sender,
        journal: SendJournal,
        concurrency: int,
        stopping: Callable[[], bool],
        claimer: ClaimSource | None = None,
        lease: Callable[[], Lease] | None = None,
        refill_below: int = 0,
    ) -> None:
        assert claimer is None or lease is not None, "claiming needs the lease to claim under"
        self.sender = sender
        self.journal = journal
        self.concurrency = concurrency
        self.stopping = stopping
        self.claimer = claimer
        self.lease = lease
        # Claim more once fewer than this wait: a claim takes ~50-150 ms at 1M subscriptions, which the claims
        # still queued must cover, or every batch ends in a pause (a paid broadcast's 1,000 msg/s sends a
        # batch of 500 in half a second). Claims held unsent stay CLAIMED: a crash resends them, so holding more
        # leaves no more UNKNOWN.
        self.refill_below = max(concurrency, refill_below)
        self.waiting: deque[Claim] = deque()
        self._claiming = asyncio.Lock()

    @property
    def exhausted(self) -> bool:
        return self.claimer is None or self.claimer.exhausted

    async def run(self, claims: Iterable[Claim] = ()) -> None:
        """Send `claims` and whatever the claimer has; on stopping, hand back what was never tried."""
        self.waiting.extend(claims)
        while not self.waiting and not self.exhausted and not self.stopping():
            await self._claim()
        if self.waiting:
            await self._send_all()
        await self.journal.flush()
        await self.hand_back(self.waiting)  # stopped: what was never tried, for the next pass

    async def hand_back(self, claims: Iterable[Claim]) -> None:
        """Give `claims` back unsent, for any pass or job to send at once."""
        for claim in claims:
            self.journal.give_back(claim.delivery.id)
            if claim.wrap_up is not None:
                self.journal.give_back(claim.wrap_up.id)
            self.sender.tally.released += 1
        await self.journal.flush()

    async def _send_all(self) -> None:
        senders = [asyncio.create_task(self._sender()) for _ in range(self.concurrency)]
        try:
            done, _ = await asyncio.wait(senders, return_when=asyncio.FIRST_EXCEPTION)
        except BaseException:
            self.journal.abandon()
            raise
        finally:
            # A sender that died (or our own cancellation) ends the crew as a crash would: what is in flight stays
            # SENDING and becomes UNKNOWN; what was never tried stays claimed until its lease runs out.
            for task in senders:
                task.cancel()
        errors = [error for task in done if not task.cancelled() and (error := task.exception()) is not None]
        if errors:
            self.journal.abandon()
            raise errors[0]

    async def _sender(self) -> None:
        waiting = self.waiting
        while not self.stopping():
            # Claim more when the queue runs low; others keep sending meanwhile, unless there is nothing left.
            low = not self.exhausted and len(waiting) < self.refill_below
            if low and (not waiting or not self._claiming.locked()):
                await self._claim()
            if not waiting:
                if self.exhausted:
                    return
                continue
            await self.sender.send(waiting.popleft())

    async def _claim(self) -> None:
        async with self._claiming:
            if self.exhausted or self.stopping() or len(self.waiting) >= self.refill_below:
                return
            assert self.claimer is not None and self.lease is not None
            self.waiting.extend(await self.claimer.claim(self.lease))
