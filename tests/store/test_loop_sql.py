"""A /done's hottest statements as plain SQL on a SQLite file (bot.store.loop_sql): the same answers as SQLAlchemy's
path, no SQLAlchemy statement at all while the write lock is free, and SQLAlchemy's waiting path when it is not."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import event, select

from bot.bootstrap import App
from bot.core.model import Address, ChatKind, Completion, Pace, Subscription
from bot.core.studydays import Period
from bot.store.repository import SqlUnitOfWork
from bot.store.tables import HandledUpdateRow
from bot.store.updates import SqlUpdateLog
from tests.conftest import sqlite_copy

NOW = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)
TODAY = date(2026, 3, 2)


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A SQLite file: the plain statements are SQLite's (an in-memory database or PostgreSQL takes none)."""
    return sqlite_copy(tmp_path, sqlite_template)


async def chats(app: App) -> list[Subscription]:
    """Chats that use every column a Subscription reads, and one on another platform with the same chat id."""
    rich = Subscription(
        Address("telegram", "-100777"), ChatKind.GROUP, "zh", "Asia/Shanghai", time(8, 30), active=True,
        unreachable=True, start_date=date(2026, 2, 1), next_due_at=datetime(2026, 3, 3, 0, 30, tzinfo=UTC),
        last_pushed_date=date(2026, 3, 1), last_pushed_day=29, post_problem="muted", paused=True, start_day=3,
        first_day=2, round=2, pace=Pace.SELF,
        schedule=(Period(date(2026, 2, 1), 0b0011111), Period(TODAY, paused=True)),
        nudge=True, nudge_time=time(21, 0), owner_id="42", freeze_told=date(2026, 2, 28), graduated_on=None,
    )  # fmt: skip
    plain = Subscription(Address("telegram", "42"), ChatKind.PRIVATE, "en", "UTC", time(7, 0))
    other = Subscription(Address("discord", "42"), ChatKind.PRIVATE, "en", "Europe/Berlin", time(6, 0), active=True)
    saved = []
    async with app.store.unit() as uow:
        for sub in (rich, plain, other):
            saved.append(await uow.save_subscription(sub, NOW))
        await uow.commit()
    return saved


async def test_lookups_answer_as_sqlalchemys_path_does(app: App) -> None:
    rich, plain, other = await chats(app)
    assert rich.id and plain.id and other.id
    async with app.store.unit() as uow:
        await uow.add_completions(
            [Completion(rich.id, "42", day, date(2026, 2, day), NOW, "Ada", round=2) for day in (1, 2, 5)]
            + [Completion(plain.id, "42", 1, TODAY, NOW, "Ada"), Completion(other.id, "42", 1, TODAY, NOW, "Ada")]
            + [Completion(rich.id, "7", 1, TODAY, NOW, "Bo")]
        )
        await uow.commit()
    addresses = [rich.address, plain.address, other.address, Address("telegram", "404")]
    async with app.store.reading() as plain_sql:
        assert plain_sql._on_loop is not None  # a SQLite file's reading takes the plain path
        fast = (await plain_sql.subscriptions(addresses), await plain_sql.days_done("telegram", ["42", "7", "9"]))
        assert await plain_sql.subscriptions([]) == [] and await plain_sql.days_done("telegram", []) == []
        sqlalchemys = SqlUnitOfWork(plain_sql.session, "sqlite")
        slow = (await sqlalchemys.subscriptions(addresses), await sqlalchemys.days_done("telegram", ["42", "7", "9"]))
    key = lambda sub: sub.id  # noqa: E731
    assert sorted(fast[0], key=key) == sorted(slow[0], key=key) == sorted([rich, plain, other], key=key)
    assert sorted(fast[1]) == sorted(slow[1])
    assert len(fast[1]) == 5  # Ada's four in telegram chats and Bo's one; not Ada's Discord day


async def test_update_ids_are_recorded_as_sqlalchemys_path_records_them(app: App) -> None:
    log = app.store.updates
    assert await log.first("telegram", [5, 6, 6, 7], NOW) == {5, 6, 7}
    assert await log.first("telegram", [7, 8], NOW) == {8}
    assert await log.first("discord", [7], NOW) == {7}  # another platform's ids are its own
    assert await SqlUpdateLog(app.store.engine).first("telegram", [8, 9], NOW) == {9}
    async with app.store.engine.connect() as connection:
        stamps = set((await connection.execute(select(HandledUpdateRow.handled_at))).scalars())
    assert stamps == {NOW}  # stored as the column type stores it, and read back the same
    assert await log.forget(datetime(2026, 3, 3, tzinfo=UTC)) == 6


async def test_a_done_s_lookups_make_no_sqlalchemy_statement(app: App) -> None:
    rich, *_ = await chats(app)
    statements: list[str] = []
    sync_engine = app.store.engine.sync_engine
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(sync_engine, "before_cursor_execute", listen)
    try:
        async with app.store.reading() as reading:
            assert [s.id for s in await reading.subscriptions([rich.address])] == [rich.id]
            assert await reading.days_done("telegram", ["42"]) == []
        assert await app.store.updates.first("telegram", [1], NOW) == {1}
    finally:
        event.remove(sync_engine, "before_cursor_execute", listen)
    assert statements == []


async def test_a_held_write_lock_sends_the_record_to_the_waiting_path(app: App) -> None:
    path = app.store.engine.url.database
    assert path
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another process's writer

    async def release_soon() -> None:
        # Runs only while the record waits off the event loop's thread.
        await asyncio.sleep(0.3)
        holder.execute("COMMIT")

    releaser = asyncio.create_task(release_soon())
    async with asyncio.timeout(5):
        assert await app.store.updates.first("telegram", [11, 12], NOW) == {11, 12}
    await releaser
    assert await app.store.updates.first("telegram", [12, 13], NOW) == {13}
    holder.close()


async def test_completions_are_recorded_as_a_unit_of_work_records_them(app: App) -> None:
    rich, plain, _ = await chats(app)
    assert rich.id and plain.id

    def batch(sub_id: int) -> list[Completion]:
        return [
            Completion(sub_id, "42", 3, date(2026, 2, 3), NOW, "Ada 中文", note="a note ✅", round=2),
            Completion(sub_id, "42", 3, date(2026, 2, 3), NOW, "Ada", round=2),  # the same key twice: new once
            Completion(sub_id, "7", 1, TODAY, NOW),
        ]

    async with app.store.unit() as uow:  # the old way, into one chat
        assert await uow.add_completions(batch(plain.id)) == [True, False, True]
        await uow.commit()
    assert await app.store.record_completions(batch(rich.id)) == [True, False, True]  # the plain way, into another
    assert await app.store.record_completions(batch(rich.id)[2:]) == [False]  # stored already
    async with app.store.reading() as reading:
        old_way = await reading.chat_completions(plain.id)
        plain_way = await reading.chat_completions(rich.id)
    assert [replace(c, subscription_id=0) for c in old_way] == [replace(c, subscription_id=0) for c in plain_way]
    assert plain_way[0].completed_at == NOW and plain_way[0].note == "a note ✅"


async def test_a_held_write_lock_sends_completions_to_the_waiting_path(app: App) -> None:
    rich, *_ = await chats(app)
    assert rich.id
    path = app.store.engine.url.database
    assert path
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")

    async def release_soon() -> None:
        await asyncio.sleep(0.3)
        holder.execute("COMMIT")

    releaser = asyncio.create_task(release_soon())
    async with asyncio.timeout(5):
        assert await app.store.record_completions([Completion(rich.id, "42", 1, TODAY, NOW)]) == [True]
    await releaser
    holder.close()
