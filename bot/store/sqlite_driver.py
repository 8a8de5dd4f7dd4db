"""aiosqlite with one trip to its thread per statement, for SQLAlchemy's aiosqlite dialect.

aiosqlite runs each sqlite3 call on the connection's own thread, and SQLAlchemy's adapter makes four such
calls per statement (create a cursor, execute, fetch the rows, close the cursor) plus one per COMMIT or
ROLLBACK, even when no transaction is open. Each trip wakes a thread and then the event loop: 0.1 ms back
to back, up to ~1 ms from idle on a 2-core machine. Here a statement is executed, fetched and closed in one
trip, and COMMIT or ROLLBACK outside a transaction (a no-op in sqlite3 anyway) makes none. SQLAlchemy still
sees aiosqlite's connection, errors and behaviour; rows are fetched whole, as its adapter did anyway.

Inside `inline()` (the store's small units of work: a command's lookups and writes) a statement makes no trip at
all: it runs on the event loop's thread, never waiting for a lock (see `OneTripConnection.run`).

This module is the one place that touches aiosqlite's internals (`Connection._execute`, `_conn`, `_thread`), so
pyproject.toml pins aiosqlite to the 0.22 series; tests/store/test_units.py's one-trip test and
tests/store/test_inline.py are the canaries.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import Any, TypeVar

import aiosqlite

Rows = list[Any]
Outcome = tuple[Rows, Any, int, int | None]  # rows, description, rowcount, lastrowid
Step = tuple[str, Any, bool]  # sql, parameters, executemany
T = TypeVar("T")

_INLINE: ContextVar[bool] = ContextVar("studybot_sqlite_inline", default=False)


@contextmanager
def inline() -> Iterator[None]:
    """Statements run in this context (and tasks started in it) run on the event loop's thread, where they can.

    A trip to aiosqlite's thread costs a busy event loop 1-3 ms of waiting (the thread's wake-up, the GIL, the
    loop's turn for the answer) where a command's statements take ~0.1 ms each, and a /done makes six of them:
    at 300 /done a second on a 2-core machine, p99 52-61 ms by the driver's thread against 31-40 ms here
    (benchmarks/README.md, benchmark 5). For small statements only: a long one would stall every other task on
    the loop, where on the thread SQLite runs without the GIL.
    """
    token = _INLINE.set(True)
    try:
        yield
    finally:
        _INLINE.reset(token)


def placeholders(count: int) -> str:
    """`?, ?, ...`: a plain statement's `count` parameters (an IN list, a row of VALUES)."""
    return ", ".join(["?"] * count)


def _locked(error: sqlite3.OperationalError) -> bool:
    text = str(error)
    return "locked" in text or "busy" in text


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
        call = partial(_execute, sql, () if parameters is None else parameters, False)
        # A connection's set-up (PRAGMAs, busy_timeout among them) goes to the thread: `_inline` sets its own.
        done = await self._connection.run(call, may_inline=not sql.lstrip()[:6].upper().startswith("PRAGMA"))
        self._rows, self.description, self.rowcount, self.lastrowid = done
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneTripCursor:
        # Outside a transaction each row commits on its own: rows written before a lock stopped it cannot be
        # tried again on the thread, so such a batch never runs inline.
        call = partial(_execute, sql, parameters, True)
        done = await self._connection.run(call, may_inline=self._connection.in_transaction)
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


def _commit(connection: sqlite3.Connection) -> bool:
    connection.commit()
    return True


def _rollback(connection: sqlite3.Connection) -> bool:
    connection.rollback()
    return True


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

    async def run(self, call: Callable[[sqlite3.Connection], Outcome], *, may_inline: bool = True) -> Outcome:
        """Run `call(sqlite3 connection)` on the connection's thread, after what was queued before it; inside
        `inline()` (and if `may_inline`), on the event loop's thread unless it would wait for a lock."""
        if may_inline and _INLINE.get():
            done = self._inline(call)
            if done is not None:
                return done
        # aiosqlite's own queue to its thread, as its cursors use it (the method is not typed).
        outcome: Outcome = await self._execute(call, self._conn)  # type: ignore[no-untyped-call]
        return outcome

    def _inline(self, call: Callable[[sqlite3.Connection], T]) -> T | None:
        """`call`'s result, run here and now; None if it needs a lock that another connection holds: a wait here
        would stall the very loop that lets the holder finish, so the caller waits on the thread instead. Only
        between two of this connection's trips, so its thread is idle and the two never use it at once."""
        connection = self._conn
        busy_timeout = int(connection.execute("PRAGMA busy_timeout").fetchone()[0])
        connection.execute("PRAGMA busy_timeout = 0")
        try:
            return call(connection)
        except sqlite3.OperationalError as exc:
            if _locked(exc):
                return None
            raise
        finally:
            connection.execute(f"PRAGMA busy_timeout = {busy_timeout}")

    async def commit(self) -> None:
        # A COMMIT that a lock stops leaves the transaction open, to be committed on the thread.
        if self._open_transaction() and not (_INLINE.get() and self._inline(_commit)):
            await super().commit()

    async def rollback(self) -> None:
        if self._open_transaction() and not (_INLINE.get() and self._inline(_rollback)):
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
    """A blocking sqlite3 connection of its own for the delivery journal's commits (and a /done's hottest statements,
    `bot.store.loop_sql`), run on the event loop's thread.

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
            if _locked(exc):
                return None
            raise

    def statement(self, sql: str, parameters: Sequence[Any]) -> Rows | None:
        """One statement's rows, committed on its own (no BEGIN: a read takes no lock), or None if it needed the
        write lock and another connection held it (nothing was written then)."""
        connection = self._connection or self._connect()
        try:
            cursor = connection.execute(sql, parameters)
            try:
                return cursor.fetchall() if cursor.description else []
            finally:
                cursor.close()
        except sqlite3.OperationalError as exc:
            if _locked(exc):
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
