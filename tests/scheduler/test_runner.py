"""When pushes go out: at the minute they fall due (the runner wakes for it, not a tick later), and earliest due
first when many are due at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.bootstrap import App
from bot.core.clock import ManualClock
from bot.core.gateways import Gateways
from bot.core.model import Address
from bot.core.schedule import next_push_at
from curriculum.loader import Curriculum
from scheduler.delivery import DeliveryEngine, DeliveryPolicy
from scheduler.runner import DeliveryRunner
from tests.support import Chat, RecordingGateway


class RunningClock:
    """Real time, moved to start at a chosen instant: a due minute comes a moment from now."""

    def __init__(self, start: datetime) -> None:
        self.offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def due_of(app: App, chat_id: str) -> datetime:
    sub = await app.learners.chat(Address("test", chat_id))
    assert sub is not None
    due = next_push_at(sub)
    assert due is not None
    return due


async def test_a_push_goes_out_at_its_minute_not_at_the_next_tick(app: App, curriculum: Curriculum) -> None:
    await Chat(app, chat_id="1", user_id="1").say("/subscribe 08:00 UTC")
    due = await due_of(app, "1")
    clock = RunningClock(due - timedelta(seconds=1.5))
    gateway = RecordingGateway()
    engine = DeliveryEngine(app.store, clock, curriculum, Gateways(gateway))
    # An hour between ticks: only waking for the due minute gets the push out in time.
    runner = DeliveryRunner(engine, interval_seconds=3600)
    runner.start()
    try:
        for _ in range(100):
            if gateway.cards_to("1"):
                break
            await asyncio.sleep(0.05)
        sent_at = clock.now()
    finally:
        await runner.stop()
    assert gateway.cards_to("1"), "the push did not go out within 5 s of its minute"
    assert due <= sent_at <= due + timedelta(seconds=1.5)


async def test_the_chat_due_earliest_is_sent_first(app: App, clock: ManualClock, curriculum: Curriculum) -> None:
    # Subscribed first (so first by id), but due five minutes after the other.
    await Chat(app, chat_id="2", user_id="2").say("/subscribe 08:05 UTC")
    await Chat(app, chat_id="3", user_id="3").say("/subscribe 08:00 UTC")
    assert await due_of(app, "3") < await due_of(app, "2")
    gateway = RecordingGateway()
    engine = DeliveryEngine(app.store, clock, curriculum, Gateways(gateway), DeliveryPolicy(concurrency=1))
    # A pass that starts late (after downtime, or behind a long queue) finds both due.
    report = await engine.run_pass(await due_of(app, "2") + timedelta(minutes=1))
    assert report.sent == 2
    assert [chat for chat, _ in gateway.sent] == ["3", "2"]
