"""Studying together: members' standings in a group, admin corrections with an audit trail, forgetting a chat."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.core.learner import Learners
from bot.core.model import Address, Completion, Correction, Subscription, started
from bot.core.streaks import Counts, streak
from curriculum.schema import week_days, week_of


@dataclass(frozen=True)
class Standing:
    """One member's record in one group."""

    user_id: str
    name: str
    days_done: int
    week_done: int
    streak: int
    longest: int
    last_date: date | None
    done_days: frozenset[int]


class CorrectOutcome(StrEnum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    NOT_SUBSCRIBED = "not_subscribed"
    BAD_DAY = "bad_day"


def standings(
    completions: list[Completion], week: int, today: date, counts: Counts = None, round: int = 1
) -> list[Standing]:
    """Everyone who ever finished a day here, best first: this week's days, then all days, then streak. Streaks
    count the group's study days (`counts`); the days done are those of the plan's current run (`round`)."""
    by_user: dict[str, list[Completion]] = defaultdict(list)
    for completion in completions:
        by_user[completion.user_id].append(completion)
    days_this_week = set(week_days(week))
    rows = []
    for user_id, done in by_user.items():
        dates = [c.local_date for c in done]
        days = frozenset(c.plan_day for c in done if c.round == round)
        standing = streak(dates, today, counts)
        rows.append(
            Standing(
                user_id=user_id,
                name=done[-1].user_name or user_id,
                days_done=len(days),
                week_done=len(days & days_this_week),
                streak=standing.current,
                longest=standing.longest,
                last_date=max(dates),
                done_days=days,
            )
        )
    return sorted(rows, key=lambda s: (-s.week_done, -s.days_done, -s.streak, s.name.lower()))


def by_all_time(rows: list[Standing]) -> list[Standing]:
    """The all-time ranking: most days done, then the longest streak."""
    return sorted(rows, key=lambda s: (-s.days_done, -s.longest))


class Groups:
    """Group-wide questions and admin actions, over the same store and clock as Learners."""

    def __init__(self, learners: Learners) -> None:
        self.learners = learners
        self.store = learners.store

    async def board(self, address: Address) -> tuple[Subscription, list[Standing]] | None:
        async with self.store.reading() as reading:
            sub = await reading.subscription(address)
            if not started(sub):
                return None
            completions = await reading.chat_completions(sub.id)
        week = week_of(self.learners.current_day(sub))
        counts = sub.studies_on if sub.schedule else None
        return sub, standings(completions, week, self.learners.today(sub), counts, sub.round)

    async def done_by(self, sub: Subscription, plan_day: int) -> list[str]:
        """First names of everyone who finished `plan_day` in this chat, in the order they did."""
        assert sub.id is not None
        async with self.store.reading() as reading:
            completions = await reading.chat_completions(sub.id)
        return [c.user_name or c.user_id for c in completions if c.plan_day == plan_day and c.round == sub.round]

    async def correct(
        self, address: Address, admin: tuple[str, str], member: tuple[str, str], plan_day: int | None, done: bool
    ) -> tuple[CorrectOutcome, int]:
        """Mark (or unmark) a member's plan day, and record who did it."""
        now = self.learners.clock.now()
        async with self.store.unit() as uow:
            sub = await uow.subscription(address)
            if not started(sub):
                return CorrectOutcome.NOT_SUBSCRIBED, plan_day or 0
            current = self.learners.current_day(sub)
            day = plan_day or current
            if not 1 <= day <= current:
                return CorrectOutcome.BAD_DAY, day
            if done:
                # Dated today: a late mark keeps a streak alive no more than a late /done would.
                completion = Completion(sub.id, member[0], day, self.learners.today(sub), now, member[1], "")
                changed = await uow.add_completion(completion)
            else:
                changed = await uow.remove_completion(sub.id, member[0], day)
            if not changed:
                return CorrectOutcome.UNCHANGED, day
            await uow.add_correction(Correction(sub.id, admin[0], admin[1], member[0], member[1], day, done, now))
            await uow.commit()
        self.learners.notify_group(sub, day)
        return CorrectOutcome.CHANGED, day

    async def audit(self, address: Address, limit: int = 10) -> list[Correction]:
        async with self.store.reading() as reading:
            sub = await reading.subscription(address)
            if sub is None or sub.id is None:
                return []
            return await reading.corrections(sub.id, limit)

    async def forget_member(self, address: Address, user_id: str) -> list[int] | None:
        """Delete one member's own record in a group; the plan days they had done, or None if the chat has none."""
        async with self.store.unit() as uow:
            sub = await uow.subscription(address)
            if sub is None or sub.id is None:
                return None
            days = await uow.forget_member(sub.id, user_id)
            await uow.commit()
        for day in days:
            self.learners.notify_group(sub, day)  # their name leaves the pushes' "done so far"
        return days

    async def forget_person(self, dm: Address, user_id: str) -> None:
        """Delete everything about a person on the DM's platform (their /forget in their DM)."""
        async with self.store.unit() as uow:
            removed = await uow.forget_person(dm.platform, user_id, dm)
            await uow.commit()
        for address, day in removed:
            for listener in self.learners.group_changed:
                listener(address, day)  # their name leaves the groups' "done so far"

    async def forget(self, address: Address) -> bool:
        async with self.store.unit() as uow:
            sub = await uow.subscription(address)
            if sub is None or sub.id is None:
                return False
            await uow.forget(sub.id)
            await uow.commit()
        return True
