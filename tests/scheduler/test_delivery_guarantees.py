"""The ledger's promises at the edges, in one process: a push is marked only when it goes on the wire, an outage
pauses a pass instead of losing pushes, a live pass keeps its claims, a claim taken over is not sent twice, a
muted chat is kept, and a failing wrap-up never stops a pass."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.bootstrap import App
from bot.core.clock import ManualClock
from bot.core.gateways import Gateways
from bot.core.model import Address, ChatKind
from bot.core.ports import DeliveryLedger
from bot.core.replies import Reply, TextReply
from bot.core.schedule import next_push_at
from bot.store.tables import DeliveryRow
from curriculum.loader import Curriculum
from scheduler.delivery import DeliveryEngine, DeliveryPolicy
from tests.scheduler.test_delivery import delivery_statuses
from tests.support import Chat, RecordingGateway, text_of

DUE = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # day 2 of a 08:00 UTC subscription made on START


async def subscribe(app: App, chats: Sequence[str], kind: ChatKind = ChatKind.PRIVATE) -> None:
    for chat in chats:
        await Chat(app, chat_id=chat, user_id=chat, kind=kind).say("/subscribe 08:00 UTC")


async def rows(app: App) -> list[DeliveryRow]:
    async with app.store.unit() as uow:
        found = await uow.session.scalars(select(DeliveryRow).order_by(DeliveryRow.id))
        return list(found)


async def eventually(condition: Callable[[], Awaitable[bool]]) -> None:
    for _ in range(500):
        if await condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition never held")


async def test_a_push_waiting_for_its_rate_limit_slot_is_not_written_off_when_the_pass_stops(
    app: App, clock: ManualClock, curriculum: Curriculum
) -> None:
    await subscribe(app, ["1", "2"])
    gateway = RecordingGateway()
    slot = asyncio.Event()

    async def rate_limited(chat_id: str) -> None:
        if chat_id == "2":
            await slot.wait()  # a group waiting ~3 s for its next per-group slot

    gateway.waiting = rate_limited
    engine = DeliveryEngine(app.store, clock, curriculum, Gateways(gateway), DeliveryPolicy(concurrency=2))
    running = asyncio.create_task(engine.run_pass(DUE))
    await eventually(lambda: _async(len(gateway.sent) == 1))
    # The first push's outcome is committed with the journal's next group commit, a moment after it was sent; the
    # second, still waiting for its slot, stays claimed, not "sending", so a crash now would leave it to be sent.
    await eventually(lambda: _statuses_are(app, {"sent": 1, "claimed": 1}))
    engine.stop()  # SIGTERM while it waits
    slot.set()
    report = await running
    assert report.sent == 1 and report.released == 1 and report.uncertain == 0
    assert await delivery_statuses(app, plan_day=2) == {"sent": 1, "claimed": 1}
    after = RecordingGateway()
    app.gateways.connected(after)
    assert (await app.delivery.run_pass(DUE + timedelta(seconds=1))).sent == 1
    assert [chat for chat, _ in after.sent] == ["2"]


async def _statuses_are(app: App, expected: dict[str, int]) -> bool:
    return await delivery_statuses(app, plan_day=2) == expected


class FlakyLedger:
    """The store's ledger, unreachable while `down` is set, as a database that stopped would be."""

    def __init__(self, ledger: DeliveryLedger) -> None:
        self.ledger = ledger
        self.down = False
        self.refused = 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.ledger, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                self.refused += 1
                raise ConnectionRefusedError("connection to the database refused")
            return await method(*args, **kwargs)

        return call


class StoreWithFlakyLedger:
    def __init__(self, app: App) -> None:
        self.app = app
        self.ledger = FlakyLedger(app.store.ledger)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app.store, name)


async def test_a_database_outage_mid_pass_pauses_it_and_loses_nothing(
    app: App, clock: ManualClock, curriculum: Curriculum
) -> None:
    chats = [str(n) for n in range(1, 41)]
    await subscribe(app, chats)
    store = StoreWithFlakyLedger(app)
    gateway = RecordingGateway()

    async def go_down_after_ten(chat_id: str) -> None:
        if len(gateway.sent) >= 10 and not store.ledger.refused:
            store.ledger.down = True
            asyncio.get_running_loop().call_later(1.5, setattr, store.ledger, "down", False)

    gateway.waiting = go_down_after_ten
    policy = DeliveryPolicy(concurrency=4, batch=15)
    engine = DeliveryEngine(store, clock, curriculum, Gateways(gateway), policy)
    report = await engine.run_pass(DUE)
    assert store.ledger.refused > 0  # the outage happened mid-pass...
    assert sorted(chat for chat, _ in gateway.sent) == sorted(chats)  # ...and everyone got their push, once
    assert report.sent == 40 and report.uncertain == 0 and report.claim_error is None
    assert await delivery_statuses(app, plan_day=2) == {"sent": 40}


async def test_a_live_pass_keeps_its_claims_and_a_dead_ones_are_taken_over(
    app: App, clock: ManualClock, curriculum: Curriculum
) -> None:
    await subscribe(app, ["1"])
    gateway = RecordingGateway()
    slot = asyncio.Event()

    async def slow(chat_id: str) -> None:
        await slot.wait()

    gateway.waiting = slow
    policy = DeliveryPolicy(lease=timedelta(seconds=3))  # extended every second
    first = DeliveryEngine(app.store, clock, curriculum, Gateways(gateway), policy)
    running = asyncio.create_task(first.run_pass(DUE))
    await eventually(lambda: _claimed(app))
    clock.advance(timedelta(seconds=10))  # the first pass has been going for 10 s
    await asyncio.sleep(1.5)  # and its heartbeat has run since
    other = RecordingGateway()
    second = DeliveryEngine(app.store, clock, curriculum, Gateways(other), policy)
    assert (await second.run_pass(DUE + timedelta(seconds=10))).claimed == 0  # still held by the live pass
    slot.set()
    assert (await running).sent == 1
    assert [chat for chat, _ in gateway.sent] == ["1"] and other.sent == []


async def test_a_claim_taken_over_after_its_lease_ran_out_is_sent_by_one_pass_only(
    app: App, clock: ManualClock, curriculum: Curriculum
) -> None:
    await subscribe(app, ["1", "2"])
    stalled = RecordingGateway()
    slot = asyncio.Event()

    async def stalled_process(chat_id: str) -> None:
        await slot.wait()  # a process frozen (or cut off from the database) longer than its lease

    stalled.waiting = stalled_process
    policy = DeliveryPolicy(lease=timedelta(seconds=3), concurrency=1)
    frozen = DeliveryEngine(app.store, clock, curriculum, Gateways(stalled), policy)
    frozen_pass = asyncio.create_task(frozen.run_pass(DUE))
    await asyncio.sleep(0.2)
    # Its heartbeat reckons time by the clock, which stands still: the lease runs out at DUE + 3 s.
    other = RecordingGateway()
    rescuer = DeliveryEngine(app.store, clock, curriculum, Gateways(other), policy)
    assert (await rescuer.run_pass(DUE + timedelta(seconds=5))).sent == 2
    slot.set()
    report = await frozen_pass
    assert report.sent == 0 and stalled.sent == []  # its claims were no longer its own: nothing sent twice
    assert sorted(chat for chat, _ in other.sent) == ["1", "2"]


async def test_a_muted_group_is_kept_skipped_and_its_admins_told_until_a_push_goes_through(
    app: App, clock: ManualClock
) -> None:
    gateway = RecordingGateway()
    app.gateways.connected(gateway)
    gateway.admins.add(("-5", "1"))
    admin = Chat(app, chat_id="-5", user_id="1", user_name="Admin", kind=ChatKind.GROUP)
    member = Chat(app, chat_id="-5", user_id="2", user_name="Bo", kind=ChatKind.GROUP)
    await admin.say("/subscribe 08:00 UTC")
    gateway.muted.add("-5")
    report = await app.delivery.run_pass(clock.now() + timedelta(seconds=1))
    assert report.cannot_post == 1 and report.deactivated == 0 and report.failed == 0
    sub = await app.learners.chat(admin.address)
    assert sub is not None and sub.active and not sub.unreachable and sub.post_problem == "muted"
    told = [r for r in await admin.send("/settings") if "could not post" in text_of(r)]
    assert len(told) == 1 and isinstance(told[0], TextReply) and told[0].private
    assert "allowing me to post" in text_of(told[0])
    assert "could not post" not in await member.say("/leaderboard")  # members are not bothered
    assert (await app.delivery.run_pass(DUE - timedelta(seconds=1))).claimed == 0  # not retried the same day

    gateway.muted.clear()  # an admin lifted the restriction
    assert (await app.delivery.run_pass(DUE)).sent == 1
    assert [c.plan_day for c in gateway.cards_to("-5")] == [2]
    assert "could not post" not in await admin.say("/settings")


async def test_a_wrap_up_that_fails_never_stops_the_pass_and_is_retried_later(
    app: App, clock: ManualClock
) -> None:
    gateway = RecordingGateway()
    app.gateways.connected(gateway)
    gateway.admins.add(("-7", "1"))
    await Chat(app, chat_id="-7", user_id="1", kind=ChatKind.GROUP).say("/subscribe 08:00 UTC")
    await subscribe(app, ["11", "12"])
    broken = True
    original = gateway.send

    async def send(chat_id: str, reply: Reply, **kwargs: Any) -> str:
        if broken and "wrap-up" in text_of(reply):
            raise RuntimeError("a bug in the wrap-up")
        return await original(chat_id, reply, **kwargs)

    gateway.send = send  # type: ignore[method-assign]
    day_8 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    clock.set(day_8 - timedelta(hours=1))
    await app.delivery.run_pass()  # a catch-up skip brings every due time to day 8
    report = await app.delivery.run_pass(day_8)
    assert report.sent == 3 and report.failed == 1 and report.wrap_ups == 0
    assert [c.plan_day for c in gateway.cards_to("-7")][-1] == 8
    summary = [row for row in await rows(app) if row.kind == "summary"]
    assert len(summary) == 1 and summary[0].status == "failed" and summary[0].retry_at is not None

    broken = False
    retry = await app.delivery.run_pass(day_8 + timedelta(minutes=3))
    assert retry.wrap_ups == 1 and retry.sent == 0
    assert sum("Week 1 wrap-up" in text_of(r) for _, r in gateway.sent) == 1
    assert (await app.delivery.run_pass(day_8 + timedelta(minutes=30))).claimed == 0


async def test_the_runner_is_told_when_the_next_retry_or_lease_falls_due(app: App, clock: ManualClock) -> None:
    await subscribe(app, ["1"])
    gateway = RecordingGateway(failing=1)
    app.gateways.connected(gateway)
    assert (await app.delivery.run_pass(DUE)).failed == 1
    assert await app.delivery.next_wakeup(DUE) == DUE + timedelta(minutes=2)
    assert (await app.delivery.run_pass(DUE + timedelta(minutes=2))).sent == 1
    assert await app.delivery.next_wakeup(DUE + timedelta(minutes=2)) is None


async def test_a_platform_that_is_not_connected_keeps_its_pushes_due(
    app: App, clock: ManualClock, curriculum: Curriculum
) -> None:
    await subscribe(app, ["1"])
    other_platform = RecordingGateway(platform="elsewhere")
    app.gateways.connected(other_platform)
    report = await app.delivery.run_pass(DUE)
    assert report.claimed == 0 and report.failed == 0  # nothing claimed, no attempt burnt
    sub = await app.learners.chat(Address("test", "1"))
    assert sub is not None and next_push_at(sub) == DUE
    gateway = RecordingGateway()
    app.gateways.connected(gateway)
    assert (await app.delivery.run_pass(DUE + timedelta(minutes=5))).sent == 1


async def _claimed(app: App) -> bool:
    return any(row.status == "claimed" for row in await rows(app))


def _async(value: bool) -> Awaitable[bool]:
    future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    future.set_result(value)
    return future
