"""The delivery journal's commits on SQLite: on the event loop's own thread when the write lock is free, and through
aiosqlite's thread when another writer (a claim) holds it, so that the bot keeps answering meanwhile."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.bootstrap import App
from bot.core.model import Address, ChatKind, DeliveryKind, DeliveryStatus, SendOutcome, Subscription, Wanted
from bot.core.ports import Lease

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def claimed(app: App, chats: int) -> list[int]:
    async with app.store.unit() as uow:
        for n in range(chats):
            sub = Subscription(Address("telegram", str(n)), ChatKind.PRIVATE, "en", "UTC", NOW.time(), active=True,
                               start_date=NOW.date(), next_due_at=NOW)  # fmt: skip
            await uow.save_subscription(sub, NOW)
        await uow.commit()
    _, created = await app.store.ledger.claim_due(
        NOW, 10, ["telegram"], lambda due: [Wanted(s.id or 0, DeliveryKind.PUSH, NOW.date(), 1) for s in due],
        Lease("pass", NOW + timedelta(minutes=1)),
    )  # fmt: skip
    return [delivery.id for delivery in created]


async def test_marks_land_while_another_writer_holds_sqlites_lock_and_the_loop_keeps_running(app: App) -> None:
    if app.store.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    first, second = await claimed(app, 2)
    ledger = app.store.ledger
    assert await ledger.record("pass", [first], [], [], NOW) == {first}  # the lock is free: on the loop's thread
    path = app.store.engine.url.database
    assert path is not None
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # as a claim holds it across event-loop turns
    try:
        mark = asyncio.create_task(
            ledger.record("pass", [second], [SendOutcome(first, DeliveryStatus.SENT, message_id="7")], [], NOW)
        )
        started = time.monotonic()
        await asyncio.sleep(0.3)
        assert time.monotonic() - started < 0.6, "the event loop stalled behind SQLite's lock"
        assert not mark.done()  # it waits for the lock, on aiosqlite's thread
    finally:
        blocker.rollback()
        blocker.close()
    assert await asyncio.wait_for(mark, 10) == {second}
