"""Streak rules on local calendar dates."""

from __future__ import annotations

from datetime import date, timedelta

from bot.core.streaks import current_streak, longest_streak

D = date(2026, 3, 10)


def days(*offsets: int) -> list[date]:
    return [D + timedelta(days=o) for o in offsets]


def test_no_completions_no_streak() -> None:
    assert current_streak([], D) == 0
    assert longest_streak([]) == 0


def test_run_ending_today_counts() -> None:
    assert current_streak(days(-2, -1, 0), D) == 3


def test_run_ending_yesterday_is_still_alive_today() -> None:
    assert current_streak(days(-3, -2, -1), D) == 3


def test_a_missed_day_breaks_it() -> None:
    assert current_streak(days(-4, -3, -2), D) == 0
    assert current_streak(days(-5, -4, -2, -1, 0), D) == 3


def test_several_completions_on_one_day_count_once() -> None:
    assert current_streak(days(-1, -1, 0, 0), D) == 2


def test_longest_remembers_an_earlier_run() -> None:
    assert longest_streak(days(0, 1, 2, 3, 5, 6)) == 4
    assert current_streak(days(0, 1, 2, 3, 5, 6), D + timedelta(days=6)) == 2
