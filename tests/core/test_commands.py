"""The learner's journey through the core, on a real store, with the clock moved by the test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.bootstrap import App
from bot.core.clock import ManualClock
from bot.core.events import Incoming
from bot.core.model import ChatKind
from bot.core.replies import PictureReply, TopicCard
from tests.support import Chat, RecordingGateway, Ticking, text_of

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


async def test_subscribe_while_subscribed_says_what_it_changed(app: App) -> None:
    chat = Chat(app)
    await chat.say("/subscribe 08:00 UTC")
    answer = await chat.say("/subscribe Asia/Tokyo")
    assert "already subscribed" in answer and "Time zone changed from UTC to Asia/Tokyo" in answer
    assert "Daily time changed" not in answer and "Daily topic at 08:00 (Asia/Tokyo)" in answer
    # START is 09:00 in Tokyo: today's 08:00 there is past, and today's topic already came with the first reply.
    assert "Next push: 2026-03-03 08:00" in answer
    both = await chat.say("/subscribe 21:30 UTC+5:30")
    assert "Daily time changed from 08:00 to 21:30" in both and "from Asia/Tokyo to UTC+5:30" in both
    same = await chat.say("/subscribe")
    assert "changed" not in same and "Daily topic at 21:30 (UTC+5:30)" in same


async def test_a_groups_topic_is_announced_and_the_runner_told_even_as_the_clock_moves(app: App) -> None:
    app.learners.clock = Ticking(datetime(2026, 3, 2, 0, 0, tzinfo=UTC))
    told: list[str] = []
    app.learners.due_now.append(lambda: told.append("kick"))
    gateway = RecordingGateway()
    app.gateways.connected(gateway)
    gateway.admins.add(("-3", "1"))
    admin = Chat(app, chat_id="-3", user_id="1", kind=ChatKind.GROUP)
    answer = await admin.say("/subscribe 08:00 UTC")
    assert "Subscribed" in answer and "Today's topic is on its way." in answer
    assert told == ["kick"]
    await admin.say("/subscribe 09:00")  # a change, not a new subscription: nothing new is due
    assert told == ["kick"]


async def test_a_time_already_past_today_is_announced_and_sent_at_once(app: App, clock: ManualClock) -> None:
    chat = Chat(app)
    await chat.say("/subscribe 08:00 UTC")  # day 1 came with the reply; day 2 is due at 08:00 on 3 March
    told: list[str] = []
    app.learners.due_now.append(lambda: told.append("kick"))
    app.learners.clock = Ticking(datetime(2026, 3, 3, 7, 0, tzinfo=UTC))
    answer = await chat.say("/time 06:30")  # already past today, and today's topic has not gone out
    assert "Daily time set to 06:30" in answer and "Today's topic is on its way." in answer
    assert told == ["kick"]
    later = await chat.say("/time 21:00")  # later today: no push now
    assert "on its way" not in later and told == ["kick"]


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


async def test_a_note_sent_after_the_button_is_added_to_that_days_record(app: App, clock: ManualClock) -> None:
    chat = Chat(app)
    await chat.say("/subscribe 08:00 UTC")
    assert "Day 1 done" in (await chat.press("done:1")).toast
    answer = await chat.say("/done read the packaging guide")
    assert "already marked done; your note is added" in answer and "Streak: 1 day " in answer
    await chat.say("/done and wrote a pyproject.toml")
    assert "already marked done." in await chat.say("/done")  # nothing to add: the plain answer
    sub = await app.learners.chat(chat.address)
    assert sub is not None and sub.id is not None
    async with app.store.unit() as uow:
        [record] = await uow.chat_completions(sub.id)
    assert record.note == "read the packaging guide\nand wrote a pyproject.toml"


async def test_a_done_typed_before_midnight_counts_for_that_day(app: App, clock: ManualClock) -> None:
    chat = Chat(app)
    await chat.say("/subscribe 08:00 UTC")
    clock.set(datetime(2026, 3, 3, 0, 0, 0, 400_000, tzinfo=UTC))  # arrived at 00:00:00.4 on day 2
    typed = datetime(2026, 3, 2, 23, 59, 59, tzinfo=UTC)
    late = Incoming(chat.address, chat.kind, chat.user_id, "Ada", "en", text="/done", sent_at=typed)
    assert "Day 1 done" in text_of((await app.commands.handle(late))[0])
    assert "Day 2 done" in await chat.say("/done")  # today is still free, and the streak runs over both days
    assert "Streak: 2 days" in await chat.say("/streak")
    # A timestamp far off is not a delay in transit: it dates nothing (here, day 2 again, already done).
    stale = Incoming(chat.address, chat.kind, chat.user_id, "Ada", "en", text="/done", sent_at=typed - DAY)
    assert "Day 2 is already marked done" in text_of((await app.commands.handle(stale))[0])


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
    assert isinstance(answer.card, TopicCard) and answer.card.buttons == () and "Done" in answer.card.footer
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
    assert "Time zone set to UTC+8;" in await chat.say("/timezone UTC+8")
    assert "Time zone: UTC+8" in await chat.say("/settings")  # as typed, not as IANA's inverted Etc/GMT-8


async def test_part_hour_offsets_are_zones_and_arrive_at_their_local_time(app: App, clock: ManualClock) -> None:
    gateway = RecordingGateway()
    app.gateways.connected(gateway)
    india, nepal = Chat(app, chat_id="1", user_id="1"), Chat(app, chat_id="2", user_id="2")
    assert "Subscribed! Every day at 07:00 (UTC+5:30)" in await india.say("/subscribe 07:00 UTC+5:30")
    assert "07:00 (UTC+5:45)" in await nepal.say("/subscribe UTC+05:45 07:00")
    # START is 00:00 UTC on 2 March: 05:30 in India, 05:45 in Nepal; both got day 1 with the confirmation.
    report = await app.delivery.run_pass(datetime(2026, 3, 3, 1, 15, tzinfo=UTC))  # 07:00 at +5:45 is 01:15 UTC
    assert report.sent == 1
    assert (await app.delivery.run_pass(datetime(2026, 3, 3, 1, 30, tzinfo=UTC))).sent == 1  # and at +5:30, 01:30
    assert [chat for chat, _ in gateway.sent] == ["2", "1"]
    assert "Next push: 2026-03-04 07:00" in await india.say("/settings")


async def test_subscribe_names_the_argument_that_is_wrong(app: App) -> None:
    chat = Chat(app)
    for typed, blamed in (("8am", "“8am” is not a time of day"), ("07:00 UTC+5:31", "“UTC+5:31” is not a time zone"),
                          ("07:00 Mars/Base", "“Mars/Base” is not a time zone"),
                          ("25:99 UTC", "“25:99” is not a time of day"),
                          ("07:00 08:00", "“08:00” is a second time of day")):  # fmt: skip
        answer = await chat.say(f"/subscribe {typed}")
        assert blamed in answer and "Usage: /subscribe" in answer, typed
    assert "not subscribed" in await chat.say("/settings")


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


async def test_pause_in_a_dm_shows_as_paused_and_unsubscribe_as_not_subscribed(app: App) -> None:
    chat = Chat(app)
    await chat.say("/subscribe 08:00 UTC")
    assert "Paused" in await chat.say("/pause")
    settings = await chat.say("/settings")
    assert "Status: paused" in settings and "/resume" in settings and "not subscribed" not in settings
    assert "Resumed" in await chat.say("/resume")
    assert "Status: subscribed" in await chat.say("/settings")
    await chat.say("/unsubscribe")
    assert "Status: not subscribed" in await chat.say("/settings")


async def test_the_progress_picture_speaks_the_chats_language(app: App) -> None:
    from bot.core import render
    from bot.core.i18n import messages

    chat = Chat(app, hint="zh-hans")
    await chat.say("/subscribe 08:00 Asia/Shanghai")
    await chat.say("/done")
    found = await app.learners.progress(chat.address, chat.user_id)
    assert found is not None
    grid = render.progress_grid(messages("zh"), found[1], app.curriculum)
    assert grid.title == "进度 1/140" and grid.subtitle == "连续 1 天 · 最长 1 天"
    assert set(grid.legend.values()) == {"完成", "错过", "今天", "未开始"}
