"""The learner's journey through the core, on a real store, with the clock moved by the test."""

from __future__ import annotations

from datetime import timedelta

from bot.bootstrap import App
from bot.core.clock import ManualClock
from bot.core.replies import PictureReply, TopicCard
from tests.support import Chat, text_of

DAY = timedelta(days=1)


async def test_subscribe_confirms_and_sends_day_one(app: App) -> None:
    chat = Chat(app)
    replies = await chat.send("/subscribe 08:30 Asia/Shanghai")
    assert "Subscribed" in text_of(replies[0]) and "08:30 (Asia/Shanghai)" in text_of(replies[0])
    card = replies[1]
    assert isinstance(card, TopicCard) and card.plan_day == 1
    assert "Day 1/140" in card.heading
    assert [b.action for b in card.buttons] == ["done:1", "week"]
    settings = await chat.say("/settings")
    # START is 2026-03-02 00:00 UTC = 08:00 in Shanghai; day 1 went out now, so the next push is tomorrow.
    assert "Next push: 2026-03-03 08:30" in settings


async def test_subscribe_twice_says_so_and_keeps_the_start(app: App, clock: ManualClock) -> None:
    chat = Chat(app)
    await chat.say("/subscribe")
    clock.advance(DAY)
    answer = await chat.say("/subscribe 07:00")
    assert "already subscribed" in answer and "07:00" in answer
    assert "Day 2/140" in await chat.say("/today")


async def test_done_builds_a_streak_day_by_day(app: App, clock: ManualClock) -> None:
    chat = Chat(app)
    await chat.say("/subscribe 08:00 UTC")
    first = await chat.say("/done")
    assert "Day 1 done" in first and "Streak: 1 day " in first and "1/140" in first
    clock.advance(DAY)
    assert "Streak: 2 days" in await chat.say("/done finished the generator exercise")
    clock.advance(DAY)
    third = await chat.say("/done")
    assert "Day 3 done" in third and "Streak: 3 days" in third and "3 days in a row" in third


async def test_a_missed_day_resets_the_streak_but_not_the_longest(app: App, clock: ManualClock) -> None:
    chat = Chat(app)
    await chat.say("/subscribe 08:00 UTC")
    await chat.say("/done")
    clock.advance(DAY)
    await chat.say("/done")
    clock.advance(DAY)
    assert "not done yet" in await chat.say("/streak")
    assert "Streak: 2 days" in await chat.say("/streak")  # yesterday still keeps it alive
    clock.advance(DAY)
    assert "Streak: 0 days (longest 2)" in await chat.say("/streak")
    assert "Streak: 1 day (longest 2)" in await chat.say("/done")


async def test_done_twice_counts_once(app: App) -> None:
    chat = Chat(app)
    await chat.say("/subscribe")
    await chat.say("/done")
    again = await chat.say("/done")
    assert "already marked done" in again and "Streak: 1 day " in again
    assert "Done 1/140" in await chat.say("/progress")


async def test_streak_follows_the_chat_local_calendar(app: App, clock: ManualClock) -> None:
    # In Auckland (UTC+13 in March) 10:30 and 11:30 UTC are 23:30 and 00:30 on two local days.
    chat = Chat(app)
    await chat.say("/subscribe 07:00 Pacific/Auckland")
    clock.set(clock.now().replace(hour=10, minute=30))
    await chat.say("/done")
    clock.advance(timedelta(hours=1))
    assert "Streak: 2 days" in await chat.say("/done")


async def test_streak_survives_the_dst_change_in_new_york(app: App, clock: ManualClock) -> None:
    chat = Chat(app)
    clock.set(clock.now().replace(day=6, hour=12))  # Fri 07:00 EST; DST starts Sun 2026-03-08
    await chat.say("/subscribe 07:00 America/New_York")
    for _ in range(5):
        await chat.say("/done")
        clock.advance(DAY)
    assert "Streak: 5 days" in await chat.say("/streak")


async def test_button_marks_the_day_and_the_card_shows_it(app: App) -> None:
    chat = Chat(app)
    await chat.say("/subscribe")
    answer = await chat.press("done:1")
    assert "Day 1 done" in answer.toast
    assert answer.card is not None and answer.card.buttons == () and "Done" in answer.card.footer
    assert "Already done" in (await chat.press("done:1")).toast
    assert "not started yet" in (await chat.press("done:9")).toast
    assert "no longer in use" in (await chat.press("done:999")).toast
    assert "no longer in use" in (await chat.press("bogus")).toast


async def test_bad_time_gets_a_clear_reply_and_changes_nothing(app: App) -> None:
    chat = Chat(app)
    await chat.say("/subscribe 08:30 UTC")
    answer = await chat.say("/time 25:99")
    assert "“25:99” is not a time of day" in answer and "HH:MM" in answer
    assert "Daily time: 08:30" in await chat.say("/settings")
    assert "Usage: /time HH:MM" in await chat.say("/time")


async def test_unknown_zone_suggests_close_names_and_changes_nothing(app: App) -> None:
    chat = Chat(app)
    await chat.say("/subscribe 08:30 Europe/London")
    answer = await chat.say("/timezone Asia/Shangai")
    assert "not a time zone I know" in answer and "Asia/Shanghai" in answer
    assert "Time zone: Europe/London" in await chat.say("/settings")
    assert "Time zone set to Asia/Shanghai" in await chat.say("/timezone asia/shanghai")
    assert "Etc/GMT-8" in await chat.say("/timezone UTC+8")


async def test_subscribe_with_garbage_explains_the_usage(app: App) -> None:
    chat = Chat(app)
    answer = await chat.say("/subscribe 8pm Narnia")
    assert "Usage: /subscribe" in answer
    assert "not subscribed" in await chat.say("/settings")


async def test_an_overlong_note_is_refused_and_nothing_is_recorded(app: App) -> None:
    chat = Chat(app)
    await chat.say("/subscribe")
    answer = await chat.say("/done " + "x" * 5000)
    assert "5000 characters" in answer and "Nothing was recorded" in answer
    assert "Done 0/140" in await chat.say("/progress")


async def test_unknown_command_and_chatter_point_to_help(app: App) -> None:
    chat = Chat(app)
    assert "I don't know /dance" in await chat.say("/dance")
    assert "/help" in await chat.say("hello bot")
    help_text = await chat.say("/help")
    for command in ("/subscribe", "/done", "/streak", "/progress", "/timezone", "/lang", "/settings", "/week"):
        assert command in help_text


async def test_chatter_in_a_group_is_ignored(app: App) -> None:
    from bot.core.model import ChatKind

    group = Chat(app, chat_id="-5", kind=ChatKind.GROUP)
    assert await group.send("good morning everyone") == []


async def test_language_follows_the_hint_then_the_setting(app: App) -> None:
    chat = Chat(app, hint="zh-hans")
    assert "订阅成功" in await chat.say("/subscribe 08:30 Asia/Shanghai")
    assert "Language set to English" in await chat.say("/lang en")
    assert "Day 1 done" in await chat.say("/done")
    assert "语言已切换为中文" in await chat.say("/lang zh")
    assert "第 1 天已经打过卡了" in await chat.say("/done")
    assert "用法" in await chat.say("/lang klingon")


async def test_today_before_subscribing_previews_day_one(app: App) -> None:
    chat = Chat(app)
    replies = await chat.send("/today")
    assert "not subscribed yet" in text_of(replies[0])
    card = replies[1]
    assert isinstance(card, TopicCard) and card.plan_day == 1 and card.buttons == ()


async def test_week_and_progress_show_what_is_done(app: App, clock: ManualClock) -> None:
    chat = Chat(app)
    await chat.say("/subscribe")
    await chat.say("/done")
    clock.advance(2 * DAY)
    week = await chat.say("/week")
    assert "Week 1/20" in week
    assert "✅ Day 1" in week and "▫️ Day 2" in week and "👉 Day 3" in week and "⬜ Day 4" in week
    replies = await chat.send("/progress")
    picture = replies[0]
    assert isinstance(picture, PictureReply)
    assert picture.png.startswith(b"\x89PNG")
    assert "Done 1/140" in picture.caption and "day 3" in picture.caption
    assert "W01 ✅▫️👉⬜⬜⬜⬜" in picture.text_fallback


async def test_unsubscribe_then_resume_where_you_left_off(app: App, clock: ManualClock) -> None:
    chat = Chat(app)
    await chat.say("/subscribe")
    clock.advance(DAY)
    await chat.say("/today")
    assert "progress is kept" in await chat.say("/unsubscribe")
    assert "not subscribed" in await chat.say("/unsubscribe")
    clock.advance(10 * DAY)
    replies = await chat.send("/subscribe")
    # Only day 1 was pushed before the break: the learner picks up at day 2, not at the calendar's day 12.
    cards = [r for r in replies if isinstance(r, TopicCard)]
    assert cards and cards[0].plan_day == 2


async def test_week_button_shows_the_week(app: App) -> None:
    chat = Chat(app)
    await chat.say("/subscribe")
    answer = await chat.press("week")
    assert "Week 1/20" in text_of(answer.replies[0]) and "👉 Day 1" in text_of(answer.replies[0])


async def test_only_group_admins_change_the_group(app: App) -> None:
    from bot.core.model import ChatKind
    from tests.support import RecordingGateway

    gateway = RecordingGateway()
    app.gateways.connected(gateway)
    member = Chat(app, chat_id="-9", user_id="1", kind=ChatKind.GROUP)
    admin = Chat(app, chat_id="-9", user_id="2", kind=ChatKind.GROUP)
    gateway.admins.add(("-9", "2"))
    assert "Only this group's admins" in await member.say("/subscribe 08:00 UTC")
    assert "not subscribed" in await member.say("/settings")
    assert "Subscribed" in await admin.say("/subscribe 08:00 UTC")
    for command in ("/time 09:00", "/timezone Asia/Tokyo", "/lang zh", "/unsubscribe"):
        assert "Only this group's admins" in await member.say(command)
    assert "Daily time: 08:00" in await member.say("/settings")
    assert "Day 1 done" in await member.say("/done")  # every member marks their own progress
