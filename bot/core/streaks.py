"""Streak rules: a streak is a run of consecutive local calendar days with at least one completion."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


def current_streak(dates: Iterable[date], today: date) -> int:
    """Days in the run that ends today, or yesterday: a learner keeps the streak until today is over."""
    days = set(dates)
    end = today if today in days else today - ONE_DAY
    streak = 0
    while end in days:
        streak += 1
        end -= ONE_DAY
    return streak


@dataclass(frozen=True)
class Streak:
    """A person's standing in days: the current run, the longest ever, and whether today counts already."""

    current: int
    longest: int
    today_done: bool


def streak(dates: Iterable[date], today: date) -> Streak:
    days = set(dates)
    return Streak(current_streak(days, today), longest_streak(days), today in days)


def longest_streak(dates: Iterable[date]) -> int:
    """The longest run of consecutive dates ever."""
    best = run = 0
    previous: date | None = None
    for day in sorted(set(dates)):
        run = run + 1 if previous is not None and day - previous == ONE_DAY else 1
        best = max(best, run)
        previous = day
    return best
