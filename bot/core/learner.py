"""What a chat can change and ask: subscribing, settings, marking a day done, and a person's progress.

Every method runs in one unit of work, so a reply the user sees is about state already committed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from enum import StrEnum

from bot.core.model import Address, ChatKind, Completion, DeliveryStatus, Progress, Subscription
from bot.core.ports import Clock, Store, UnitOfWork
from bot.core.streaks import current_streak, longest_streak
from curriculum.loader import Curriculum
from scheduler.due import local_date, next_due


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


class DoneOutcome(StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"
    NOT_SUBSCRIBED = "not_subscribed"
    NOT_YET = "not_yet"


@dataclass(frozen=True)
class Done:
    outcome: DoneOutcome
    plan_day: int
    progress: Progress | None = None


class Learners:
    """The core's state changes and questions, over the injected store and clock."""

    def __init__(self, store: Store, clock: Clock, curriculum: Curriculum, defaults: Defaults) -> None:
        self.store = store
        self.clock = clock
        self.curriculum = curriculum
        self.defaults = defaults
        # Told (address, plan day) whenever a group's record of a day changes, e.g. to refresh its live count.
        self.group_changed: list[Callable[[Address, int], None]] = []

    def notify_group(self, sub: Subscription, plan_day: int) -> None:
        if sub.kind is not ChatKind.PRIVATE:
            for listener in self.group_changed:
                listener(sub.address, plan_day)

    def today(self, sub: Subscription) -> date:
        return local_date(self.clock.now(), sub.zone)

    def current_day(self, sub: Subscription) -> int:
        return sub.plan_day_on(self.today(sub), self.curriculum.total_days)

    def finished(self, sub: Subscription) -> bool:
        """True once the calendar has run past the plan's last day."""
        if sub.start_date is None:
            return False
        return (self.today(sub) - sub.start_date).days >= self.curriculum.total_days

    def new_chat(self, address: Address, kind: ChatKind, language: str) -> Subscription:
        return Subscription(address, kind, language, self.defaults.timezone, self.defaults.local_time)

    async def chat(self, address: Address) -> Subscription | None:
        async with self.store.unit() as uow:
            return await uow.subscription(address)

    async def subscribe(
        self, address: Address, kind: ChatKind, language: str, at: time | None, zone: str | None
    ) -> Subscribed:
        now = self.clock.now()
        async with self.store.unit() as uow:
            sub = await uow.subscription(address) or self.new_chat(address, kind, language)
            already = sub.active
            sub = replace(
                sub, local_time=at or sub.local_time, timezone=zone or sub.timezone, active=True, unreachable=False
            )
            today = self.today(sub)
            pushed_day: int | None = None
            if not already:
                if sub.start_date is None:
                    sub.start_date = today
                elif sub.last_pushed_date != today:
                    # Coming back after a break resumes where the learner left off, not where the calendar is.
                    sub.start_date = date.fromordinal(today.toordinal() - sub.last_pushed_day)
                if sub.last_pushed_date != today and not self.finished(sub):
                    pushed_day = self.current_day(sub)
            if pushed_day is not None and sub.kind is not ChatKind.PRIVATE:
                # A group's topic goes out as a push (due now), not a reply, so its card can carry the live count.
                pushed_day, sub.next_due_at = None, now
            elif pushed_day is not None:
                sub.last_pushed_date, sub.last_pushed_day = today, pushed_day
                sub.next_due_at = self._next_due(sub, now, today)
            else:
                sub.next_due_at = self._next_due(sub, now, sub.last_pushed_date)
            sub = await uow.save_subscription(sub, now)
            if pushed_day is not None:
                assert sub.id is not None
                await uow.add_delivery(sub.id, today, pushed_day, DeliveryStatus.SENT, now)
            await uow.commit()
        return Subscribed(sub, already, pushed_day)

    def _next_due(self, sub: Subscription, now: datetime, after_date: date | None) -> datetime | None:
        if not sub.active or self.finished(sub):
            return None
        return next_due(sub.local_time, sub.zone, not_before=now, after_date=after_date)

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
    ) -> Subscription:
        """Change settings; a new time or zone takes effect from the next local day not yet pushed."""
        now = self.clock.now()
        async with self.store.unit() as uow:
            sub = await uow.subscription(address) or self.new_chat(address, kind, language)
            sub = replace(
                sub,
                local_time=at or sub.local_time,
                timezone=zone or sub.timezone,
                language=new_language or sub.language,
                active=sub.active if active is None else active,
            )
            sub.next_due_at = self._next_due(sub, now, sub.last_pushed_date)
            sub = await uow.save_subscription(sub, now)
            await uow.commit()
        return sub

    async def reactivate(self, address: Address) -> bool:
        """Turn pushes back on for a chat the platform had cut off (an unblock, the bot re-added)."""
        now = self.clock.now()
        async with self.store.unit() as uow:
            sub = await uow.subscription(address)
            if sub is None or not sub.unreachable:
                return False
            sub = replace(sub, active=True, unreachable=False)
            sub.next_due_at = self._next_due(sub, now, sub.last_pushed_date)
            await uow.save_subscription(sub, now)
            await uow.commit()
        return True

    async def done(self, address: Address, user_id: str, user_name: str, plan_day: int | None, note: str = "") -> Done:
        now = self.clock.now()
        async with self.store.unit() as uow:
            sub = await uow.subscription(address)
            if sub is None or sub.start_date is None or sub.id is None:
                return Done(DoneOutcome.NOT_SUBSCRIBED, plan_day or 1)
            current = self.current_day(sub)
            day = plan_day or current
            if day > current:
                return Done(DoneOutcome.NOT_YET, day)
            completion = Completion(sub.id, user_id, day, self.today(sub), now, user_name, note)
            recorded = await uow.add_completion(completion)
            if recorded:
                await uow.commit()
                self.notify_group(sub, day)
            progress = await self._progress(uow, sub, user_id)
        return Done(DoneOutcome.RECORDED if recorded else DoneOutcome.ALREADY, day, progress)

    async def progress(self, address: Address, user_id: str) -> tuple[Subscription, Progress] | None:
        async with self.store.unit() as uow:
            sub = await uow.subscription(address)
            if sub is None or sub.start_date is None:
                return None
            return sub, await self._progress(uow, sub, user_id)

    async def _progress(self, uow: UnitOfWork, sub: Subscription, user_id: str) -> Progress:
        assert sub.id is not None
        if sub.kind is ChatKind.PRIVATE:
            # In their own DM a person's streak counts every day they studied, in groups too, once per day.
            everywhere = await uow.user_completions(sub.address.platform, user_id)
            completions = [c for c in everywhere if c.subscription_id == sub.id]
            dates = [c.local_date for c in everywhere]
        else:
            completions = await uow.completions(sub.id, user_id)
            dates = [c.local_date for c in completions]
        today = self.today(sub)
        return Progress(
            done_days=frozenset(c.plan_day for c in completions),
            current_day=self.current_day(sub),
            total_days=self.curriculum.total_days,
            streak=current_streak(dates, today),
            longest_streak=longest_streak(dates),
            completed_today=today in dates,
            dates=tuple(sorted(set(dates))),
        )
