"""Discord end to end: the real discord.py client against the fake Discord server (REST + gateway) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest
from aiolimiter import AsyncLimiter

from bot.adapters.discord import DiscordAdapter
from bot.bootstrap import App
from bot.core.clock import ManualClock
from bot.core.menu import COMMANDS
from bot.core.model import Address
from tests.adapters.discord_support import (
    adapter_for,
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
from tests.adapters.discord_support import ask as ask_as
from tests.fakes.discord_payloads import (
    DEFAULT_EVERYONE,
    EPHEMERAL,
    MANAGE_CHANNELS,
    MANAGE_GUILD,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    command_denial,
)
from tests.fakes.discord_server import FakeDiscord, FakeInteraction

ADA = 700000000000000001  # learns alone, in her DM
ALICE = 700000000000000002  # Manage Channels in the server
BO = 700000000000000003  # a member without permissions
CY = 700000000000000004  # Manage Server
GUILD = 800000000000000001
GENERAL = 810000000000000001
LOUNGE = 810000000000000002
CRAMPED = 800000000000000002  # a server where the bot may not embed links
CRAMPED_CHANNEL = 810000000000000003
EMBED_LINKS = 1 << 14
NEXT_MORNING = datetime(2026, 3, 3, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai, the day after START


def _guilds(server: FakeDiscord) -> None:
    server.add_guild(
        GUILD,
        "Study Hall",
        channels=[(GENERAL, "general"), (LOUNGE, "lounge")],
        members=[(ALICE, "Alice", MANAGE_CHANNELS), (BO, "Bo", 0), (CY, "Cy", MANAGE_GUILD)],
    )
    server.add_guild(
        CRAMPED,
        "Cramped",
        channels=[(CRAMPED_CHANNEL, "no-embeds")],
        members=[(ALICE, "Alice", MANAGE_CHANNELS)],
        everyone_permissions=DEFAULT_EVERYONE & ~EMBED_LINKS,
        bot_permissions=DEFAULT_EVERYONE & ~EMBED_LINKS,
    )


@pytest.fixture
async def dc() -> AsyncIterator[FakeDiscord]:
    async with serving(_guilds) as server:
        yield server


async def ask(dc: FakeDiscord, name: str, options: dict[str, Any] | None = None, **where: Any) -> FakeInteraction:
    """Run a slash command (in Ada's DM unless a channel is given) and wait for the bot's answer."""
    where.setdefault("user_id", ADA)
    return await ask_as(dc, name, options, **where)


async def test_commands_are_synced_typed_described_and_only_guilds_intent_is_asked(
    discord_bot: DiscordAdapter, dc: FakeDiscord
) -> None:
    synced = {c["name"]: c for c in dc.commands}
    assert list(synced) == [name for name, _ in COMMANDS]
    options = {name: {o["name"]: o for o in c["options"]} for name, c in synced.items()}
    assert options["subscribe"]["zone"]["autocomplete"] and not options["subscribe"]["time"]["required"]
    assert options["timezone"]["zone"]["required"] and options["timezone"]["zone"]["autocomplete"]
    assert [c["value"] for c in options["lang"]["language"]["choices"]] == ["en", "zh"]
    assert options["done"]["note"]["max_length"] == 500
    assert options["mark"]["member"]["type"] == 6 and options["mark"]["day"]["type"] == 4
    assert synced["mark"]["contexts"] == [0] and synced["subscribe"]["contexts"] == [0, 1]
    assert "打卡" in synced["done"]["description_localizations"]["zh-CN"]
    assert options["subscribe"]["zone"]["description_localizations"]["zh-CN"].startswith("时区")
    assert dc.identify_intents == discord.Intents(guilds=True).value  # no message content, no members


async def test_zone_autocomplete_offers_iana_names(discord_bot: DiscordAdapter, dc: FakeDiscord) -> None:
    typed = await dc.autocomplete("timezone", "zone", "asia/sha", user_id=ADA)
    assert [c["value"] for c in (await typed.response())["data"]["choices"]] == ["Asia/Shanghai"]
    city = await dc.autocomplete("subscribe", "zone", "london", options={"time": "08:00"}, user_id=ALICE,
                                 guild_id=GUILD)  # fmt: skip
    assert "Europe/London" in [c["value"] for c in (await city.response())["data"]["choices"]]
    empty = await dc.autocomplete("subscribe", "zone", "", user_id=ADA)
    assert 0 < len((await empty.response())["data"]["choices"]) <= 25


async def test_dm_from_subscribe_to_push_and_done_by_button_and_by_command(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord, clock: ManualClock
) -> None:
    subscribed = await ask(dc, "subscribe", {"time": "08:30", "zone": "Asia/Shanghai"})
    assert "Subscribed" in await content(subscribed) and not await ephemeral(subscribed)
    day_one = await subscribed.followup()
    assert author(day_one).startswith("📅 Day 1/140") and day_one.custom_ids == ["studybot:done:1", "studybot:week"]
    assert [f["name"] for f in day_one.embeds[0]["fields"]] == ["What to learn", "Practice", "Resources"]

    clock.set(NEXT_MORNING)
    assert (await app.delivery.run_pass()).sent == 1
    dm = dc.dm_channel_id(ADA)
    [push] = pushes(dc, dm)
    assert author(push).startswith("📅 Day 2/140") and push.custom_ids == ["studybot:done:2", "studybot:week"]
    assert ("POST", "/users/@me/channels") in [(r.method, r.path) for r in dc.requests]

    pressed = await dc.press_button("studybot:done:2", push.id, user_id=ADA)
    edit = await pressed.response()
    assert edit["type"] == 7 and "Well played" in footer(edit["data"])
    assert dc.messages[push.id].components == [] and "Well played" in footer(dc.messages[push.id])
    toast = await pressed.followup()
    assert "Day 2 done" in toast.content and toast.ephemeral

    clock.advance(timedelta(days=1))
    done = await ask(dc, "done", {"note": "read the asyncio docs"})
    assert "Day 3 done" in await content(done) and "Streak: 2 days" in await content(done)
    streak = await ask(dc, "streak")
    assert "Streak: 2 days" in await content(streak) and not await ephemeral(streak)  # a DM is private anyway
    progress = await ask(dc, "progress")
    assert "Done 2/140" in await content(progress)
    picture = await progress.original_message()
    [png] = picture.files.values()
    assert png.data.startswith(b"\x89PNG") and png.filename == "progress.png"


async def test_start_button_subscribes_and_week_button_answers(discord_bot: DiscordAdapter, dc: FakeDiscord) -> None:
    start = await ask(dc, "start")
    assert "studybot" in await content(start)
    welcome = await start.original_message()
    assert welcome.custom_ids == ["studybot:subscribe"]
    pressed = await dc.press_button("studybot:subscribe", welcome.id, user_id=ADA)
    assert "Subscribed" in (await pressed.response())["data"]["content"]
    card = await pressed.followup()
    assert author(card).startswith("📅 Day 1/140")
    week = await dc.press_button("studybot:week", card.id, user_id=ADA)
    assert "Week 1/20" in (await week.response())["data"]["content"]


async def test_channel_from_refusal_to_push_and_done_by_button_and_by_command(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord
) -> None:
    with pytest.raises(PermissionError):  # a member does not even see /subscribe in a server's menu
        await ask(dc, "subscribe", {"time": "20:00"}, user_id=BO, channel_id=GENERAL)
    dc.allow_command(GUILD, "subscribe")  # the server's admins show it to everyone; the bot still refuses
    refused = await ask(dc, "subscribe", {"time": "20:00"}, user_id=BO, channel_id=GENERAL)
    assert "Only this group's admins" in await content(refused) and await ephemeral(refused)
    assert await app.learners.chat(Address("discord", str(GENERAL))) is None

    subscribed = await ask(dc, "subscribe", {"time": "20:00", "zone": "Europe/London"}, user_id=ALICE,
                           channel_id=GENERAL)  # fmt: skip
    assert "Subscribed" in await content(subscribed) and not await ephemeral(subscribed)
    assert "on its way" in (await subscribed.followup()).content  # a channel's topic comes as a push
    assert (await subscription(app, GENERAL)).kind == "group"
    assert (await app.delivery.run_pass()).sent == 1
    [push] = pushes(dc, GENERAL)
    assert author(push).startswith("📅 Day 1/140") and "Each of you" in footer(push)

    pressed = await dc.press_button("studybot:done:1", push.id, user_id=BO)
    toast = await pressed.response()
    assert toast["type"] == 4 and "Day 1 done" in toast["data"]["content"] and toast["data"]["flags"] & EPHEMERAL
    assert await app.live.flush() == 1  # the card shows who is done, edited through the gateway
    assert footer(dc.messages[push.id]) == "✅ Done so far (1): Bo"
    assert dc.messages[push.id].custom_ids == ["studybot:done:1", "studybot:week"]

    done = await ask(dc, "done", user_id=ALICE, channel_id=GENERAL)
    assert "Day 1 done" in await content(done) and not await ephemeral(done)
    await app.live.flush()
    assert footer(dc.messages[push.id]).startswith("✅ Done so far (2): ")

    streak = await ask(dc, "streak", user_id=BO, channel_id=GENERAL)
    assert "Streak: 1 day" in await content(streak) and await ephemeral(streak)
    progress = await ask(dc, "progress", user_id=BO, channel_id=GENERAL)
    assert await ephemeral(progress) and "Done 1/140" in await content(progress)
    [png] = (await progress.original_message()).files.values()
    assert png.data.startswith(b"\x89PNG")
    board = await ask(dc, "leaderboard", user_id=BO, channel_id=GENERAL)
    assert "Bo" in await content(board) and "Alice" in await content(board) and not await ephemeral(board)


async def test_admin_commands_show_to_channel_managers_and_refuse_others_the_server_shows_them_to(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord
) -> None:
    with pytest.raises(PermissionError):  # Manage Server alone does not show the admins' commands...
        await ask(dc, "subscribe", {"time": "20:00"}, user_id=CY, channel_id=LOUNGE)
    dc.allow_command(GUILD, "subscribe", CY)  # ...but once the server shows /subscribe to Cy, it is enough
    await ask(dc, "subscribe", {"time": "20:00"}, user_id=CY, channel_id=LOUNGE)
    assert (await subscription(app, LOUNGE)).active
    changes = (("time", {"time": "06:00"}), ("lang", {"language": "zh"}), ("unsubscribe", None), ("pause", None))
    for name, options in changes:
        with pytest.raises(PermissionError):
            await ask(dc, name, options, user_id=BO, channel_id=LOUNGE)
    for name, options in (*changes, ("forget", None)):
        dc.allow_command(GUILD, name)  # shown to everyone by the server's admins (members always see /forget)
        refused = await ask(dc, name, options, user_id=BO, channel_id=LOUNGE)
        assert "Only this group's admins" in await content(refused) and await ephemeral(refused), name
    sub = await subscription(app, LOUNGE)
    assert sub.active and sub.local_time.hour == 20 and sub.language == "en"
    changed = await ask(dc, "time", {"time": "06:00"}, user_id=ALICE, channel_id=LOUNGE)
    assert "06:00" in await content(changed) and not await ephemeral(changed)


async def test_a_members_menu_holds_only_what_members_may_use(discord_bot: DiscordAdapter, dc: FakeDiscord) -> None:
    def menu(user: int) -> set[str]:
        """The commands Discord shows this member in the server (the fake decides as Discord does)."""
        return {c["name"] for c in dc.commands if command_denial(c, dc.guilds[GUILD], user) is None}

    admins = {"subscribe", "unsubscribe", "time", "timezone", "lang", "pause", "resume", "members", "mark", "unmark",
              "days", "goto", "restart"}  # fmt: skip
    assert menu(BO) & admins == set() and {"done", "leaderboard", "forget", "streak", "catchup"} <= menu(BO)
    assert admins <= menu(ALICE)
    synced = {c["name"]: c.get("default_member_permissions") for c in dc.commands}
    assert {name for name, perms in synced.items() if perms is not None} == admins
    assert all(synced[name] == str(MANAGE_CHANNELS) for name in admins)
    # In a DM everyone is their own admin, and the same commands are there.
    dm = await ask(dc, "subscribe", {"time": "07:00"}, user_id=BO)
    assert "Subscribed" in await content(dm)


async def test_subscribing_a_channel_the_bot_cannot_post_in_is_explained(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord
) -> None:
    answer = await ask(dc, "subscribe", user_id=ALICE, channel_id=CRAMPED_CHANNEL)
    assert "Embed Links" in await content(answer) and await ephemeral(answer)
    assert await app.learners.chat(Address("discord", str(CRAMPED_CHANNEL))) is None


async def test_a_deleted_channel_is_deactivated_not_retried(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord
) -> None:
    await ask(dc, "subscribe", {"time": "20:00"}, user_id=ALICE, channel_id=GENERAL)
    dc.fail_next("POST", rf"^/channels/{GENERAL}/messages$", 404, 10003)
    report = await app.delivery.run_pass()
    assert report.deactivated == 1 and report.failed == 0
    sub = await subscription(app, GENERAL)
    assert not sub.active and sub.unreachable
    assert (await app.delivery.run_pass(NEXT_MORNING + timedelta(days=1))).claimed == 0
    # Once the problem is fixed, an admin subscribing again turns it back on.
    await ask(dc, "subscribe", user_id=ALICE, channel_id=GENERAL)
    assert (await subscription(app, GENERAL)).active


@pytest.mark.parametrize("denied", [SEND_MESSAGES, VIEW_CHANNEL], ids=["send-messages", "view-channel"])
async def test_a_channel_that_took_the_bots_permissions_is_kept_and_its_admins_told(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord, clock: ManualClock, denied: int
) -> None:
    await ask(dc, "subscribe", {"time": "20:00"}, user_id=ALICE, channel_id=GENERAL)
    assert (await app.delivery.run_pass()).sent == 1
    await dc.deny_bot(GENERAL, denied)  # an admin's channel overwrite; the gateway tells the client
    await eventually(lambda: _cannot_send(discord_bot))
    clock.set(datetime(2026, 3, 3, 20, 0, tzinfo=UTC))
    report = await app.delivery.run_pass()
    assert report.cannot_post == 1 and report.deactivated == 0 and report.failed == 0
    sub = await subscription(app, GENERAL)
    assert sub.active and not sub.unreachable and sub.post_problem == "permissions"
    answer = await ask(dc, "settings", user_id=ALICE, channel_id=GENERAL)
    told = await answer.followup()  # after the settings, and for Alice alone
    assert "View Channel, Send Messages and Embed Links" in told.content and told.flags & EPHEMERAL
    member = await ask(dc, "streak", user_id=BO, channel_id=GENERAL)
    await asyncio.sleep(0.2)  # a notice would follow the answer at once
    assert "could not post" not in await content(member) and member.followups == []

    await dc.deny_bot(GENERAL, 0)
    clock.set(datetime(2026, 3, 4, 20, 0, tzinfo=UTC))
    assert (await app.delivery.run_pass()).sent == 1
    assert len(pushes(dc, GENERAL)) == 2
    settings = await ask(dc, "settings", user_id=ALICE, channel_id=GENERAL)
    await asyncio.sleep(0.2)
    assert "Status: subscribed" in await content(settings) and settings.followups == []


async def _cannot_send(adapter: DiscordAdapter) -> bool:
    channel = adapter.client.get_channel(GENERAL)
    assert isinstance(channel, discord.TextChannel)
    perms = channel.permissions_for(channel.guild.me)
    return not (perms.send_messages and perms.view_channel)


async def test_a_user_who_closed_their_dms_is_deactivated(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord, clock: ManualClock
) -> None:
    await ask(dc, "subscribe", {"time": "08:30", "zone": "Asia/Shanghai"})
    dc.fail_next("POST", rf"^/channels/{dc.dm_channel_id(ADA)}/messages$", 403, 50007, "Cannot send messages")
    clock.set(NEXT_MORNING)
    assert (await app.delivery.run_pass()).deactivated == 1
    assert (await subscription(app, f"dm:{ADA}")).unreachable


async def test_server_errors_fail_for_now_and_rate_limits_are_waited_out(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord, clock: ManualClock
) -> None:
    await ask(dc, "subscribe", {"time": "08:30", "zone": "Asia/Shanghai"})
    dm = dc.dm_channel_id(ADA)
    dc.fail_next("POST", rf"^/channels/{dm}/messages$", 503)
    clock.set(NEXT_MORNING)
    assert (await app.delivery.run_pass()).failed == 1 and pushes(dc, dm) == []
    clock.advance(timedelta(minutes=5))
    dc.fail_next("POST", rf"^/channels/{dm}/messages$", 429, retry_after=0.3)
    started = time.monotonic()
    assert (await app.delivery.run_pass()).sent == 1
    assert time.monotonic() - started >= 0.25  # discord.py waited retry_after, then sent once
    assert len(pushes(dc, dm)) == 1


async def test_fan_out_is_paced_and_dm_channels_are_opened_once(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord
) -> None:
    learners = range(ADA + 100, ADA + 120)
    for user in learners:
        await ask(dc, "subscribe", {"time": "09:00"}, user_id=user)
    discord_bot.gateway.limiter = AsyncLimiter(1, 1 / 40)
    started = time.monotonic()
    assert (await app.delivery.run_pass(datetime(2026, 3, 3, 9, 0, tzinfo=UTC))).sent == 20
    # Twenty DM channels opened and twenty messages: forty requests at 40 a second.
    assert time.monotonic() - started >= 0.9
    assert (await app.delivery.run_pass(datetime(2026, 3, 4, 9, 0, tzinfo=UTC))).sent == 20
    opened = [r for r in dc.requests if r.path == "/users/@me/channels"]
    assert len(opened) == 20
    assert all(len(pushes(dc, dc.dm_channel_id(user))) == 2 for user in learners)


async def test_buttons_keep_working_after_a_restart(
    app: App, dc: FakeDiscord, clock: ManualClock, discord_bot: DiscordAdapter
) -> None:
    await ask(dc, "subscribe", {"time": "08:30", "zone": "Asia/Shanghai"})
    await ask(dc, "subscribe", {"time": "20:00"}, user_id=ALICE, channel_id=GENERAL)
    clock.set(NEXT_MORNING)
    assert (await app.delivery.run_pass()).sent == 2
    [dm_push], [channel_push] = pushes(dc, dc.dm_channel_id(ADA)), pushes(dc, GENERAL)
    app.gateways.disconnected(discord_bot.gateway)
    await discord_bot.stop()

    restarted = adapter_for(app, dc)
    await restarted.start()
    app.gateways.connected(restarted.gateway)
    try:
        assert len(dc.identify_payloads) == 2
        edit = await (await dc.press_button("studybot:done:2", dm_push.id, user_id=ADA)).response()
        assert edit["type"] == 7 and "Well played" in footer(edit["data"])
        toast = await (await dc.press_button("studybot:done:1", channel_push.id, user_id=BO)).response()
        assert "Day 1 done" in toast["data"]["content"]
        # A dropped gateway connection is resumed, and commands go on working.
        await dc.disconnect_clients()
        assert "Streak: 1 day" in await content(await ask(dc, "streak"))
    finally:
        await restarted.stop()


async def test_slow_answers_are_deferred_within_discords_three_seconds(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord
) -> None:
    discord_bot.inbound.defer_after = 0.0
    helped = await ask(dc, "help")
    assert (await helped.response())["type"] == 5
    assert "/subscribe" in (await helped.original_message()).content
    subscribed = await ask(dc, "subscribe", {"time": "20:00"}, user_id=ALICE, channel_id=GENERAL)
    assert "Subscribed" in (await subscribed.original_message()).content  # deferred: wait for the real answer
    await app.delivery.run_pass()
    [push] = pushes(dc, GENERAL)
    pressed = await dc.press_button("studybot:done:1", push.id, user_id=BO)
    assert (await pressed.response())["type"] == 6  # acknowledged; the toast follows
    toast = await pressed.followup()
    assert "Day 1 done" in toast.content and toast.ephemeral
    streak = await ask(dc, "streak", user_id=BO, channel_id=GENERAL)
    assert (await streak.response())["data"]["flags"] & EPHEMERAL
    # The deferred answer follows: wait for it, or the test ends (and closes the client) while it is on its way.
    assert "Streak" in (await streak.original_message()).content


async def test_replies_follow_the_users_language_then_the_chats(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord, clock: ManualClock
) -> None:
    helped = await ask(dc, "help", locale="zh-CN")
    assert "命令" in await content(helped)
    await ask(dc, "subscribe", {"time": "08:30", "zone": "Asia/Shanghai"}, locale="zh-CN")
    clock.set(NEXT_MORNING)
    await app.delivery.run_pass()
    [push] = pushes(dc, dc.dm_channel_id(ADA))
    assert author(push).startswith("📅 第 2/140 天")
    # Once the chat has a language of its own, it wins over the client's.
    await ask(dc, "lang", {"language": "en"}, locale="zh-CN")
    assert "Streak" in await content(await ask(dc, "streak", locale="zh-CN"))


async def test_an_admin_marks_a_members_day_by_choosing_the_member(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord
) -> None:
    await ask(dc, "subscribe", {"time": "20:00"}, user_id=ALICE, channel_id=GENERAL)
    resolved = chosen(dc, GUILD, ALICE, BO)
    marked = await ask(dc, "mark", {"member": str(BO), "day": 1}, user_id=ALICE, channel_id=GENERAL, resolved=resolved)
    assert "Marked day 1 done for Bo" in await content(marked)
    with pytest.raises(PermissionError):  # not in a member's menu
        await ask(dc, "mark", {"member": str(ALICE)}, user_id=BO, channel_id=GENERAL, resolved=resolved)
    dc.allow_command(GUILD, "mark")
    refused = await ask(dc, "mark", {"member": str(ALICE)}, user_id=BO, channel_id=GENERAL, resolved=resolved)
    assert "Only this group's admins" in await content(refused) and await ephemeral(refused)
    members = await ask(dc, "members", user_id=ALICE, channel_id=GENERAL)
    assert "Alice marked day 1 done for Bo" in await content(members) and await ephemeral(members)


async def test_a_deleted_channel_or_a_removed_bot_stops_pushes_and_rejoining_resumes(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord
) -> None:
    for channel in (GENERAL, LOUNGE):
        await ask(dc, "subscribe", {"time": "20:00"}, user_id=ALICE, channel_id=channel)

    async def active(channel: int) -> bool:
        return (await subscription(app, channel)).active

    async def stopped(channel: int) -> bool:
        sub = await subscription(app, channel)
        return not sub.active and sub.unreachable

    await dc.dispatch("CHANNEL_DELETE", dc.channels[LOUNGE])
    await eventually(lambda: stopped(LOUNGE))
    assert await active(GENERAL)
    await dc.remove_bot(GUILD)
    await eventually(lambda: stopped(GENERAL))
    await dc.add_bot_back(GUILD)
    await eventually(lambda: active(GENERAL))


async def test_an_admins_bad_time_or_zone_in_a_channel_is_answered_to_them_alone(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord
) -> None:
    await ask(dc, "subscribe", {"time": "20:00"}, user_id=ALICE, channel_id=GENERAL)
    for name, options, said in (("time", {"time": "25:99"}, "is not a time of day"),
                                ("timezone", {"zone": "Mars/Base"}, "is not a time zone"),
                                ("subscribe", {"time": "8am"}, "is not a time of day")):  # fmt: skip
        answer = await ask(dc, name, options, user_id=ALICE, channel_id=GENERAL)
        assert said in await content(answer) and await ephemeral(answer), name
    assert (await subscription(app, GENERAL)).local_time.hour == 20
