"""The SQLAlchemy implementation of the core's Store port: units of work, the delivery ledger, and the few
changes to a chat that commit on their own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.core.model import Completion
from bot.store import loop_sql
from bot.store.checkpoints import Checkpoints
from bot.store.engine import without_begin
from bot.store.ledger import SqlLedger
from bot.store.repository import SqlUnitOfWork, newly_added
from bot.store.secrets import shared_secret
from bot.store.sqlite_driver import LoopTransactions, inline
from bot.store.tables import SubscriptionRow
from bot.store.updates import SqlUpdateLog


class SqlStore:
    """Storage over one async engine; see `bot.core.ports.Store`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._loose_sessions = async_sessionmaker(without_begin(engine), expire_on_commit=False)
        path = engine.url.database if engine.dialect.name == "sqlite" else None
        # A file's journal commits and a /done's hottest statements run on the event loop's thread when they can
        # (see LoopTransactions); an in-memory database is one connection's alone.
        self._on_loop = LoopTransactions(path) if path and path != ":memory:" and "mode=memory" not in path else None
        self._ledger = SqlLedger(engine, self._on_loop)
        self._updates = SqlUpdateLog(engine, self._on_loop)
        self._checkpoints = Checkpoints(path) if path and path != ":memory:" else None

    def start(self) -> None:
        """In a running event loop, once: SQLite's WAL checkpoints from now on run off the commits' path."""
        if self._checkpoints is not None:
            self._checkpoints.start()

    @property
    def ledger(self) -> SqlLedger:
        return self._ledger

    @property
    def updates(self) -> SqlUpdateLog:
        return self._updates

    async def ping(self) -> None:
        """One trip to the database (the health check's); raises if it cannot be reached."""
        async with self._loose_sessions() as session:
            await session.execute(text("SELECT 1"))

    async def count_active(self) -> int:
        """Subscriptions that get pushes: active and due at some instant (not paused, stopped or finished)."""
        query = select(func.count()).where(SubscriptionRow.active, SubscriptionRow.next_due_at.is_not(None))
        async with self._loose_sessions() as session:
            return int((await session.execute(query)).scalar_one())

    # Units and readings are a command's (or a push's) few small statements: on SQLite they run on the event
    # loop's thread (bot.store.sqlite_driver.inline). The ledger's claims and bulk writes stay on the driver's.
    @asynccontextmanager
    async def unit(self) -> AsyncIterator[SqlUnitOfWork]:
        with inline():
            async with self._sessions() as session:
                yield SqlUnitOfWork(session, self.engine.dialect.name)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[SqlUnitOfWork]:
        # Without a transaction: on SQLite no BEGIN IMMEDIATE, so a reader never waits for (or blocks) a writer; and
        # so its hottest lookups may take another connection (bot.store.loop_sql), seeing the same committed rows.
        with inline():
            async with self._loose_sessions() as session:
                yield SqlUnitOfWork(session, self.engine.dialect.name, self._on_loop)

    async def record_completions(self, completions: Sequence[Completion]) -> list[bool]:
        if self._on_loop is not None and (inserted := loop_sql.add_completions(self._on_loop, completions)) is not None:
            return newly_added(completions, inserted)
        async with self.unit() as uow:
            new = await uow.add_completions(completions)
            if any(new):
                await uow.commit()
        return new

    async def set_post_problem(self, subscription_id: int, problem: str | None) -> None:
        await self._change_subscription(subscription_id, post_problem=problem)

    async def note_freezes_told(self, subscription_id: int, through: date) -> None:
        await self._change_subscription(subscription_id, freeze_told=through)

    async def _change_subscription(self, subscription_id: int, **values: object) -> None:
        with inline():
            async with self._sessions() as session:
                change = update(SubscriptionRow).where(SubscriptionRow.id == subscription_id).values(values)
                await session.execute(change)
                await session.commit()

    async def shared_secret(self, name: str, make: Callable[[], str], now: datetime) -> str:
        """A key every process on this database shares (see `bot.store.secrets`), made once with `make`."""
        return await shared_secret(self.engine, name, make, now)

    async def close(self) -> None:
        await self._ledger.close()
        if self._on_loop is not None:
            self._on_loop.close()
        if self._checkpoints is not None:
            await self._checkpoints.close()
        await self.engine.dispose()
