"""One delivery pass, top to bottom: claim what is due (and what is owed from before) in batches, send with a few
senders at once, record each send through the journal, and keep the pass's claims leased while it lives.

A few senders at once, so that one chat waiting for its rate-limit slot holds up no one; the next batch is claimed
while the last one's pushes are still going out.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.core.chats import Chats
from bot.core.gateways import Gateways
from bot.core.model import Claim, Delivery, DeliveryKind, Subscription, Wanted
from bot.core.ports import Clock, Lease, Store
from curriculum.loader import Curriculum
from scheduler.journal import SendJournal, first_line, patiently
from scheduler.planning import Rules, Tally, plan
from scheduler.policy import DeliveryPolicy, PassReport
from scheduler.sending import Cards, Retries, Sender

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Parts:
    """What every pass of an engine works with."""

    store: Store
    chats: Chats
    clock: Clock
    curriculum: Curriculum
    gateways: Gateways
    cards: Cards
    policy: DeliveryPolicy
    stopping: Callable[[], bool]


class DeliveryPass:
    """Owns one pass's steps; `DeliveryEngine.run_pass` makes one per pass."""

    def __init__(self, parts: Parts, now: datetime) -> None:
        self.ledger = parts.store.ledger
        self.clock = parts.clock
        self.policy = policy = parts.policy
        self.rules = Rules(policy.grace, parts.curriculum.total_days)
        self.platforms = parts.gateways.platforms
        self.now = now
        self.stopping = parts.stopping
        self.token = uuid.uuid4().hex[:16]
        self._started = parts.clock.now()
        self.journal = SendJournal(self.ledger, self.token, now, patience=policy.outage_patience)
        retries = Retries(policy.retry_delay, policy.max_attempts)
        self.sender = Sender(
            parts.store, parts.chats, parts.gateways, parts.curriculum, parts.cards, self.journal, retries, now,
            parts.stopping,
        )  # fmt: skip
        self.tally = Tally()
        self._planned = Tally()  # of the claim being made: counted once its transaction commits
        self.report = PassReport()
        self.waiting: deque[Claim] = deque()
        self.exhausted = False
        self._claiming = asyncio.Lock()

    async def run(self) -> PassReport:
        heartbeat = asyncio.create_task(self._keep_leased())
        try:
            while not self.waiting and not self.exhausted and not self.stopping():
                await self._claim()
            if self.waiting:
                await self._send_all()
            await self.journal.flush()
            for claim in self.waiting:  # stopped: hand what was never tried back, for the next pass
                self.journal.give_back(claim.delivery.id)
                if claim.wrap_up is not None:
                    self.journal.give_back(claim.wrap_up.id)
                self.sender.tally.released += 1
            await self.journal.flush()
        finally:
            heartbeat.cancel()
        return self._report()

    async def _send_all(self) -> None:
        senders = [asyncio.create_task(self._sender()) for _ in range(self.policy.concurrency)]
        try:
            done, _ = await asyncio.wait(senders, return_when=asyncio.FIRST_EXCEPTION)
        except BaseException:
            self.journal.abandon()
            raise
        finally:
            # A sender that died (or our own cancellation) ends the pass as a crash would: what is in flight stays
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
            low = not self.exhausted and len(waiting) < self.policy.concurrency
            if low and (not waiting or not self._claiming.locked()):
                await self._claim()
            if not waiting:
                if self.exhausted:
                    return
                continue
            await self.sender.send(waiting.popleft())

    async def _claim(self) -> None:
        async with self._claiming:
            if self.exhausted or self.stopping() or len(self.waiting) >= self.policy.concurrency:
                return
            patience, batch, platforms = self.policy.outage_patience.total_seconds(), self.policy.batch, self.platforms
            self._planned = Tally()
            try:
                # A claim is one transaction: tried again whole while the database is unreachable.
                due, created = await patiently(
                    lambda: self.ledger.claim_due(self.now, batch, platforms, self._plan, self._lease()), patience
                )
                owed = await patiently(
                    lambda: self.ledger.claim_owed(self.now, batch, platforms, self._lease()), patience
                )
            except Exception as exc:
                # Unreachable for too long: send what is queued and claim no more; the next pass takes over.
                self.report.claim_error = first_line(exc)
                self.exhausted = True
                return
            self.tally.due += self._planned.due
            self.tally.skipped += self._planned.skipped
            self.tally.finished += self._planned.finished
            claims = _claims(due, created) + owed
            # Done when nothing was due any more: a batch of only late (skipped) or finished subscriptions leaves
            # more to look at.
            if not claims and not due:
                self.exhausted = True
            self.report.claimed += len(claims)
            self.waiting.extend(claims)

    def _plan(self, due: list[Subscription]) -> list[Wanted]:
        self._planned = Tally()
        return plan(due, self.now, self.rules, self._planned)

    def _lease(self) -> Lease:
        # The pass's own timeline: it starts at `now` (which may be given) and runs as the clock runs.
        return Lease(self.token, self.now + (self.clock.now() - self._started) + self.policy.lease)

    async def _keep_leased(self) -> None:
        while True:
            await asyncio.sleep(self.policy.lease.total_seconds() / 3)
            try:
                await self.ledger.extend(self._lease())
            except Exception as exc:  # the journal's own retries cover an outage; the next beat tries again
                log.warning("could not extend the delivery lease: %s", exc)

    def _report(self) -> PassReport:
        report, tally, sent = self.report, self.tally, self.sender.tally
        report.due, report.skipped, report.finished = tally.due, tally.skipped, tally.finished
        report.sent, report.wrap_ups, report.failed = sent.sent, sent.wrap_ups, sent.failed
        report.personal = sent.personal
        report.deactivated, report.cannot_post = sent.deactivated, sent.cannot_post
        report.uncertain, report.released = sent.uncertain, sent.released
        return report


def _claims(due: list[Subscription], created: list[Delivery]) -> list[Claim]:
    """Claims in due order; a group's wrap-up rides with the push that opens its next week."""
    pushes: dict[int, Delivery] = {}
    wrap_ups: dict[int, Delivery] = {}
    for delivery in created:
        (pushes if delivery.kind is DeliveryKind.PUSH else wrap_ups)[delivery.subscription_id] = delivery
    claims = []
    for sub in due:
        assert sub.id is not None
        push, wrap_up = pushes.get(sub.id), wrap_ups.get(sub.id)
        if push is not None:
            claims.append(Claim(push, sub, wrap_up))
        elif wrap_up is not None:
            claims.append(Claim(wrap_up, sub))
    return claims
