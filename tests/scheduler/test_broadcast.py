"""Announcements through the delivery ledger, on SQLite and PostgreSQL: one row per recipient, claimed by ordinary
passes, sent once each in the chat's language beside the day's push, however many announcements a day; filters by
platform and kind; chats that stop or vanish before their turn are settled, not left owed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.bootstrap import App
from bot.core.clock import ManualClock
from bot.core.model import ChatKind
from bot.core.ports import Lease
from bot.core.replies import TextReply
from bot.store.announcements import Audience, SqlAnnouncements
from bot.store.tables import DeliveryRow
from tests.support import Chat, RecordingGateway, text_of


async def subscribers(app: App) -> tuple[RecordingGateway, RecordingGateway]:
    """Test-platform DMs 1 (English) and 2 (Chinese), a group -3, a paused DM 4; one DM on a second platform."""
    gateway, other = RecordingGateway(), RecordingGateway(platform="other")
    app.gateways.connected(gateway)
    app.gateways.connected(other)
    await Chat(app, "1", "1", "Ada").say("/subscribe 08:00 UTC")
    await Chat(app, "2", "2", "Bo", hint="zh").say("/subscribe 08:00 UTC")
    gateway.admins.add(("-3", "9"))
    await Chat(app, "-3", "9", "Admin", kind=ChatKind.GROUP).say("/subscribe 08:00 UTC")
    paused = Chat(app, "4", "4", "Cy")
    await paused.say("/subscribe 08:00 UTC")
    await paused.say("/pause")
    await Chat(app, "5", "5", "Di", platform="other").say("/subscribe 08:00 UTC")
    await app.delivery.run_pass(app.clock.now() + timedelta(seconds=1))  # the group's day 1
    gateway.sent.clear()
    other.sent.clear()
    return gateway, other


def announcements_to(gateway: RecordingGateway) -> list[tuple[str, str]]:
    return [(chat, text_of(reply)) for chat, reply in gateway.sent if isinstance(reply, TextReply)]


async def test_each_active_chat_gets_each_announcement_once_beside_its_push(app: App, clock: ManualClock) -> None:
    gateway, other = await subscribers(app)
    store = SqlAnnouncements(app.store.engine)
    first = await store.create("Maintenance tonight <22:00> & back by 23:00", Audience(), clock.now())
    second = await store.create("Week 2 starts Monday", Audience(), clock.now())
    assert (first.recipients, second.recipients) == (4, 4)  # not the paused DM

    clock.set(clock.now() + timedelta(days=1, hours=8))  # 08:00 tomorrow: the day's pushes are due too
    report = await app.delivery.run_pass()
    assert (report.broadcasts, report.sent) == (8, 4)
    got = announcements_to(gateway)
    assert sorted(got) == sorted(
        [(chat, f"📢 Announcement\n\n{text}") for chat in ("1", "-3") for text in (first.text, second.text)]
        + [("2", f"📢 公告\n\n{text}") for text in (first.text, second.text)]
    )  # the operator's text as written: each platform's format code escapes it
    assert [chat for chat, _ in announcements_to(other)] == ["5", "5"]
    assert [c.plan_day for c in gateway.cards_to("1")] == [2]

    # Nothing is owed any more: later passes send nothing again.
    clock.set(clock.now() + timedelta(hours=1))
    assert (await app.delivery.run_pass()).broadcasts == 0
    progress = await store.progress(first.id)
    assert (progress.recipients, progress.sent, progress.to_send) == (4, 4, 0)


async def test_an_announcement_to_one_platform_and_kind(app: App, clock: ManualClock) -> None:
    gateway, other = await subscribers(app)
    store = SqlAnnouncements(app.store.engine)
    audience = Audience("test", ChatKind.PRIVATE)
    assert await store.audience(audience) == {("test", "private"): 2}
    made = await store.create("DMs only", audience, clock.now())
    await app.delivery.run_pass()
    assert sorted(chat for chat, _ in announcements_to(gateway)) == ["1", "2"]
    assert announcements_to(other) == []
    # The same text to the same chats is found again (the command continues it); to others it is another one.
    assert await store.same("DMs only", audience) == made
    assert await store.same("DMs only", Audience("test")) is None


async def test_chats_that_stop_or_vanish_before_their_turn_are_settled(app: App, clock: ManualClock) -> None:
    gateway, _ = await subscribers(app)
    store = SqlAnnouncements(app.store.engine)
    made = await store.create("Hello all", Audience("test"), clock.now())
    await Chat(app, "1", "1", "Ada").say("/unsubscribe")  # before any pass
    gateway.unreachable.add("2")  # blocked the bot
    await app.delivery.run_pass()
    progress = await store.progress(made.id)
    # Ada's row is never claimed (a pass claims only active chats') until it is settled as skipped.
    assert (progress.sent, progress.failed, progress.claimed) == (1, 1, {"test": 1})
    await store.drop_unsubscribed(made.id, clock.now())
    progress = await store.progress(made.id)
    assert (progress.sent, progress.failed, progress.skipped, progress.to_send) == (1, 1, 1, 0)
    # Resubscribing later does not bring the old announcement back.
    await Chat(app, "1", "1", "Ada").say("/subscribe 08:00 UTC")
    await app.delivery.run_pass()
    assert [chat for chat, _ in announcements_to(gateway)] == ["-3"]


async def test_a_failed_send_is_retried_by_a_later_pass_and_counted_until_then(app: App, clock: ManualClock) -> None:
    gateway, _ = await subscribers(app)
    store = SqlAnnouncements(app.store.engine)
    made = await store.create("Retry me", Audience("test", ChatKind.GROUP), clock.now())
    gateway.failing = 1
    await app.delivery.run_pass()
    progress = await store.progress(made.id)
    assert (progress.sent, progress.retrying, progress.to_send) == (0, 1, 1)
    clock.set(clock.now() + timedelta(minutes=5))
    await app.delivery.run_pass()
    assert announcements_to(gateway) == [("-3", "📢 Announcement\n\nRetry me")]
    assert (await store.progress(made.id)).sent == 1
    async with app.store.engine.connect() as connection:
        rows = await connection.scalar(select(func.count()).where(DeliveryRow.ref == made.id))
    assert rows == 1


async def test_a_fleet_send_job_takes_each_announcement_over_on_its_own(app: App, clock: ManualClock) -> None:
    await subscribers(app)
    store = SqlAnnouncements(app.store.engine)
    audience = Audience("test", ChatKind.PRIVATE)
    made = [await store.create(text, audience, clock.now()) for text in ("One", "Two")]
    now = clock.now() + timedelta(seconds=1)
    ledger = app.store.ledger
    # The fleet's planner claims them as owed under a ticket; a send job takes the ticket's claims over.
    claimed = await ledger.claim_owed(now, 500, {"test"}, Lease("ticket", now + timedelta(seconds=30)))
    ids = [claim.delivery.id for claim in claimed]
    taken = await ledger.take_over(ids, "ticket", Lease("job", now + timedelta(seconds=30)), now)
    assert sorted((c.subscription.address.chat_id, c.delivery.ref) for c in taken) == sorted(
        (chat, a.id) for chat in ("1", "2") for a in made
    )
    assert all(c.wrap_up is None for c in taken)
