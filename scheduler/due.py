"""When is a subscriber due: a local wall-clock time in an IANA zone turned into UTC instants, DST included.

A pure leaf module (zoneinfo only), so the core may use it when a subscription changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


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


def next_due(at: time, zone: ZoneInfo, *, not_before: datetime, after_date: date | None = None) -> datetime:
    """The first instant at local time `at` that is >= `not_before` and falls on a local date after `after_date`.

    `after_date` is the local date last delivered to, so a subscriber never gets two pushes on one local
    day even when their time or zone changes.
    """
    day = local_date(not_before, zone)
    if after_date is not None and day <= after_date:
        day = after_date + timedelta(days=1)
    while True:
        candidate = local_instant(day, at, zone)
        if candidate >= not_before:
            return candidate
        day += timedelta(days=1)
