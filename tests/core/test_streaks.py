"""Streak rules on local calendar dates."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.core.streaks import FREEZE_EVERY, MAX_FREEZES, current_streak, longest_streak, streak

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


# ----- freezes, rest days and pauses -----

def test_a_freeze_is_earned_by_a_seven_day_run_and_spent_on_a_missed_day() -> None:
    week = days(*range(7))
    earned = streak(week, D + timedelta(days=6))
    assert (earned.current, earned.freezes) == (7, 1)
    # Day 7 missed; on day 8 the freeze has covered it and the run goes on without growing.
    spent = streak([*week, D + timedelta(days=8)], D + timedelta(days=8))
    assert (spent.current, spent.freezes, spent.frozen) == (8, 0, (D + timedelta(days=7),))
    # A second missed day with no freeze left breaks it.
    broken = streak(week, D + timedelta(days=9))
    assert (broken.current, broken.freezes, broken.longest) == (0, 0, 7)


def test_at_most_two_freezes_are_held() -> None:
    assert streak(days(*range(35)), D + timedelta(days=34)).freezes == MAX_FREEZES


def test_a_rest_day_neither_breaks_nor_grows_the_streak() -> None:
    weekdays_only: Callable[[date], bool] = lambda day: day.weekday() < 5  # noqa: E731
    monday = date(2026, 3, 2)
    worked = [monday + timedelta(days=i) for i in (0, 1, 2, 3, 4, 7)]  # Mon-Fri, then the next Monday
    standing = streak(worked, monday + timedelta(days=7), weekdays_only)
    assert (standing.current, standing.freezes, standing.frozen) == (6, 0, ())


def test_an_untouched_study_day_still_counts_as_missed_on_a_rest_schedule() -> None:
    weekdays_only: Callable[[date], bool] = lambda day: day.weekday() < 5  # noqa: E731
    monday = date(2026, 3, 2)
    worked = [monday + timedelta(days=i) for i in (0, 1, 2, 4)]  # Thursday missed
    assert streak(worked, monday + timedelta(days=4), weekdays_only).current == 1


day_sets = st.sets(st.integers(min_value=0, max_value=60), max_size=60)


def _dates(offsets: Iterable[int]) -> set[date]:
    return {D + timedelta(days=o) for o in offsets}


@given(day_sets, st.integers(min_value=0, max_value=60))
def test_without_a_seven_day_run_the_old_rules_hold(offsets: set[int], today_offset: int) -> None:
    """Freezes change nothing until a run of 7 earns one: the current run ends today or yesterday, and the
    longest is the longest run of consecutive dates."""
    today = D + timedelta(days=today_offset)
    dates = {d for d in _dates(offsets) if d <= today}
    standing = streak(dates, today)
    assume_short = _longest_plain(dates) < FREEZE_EVERY
    if assume_short:
        assert standing.current == _current_plain(dates, today)
        assert standing.longest == _longest_plain(dates)
        assert standing.freezes == 0 and standing.frozen == ()


@given(day_sets, st.integers(min_value=0, max_value=60))
def test_freezes_held_stay_between_zero_and_two_and_cover_only_missed_days(offsets: set[int], today: int) -> None:
    dates = _dates(offsets)
    standing = streak(dates, D + timedelta(days=today))
    assert 0 <= standing.freezes <= MAX_FREEZES
    assert not set(standing.frozen) & dates
    assert standing.longest >= standing.current


@given(day_sets, st.sets(st.integers(min_value=0, max_value=60)), st.integers(min_value=0, max_value=60))
def test_rest_days_not_studied_change_nothing_but_the_calendar(
    offsets: set[int], rest: set[int], today_offset: int
) -> None:
    """Counting only study days is the same as taking the rest days out of the calendar altogether."""
    today = D + timedelta(days=today_offset)
    offsets = {o for o in offsets if o <= today_offset}
    rest_days = _dates(rest) - _dates(offsets)
    with_rest = streak(_dates(offsets), today, lambda day: day not in rest_days)
    # Squeeze the rest days out: each remaining day moves back by the rest days before it.
    kept = sorted(d for d in _dates(range(0, 61)) if d not in rest_days)
    squeezed = {D + timedelta(days=kept.index(d)) for d in _dates(offsets) if d in kept}
    today_kept = [d for d in kept if d <= today]
    if not today_kept:
        return
    new_today = D + timedelta(days=len(today_kept) - 1)
    if today in rest_days:
        # On a rest day, today is the last study day before it, which is over: like the day after it.
        new_today += timedelta(days=1)
    plain = streak({d for d in squeezed if d <= new_today}, new_today)
    assert (with_rest.current, with_rest.longest, with_rest.freezes) == (plain.current, plain.longest, plain.freezes)


def _current_plain(dates: set[date], today: date) -> int:
    end = today if today in dates else today - timedelta(days=1)
    run = 0
    while end in dates:
        run, end = run + 1, end - timedelta(days=1)
    return run


def _longest_plain(dates: set[date]) -> int:
    best = 0
    for day in dates:
        if day - timedelta(days=1) not in dates:
            run = 0
            while day + timedelta(days=run) in dates:
                run += 1
            best = max(best, run)
    return best
