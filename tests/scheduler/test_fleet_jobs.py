"""The fleet's jobs in one process, on procrastinate's in-memory queue and the real store (SQLite and PostgreSQL): the
planner claims as the pass does and defers send jobs carrying the claims' ids, never more than two waiting per token;
a worker sends each push once, a group's wrap-up riding with its push; a worker stopped mid-job hands its untried
claims back (those of a paced job's parts not taken over yet too), and the next worker sends them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from procrastinate.testing import InMemoryConnector
from sqlalchemy import select

from bot.bootstrap import App
from bot.core.clock import ManualClock
from bot.core.model import DeliveryKind
from bot.core.replies import TopicCard
from bot.store.tables import DeliveryRow
from scheduler.fleet.context import Budget, FleetContext
from scheduler.fleet.names import SEND
from scheduler.fleet.planner import WAITING_JOBS
from scheduler.fleet.queue import fleet_app, run_worker
from scheduler.fleet.timing import FleetTiming
from scheduler.policy import DeliveryPolicy
from tests.core.test_groups import group_with_admin
from tests.support import Chat, RecordingGateway

DAY_8 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)  # a group's day 8 opens week 2: the week 1 wrap-up rides along
CHATS = 12
BATCH = 3  # claims per claim batch: a send job without a budget carries one
SENDERS = 2  # at once: a job takes its next part over once its queue is empty
# With a budget a job carries a few seconds of sending, here every claim in one job: taken over a batch at a time.
PACED = 100.0
TIMING = FleetTiming(timedelta(seconds=6), interval=1)
BUDGETS = pytest.mark.parametrize("per_second", [None, PACED], ids=["a batch a job", "one job in parts"])


def fleet(app: App, per_second: float | None = None) -> FleetContext:
    policy = DeliveryPolicy(batch=BATCH, concurrency=SENDERS)
    budgets = {"test": Budget("studybot-send:test:fingerprint", per_second)}
    return FleetContext(app.store, app.clock, app.curriculum, app.gateways, policy, budgets, TIMING)


async def subscribers(app: App, clock: ManualClock) -> RecordingGateway:
    gateway = await group_with_admin(app, "-5", "99")
    for chat in range(1, CHATS + 1):
        await Chat(app, chat_id=str(chat), user_id=str(chat)).say("/subscribe 08:00 UTC")
    gateway.sent.clear()  # the day 1 cards that came with subscribing
    clock.set(DAY_8)
    return gateway


async def until(condition: Callable[[], bool], gateway: RecordingGateway, queue: InMemoryConnector) -> None:
    deadline = asyncio.get_running_loop().time() + 20
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            jobs = [(job["id"], job["task_name"], job["status"]) for job in queue.jobs.values()]
            raise AssertionError(f"sent to {[chat for chat, _ in gateway.sent]}; jobs {jobs}")
        await asyncio.sleep(0.01)


@BUDGETS
async def test_the_planner_defers_jobs_with_the_claims_and_a_worker_sends_each_push_once(
    app: App, clock: ManualClock, per_second: float | None
) -> None:
    gateway = await subscribers(app, clock)
    queue = InMemoryConnector()
    deferred: set[int] = set()
    most_waiting = 0

    async def watch() -> None:
        nonlocal most_waiting
        while True:
            sends = [job for job in queue.jobs.values() if job["task_name"] == SEND]
            deferred.update(job["id"] for job in sends)
            most_waiting = max(most_waiting, sum(job["status"] == "todo" for job in sends))
            await asyncio.sleep(0.002)

    stop = asyncio.Event()
    watcher = asyncio.create_task(watch())
    worker = asyncio.create_task(run_worker(fleet_app(queue, TIMING), fleet(app, per_second), stop, "test"))
    try:
        await all_sent(app, gateway)
        stop.set()
        await worker
    finally:
        stop.set()
        watcher.cancel()

    chats = [chat for chat, reply in gateway.sent if isinstance(reply, TopicCard)]
    assert sorted(chats) == sorted(["-5", *map(str, range(1, CHATS + 1))])  # each once
    # The group's weekly wrap-up comes before its day's push (the DMs' weekly summaries go out in any order).
    group = [isinstance(reply, TopicCard) for chat, reply in gateway.sent if chat == "-5"]
    assert group == [False, True]
    assert len(deferred) >= (1 if per_second else (CHATS + 1) // BATCH) and most_waiting <= WAITING_JOBS
    assert sorted(await ledger(app)) == EXPECTED


@BUDGETS
async def test_a_worker_stopped_mid_job_hands_back_what_it_never_tried_and_the_next_sends_it(
    app: App, clock: ManualClock, per_second: float | None
) -> None:
    gateway = await subscribers(app, clock)
    queue = InMemoryConnector()
    stop = asyncio.Event()

    async def slow(chat_id: str) -> None:
        await asyncio.sleep(0.05)

    gateway.waiting = slow
    worker = asyncio.create_task(run_worker(fleet_app(queue, TIMING), fleet(app, per_second), stop, "first"))
    await until(lambda: len(gateway.sent) >= 2, gateway, queue)
    stop.set()  # SIGTERM
    await asyncio.wait_for(worker, 10)
    first = len(gateway.sent)
    assert first < CHATS + 2

    gateway.waiting = None
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(fleet_app(queue, TIMING), fleet(app, per_second), stop, "second"))
    try:
        await all_sent(app, gateway)
    finally:
        stop.set()
        await asyncio.wait_for(worker, 10)
    chats = [chat for chat, reply in gateway.sent if isinstance(reply, TopicCard)]
    assert sorted(chats) == sorted(["-5", *map(str, range(1, CHATS + 1))])  # nothing lost, nothing twice


# A push each, the group's wrap-up of week 1, and each learner's own summary of it (a DM's weekly).
EXPECTED = sorted(
    [("sent", DeliveryKind.PUSH.value)] * (CHATS + 1) + [("sent", "summary")] + [("sent", "weekly")] * CHATS
)


async def all_sent(app: App, gateway: RecordingGateway) -> None:
    deadline = asyncio.get_running_loop().time() + 20
    while sorted(await ledger(app)) != EXPECTED:
        assert asyncio.get_running_loop().time() < deadline, (await ledger(app), [c for c, _ in gateway.sent])
        await asyncio.sleep(0.02)


async def ledger(app: App) -> list[tuple[str, str]]:
    """(status, kind) of the ledger rows of DAY_8 (day 1's came with subscribing)."""
    async with app.store.unit() as uow:
        rows = await uow.session.execute(
            select(DeliveryRow.status, DeliveryRow.kind).where(DeliveryRow.local_date == DAY_8.date())
        )
        return [(status, kind) for status, kind in rows]
