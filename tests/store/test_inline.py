"""SQLite's small units run on the event loop's thread: no trip to the driver's thread, never a wait for a lock
there (the loop must stay free to let the lock's holder finish), and the same results either way."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import text

from bot.bootstrap import App
from bot.core.model import Address, ChatKind, Completion, Subscription
from bot.store.engine import without_begin
from bot.store.sqlite_driver import OneTripConnection, inline

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)


@pytest.fixture
async def trips(app: App, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[str]]:
    """Every call that goes to a connection's thread (aiosqlite's queue), by name."""
    if app.store.engine.dialect.name != "sqlite":
        pytest.skip("the inline path is SQLite's")
    calls: list[str] = []
    queue: Any = OneTripConnection._execute

    async def counted(self: OneTripConnection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(str(getattr(fn, "__name__", None) or getattr(getattr(fn, "func", None), "__name__", "?")))
        return await queue(self, fn, *args, **kwargs)

    monkeypatch.setattr(OneTripConnection, "_execute", counted)
    yield calls


async def add_chat(app: App, chat_id: str) -> Subscription:
    sub = Subscription(Address("telegram", chat_id), ChatKind.PRIVATE, "en", "UTC", NOW.time(), active=True)
    async with app.store.unit() as uow:
        sub = await uow.save_subscription(sub, NOW)
        await uow.commit()
    return sub


async def test_a_commands_units_make_no_trip_to_the_drivers_thread(app: App, trips: list[str]) -> None:
    sub = await add_chat(app, "1")  # also warms the pool: a new connection's set-up goes to its thread
    assert sub.id is not None
    trips.clear()
    async with app.store.unit() as uow:
        assert await uow.add_completions([Completion(sub.id, "1", 1, TODAY, NOW, "Ada")]) == [True]
        await uow.commit()
    async with app.store.reading() as reading:
        assert [s.id for s in await reading.subscriptions([sub.address])] == [sub.id]
        assert [d.plan_day for d in await reading.days_done("telegram", ["1"])] == [1]
    assert trips == []
    # Outside a unit (the ledger's claims, bulk work) statements still go to the thread.
    async with app.store.engine.connect() as connection:
        await connection.execute(text("SELECT count(*) FROM subscriptions"))
    assert trips


async def test_a_unit_that_meets_another_connections_lock_waits_off_the_loop(app: App, trips: list[str]) -> None:
    sub = await add_chat(app, "1")
    assert sub.id is not None
    path = app.store.engine.url.database
    assert path
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another process's writer, holding SQLite's write lock
    released = asyncio.Event()

    async def release_soon() -> None:
        # Runs only if the loop is free while the unit waits: had the unit waited on the loop's thread, this
        # would run after its 10 s busy timeout, and the unit would have failed with "database is locked".
        await asyncio.sleep(0.3)
        holder.execute("COMMIT")
        released.set()

    trips.clear()
    releaser = asyncio.create_task(release_soon())
    async with asyncio.timeout(5), app.store.unit() as uow:
        assert await uow.add_completions([Completion(sub.id, "1", 1, TODAY, NOW, "Ada")]) == [True]
        await uow.commit()
    await releaser
    assert released.is_set()
    assert trips, "the locked BEGIN went to the driver's thread"
    # The connection kept its busy timeout: the next unit that meets a lock waits for it, not fails.
    async with without_begin(app.store.engine).connect() as connection:
        assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar_one() == 10_000
    holder.close()


async def test_a_batch_of_rows_outside_a_transaction_never_runs_inline(app: App, trips: list[str]) -> None:
    # Each row would commit on its own: a lock met half-way could not be tried again without writing rows twice.
    async with without_begin(app.store.engine).connect() as connection:
        await connection.execute(text("CREATE TEMP TABLE t (v TEXT)"))
        await connection.commit()
        trips.clear()
        with inline():
            await connection.execute(text("SELECT 1"))
            assert trips == []
            await connection.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "a"}, {"v": "b"}])
        assert trips == ["_execute"]
        assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one() == 2
