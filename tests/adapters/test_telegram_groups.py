"""Group study on Telegram through the real client: admins, live counts, corrections, leaderboard, wrap-ups."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.adapters.telegram import TelegramAdapter
from bot.bootstrap import App
from bot.core.clock import ManualClock
from bot.core.events import Incoming
from bot.core.model import Address, ChatKind
from tests.fakes.telegram_html import parse_html
from tests.fakes.telegram_server import Call, FakeTelegram
from tests.support import text_of as text_of_reply

GROUP, OTHER = -100200, -100300
EVE, ADA, BO = 1, 2, 3  # Eve administers both groups; Ada is in both; Bo only in the first


def text_of(call: Call) -> str:
    return str(call.params.get("text") or call.params.get("caption") or "")


def says(text: str) -> Callable[[Call], bool]:
    return lambda call: text in text_of(call)


async def command(tg: FakeTelegram, chat: int, user: int, name: str, text: str, **fields: Any) -> Call:
    tg.send_command(chat, text, user_id=user, first_name=name, chat_type="supergroup", **fields)
    return await tg.wait_for_call("sendMessage", chat_id=chat)


async def subscribed_group(app: App, tg: FakeTelegram, chat: int, clock: ManualClock) -> int:
    """Subscribe `chat` as its admin, push day 1, and return the push's message id."""
    tg.set_member_status(chat, EVE, "administrator")
    assert "Subscribed" in text_of(await command(tg, chat, EVE, "Eve", "/subscribe 08:00 UTC"))
    await tg.wait_for_call("sendMessage", chat_id=chat)  # "on its way"
    assert (await app.delivery.run_pass(clock.now())).sent >= 1
    push = await tg.wait_for_call("sendMessage", chat_id=chat)
    assert "Day 1/140" in text_of(push)
    return int(tg.messages(chat)[-1]["message_id"])


async def test_members_finish_and_the_push_shows_who(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram, clock: ManualClock
) -> None:
    push_id = await subscribed_group(app, tg, GROUP, clock)
    refused = await command(tg, GROUP, BO, "Bo", "/time 09:00")
    assert "Only this group's admins" in text_of(refused)
    tg.press_button(GROUP, push_id, "done:1", user_id=ADA, first_name="Ada")
    assert "Day 1 done" in str((await tg.wait_for_call("answerCallbackQuery")).params.get("text"))
    assert "Day 1 done" in text_of(await command(tg, GROUP, BO, "Bo", "/done"))
    assert await app.live.flush() == 1
    edit = await tg.wait_for_call("editMessageText", chat_id=GROUP)
    assert int(edit.params["message_id"]) == push_id
    assert "Done so far (2): Ada, Bo" in text_of(edit)
    assert "done:1" in str(tg.message(GROUP, push_id)["reply_markup"])  # the button stays for the others
    board = await command(tg, GROUP, BO, "Bo", "/leaderboard")
    assert "Ada · 1/7" in text_of(board) and "Bo · 1/7" in text_of(board)


async def test_admin_marks_a_forgotten_day_by_replying(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram, clock: ManualClock
) -> None:
    await subscribed_group(app, tg, GROUP, clock)
    said = tg.send_text(GROUP, "I did day 1 but forgot to tap", user_id=BO, first_name="Bo")
    reply = await command(tg, GROUP, EVE, "Eve", "/mark 1", reply_to_message=said["message"])
    assert "Marked day 1 done for Bo" in text_of(reply)
    not_admin = await command(tg, GROUP, ADA, "Ada", "/mark 1", reply_to_message=said["message"])
    assert "Only this group's admins" in text_of(not_admin)
    overview = await command(tg, GROUP, EVE, "Eve", "/members")
    assert "Eve marked day 1 done for Bo" in text_of(overview)


async def test_overlapping_members_each_group_sees_only_its_own(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram, clock: ManualClock
) -> None:
    first = await subscribed_group(app, tg, GROUP, clock)
    await subscribed_group(app, tg, OTHER, clock)
    tg.press_button(GROUP, first, "done:1", user_id=BO, first_name="Bo")
    await tg.wait_for_call("answerCallbackQuery")
    await command(tg, OTHER, ADA, "Ada", "/done")
    board = text_of(await command(tg, OTHER, ADA, "Ada", "/leaderboard"))
    assert "Ada" in board and "Bo" not in board


async def test_weekly_wrap_up_arrives_with_a_picture(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram, clock: ManualClock
) -> None:
    await subscribed_group(app, tg, GROUP, clock)
    for day in range(1, 8):
        tg.send_command(GROUP, "/done", user_id=ADA, first_name="Ada")
        await tg.wait_for_call("sendMessage", chat_id=GROUP, predicate=says(f"Day {day} done"))
        clock.advance(timedelta(days=1))
        await app.delivery.run_pass(clock.now().replace(hour=8))
    summary = await tg.wait_for_call("sendMessage", chat_id=GROUP, predicate=lambda c: "wrap-up" in text_of(c))
    assert "Ada: 7/7" in text_of(summary)
    photo = await tg.wait_for_call("sendPhoto", chat_id=GROUP)
    assert photo.params["photo"].data.startswith(b"\x89PNG")
    day8 = await tg.wait_for_call("sendMessage", chat_id=GROUP, predicate=lambda c: "Day 8/140" in text_of(c))
    assert day8.index > photo.index > summary.index


async def test_channel_admin_subscribes_a_channel_from_a_dm_and_readers_tap_done(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram, clock: ManualClock
) -> None:
    channel = -100900
    tg.set_chat(channel, type="channel", title="Daily Python", username="dailypy")
    tg.send_command(EVE, "/subscribe @dailypy 07:00 Asia/Shanghai", user_id=EVE, first_name="Eve")
    refusal = await tg.wait_for_call("sendMessage", chat_id=EVE)
    assert "Only @dailypy's admins" in text_of(refusal)
    tg.set_member_status(channel, EVE, "creator")
    tg.set_member_status(channel, int(tg.token.split(":")[0]), "administrator")
    tg.send_command(EVE, "/subscribe @dailypy 07:00 Asia/Shanghai", user_id=EVE, first_name="Eve")
    confirmation = await tg.wait_for_call("sendMessage", chat_id=EVE)
    assert "Subscribed" in text_of(confirmation) and "07:00 (Asia/Shanghai)" in text_of(confirmation)
    await app.delivery.run_pass(clock.now())
    post = await tg.wait_for_call("sendMessage", chat_id=channel)
    assert "Day 1/140" in text_of(post)
    post_id = int(tg.messages(channel)[-1]["message_id"])
    tg.press_button(channel, post_id, "done:1", user_id=77, first_name="Reader")
    assert "Day 1 done" in str((await tg.wait_for_call("answerCallbackQuery")).params.get("text"))
    await app.live.flush()
    assert "Done so far (1): Reader" in text_of(await tg.wait_for_call("editMessageText", chat_id=channel))


async def test_forget_of_a_channel_from_a_dm_deletes_the_channel_and_keeps_the_dm(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram, clock: ManualClock
) -> None:
    channel = -100900
    tg.set_chat(channel, type="channel", title="Daily Python", username="dailypy")
    tg.set_member_status(channel, EVE, "creator")
    tg.set_member_status(channel, int(tg.token.split(":")[0]), "administrator")
    tg.send_command(EVE, "/subscribe 07:00 UTC", user_id=EVE, first_name="Eve")  # her own plan, in her DM
    await tg.wait_for_call("sendMessage", chat_id=EVE, predicate=says("Day 1/140"))
    tg.send_command(EVE, "/subscribe @dailypy 07:00 Asia/Shanghai", user_id=EVE, first_name="Eve")
    await tg.wait_for_call("sendMessage", chat_id=EVE, predicate=says("Subscribed"))
    tg.send_command(EVE, "/forget @dailypy", user_id=EVE, first_name="Eve")
    question = await tg.wait_for_call("sendMessage", chat_id=EVE, predicate=says("for good"))
    assert "“Daily Python”" in text_of(question)
    message_id = int(tg.messages(EVE)[-1]["message_id"])
    [[button]] = tg.message(EVE, message_id)["reply_markup"]["inline_keyboard"]
    tg.press_button(EVE, message_id, button["callback_data"], user_id=EVE, first_name="Eve")
    assert "Forgotten" in str((await tg.wait_for_call("answerCallbackQuery")).params.get("text"))
    await tg.wait_for_call("sendMessage", chat_id=EVE, predicate=says("This chat is unchanged"))
    assert await app.learners.chat(Address("telegram", str(channel))) is None
    dm = await app.learners.chat(Address("telegram", str(EVE)))
    assert dm is not None and dm.active  # her own subscription is untouched


async def test_the_live_count_stays_valid_html_whatever_the_members_are_called(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram, clock: ManualClock
) -> None:
    push_id = await subscribed_group(app, tg, GROUP, clock)
    names = [f"{n:02d} " + "&<" * 30 for n in range(30)]  # 63 characters, each escaped to 4 or 5 in HTML
    for user, name in enumerate(names, start=100):
        done = Incoming(Address("telegram", str(GROUP)), ChatKind.GROUP, str(user), name, text="/done")
        assert "Day 1 done" in text_of_reply((await app.commands.handle(done))[0])
    assert await app.live.flush() == 1
    edit = await tg.wait_for_call("editMessageText", chat_id=GROUP)
    assert not edit.failed, edit.error  # Telegram parses it: no entity or closing tag cut off
    shown = parse_html(text_of(edit))
    assert shown.endswith(names[-1]) and "Done so far (30)" in shown
    assert "Day 1/140" in shown and int(edit.params["message_id"]) == push_id


async def test_a_demoted_admin_loses_admin_rights_at_once(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram, clock: ManualClock
) -> None:
    await subscribed_group(app, tg, GROUP, clock)
    assert "Daily time set to 09:00" in text_of(await command(tg, GROUP, EVE, "Eve", "/time 09:00"))  # now cached
    tg.set_member_status(GROUP, ADA, "creator")
    tg.change_member(GROUP, EVE, "member", by=ADA)
    refused = await command(tg, GROUP, EVE, "Eve", "/time 10:00")
    assert "Only this group's admins" in text_of(refused)  # not 60 seconds later: at once


async def test_an_anonymous_admin_writing_as_the_group_is_an_admin(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram, clock: ManualClock
) -> None:
    await subscribed_group(app, tg, GROUP, clock)
    tg.set_chat(GROUP, type="supergroup", title="Study group")
    group = {"id": GROUP, "type": "supergroup", "title": "Study group"}
    anonymous = 1087968824  # GroupAnonymousBot: Telegram's sender for an admin who posts as the group
    reply = await command(tg, GROUP, anonymous, "Group", "/time 07:15", sender_chat=group)
    assert "Daily time set to 07:15" in text_of(reply)
    # Another chat's post (a linked channel's) is not the group's admin.
    channel = {"id": -100999, "type": "channel", "title": "Some channel"}
    refused = await command(tg, GROUP, 136817688, "Channel", "/time 06:00", sender_chat=channel)
    assert "Only this group's admins" in text_of(refused)


async def test_an_update_delivered_twice_is_answered_once(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram, clock: ManualClock
) -> None:
    update = tg.send_command(ADA, "/help", user_id=ADA, first_name="Ada")
    tg.push_update(update)  # the same update_id again, as a retried webhook or a restarted poller gets it
    await tg.wait_for_call("sendMessage", chat_id=ADA)
    tg.send_command(ADA, "/start", user_id=ADA, first_name="Ada")
    await tg.wait_for_call("sendMessage", chat_id=ADA, predicate=says("studybot"))
    assert [("Commands:" in text_of(c)) for c in tg.calls_of("sendMessage")] == [True, False]


async def test_a_press_on_an_inline_message_is_answered(telegram: TelegramAdapter, tg: FakeTelegram) -> None:
    tg.press_inline_button("AAQ-inline", "done:1", user_id=ADA, first_name="Ada")
    answer = await tg.wait_for_call("answerCallbackQuery")
    assert "no longer in use" in str(answer.params.get("text")) and tg.unanswered_callbacks == set()


async def test_a_muted_group_keeps_its_subscription_and_its_admin_hears_the_fix_in_a_dm(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram, clock: ManualClock
) -> None:
    await subscribed_group(app, tg, GROUP, clock)
    muted = "Bad Request: not enough rights to send text messages to the chat"
    tg.fail_next("sendMessage", 400, muted, chat_id=GROUP, count=2)  # the next push, and the reply below
    clock.advance(timedelta(days=1, hours=8))
    report = await app.delivery.run_pass()
    assert report.cannot_post == 1 and report.deactivated == 0 and report.failed == 0
    tg.send_command(GROUP, "/settings", user_id=EVE, first_name="Eve", chat_type="supergroup")
    notice = await tg.wait_for_call("sendMessage", chat_id=EVE, predicate=says("could not post"))
    assert "allowing me to post" in text_of(notice)
    assert [c.status for c in tg.calls_of("sendMessage") if str(c.params["chat_id"]) == str(GROUP)][-2:] == [400, 400]

    clock.advance(timedelta(days=1))  # unmuted by now: the subscription never stopped
    assert (await app.delivery.run_pass()).sent == 1
    assert "Day 3/140" in text_of(tg.calls_of("sendMessage")[-1])
    settings = await command(tg, GROUP, EVE, "Eve", "/settings")
    assert "could not post" not in text_of(settings)
