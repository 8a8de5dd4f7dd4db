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
from bot.core.model import Address, ChatKind, Correction, Pace, Progress, Started, Subscription, started
from bot.core.people import dm_address
from bot.core.render import cell_state
from bot.core.streaks import Streak
from bot.core.studydays import Schedule, pause_ahead, paused_on, studies_on
from bot.core.zones import zone_named
from curriculum.loader import Curriculum
from curriculum.schema import DAYS_PER_WEEK, week_days, week_of

# The learner's history by date: this many weeks, the current one last.
RECENT_WEEKS = 6
# The corrections a group's page lists, newest first.
TRAIL = 20


class DayState(StrEnum):
    """A plan day on a learner's grid: /progress's states, and a missed day a freeze covered or today's day while
    they pause."""

    DONE = "done"
    MISSED = "missed"
    FROZEN = "frozen"
    PAUSED = "paused"
    TODAY = "today"
    TODAY_DONE = "today_done"
    UPCOMING = "upcoming"


class DateState(StrEnum):
    """A calendar date in a learner's history."""

    DONE = "done"
    MISSED = "missed"
    FROZEN = "frozen"  # a missed study day a freeze covered: the streak went on
    PAUSED = "paused"
    REST = "rest"  # not one of their study days
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
    days: tuple[DayState, ...]  # each plan day's state in that plan (empty before they began)
    stages: tuple[StageShare, ...]
    streak: Streak | None  # every day they studied counts (their DM and their groups); None: none yet
    freezes: int  # streak freezes held
    paused: Pause | None  # their DM's pause, in force or ahead
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


@dataclass(frozen=True)
class Pause:
    since: date
    until: date | None  # the day pushes come back; None: until /resume


def day_states(progress: Progress, total_days: int, frozen: frozenset[int] = frozenset(),
               paused: bool = False) -> tuple[DayState, ...]:  # fmt: skip
    """Each plan day's state, as /progress draws it; the missed days in `frozen` were covered by a freeze, and
    today's day waits while `paused`."""
    states = []
    for day in range(1, total_days + 1):
        state = DayState(cell_state(day, progress).value)
        if state is DayState.MISSED and day in frozen:
            state = DayState.FROZEN
        elif state is DayState.TODAY and paused:
            state = DayState.PAUSED
        states.append(state)
    return tuple(states)


def frozen_days(sub: Subscription, progress: Progress, total_days: int) -> frozenset[int]:
    """The plan days a freeze covered. Only the calendar pace gives each past date its plan day."""
    if sub.pace is not Pace.CALENDAR:
        return frozenset()
    return frozenset(sub.plan_day_on(day, total_days) for day in progress.frozen)


def pause_of(sub: Subscription, today: date) -> Pause | None:
    """The chat's pause in force or ahead, if any."""
    ahead = pause_ahead(sub.schedule, today)
    if ahead is not None:
        return Pause(*ahead)
    return Pause(today, None) if sub.paused and not sub.active else None


def stage_shares(curriculum: Curriculum, language: str, done_days: frozenset[int]) -> tuple[StageShare, ...]:
    plan = curriculum.plan(language)
    shares = []
    for stage in plan.stages:
        weeks = [w.week for w in plan.weeks if w.stage == stage.stage]
        days = {d for w in weeks for d in week_days(w)}
        shares.append(StageShare(stage.stage, stage.title, min(weeks, default=1), len(days & done_days), len(days)))
    return tuple(shares)


@dataclass(frozen=True)
class Calendar:
    """What a learner's dates were: the days they studied, the freezes spent, and their DM's study days and pauses."""

    dates: set[date]
    today: date
    began: date | None
    frozen: frozenset[date] = frozenset()
    schedule: Schedule = ()


def recent_weeks(calendar: Calendar, weeks: int = RECENT_WEEKS) -> tuple[tuple[DateCell, ...], ...]:
    """The last `weeks` calendar weeks (Monday to Sunday) up to this one, each date's state."""
    today = calendar.today
    monday = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    rows = []
    for week in range(weeks):
        row = []
        for offset in range(DAYS_PER_WEEK):
            day = monday + timedelta(days=week * DAYS_PER_WEEK + offset)
            row.append(DateCell(day, _date_state(day, calendar)))
        rows.append(tuple(row))
    return tuple(rows)


def _date_state(day: date, calendar: Calendar) -> DateState:
    done, schedule = day in calendar.dates, calendar.schedule
    if day == calendar.today and done:
        return DateState.TODAY_DONE
    if done:
        return DateState.DONE
    if paused_on(schedule, day):
        return DateState.PAUSED
    if not studies_on(schedule, day):
        return DateState.REST
    if day >= calendar.today:
        return DateState.TODAY if day == calendar.today else DateState.UPCOMING
    if calendar.began is None or day < calendar.began:
        return DateState.BEFORE
    return DateState.FROZEN if day in calendar.frozen else DateState.MISSED


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
        total = learners.curriculum.total_days
        paused = pause_of(sub, today)
        days = day_states(progress, total, frozen_days(sub, progress, total),
                          paused is not None and paused.since <= today)  # fmt: skip
        standing: Streak | None = Streak(progress.streak, progress.longest_streak, progress.completed_today)
        calendar = Calendar(dates, today, min([sub.start_date, *dates]), frozenset(progress.frozen), sub.schedule)
        done, freezes = progress.done_days, progress.freezes
    else:
        progress, days, done, freezes, paused = None, (), frozenset[int](), 0, None
        today = local_date(learners.clock.now(), zone_named(learners.defaults.timezone))
        standing = await learners.group_streak(platform, user_id)
        calendar = Calendar(dates, today, min(dates, default=None))
    if standing is not None and standing.longest == 0:
        standing = None
    return LearnerOverview(
        dm=dm, sub=sub, progress=progress, days=days,
        stages=stage_shares(learners.curriculum, language, done), streak=standing, freezes=freezes, paused=paused,
        recent=recent_weeks(calendar), notes=notes, groups=tuple(groups), today=today,
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
