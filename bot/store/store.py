"""The SQLAlchemy implementation of the core's Store port: units of work, the delivery ledger, and the few
changes to a chat that commit on their own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.core.model import Address
from bot.store.engine import without_begin
from bot.store.ledger import SqlLedger
from bot.store.repository import SqlUnitOfWork
from bot.store.tables import SubscriptionRow


class SqlStore:
    """Storage over one async engine; see `bot.core.ports.Store`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._loose_sessions = async_sessionmaker(without_begin(engine), expire_on_commit=False)
        self._ledger = SqlLedger(engine)

    @property
    def ledger(self) -> SqlLedger:
        return self._ledger

    @asynccontextmanager
    async def unit(self, *, atomic: bool = True) -> AsyncIterator[SqlUnitOfWork]:
        async with (self._sessions if atomic else self._loose_sessions)() as session:
            yield SqlUnitOfWork(session, self.engine.dialect.name)

    async def set_post_problem(self, subscription_id: int, problem: str | None) -> None:
        async with self._sessions() as session:
            await session.execute(
                update(SubscriptionRow).where(SubscriptionRow.id == subscription_id).values(post_problem=problem)
            )
            await session.commit()

    async def deactivate(self, address: Address, now: datetime) -> None:
        async with self._sessions() as session:
            await session.execute(
                update(SubscriptionRow)
                .where(SubscriptionRow.platform == address.platform, SubscriptionRow.chat_id == address.chat_id)
                .values(active=False, unreachable=True, next_due_at=None, updated_at=now)
            )
            await session.commit()

    async def move_chat(self, address: Address, new_chat_id: str, now: datetime) -> None:
        async with self._sessions() as session:
            taken = await session.scalar(
                select(SubscriptionRow.id).where(
                    SubscriptionRow.platform == address.platform, SubscriptionRow.chat_id == new_chat_id
                )
            )
            if taken is None:
                await session.execute(
                    update(SubscriptionRow)
                    .where(SubscriptionRow.platform == address.platform, SubscriptionRow.chat_id == address.chat_id)
                    .values(chat_id=new_chat_id, updated_at=now)
                )
                await session.commit()

    async def close(self) -> None:
        await self.engine.dispose()
