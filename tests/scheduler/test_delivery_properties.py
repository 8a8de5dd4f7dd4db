"""Properties of the real delivery pass over simulated days: one push per local day, none early, none skipped.

Each example subscribes a chat on a fresh SQLite store, then moves a ManualClock through about five days,
running delivery passes at random moments and, at random moments too, changing the chat's time or zone with
/time and /timezone. The rule for a change mid-day (bot.core.due.due_after_change): days are counted in
the new zone; if the day's push already went out (or a later day's, after a move west across the date
line) the next push is the next day's; if not, it comes at the new time if that is still ahead, else at once.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from bot.bootstrap import bootstrap
from bot.core.clock import ManualClock
from bot.core.due import local_date, local_instant
from bot.core.replies import TopicCard
from bot.settings import Settings
from curriculum.loader import Curriculum, load_curriculum
from tests.core.zones import ZONES, Schedule, date_is_lived, examples, minute_times, schedules, wall
from tests.support import Chat, RecordingGateway

SPAN = timedelta(days=5)
GRACE = timedelta(hours=6)  # STUDYBOT_CATCHUP_GRACE_HOURS' default: a pass later than this may skip a push
MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Change:
    """A /time or /timezone command, `after` the subscription. A time is given outright, or as minutes
    from what the chat's clock reads at that moment (so that it lands just before or just after it)."""

    after: timedelta
    zone: str | None = None
    at: time | None = None
    from_now: int = 0

    def command(self, now: datetime, zone: ZoneInfo) -> str:
        if self.zone is not None:
            return f"/timezone {self.zone}"
        at = self.at or (wall(now, zone) + timedelta(minutes=self.from_now)).time()
        return f"/time {at:%H:%M}"


@dataclass(frozen=True)
class Scenario:
    schedule: Schedule
    subscribe_after: timedelta  # from midnight UTC of the schedule's start date
    passes: tuple[int, ...]  # minutes after the subscription
    changes: tuple[Change, ...]


changes = st.builds(
    Change,
    after=st.integers(0, int(SPAN / MINUTE)).map(lambda m: m * MINUTE + timedelta(seconds=30)),
    zone=st.one_of(st.none(), st.sampled_from(ZONES)),
    at=st.one_of(st.none(), minute_times),
    from_now=st.integers(-180, 180),
)


SPAN_MINUTES = int(SPAN / MINUTE)


def every(minutes: int, offset: int = 0) -> tuple[int, ...]:
    """Passes every `minutes` through the span."""
    return tuple(range(offset + minutes, SPAN_MINUTES + 1, minutes))


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    # The runner's rhythm (the slowest, every 4 hours, is simplest), extra passes at random moments, and now
    # and then an outage past the grace that drops the passes within it.
    rhythm = 240 - draw(st.integers(0, 210))
    passes = set(every(rhythm, draw(st.integers(0, rhythm - 1))))
    passes |= set(draw(st.lists(st.integers(1, SPAN_MINUTES), max_size=60)))
    for _ in range(draw(st.integers(0, 2))):
        down, length = draw(st.integers(0, SPAN_MINUTES)), draw(st.integers(60, 10 * 60))
        passes = {p for p in passes if not down <= p < down + length}
    return Scenario(
        draw(schedules(years=(1995, 2040))),
        draw(st.integers(0, 24 * 60 - 1)) * MINUTE,
        tuple(sorted(passes)),
        tuple(draw(st.lists(changes, max_size=3))),
    )


@dataclass(frozen=True)
class Settled:
    """The chat's time and zone from `since` on."""

    since: datetime
    at: time
    zone: ZoneInfo


@dataclass
class Run:
    """What happened: the settings over time, every pass's instant, and every push (instant, local date)."""

    start_date: date
    settled: list[Settled]
    passes: list[datetime]
    pushes: list[tuple[datetime, date]]
    end: datetime

    def settings_at(self, instant: datetime) -> Settled:
        return [s for s in self.settled if s.since <= instant][-1]


async def simulate(scenario: Scenario, database: Path, curriculum: Curriculum) -> Run:
    s = scenario.schedule
    t0 = datetime.combine(s.start, time(0), tzinfo=UTC) + scenario.subscribe_after
    clock = ManualClock(t0)
    config = Settings(database_url=SecretStr(f"sqlite+aiosqlite:///{database}"), default_timezone="UTC", _env_file=None)
    app = await bootstrap(config, clock=clock, curriculum=curriculum, migrate=False)
    try:
        gateway = RecordingGateway()
        app.gateways.connected(gateway)
        chat = Chat(app)
        replies = await chat.send(f"/subscribe {s.at:%H:%M} {s.zone_name}")
        first = [r for r in replies if isinstance(r, TopicCard)]
        assert [c.plan_day for c in first] == [1], "day 1 comes with the confirmation"
        sub = await app.learners.chat(chat.address)
        assert sub is not None and sub.start_date is not None
        run = Run(sub.start_date, [Settled(t0, s.at, s.zone)], [], [(t0, sub.start_date)], t0)

        events: list[tuple[datetime, Change | None]] = [(t0 + c.after, c) for c in scenario.changes]
        events += [(t0 + minutes * MINUTE, None) for minutes in scenario.passes]
        for instant, change in sorted(events, key=lambda e: e[0]):
            clock.set(instant)
            if change is None:
                sent = len(gateway.sent)
                await app.delivery.run_pass()
                run.passes.append(instant)
                for _, card in gateway.sent[sent:]:
                    assert isinstance(card, TopicCard)
                    run.pushes.append((instant, sub.start_date + timedelta(days=card.plan_day - 1)))
            else:
                now = run.settled[-1]
                command = change.command(instant, now.zone)
                answer = await chat.say(command)
                assert "set to" in answer, f"{command} -> {answer}"
                zone = ZoneInfo(change.zone) if change.zone else now.zone
                at = now.at if change.zone else time.fromisoformat(command.split()[1])
                run.settled.append(Settled(instant, at, zone))
            run.end = instant
        return run
    finally:
        await app.close()


def lived_dates(since: datetime, until: datetime, zone: ZoneInfo) -> list[date]:
    """The local dates a clock in `zone` shows between two instants."""
    seen = {local_date(until - timedelta(microseconds=1), zone)}
    instant = since
    while instant < until:
        seen.add(local_date(instant, zone))
        instant += timedelta(minutes=15)
    return sorted(seen)


def check(run: Run) -> None:
    dates = [day for _, day in run.pushes]
    # Never twice, never back: each local date's push once, in order (so each plan day once).
    assert dates == sorted(set(dates)), f"pushed dates {dates}"

    # Never early: the chat's clock (zone and time in force at the push) has reached the time on that date.
    for instant, day in run.pushes[1:]:
        now = run.settings_at(instant)
        shown = wall(instant, now.zone)
        early = f"{day}'s push came at {shown} ({now.zone}), before {now.at}"
        assert instant >= local_instant(day, now.at, now.zone), early
        assert day <= shown.date(), f"{day}'s push came on {shown.date()}, a day early"
        assert date_is_lived(day, now.zone), f"a push for {day}, a date {now.zone} skipped"

    # Never skipped: every date the chat lives through, once its time has come, is pushed by the first pass
    # after that (unless that pass is more than the grace late, or a later date already went out).
    ends = [s.since for s in run.settled[1:]] + [run.end]
    for settled, until in zip(run.settled, ends, strict=True):
        for day in lived_dates(settled.since, until, settled.zone):
            came = max(settled.since, local_instant(day, settled.at, settled.zone))
            later = [p for p in run.passes if p >= came]
            if not later or later[0] >= until or later[0] - came > GRACE:
                continue
            by = later[0]
            pushed = any(d == day and p <= by for p, d in run.pushes)
            passed_over = any(d > day and p <= came for p, d in run.pushes)
            assert pushed or passed_over, (
                f"{day} in {settled.zone} at {settled.at:%H:%M}: due from {came}, not pushed by the pass at {by}"
            )


@cache
def plan() -> Curriculum:
    return load_curriculum()


def run_scenario(scenario: Scenario, template: Path, curriculum: Curriculum) -> Run:
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "studybot.db"
        shutil.copy(template, database)
        return asyncio.run(simulate(scenario, database, curriculum))


def steady(zone: str, at: time, start: date, subscribed: timedelta) -> Scenario:
    """No change, a pass every 30 minutes."""
    return Scenario(Schedule(zone, at, start), subscribed, every(30), ())


@given(scenario=scenarios())
@example(scenario=steady("America/New_York", time(2, 30), date(2026, 3, 6), timedelta(hours=15)))
@example(scenario=steady("America/New_York", time(1, 30), date(2026, 10, 30), timedelta(hours=15)))
@example(scenario=steady("Australia/Lord_Howe", time(2, 15), date(2026, 10, 2), timedelta(0)))
@example(scenario=steady("Asia/Kathmandu", time(7, 0), date(2026, 6, 1), timedelta(0)))
@example(scenario=steady("Pacific/Apia", time(8, 0), date(2011, 12, 28), timedelta(hours=12)))
@example(scenario=steady("America/Nuuk", time(23, 30), date(2026, 3, 26), timedelta(hours=12)))
# Mid-day changes: an earlier time that has already passed today, before today's push (it comes at once) ...
@example(
    scenario=Scenario(
        Schedule("UTC", time(20, 0), date(2026, 3, 2)),
        timedelta(hours=1),
        every(30),
        (Change(timedelta(days=1, hours=9, seconds=30), at=time(9, 0)),),
    )
)
# ... and the same after today's push (tomorrow's is the next); a later time after it was pushed.
@example(
    scenario=Scenario(
        Schedule("UTC", time(8, 0), date(2026, 3, 2)),
        timedelta(hours=1),
        every(30),
        (
            Change(timedelta(days=1, hours=9, seconds=30), at=time(7, 0)),
            Change(timedelta(days=2, hours=9, seconds=30), at=time(12, 0)),
        ),
    )
)
# East across the date line after today's push: tomorrow there is already today; west: today is yesterday.
@example(
    scenario=Scenario(
        Schedule("Pacific/Honolulu", time(8, 0), date(2026, 3, 2)),
        timedelta(hours=20),
        every(30),
        (
            Change(timedelta(days=1, hours=10, seconds=30), zone="Asia/Tokyo"),
            Change(timedelta(days=3, hours=2, seconds=30), zone="Pacific/Pago_Pago"),
        ),
    )
)
@settings(max_examples=examples(25), suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_delivery_passes_push_once_a_local_day_never_early_none_skipped(
    scenario: Scenario, sqlite_template: Path
) -> None:
    check(run_scenario(scenario, sqlite_template, plan()))
