"""What the dashboard shows, from the core's rules: each plan day's state as /progress draws it, completion by stage,
and a learner's last weeks by date."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from bot.core.heatmap import CellState
from bot.core.model import Progress
from bot.core.overview import DateState, day_states, recent_weeks, stage_shares
from curriculum.loader import Curriculum

TODAY = date(2026, 3, 12)  # a Thursday


def test_each_plan_day_has_the_state_the_progress_picture_gives_it(curriculum: Curriculum) -> None:
    progress = Progress(done_days=frozenset({1, 2, 5}), current_day=5, total_days=140, streak=1, longest_streak=2,
                        completed_today=True)  # fmt: skip
    states = day_states(progress, 140)
    assert len(states) == 140
    assert states[:6] == (CellState.DONE, CellState.DONE, CellState.MISSED, CellState.MISSED, CellState.TODAY_DONE,
                          CellState.UPCOMING)  # fmt: skip


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
    weeks = recent_weeks(dates, TODAY, began, weeks=3)
    assert len(weeks) == 3 and all(len(w) == 7 for w in weeks)
    assert all(w[0].day.weekday() == 0 for w in weeks) and weeks[-1][3].day == TODAY
    by_day = {cell.day: cell.state for week in weeks for cell in week}
    assert by_day[TODAY] is DateState.TODAY_DONE and by_day[TODAY + timedelta(days=1)] is DateState.UPCOMING
    assert by_day[began] is DateState.DONE and by_day[began + timedelta(days=2)] is DateState.MISSED
    assert by_day[began - timedelta(days=1)] is DateState.BEFORE
    assert recent_weeks(set(), TODAY, None, weeks=1)[0][3].state is DateState.TODAY
    assert recent_weeks(set(), TODAY, None, weeks=1)[0][0].state is DateState.BEFORE
