"""Telegram end to end: the real python-telegram-bot client against a fake Bot API server on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram.format import card_html
from bot.bootstrap import App
from bot.core import render
from bot.core.clock import ManualClock
from bot.core.fitting import utf16_len
from bot.core.i18n import messages
from bot.core.replies import Section, TopicCard
from curriculum.loader import Curriculum
from curriculum.schema import Plan
from tests.fakes.telegram_html import parse_html
from tests.fakes.telegram_server import Call, FakeTelegram
from tests.support import long_plan

ADA = 4242
GROUP = -100777


def text_of(call: Call) -> str:
    return str(call.params.get("text") or call.params.get("caption") or "")


def buttons(call: Call) -> list[str]:
    markup: Any = call.params.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def say(tg: FakeTelegram, text: str, chat_id: int = ADA, **kw: Any) -> Call:
    """Send a command and return the bot's first message in answer."""
    tg.send_command(chat_id, text, user_id=kw.pop("user_id", ADA), first_name=kw.pop("first_name", "Ada"), **kw)
    return await tg.wait_for_call("sendMessage", chat_id=chat_id)


async def test_commands_are_registered_in_both_languages(telegram: TelegramAdapter, tg: FakeTelegram) -> None:
    english = {c["command"]: c["description"] for c in tg.commands()}
    chinese = {c["command"]: c["description"] for c in tg.commands(language_code="zh")}
    assert {"start", "help", "subscribe", "done", "progress", "settings"} <= set(english)
    assert english.keys() == chinese.keys()
    assert english["done"] != chinese["done"] and "打卡" in chinese["done"]


async def test_each_chat_gets_the_menu_of_the_commands_that_work_there(
    telegram: TelegramAdapter, tg: FakeTelegram
) -> None:
    def menu(scope: str, language: str = "") -> set[str]:
        return {c["command"] for c in tg.commands({"type": scope}, language)}

    assert menu("default") & {"members", "mark", "unmark", "leaderboard"} == set()  # a DM has nobody to rank or mark
    assert {"subscribe", "pause", "forget"} <= menu("default")
    members = menu("all_group_chats")
    assert {"done", "leaderboard", "forget"} <= members and members & {"subscribe", "time", "members"} == set()
    assert {"done", "leaderboard", "subscribe", "members", "mark", "pause"} <= menu("all_chat_administrators")
    assert menu("all_group_chats", "zh") == members


async def test_dm_from_start_to_the_next_days_push(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram, clock: ManualClock
) -> None:
    welcome = await say(tg, "/start")
    assert "studybot" in text_of(welcome) and buttons(welcome) == ["subscribe"]
    confirmation = await say(tg, "/subscribe 08:30 Asia/Shanghai")
    assert "Subscribed" in text_of(confirmation)
    card = await tg.wait_for_call("sendMessage", chat_id=ADA)
    assert card.params["parse_mode"] == "HTML"
    assert "<b>📅 Day 1/140 · Week 1:" in text_of(card) and buttons(card) == ["done:1", "week"]

    report = await app.delivery.run_pass(datetime(2026, 3, 3, 0, 30, tzinfo=UTC))  # 08:30 next day
    assert report.sent == 1
    push = await tg.wait_for_call("sendMessage", chat_id=ADA)
    assert "Day 2/140" in text_of(push) and buttons(push) == ["done:2", "week"]


async def test_done_by_button_edits_the_card_and_by_command_keeps_the_streak(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram, clock: ManualClock
) -> None:
    await say(tg, "/subscribe 08:00 UTC")
    card = await tg.wait_for_call("sendMessage", chat_id=ADA)
    message_id = tg.messages(ADA)[-1]["message_id"]
    tg.press_button(ADA, message_id, "done:1", user_id=ADA, first_name="Ada")
    answer = await tg.wait_for_call("answerCallbackQuery")
    assert "Day 1 done" in str(answer.params.get("text"))
    edit = await tg.wait_for_call("editMessageText", chat_id=ADA)
    assert "Done" in text_of(edit) and not buttons(edit)
    assert tg.message(ADA, message_id)["reply_markup"] in (None, {})
    assert card.params["reply_markup"]

    for day in range(2, 5):
        clock.advance(timedelta(days=1))
        reply = await say(tg, "/done")
        assert f"Day {day} done" in text_of(reply) and f"Streak: {day} days" in text_of(reply)
    progress = tg.send_command(ADA, "/progress", user_id=ADA)
    assert progress
    photo = await tg.wait_for_call("sendPhoto", chat_id=ADA)
    assert photo.params["photo"].data.startswith(b"\x89PNG")
    assert "Done 4/140" in text_of(photo)


async def test_group_commands_addressed_to_the_bot_work_and_others_are_ignored(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram
) -> None:
    tg.set_chat(GROUP, type="supergroup", title="Study group")
    refused = await say(tg, "/subscribe@studybot_test 20:00 Europe/London", chat_id=GROUP, user_id=7)
    assert "Only this group's admins" in text_of(refused)
    tg.set_member_status(GROUP, ADA, "administrator")
    reply = await say(tg, "/subscribe@studybot_test 20:00 Europe/London", chat_id=GROUP)
    assert "Subscribed" in text_of(reply)
    await tg.wait_for_call("sendMessage", chat_id=GROUP)  # the day 1 card
    tg.send_command(GROUP, "/done@someotherbot", user_id=7, first_name="Bo")
    tg.send_text(GROUP, "morning all", user_id=7, first_name="Bo")
    reply = await say(tg, "/done@studybot_test", chat_id=GROUP, user_id=7, first_name="Bo")
    assert "Day 1 done" in text_of(reply)
    assert len(tg.calls_of("sendMessage")) == 4  # nothing answered the other bot's command or the chatter


async def test_bad_input_gets_a_reply_in_the_users_language(telegram: TelegramAdapter, tg: FakeTelegram) -> None:
    reply = await say(tg, "/time 25:99", language_code="zh-hans")
    assert "不是有效的时间" in text_of(reply)
    reply = await say(tg, "/frobnicate", language_code="en")
    assert "I don't know /frobnicate" in text_of(reply)


async def test_two_processes_passing_at_once_push_each_chat_once(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram, settings: Any, curriculum: Any, clock: ManualClock
) -> None:
    from bot.bootstrap import bootstrap

    for n in range(20):
        tg.send_command(1000 + n, "/subscribe 09:00 UTC", user_id=1000 + n)
    await tg.wait_until(lambda: len(tg.calls_of("sendMessage")) >= 40, timeout=20)
    other = await bootstrap(settings, clock=clock, curriculum=curriculum, migrate=False)
    second = TelegramAdapter(other.commands, tg.token, tg.root, rate_limit=False)
    other.gateways.connected(second.gateway)
    try:
        await second.application.initialize()
        due = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
        import asyncio

        reports = await asyncio.gather(app.delivery.run_pass(due), other.delivery.run_pass(due))
    finally:
        await second.application.shutdown()
        await other.close()
    assert sum(r.sent for r in reports) == 20
    pushes = [c for c in tg.calls_of("sendMessage") if "Day 2/140" in text_of(c)]
    assert sorted(int(c.params["chat_id"]) for c in pushes) == list(range(1000, 1020))


async def test_pushes_over_dst_weekends_arrive_at_local_time(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram, clock: ManualClock
) -> None:
    cases = {5001: ("America/New_York", datetime(2026, 3, 6, 15, tzinfo=UTC)),
             5002: ("Europe/London", datetime(2026, 10, 23, 12, tzinfo=UTC))}  # fmt: skip
    for chat_id, (zone, start) in cases.items():
        clock.set(start)
        await say(tg, f"/subscribe 07:00 {zone}", chat_id=chat_id, user_id=chat_id)
        await tg.wait_for_call("sendMessage", chat_id=chat_id)
        instant = start
        local_times = []
        for _ in range(4 * 24 * 4):  # every 15 minutes for four days
            instant += timedelta(minutes=15)
            if (await app.delivery.run_pass(instant)).sent:
                local_times.append(instant.astimezone(ZoneInfo(zone)).strftime("%a %H:%M %Z"))
        assert [t.split()[1] for t in local_times] == ["07:00"] * 4, local_times
        assert len({t.split()[2] for t in local_times}) == 2, local_times  # both sides of the change
        pushes = [c for c in tg.calls_of("sendMessage") if str(c.params["chat_id"]) == str(chat_id)]
        assert [text_of(c).count("Day ") for c in pushes[-4:]] == [1, 1, 1, 1]


async def test_catch_up_after_downtime(app: App, telegram: TelegramAdapter, tg: FakeTelegram) -> None:
    await say(tg, "/subscribe 08:00 UTC")
    await tg.wait_for_call("sendMessage", chat_id=ADA)
    # Down from before 08:00 on the 3rd until 13:00: five hours late, inside the six-hour grace.
    assert (await app.delivery.run_pass(datetime(2026, 3, 3, 13, 0, tzinfo=UTC))).sent == 1
    # Down all of the 4th, back at 18:00: ten hours late, skipped; the next push is the 5th's.
    late = await app.delivery.run_pass(datetime(2026, 3, 4, 18, 0, tzinfo=UTC))
    assert late.sent == 0 and late.skipped == 1
    assert (await app.delivery.run_pass(datetime(2026, 3, 5, 8, 0, tzinfo=UTC))).sent == 1
    days = [text_of(c).split("Day ", 1)[1].split("/", 1)[0] for c in tg.calls_of("sendMessage")[2:]]
    assert days == ["2", "4"]


async def test_a_slow_chat_does_not_hold_up_others_and_each_chat_keeps_its_order(app: App, tg: FakeTelegram) -> None:
    adapter = TelegramAdapter(app.commands, tg.token, tg.root, rate_limit=True, poll_timeout=1)
    await adapter.start()
    app.gateways.connected(adapter.gateway)
    try:
        # Two replies to one chat: the per-chat pacer holds the second for about a second.
        tg.send_command(ADA, "/subscribe 08:00 UTC", user_id=ADA)
        tg.send_command(ADA, "/done", user_id=ADA)
        tg.send_command(777, "/help", user_id=777)
        other = await tg.wait_for_call("sendMessage", chat_id=777)
        ada = [c for c in tg.calls_of("sendMessage") if str(c.params["chat_id"]) == str(ADA)]
        assert len(ada) < 3 and other  # /help was answered while ADA's replies were still being paced
        await tg.wait_until(lambda: len(tg.messages(ADA)) >= 3, timeout=10)
        replies = [m["text"] for m in tg.messages(ADA)]
        assert "Subscribed" in replies[0] and "Day 1/140" in replies[1] and "Day 1 done" in replies[2]
    finally:
        await adapter.stop()


async def test_a_done_telegram_dated_before_midnight_counts_for_that_day(
    telegram: TelegramAdapter, tg: FakeTelegram, clock: ManualClock
) -> None:
    await say(tg, "/subscribe 08:00 UTC")
    await tg.wait_for_call("sendMessage", chat_id=ADA)  # day 1
    clock.set(datetime(2026, 3, 3, 0, 0, 0, 400_000, tzinfo=UTC))
    typed = int(datetime(2026, 3, 2, 23, 59, 59, tzinfo=UTC).timestamp())
    assert "Day 1 done" in text_of(await say(tg, "/done", date=typed))
    assert "Day 2 done" in text_of(await say(tg, "/done"))


async def test_the_record_of_handled_updates_is_bounded() -> None:
    from bot.adapters.telegram.dedupe import SeenUpdates

    seen = SeenUpdates(remember=3)
    assert [await seen.first(n) for n in (1, 2, 1, 3, 4)] == [True, True, False, True, True]
    assert await seen.first(1)  # the oldest was let go, so memory stays flat


async def test_a_day_longer_than_a_message_arrives_trimmed_by_section(
    telegram: TelegramAdapter, tg: FakeTelegram
) -> None:
    curriculum = Curriculum({"en": Plan.model_validate(long_plan())})
    card = render.topic_card(messages("en"), curriculum.topic(5, "en"))
    assert len(card.plain_text()) > 4096
    await telegram.gateway.send(str(ADA), card)
    sent = await tg.wait_for_call("sendMessage", chat_id=ADA)
    shown = parse_html(text_of(sent))  # the strict fake took it: valid HTML, at most 4,096 units
    assert len(shown) <= 4096
    assert shown.startswith("📅 Day 5/7") and "T" * 120 in shown and shown.endswith(card.footer)
    assert "…" in shown and buttons(sent) == ["done:5", "week"]
    assert "What to learn" in shown and shown.count("p" * 300) == 5  # the first sections stay whole


MARKUP_LIKE = st.lists(st.sampled_from([*"ab &<>;#x/\"'😀中", "&amp;", "<b>", "</i>"]), max_size=300).map("".join)


@settings(max_examples=80, deadline=None)
@given(lines=st.lists(MARKUP_LIKE, min_size=1, max_size=30), footer=MARKUP_LIKE)
def test_any_card_becomes_html_telegram_parses_within_its_limit(lines: list[str], footer: str) -> None:
    card = TopicCard(1, "📅 Day 1 & <one>", "📘 <b>not bold</b>", (Section("What & how", tuple(lines)),), footer or "x")
    shown = parse_html(card_html(card))
    assert utf16_len(shown) <= 4096 and shown.startswith("📅 Day 1 & <one>")
