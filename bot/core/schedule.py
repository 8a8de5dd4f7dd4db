"""When a chat is next due: its push instants (bot.core.due) on study days only, and, in a DM, the day's gentle
nudge between a push and the next. Pure: the core uses it when a chat changes, the delivery pass when one is due.

A nudge comes at the learner's nudge time, or by default three hours after the push; never after 22:00 local time,
never before the day's push, and (the ledger's key) never twice a day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.core.due import due_after_change, local_date, local_instant, next_due
from bot.core.model import ChatKind, Subscription

NUDGE_AFTER = timedelta(hours=3)
# The latest a nudge may come, local time: quiet hours start after it.
QUIET_FROM = time(22, 0)
# A default nudge closer than this to the push is no nudge at all.
NUDGE_GAP = timedelta(hours=1)


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def nudge_time(sub: Subscription) -> time | None:
    """The local time of a DM's nudge, or None: off, a group, or no time left before quiet hours."""
    if sub.kind is not ChatKind.PRIVATE or not sub.nudge:
        return None
    push = _minutes(sub.local_time)
    if sub.nudge_time is not None:
        chosen = _minutes(sub.nudge_time)
        return sub.nudge_time if push < chosen <= _minutes(QUIET_FROM) else None
    default = min(push + NUDGE_AFTER.seconds // 60, _minutes(QUIET_FROM))
    if default - push < NUDGE_GAP.seconds // 60:
        return None
    return time(default // 60, default % 60)


def nudge_instant(sub: Subscription, day: date) -> datetime | None:
    """When the nudge about `day`'s topic is due, if the chat gets one."""
    at = nudge_time(sub)
    return None if at is None else local_instant(day, at, sub.zone)


def next_push(sub: Subscription, not_before: datetime, after_date: date | None) -> datetime | None:
    """The first push instant at or after `not_before`, for a study day after `after_date`; None if none comes."""
    try:
        return next_due(sub.local_time, sub.zone, not_before=not_before, after_date=after_date, on=sub.studies_on)
    except ValueError:
        return None


def after_push(sub: Subscription, pushed_at: datetime, now: datetime) -> datetime | None:
    """Due next once the push of `sub.last_pushed_date` went out at `pushed_at`: that day's nudge while it is
    still ahead, else the next push."""
    push = next_push(sub, now, sub.last_pushed_date)
    day = sub.last_pushed_date
    nudge = nudge_instant(sub, day) if day is not None else None
    if nudge is not None and nudge > max(now, pushed_at) and (push is None or nudge < push):
        return nudge
    return push


def after_change(sub: Subscription, now: datetime) -> datetime | None:
    """Due next after a change at `now` (time, zone, days, a pause, the nudge): today's push if it has not gone out
    (at once if its time has passed), else today's nudge if it is ahead, else the next push."""
    try:
        push: datetime | None = due_after_change(
            sub.local_time, sub.zone, now=now, last_pushed=sub.last_pushed_date, on=sub.studies_on
        )
    except ValueError:
        push = None
    today = local_date(now, sub.zone)
    if sub.last_pushed_date == today:
        nudge = nudge_instant(sub, today)
        if nudge is not None and nudge > now and (push is None or nudge < push):
            return nudge
    return push


def is_nudge_due(sub: Subscription) -> bool:
    """Whether a due subscription is due for the nudge of its last push's day (rather than for a push)."""
    day = sub.last_pushed_date
    return day is not None and sub.next_due_at is not None and sub.next_due_at == nudge_instant(sub, day)


def next_push_at(sub: Subscription) -> datetime | None:
    """When the next push is due (a nudge due first is not a push)."""
    if sub.next_due_at is not None and is_nudge_due(sub):
        return next_push(sub, sub.next_due_at, sub.last_pushed_date)
    return sub.next_due_at
