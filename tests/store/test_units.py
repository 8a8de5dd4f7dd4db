"""The store under the core's batched reads and writes, on SQLite and PostgreSQL: lookups of many chats, many
completions in one statement, a person's days across chats, and units that take no write lock."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.bootstrap import App
from bot.core.model import Address, ChatKind, Completion, DayDone, Subscription, Wanted
from bot.core.ports import Lease
from bot.store.sqlite_driver import OneTripConnection

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)


async def add_chat(app: App, platform: str, chat_id: str, kind: ChatKind = ChatKind.PRIVATE) -> Subscription:
    sub = Subscription(Address(platform, chat_id), kind, "en", "UTC", NOW.time(), active=True, start_date=TODAY)
    async with app.store.unit() as uow:
        sub = await uow.save_subscription(sub, NOW)
        await uow.commit()
    return sub


def done(sub: Subscription, user: str, day: int) -> Completion:
    assert sub.id is not None
    return Completion(sub.id, user, day, TODAY, NOW, "Ada")


async def test_many_chats_in_one_lookup_across_platforms(app: App) -> None:
    one = await add_chat(app, "telegram", "1")
    two = await add_chat(app, "discord", "1")
    async with app.store.reading() as uow:
        found = await uow.subscriptions([one.address, Address("telegram", "404"), two.address])
    assert sorted((s.address.platform, s.id) for s in found) == [("discord", two.id), ("telegram", one.id)]


async def test_many_completions_in_one_statement_say_which_were_new(app: App) -> None:
    dm = await add_chat(app, "telegram", "1")
    group = await add_chat(app, "telegram", "-5", ChatKind.GROUP)
    async with app.store.unit() as uow:
        assert await uow.add_completion(done(dm, "1", 1))
        await uow.commit()
    wanted = [done(dm, "1", 1), done(dm, "1", 2), done(group, "1", 1), done(group, "2", 1), done(group, "2", 1)]
    async with app.store.unit() as uow:
        # Already there; new; new; new; the same one again in this batch.
        assert await uow.add_completions(wanted) == [False, True, True, True, False]
        await uow.commit()
    async with app.store.reading() as uow:
        days = await uow.days_done("telegram", ["1", "2"])
    assert sorted(days) == sorted(
        [DayDone("1", dm.id or 0, 1, TODAY), DayDone("1", dm.id or 0, 2, TODAY),
         DayDone("1", group.id or 0, 1, TODAY), DayDone("2", group.id or 0, 1, TODAY)]
    )  # fmt: skip


async def test_a_persons_days_stay_on_their_platform(app: App) -> None:
    telegram = await add_chat(app, "telegram", "1")
    discord = await add_chat(app, "discord", "9")
    async with app.store.unit() as uow:
        await uow.add_completions([done(telegram, "42", 1), done(discord, "42", 1)])
        await uow.commit()
    async with app.store.reading() as uow:
        assert [d.subscription_id for d in await uow.days_done("discord", {"42"})] == [discord.id]


async def test_a_completion_for_a_missing_chat_is_refused(app: App) -> None:
    with pytest.raises(IntegrityError):
        async with app.store.unit() as uow:
            await uow.add_completions([Completion(999_999, "1", 1, TODAY, NOW)])


async def test_an_atomic_unit_left_without_commit_keeps_nothing(app: App) -> None:
    sub = await add_chat(app, "telegram", "1")
    async with app.store.unit() as uow:
        assert await uow.add_completion(done(sub, "1", 1))
    async with app.store.reading() as uow:
        assert await uow.days_done("telegram", ["1"]) == []


async def test_reads_do_not_wait_for_a_writer(app: App) -> None:
    sub = await add_chat(app, "telegram", "1")
    async with app.store.unit() as writer:
        # This unit holds SQLite's write lock until it ends; a reader that asked for the lock too
        # (BEGIN IMMEDIATE) would wait for it, here for ever.
        await writer.add_completion(done(sub, "1", 1))
        async with asyncio.timeout(2), app.store.reading() as reader:
            assert [s.id for s in await reader.subscriptions([sub.address])] == [sub.id]
            assert await reader.days_done("telegram", ["1"]) == []  # not committed yet
        await writer.commit()


async def test_sqlite_runs_each_statement_in_one_trip(app: App) -> None:
    if app.store.engine.dialect.name != "sqlite":
        pytest.skip("the one-trip driver is SQLite's")
    async with app.store.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert isinstance(raw.driver_connection, OneTripConnection)
        await connection.execute(text("CREATE TEMP TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        inserted = await connection.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "a"}, {"v": "b"}])
        assert inserted.rowcount == 2
        one = await connection.execute(text("INSERT INTO t (v) VALUES ('c')"))
        assert one.lastrowid == 3
        assert (await connection.execute(text("UPDATE t SET v = 'z' WHERE id < 3"))).rowcount == 2
        assert (await connection.execute(text("SELECT v FROM t ORDER BY id"))).scalars().all() == ["z", "z", "c"]
        await connection.rollback()


async def test_a_subscription_reads_back_the_same_through_every_path(app: App) -> None:
    """The one mapping: what is saved comes back equal from a unit of work and from the ledger's plain SQL."""
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    original = Subscription(
        Address("telegram", "-100123"), ChatKind.GROUP, "zh", "Asia/Kathmandu", time(7, 45, 30, 250),
        active=True, unreachable=False, start_date=date(2026, 2, 1), next_due_at=now - timedelta(minutes=1),
        last_pushed_date=date(2026, 3, 1), last_pushed_day=29, post_problem="muted",
    )  # fmt: skip
    async with app.store.unit() as uow:
        saved = await uow.save_subscription(original, now)
        await uow.commit()
    assert saved.id is not None
    async with app.store.unit() as uow:
        assert await uow.subscription(original.address) == saved
    seen: list[Subscription] = []

    def plan(due: list[Subscription]) -> list[Wanted]:
        seen.extend(replace(sub) for sub in due)
        return []

    due, _ = await app.store.ledger.claim_due(now, 10, {"telegram"}, plan, Lease("t", now))
    assert seen == [saved] == due
