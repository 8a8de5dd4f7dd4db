"""Study days and pauses over time: reading '/days mon-fri', counting study days, and changes that keep the past."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.studydays import (
    ALL_DAYS,
    Period,
    count_study_days,
    parse_days,
    pause_ahead,
    studies_on,
    weekday_runs,
    with_days,
    with_pause,
    without_pause,
)

MON = date(2026, 3, 2)  # a Monday
WEEKDAYS = 0b0011111


@pytest.mark.parametrize(
    ("text", "mask"),
    [
        ("mon-fri", WEEKDAYS),
        ("Mon,Wed,Fri", 0b0010101),
        ("sat sun", 0b1100000),
        ("fri-mon", 0b1110001),  # a range may wrap past Sunday
        ("weekdays", WEEKDAYS),
        ("every day", ALL_DAYS),
        ("周一至周五", WEEKDAYS),
        ("周六、周日", 0b1100000),
        ("monday-thursday", 0b0001111),
    ],
)
def test_days_are_read_as_people_write_them(text: str, mask: int) -> None:
    assert parse_days(text) == mask


@pytest.mark.parametrize("text", ["", "mon-funday", "8", "someday", "mon-"])
def test_anything_else_is_not_a_set_of_days(text: str) -> None:
    assert parse_days(text) is None


def test_runs_of_days_for_showing_them() -> None:
    assert weekday_runs(WEEKDAYS) == [(0, 4)]
    assert weekday_runs(0b1010101) == [(0, 0), (2, 2), (4, 4), (6, 6)]


def test_rest_days_and_pauses_are_not_study_days() -> None:
    schedule = with_days((), MON, WEEKDAYS)
    assert [studies_on(schedule, MON + timedelta(days=i)) for i in range(7)] == [True] * 5 + [False] * 2
    paused = with_pause(schedule, MON + timedelta(days=7), MON + timedelta(days=10))
    assert not studies_on(paused, MON + timedelta(days=8)) and studies_on(paused, MON + timedelta(days=10))
    assert pause_ahead(paused, MON) == (MON + timedelta(days=7), MON + timedelta(days=10))
    assert pause_ahead(paused, MON + timedelta(days=10)) is None


def test_a_change_keeps_the_days_before_it() -> None:
    schedule = with_days((), MON + timedelta(days=7), WEEKDAYS)  # from the second week on
    assert studies_on(schedule, MON + timedelta(days=5))  # the first Saturday was a study day, and stays one
    assert not studies_on(schedule, MON + timedelta(days=12))


def test_resuming_ends_a_pause_and_calls_off_one_not_begun() -> None:
    paused = with_pause((), MON, None)
    assert without_pause(paused, MON + timedelta(days=3)) == (Period(MON, ALL_DAYS, True), Period(MON + timedelta(3)))
    planned = with_pause((), MON + timedelta(days=1), MON + timedelta(days=4))
    assert without_pause(planned, MON) == ()


def test_new_days_during_a_pause_apply_when_it_ends() -> None:
    paused = with_pause((), MON, MON + timedelta(days=7))
    changed = with_days(paused, MON + timedelta(days=2), WEEKDAYS)
    assert not studies_on(changed, MON + timedelta(days=3))  # still paused
    assert studies_on(changed, MON + timedelta(days=7)) and not studies_on(changed, MON + timedelta(days=12))


masks = st.integers(min_value=1, max_value=ALL_DAYS)
offsets = st.integers(min_value=0, max_value=120)


@st.composite
def schedules(draw: st.DrawFn) -> tuple[Period, ...]:
    schedule: tuple[Period, ...] = ()
    for _ in range(draw(st.integers(0, 4))):
        since = MON + timedelta(days=draw(offsets))
        if draw(st.booleans()):
            schedule = with_days(schedule, since, draw(masks))
        else:
            length = draw(st.one_of(st.none(), st.integers(1, 20)))
            schedule = with_pause(schedule, since, None if length is None else since + timedelta(days=length))
    return schedule


@given(schedules(), offsets, st.integers(min_value=0, max_value=200))
def test_counting_agrees_with_looking_at_each_day(schedule: tuple[Period, ...], start: int, length: int) -> None:
    after = MON + timedelta(days=start)
    through = after + timedelta(days=length)
    by_hand = sum(studies_on(schedule, after + timedelta(days=i)) for i in range(1, length + 1))
    assert count_study_days(schedule, after, through) == by_hand


@given(offsets, st.integers(min_value=-3, max_value=200))
def test_an_empty_calendar_counts_like_one_that_studies_every_day(start: int, length: int) -> None:
    # The empty calendar (most chats) takes a short cut; a calendar of every day since long ago takes the long way.
    every_day = (Period(MON - timedelta(days=1000), ALL_DAYS),)
    after = MON + timedelta(days=start)
    through = after + timedelta(days=length)
    assert count_study_days((), after, through) == count_study_days(every_day, after, through)
    assert studies_on((), through) is studies_on(every_day, through) is True
