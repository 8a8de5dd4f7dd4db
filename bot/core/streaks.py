"""Streak rules: a streak is a run of study days, each with at least one completion, dated in the local calendar.

- A day that is not a study day (a rest day, a paused day) neither breaks nor grows a streak.
- Today never breaks it: a learner keeps the streak until today is over.
- Streak freezes: every 7 days the run grows by earns one, and a learner holds at most 2. A missed study day
  spends one, if held, and the streak goes on (the frozen day does not grow it); without one, it breaks.

Everything is derived from the dated history, so nothing but the dates needs storing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)
FREEZE_EVERY = 7
MAX_FREEZES = 2

# Whether a date is a study day; None: every day is.
Counts = Callable[[date], bool] | None


@dataclass(frozen=True)
class Streak:
    """A person's standing in days: the current run, the longest ever, whether today counts already, the freezes
    they hold, and the missed study days freezes covered (oldest first)."""

    current: int
    longest: int
    today_done: bool
    freezes: int = 0
    frozen: tuple[date, ...] = ()


def streak(dates: Iterable[date], today: date, counts: Counts = None) -> Streak:
    """The standing on `today` from the dates with a completion; days after `today` are not looked at."""
    done = set(dates)
    past = [d for d in done if d <= today]
    if not past:
        return Streak(0, 0, today in done)
    run = best = held = 0
    frozen: list[date] = []
    day = min(past)
    while day <= today:
        if counts is not None and not counts(day):
            pass  # a rest or paused day: the run neither breaks nor grows
        elif day in done:
            run += 1
            best = max(best, run)
            if run % FREEZE_EVERY == 0:
                held = min(MAX_FREEZES, held + 1)
        elif day < today:
            if held:  # held > 0 only during a run of 7 or more
                held -= 1
                frozen.append(day)
            else:
                run = 0
        day += ONE_DAY
    return Streak(run, best, today in done, held, tuple(frozen))


def current_streak(dates: Iterable[date], today: date) -> int:
    """Days in the run that ends today, or yesterday, every day counting (no freezes are earned in a run under 7)."""
    return streak(dates, today).current


def longest_streak(dates: Iterable[date]) -> int:
    """The longest run of consecutive dates ever, freezes included."""
    days = set(dates)
    return streak(days, max(days)).longest if days else 0
