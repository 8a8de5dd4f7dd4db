"""The ledger's hand-over between a claim and a send in another process (the fleet's planner and send jobs): claims
handed to a ticket are taken over under the sender's own lease and fenced against everyone else; what a dead sender
had on the wire becomes unknown, never sent again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bot.bootstrap import App
from bot.core.model import Address, DeliveryKind, DeliveryStatus
from bot.core.ports import Lease
from curriculum.loader import Curriculum
from scheduler.claiming import Claimer
from scheduler.planning import Rules
from scheduler.policy import DeliveryPolicy
from tests.core.test_groups import group_with_admin
from tests.scheduler.test_delivery import delivery_statuses
from tests.support import Chat

DAY_2 = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
DAY_8 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)  # a group's day 8 opens week 2: the week 1 wrap-up rides along
LEASE = timedelta(seconds=30)


async def claim(app: App, curriculum: Curriculum, now: datetime, ticket: str) -> list[int]:
    claimer = Claimer(app.store.ledger, DeliveryPolicy(), Rules(timedelta(hours=6), curriculum.total_days), now,
                      {"test"})  # fmt: skip
    claims = await claimer.claim(lambda: Lease(ticket, now + LEASE))
    return sorted(d.id for c in claims for d in (c.delivery, c.wrap_up) if d is not None)


async def test_a_send_job_takes_its_handed_claims_over_and_fences_out_the_ticket(
    app: App, curriculum: Curriculum
) -> None:
    for chat in ("1", "2"):
        await Chat(app, chat_id=chat, user_id=chat).say("/subscribe 08:00 UTC")
    await group_with_admin(app, "-5", "9")
    ids = await claim(app, curriculum, DAY_8, "ticket")
    assert len(ids) == 6  # each DM's push with its own week's summary, and the group's push with its wrap-up
    ledger = app.store.ledger

    claims = await ledger.take_over(ids, "ticket", Lease("run-1", DAY_8 + LEASE), DAY_8)

    assert sorted(c.subscription.address.chat_id for c in claims) == ["-5", "1", "2"]
    [group] = [c for c in claims if c.subscription.address.chat_id == "-5"]
    assert group.delivery.kind is DeliveryKind.PUSH and group.wrap_up is not None
    assert group.wrap_up.kind is DeliveryKind.SUMMARY
    assert {c.wrap_up.kind for c in claims if c is not group and c.wrap_up is not None} == {DeliveryKind.WEEKLY}
    # The planner's ticket no longer holds them: nothing can be marked on the wire under it.
    assert await ledger.record("ticket", ids, [], [], DAY_8) == set()
    # Taken over again with the same ticket while the run's lease lives: nothing (the run keeps them).
    assert await ledger.take_over(ids, "ticket", Lease("run-2", DAY_8 + LEASE), DAY_8) == []
    assert await ledger.record("run-1", ids, [], [], DAY_8) == set(ids)


async def test_a_retried_job_takes_over_only_what_its_dead_run_never_put_on_the_wire(
    app: App, curriculum: Curriculum
) -> None:
    for chat in ("1", "2", "3"):
        await Chat(app, chat_id=chat, user_id=chat).say("/subscribe 08:00 UTC")
    ids = await claim(app, curriculum, DAY_2, "ticket")
    ledger = app.store.ledger
    assert len(await ledger.take_over(ids, "ticket", Lease("run-1", DAY_2 + LEASE), DAY_2)) == 3
    # The first run put one push on the wire, then its worker died.
    assert await ledger.record("run-1", ids[:1], [], [], DAY_2) == {ids[0]}

    # Retried before the dead run's lease ran out: it is still the dead run's.
    assert await ledger.take_over(ids, "ticket", Lease("run-2", DAY_2 + 2 * LEASE), DAY_2 + LEASE / 2) == []
    later = DAY_2 + LEASE
    claims = await ledger.take_over(ids, "ticket", Lease("run-2", later + LEASE), later)

    assert sorted(c.delivery.id for c in claims) == ids[1:]
    statuses = await delivery_statuses(app, 2)
    assert statuses[DeliveryStatus.UNKNOWN.value] == 1  # on the wire at the death: never sent again
    assert await ledger.record("run-1", ids, [], [], later) == set()  # the dead run, were it back, is fenced out


async def test_a_claim_of_a_subscription_stopped_in_between_is_not_taken_over(app: App, curriculum: Curriculum) -> None:
    for chat in ("1", "2"):
        await Chat(app, chat_id=chat, user_id=chat).say("/subscribe 08:00 UTC")
    ids = await claim(app, curriculum, DAY_2, "ticket")
    await app.commands.chat_gone(Address("test", "2"))  # blocked the bot in between
    claims = await app.store.ledger.take_over(ids, "ticket", Lease("run-1", DAY_2 + LEASE), DAY_2)
    assert [c.subscription.address.chat_id for c in claims] == ["1"]


async def test_a_job_started_while_the_planner_still_holds_its_claims_takes_them_once_it_lets_go(
    app: App, curriculum: Curriculum
) -> None:
    # The planner defers the job, then extends its claims' lease: a worker may start the job in between. Skipping
    # the rows the planner had locked left them held for an hour by a job that had already ended.
    for chat in ("1", "2"):
        await Chat(app, chat_id=chat, user_id=chat).say("/subscribe 08:00 UTC")
    ids = await claim(app, curriculum, DAY_2, "ticket")
    async with app.store.engine.connect() as planner:
        transaction = await planner.begin()
        await planner.execute(text("UPDATE deliveries SET lease_until = lease_until WHERE claimed_by = 'ticket'"))
        job = asyncio.create_task(app.store.ledger.take_over(ids, "ticket", Lease("run-1", DAY_2 + LEASE), DAY_2))
        await asyncio.sleep(0.3)
        assert not job.done()  # waiting for the planner's lock, not skipping its rows
        await transaction.commit()
    claims = await asyncio.wait_for(job, 10)
    assert sorted(c.subscription.address.chat_id for c in claims) == ["1", "2"]
