"""Studying together on Discord, through the real discord.py client and the fake Discord server: two servers with
overlapping members, admins and members, the live count on a push, the weekly wrap-up at the channel's own week
boundary, and a server that removes the bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.adapters.discord import DiscordAdapter
from bot.bootstrap import App
from bot.core.clock import ManualClock
from curriculum.loader import Curriculum
from scheduler.runner import DeliveryRunner
from tests.adapters.discord_support import (
    ask,
    author,
    chosen,
    content,
    ephemeral,
    eventually,
    footer,
    pushes,
    serving,
    subscription,
)
from tests.fakes.discord_payloads import (
    DEFAULT_EVERYONE,
    EPHEMERAL,
    MANAGE_CHANNELS,
    MANAGE_GUILD,
    RecordedRequest,
    StoredMessage,
)
from tests.fakes.discord_server import FakeDiscord

ALICE = 700000000000000011  # Manage Channels in the Study Hall; a plain member of the Night Owls
BO = 700000000000000012  # a plain member of the Study Hall; Manage Server in the Night Owls
CY = 700000000000000013  # Manage Server and Channels in the Study Hall, not a member of the Night Owls
DEE, FAY, GUS = 700000000000000014, 700000000000000015, 700000000000000016  # Study Hall members only
EVE = 700000000000000017  # a Night Owls member only
HALL, OWLS = 800000000000000011, 800000000000000012
GENERAL, NEST = 810000000000000011, 810000000000000012  # each server's study channel
THREAD = 820000000000000011  # a study thread under the Hall's general channel
SEND_MESSAGES_IN_THREADS = 1 << 38
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
REFUSED = "Only this group's admins"
A_MOMENT = timedelta(seconds=3)  # between two members finishing, so the card lists them in that order


def _guilds(server: FakeDiscord) -> None:
    server.add_guild(
        HALL,
        "Study Hall",
        channels=[(GENERAL, "general")],
        members=[(ALICE, "Alice", MANAGE_CHANNELS), (BO, "Bo", 0), (CY, "Cy", MANAGE_GUILD | MANAGE_CHANNELS),
                 (DEE, "Dee", 0), (FAY, "Fay", 0), (GUS, "Gus", 0)],
        bot_permissions=DEFAULT_EVERYONE | SEND_MESSAGES_IN_THREADS,
    )  # fmt: skip
    server.add_thread(HALL, THREAD, GENERAL, "week-1")
    server.add_guild(
        OWLS, "Night Owls", channels=[(NEST, "nest")], members=[(BO, "Bo", MANAGE_GUILD | MANAGE_CHANNELS),
                                                                (ALICE, "Alice", 0), (EVE, "Eve", 0)],
    )  # fmt: skip


@pytest.fixture
async def dc() -> AsyncIterator[FakeDiscord]:
    async with serving(_guilds) as server:
        yield server


async def subscribed(app: App, dc: FakeDiscord, channel: int, admin: int, time: str, zone: str) -> StoredMessage:
    """`admin` subscribes `channel`; the delivery pass then pushes day 1 there, which is returned."""
    answer = await ask(dc, "subscribe", {"time": time, "zone": zone}, user_id=admin, channel_id=channel)
    assert "Subscribed" in await content(answer) and not await ephemeral(answer)
    await app.delivery.run_pass()
    [push] = pushes(dc, channel)
    assert author(push).startswith("📅 Day 1/140")
    return push


async def press(dc: FakeDiscord, push: StoredMessage, user: int) -> str:
    """`user` presses the push's ✅ Done; returns the answer, which only they see."""
    [button] = [custom_id for custom_id in push.custom_ids if custom_id.startswith("studybot:done:")]
    answer = await (await dc.press_button(button, push.id, user_id=user)).response()
    assert answer["data"]["flags"] & EPHEMERAL
    return str(answer["data"]["content"])


async def done(dc: FakeDiscord, channel: int, user: int) -> str:
    return await content(await ask(dc, "done", user_id=user, channel_id=channel))


def edits_of(dc: FakeDiscord, message: StoredMessage) -> list[RecordedRequest]:
    path = f"/channels/{message.channel_id}/messages/{message.id}"
    return [r for r in dc.requests if r.method == "PATCH" and r.path == path]


def los_angeles(day: int, hour: int = 20) -> datetime:
    """`hour`:00 on `day` March 2026 in Los Angeles, as UTC."""
    return datetime(2026, 3, day, hour, 0, tzinfo=LOS_ANGELES).astimezone(UTC)


async def test_two_servers_with_overlapping_members_each_see_only_their_own(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord, clock: ManualClock
) -> None:
    await ask(dc, "subscribe", {"time": "08:00", "zone": "UTC"}, user_id=BO)  # Bo's own DM, for his streak
    hall = await subscribed(app, dc, GENERAL, ALICE, "20:00", "Europe/London")
    nest = await subscribed(app, dc, NEST, BO, "07:00", "Asia/Tokyo")
    for user in (ALICE, CY):
        clock.advance(A_MOMENT)
        assert "Day 1 done" in await press(dc, hall, user)
    clock.advance(A_MOMENT)
    assert "Day 1 done" in await done(dc, GENERAL, BO)
    assert "Day 1 done" in await done(dc, NEST, BO)
    clock.advance(A_MOMENT)
    assert "Day 1 done" in await press(dc, nest, EVE)
    assert await app.live.flush() == 2
    assert footer(dc.messages[hall.id]) == "✅ Done so far (3): Alice, Cy, Bo"
    # Alice is in both servers but finished in the Hall only; Bo finished in both.
    assert footer(dc.messages[nest.id]) == "✅ Done so far (2): Bo, Eve"

    owls_board = await content(await ask(dc, "leaderboard", user_id=ALICE, channel_id=NEST))
    assert "Bo · 1/7" in owls_board and "Eve · 1/7" in owls_board
    assert "Alice" not in owls_board and "Cy" not in owls_board
    overview = await ask(dc, "members", user_id=BO, channel_id=NEST)
    text = await content(overview)
    assert await ephemeral(overview) and "Members (2)" in text and "Bo: 1 day ·" in text and "Eve: 1 day ·" in text
    assert "Alice" not in text and "Cy" not in text
    hall_board = await content(await ask(dc, "leaderboard", user_id=BO, channel_id=GENERAL))
    assert "Alice · 1/7" in hall_board and "Cy · 1/7" in hall_board and "Eve" not in hall_board

    # One day done in two servers is one day of Bo's personal streak.
    streak = await ask(dc, "streak", user_id=BO)
    assert "Streak: 1 day (longest 1)" in await content(streak) and not await ephemeral(streak)
    clock.advance(timedelta(days=1))
    assert "Day 2 done" in await done(dc, NEST, BO)
    assert "Streak: 2 days" in await content(await ask(dc, "streak", user_id=BO))
    # In the Hall he sees the Hall's record alone, and only he sees it.
    in_hall = await ask(dc, "streak", user_id=BO, channel_id=GENERAL)
    assert "Streak: 1 day (longest 1)" in await content(in_hall) and await ephemeral(in_hall)


ADMIN_COMMANDS: list[tuple[str, dict[str, Any] | None]] = [
    ("subscribe", {"time": "06:00"}),
    ("time", {"time": "06:00"}),
    ("timezone", {"zone": "Asia/Tokyo"}),
    ("lang", {"language": "zh"}),
    ("pause", None),
    ("resume", None),
    ("unsubscribe", None),
    ("members", None),
    ("mark", {"member": str(DEE), "day": 1}),
    ("unmark", {"member": str(CY), "day": 1}),
    ("forget", None),
]


async def test_members_without_manage_rights_are_refused_privately_and_nothing_changes(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord
) -> None:
    for name, options in ADMIN_COMMANDS:
        if name != "forget":  # every member sees /forget, for /forget me
            with pytest.raises(PermissionError):  # not even in Bo's menu
                await ask(dc, name, options, user_id=BO, channel_id=GENERAL, resolved=chosen(dc, HALL, CY, DEE))
        dc.allow_command(HALL, name)  # the Hall's admins show every command to everyone: the bot still refuses
    first = await ask(dc, "subscribe", {"time": "20:00"}, user_id=BO, channel_id=GENERAL)
    assert REFUSED in await content(first) and await ephemeral(first)
    assert pushes(dc, GENERAL) == [] and (await app.delivery.run_pass()).claimed == 0
    push = await subscribed(app, dc, GENERAL, ALICE, "20:00", "Europe/London")
    await press(dc, push, CY)
    before = await subscription(app, GENERAL)
    for name, options in ADMIN_COMMANDS:
        answer = await ask(dc, name, options, user_id=BO, channel_id=GENERAL, resolved=chosen(dc, HALL, CY, DEE))
        assert REFUSED in await content(answer) and await ephemeral(answer), name
    assert await subscription(app, GENERAL) == before
    # Alice manages the Hall's channels; in the Night Owls she is a member like any other.
    await subscribed(app, dc, NEST, BO, "07:00", "Asia/Tokyo")
    with pytest.raises(PermissionError):  # not in her menu there
        await ask(dc, "time", {"time": "06:00"}, user_id=ALICE, channel_id=NEST)

    # Only an admin corrects a record, and the trail says who did it.
    marked = await ask(dc, "mark", {"member": str(DEE), "day": 1}, user_id=CY, channel_id=GENERAL,
                       resolved=chosen(dc, HALL, DEE))  # fmt: skip
    assert "Marked day 1 done for Dee" in await content(marked) and not await ephemeral(marked)
    overview = await ask(dc, "members", user_id=ALICE, channel_id=GENERAL)
    text = await content(overview)
    assert await ephemeral(overview) and "Cy marked day 1 done for Dee" in text
    assert "Cy: 1 day ·" in text and "Dee: 1 day ·" in text and "unmarked" not in text  # Bo's attempts left no trace
    assert "choose the member" in text  # Discord's /mark picks the member; nobody replies to messages here
    await done(dc, NEST, EVE)
    owls = await content(await ask(dc, "members", user_id=BO, channel_id=NEST))
    assert "Eve: 1 day ·" in owls and "Cy" not in owls and "Dee" not in owls  # nor does the Hall's trail


async def test_an_admins_changes_take_effect_from_the_next_push(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord, clock: ManualClock
) -> None:
    await subscribed(app, dc, GENERAL, ALICE, "20:00", "Europe/London")  # day 1 went out at 00:00 in London
    changed = await ask(dc, "time", {"time": "07:30"}, user_id=ALICE, channel_id=GENERAL)
    assert "07:30 (Europe/London)" in await content(changed) and not await ephemeral(changed)
    moved = await ask(dc, "timezone", {"zone": "Asia/Tokyo"}, user_id=ALICE, channel_id=GENERAL)
    assert "Asia/Tokyo" in await content(moved) and not await ephemeral(moved)
    tokyo_morning = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # 07:30 on 3 March in Tokyo
    for too_early in (datetime(2026, 3, 2, 20, 0, tzinfo=UTC), tokyo_morning - timedelta(minutes=1)):
        assert (await app.delivery.run_pass(too_early)).claimed == 0
    assert (await app.delivery.run_pass(tokyo_morning)).sent == 1
    assert author(pushes(dc, GENERAL)[-1]).startswith("📅 Day 2/140")

    clock.set(tokyo_morning + timedelta(hours=1))
    paused = await ask(dc, "pause", user_id=CY, channel_id=GENERAL)  # any admin of the channel, not only Alice
    assert "Paused" in await content(paused) and not await ephemeral(paused)
    assert (await app.delivery.run_pass(tokyo_morning + timedelta(days=1))).claimed == 0

    clock.set(tokyo_morning + timedelta(days=1, hours=2))
    with pytest.raises(PermissionError):
        await ask(dc, "resume", user_id=BO, channel_id=GENERAL)
    dc.guilds[HALL].grant(BO, MANAGE_CHANNELS)  # rights are read from each interaction, not remembered
    resumed = await ask(dc, "resume", user_id=BO, channel_id=GENERAL)
    assert "Resumed" in await content(resumed)
    assert (await app.delivery.run_pass()).sent == 1
    assert author(pushes(dc, GENERAL)[-1]).startswith("📅 Day 3/140")
    chinese = await ask(dc, "lang", {"language": "zh"}, user_id=BO, channel_id=GENERAL)
    assert "中文" in await content(chinese)
    assert (await app.delivery.run_pass(tokyo_morning + timedelta(days=2))).sent == 1
    assert author(pushes(dc, GENERAL)[-1]).startswith("📅 第 4/140 天")

    stopped = await ask(dc, "unsubscribe", user_id=ALICE, channel_id=GENERAL)
    assert "不再" in await content(stopped) and not await ephemeral(stopped)
    assert (await app.delivery.run_pass(tokyo_morning + timedelta(days=3))).claimed == 0
    assert len(pushes(dc, GENERAL)) == 4


async def test_the_push_shows_who_has_finished_edited_in_place_in_batches(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord, clock: ManualClock
) -> None:
    push = await subscribed(app, dc, GENERAL, ALICE, "20:00", "Europe/London")
    assert footer(push) == "Each of you: press ✅ Done when you have finished."
    assert "Day 1 done" in await press(dc, push, BO)
    clock.advance(A_MOMENT)
    assert "Day 1 done" in await press(dc, push, CY)
    assert "Already done" in await press(dc, push, BO)
    clock.advance(A_MOMENT)
    assert "Day 1 done" in await done(dc, GENERAL, ALICE)
    assert edits_of(dc, push) == []  # presses are answered privately; the card waits for the next flush
    assert await app.live.flush() == 1
    assert len(edits_of(dc, push)) == 1
    assert footer(dc.messages[push.id]) == "✅ Done so far (3): Bo, Cy, Alice"
    assert dc.messages[push.id].custom_ids == ["studybot:done:1", "studybot:week"]  # still there for the others
    assert len(pushes(dc, GENERAL)) == 1
    assert await app.live.flush() == 0 and len(edits_of(dc, push)) == 1

    # In a running bot the flush comes every few seconds: presses in quick succession share an edit.
    runner = DeliveryRunner(app.delivery, 3600, app.live, live_seconds=1.0)
    runner.start()
    try:
        toasts = await asyncio.gather(*(press(dc, push, user) for user in (DEE, FAY, GUS)))
        assert all("Day 1 done" in toast for toast in toasts)

        async def all_shown() -> bool:
            return footer(dc.messages[push.id]).startswith("✅ Done so far (6): Bo, Cy, Alice, ")

        await eventually(all_shown)
    finally:
        await runner.stop()
    assert 2 <= len(edits_of(dc, push)) < 4


async def test_the_weekly_wrap_up_comes_once_at_the_channels_own_week_boundary(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord, clock: ManualClock, curriculum: Curriculum
) -> None:
    # The tests start on Sunday 1 March, 16:00 in Los Angeles: plan day 1 is that day. Day 8 is 8 March, when the
    # clocks there go forward, so its 20:00 is 03:00 UTC where the days before were at 04:00.
    await subscribed(app, dc, GENERAL, ALICE, "20:00", "America/Los_Angeles")
    for day in range(1, 8):
        if day > 1:
            assert (await app.delivery.run_pass(los_angeles(day))).sent == 1
        push = pushes(dc, GENERAL)[-1]
        assert author(push).startswith(f"📅 Day {day}/140")
        clock.set(los_angeles(day, 21))
        await press(dc, push, BO)
        if day <= 3:
            await press(dc, push, CY)
    seen = len(dc.messages_in(GENERAL))
    utc_day_eight, utc_midnight = datetime(2026, 3, 8, 20, 0, tzinfo=UTC), datetime(2026, 3, 9, 0, 0, tzinfo=UTC)
    for too_early in (utc_day_eight, utc_midnight, los_angeles(8) - timedelta(minutes=1)):
        assert (await app.delivery.run_pass(too_early)).claimed == 0
    assert len(dc.messages_in(GENERAL)) == seen

    assert los_angeles(8) == datetime(2026, 3, 9, 3, 0, tzinfo=UTC)
    clock.set(los_angeles(8))
    assert (await app.delivery.run_pass()).sent == 1
    summary, picture, day_eight = dc.messages_in(GENERAL)[seen:]
    assert summary.content.startswith("📊 Week 1 wrap-up") and not summary.ephemeral
    for topic in curriculum.week_topics(1, "en"):
        assert f"{topic.plan_day}. {topic.day.title}" in summary.content
    assert "• Bo: 7/7" in summary.content and "• Cy: 3/7" in summary.content and "Alice" not in summary.content
    assert "Longest streaks: Bo 7, Cy 3" in summary.content and "Next up, week 2" in summary.content
    [png] = picture.files.values()
    assert picture.content == "Week 1" and png.data.startswith(b"\x89PNG") and png.filename == "progress.png"
    assert author(day_eight).startswith("📅 Day 8/140") and summary.id < picture.id < day_eight.id

    for again in (los_angeles(8), los_angeles(8) + timedelta(minutes=1)):
        assert (await app.delivery.run_pass(again)).claimed == 0
    assert len(dc.messages_in(GENERAL)) == seen + 3


async def test_a_server_that_removes_the_bot_gets_no_pushes_and_keeps_its_record_until_forgotten(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord, clock: ManualClock
) -> None:
    hall = await subscribed(app, dc, GENERAL, ALICE, "20:00", "UTC")
    await subscribed(app, dc, NEST, BO, "20:00", "UTC")
    await press(dc, hall, BO)
    await press(dc, hall, CY)
    await done(dc, NEST, EVE)

    async def stopped() -> bool:
        sub = await subscription(app, GENERAL)
        return not sub.active and sub.unreachable

    async def active() -> bool:
        return (await subscription(app, GENERAL)).active

    clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    await dc.remove_bot(HALL)
    await eventually(stopped)
    clock.set(datetime(2026, 3, 3, 20, 0, tzinfo=UTC))
    assert (await app.delivery.run_pass()).sent == 1  # the Night Owls still get theirs
    assert len(pushes(dc, GENERAL)) == 1 and len(pushes(dc, NEST)) == 2

    clock.set(datetime(2026, 3, 3, 21, 0, tzinfo=UTC))
    await dc.add_bot_back(HALL)
    await eventually(active)
    board = await content(await ask(dc, "leaderboard", user_id=DEE, channel_id=GENERAL))
    assert "Bo · 1/7" in board and "Cy · 1/7" in board
    clock.set(datetime(2026, 3, 4, 20, 0, tzinfo=UTC))
    assert (await app.delivery.run_pass()).sent == 2

    # Removed while the bot was not listening: the next push meets 403 Missing Access, which stops them too.
    await dc.remove_bot(HALL, tell_client=False)
    clock.set(datetime(2026, 3, 5, 20, 0, tzinfo=UTC))
    report = await app.delivery.run_pass()
    assert report.deactivated == 1 and report.sent == 1 and await stopped()
    await dc.add_bot_back(HALL)
    await eventually(active)

    refused = await ask(dc, "forget", user_id=BO, channel_id=GENERAL)
    assert REFUSED in await content(refused) and await ephemeral(refused)
    confirm = await ask(dc, "forget", user_id=ALICE, channel_id=GENERAL)
    assert "for good" in await content(confirm) and await ephemeral(confirm)  # the button is for Alice alone
    question = await confirm.original_message()
    button = f"studybot:forget:{GENERAL}:{ALICE}"  # the channel it deletes, and who may confirm
    assert question.custom_ids == [button]
    forgotten = await (await dc.press_button(button, question.id, user_id=ALICE)).response()
    assert "Everything about this chat is deleted" in forgotten["data"]["content"]
    board = await content(await ask(dc, "leaderboard", user_id=DEE, channel_id=GENERAL))
    assert "no leaderboard" in board
    clock.set(datetime(2026, 3, 6, 20, 0, tzinfo=UTC))
    assert (await app.delivery.run_pass()).sent == 1
    assert len(pushes(dc, GENERAL)) == 2
    assert "Eve · 1/7" in await content(await ask(dc, "leaderboard", user_id=EVE, channel_id=NEST))


async def test_a_study_thread_stops_with_its_server_and_comes_back_with_it(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord
) -> None:
    await subscribed(app, dc, THREAD, ALICE, "20:00", "UTC")

    async def active() -> bool:
        return (await subscription(app, THREAD)).active

    async def stopped() -> bool:
        return not await active()

    await dc.remove_bot(HALL)
    await eventually(stopped)
    await dc.add_bot_back(HALL)
    await eventually(active)
    assert (await app.delivery.run_pass(datetime(2026, 3, 3, 20, 0, tzinfo=UTC))).sent == 1
    assert author(pushes(dc, THREAD)[-1]).startswith("📅 Day 2/140")


async def test_a_member_forgets_only_their_own_record_privately(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord
) -> None:
    push = await subscribed(app, dc, GENERAL, ALICE, "20:00", "UTC")
    for user in (BO, DEE):
        await press(dc, push, user)
    asked = await ask(dc, "forget", {"what": "me"}, user_id=BO, channel_id=GENERAL)
    assert "your own record" in await content(asked) and await ephemeral(asked)
    question = await asked.original_message()
    button = f"studybot:forgetme:{GENERAL}:{BO}"
    assert question.custom_ids == [button]
    answer = await (await dc.press_button(button, question.id, user_id=BO)).response()
    assert "1 day done, with its note" in answer["data"]["content"] and answer["data"]["flags"] & EPHEMERAL
    board = await content(await ask(dc, "leaderboard", user_id=DEE, channel_id=GENERAL))
    assert "Dee" in board and "Bo" not in board
    assert (await subscription(app, GENERAL)).active
