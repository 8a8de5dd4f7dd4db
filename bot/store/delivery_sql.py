"""The delivery ledger's batch statements, written once per dialect and handed straight to the driver.

A pass finds, records and settles hundreds of pushes per statement. SQLAlchemy's per-row parameter and type
processing cost several times the database's own work there (benchmarks/README.md), so these few statements
skip it; everything else in the store goes through SQLAlchemy's expressions as usual. Columns and values go
through `bot.store.mapping`, with the same converters as the column types.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.model import Delivery, DeliveryStatus, SendOutcome, Subscription, Wanted
from bot.core.ports import Lease
from bot.store.mapping import DELIVERIES, SUBSCRIPTION_COLUMNS, SUBSCRIPTIONS, PlainRows
from bot.store.sqlite_driver import OneTripConnection, Step, placeholders

_COLUMNS = ", ".join(SUBSCRIPTION_COLUMNS)
_ROWS = {dialect: PlainRows(dialect) for dialect in ("sqlite", "postgresql")}
# SQLite allows 32,766 parameters per statement; a chunk of rows stays well under it.
_ROWS_PER_STATEMENT = 1000


def _chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i : i + _ROWS_PER_STATEMENT] for i in range(0, len(items), _ROWS_PER_STATEMENT)]


class DeliverySql(ABC):
    """The statements over one connection inside the caller's transaction."""

    dialect: str

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self.rows = rows = _ROWS[self.dialect]
        self.instant = rows.write(DELIVERIES, "claimed_at")
        self.day = rows.write(DELIVERIES, "local_date")
        self.due_instant = rows.write(SUBSCRIPTIONS, "next_due_at")

    @abstractmethod
    def due_query(self, platforms: int) -> str:
        """SELECT the due subscriptions of that many platforms: parameters (now, *platforms, limit)."""

    async def due(self, now: datetime, limit: int, platforms: Collection[str]) -> list[Subscription]:
        if not platforms:
            return []
        params = (self.due_instant(now), *sorted(platforms), limit)
        result = await self.connection.exec_driver_sql(self.due_query(len(platforms)), params)
        return [self.rows.subscription(row) for row in _rows(result)]

    @abstractmethod
    async def add_deliveries(self, wanted: Sequence[Wanted], now: datetime, lease: Lease) -> list[Delivery]:
        """Insert the wanted rows CLAIMED under `lease`; return those whose key was free."""

    @abstractmethod
    async def advance(self, subs: Sequence[Subscription], now: datetime) -> None:
        """Store the subscriptions' new due instants and last pushed days."""

    @abstractmethod
    async def mark_sending(self, ids: Sequence[int], token: str) -> set[int]:
        """SENDING for those of `ids` still held by `token`; returns them."""

    @abstractmethod
    async def give_back(self, ids: Sequence[int], token: str, now: datetime) -> None:
        """Unsent rows held by `token` become claimable by any pass from `now`."""

    @abstractmethod
    async def extend(self, lease: Lease) -> None:
        """Every row held by the lease's pass is held until its new end."""

    @abstractmethod
    async def settle(self, outcomes: Sequence[SendOutcome], now: datetime) -> None:
        """Write how sends ended."""

    @abstractmethod
    async def record(
        self, token: str, sending: Sequence[int], outcomes: Sequence[SendOutcome], give_back: Sequence[int],
        now: datetime,
    ) -> set[int]:  # fmt: skip
        """settle + give_back + mark_sending as one transaction in one trip to the database: a send waits for its
        mark, so each trip saved is latency taken off every send. On a connection with no transaction open."""

    @staticmethod
    def _deliveries(rows: Any, wanted: Sequence[Wanted]) -> list[Delivery]:
        # A batch holds at most one row of each kind per subscription, so (subscription, kind) names the row.
        by_key = {(w.subscription_id, w.kind.value): w for w in wanted}
        created = []
        for delivery_id, sub_id, kind in rows:
            w = by_key[(sub_id, kind)]
            created.append(Delivery(delivery_id, sub_id, w.local_date, w.plan_day, DeliveryStatus.CLAIMED, kind=w.kind))
        return created


def _rows(result: Any) -> list[Any]:
    """Plain tuples, typed loosely: the statements above name their columns."""
    return list(result.all())


def for_connection(connection: AsyncConnection) -> DeliverySql:
    dialect = connection.dialect.name
    return SqliteDeliverySql(connection) if dialect == "sqlite" else PostgresDeliverySql(connection)



class SqliteDeliverySql(DeliverySql):
    dialect = "sqlite"

    def due_query(self, platforms: int) -> str:
        # Ties at the same instant go in id order, so a backlog is served first come, first served.
        return (
            f"SELECT {_COLUMNS} FROM subscriptions WHERE next_due_at <= ? AND active = 1"
            f" AND platform IN ({placeholders(platforms)}) ORDER BY next_due_at, id LIMIT ?"
        )

    async def add_deliveries(self, wanted: Sequence[Wanted], now: datetime, lease: Lease) -> list[Delivery]:
        claimed_at, until = self.instant(now), self.instant(lease.until)
        created = []
        for chunk in _chunks(wanted):
            values = ", ".join(["(?, ?, ?, ?, 'claimed', 0, ?, ?, ?)"] * len(chunk))
            params: list[Any] = []
            for w in chunk:
                params += (w.subscription_id, self.day(w.local_date), w.kind.value, w.plan_day, claimed_at,
                           lease.token, until)  # fmt: skip
            result = await self.connection.exec_driver_sql(
                "INSERT INTO deliveries (subscription_id, local_date, kind, plan_day, status, attempts, claimed_at,"
                f" claimed_by, lease_until) VALUES {values}"
                " ON CONFLICT (subscription_id, local_date, kind, ref) DO NOTHING RETURNING id, subscription_id, kind",
                tuple(params),
            )
            created += self._deliveries(result.all(), chunk)
        return created

    async def advance(self, subs: Sequence[Subscription], now: datetime) -> None:
        if not subs:
            return
        updated_at = self.instant(now)
        await self.connection.exec_driver_sql(
            "UPDATE subscriptions SET next_due_at = ?, last_pushed_date = ?, last_pushed_day = ?, updated_at = ?"
            " WHERE id = ?",
            [
                (self.instant(s.next_due_at), self.day(s.last_pushed_date), s.last_pushed_day, updated_at, s.id)
                for s in subs
            ],
        )

    def _mark_steps(self, ids: Sequence[int], token: str) -> list[Step]:
        return _sqlite_mark_steps(ids, token)

    def _give_back_steps(self, ids: Sequence[int], token: str, now: datetime) -> list[Step]:
        return _sqlite_give_back_steps(ids, token, now)

    async def _run(self, steps: list[Step]) -> list[list[Any]]:
        results = []
        for sql, params, many in steps:
            result = await self.connection.exec_driver_sql(sql, params)
            results.append(list(result.all()) if result.returns_rows and not many else [])
        return results

    async def mark_sending(self, ids: Sequence[int], token: str) -> set[int]:
        return {row[0] for rows in await self._run(self._mark_steps(ids, token)) for row in rows}

    async def give_back(self, ids: Sequence[int], token: str, now: datetime) -> None:
        await self._run(self._give_back_steps(ids, token, now))

    async def record(
        self, token: str, sending: Sequence[int], outcomes: Sequence[SendOutcome], give_back: Sequence[int],
        now: datetime,
    ) -> set[int]:  # fmt: skip
        steps, marks = sqlite_record_steps(token, sending, outcomes, give_back, now)
        if not steps:
            return set()
        driver = (await self.connection.get_raw_connection()).driver_connection
        assert isinstance(driver, OneTripConnection)
        results = await driver.transaction(steps)
        return marked(results, marks)

    async def extend(self, lease: Lease) -> None:
        await self.connection.exec_driver_sql(
            "UPDATE deliveries SET lease_until = ? WHERE status IN ('claimed', 'sending') AND claimed_by = ?",
            (self.instant(lease.until), lease.token),
        )

    async def settle(self, outcomes: Sequence[SendOutcome], now: datetime) -> None:
        await self._run(_sqlite_settle_steps(outcomes, now))


_SQLITE_INSTANT = _ROWS["sqlite"].write(DELIVERIES, "claimed_at")


def _sqlite_mark_steps(ids: Sequence[int], token: str) -> list[Step]:
    return [
        (f"UPDATE deliveries SET status = 'sending' WHERE id IN ({placeholders(len(chunk))}) AND claimed_by = ?"
         " AND status IN ('claimed', 'sending') RETURNING id", (*chunk, token), False)
        for chunk in _chunks(ids)
    ]  # fmt: skip


def _sqlite_give_back_steps(ids: Sequence[int], token: str, now: datetime) -> list[Step]:
    return [
        ("UPDATE deliveries SET status = 'claimed', claimed_by = NULL, lease_until = ?"
         f" WHERE id IN ({placeholders(len(chunk))}) AND claimed_by = ? AND status IN ('claimed', 'sending')",
         (_SQLITE_INSTANT(now), *chunk, token), False)
        for chunk in _chunks(ids)
    ]  # fmt: skip


def _sqlite_settle_steps(outcomes: Sequence[SendOutcome], now: datetime) -> list[Step]:
    if not outcomes:
        return []
    instant = _SQLITE_INSTANT
    sent_at = instant(now)
    rows = [
        (o.status.value, o.message_id, o.error and o.error[:300], instant(o.retry_at),
         sent_at if o.status is DeliveryStatus.SENT else None, o.delivery_id)
        for o in outcomes
    ]  # fmt: skip
    sql = "UPDATE deliveries SET status = ?, message_id = ?, error = ?, retry_at = ?, sent_at = ? WHERE id = ?"
    return [(sql, rows, True)]


def sqlite_record_steps(
    token: str, sending: Sequence[int], outcomes: Sequence[SendOutcome], give_back: Sequence[int], now: datetime
) -> tuple[list[Step], int]:
    """A journal commit on SQLite as steps for one transaction: the outcomes, the hand-backs, then the marks (their
    number last, for `marked`)."""
    marks = _sqlite_mark_steps(sending, token)
    return _sqlite_settle_steps(outcomes, now) + _sqlite_give_back_steps(give_back, token, now) + marks, len(marks)


def marked(results: Sequence[Sequence[Any]], marks: int) -> set[int]:
    """The ids the last `marks` steps marked SENDING."""
    return {row[0] for rows in results[len(results) - marks :] for row in rows}


# Rows still held (claimed, or marked on the wire), tested on the row only: given the status index, a planner whose
# statistics predate the pass's claims (thousands inserted since the last ANALYZE) intersects the few ids with every
# held row's index entry, so each mark costs what the pass holds (EXPLAIN ANALYZE with 30,000 claimed: 0.63 ms
# against 0.08 ms by primary key alone).
_HELD = "(status || '') IN ('claimed', 'sending')"


class PostgresDeliverySql(DeliverySql):
    # Arrays make each batch one statement and one round trip, where executemany makes one per row. Updates join
    # an unnest of the values and also say `id = ANY(...)`: without it the planner may hash the whole table,
    # which costs what the table holds, not what is due.
    dialect = "postgresql"

    async def _held_rows(self, sql: str, params: Any) -> list[Any]:
        return await held_rows((await self.connection.get_raw_connection()).driver_connection, sql, params)

    def due_query(self, platforms: int) -> str:
        return (
            f"SELECT {_COLUMNS} FROM subscriptions WHERE next_due_at <= %s AND active"
            f" AND platform IN ({', '.join(['%s'] * platforms)}) ORDER BY next_due_at, id LIMIT %s"
            " FOR UPDATE SKIP LOCKED"
        )

    async def add_deliveries(self, wanted: Sequence[Wanted], now: datetime, lease: Lease) -> list[Delivery]:
        if not wanted:
            return []
        result = await self.connection.exec_driver_sql(
            "INSERT INTO deliveries (subscription_id, local_date, kind, plan_day, status, attempts, claimed_at,"
            " claimed_by, lease_until)"
            " SELECT s, d, k, p, 'claimed', 0, %(now)s, %(token)s, %(until)s"
            " FROM unnest(%(subs)s::integer[], %(days)s::date[], %(kinds)s::text[], %(plan_days)s::integer[])"
            " AS v(s, d, k, p)"
            " ON CONFLICT (subscription_id, local_date, kind, ref) DO NOTHING RETURNING id, subscription_id, kind",
            {
                "now": now,
                "token": lease.token,
                "until": lease.until,
                "subs": [w.subscription_id for w in wanted],
                "days": [w.local_date for w in wanted],
                "kinds": [w.kind.value for w in wanted],
                "plan_days": [w.plan_day for w in wanted],
            },
        )
        return self._deliveries(result.all(), wanted)

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

    async def mark_sending(self, ids: Sequence[int], token: str) -> set[int]:
        if not ids:
            return set()
        rows = await self._held_rows(
            "UPDATE deliveries SET status = 'sending' WHERE id = ANY(%s::integer[]) AND claimed_by = %s"
            f" AND {_HELD} RETURNING id",
            (list(ids), token),
        )
        return {row[0] for row in rows}

    async def give_back(self, ids: Sequence[int], token: str, now: datetime) -> None:
        if ids:
            await self._held_rows(
                "UPDATE deliveries SET status = 'claimed', claimed_by = NULL, lease_until = %s"
                f" WHERE id = ANY(%s::integer[]) AND claimed_by = %s AND {_HELD}",
                (now, list(ids), token),
            )

    async def extend(self, lease: Lease) -> None:
        await self._held_rows(
            "UPDATE deliveries SET lease_until = %s WHERE status IN ('claimed', 'sending') AND claimed_by = %s",
            (lease.until, lease.token),
        )

    async def settle(self, outcomes: Sequence[SendOutcome], now: datetime) -> None:
        if outcomes:
            await self._held_rows(f"{_SETTLE} SELECT 1", _settle_params(outcomes, now))

    async def record(
        self, token: str, sending: Sequence[int], outcomes: Sequence[SendOutcome], give_back: Sequence[int],
        now: datetime,
    ) -> set[int]:  # fmt: skip
        statement = postgres_record_statement(token, sending, outcomes, give_back, now)
        if statement is None:
            async with self.connection.begin():
                await self.settle(outcomes, now)
                await self.give_back(give_back, token, now)
                return await self.mark_sending(sending, token)
        return {row[0] for row in await self._held_rows(*statement)}


async def held_rows(driver: Any, sql: str, params: Any) -> list[Any]:
    """A statement on the rows a pass holds, over psycopg's connection `driver`, planned afresh each time: psycopg
    prepares a statement it has run five times, and PostgreSQL may then keep one generic plan for it, made for the
    ledger of that moment. A pass fills the ledger from a day's first rows, and a plan kept from its first commits
    scanned the whole table for every mark and outcome (a 10,000-push pass read 20.9M ledger rows: PostgreSQL's CPU
    0.33-0.39 ms per push, 0.11-0.13 planned afresh; benchmarks/README.md). The claims keep their prepared plans:
    planned afresh, 120 claims of 1,000 took a median 57 ms instead of 47."""
    cursor = await driver.execute(sql, params, prepare=False)
    return list(await cursor.fetchall()) if cursor.description is not None else []


def postgres_record_statement(
    token: str, sending: Sequence[int], outcomes: Sequence[SendOutcome], give_back: Sequence[int], now: datetime
) -> tuple[str, dict[str, Any]] | None:
    """A journal commit as one statement, so one round trip and atomic without a transaction around it (on a
    connection that autocommits); it returns the ids marked SENDING. None where it would change a row twice, which one
    statement may not: a journal commit never asks it, but the caller then stays correct statement by statement."""
    if {o.delivery_id for o in outcomes} & set(give_back) or set(give_back) & set(sending):
        return None
    return (
        f"{_SETTLE}, given AS (UPDATE deliveries SET status = 'claimed', claimed_by = NULL,"
        " lease_until = %(now)s::timestamptz WHERE id = ANY(%(give)s::integer[]) AND claimed_by = %(token)s"
        f" AND {_HELD} RETURNING id)"
        " UPDATE deliveries SET status = 'sending' WHERE id = ANY(%(mark)s::integer[]) AND claimed_by = %(token)s"
        f" AND {_HELD} RETURNING id",
        {**_settle_params(outcomes, now), "give": list(give_back), "mark": list(sending), "token": token},
    )


# How sends ended, as a data-modifying WITH: `record` adds its hand-backs and marks to the same statement.
_SETTLE = (
    "WITH settled AS (UPDATE deliveries AS d SET status = v.status, message_id = v.message_id, error = v.error,"
    " retry_at = v.retry_at, sent_at = CASE WHEN v.status = 'sent' THEN %(now)s::timestamptz END"
    " FROM unnest(%(id)s::integer[], %(status)s::text[], %(message)s::text[], %(error)s::text[],"
    " %(retry)s::timestamptz[]) AS v(id, status, message_id, error, retry_at)"
    " WHERE d.id = v.id AND d.id = ANY(%(id)s::integer[]) RETURNING d.id)"
)


def _settle_params(outcomes: Sequence[SendOutcome], now: datetime) -> dict[str, Any]:
    return {
        "now": now,
        "id": [o.delivery_id for o in outcomes],
        "status": [o.status.value for o in outcomes],
        "message": [o.message_id for o in outcomes],
        "error": [o.error and o.error[:300] for o in outcomes],
        "retry": [o.retry_at for o in outcomes],
    }
