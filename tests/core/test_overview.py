"""What the dashboard shows, from the core's rules: each plan day's state as /progress draws it (and the days a freeze
covered, and today's while paused), completion by stage, and a learner's last weeks by date with their rest days,
pauses and freezes."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from bot.core.model import Progress
from bot.core.overview import Calendar, DateState, DayState, day_states, recent_weeks, stage_shares
from bot.core.studydays import Period, parse_days
from curriculum.loader import Curriculum

TODAY = date(2026, 3, 12)  # a Thursday


def test_each_plan_day_has_the_state_the_progress_picture_gives_it(curriculum: Curriculum) -> None:
    progress = Progress(done_days=frozenset({1, 2, 5}), current_day=5, total_days=140, streak=1, longest_streak=2,
                        completed_today=True)  # fmt: skip
    states = day_states(progress, 140)
    assert len(states) == 140
    assert states[:6] == (DayState.DONE, DayState.DONE, DayState.MISSED, DayState.MISSED, DayState.TODAY_DONE,
                          DayState.UPCOMING)  # fmt: skip


def test_a_day_a_freeze_covered_is_frozen_and_todays_waits_while_paused() -> None:
    progress = Progress(done_days=frozenset({1, 2}), current_day=5, total_days=140, streak=2, longest_streak=2,
                        completed_today=False)  # fmt: skip
    states = day_states(progress, 140, frozen=frozenset({3}), paused=True)
    assert states[2:6] == (DayState.FROZEN, DayState.MISSED, DayState.PAUSED, DayState.UPCOMING)
    assert day_states(progress, 140, frozen=frozenset({2}))[1] is DayState.DONE  # a day done stays done


def test_stages_add_up_to_the_plan(curriculum: Curriculum) -> None:
    done = frozenset({1, 2, 3, 140})
    shares = stage_shares(curriculum, "en", done)
    assert sum(s.total for s in shares) == curriculum.total_days
    assert sum(s.done for s in shares) == 4 and shares[0].done == 3 and shares[-1].done == 1
    assert shares[0].first_week == 1
    assert all(a.first_week < b.first_week for a, b in pairwise(shares))
    assert stage_shares(curriculum, "zh", done)[0].title == curriculum.plan("zh").stages[0].title


def test_the_last_weeks_run_monday_to_sunday_up_to_this_one() -> None:
    began = TODAY - timedelta(days=9)
    dates = {TODAY - timedelta(days=9), TODAY - timedelta(days=8), TODAY}
    weeks = recent_weeks(Calendar(dates, TODAY, began), weeks=3)
    assert len(weeks) == 3 and all(len(w) == 7 for w in weeks)
    assert all(w[0].day.weekday() == 0 for w in weeks) and weeks[-1][3].day == TODAY
    by_day = {cell.day: cell.state for week in weeks for cell in week}
    assert by_day[TODAY] is DateState.TODAY_DONE and by_day[TODAY + timedelta(days=1)] is DateState.UPCOMING
    assert by_day[began] is DateState.DONE and by_day[began + timedelta(days=2)] is DateState.MISSED
    assert by_day[began - timedelta(days=1)] is DateState.BEFORE
    assert recent_weeks(Calendar(set(), TODAY, None), weeks=1)[0][3].state is DateState.TODAY
    assert recent_weeks(Calendar(set(), TODAY, None), weeks=1)[0][0].state is DateState.BEFORE


def test_rest_days_pauses_and_freezes_show_in_the_last_weeks() -> None:
    began = TODAY - timedelta(days=10)  # a Monday
    weekdays = parse_days("mon-fri")
    assert weekdays is not None
    pause_from, back = TODAY - timedelta(days=1), TODAY + timedelta(days=1)  # Wednesday to Friday
    schedule = (Period(began, weekdays), Period(pause_from, weekdays, paused=True), Period(back, weekdays))
    frozen = frozenset({began + timedelta(days=1)})
    calendar = Calendar({began, began + timedelta(days=5)}, TODAY, began, frozen, schedule)
    by_day = {cell.day: cell.state for week in recent_weeks(calendar, weeks=2) for cell in week}
    assert by_day[began] is DateState.DONE
    assert by_day[began + timedelta(days=1)] is DateState.FROZEN
    assert by_day[began + timedelta(days=2)] is DateState.MISSED
    assert by_day[began + timedelta(days=5)] is DateState.DONE  # a Saturday studied anyway counts as studied
    assert by_day[began + timedelta(days=6)] is DateState.REST  # Sunday
    assert by_day[pause_from] is DateState.PAUSED and by_day[TODAY] is DateState.PAUSED
    assert by_day[back] is DateState.UPCOMING and by_day[back + timedelta(days=1)] is DateState.REST  # Saturday
