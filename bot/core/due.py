"""When is a subscriber due: a local wall-clock time in an IANA zone turned into UTC instants, DST included.

A pure leaf module (zoneinfo only): the core uses it when a subscription changes, the scheduler when it is due.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

_DAY = timedelta(days=1)
# Whether a local date gets a push (a study day, not paused); None: every date does.
Dates = Callable[[date], bool] | None
# Looked at before giving up: a calendar with no study day in this long has none to come.
_HORIZON = 800


@lru_cache(maxsize=65536)
def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock `at` on `day` in `zone`.

    A time skipped by a spring-forward change moves forward by the gap (02:30 -> 03:30 in New York);
    a time repeated by a fall-back change takes its first occurrence (fold=0).
    """
    # zoneinfo reads fold=0 with the offset in force before a change: for a skipped time that lands
    # after the gap once converted (the "move forward"), for a repeated time on its first occurrence.
    naive = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    return naive.replace(tzinfo=zone).astimezone(UTC)


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    """The calendar date in `zone` at a UTC instant."""
    return instant.astimezone(zone).date()


def due_date(instant: datetime, at: time, zone: ZoneInfo) -> date:
    """The local date whose push is due at `instant`, for a subscriber at local time `at`.

    That is the instant's own date, except where `at` fell in a spring-forward gap that ran up to midnight:
    moved forward by the gap, that day's push lands early on the next day and still belongs to its own day
    (in America/Nuuk, 23:30 on the last Saturday of March comes at 00:30 on Sunday, and Sunday still gets
    its 23:30). A date skipped whole (Pacific/Apia, 2011-12-30) has no push: its instant is the next day's.
    """
    day = local_date(instant, zone)
    if local_instant(day, at, zone) != instant and local_instant(day - _DAY, at, zone) == instant:
        return day - _DAY
    return day


def next_due(
    at: time, zone: ZoneInfo, *, not_before: datetime, after_date: date | None = None, on: Dates = None
) -> datetime:
    """The first instant at local time `at` that is >= `not_before` and is due for a date after `after_date`
    (and, given `on`, for a date `on` accepts).

    `after_date` is the local date last delivered to, so a subscriber never gets two pushes on one local
    day even when their time or zone changes. Raises ValueError if `on` accepts no date for years.
    """
    # From the day before: its push may still be ahead, moved past midnight by a spring-forward gap.
    day = local_date(not_before, zone) - _DAY
    if after_date is not None and day <= after_date:
        day = after_date + _DAY
    for _ in range(_HORIZON):
        candidate = local_instant(day, at, zone)
        if candidate >= not_before and (on is None or on(day)):
            return candidate
        day += _DAY
    raise ValueError("no date to push on")


def previous_due(at: time, zone: ZoneInfo, *, not_after: datetime, on: Dates = None) -> datetime:
    """The last instant at local time `at` that is <= `not_after` (the push a late pass may still send), for a date
    `on` accepts if given; at most a few years back."""
    day = local_date(not_after, zone)
    for _ in range(_HORIZON):
        candidate = local_instant(day, at, zone)
        if candidate <= not_after and (on is None or on(day)):
            return candidate
        day -= _DAY
    return candidate


def due_after_change(
    at: time, zone: ZoneInfo, *, now: datetime, last_pushed: date | None, on: Dates = None
) -> datetime:
    """When a subscription is next due after its time or zone changed at `now` to `at` in `zone`.

    Days are counted in the new zone. If today's push already went out (or a later day's did, after a
    move west across the date line), the next push is the next day's at the new time. If not, today's
    push comes at the new time if that is still ahead, and at once if it has already passed, so a
    change neither doubles nor skips the day's push. Given `on`, only dates it accepts get one.
    """
    today = local_date(now, zone)
    pushed_today = last_pushed is not None and last_pushed >= today
    if not pushed_today and (on is None or on(today)) and local_instant(today, at, zone) <= now:
        return now
    return next_due(at, zone, not_before=now, after_date=last_pushed, on=on)
