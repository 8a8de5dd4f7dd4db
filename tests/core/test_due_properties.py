"""Properties of bot/core/due.py over every IANA zone: one due instant per local day, never early, none skipped.

Hypothesis draws a zone, a year from 1900 to 2100 and, half the time, a local time next to one of that
year's offset changes, so DST days, 30- and 15-minute shifts and skipped dates are hit often.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.core.due import due_after_change, due_date, local_date, local_instant, next_due, previous_due
from tests.core.zones import (
    Schedule,
    date_is_lived,
    examples,
    first_time_the_clock_reads,
    minute_times,
    schedules,
    the_clock_reads,
    wall,
)

DAYS = 14


def assert_due_at_local_time(due: datetime, day: date, s: Schedule) -> None:
    """The push for `day` comes when the clock reads `at` on `day` (the first time, if it reads it twice),
    or, if a spring-forward change skips `at` that day, exactly the gap's length later."""
    zone, chosen = s.zone, datetime.combine(day, s.at)
    shown = wall(due, zone)
    if the_clock_reads(chosen, zone):
        assert shown == chosen, f"due at {shown}, not at {chosen}"
        assert first_time_the_clock_reads(due, zone), f"{chosen} comes twice; the push took the second"
    else:
        gap = shown - chosen
        assert gap > timedelta(0), f"{chosen} is skipped, but the push came before it, at {shown}"
        # `gap` earlier the clock read `gap` before the chosen time: it jumped over it by exactly `gap`.
        assert wall(due - gap, zone) == chosen - gap, f"{chosen} is skipped; the push at {shown} is not a gap later"


@given(schedules())
@example(Schedule("America/New_York", time(2, 30), date(2026, 3, 6)))  # 02:30 skipped on Sun 8 March
@example(Schedule("America/New_York", time(1, 30), date(2026, 10, 30)))  # 01:30 twice on Sun 1 November
@example(Schedule("Australia/Lord_Howe", time(2, 15), date(2026, 10, 2)))  # 02:00 -> 02:30 on 4 October
@example(Schedule("Australia/Lord_Howe", time(1, 45), date(2026, 4, 3)))  # 02:00 -> 01:30 on 5 April
@example(Schedule("Asia/Kathmandu", time(8, 0), date(2026, 6, 1)))  # +05:45
@example(Schedule("Asia/Kathmandu", time(0, 10), date(1985, 12, 30)))  # +05:30 -> +05:45: 00:00-00:15 skipped
@example(Schedule("Pacific/Apia", time(8, 0), date(2011, 12, 28)))  # Fri 30 Dec 2011 never happened
@example(Schedule("America/Nuuk", time(23, 30), date(2026, 3, 26)))  # Sat 28 March: 23:00 -> Sun 00:00
@example(Schedule("Asia/Dhaka", time(23, 30), date(2009, 6, 18)))  # 19 June 2009: 23:00 -> 00:00
@example(Schedule("Antarctica/Casey", time(0, 30), date(2010, 3, 3)))  # 5 March 2010: 02:00 -> 4 March 23:00
@example(Schedule("Pacific/Kwajalein", time(12, 0), date(1969, 9, 29)))  # 30 Sep 1969 lived twice, 23 h apart
@settings(max_examples=examples(300))
def test_walking_next_due_gives_one_instant_per_local_day(s: Schedule) -> None:
    """Pass after pass, each at the instant the last one made due, as the delivery pass advances."""
    zone = s.zone
    instant = datetime.combine(s.start - timedelta(days=2), time(0), tzinfo=UTC)  # before any clock reads `start`
    pushed = s.start - timedelta(days=1)
    walked: list[tuple[date, datetime]] = []
    for _ in range(DAYS):
        previous = instant
        instant = next_due(s.at, zone, not_before=instant, after_date=pushed)
        day = due_date(instant, s.at, zone)
        assert instant > previous or not walked, "a due instant did not move forward"
        assert day > pushed, f"{day} is due again, or out of order, after {pushed}"
        skipped = [pushed + timedelta(days=n) for n in range(1, (day - pushed).days)]
        assert not [d for d in skipped if date_is_lived(d, zone)], f"no push for {skipped} between {pushed} and {day}"
        assert date_is_lived(day, zone), f"a push for {day}, a date that never happened"
        assert_due_at_local_time(instant, day, s)
        walked.append((day, instant))
        pushed = day
    # A skipped time moves forward by the gap and may cross midnight; otherwise each push is on its own date.
    for day, instant in walked:
        if the_clock_reads(datetime.combine(day, s.at), s.zone):
            assert local_date(instant, zone) == day


@given(schedules(), st.integers(0, 36 * 60))
@example(Schedule("Pacific/Apia", time(8, 0), date(2011, 12, 30)), 7 * 60)  # the morning after the lost day
@example(Schedule("America/Nuuk", time(23, 30), date(2026, 3, 28)), 25 * 60)  # Sunday 00:00, the push at 00:30
@settings(max_examples=examples(300))
def test_previous_due_is_the_last_push_time_that_has_come(s: Schedule, minutes: int) -> None:
    """What a pass back from downtime may still send: the latest due instant, never one still ahead."""
    now = datetime.combine(s.start, time(0), tzinfo=UTC) + timedelta(minutes=minutes)
    latest = previous_due(s.at, s.zone, not_after=now)
    assert latest <= now
    # Nothing else fell due in between: the next due instant after `latest` is still ahead.
    assert next_due(s.at, s.zone, not_before=latest + timedelta(microseconds=1)) > now
    assert_due_at_local_time(latest, due_date(latest, s.at, s.zone), s)


@given(schedules(), minute_times)
@example(Schedule("America/New_York", time(2, 30), date(2026, 3, 8)), time(2, 30))
@example(Schedule("Pacific/Apia", time(8, 0), date(2011, 12, 30)), time(8, 0))
@settings(max_examples=examples(300))
def test_each_lived_date_has_its_own_due_instant(s: Schedule, at: time) -> None:
    """local_instant and due_date are inverse on every date that happens; a skipped date has the next one's."""
    zone = s.zone
    instant = local_instant(s.start, at, zone)
    if date_is_lived(s.start, zone):
        assert due_date(instant, at, zone) == s.start
    else:
        assert due_date(instant, at, zone) > s.start


@given(schedules(), st.integers(0, 36 * 60), st.one_of(st.none(), st.integers(-3, 1)))
@example(Schedule("UTC", time(9, 0), date(2026, 3, 3)), 10 * 60, -1)  # 09:00 at 10:00, today not pushed: now
@example(Schedule("UTC", time(9, 0), date(2026, 3, 3)), 10 * 60, 0)  # today pushed: tomorrow 09:00
@example(Schedule("Asia/Tokyo", time(8, 0), date(2026, 3, 3)), 6 * 60, -1)  # from Honolulu, Monday pushed
@example(Schedule("Pacific/Honolulu", time(8, 0), date(2026, 3, 3)), 1 * 60, 1)  # from Tokyo, Tuesday pushed
@settings(max_examples=examples(300))
def test_a_change_neither_repeats_nor_skips_todays_push(s: Schedule, minutes: int, pushed: int | None) -> None:
    """After a /time or /timezone change at `now`: the next push is never in the past, never for a date
    already pushed, and, if today (in the new zone) was not pushed yet, it is today's."""
    zone = s.zone
    now = datetime.combine(s.start, time(0), tzinfo=UTC) + timedelta(minutes=minutes)
    today = local_date(now, zone)
    last_pushed = None if pushed is None else today + timedelta(days=pushed)
    due = due_after_change(s.at, zone, now=now, last_pushed=last_pushed)
    assert due >= now
    day = today if due == now else due_date(due, s.at, zone)
    assert last_pushed is None or day > last_pushed, f"{day} pushed again"
    if due > now:
        assert_due_at_local_time(due, day, s)
    if last_pushed is None or last_pushed < today:
        # Today's push, at once or at the new time; or first yesterday's, moved past midnight and still ahead.
        assert day == today or (day == today - timedelta(days=1) and local_date(due, zone) == today)
