"""Local delivery times become the right UTC instants, including on DST change days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.core.due import local_date, local_instant, next_due

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_ordinary_day_in_shanghai() -> None:
    assert local_instant(date(2026, 6, 1), time(8, 30), SHANGHAI) == datetime(2026, 6, 1, 0, 30, tzinfo=UTC)


def test_new_york_switches_offset_across_spring_forward() -> None:
    before = local_instant(date(2026, 3, 7), time(8, 30), NEW_YORK)
    after = local_instant(date(2026, 3, 8), time(8, 30), NEW_YORK)
    assert before == datetime(2026, 3, 7, 13, 30, tzinfo=UTC)  # EST, UTC-5
    assert after == datetime(2026, 3, 8, 12, 30, tzinfo=UTC)  # EDT, UTC-4: 23 hours later


def test_time_skipped_by_spring_forward_moves_forward() -> None:
    # 02:30 does not exist in New York on 2026-03-08; the push goes at 03:30 EDT.
    instant = local_instant(date(2026, 3, 8), time(2, 30), NEW_YORK)
    assert instant.astimezone(NEW_YORK).time() == time(3, 30)
    assert instant == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)


def test_time_repeated_by_fall_back_takes_the_first() -> None:
    # 01:30 happens twice in New York on 2026-11-01; the first is 01:30 EDT = 05:30 UTC.
    assert local_instant(date(2026, 11, 1), time(1, 30), NEW_YORK) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_london_skipped_and_repeated_hours() -> None:
    assert local_instant(date(2026, 3, 29), time(1, 15), LONDON).astimezone(LONDON).time() == time(2, 15)
    assert local_instant(date(2026, 10, 25), time(1, 15), LONDON) == datetime(2026, 10, 25, 0, 15, tzinfo=UTC)


def test_next_due_is_today_when_the_time_is_still_ahead() -> None:
    now = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    assert next_due(time(8, 30), SHANGHAI, not_before=now) == datetime(2026, 6, 1, 0, 30, tzinfo=UTC)


def test_next_due_is_tomorrow_when_the_time_has_passed() -> None:
    now = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert next_due(time(8, 30), SHANGHAI, not_before=now) == datetime(2026, 6, 2, 0, 30, tzinfo=UTC)


def test_next_due_never_repeats_a_local_date_already_pushed() -> None:
    now = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    due = next_due(time(8, 30), SHANGHAI, not_before=now, after_date=date(2026, 6, 1))
    assert local_date(due, SHANGHAI) == date(2026, 6, 2)


def test_daily_instants_over_a_dst_week_are_always_at_local_time() -> None:
    instant = datetime(2026, 3, 5, 0, 0, tzinfo=UTC)
    seen = []
    for _ in range(7):
        instant = next_due(time(7, 0), NEW_YORK, not_before=instant, after_date=local_date(instant, NEW_YORK))
        seen.append(instant.astimezone(NEW_YORK))
    assert [s.time() for s in seen] == [time(7, 0)] * 7
    assert [s.day for s in seen] == [5, 6, 7, 8, 9, 10, 11]
