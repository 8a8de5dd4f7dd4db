"""The numbers `studybot stats` shows, read without writing: subscribers, today's activity, the 7-day completion
rate, and the sends that failed or may not have arrived.

"Today" is each chat's own local date (the date its time zone shows at the instant asked), the date pushes and
/done are recorded under. A chat counts as active today when its push for today went out or someone in it marked a
day done dated today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, union
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.model import ChatKind, DeliveryKind, DeliveryStatus
from bot.store.engine import without_begin
from bot.store.local_days import LocalDays
from bot.store.tables import CompletionRow, DeliveryRow, SubscriptionRow

# The completion rate looks at the pushes of the 7 local days before today: today's may still be done today.
RATE_DAYS = 7
FAILURE_DAYS = 7

_SENT, _FAILED, _UNKNOWN = DeliveryStatus.SENT.value, DeliveryStatus.FAILED.value, DeliveryStatus.UNKNOWN.value


@dataclass(frozen=True)
class Subscribers:
    """Chats of one platform and kind: receiving pushes, paused by /pause, or stopped (unsubscribed, or gone)."""

    platform: str
    kind: str
    active: int
    paused: int
    stopped: int


@dataclass(frozen=True)
class Completion:
    """Daily pushes sent to chats of one kind over the rate's days, and how many of those plan days the chat has
    marked done since (in a group or channel, by at least one member)."""

    kind: str
    pushed: int
    done: int

    @property
    def rate(self) -> float | None:
        return self.done / self.pushed if self.pushed else None


@dataclass(frozen=True)
class Failures:
    """Sends of one platform and ledger kind, last tried in the failures' window, that did not go through:
    failed and to be retried, failed for good (no attempt left, or the chat is gone), or unknown (on the wire when
    its process stopped: never resent)."""

    platform: str
    kind: str
    retrying: int
    gave_up: int
    unknown: int


@dataclass(frozen=True)
class Stats:
    at: datetime
    subscribers: list[Subscribers]
    active_today: int
    done_today: int
    completion: list[Completion]
    failures: list[Failures]

    def completion_overall(self) -> Completion:
        return Completion("all", sum(c.pushed for c in self.completion), sum(c.done for c in self.completion))


async def read_stats(engine: AsyncEngine, now: datetime) -> Stats:
    """Everything `studybot stats` shows, as of `now`; only reads (on SQLite, without taking the write lock)."""
    async with without_begin(engine).connect() as connection:
        zones = list((await connection.execute(select(SubscriptionRow.timezone).distinct())).scalars())
        days = LocalDays(now, zones)
        return Stats(
            at=now,
            subscribers=await _subscribers(connection),
            active_today=await _active_today(connection, days),
            done_today=await _done_today(connection, days),
            completion=await _completion(connection, days),
            failures=await _failures(connection, now),
        )


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def _subscribers(connection: AsyncConnection) -> list[Subscribers]:
    sub = SubscriptionRow
    query = (
        select(
            sub.platform,
            sub.kind,
            _count(sub.active.is_(True)),
            _count(and_(sub.active.is_(False), sub.paused.is_(True))),
            _count(and_(sub.active.is_(False), sub.paused.is_(False))),
        )
        # A chat that only ever set its language never subscribed: it is no subscriber, stopped or not.
        .where(sub.start_date.is_not(None))
        .group_by(sub.platform, sub.kind)
        .order_by(sub.platform, sub.kind)
    )
    return [Subscribers(p, k, int(a), int(z), int(s)) for p, k, a, z, s in await connection.execute(query)]


def _pushes_sent() -> Any:
    return (DeliveryRow.kind == DeliveryKind.PUSH.value, DeliveryRow.status == _SENT)


async def _active_today(connection: AsyncConnection, days: LocalDays) -> int:
    pushed = (
        select(DeliveryRow.subscription_id.label("chat"))
        .join(SubscriptionRow, SubscriptionRow.id == DeliveryRow.subscription_id)
        .where(*_pushes_sent(), days.between(DeliveryRow.local_date, 0, 0))
    )
    done = (
        select(CompletionRow.subscription_id.label("chat"))
        .join(SubscriptionRow, SubscriptionRow.id == CompletionRow.subscription_id)
        .where(days.between(CompletionRow.local_date, 0, 0))
    )
    chats = union(pushed, done).subquery()  # UNION: a chat pushed to and done today counts once
    return int(await connection.scalar(select(func.count()).select_from(chats)) or 0)


async def _done_today(connection: AsyncConnection, days: LocalDays) -> int:
    query = (
        select(func.count())
        .select_from(CompletionRow)
        .join(SubscriptionRow, SubscriptionRow.id == CompletionRow.subscription_id)
        .where(days.between(CompletionRow.local_date, 0, 0))
    )
    return int(await connection.scalar(query) or 0)


async def _completion(connection: AsyncConnection, days: LocalDays) -> list[Completion]:
    done = (
        select(CompletionRow.id)
        .where(
            CompletionRow.subscription_id == DeliveryRow.subscription_id, CompletionRow.plan_day == DeliveryRow.plan_day
        )
        .exists()
    )
    query = (
        select(SubscriptionRow.kind, func.count(), _count(done))
        .select_from(DeliveryRow)
        .join(SubscriptionRow, SubscriptionRow.id == DeliveryRow.subscription_id)
        .where(*_pushes_sent(), days.between(DeliveryRow.local_date, -RATE_DAYS, -1))
        .group_by(SubscriptionRow.kind)
    )
    found = {
        kind: Completion(kind, int(pushed), int(marked)) for kind, pushed, marked in await connection.execute(query)
    }
    return [found.get(kind.value, Completion(kind.value, 0, 0)) for kind in ChatKind]


async def _failures(connection: AsyncConnection, now: datetime) -> list[Failures]:
    row = DeliveryRow
    query = (
        select(
            SubscriptionRow.platform,
            row.kind,
            _count(and_(row.status == _FAILED, row.retry_at.is_not(None))),
            _count(and_(row.status == _FAILED, row.retry_at.is_(None))),
            _count(row.status == _UNKNOWN),
        )
        .join(SubscriptionRow, SubscriptionRow.id == row.subscription_id)
        .where(row.status.in_((_FAILED, _UNKNOWN)), row.claimed_at >= now - timedelta(days=FAILURE_DAYS))
        .group_by(SubscriptionRow.platform, row.kind)
        .order_by(SubscriptionRow.platform, row.kind)
    )
    return [Failures(p, k, int(r), int(g), int(u)) for p, k, r, g, u in await connection.execute(query)]
