"""The gentle nudge: one a day at most, through the delivery ledger, never after 22:00 local time, and never once the
day's /done came (also when it comes between the pass's claim and the send)."""

from __future__ import annotations

from sqlalchemy import select

from bot.bootstrap import App
from bot.core.clock import ManualClock
from bot.core.gateways import Gateways
from bot.store.tables import DeliveryRow
from curriculum.loader import Curriculum
from scheduler.delivery import DeliveryEngine, DeliveryPolicy
from tests.core.test_habits import at, day_at, learner, sent_texts
from tests.support import Chat, RecordingGateway


def nudges(gateway: RecordingGateway, chat: str = "100") -> list[str]:
    return [text for (to, _), text in zip(gateway.sent, sent_texts(gateway), strict=True)
            if to == chat and "gentle nudge" in text]  # fmt: skip


async def nudge_rows(app: App) -> list[tuple[str, str]]:
    async with app.store.unit() as uow:
        rows = await uow.session.execute(select(DeliveryRow.local_date, DeliveryRow.status)
                                         .where(DeliveryRow.kind == "nudge").order_by(DeliveryRow.id))  # fmt: skip
        return [(str(day), status) for day, status in rows.all()]


async def test_a_nudge_comes_once_when_the_day_is_not_done(app: App, clock: ManualClock) -> None:
    chat, gateway = await learner(app)
    assert "Nudge on: at 11:00" in await chat.say("/nudge on")  # three hours after the 08:00 push
    assert "Nudge: 11:00" in await chat.say("/settings")
    await day_at(app, clock, at(3))  # day 2 comes
    await day_at(app, clock, at(3, 11))
    assert nudges(gateway) == [next(t for t in sent_texts(gateway) if "gentle nudge" in t)]
    assert "day 2" in nudges(gateway)[0]
    await day_at(app, clock, at(3, 11, 30))  # another pass the same day: no second nudge
    assert len(nudges(gateway)) == 1 and await nudge_rows(app) == [("2026-03-03", "sent")]


async def test_no_nudge_after_the_days_done(app: App, clock: ManualClock) -> None:
    chat, gateway = await learner(app)
    await chat.say("/nudge on")
    await day_at(app, clock, at(3))
    clock.set(at(3, 9))
    await chat.say("/done")
    sub = await app.learners.chat(chat.address)
    assert sub is not None and sub.next_due_at == at(4)  # the nudge is off today's schedule
    await day_at(app, clock, at(3, 11))
    assert nudges(gateway) == [] and await nudge_rows(app) == []


async def test_a_done_between_the_claim_and_the_send_cancels_the_nudge(
    app: App, clock: ManualClock, curriculum: Curriculum
) -> None:
    gateway = RecordingGateway()
    app.gateways.connected(gateway)
    ada, bo = Chat(app, chat_id="1", user_id="1"), Chat(app, chat_id="2", user_id="2", user_name="Bo")
    for chat in (ada, bo):
        await chat.say("/subscribe 08:00 UTC")
        await chat.say("/nudge on")
    await day_at(app, clock, at(3))
    clock.set(at(3, 11))

    async def bo_is_done_meanwhile(chat_id: str) -> None:
        if chat_id == "1":  # both nudges are claimed; while Ada's goes out, Bo marks his day
            await bo.say("/done")

    gateway.waiting = bo_is_done_meanwhile
    engine = DeliveryEngine(app.store, clock, curriculum, Gateways(gateway), DeliveryPolicy(concurrency=1))
    report = await engine.run_pass(at(3, 11))
    assert report.claimed == 2 and report.personal == 1
    assert nudges(gateway, "1") and not nudges(gateway, "2")
    assert sorted(await nudge_rows(app)) == [("2026-03-03", "sent"), ("2026-03-03", "skipped")]


async def test_never_after_22_00_and_never_before_the_push(app: App, clock: ManualClock) -> None:
    chat, gateway = await learner(app, "/subscribe 20:00 UTC")
    assert "22:00" in await chat.say("/nudge on")  # three hours after 20:00 would be 23:00: 22:00 at the latest
    assert "never come after 22:00" in await chat.say("/nudge 22:30")
    assert "after the day's topic (20:00)" in await chat.say("/nudge 19:00")
    assert "Nudge on: at 21:15" in await chat.say("/nudge 21:15")
    await day_at(app, clock, at(3, 20))
    # The process was down all evening: at 22:30 the nudge's time has passed and quiet hours began.
    await day_at(app, clock, at(3, 22, 30))
    assert nudges(gateway) == [] and await nudge_rows(app) == []
    await day_at(app, clock, at(4, 20))
    await day_at(app, clock, at(4, 21, 15))
    assert len(nudges(gateway)) == 1


async def test_nudges_are_a_dms_own(app: App, clock: ManualClock) -> None:
    chat, _ = await learner(app)
    assert "Nudge: off" in await chat.say("/settings")  # off until asked for
    assert "Nudges off" in await chat.say("/nudge off")
    group = Chat(app, chat_id="-5", user_id="1", kind=chat.kind.GROUP)
    assert "in a DM" in await group.say("/nudge on")
