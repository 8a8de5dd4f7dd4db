"""Which local dates a chat studies on: its study weekdays and its pauses, over time. A rest day or a paused day
neither breaks nor grows a streak, gets no push, and the calendar pace does not count it.

A chat's calendar is a short list of periods, each from a date on: before the first, every day is a study day.
Changes only ever add periods from today or tomorrow on, so the past keeps the rules it was lived under.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

ALL_DAYS = 0b1111111  # bit 0 is Monday, as date.weekday() counts
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The periods a calendar keeps; the oldest go first (their dates then count as study days in old streaks).
MAX_PERIODS = 60
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """From `since` on (until the next period): study on the weekdays in `days`, unless `paused`. A paused period
    keeps the weekdays the chat comes back to."""

    since: date
    days: int = ALL_DAYS
    paused: bool = False


Schedule = tuple[Period, ...]
_EVERY_DAY = Period(date.min)  # in force before a calendar's first period (and always, in an empty one)


def _index(schedule: Schedule, day: date) -> int:
    """The index of the period in force on `day`, or -1 before the first."""
    return bisect.bisect_right([p.since for p in schedule], day) - 1


def period_on(schedule: Schedule, day: date) -> Period:
    i = _index(schedule, day) if schedule else -1
    return schedule[i] if i >= 0 else _EVERY_DAY


def studies_on(schedule: Schedule, day: date) -> bool:
    """Whether `day` is a study day: one of the study weekdays, and not paused."""
    if not schedule:  # most chats: a delivery claim asks this of each due one
        return True
    period = period_on(schedule, day)
    return not period.paused and bool(period.days >> day.weekday() & 1)


def paused_on(schedule: Schedule, day: date) -> bool:
    return period_on(schedule, day).paused


def pause_ahead(schedule: Schedule, day: date) -> tuple[date, date | None] | None:
    """The pause in force on `day` or starting later: (its first day, the day it ends or None); None if none."""
    for i, period in enumerate(schedule):
        if period.paused and (i + 1 >= len(schedule) or schedule[i + 1].since > day):
            return period.since, schedule[i + 1].since if i + 1 < len(schedule) else None
    return None


def count_study_days(schedule: Schedule, after: date, through: date) -> int:
    """How many study days lie in (after, through]."""
    if through <= after:
        return 0
    if not schedule:  # every day, never paused: most chats, and a claim counts for each due one
        return (through - after).days
    first, total = after + _ONE_DAY, 0
    bounds = [p.since for p in schedule if first < p.since <= through]
    starts = [first, *bounds]
    ends = [*(b - _ONE_DAY for b in bounds), through]
    for start, end in zip(starts, ends, strict=True):
        period = period_on(schedule, start)
        if not period.paused:
            total += _count_weekdays(period.days, start, end)
    return total


def _count_weekdays(mask: int, first: date, last: date) -> int:
    """Days in [first, last] whose weekday is in `mask`."""
    days = (last - first).days + 1
    if days <= 0:
        return 0
    weeks, rest = divmod(days, 7)
    count = weeks * mask.bit_count()
    start = first.weekday()
    return count + sum(1 for i in range(rest) if mask >> ((start + i) % 7) & 1)


def days_on(schedule: Schedule, day: date) -> int:
    """The study weekdays on `day` (during a pause, those it comes back to)."""
    return period_on(schedule, day).days


def with_days(schedule: Schedule, since: date, days: int) -> Schedule:
    """Study on `days` from `since` on; a pause already planned stays, and ends onto the new days."""
    kept = [p for p in schedule if p.since < since]
    later = [replace(p, days=days) for p in schedule if p.since > since]
    return _tidy([*kept, Period(since, days, period_on(schedule, since).paused), *later])


def with_pause(schedule: Schedule, start: date, until: date | None) -> Schedule:
    """Paused from `start` until the day before `until` (None: until resumed); what was planned after `start` goes."""
    days = days_on(schedule, start)
    kept = [p for p in schedule if p.since < start]
    periods = [*kept, Period(start, days, True)]
    if until is not None:
        periods.append(Period(until, days))
    return _tidy(periods)


def without_pause(schedule: Schedule, day: date) -> Schedule:
    """Studying again from `day` on: a pause in force ends, and one planned to start later is called off."""
    days = days_on(schedule, day)
    kept = [p for p in schedule if p.since < day]
    return _tidy([*kept, Period(day, days)])


def _tidy(periods: Sequence[Period]) -> Schedule:
    """Periods in date order (of two from the same date, the later given wins), each one changing something, at
    most MAX_PERIODS of them."""
    by_date = {p.since: p for p in periods}
    tidy: list[Period] = []
    previous = Period(date.min)
    for since in sorted(by_date):
        period = by_date[since]
        if (period.days, period.paused) != (previous.days, previous.paused):
            tidy.append(period)
            previous = period
    return tuple(tidy[-MAX_PERIODS:])


# ----- reading and showing study weekdays -----

_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NAMES = {
    **{name: i for i, name in enumerate(WEEKDAYS)},
    **{name: i for i, name in enumerate(_FULL_NAMES)},
    **{name: i for i, name in enumerate(("mo", "tu", "we", "th", "fr", "sa", "su"))},
    **{f"周{c}": i for i, c in enumerate("一二三四五六日")},
    **{f"星期{c}": i for i, c in enumerate("一二三四五六日")},
    **{c: i for i, c in enumerate("一二三四五六日")},
    "周天": 6,
    "星期天": 6,
}
_SETS = {
    "weekdays": 0b0011111, "workdays": 0b0011111, "工作日": 0b0011111,
    "weekends": 0b1100000, "weekend": 0b1100000, "周末": 0b1100000,
    "daily": ALL_DAYS, "all": ALL_DAYS, "everyday": ALL_DAYS, "every": ALL_DAYS, "每天": ALL_DAYS,
}  # fmt: skip
_SPLIT = re.compile(r"[\s,，、;；/]+")
_RANGE = re.compile(r"^(.+?)(?:-|–|~|～|至|到)(.+)$")


def parse_days(text: str) -> int | None:
    """'mon-fri', 'mon,wed,fri', 'sat sun', 'weekdays', 'every day', '周一至周五' -> a weekday mask; None if any word is
    not a weekday, or none is named."""
    words = [w for w in _SPLIT.split(text.strip().lower().replace("every day", "everyday")) if w]
    mask = 0
    for word in words:
        if word in _SETS:
            mask |= _SETS[word]
            continue
        if word in _NAMES:
            mask |= 1 << _NAMES[word]
            continue
        match = _RANGE.match(word)
        if match is None or match[1] not in _NAMES or match[2] not in _NAMES:
            return None
        first, last = _NAMES[match[1]], _NAMES[match[2]]
        for i in range((last - first) % 7 + 1):
            mask |= 1 << ((first + i) % 7)
    return mask or None


def weekday_runs(days: int) -> list[tuple[int, int]]:
    """The study weekdays as runs (first, last) from Monday on: Mon-Fri is [(0, 4)]; a run of two or more days in a
    row is one run."""
    runs: list[tuple[int, int]] = []
    for i in range(7):
        if not days >> i & 1:
            continue
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs
