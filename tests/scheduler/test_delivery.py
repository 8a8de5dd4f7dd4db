"""The delivery pass: pushes at local time, once per local day, through crashes, faults and downtime."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.bootstrap import App, bootstrap
from bot.core.clock import ManualClock
from bot.core.gateways import Gateways
from bot.core.replies import TopicCard
from bot.settings import Settings
from bot.store.store import SqlStore
from bot.store.tables import DeliveryRow
from curriculum.loader import Curriculum
from scheduler.delivery import DeliveryEngine, DeliveryPolicy
from tests.support import Chat, RecordingGateway

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def gateway_for(app: App) -> RecordingGateway:
    gateway = RecordingGateway()
    app.gateways.connected(gateway)
    return gateway


async def test_push_arrives_at_local_time_once(app: App, clock: ManualClock) -> None:
    gateway = gateway_for(app)
    await Chat(app).say("/subscribe 08:30 Asia/Shanghai")  # day 1 comes with the confirmation
    tomorrow_0830 = datetime(2026, 3, 3, 0, 30, tzinfo=UTC)
    assert (await app.delivery.run_pass(tomorrow_0830 - timedelta(minutes=1))).sent == 0
    report = await app.delivery.run_pass(tomorrow_0830)
    assert report.sent == 1
    assert [c.plan_day for c in gateway.cards_to("100")] == [2]
    assert (await app.delivery.run_pass(tomorrow_0830 + timedelta(minutes=5))).sent == 0
    assert len(gateway.sent) == 1


async def test_a_week_of_passes_sends_one_topic_a_day_in_order(app: App, clock: ManualClock) -> None:
    gateway = gateway_for(app)
    await Chat(app).say("/subscribe 07:00 UTC")
    instant = clock.now()
    for _ in range((7 * 24 + 8) * 2):  # every 30 minutes until 08:00 a week later
        instant += timedelta(minutes=30)
        clock.set(instant)
        await app.delivery.run_pass()
    assert [c.plan_day for c in gateway.cards_to("100")] == [2, 3, 4, 5, 6, 7, 8]


async def test_pushes_follow_local_time_across_dst_in_new_york(app: App, clock: ManualClock) -> None:
    gateway = gateway_for(app)
    clock.set(datetime(2026, 3, 6, 15, 0, tzinfo=UTC))
    await Chat(app).say("/subscribe 07:00 America/New_York")
    sent_at: list[datetime] = []
    instant = clock.now()
    for _ in range(5 * 24 * 4):  # every 15 minutes through the DST weekend
        instant += timedelta(minutes=15)
        if (await app.delivery.run_pass(instant)).sent:
            sent_at.append(instant)
    assert [s.hour for s in sent_at] == [12, 11, 11, 11, 11]  # 07:00 EST (UTC-5), then 07:00 EDT (UTC-4)
    assert len(gateway.sent) == 5


async def test_pushes_follow_local_time_across_dst_in_london(app: App, clock: ManualClock) -> None:
    gateway_for(app)
    clock.set(datetime(2026, 10, 23, 12, 0, tzinfo=UTC))
    await Chat(app).say("/subscribe 01:30 Europe/London")  # 01:30 happens twice on Sun 25 Oct
    sent_at = []
    instant = clock.now()
    for _ in range(4 * 24 * 4):
        instant += timedelta(minutes=15)
        if (await app.delivery.run_pass(instant)).sent:
            sent_at.append(instant)
    assert sent_at == [
        datetime(2026, 10, 24, 0, 30, tzinfo=UTC),  # BST
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # the first 01:30, still BST
        datetime(2026, 10, 26, 1, 30, tzinfo=UTC),  # GMT
        datetime(2026, 10, 27, 1, 30, tzinfo=UTC),
    ]


async def test_two_processes_passing_at_once_send_each_push_once(
    app: App, settings: Settings, clock: ManualClock, curriculum: Curriculum
) -> None:
    other = await bootstrap(settings, clock=clock, curriculum=curriculum, migrate=False)
    try:
        shared = RecordingGateway()
        app.gateways.connected(shared)
        other.gateways.connected(shared)
        for n in range(40):
            await Chat(app, chat_id=str(1000 + n), user_id=str(1000 + n)).say("/subscribe 09:00 UTC")
        due = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
        reports = await asyncio.gather(
            app.delivery.run_pass(due), other.delivery.run_pass(due), app.delivery.run_pass(due)
        )
        assert sum(r.sent for r in reports) == 40
        chats = [chat for chat, _ in shared.sent]
        assert len(chats) == 40 and len(set(chats)) == 40
    finally:
        await other.close()


async def test_late_push_within_grace_still_goes_out(app: App, clock: ManualClock) -> None:
    gateway = gateway_for(app)
    await Chat(app).say("/subscribe 08:00 UTC")
    back_up = datetime(2026, 3, 3, 13, 0, tzinfo=UTC)  # 5 hours late, grace is 6
    report = await app.delivery.run_pass(back_up)
    assert report.sent == 1 and [c.plan_day for c in gateway.cards_to("100")] == [2]


async def test_push_older_than_grace_is_skipped_and_tomorrow_is_normal(app: App, clock: ManualClock) -> None:
    gateway = gateway_for(app)
    chat = Chat(app)
    await chat.say("/subscribe 08:00 UTC")
    back_up = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # 7 hours late
    clock.set(back_up)
    report = await app.delivery.run_pass()
    assert report.sent == 0 and report.skipped == 1
    assert "Day 2/140" in await chat.say("/today")  # the topic stays reachable
    assert (await app.delivery.run_pass(datetime(2026, 3, 4, 8, 0, tzinfo=UTC))).sent == 1
    assert [c.plan_day for c in gateway.cards_to("100")] == [3]


async def test_after_days_of_downtime_only_the_latest_push_goes_out(app: App, clock: ManualClock) -> None:
    gateway = gateway_for(app)
    await Chat(app).say("/subscribe 08:00 UTC")
    report = await app.delivery.run_pass(datetime(2026, 3, 6, 9, 0, tzinfo=UTC))  # down since the 3rd
    assert report.sent == 1
    assert [c.plan_day for c in gateway.cards_to("100")] == [5]
    assert (await app.delivery.run_pass(datetime(2026, 3, 6, 20, 0, tzinfo=UTC))).sent == 0


async def test_failed_send_is_retried_on_a_later_pass(app: App, clock: ManualClock) -> None:
    gateway = gateway_for(app)
    await Chat(app).say("/subscribe 08:00 UTC")
    gateway.failing = 1
    due = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    first = await app.delivery.run_pass(due)
    assert first.failed == 1 and gateway.sent == []
    assert (await app.delivery.run_pass(due + timedelta(minutes=1))).sent == 0  # not before the retry delay
    retry = await app.delivery.run_pass(due + timedelta(minutes=3))
    assert retry.sent == 1 and len(gateway.cards_to("100")) == 1


async def test_blocked_chat_is_deactivated_and_left_alone(app: App, clock: ManualClock) -> None:
    gateway = gateway_for(app)
    chat = Chat(app)
    await chat.say("/subscribe 08:00 UTC")
    gateway.unreachable.add("100")
    report = await app.delivery.run_pass(datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    assert report.deactivated == 1
    assert "not subscribed" in await chat.say("/settings")
    gateway.unreachable.clear()
    assert (await app.delivery.run_pass(datetime(2026, 3, 4, 8, 0, tzinfo=UTC))).claimed == 0
    clock.set(datetime(2026, 3, 4, 9, 0, tzinfo=UTC))
    assert "Welcome back" in await chat.say("/start")  # unblocked: /start turns the pushes back on
    assert "Status: subscribed" in await chat.say("/settings")


async def test_pushes_stop_after_the_last_day(app: App, clock: ManualClock, curriculum: Curriculum) -> None:
    gateway = gateway_for(app)
    await Chat(app).say("/subscribe 08:00 UTC")
    last = datetime(2026, 3, 2, 8, 0, tzinfo=UTC) + (curriculum.total_days - 1) * DAY
    clock.set(last - HOUR)
    await app.delivery.run_pass()  # a catch-up skip brings the due time to the last day
    assert (await app.delivery.run_pass(last)).sent == 1
    cards = gateway.cards_to("100")
    assert isinstance(cards[-1], TopicCard) and cards[-1].plan_day == curriculum.total_days
    report = await app.delivery.run_pass(last + DAY)
    assert report.sent == 0 and report.finished == 1
    assert (await app.delivery.run_pass(last + 2 * DAY)).claimed == 0


class Crash(BaseException):
    """Stands for the process dying (kill -9, power cut) in the middle of a send."""


async def test_a_crash_mid_pass_neither_repeats_nor_loses_pushes(
    app: App, settings: Settings, clock: ManualClock, curriculum: Curriculum
) -> None:
    for n in range(6):
        await Chat(app, chat_id=str(10 + n), user_id=str(10 + n)).say("/subscribe 08:00 UTC")
    crashing = RecordingGateway()
    sent_before_crash = 2
    cut_off: list[str] = []

    async def crash_on_the_third(chat_id: str) -> None:
        if len(crashing.sent) == sent_before_crash:
            cut_off.append(chat_id)
            raise Crash  # the third send dies with the process: it may or may not have reached the chat

    crashing.on_the_wire = crash_on_the_third
    # Two senders at once: at the crash, the one that died and at most one more are in flight.
    two_senders = DeliveryEngine(app.store, clock, curriculum, Gateways(crashing), DeliveryPolicy(concurrency=2))
    due = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    with pytest.raises(Crash):
        await two_senders.run_pass(due)

    restarted = await bootstrap(settings, clock=clock, curriculum=curriculum, migrate=False)
    try:
        after = RecordingGateway()
        restarted.gateways.connected(after)
        assert (await restarted.delivery.run_pass(due + timedelta(seconds=10))).sent == 0  # claims still leased
        assert await restarted.delivery.next_wakeup(due + timedelta(seconds=10)) == due + timedelta(seconds=30)
        report = await restarted.delivery.run_pass(due + timedelta(seconds=31))
        statuses = await delivery_statuses(restarted, plan_day=2)
    finally:
        await restarted.close()
    chats_before = {c for c, _ in crashing.sent}
    chats_after = {c for c, _ in after.sent}
    assert len(chats_before) == 2 and not chats_before & chats_after  # nobody gets a day twice
    assert cut_off[0] not in chats_after  # the one cut off mid-send is not sent again...
    # ...and everything never tried goes out after the restart: all but what the two senders had in flight.
    assert report.sent == len(chats_after) >= 6 - 2 - 2
    # Nothing is left claimed or failed: each day-2 push went out or is marked unknown (a send cut off, or one
    # that went out while its record waited for the next commit).
    assert set(statuses) == {"sent", "unknown"} and sum(statuses.values()) == 6
    assert statuses["sent"] >= len(chats_after)


async def delivery_statuses(app: App, plan_day: int) -> dict[str, int]:
    assert isinstance(app.store, SqlStore)
    async with app.store.engine.connect() as connection:
        query = select(DeliveryRow.status, func.count()).where(DeliveryRow.plan_day == plan_day)
        rows = await connection.execute(query.group_by(DeliveryRow.status))
        return {status: count for status, count in rows}


async def test_stopping_releases_the_rest_of_the_pass_to_the_next_one(
    app: App, settings: Settings, clock: ManualClock, curriculum: Curriculum
) -> None:
    chats = {str(20 + n) for n in range(6)}
    for chat in chats:
        await Chat(app, chat_id=chat, user_id=chat).say("/subscribe 08:00 UTC")
    gateway = RecordingGateway()
    engine = DeliveryEngine(app.store, clock, curriculum, Gateways(gateway), DeliveryPolicy(concurrency=2))

    on_the_wire: list[str] = []
    both = asyncio.Event()

    async def stop(chat_id: str) -> None:
        # SIGTERM arrives while the first two pushes are on the wire: the first waits there for the second, which
        # might otherwise still be claiming ahead when the first's request ends and the stop comes.
        on_the_wire.append(chat_id)
        if len(on_the_wire) == 2:
            engine.stop()
            both.set()
        await both.wait()

    gateway.on_the_wire = stop
    due = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    report = await engine.run_pass(due)
    assert report.sent == 2 and report.released == 4
    assert await delivery_statuses(app, plan_day=2) == {"sent": 2, "claimed": 4}

    successor = await bootstrap(settings, clock=clock, curriculum=curriculum, migrate=False)
    try:
        after = gateway_for(successor)
        # Handed back, not left to a lease: the next pass sends them at once, as first attempts.
        assert (await successor.delivery.run_pass(due + timedelta(seconds=5))).sent == 4
    finally:
        await successor.close()
    assert {c for c, _ in gateway.sent} | {c for c, _ in after.sent} == chats
    assert len(gateway.sent) + len(after.sent) == 6


async def test_a_chat_waiting_for_its_slot_holds_up_no_one_across_batches(
    app: App, clock: ManualClock, curriculum: Curriculum
) -> None:
    for n in range(7):
        await Chat(app, chat_id=str(30 + n), user_id=str(30 + n)).say("/subscribe 08:00 UTC")
    gateway = RecordingGateway()
    others_sent = asyncio.Event()

    async def slot(chat_id: str) -> None:
        if chat_id == "30":
            await others_sent.wait()  # as a group waits ~3 s for its next per-group slot
        elif len(gateway.sent) == 5:
            others_sent.set()  # this one is the sixth

    gateway.waiting = slot
    # Batches of 3 with 2 senders: the other 6 pushes, in later batches, go out while chat 30 waits.
    engine = DeliveryEngine(app.store, clock, curriculum, Gateways(gateway), DeliveryPolicy(batch=3, concurrency=2))
    report = await asyncio.wait_for(engine.run_pass(datetime(2026, 3, 3, 8, 0, tzinfo=UTC)), timeout=10)
    assert report.sent == 7 and report.claimed == 7
    assert [chat for chat, _ in gateway.sent][-1] == "30"


async def test_a_backlog_of_late_pushes_larger_than_a_batch_is_all_skipped_in_one_pass(
    app: App, clock: ManualClock, curriculum: Curriculum
) -> None:
    for n in range(5):
        await Chat(app, chat_id=str(40 + n), user_id=str(40 + n)).say("/subscribe 08:00 UTC")
    engine = DeliveryEngine(app.store, clock, curriculum, Gateways(RecordingGateway()), DeliveryPolicy(batch=2))
    report = await engine.run_pass(datetime(2026, 3, 3, 15, 0, tzinfo=UTC))  # 7 hours late, grace is 6
    assert report.skipped == 5 and report.due == 5 and report.sent == 0
    assert (await engine.run_pass(datetime(2026, 3, 4, 8, 0, tzinfo=UTC))).sent == 5  # and tomorrow is normal
