"""aiosqlite with one trip to its thread per statement, for SQLAlchemy's aiosqlite dialect.

aiosqlite runs each sqlite3 call on the connection's own thread, and SQLAlchemy's adapter makes four such
calls per statement (create a cursor, execute, fetch the rows, close the cursor) plus one per COMMIT or
ROLLBACK, even when no transaction is open. Each trip wakes a thread and then the event loop: 0.1 ms back
to back, up to ~1 ms from idle on a 2-core machine. Here a statement is executed, fetched and closed in one
trip, and COMMIT or ROLLBACK outside a transaction (a no-op in sqlite3 anyway) makes none. SQLAlchemy still
sees aiosqlite's connection, errors and behaviour; rows are fetched whole, as its adapter did anyway.

This module is the one place that touches aiosqlite's internals (`Connection._execute`, `_conn`, `_thread`), so
pyproject.toml pins aiosqlite to the 0.22 series; tests/store/test_units.py's one-trip test is the canary.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite

Rows = list[Any]
Outcome = tuple[Rows, Any, int, int | None]  # rows, description, rowcount, lastrowid
Step = tuple[str, Any, bool]  # sql, parameters, executemany


class OneTripCursor:
    """The cursor SQLAlchemy's adapter asks for: each execute runs, fetches and closes on the driver's thread."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self._rows: Rows = []
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        self._rows = []

    async def execute(self, sql: str, parameters: Any = None) -> OneTripCursor:
        done = await self._connection.run(partial(_execute, sql, () if parameters is None else parameters, False))
        self._rows, self.description, self.rowcount, self.lastrowid = done
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneTripCursor:
        done = await self._connection.run(partial(_execute, sql, parameters, True))
        self._rows, self.description, self.rowcount, self.lastrowid = done
        return self

    async def fetchall(self) -> Rows:
        rows, self._rows = self._rows, []
        return rows

    async def fetchmany(self, size: int | None = None) -> Rows:
        count = size or self.arraysize
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def __aiter__(self) -> AsyncIterator[Any]:
        while self._rows:
            yield self._rows.pop(0)

    async def close(self) -> None:
        self._rows = []


def _execute(sql: str, parameters: Any, many: bool, connection: sqlite3.Connection) -> Outcome:
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return rows, cursor.description, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _transaction(steps: Sequence[Step], connection: sqlite3.Connection) -> list[Rows]:
    results: list[Rows] = []
    connection.execute("BEGIN IMMEDIATE")
    try:
        for sql, parameters, many in steps:
            cursor = connection.executemany(sql, parameters) if many else connection.execute(sql, parameters)
            results.append(cursor.fetchall() if cursor.description else [])
            cursor.close()
    except BaseException:
        connection.rollback()
        raise
    connection.commit()
    return results


class OneTripConnection(aiosqlite.Connection):
    """aiosqlite's connection, with OneTripCursor cursors and no trip for COMMIT or ROLLBACK outside a
    transaction."""

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)

    async def run(self, call: Callable[[sqlite3.Connection], Outcome]) -> Outcome:
        """Run `call(sqlite3 connection)` on the connection's thread, after what was queued before it."""
        # aiosqlite's own queue to its thread, as its cursors use it (the method is not typed).
        outcome: Outcome = await self._execute(call, self._conn)  # type: ignore[no-untyped-call]
        return outcome

    async def commit(self) -> None:
        if self._open_transaction():
            await super().commit()

    async def rollback(self) -> None:
        if self._open_transaction():
            await super().rollback()

    async def transaction(self, steps: Sequence[Step]) -> list[Rows]:
        """Run `steps` (sql, parameters, whether parameters is a sequence of rows) as one transaction in one trip to
        the connection's thread; the rows each step returned, in order. For the few writes the delivery pass makes
        all the time (the ledger's record of sends), where each trip is a commit's latency added to a send."""
        outcome: list[Rows] = await self._execute(partial(_transaction, steps), self._conn)  # type: ignore[no-untyped-call]
        return outcome

    def _open_transaction(self) -> bool:
        # sqlite3 reads this flag from the library without touching the connection's thread; a closed
        # connection goes on to aiosqlite, which raises as SQLAlchemy expects.
        connection = self._connection
        return connection is None or connection.in_transaction


class LoopTransactions:
    """A blocking sqlite3 connection of its own for the delivery journal's commits, run on the event loop's thread.

    A send waits for its on-the-wire mark, and a trip to aiosqlite's thread costs a busy event loop 1-3 ms (the
    thread's wake-up, the GIL, the loop's turn for the answer) where the transaction itself takes ~0.1 ms: with 16
    sends in flight that wait was a third of each send. Only when SQLite's write lock is free: it never waits for
    it (a claim holds it across event-loop turns, so waiting here would stall the very loop that finishes the
    claim); `run` then says so, and the caller takes aiosqlite's thread. It never checkpoints the WAL
    (bot.store.checkpoints does, on a thread of its own). The commit is as durable as any other here (WAL,
    synchronous=NORMAL: it survives the process dying)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None

    def run(self, steps: Sequence[Step]) -> list[Rows] | None:
        """The rows of each step, or None if the write lock was taken."""
        connection = self._connection or self._connect()
        try:
            return _transaction(steps, connection)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return None
            raise

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        for pragma in ("synchronous=NORMAL", "foreign_keys=ON", "wal_autocheckpoint=0"):
            connection.execute(f"PRAGMA {pragma}")
        self._connection = connection
        return connection


def connector(arguments: Sequence[Any], options: dict[str, Any]) -> Callable[[], OneTripConnection]:
    """What SQLAlchemy's aiosqlite dialect calls to connect, given the arguments it made from the URL."""

    def connect() -> OneTripConnection:
        connection = OneTripConnection(partial(sqlite3.connect, *arguments, **options), iter_chunk_size=64)
        # Like SQLAlchemy's own connect: the driver's thread must not keep the process alive.
        connection._thread.daemon = True
        return connection

    return connect
