"""The fleet's planning step: claims what is due and owed, per platform, one batch at a time, exactly as the
single-process pass does (`scheduler.claiming`), and defers a send job carrying each batch's delivery ids.

Each batch is claimed under a ticket of its own, which its job presents to take the claims over. Until the job is
deferred the ticket's lease is short, so the claims of a planner that died in between are claimed again once it
runs out; once deferred, the job is durable and the claims are held for it while it waits its turn. The planner
keeps at most a few jobs waiting per platform, claiming more as they are sent: claims never pile up far ahead of
what a token's budget can send.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.ports import Lease
from scheduler.claiming import Claimer
from scheduler.fleet.context import FleetContext
from scheduler.journal import patiently
from scheduler.leasing import LeaseClock, new_token
from scheduler.planning import Rules

# Jobs waiting per platform beyond the one being sent: enough that the next is ready when one ends.
WAITING_JOBS = 2
# A job holds at least a claim batch, and about this long of sending at its token's budget: at 1,000 a second a job
# of one batch would last half a second, and the handover to the next job (a worker noticing it may run, up to a
# poll interval later) would cost a good share of the budget. Measured with 3 workers at a 400/s budget: 5 s jobs
# held 0.908 and 0.938 of it, 10 s jobs 0.930 and 0.948 (paired runs).
JOB_SECONDS = 10.0
WAIT_FOR_ROOM_SECONDS = 0.2
# How long claims are held for a deferred job. It waits behind at most WAITING_JOBS others; only a job lost from
# the queue (deleted by hand) leaves its claims for this long, after which any planner claims them again.
HELD_FOR_JOB = timedelta(hours=1)


class JobQueue(Protocol):
    async def waiting(self, platform: str) -> int:
        """Send jobs of `platform` not started yet."""
        ...

    async def defer(self, platform: str, ids: Sequence[int], ticket: str, ends: Sequence[int]) -> None:
        """Queue a send job for the claims `ids`, handed to `ticket`; `ends`: where each claim batch ends in `ids`
        (the job takes them over batch by batch, never splitting a push from its wrap-up)."""
        ...


@dataclass
class PlanReport:
    due: int = 0
    claimed: int = 0
    jobs: int = 0
    skipped: int = 0
    finished: int = 0
    claim_error: str | None = None


class FleetPlanner:
    def __init__(self, fleet: FleetContext, queue: JobQueue, now: datetime) -> None:
        self.fleet = fleet
        self.queue = queue
        self.now = now
        policy = fleet.policy
        self.ledger = fleet.store.ledger
        self.leases = LeaseClock(fleet.clock, now, policy.lease)
        rules = Rules(policy.grace, fleet.curriculum.total_days)
        self.claimers = {p: Claimer(self.ledger, policy, rules, now, {p}) for p in sorted(fleet.gateways.platforms)}
        self.report = PlanReport()

    async def run(self) -> PlanReport:
        """Claim and defer until nothing more is due or owed by `now` on this process's connected platforms."""
        active = dict(self.claimers)
        while active and not self.fleet.stopping():
            progressed = False
            for platform, claimer in list(active.items()):
                if claimer.exhausted:
                    del active[platform]
                    continue
                if await self.queue.waiting(platform) >= WAITING_JOBS:
                    continue
                progressed = True
                await self._batch(platform, claimer)
            if not progressed:
                await asyncio.sleep(WAIT_FOR_ROOM_SECONDS)
        return self._report()

    async def _batch(self, platform: str, claimer: Claimer) -> None:
        ticket = new_token()
        budget = self.fleet.budgets.get(platform)
        rate = budget.per_second if budget is not None and budget.per_second else 0.0
        size = max(self.fleet.policy.batch, round(rate * JOB_SECONDS))
        ids: list[int] = []
        ends: list[int] = []
        while len(ids) < size and not claimer.exhausted and not self.fleet.stopping():
            claims = await claimer.claim(lambda: self.leases.current(ticket))
            ids += [d.id for claim in claims for d in (claim.delivery, claim.wrap_up) if d is not None]
            if ids and (not ends or ends[-1] < len(ids)):
                ends.append(len(ids))
        if not ids:
            return
        patience = self.fleet.policy.outage_patience.total_seconds()
        await patiently(lambda: self.queue.defer(platform, ids, ticket, ends), patience)
        held = Lease(ticket, self.leases.current().until + HELD_FOR_JOB)
        await patiently(lambda: self.ledger.extend(held), patience)
        self.report.jobs += 1

    def _report(self) -> PlanReport:
        report = self.report
        for claimer in self.claimers.values():
            report.due += claimer.tally.due
            report.skipped += claimer.tally.skipped
            report.finished += claimer.tally.finished
            report.claimed += claimer.claimed
            report.claim_error = report.claim_error or claimer.error
        return report
