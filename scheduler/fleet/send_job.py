"""The fleet's send step: a job takes over the claims it carries under a lease of its own run, fenced like the
single-process pass, and sends them with the pass's crew (`scheduler.crew`), taking over the next part of them
while the last is being sent (`scheduler.fleet.handover`).

A run takes over what is still handed to its job's ticket, or whose lease ran out; what a run that died had on the
wire has become UNKNOWN by then and is never sent again. So a job retried after its worker died sends only what was
never marked on the wire, and a run that only seemed dead (cut off from the database) can mark nothing more.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import asdict

from scheduler.crew import SendCrew
from scheduler.fleet.context import FleetContext
from scheduler.fleet.handover import HandOver
from scheduler.journal import SendJournal
from scheduler.leasing import LeaseClock


async def send_job(
    fleet: FleetContext, platform: str, ids: Sequence[int], ticket: str, ends: Sequence[int] | None = None
) -> dict[str, int]:
    """Run one send job (`ends`: where each of the planner's claim batches ends in `ids`); returns what became of
    its claims (sent, failed, released...)."""
    policy, ledger = fleet.policy, fleet.store.ledger
    now = fleet.clock.now()
    leases = LeaseClock(fleet.clock, now, policy.lease)
    hand_over = HandOver(ledger, ids, ends, ticket, now, policy.outage_patience.total_seconds())
    journal = SendJournal(ledger, leases.token, now, patience=policy.outage_patience)
    sender = fleet.parts.sender(journal, now)
    crew = SendCrew(
        sender, journal, policy.concurrency, fleet.stopping, hand_over, leases.current, refill_below=policy.batch // 2
    )
    heartbeat = asyncio.create_task(leases.keep(journal))
    try:
        budget = fleet.budgets.get(platform)
        if budget is not None:
            # The job before this one may have ended on another worker a moment ago: its last message's pacing slot
            # is not this worker's to know, so the first message here waits one slot.
            await asyncio.sleep(budget.gap_seconds)
        await crew.run()
        if not hand_over.exhausted:  # stopped before taking every part over: the rest is any pass's to send
            await crew.hand_back(await hand_over.rest(leases.current))
    finally:
        heartbeat.cancel()
    return {"taken_over": hand_over.taken, **asdict(sender.tally)}
