"""Hypothesis strategies over every IANA zone, biased to its offset changes, and clock-reading oracles.

The oracles read the wall clock only by converting UTC instants to local time (which is never ambiguous),
so they do not share the fold arithmetic of bot/core/due.py they check.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import strategies as st

ZONES = sorted(available_timezones())
# HYPOTHESIS_PROFILE=explore runs ten times the examples, with fresh random ones each run.
SCALE = 10 if os.environ.get("HYPOTHESIS_PROFILE") == "explore" else 1
SECOND = timedelta(seconds=1)


def examples(n: int) -> int:
    return n * SCALE


@lru_cache(maxsize=4096)
def offset_changes(name: str, year: int) -> tuple[datetime, ...]:
    """The UTC instants in `year` at which the zone's offset changes (found by scanning, then bisecting)."""
    zone = ZoneInfo(name)
    found: list[datetime] = []
    step = timedelta(hours=3)
    instant, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    offset = instant.astimezone(zone).utcoffset()
    while instant < end:
        later = instant + step
        if later.astimezone(zone).utcoffset() != offset:
            low, high = instant, later
            while high - low > SECOND:
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            found.append(high.replace(microsecond=0))
            offset = later.astimezone(zone).utcoffset()
        instant = later
    return tuple(found)


@dataclass(frozen=True)
class Schedule:
    """A subscriber's zone and local time, and the local date to start watching from."""

    zone_name: str
    at: time
    start: date

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.zone_name)


def wall(instant: datetime, zone: ZoneInfo) -> datetime:
    """What a clock on the wall in `zone` reads at `instant` (naive)."""
    return instant.astimezone(zone).replace(tzinfo=None)


def the_clock_reads(moment: datetime, zone: ZoneInfo) -> bool:
    """True if the naive wall-clock `moment` happens at all in `zone` (it is not skipped by a change)."""
    return wall(moment.replace(tzinfo=zone, fold=0).astimezone(UTC), zone) == moment


def date_is_lived(day: date, zone: ZoneInfo) -> bool:
    """True unless a change skipped the whole date (Pacific/Apia, 2011-12-30)."""
    return any(
        the_clock_reads(datetime.combine(day, time(hour, minute)), zone) for hour in range(24) for minute in (0, 30)
    )


def first_time_the_clock_reads(instant: datetime, zone: ZoneInfo) -> bool:
    """False if the wall clock already read what it reads at `instant` once before (a fall-back repeats it)."""
    shown, offset = wall(instant, zone), instant.astimezone(zone).utcoffset()
    assert offset is not None
    offsets = {(instant - timedelta(hours=h)).astimezone(zone).utcoffset() for h in range(0, 49)}
    # An earlier instant shows the same wall time only if its offset was larger by the difference.
    larger = [earlier for earlier in offsets if earlier is not None and earlier > offset]
    return all(wall(instant - (earlier - offset), zone) != shown for earlier in larger)


minute_times = st.builds(time, st.integers(0, 23), st.integers(0, 59))


@st.composite
def schedules(draw: st.DrawFn, years: tuple[int, int] = (1900, 2100)) -> Schedule:
    """Any zone and year; half the time a local time within 90 minutes of one of that year's offset changes
    (inside a spring-forward gap, or twice over in a fall-back) and a start a few days before it."""
    name = draw(st.sampled_from(ZONES))
    year = draw(st.integers(*years))
    changes = offset_changes(name, year)
    near_a_change = draw(st.booleans())
    if changes and near_a_change:
        change = draw(st.sampled_from(changes))
        before = wall(change - SECOND, ZoneInfo(name)) + SECOND
        near = before + timedelta(minutes=draw(st.integers(-90, 90)))
        return Schedule(name, near.time().replace(second=0), before.date() - timedelta(days=draw(st.integers(0, 3))))
    start = date(year, 1, 1) + timedelta(days=draw(st.integers(0, 364)))
    return Schedule(name, draw(minute_times), start)
