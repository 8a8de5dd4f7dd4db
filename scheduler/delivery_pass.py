"""One delivery pass, top to bottom: claim what is due (and what is owed from before) in batches, send with a few
senders at once, record each send through the journal, and keep the pass's claims leased while it lives.

The claim step (`scheduler.claiming`) and the send step (`scheduler.crew`) are the ones the fleet runs in different
processes; here they run together, the crew claiming more whenever its queue runs low.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from scheduler.claiming import Claimer
from scheduler.crew import SendCrew
from scheduler.journal import SendJournal
from scheduler.leasing import LeaseClock
from scheduler.planning import Rules
from scheduler.policy import PassReport
from scheduler.sending import Retries, Sender

if TYPE_CHECKING:
    from scheduler.delivery import DeliveryEngine


class DeliveryPass:
    """Owns one pass's steps; made by `DeliveryEngine.run_pass` over its store, clock, gateways and policy."""

    def __init__(self, engine: DeliveryEngine, now: datetime) -> None:
        self.ledger = engine.store.ledger
        self.policy = policy = engine.policy
        self.now = now
        self.leases = LeaseClock(engine.clock, now, policy.lease)
        self.token = self.leases.token
        self.journal = SendJournal(self.ledger, self.token, now, patience=policy.outage_patience)
        rules = Rules(policy.grace, engine.curriculum.total_days)
        self.claimer = Claimer(self.ledger, policy, rules, now, engine.gateways.platforms)
        retries = Retries(policy.retry_delay, policy.max_attempts)
        self.sender = Sender(
            engine.store, engine.gateways, engine.curriculum, engine.cards, self.journal, retries, now, engine.stopping
        )
        self.crew = SendCrew(
            self.sender, self.journal, policy.concurrency, engine.stopping, self.claimer, self.leases.current
        )

    async def run(self) -> PassReport:
        heartbeat = asyncio.create_task(self.leases.keep(self.ledger))
        try:
            await self.crew.run()
        finally:
            heartbeat.cancel()
        return self._report()

    def _report(self) -> PassReport:
        tally, sent = self.claimer.tally, self.sender.tally
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
            claim_error=self.claimer.error,
        )
