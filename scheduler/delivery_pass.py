"""One delivery pass, top to bottom: claim what is due (and what is owed from before) in batches, send with a few
senders at once, record each send through the journal, and keep the pass's claims leased while it lives.

The claim step (`scheduler.claiming`) and the send step (`scheduler.crew`) are the ones the fleet runs in different
processes; here they run together, the crew claiming more whenever its queue runs low.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.core.chats import Chats
from bot.core.gateways import Gateways
from bot.core.ports import Clock, Store
from curriculum.loader import Curriculum
from scheduler.claiming import Claimer
from scheduler.crew import SendCrew
from scheduler.journal import SendJournal
from scheduler.leasing import LeaseClock
from scheduler.planning import Rules
from scheduler.policy import DeliveryPolicy, PassReport
from scheduler.sending import Cards, Retries, Sender


@dataclass(frozen=True)
class Parts:
    """What every pass of an engine (or every send job of a fleet worker) works with."""

    store: Store
    chats: Chats
    clock: Clock
    curriculum: Curriculum
    gateways: Gateways
    cards: Cards
    policy: DeliveryPolicy
    stopping: Callable[[], bool]

    def sender(self, journal: SendJournal, now: datetime) -> Sender:
        """A Sender recording through `journal`, for sends made as of `now`."""
        retries = Retries(self.policy.retry_delay, self.policy.max_attempts)
        return Sender(
            self.store, self.chats, self.gateways, self.curriculum, self.cards, journal, retries, now, self.stopping
        )


class DeliveryPass:
    """Owns one pass's steps; `DeliveryEngine.run_pass` makes one per pass."""

    def __init__(self, parts: Parts, now: datetime) -> None:
        self.ledger = parts.store.ledger
        self.policy = policy = parts.policy
        self.now = now
        self.leases = LeaseClock(parts.clock, now, policy.lease)
        self.token = self.leases.token
        self.journal = SendJournal(self.ledger, self.token, now, patience=policy.outage_patience)
        rules = Rules(policy.grace, parts.curriculum.total_days)
        self.claimer = Claimer(self.ledger, policy, rules, now, parts.gateways.platforms)
        self.sender = parts.sender(self.journal, now)
        self.crew = SendCrew(
            self.sender,
            self.journal,
            policy.concurrency,
            parts.stopping,
            self.claimer,
            self.leases.current,
            refill_below=policy.batch // 2,
        )

    async def run(self) -> PassReport:
        heartbeat = asyncio.create_task(self.leases.keep(self.journal))
        try:
            await self.crew.run()
        finally:
            heartbeat.cancel()
        return self._report()

    def _report(self) -> PassReport:
        tally, sent = self.claimer.tally, self.sender.tally
        lag = None if tally.oldest is None else max(0.0, (self.now - tally.oldest).total_seconds())
        return PassReport(
            due=tally.due,
            claimed=self.claimer.claimed,
            sent=sent.sent,
            wrap_ups=sent.wrap_ups,
            failed=sent.failed,
            skipped=tally.skipped,
            deactivated=sent.deactivated,
            cannot_post=sent.cannot_post,
            finished=tally.finished,
            uncertain=sent.uncertain,
            released=sent.released,
            broadcasts=sent.broadcasts,
            personal=sent.personal,
            claim_error=self.claimer.error,
            lag_seconds=lag,
        )
