"""A chat's own rhythm: a pause (for some days, or until /resume), its study days, its pace, a jump to a plan day,
and the plan started again. Each change commits before it returns; a DM's or a group's alike unless said.

- A pause starts today, or tomorrow if today's topic already came; paused days get no push, are not counted by
  the calendar pace, and neither break nor grow a streak. A pause with a length ends by itself: its chat is simply
  not due again until then (the delivery pass picks it up), with no timer anywhere.
- New study days apply from today if today's topic has not come yet, else from tomorrow; the days before keep the
  rules they were lived under.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from bot.core import schedule
from bot.core.learner import Learners, next_not_done
from bot.core.model import Address, ChatKind, Pace, Subscription, started
from bot.core.studydays import pause_ahead, with_days, with_pause, without_pause

MAX_PAUSE_DAYS = 365


@dataclass(frozen=True)
class Paused:
    sub: Subscription
    # The day pushes come back (None: on /resume), and the plan day that comes then.
    until: date | None
    next_day: int


def _settled_today(sub: Subscription, today: date) -> date:
    """The first day a change can still apply to: today, unless today's topic already came."""
    return today + timedelta(days=1) if sub.last_pushed_date == today else today


async def pause(learners: Learners, address: Address, days: int | None) -> Paused | None:
    """Pause a running (or already paused) chat for `days` days, or until /resume; None if it is not running."""
    now = learners.clock.now()
    async with learners.store.unit() as uow:
        sub = await uow.subscription(address)
        if not started(sub) or not (sub.active or sub.paused):
            return None
        today = learners.today(sub)
        start = _settled_today(sub, today)
        if (ahead := pause_ahead(sub.schedule, today)) is not None and ahead[0] <= start:
            start = ahead[0]  # a pause in force goes on from where it began
        until = None if days is None else max(start, today) + timedelta(days=days)
        sub.schedule = with_pause(sub.schedule, start, until)
        sub.active, sub.paused = until is not None, until is None
        sub.next_due_at = schedule.after_change(sub, now) if until is not None and not learners.finished(sub) else None
        sub = await uow.save_subscription(sub, now)
        await uow.commit()
    back = until or start
    while until is not None and not sub.studies_on(back) and back < until + timedelta(days=14):
        back += timedelta(days=1)
    next_day = min(sub.position_on(back), learners.curriculum.total_days)
    return Paused(sub, until, next_day)


async def set_days(learners: Learners, address: Address, kind: ChatKind, language: str, days: int) -> Subscription:
    """Study on the weekdays in `days` (bit 0: Monday) from now on."""
    now = learners.clock.now()
    async with learners.store.unit() as uow:
        sub = await uow.subscription(address) or learners.new_chat(address, kind, language)
        sub.schedule = with_days(sub.schedule, _settled_today(sub, learners.today(sub)), days)
        if sub.active and not learners.finished(sub):
            sub.next_due_at = schedule.after_change(sub, now)
        sub = await uow.save_subscription(sub, now)
        await uow.commit()
    learners.tell_if_due(sub, now)
    return sub


async def set_pace(learners: Learners, address: Address, pace: Pace, done: frozenset[int]) -> Subscription | None:
    """Switch a started DM's pace; `done`: the plan days its person has done (in this run of the plan).

    To self pace: the next push is the first day not done after the last one done, so days missed lately come
    first. To calendar pace: the calendar goes on from today's plan day."""
    now = learners.clock.now()
    async with learners.store.unit() as uow:
        sub = await uow.subscription(address)
        if not started(sub):
            return None
        if sub.pace is not pace:
            today = learners.today(sub)
            current = sub.plan_day_on(today, learners.curriculum.total_days)
            if pace is Pace.SELF:
                ahead = [d for d in done if d >= sub.first_day]
                sub.start_day = next_not_done(max(ahead, default=sub.first_day - 1), done)
            else:
                sub.start_date, sub.start_day = today, current
            sub.pace = pace
            if sub.active:
                sub.next_due_at = None if learners.finished(sub) else schedule.after_change(sub, now)
            sub = await uow.save_subscription(sub, now)
            await uow.commit()
    return sub


@dataclass(frozen=True)
class Moved:
    """Where a chat stands after /goto or /restart: today's plan day, and whether it went out now as a reply
    (a DM's, or a group's whose push came already today)."""

    sub: Subscription
    day: int
    pushed: bool


async def goto(learners: Learners, address: Address, day: int) -> Moved | None:
    """Make `day` today's plan day in a started chat; None if it has not started."""
    now = learners.clock.now()
    async with learners.store.unit() as uow:
        sub = await uow.subscription(address)
        if not started(sub):
            return None
        today = learners.today(sub)
        learners.jump(sub, today, day)
        pushed = None
        if sub.active and sub.studies_on(today):
            pushed = learners.topic_now(sub, today, now)
        elif sub.active:
            sub.next_due_at = schedule.after_change(sub, now)
        sub = await uow.save_subscription(sub, now)
        await uow.commit()
    await _recorded(learners, sub, today, pushed)
    learners.tell_if_due(sub, now)
    return Moved(sub, day, pushed is not None)


async def restart(learners: Learners, address: Address, from_start: bool, done: frozenset[int]) -> Moved | None:
    """The plan again: from day 1 in a new run (the history stays), or, in a DM, only the days not done yet (at
    self pace, so each push is the next of them). None if the chat never started, or nothing is left to do."""
    now = learners.clock.now()
    async with learners.store.unit() as uow:
        sub = await uow.subscription(address)
        if not started(sub):
            return None
        today = learners.today(sub)
        first = 1 if from_start else next_not_done(0, done)
        if first > learners.curriculum.total_days:
            return None
        sub = replace(sub, active=True, paused=False, unreachable=False, graduated_on=None, first_day=1,
                      start_date=today, start_day=first)  # fmt: skip
        if pause_ahead(sub.schedule, today) is not None:
            sub.schedule = without_pause(sub.schedule, today)
        if from_start:
            sub.round += 1
        else:
            sub.pace = Pace.SELF
        pushed = learners.topic_now(sub, today, now)
        sub = await uow.save_subscription(sub, now)
        await uow.commit()
    await _recorded(learners, sub, today, pushed)
    learners.tell_if_due(sub, now)
    return Moved(sub, first, pushed is not None)


async def _recorded(learners: Learners, sub: Subscription, today: date, pushed: int | None) -> None:
    if pushed is not None and sub.id is not None:
        await learners.store.ledger.record_reply(sub.id, today, pushed, learners.clock.now())
