"""What the dashboard shows, as data computed by the core's own rules: a learner's plan day by day (the states of
/progress's picture), completion by stage, their last weeks by date, their groups; a group's standings, the week's
members x days and the corrections trail. The web server only lays it out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from bot.core.due import local_date
from bot.core.groups import Groups, Standing, by_all_time
from bot.core.heatmap import CellState
from bot.core.learner import Learners
from bot.core.model import Address, ChatKind, Correction, Progress, Started, Subscription, started
from bot.core.people import dm_address
from bot.core.render import cell_state
from bot.core.streaks import Streak
from bot.core.zones import zone_named
from curriculum.loader import Curriculum
from curriculum.schema import DAYS_PER_WEEK, week_days, week_of

# The learner's history by date: this many weeks, the current one last.
RECENT_WEEKS = 6
# The corrections a group's page lists, newest first.
TRAIL = 20


class DateState(StrEnum):
    """A calendar date in a learner's history. (Issue 14's habits add frozen, paused and rest days here.)"""

    DONE = "done"
    MISSED = "missed"
    TODAY = "today"
    TODAY_DONE = "today_done"
    UPCOMING = "upcoming"
    BEFORE = "before"  # before they began


@dataclass(frozen=True)
class DateCell:
    day: date
    state: DateState


@dataclass(frozen=True)
class StageShare:
    """How much of one stage of the plan is done."""

    stage: int
    title: str
    first_week: int
    done: int
    total: int


@dataclass(frozen=True)
class LearnerOverview:
    dm: Address
    sub: Subscription | None  # their DM's subscription, if they ever set one
    progress: Progress | None  # their place in their DM's plan, once they began it
    days: tuple[CellState, ...]  # each plan day's state in that plan (empty before they began)
    stages: tuple[StageShare, ...]
    streak: Streak | None  # every day they studied counts (their DM and their groups); None: none yet
    recent: tuple[tuple[DateCell, ...], ...]  # the last weeks, Monday first, oldest week first
    notes: dict[int, str]  # their DM notes by plan day
    groups: tuple[Subscription, ...]  # the groups and channels where they marked a day done
    today: date


@dataclass(frozen=True)
class MemberRow:
    standing: Standing
    week: tuple[CellState, ...]  # the current week's 7 plan days


@dataclass(frozen=True)
class GroupOverview:
    sub: Started
    today: date
    current_day: int
    week: int
    this_week: tuple[Standing, ...]  # best first, as /leaderboard ranks them
    all_time: tuple[Standing, ...]
    members: tuple[MemberRow, ...]  # by name
    corrections: tuple[Correction, ...]  # newest first


def day_states(progress: Progress, total_days: int) -> tuple[CellState, ...]:
    """Each plan day's state, as /progress draws it."""
    return tuple(cell_state(day, progress) for day in range(1, total_days + 1))


def stage_shares(curriculum: Curriculum, language: str, done_days: frozenset[int]) -> tuple[StageShare, ...]:
    plan = curriculum.plan(language)
    shares = []
    for stage in plan.stages:
        weeks = [w.week for w in plan.weeks if w.stage == stage.stage]
        days = {d for w in weeks for d in week_days(w)}
        shares.append(StageShare(stage.stage, stage.title, min(weeks, default=1), len(days & done_days), len(days)))
    return tuple(shares)


def recent_weeks(dates: set[date], today: date, began: date | None, weeks: int = RECENT_WEEKS) -> tuple[
        tuple[DateCell, ...], ...]:  # fmt: skip
    """The last `weeks` calendar weeks (Monday to Sunday) up to this one, each date's state."""
    monday = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    rows = []
    for week in range(weeks):
        row = []
        for offset in range(DAYS_PER_WEEK):
            day = monday + timedelta(days=week * DAYS_PER_WEEK + offset)
            row.append(DateCell(day, _date_state(day, day in dates, today, began)))
        rows.append(tuple(row))
    return tuple(rows)


def _date_state(day: date, done: bool, today: date, began: date | None) -> DateState:
    if day == today:
        return DateState.TODAY_DONE if done else DateState.TODAY
    if day > today:
        return DateState.UPCOMING
    if done:
        return DateState.DONE
    return DateState.BEFORE if began is None or day < began else DateState.MISSED


async def learner_overview(learners: Learners, platform: str, user_id: str) -> LearnerOverview:
    """A person's page: their DM's plan, and every day they studied on this platform."""
    dm = dm_address(platform, user_id)
    sub = await learners.chat(dm)
    async with learners.store.reading() as reading:
        everything = await reading.days_done(platform, [user_id])
        notes = {}
        if started(sub):
            notes = {c.plan_day: c.note for c in await reading.chat_completions(sub.id)
                     if c.user_id == user_id and c.note}  # fmt: skip
        others = sorted({d.subscription_id for d in everything} - {sub.id if sub is not None else -1})
        found_groups = [await reading.subscription_by_id(i) for i in others]
    groups = [g for g in found_groups if g is not None and g.kind is not ChatKind.PRIVATE]
    dates = {d.local_date for d in everything}
    language = sub.language if sub is not None else learners.curriculum.languages[0]
    if started(sub):
        found = await learners.progress(dm, user_id)
        assert found is not None
        progress = found[1]
        today = learners.today(sub)
        days = day_states(progress, learners.curriculum.total_days)
        standing: Streak | None = Streak(progress.streak, progress.longest_streak, progress.completed_today)
        began: date | None = min([sub.start_date, *dates])
        done = progress.done_days
    else:
        progress, days, done = None, (), frozenset[int]()
        today = local_date(learners.clock.now(), zone_named(learners.defaults.timezone))
        standing = await learners.group_streak(platform, user_id)
        began = min(dates, default=None)
    if standing is not None and standing.longest == 0:
        standing = None
    return LearnerOverview(
        dm=dm, sub=sub, progress=progress, days=days,
        stages=stage_shares(learners.curriculum, language, done), streak=standing,
        recent=recent_weeks(dates, today, began), notes=notes, groups=tuple(groups), today=today,
    )  # fmt: skip


async def member_of(learners: Learners, platform: str, user_id: str, chat_id: str) -> bool:
    """Whether the person has marked a day done in that chat (so its page is theirs to see)."""
    async with learners.store.reading() as reading:
        sub = await reading.subscription(Address(platform, chat_id))
        if sub is None or sub.id is None:
            return False
        return any(d.subscription_id == sub.id for d in await reading.days_done(platform, [user_id]))


async def group_overview(groups: Groups, address: Address) -> GroupOverview | None:
    """A group's page; None if the chat has not begun the plan."""
    found = await groups.board(address)
    if found is None:
        return None
    sub, rows = found
    assert started(sub)
    learners = groups.learners
    current, today = learners.current_day(sub), learners.today(sub)
    week = week_of(current)
    total = learners.curriculum.total_days
    members = []
    for row in sorted(rows, key=lambda r: r.name.lower()):
        progress = Progress(done_days=row.done_days, current_day=current, total_days=total, streak=row.streak,
                            longest_streak=row.longest, completed_today=row.last_date == today)  # fmt: skip
        members.append(MemberRow(row, tuple(cell_state(d, progress) for d in week_days(week))))
    trail = await groups.audit(address, TRAIL)
    return GroupOverview(sub, today, current, week, tuple(r for r in rows if r.week_done), tuple(by_all_time(rows)),
                         tuple(members), tuple(trail))  # fmt: skip
