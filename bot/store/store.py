"""The SQLAlchemy implementation of the core's Store port: units of work plus the delivery bookkeeping
that commits on its own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.core.model import Address, Claim, DeliveryStatus, SendOutcome
from bot.store.delivery_sql import for_connection
from bot.store.engine import without_begin
from bot.store.repository import SqlUnitOfWork, to_delivery, to_subscription
from bot.store.tables import DeliveryRow, SubscriptionRow


class SqlStore:
    """Storage over one async engine; see `bot.core.ports.Store`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._loose_sessions = async_sessionmaker(without_begin(engine), expire_on_commit=False)

    @asynccontextmanager
    async def unit(self, *, atomic: bool = True) -> AsyncIterator[SqlUnitOfWork]:
        async with (self._sessions if atomic else self._loose_sessions)() as session:
            yield SqlUnitOfWork(session, self.engine.dialect.name)

    async def record_sends(self, sending: Sequence[int], outcomes: Sequence[SendOutcome], now: datetime) -> None:
        async with self.engine.begin() as connection:
            statements = for_connection(connection)
            await statements.settle(outcomes, now)
            await statements.mark(sending, DeliveryStatus.SENDING)

    async def retryable_deliveries(self, now: datetime, limit: int, lease: timedelta) -> list[Claim]:
        stale = now - lease
        async with self._sessions() as session:
            # A process that died mid-send leaves SENDING rows: it may have delivered, so never resend those.
            await session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.status == DeliveryStatus.SENDING.value, DeliveryRow.claimed_at <= stale)
                .values(status=DeliveryStatus.UNKNOWN.value, error="the sending process stopped mid-send")
            )
            rows = (
                await session.execute(
                    select(DeliveryRow, SubscriptionRow)
                    .join(SubscriptionRow, DeliveryRow.subscription_id == SubscriptionRow.id)
                    .where(
                        or_(
                            and_(DeliveryRow.status == DeliveryStatus.FAILED.value, DeliveryRow.retry_at <= now),
                            # Claimed by a process that died before trying: nothing went out, so send it.
                            and_(DeliveryRow.status == DeliveryStatus.CLAIMED.value, DeliveryRow.claimed_at <= stale),
                        ),
                        SubscriptionRow.active.is_(True),
                    )
                    .order_by(DeliveryRow.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True, of=DeliveryRow)
                )
            ).all()
            claims = []
            for delivery, sub in rows:
                delivery.status = DeliveryStatus.CLAIMED.value
                delivery.attempts += 1
                delivery.retry_at = None
                delivery.claimed_at = now
                claims.append(Claim(to_delivery(delivery), to_subscription(sub)))
            await session.commit()
            return claims

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

    async def release(self, delivery_ids: Sequence[int], now: datetime) -> None:
        if delivery_ids:
            async with self.engine.begin() as connection:
                await for_connection(connection).mark(
                    delivery_ids, DeliveryStatus.FAILED, error="released at shutdown", retry_at=now
                )

    async def close(self) -> None:
        await self.engine.dispose()
