"""A person's standing in one chat, from the days they completed: what commands, the weekly summary and the
graduation show. Pure, so the core and the delivery pass compute it the same way."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from bot.core.model import ChatKind, DayDone, Progress, Subscription
from bot.core.streaks import streak


def progress_of(sub: Subscription, days: Iterable[DayDone], today: date, total_days: int) -> Progress:
    """`days`: what the person completed on the chat's platform. In their own DM a person's streak counts every day
    they studied, in groups too (each date once), over the DM's study days; in a group only that group's days count,
    over the group's study days. The plan days done are this chat's, in its current run of the plan."""
    if sub.kind is not ChatKind.PRIVATE:
        days = [d for d in days if d.subscription_id == sub.id]
    days = list(days)
    dates = {d.local_date for d in days}
    standing = streak(dates, today, sub.studies_on if sub.schedule else None)
    return Progress(
        done_days=frozenset(d.plan_day for d in days if d.subscription_id == sub.id and d.round == sub.round),
        current_day=sub.plan_day_on(today, total_days),
        total_days=total_days,
        streak=standing.current,
        longest_streak=standing.longest,
        completed_today=standing.today_done,
        dates=tuple(sorted(dates)),
        freezes=standing.freezes,
        frozen=standing.frozen,
        first_day=min(sub.first_day, total_days),
    )


def untold_freezes(sub: Subscription, progress: Progress) -> tuple[date, ...]:
    """The missed days a freeze covered that the DM's person has not been told about yet."""
    if sub.kind is not ChatKind.PRIVATE:
        return ()
    return tuple(d for d in progress.frozen if sub.freeze_told is None or d > sub.freeze_told)
