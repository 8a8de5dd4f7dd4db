"""The delivery pass's batch statements, written once per dialect and handed straight to the driver.

A pass finds, records and settles hundreds of pushes per statement. SQLAlchemy's per-row parameter and type
processing cost several times the database's own work there (benchmarks/README.md), so these few statements
skip it; everything else in the store goes through SQLAlchemy's expressions as usual. Column values are
converted here exactly as `bot.store.types` stores them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.model import Address, ChatKind, Delivery, DeliveryStatus, SendOutcome, Subscription

_COLUMNS = (
    "id, platform, chat_id, kind, language, timezone, local_time, active, unreachable, start_date, next_due_at,"
    " last_pushed_date, last_pushed_day"
)
# SQLite allows 32,766 parameters per statement; a chunk of rows stays well under it.
_ROWS_PER_STATEMENT = 1000


def _chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i : i + _ROWS_PER_STATEMENT] for i in range(0, len(items), _ROWS_PER_STATEMENT)]


class DeliverySql(ABC):
    """The statements over one connection inside the caller's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    # Per dialect: the query, and how its parameter and columns are spelled (see `bot.store.types`).
    DUE: str
    instant_param: Callable[[datetime], Any]
    read_instant: Callable[[Any], datetime]
    read_date: Callable[[Any], date]
    read_time: Callable[[Any], time]

    async def due(self, now: datetime, limit: int) -> list[Subscription]:
        result = await self.connection.exec_driver_sql(self.DUE, (self.instant_param(now), limit))
        instant, day, wall = self.read_instant, self.read_date, self.read_time
        return [
            Subscription(
                Address(platform, chat_id), ChatKind(kind), language, zone, wall(at), bool(active), bool(unreachable),
                start and day(start), due and instant(due), pushed and day(pushed), pushed_day, sub_id,
            )
            for (sub_id, platform, chat_id, kind, language, zone, at, active, unreachable, start, due, pushed,
                 pushed_day) in _rows(result)
        ]  # fmt: skip

    @abstractmethod
    async def add_deliveries(
        self, wanted: Sequence[tuple[int, date, int]], status: DeliveryStatus, now: datetime
    ) -> list[Delivery]:
        ...

    @abstractmethod
    async def advance(self, subs: Sequence[Subscription], now: datetime) -> None:
        ...

    @abstractmethod
    async def mark(self, delivery_ids: Sequence[int], status: DeliveryStatus, *, error: str | None = None,
                   retry_at: datetime | None = None) -> None:  # fmt: skip
        ...

    @abstractmethod
    async def settle(self, outcomes: Sequence[SendOutcome], now: datetime) -> None:
        ...

    @staticmethod
    def _deliveries(rows: Any, wanted: Sequence[tuple[int, date, int]], status: DeliveryStatus) -> list[Delivery]:
        # A batch holds at most one push per subscription, so the subscription names the row it asked for.
        by_sub = {sub_id: (day, plan_day) for sub_id, day, plan_day in wanted}
        return [Delivery(row[0], row[1], *by_sub[row[1]], status) for row in rows]


def _rows(result: Any) -> list[Any]:
    """Plain tuples, typed loosely: the statements above name their columns."""
    return list(result.all())


def for_connection(connection: AsyncConnection) -> DeliverySql:
    dialect = connection.dialect.name
    return SqliteDeliverySql(connection) if dialect == "sqlite" else PostgresDeliverySql(connection)


def _sqlite_instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _sqlite_read_instant(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _same(value: Any) -> Any:
    return value


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


class SqliteDeliverySql(DeliverySql):
    DUE = (
        f"SELECT {_COLUMNS} FROM subscriptions WHERE next_due_at <= ? AND active = 1 ORDER BY next_due_at LIMIT ?"
    )
    instant_param = staticmethod(_sqlite_instant)
    read_instant = staticmethod(_sqlite_read_instant)
    read_date = staticmethod(date.fromisoformat)
    read_time = staticmethod(time.fromisoformat)

    async def add_deliveries(
        self, wanted: Sequence[tuple[int, date, int]], status: DeliveryStatus, now: datetime
    ) -> list[Delivery]:
        claimed_at = _sqlite_instant(now)
        created = []
        for chunk in _chunks(wanted):
            values = ", ".join(["(?, ?, ?, ?, 0, ?)"] * len(chunk))
            params: list[Any] = []
            for sub_id, day, plan_day in chunk:
                params += (sub_id, day.isoformat(), plan_day, status.value, claimed_at)
            result = await self.connection.exec_driver_sql(
                "INSERT INTO deliveries (subscription_id, local_date, plan_day, status, attempts, claimed_at)"
                f" VALUES {values} ON CONFLICT (subscription_id, local_date) DO NOTHING"
                " RETURNING id, subscription_id",
                tuple(params),
            )
            created += self._deliveries(result.all(), chunk, status)
        return created

    async def advance(self, subs: Sequence[Subscription], now: datetime) -> None:
        if not subs:
            return
        updated_at = _sqlite_instant(now)
        await self.connection.exec_driver_sql(
            "UPDATE subscriptions SET next_due_at = ?, last_pushed_date = ?, last_pushed_day = ?, updated_at = ?"
            " WHERE id = ?",
            [
                (_sqlite_instant(s.next_due_at), _sqlite_date(s.last_pushed_date), s.last_pushed_day, updated_at, s.id)
                for s in subs
            ],
        )

    async def mark(self, delivery_ids: Sequence[int], status: DeliveryStatus, *, error: str | None = None,
                   retry_at: datetime | None = None) -> None:  # fmt: skip
        for chunk in _chunks(delivery_ids):
            marks = ", ".join(["?"] * len(chunk))
            await self.connection.exec_driver_sql(
                f"UPDATE deliveries SET status = ?, error = ?, retry_at = ? WHERE id IN ({marks})",
                (status.value, error, _sqlite_instant(retry_at), *chunk),
            )

    async def settle(self, outcomes: Sequence[SendOutcome], now: datetime) -> None:
        if not outcomes:
            return
        sent_at = _sqlite_instant(now)
        await self.connection.exec_driver_sql(
            "UPDATE deliveries SET status = ?, message_id = ?, error = ?, retry_at = ?, sent_at = ? WHERE id = ?",
            [
                (o.status.value, o.message_id, o.error and o.error[:300], _sqlite_instant(o.retry_at),
                 sent_at if o.status is DeliveryStatus.SENT else None, o.delivery_id)
                for o in outcomes
            ],
        )  # fmt: skip


class PostgresDeliverySql(DeliverySql):
    # Arrays make each batch one statement and one round trip, where executemany makes one per row. Updates join
    # an unnest of the values and also say `id = ANY(...)`: without it the planner may hash the whole table,
    # which costs what the table holds, not what is due.

    DUE = (
        f"SELECT {_COLUMNS} FROM subscriptions WHERE next_due_at <= %s AND active"
        " ORDER BY next_due_at LIMIT %s FOR UPDATE SKIP LOCKED"
    )
    instant_param = staticmethod(_same)
    read_instant = staticmethod(_utc)
    read_date = staticmethod(_same)
    read_time = staticmethod(_same)

    async def add_deliveries(
        self, wanted: Sequence[tuple[int, date, int]], status: DeliveryStatus, now: datetime
    ) -> list[Delivery]:
        if not wanted:
            return []
        subs, days, plan_days = (list(column) for column in zip(*wanted, strict=True))
        result = await self.connection.exec_driver_sql(
            "INSERT INTO deliveries (subscription_id, local_date, plan_day, status, attempts, claimed_at)"
            " SELECT s, d, p, %s, 0, %s FROM unnest(%s::integer[], %s::date[], %s::integer[]) AS v(s, d, p)"
            " ON CONFLICT (subscription_id, local_date) DO NOTHING RETURNING id, subscription_id",
            (status.value, now, subs, days, plan_days),
        )
        return self._deliveries(result.all(), wanted, status)

    async def advance(self, subs: Sequence[Subscription], now: datetime) -> None:
        if not subs:
            return
        await self.connection.exec_driver_sql(
            "UPDATE subscriptions AS s SET next_due_at = v.due, last_pushed_date = v.pushed,"
            " last_pushed_day = v.pushed_day, updated_at = %(now)s"
            " FROM unnest(%(id)s::integer[], %(due)s::timestamptz[], %(pushed)s::date[], %(day)s::integer[])"
            " AS v(id, due, pushed, pushed_day) WHERE s.id = v.id AND s.id = ANY(%(id)s::integer[])",
            {
                "now": now,
                "id": [s.id for s in subs],
                "due": [s.next_due_at for s in subs],
                "pushed": [s.last_pushed_date for s in subs],
                "day": [s.last_pushed_day for s in subs],
            },
        )

    async def mark(self, delivery_ids: Sequence[int], status: DeliveryStatus, *, error: str | None = None,
                   retry_at: datetime | None = None) -> None:  # fmt: skip
        if delivery_ids:
            await self.connection.exec_driver_sql(
                "UPDATE deliveries SET status = %s, error = %s, retry_at = %s WHERE id = ANY(%s::integer[])",
                (status.value, error, retry_at, list(delivery_ids)),
            )

    async def settle(self, outcomes: Sequence[SendOutcome], now: datetime) -> None:
        if not outcomes:
            return
        await self.connection.exec_driver_sql(
            "UPDATE deliveries AS d SET status = v.status, message_id = v.message_id, error = v.error,"
            " retry_at = v.retry_at, sent_at = CASE WHEN v.status = 'sent' THEN %(now)s::timestamptz END"
            " FROM unnest(%(id)s::integer[], %(status)s::text[], %(message)s::text[], %(error)s::text[],"
            " %(retry)s::timestamptz[]) AS v(id, status, message_id, error, retry_at)"
            " WHERE d.id = v.id AND d.id = ANY(%(id)s::integer[])",
            {
                "now": now,
                "id": [o.delivery_id for o in outcomes],
                "status": [o.status.value for o in outcomes],
                "message": [o.message_id for o in outcomes],
                "error": [o.error and o.error[:300] for o in outcomes],
                "retry": [o.retry_at for o in outcomes],
            },
        )
