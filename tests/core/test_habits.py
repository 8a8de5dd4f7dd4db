"""A learner's rhythm across weeks, with the injected clock and real delivery passes: streak freezes earned and
spent, pauses, self pace after missed days, study days across a DST change, jumping ahead and marking a past day."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.bootstrap import App
from bot.core.clock import ManualClock
from bot.core.replies import TextReply, TopicCard
from tests.core.test_groups import group_with_admin, member
from tests.support import Chat, RecordingGateway, text_of


def at(day: int, hour: int = 8, minute: int = 0, month: int = 3) -> datetime:
    """An instant in March 2026 (UTC); 2 March is a Monday, the day the tests' clock starts."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


async def learner(app: App, subscribe: str = "/subscribe 08:00 UTC") -> tuple[Chat, RecordingGateway]:
    gateway = RecordingGateway()
    app.gateways.connected(gateway)
    chat = Chat(app)
    assert "Subscribed" in await chat.say(subscribe)
    return chat, gateway


async def day_at(app: App, clock: ManualClock, instant: datetime) -> None:
    """The clock moves to `instant` and a delivery pass runs then, as the runner would."""
    clock.set(instant)
    await app.delivery.run_pass(instant)


def sent_texts(gateway: RecordingGateway, since: int = 0) -> list[str]:
    return [text_of(reply) for _, reply in gateway.sent[since:]]


async def test_a_freeze_is_earned_by_seven_days_and_spent_on_a_missed_one(app: App, clock: ManualClock) -> None:
    chat, gateway = await learner(app)
    await chat.say("/done")  # day 1, Monday
    for day in range(3, 9):  # Tuesday to Sunday: days 2 to 7, each pushed and done
        await day_at(app, clock, at(day))
        answer = await chat.say("/done")
    assert "Streak: 7 days" in answer and "You earned a streak freeze" in answer and "🧊 1 freeze" in answer
    assert "Freezes: 1 of 2" in await chat.say("/streak")
    await day_at(app, clock, at(9))  # Monday: day 8 comes, and nothing is done all day
    before = len(gateway.sent)
    await day_at(app, clock, at(10))  # Tuesday's push, then the news
    news = sent_texts(gateway, before)
    assert "Day 9/140" in news[0]
    assert "A streak freeze covered Mon 2026-03-09" in news[1] and "0 freezes left" in news[1]
    streak = await chat.say("/streak")
    assert "Streak: 7 days" in streak and "Freezes: 0 of 2" in streak and "freeze covered" not in streak  # told once
    assert "Streak: 8 days" in await chat.say("/done")
    # Without a freeze, the next missed day breaks it.
    await day_at(app, clock, at(11))
    await day_at(app, clock, at(12))
    assert "Streak: 0 days (longest 8)" in await chat.say("/streak")


async def test_a_freeze_spent_is_told_in_the_first_reply_when_no_push_came_first(app: App, clock: ManualClock) -> None:
    chat, _ = await learner(app)
    for day in range(2, 9):
        clock.set(at(day, 9))
        await chat.say("/done")
    clock.set(at(10, 7))  # Tuesday before its push: Monday went by without a /done
    first = await chat.send("/today")
    assert isinstance(first[0], TextReply) and "freeze covered Mon 2026-03-09" in first[0].text
    assert "freeze covered" not in await chat.say("/today")


async def test_a_pause_across_a_week_boundary_keeps_the_streak_and_shifts_the_plan(
    app: App, clock: ManualClock
) -> None:
    chat, gateway = await learner(app)
    await chat.say("/done")
    for day in range(3, 7):  # Tuesday to Friday: days 2 to 5
        await day_at(app, clock, at(day))
        await chat.say("/done")
    paused = await chat.say("/pause 3")  # on Friday, after its topic: Saturday, Sunday and Monday off
    assert "Paused for 3 days" in paused and "comes back on Tue 2026-03-10, with day 6" in paused
    settings = await chat.say("/settings")
    assert "Status: subscribed" in settings  # Friday itself is not paused
    clock.set(at(7, 9))
    assert "paused until Tue 2026-03-10" in await chat.say("/settings")
    cards = len(gateway.cards_to("100"))
    for day in (7, 8, 9):
        await day_at(app, clock, at(day))
    assert len(gateway.cards_to("100")) == cards  # nothing while paused
    await day_at(app, clock, at(10))  # back by itself, without a /resume
    assert gateway.cards_to("100")[-1].plan_day == 6
    done = await chat.say("/done")
    assert "Day 6 done" in done and "Streak: 6 days" in done  # the paused days neither broke nor grew it
    await day_at(app, clock, at(11))
    await chat.say("/done")
    await day_at(app, clock, at(12))  # day 8 opens week 2: the week's summary comes first
    summary = next(t for t in sent_texts(gateway) if "Your week 1" in t)
    assert "Days done this week: 7/7" in summary and "Next week, week 2" in summary


async def test_resume_ends_a_pause_with_a_length_sooner(app: App, clock: ManualClock) -> None:
    chat, _ = await learner(app)
    clock.set(at(2, 9))
    await chat.say("/pause 10")  # from Tuesday: the topic of Monday came already
    clock.set(at(4, 7))
    resumed = await chat.send("/resume")
    assert "Resumed" in text_of(resumed[0])
    assert isinstance(resumed[1], TopicCard) and resumed[1].plan_day == 2  # the plan waited
    assert "Status: subscribed" in await chat.say("/settings")
    assert "already running" in await chat.say("/resume")


async def test_self_pace_pushes_the_next_day_not_done_after_missed_days(app: App, clock: ManualClock) -> None:
    chat, gateway = await learner(app)
    await chat.say("/done")
    await day_at(app, clock, at(3))  # day 2 comes, and is not done
    answer = await chat.say("/pace self")
    assert "Self pace" in answer and "next push is day 2" in answer
    await day_at(app, clock, at(4))
    await day_at(app, clock, at(5))
    assert [c.plan_day for c in gateway.cards_to("100")] == [2, 2, 2]  # a missed day loses no content
    assert "Day 2 done" in await chat.say("/done")
    await day_at(app, clock, at(6))
    assert gateway.cards_to("100")[-1].plan_day == 3
    # Back to the calendar: it goes on from today's day, a new day every day.
    await chat.say("/pace calendar")
    await day_at(app, clock, at(7))
    assert gateway.cards_to("100")[-1].plan_day == 4


async def test_study_days_across_a_dst_change(app: App, clock: ManualClock) -> None:
    """New York springs forward on Sunday 8 March 2026: pushes stay at 08:00 local on weekdays only, and the
    weekend is a rest that neither breaks nor grows the streak."""
    clock.set(datetime(2026, 3, 5, 18, 0, tzinfo=UTC))  # Thursday 13:00 in New York
    chat, gateway = await learner(app, "/subscribe 08:00 America/New_York")
    assert "every day" in await chat.say("/days")
    assert "Study days: Mon–Fri" in await chat.say("/days mon-fri")
    await chat.say("/done")  # day 1, Thursday
    pushed: list[tuple[datetime, int]] = []
    while True:
        sub = await app.learners.chat(chat.address)
        assert sub is not None and sub.next_due_at is not None
        instant = sub.next_due_at
        if instant >= datetime(2026, 3, 17, tzinfo=UTC):
            break
        before = len(gateway.cards_to("100"))
        await day_at(app, clock, instant)
        if len(gateway.cards_to("100")) > before:
            pushed.append((instant, gateway.cards_to("100")[-1].plan_day))
            await chat.say("/done")
    local = [(i.astimezone(sub.zone).strftime("%a %d %H:%M"), day) for i, day in pushed]
    assert local == [("Fri 06 08:00", 2), ("Mon 09 08:00", 3), ("Tue 10 08:00", 4), ("Wed 11 08:00", 5),
                     ("Thu 12 08:00", 6), ("Fri 13 08:00", 7), ("Mon 16 08:00", 8)]  # fmt: skip
    assert [i.hour for i, _ in pushed] == [13, 12, 12, 12, 12, 12, 12]  # EST, then EDT
    assert "Streak: 8 days" in await chat.say("/streak")


async def test_goto_and_subscribing_a_week_in_start_further_in(app: App, clock: ManualClock) -> None:
    chat, gateway = await learner(app, "/subscribe 08:00 UTC week 3")
    assert "Day 15/140" in await chat.say("/today")
    jumped = await chat.send("/goto 29")
    assert "Day 29 is today's topic now" in text_of(jumped[0])
    assert isinstance(jumped[1], TopicCard) and jumped[1].plan_day == 29
    await day_at(app, clock, at(3))
    assert gateway.cards_to("100")[-1].plan_day == 30
    catchup = await chat.say("/catchup")  # day 29 came and was not done; the days skipped ahead were never missed
    assert "1 day to catch up" in catchup and "Day 29:" in catchup and "Day 15:" not in catchup
    assert "/goto 29 or /goto week 5" in await chat.say("/goto 0")
    assert "Day 31 has not started yet" in await chat.say("/done 31")
    assert "Day 30 done" in await chat.say("/done 30 read it twice")


async def test_done_with_a_day_marks_that_day_with_its_note(app: App, clock: ManualClock) -> None:
    chat, _ = await learner(app)
    clock.set(at(5, 9))  # day 4; days 1 to 3 not done
    assert "Day 2 done" in await chat.say("/done 2 finally read the guide")
    assert "Day 4 done" in await chat.say("/done")
    notes = await chat.say("/notes")
    assert "Day 2 · 2026-03-05: finally read the guide" in notes
    week = await chat.say("/week")
    assert "📝 finally read the guide" in week
    assert "Days 1 and 3" not in week
    catchup = await chat.say("/catchup")
    assert "2 days to catch up" in catchup and "Day 1:" in catchup and "Day 3:" in catchup


async def test_a_rest_day_shows_the_next_push_after_it(app: App, clock: ManualClock) -> None:
    chat, _ = await learner(app)
    await chat.say("/days mon-fri")
    for day in range(3, 8):
        await day_at(app, clock, at(day))
    clock.set(at(7, 9))  # a Saturday
    settings = await chat.say("/settings")
    assert "Study days: Mon–Fri" in settings and "Next push: 2026-03-09 08:00" in settings  # not Sunday's


async def test_a_groups_study_days_keep_each_members_streak_over_the_weekend(app: App, clock: ManualClock) -> None:
    gateway = await group_with_admin(app)
    admin, ada = member(app, "-1", "1", "Admin"), member(app, "-1", "2", "Ada")
    assert "Only this group's admins" in await ada.say("/days mon-fri")
    assert "Study days: Mon–Fri" in await admin.say("/days mon-fri")
    await day_at(app, clock, at(2, 8))
    for day in (2, 3, 4, 5, 6, 9):  # Monday to Friday, then Monday again
        await day_at(app, clock, at(day))
        await ada.say("/done")
    assert [c.plan_day for c in gateway.cards_to("-1")] == [1, 2, 3, 4, 5, 6]  # no weekend pushes
    assert "Streak: 6 days" in await ada.say("/streak")
    board = await ada.say("/leaderboard")
    assert "Ada · 6/7 · 🔥 6" in board


async def test_a_groups_wrap_up_carries_a_stages_milestone(app: App, clock: ManualClock) -> None:
    gateway = RecordingGateway()
    app.gateways.connected(gateway)
    gateway.admins.add(("-1", "1"))
    assert "Subscribed" in await member(app, "-1", "1", "Admin").say("/subscribe 08:00 UTC week 3")
    for day in range(2, 10):  # days 15 to 22: day 22 opens week 4, stage 2's first
        await day_at(app, clock, at(day))
    texts = sent_texts(gateway)
    milestone = next(t for t in texts if "Stage 1 of 6 complete" in t)
    assert texts.index(milestone) + 1 == texts.index(next(t for t in texts if "Week 3 wrap-up" in t))
