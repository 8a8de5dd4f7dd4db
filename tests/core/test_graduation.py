"""The plan's end: a stage's milestone, graduation at every day done (at once) or at the plan's last day (from the
delivery pass), the certificate picture, the status "finished", and /restart keeping the history."""

from __future__ import annotations

from bot.bootstrap import App
from bot.core.clock import ManualClock
from bot.core.replies import PictureReply, TextReply, TopicCard
from tests.core.test_habits import at, day_at, learner, sent_texts
from tests.support import text_of


async def test_graduation_at_every_day_done_with_a_certificate(app: App, clock: ManualClock) -> None:
    chat, gateway = await learner(app, "/subscribe 08:00 UTC week 20")  # days 134 to 140
    await chat.say("/done")
    for day in range(3, 9):
        await day_at(app, clock, at(day, 9))
        replies = await chat.send("/done")
    text = "\n".join(text_of(r) for r in replies)
    assert "Day 140 done" in text and "you graduated" in text
    [certificate] = [r for r in replies if isinstance(r, PictureReply)]
    assert certificate.png.startswith(b"\x89PNG") and "7/140" in certificate.caption
    settings = await chat.say("/settings")
    assert "Status: finished 🎓" in settings and "Next push" not in settings
    await day_at(app, clock, at(9))  # the plan is over: nothing more is pushed, no second graduation
    assert not any("graduated" in t or "end of the plan" in t for t in sent_texts(gateway))


async def test_the_plans_last_day_brings_the_graduation_from_the_pass(app: App, clock: ManualClock) -> None:
    chat, gateway = await learner(app)
    await chat.say("/goto 140")  # day 140 today, not done
    await day_at(app, clock, at(3))  # when day 141 would have come
    texts = sent_texts(gateway)
    assert any("reached the end of the plan: 0/140 days done" in t for t in texts)
    assert isinstance(gateway.sent[-1][1], PictureReply)
    assert "Status: finished" in await chat.say("/settings")
    assert "reached the end of the plan" in await chat.say("/today")
    await day_at(app, clock, at(4))
    assert sum("end of the plan" in t for t in sent_texts(gateway)) == 1


async def test_restart_from_day_1_keeps_the_history(app: App, clock: ManualClock) -> None:
    chat, _ = await learner(app, "/subscribe 08:00 UTC week 20")
    await chat.say("/done first run")
    [offer] = await chat.send("/restart")
    assert isinstance(offer, TextReply) and [b.action for b in offer.buttons] == ["restart:all:100", "restart:gaps:100"]
    assert "Only the person who asked" in (await chat.press_as("7", "restart:all:100")).toast
    answer = await chat.press("restart:all:100")
    assert "starts again from day 1" in text_of(answer.replies[0])
    assert isinstance(answer.replies[1], TopicCard) and answer.replies[1].plan_day == 1
    assert "Day 1 done" in await chat.say("/done second run")
    notes = await chat.say("/notes")
    assert "Day 134 · 2026-03-02: first run" in notes and "Day 1 (run 2) · 2026-03-02: second run" in notes
    assert "Streak: 1 day" in await chat.say("/streak")  # one date studied, whichever run
    assert "Done 1/140" in await chat.say("/progress")  # this run's days


async def test_restart_with_only_the_days_not_done(app: App, clock: ManualClock) -> None:
    chat, gateway = await learner(app)
    clock.set(at(5, 9))
    await chat.say("/done 1")
    await chat.say("/done 3")
    answer = await chat.press("restart:gaps:100")
    assert "Only the days not done" in text_of(answer.replies[0])
    assert isinstance(answer.replies[1], TopicCard) and answer.replies[1].plan_day == 2
    await chat.say("/done")
    await day_at(app, clock, at(6))
    assert gateway.cards_to("100")[-1].plan_day == 4  # day 3 was done: the next one not done


async def test_a_stages_end_is_a_milestone_in_the_weekly_summary(app: App, clock: ManualClock) -> None:
    _, gateway = await learner(app, "/subscribe 08:00 UTC week 3")
    for day in range(3, 10):  # days 16 to 22: day 22 opens week 4, the first of stage 2
        await day_at(app, clock, at(day))
    texts = sent_texts(gateway)
    milestone = next(t for t in texts if "Stage 1 of 6 complete" in t)
    assert "Python core and advanced programming" in milestone and "Next: Modern backend" in milestone
    summary = texts.index(next(t for t in texts if "Your week 3" in t))
    assert texts.index(milestone) < summary and isinstance(gateway.sent[summary + 1][1], PictureReply)
