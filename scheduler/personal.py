"""What a DM gets from a pass beside its push: the day's nudge when it is due for one, the learner's weekly summary
when a push opens a new plan week, and the graduation when the plan's calendar runs out. Pure, like planning.py,
which calls it inside the claiming transaction; each is a ledger row of its own kind, so each goes out once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.core.model import DeliveryKind, Subscription, Wanted
from bot.core.schedule import QUIET_FROM, next_push
from curriculum.schema import week_days, week_of


def nudge(sub: Subscription, now: datetime, grace: timedelta) -> list[Wanted]:
    """A DM due at its nudge instant: the NUDGE row while it is still that day, before quiet hours and within the
    grace period (a pass that comes later sends none); either way the subscription moves on to its next push."""
    assert sub.id is not None and sub.next_due_at is not None and sub.last_pushed_date is not None
    day, due = sub.last_pushed_date, sub.next_due_at
    local = now.astimezone(sub.zone)
    in_time = now - due <= grace and local.date() == day and local.time() <= QUIET_FROM
    sub.next_due_at = next_push(sub, due, day)
    return [Wanted(sub.id, DeliveryKind.NUDGE, day, sub.last_pushed_day)] if in_time else []


def week_ended(sub: Subscription, day: date, before: int, plan_day: int) -> list[Wanted]:
    """The summary of the week a DM's push of `plan_day` moves on from (`before`: the day pushed last)."""
    assert sub.id is not None
    if before < 1 or week_of(plan_day) <= week_of(before):
        return []
    return [Wanted(sub.id, DeliveryKind.WEEKLY, day, week_days(week_of(before))[-1])]


def graduation(sub: Subscription, day: date, total_days: int) -> list[Wanted]:
    """The plan's calendar ran out for a DM that had not done every day (one that had graduated at its /done)."""
    assert sub.id is not None
    return [] if sub.graduated_on is not None else [Wanted(sub.id, DeliveryKind.GRADUATION, day, total_days)]
