"""What a chat can change and ask: subscribing, settings, marking a day done, and a person's progress.

Every method commits what it changed before it returns, so a reply the user sees is about committed state.
The questions every command asks (the chat's subscription, a person's progress) and /done's write are
batched across concurrent commands (`bot.core.batching`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from bot.core import schedule
from bot.core.batching import Batcher
from bot.core.due import local_date
from bot.core.model import (
    Address,
    ChatKind,
    Completion,
    DayDone,
    Pace,
    Progress,
    Subscription,
    started,
)
from bot.core.ports import Clock, Store
from bot.core.standing import progress_of, untold_freezes
from bot.core.streaks import Streak, streak
from bot.core.studydays import pause_ahead, without_pause
from bot.core.zones import zone_named
from curriculum.loader import Curriculum

# How old a message's platform timestamp may be and still date it: a delay in transit, not a backdated claim.
IN_TRANSIT = timedelta(minutes=5)


@dataclass(frozen=True)
class Defaults:
    """What a chat gets before it chooses: the operator's settings."""

    local_time: time
    timezone: str


@dataclass(frozen=True)
class Subscribed:
    sub: Subscription
    already: bool
    # The plan day pushed right away with the confirmation, or None if today's push already went out.
    pushed_day: int | None
    # The settings before this /subscribe (None for a chat that had none), so the reply can say what changed.
    before: Subscription | None = None
    # Today's topic is due at once, as a push (a group's day 1, or a new time already past): the runner was told.
    push_now: bool = False


class DoneOutcome(StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"
    # Already done, and the note that came with this /done was added to the day's record.
    NOTE_ADDED = "note_added"
    NOT_SUBSCRIBED = "not_subscribed"
    NOT_YET = "not_yet"


@dataclass(frozen=True)
class Done:
    outcome: DoneOutcome
    plan_day: int
    progress: Progress | None = None
    # This /done finished every day of the plan (from where this run began).
    graduated: bool = False


@dataclass(frozen=True)
class _Asked:
    """A person's progress in a chat, asked for after recording `completion`, if there is one."""

    sub: Subscription
    user_id: str
    completion: Completion | None = None


class Learners:
    """The core's state changes and questions, over the injected store and clock."""

    def __init__(self, store: Store, clock: Clock, curriculum: Curriculum, defaults: Defaults) -> None:
        self.store = store
        self.clock = clock
        self.curriculum = curriculum
        self.defaults = defaults
        # Told (address, plan day) whenever a group's record of a day changes, e.g. to refresh its live count.
        self.group_changed: list[Callable[[Address, int], None]] = []
        # Told when a chat's push became due at once (an admin subscribed a group, or set a time already past
        # today), so a pass can run now rather than at its next interval.
        self.due_now: list[Callable[[], None]] = []
        self._chats: Batcher[Address, Subscription | None] = Batcher(self._load_chats)
        self._asked: Batcher[_Asked, tuple[bool, Progress]] = Batcher(self._record)

    def notify_group(self, sub: Subscription, plan_day: int) -> None:
        if sub.kind is not ChatKind.PRIVATE:
            for listener in self.group_changed:
                listener(sub.address, plan_day)

    def today(self, sub: Subscription) -> date:
        return local_date(self.clock.now(), sub.zone)

    def current_day(self, sub: Subscription) -> int:
        return sub.plan_day_on(self.today(sub), self.curriculum.total_days)

    def finished(self, sub: Subscription) -> bool:
        """True once the learner has done every day, or the plan's calendar has run past its last day."""
        if sub.start_date is None:
            return False
        return sub.graduated_on is not None or sub.position_on(self.today(sub)) > self.curriculum.total_days

    def new_chat(self, address: Address, kind: ChatKind, language: str) -> Subscription:
        return Subscription(address, kind, language, self.defaults.timezone, self.defaults.local_time)

    async def chat(self, address: Address) -> Subscription | None:
        return await self._chats.get(address)

    async def _load_chats(self, addresses: list[Address]) -> list[Subscription | None]:
        async with self.store.reading() as reading:
            found = {sub.address: sub for sub in await reading.subscriptions(addresses)}
        return [found.get(address) for address in addresses]

    async def subscribe(
        self,
        address: Address,
        kind: ChatKind,
        language: str,
        at: time | None,
        zone: str | None,
        *,
        owner: str | None = None,
        goto: int | None = None,
        resume: bool = False,
    ) -> Subscribed:
        """Start (or change) a chat's daily topic; `goto` starts it further into the plan; `resume` ends a pause
        (one with a length keeps the chat subscribed meanwhile); `owner` is the person a DM belongs to."""
        now = self.clock.now()
        async with self.store.unit() as uow:
            before = await uow.subscription(address)
            sub = before or self.new_chat(address, kind, language)
            already, was_paused = sub.active, sub.paused
            sub = replace(
                sub,
                local_time=at or sub.local_time,
                timezone=zone or sub.timezone,
                active=True,
                unreachable=False,
                paused=False,
                owner_id=sub.owner_id or (owner if kind is ChatKind.PRIVATE else None),
            )
            today = self.today(sub)
            fresh = sub.start_date is None
            ending = resume and already and pause_ahead(sub.schedule, today) is not None
            if fresh:
                sub.start_date = today
            elif not already:
                self._come_back(sub, today, was_paused)
            elif ending:
                sub.schedule = without_pause(sub.schedule, today)
            if goto is not None:
                self.jump(sub, today, goto)
            back = not already or ending
            wanted = goto is not None or (back and (fresh or sub.studies_on(today)) and sub.last_pushed_date != today)
            pushed_day = self.topic_now(sub, today, now) if wanted else None
            if not wanted or self.finished(sub):
                sub.next_due_at = self._due_after_change(sub, now)
            sub = await uow.save_subscription(sub, now)
            await uow.commit()
        if pushed_day is not None:
            assert sub.id is not None
            # Its last pushed day already keeps the passes from pushing today again; the ledger keeps the record.
            await self.store.ledger.record_reply(sub.id, today, pushed_day, now)
        return Subscribed(sub, already, pushed_day, before, self.tell_if_due(sub, now))

    def _come_back(self, sub: Subscription, today: date, paused: bool) -> None:
        """A chat that was paused or unsubscribed starts again today."""
        if paused:
            # The calendar pace never counted the paused days: the plan goes on where it stood.
            sub.schedule = without_pause(sub.schedule, today)
        elif sub.pace is Pace.CALENDAR and sub.last_pushed_date != today:
            # Back after /unsubscribe: resume where the learner left off, not where the calendar is.
            sub.start_date = today
            sub.start_day = sub.last_pushed_day + (1 if sub.studies_on(today) else 0)

    def jump(self, sub: Subscription, today: date, day: int) -> None:
        """Make `day` today's plan day (/goto, or /subscribe ... week N); days skipped ahead count as known."""
        if day > sub.plan_day_on(today, self.curriculum.total_days) or sub.start_date == today:
            sub.first_day = day
        sub.start_date, sub.start_day, sub.graduated_on = today, day, None

    def topic_now(self, sub: Subscription, today: date, now: datetime) -> int | None:
        """Today's topic goes out now: in a DM as a reply (returned, and recorded as today's push); in a group as a
        push due at once (so its card carries the live count), or as a reply if today's push went out already.
        Nothing once the plan is over."""
        if self.finished(sub):
            return None
        day = self.current_day(sub)
        if sub.kind is not ChatKind.PRIVATE and sub.last_pushed_date != today:
            sub.next_due_at = now
            return None
        sub.last_pushed_date, sub.last_pushed_day = today, day
        sub.next_due_at = schedule.after_push(sub, now, now) if sub.active else None
        return day

    def _due_after_change(self, sub: Subscription, now: datetime) -> datetime | None:
        if not sub.active or self.finished(sub):
            return None
        return schedule.after_change(sub, now)

    async def update(
        self,
        address: Address,
        kind: ChatKind,
        language: str,
        *,
        at: time | None = None,
        zone: str | None = None,
        new_language: str | None = None,
        active: bool | None = None,
        paused: bool = False,
        nudge: tuple[bool, time | None] | None = None,
    ) -> Subscription:
        """Change settings. A new time or zone applies to today (in the new zone) unless today's push already
        went out: neither doubled nor skipped, it comes at the new time, or at once if that has passed (and the
        runner is told). `paused` says whether an `active=False` is a /pause (rather than an /unsubscribe); `nudge`
        turns a DM's nudge on or off, at a time (None: the default)."""
        now = self.clock.now()
        async with self.store.unit() as uow:
            sub = await uow.subscription(address) or self.new_chat(address, kind, language)
            sub = replace(
                sub,
                local_time=at or sub.local_time,
                timezone=zone or sub.timezone,
                language=new_language or sub.language,
                active=sub.active if active is None else active,
                paused=sub.paused if active is None else paused and not active,
            )
            if nudge is not None:
                sub.nudge, sub.nudge_time = nudge
            if at is not None or zone is not None or active is not None or nudge is not None:
                # A new language leaves the due instant alone: recomputed, a push due but not yet sent would move.
                sub.next_due_at = self._due_after_change(sub, now)
            sub = await uow.save_subscription(sub, now)
            await uow.commit()
        self.tell_if_due(sub, now)
        return sub

    def tell_if_due(self, sub: Subscription, now: datetime) -> bool:
        """Tell the `due_now` listeners if the chat's push is due already; whether it is."""
        if sub.next_due_at is None or sub.next_due_at > now:
            return False
        for listener in self.due_now:
            listener()
        return True

    async def reactivate(self, address: Address) -> bool:
        """Turn pushes back on for a chat the platform had cut off (an unblock, the bot re-added)."""
        now = self.clock.now()
        async with self.store.unit() as uow:
            sub = await uow.subscription(address)
            if sub is None or not sub.unreachable:
                return False
            sub = replace(sub, active=True, unreachable=False)
            finished = self.finished(sub)
            sub.next_due_at = None if finished else schedule.next_push(sub, now, sub.last_pushed_date)
            await uow.save_subscription(sub, now)
            await uow.commit()
        return True

    async def done(
        self,
        sub: Subscription | None,
        user_id: str,
        user_name: str,
        plan_day: int | None,
        note: str = "",
        *,
        sent_at: datetime | None = None,
    ) -> Done:
        """Record a plan day (today's if None) for a person in the chat whose subscription the caller loaded.

        `sent_at` is when the platform says the person sent it: a /done typed at 23:59:59 that reaches us just
        after midnight counts for the day it was typed on."""
        if not started(sub):
            return Done(DoneOutcome.NOT_SUBSCRIBED, plan_day or 1)
        now = self.clock.now()
        when = sent_at if sent_at is not None and timedelta(0) <= now - sent_at <= IN_TRANSIT else now
        on = local_date(when, sub.zone)
        current = sub.plan_day_on(on, self.curriculum.total_days)
        day = plan_day or current
        if day > current:
            return Done(DoneOutcome.NOT_YET, day)
        completion = Completion(sub.id, user_id, day, on, when, user_name, note, sub.round)
        recorded, progress = await self._asked.get(_Asked(sub, user_id, completion))
        if recorded:
            self.notify_group(sub, day)
            graduated = await self._moved_on(sub, day, progress, on)
            return Done(DoneOutcome.RECORDED, day, progress, graduated)
        if note:
            async with self.store.unit() as uow:
                added = await uow.add_note(sub.id, user_id, day, note, sub.round)
                await uow.commit()
            if added:
                return Done(DoneOutcome.NOTE_ADDED, day, progress)
        return Done(DoneOutcome.ALREADY, day, progress)

    async def _moved_on(self, sub: Subscription, day: int, progress: Progress, on: date) -> bool:
        """After a day was done in a DM: today's nudge is off the schedule; a self-paced DM's next push moves on to
        the next day not done; a learner who has done every day graduates, and its pushes stop. In a group nothing
        changes for the chat. Whether they graduated."""
        if sub.kind is not ChatKind.PRIVATE:
            return progress.all_done
        nudge_pending = schedule.is_nudge_due(sub) and sub.last_pushed_date == on
        if not (nudge_pending or progress.all_done or (sub.pace is Pace.SELF and sub.start_day == day)):
            return False
        async with self.store.unit() as uow:
            fresh = await uow.subscription(sub.address)
            if fresh is None or fresh.round != sub.round:
                return False
            if fresh.pace is Pace.SELF and fresh.start_day == day:
                fresh.start_day = next_not_done(day, progress.done_days)
            if progress.all_done:
                fresh.graduated_on, fresh.next_due_at = on, None
            elif schedule.is_nudge_due(fresh) and fresh.last_pushed_date == on and fresh.next_due_at is not None:
                fresh.next_due_at = schedule.next_push(fresh, fresh.next_due_at, on)
            await uow.save_subscription(fresh, self.clock.now())
            await uow.commit()
        return progress.all_done

    async def freeze_news(self, sub: Subscription, progress: Progress) -> tuple[date, ...]:
        """The missed days a freeze covered that a DM's person hears of now, once (they are marked as told)."""
        news = untold_freezes(sub, progress)
        if news and sub.id is not None:
            await self.store.note_freezes_told(sub.id, news[-1])
        return news

    async def notes(self, sub: Subscription, user_id: str) -> list[Completion]:
        """A person's days with a note in this chat, every run of the plan, oldest first."""
        if sub.id is None:
            return []
        async with self.store.reading() as reading:
            completions = await reading.chat_completions(sub.id)
        return sorted((c for c in completions if c.user_id == user_id and c.note), key=lambda c: (c.round, c.plan_day))

    async def progress(self, address: Address, user_id: str) -> tuple[Subscription, Progress] | None:
        sub = await self.chat(address)
        if not started(sub):
            return None
        return sub, (await self._asked.get(_Asked(sub, user_id)))[1]

    async def group_streak(self, platform: str, user_id: str) -> Streak | None:
        """A person's streak from their days in groups, for their DM before they subscribe there themselves; None
        if they have none."""
        async with self.store.reading() as reading:
            dates = {day.local_date for day in await reading.days_done(platform, [user_id])}
        if not dates:
            return None
        # Each group dates its days in its own zone; a day ahead of ours is a group's today, east of us.
        return streak(dates, max(local_date(self.clock.now(), zone_named(self.defaults.timezone)), max(dates)))

    async def _record(self, asked: list[_Asked]) -> list[tuple[bool, Progress]]:
        """Record the completions among `asked` in one statement, then read everyone's days in one query."""
        completions = [a.completion for a in asked if a.completion is not None]
        new = await self.store.record_completions(completions) if completions else []
        added = iter(new)
        recorded = [a.completion is not None and next(added) for a in asked]
        users: dict[str, set[str]] = {}
        for a in asked:
            users.setdefault(a.sub.address.platform, set()).add(a.user_id)
        days: dict[tuple[str, str], list[DayDone]] = {}
        async with self.store.reading() as reading:
            for platform, ids in users.items():
                for day in await reading.days_done(platform, ids):
                    days.setdefault((platform, day.user_id), []).append(day)
        return [
            (new_one, self._progress(a.sub, days.get((a.sub.address.platform, a.user_id), [])))
            for a, new_one in zip(asked, recorded, strict=True)
        ]

    def _progress(self, sub: Subscription, days: list[DayDone]) -> Progress:
        return progress_of(sub, days, self.today(sub), self.curriculum.total_days)


def next_not_done(day: int, done: frozenset[int]) -> int:
    """The first plan day after `day` not in `done` (past the plan's end when all are)."""
    day += 1
    while day in done:
        day += 1
    return day
