"""The SQLAlchemy implementation of the core's Store and UnitOfWork ports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.model import Address, ChatKind, Claim, Completion, Delivery, DeliveryStatus, Subscription
from bot.store.tables import CompletionRow, DeliveryRow, SubscriptionRow


def _subscription(row: SubscriptionRow) -> Subscription:
    return Subscription(
        address=Address(row.platform, row.chat_id),
        kind=ChatKind(row.kind),
        language=row.language,
        timezone=row.timezone,
        local_time=row.local_time,
        active=row.active,
        unreachable=row.unreachable,
        start_date=row.start_date,
        next_due_at=row.next_due_at,
        last_pushed_date=row.last_pushed_date,
        last_pushed_day=row.last_pushed_day,
        id=row.id,
    )


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        row.id,
        row.subscription_id,
        row.local_date,
        row.plan_day,
        DeliveryStatus(row.status),
        row.attempts,
        row.message_id,
    )


def _completion(row: CompletionRow) -> Completion:
    return Completion(
        row.subscription_id, row.user_id, row.plan_day, row.local_date, row.completed_at, row.user_name, row.note
    )


class SqlUnitOfWork:
    """One session, one transaction at a time; see `bot.core.ports.UnitOfWork`."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self.session = session
        self.dialect = dialect

    def _insert(self, table: type[Any]) -> postgresql.Insert | sqlite.Insert:
        # Both dialects spell "insert unless the unique key exists" as ON CONFLICT DO NOTHING.
        return postgresql.insert(table) if self.dialect == "postgresql" else sqlite.insert(table)

    async def subscription(self, address: Address) -> Subscription | None:
        row = await self.session.scalar(
            select(SubscriptionRow).where(
                SubscriptionRow.platform == address.platform, SubscriptionRow.chat_id == address.chat_id
            )
        )
        return _subscription(row) if row else None

    async def subscription_by_id(self, subscription_id: int) -> Subscription | None:
        row = await self.session.get(SubscriptionRow, subscription_id)
        return _subscription(row) if row else None

    async def save_subscription(self, sub: Subscription, now: datetime) -> Subscription:
        values = {
            "platform": sub.address.platform,
            "chat_id": sub.address.chat_id,
            "kind": sub.kind.value,
            "language": sub.language,
            "timezone": sub.timezone,
            "local_time": sub.local_time,
            "active": sub.active,
            "unreachable": sub.unreachable,
            "start_date": sub.start_date,
            "next_due_at": sub.next_due_at,
            "last_pushed_date": sub.last_pushed_date,
            "last_pushed_day": sub.last_pushed_day,
            "updated_at": now,
        }
        if sub.id is None:
            row = SubscriptionRow(**values, created_at=now)
            self.session.add(row)
            await self.session.flush()
            return _subscription(row)
        await self.session.execute(update(SubscriptionRow).where(SubscriptionRow.id == sub.id).values(**values))
        return sub

    async def add_completion(self, completion: Completion) -> bool:
        statement = (
            self._insert(CompletionRow)
            .values(
                subscription_id=completion.subscription_id,
                user_id=completion.user_id,
                user_name=completion.user_name,
                plan_day=completion.plan_day,
                local_date=completion.local_date,
                completed_at=completion.completed_at,
                note=completion.note,
            )
            .on_conflict_do_nothing(index_elements=["subscription_id", "user_id", "plan_day"])
            .returning(CompletionRow.id)
        )
        return (await self.session.scalar(statement)) is not None

    async def completions(self, subscription_id: int, user_id: str) -> list[Completion]:
        rows = await self.session.scalars(
            select(CompletionRow)
            .where(CompletionRow.subscription_id == subscription_id, CompletionRow.user_id == user_id)
            .order_by(CompletionRow.completed_at)
        )
        return [_completion(row) for row in rows]

    async def add_delivery(
        self, subscription_id: int, local_date: date, plan_day: int, status: DeliveryStatus, now: datetime
    ) -> Delivery | None:
        statement = (
            self._insert(DeliveryRow)
            .values(
                subscription_id=subscription_id,
                local_date=local_date,
                plan_day=plan_day,
                status=status.value,
                attempts=0,
                claimed_at=now,
                sent_at=now if status is DeliveryStatus.SENT else None,
            )
            .on_conflict_do_nothing(index_elements=["subscription_id", "local_date"])
            .returning(DeliveryRow.id)
        )
        new_id = await self.session.scalar(statement)
        if new_id is None:
            return None
        return Delivery(new_id, subscription_id, local_date, plan_day, status)

    async def claim_due(self, now: datetime, limit: int) -> list[Subscription]:
        rows = await self.session.scalars(
            select(SubscriptionRow)
            .where(SubscriptionRow.next_due_at <= now, SubscriptionRow.active.is_(True))
            .order_by(SubscriptionRow.next_due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_subscription(row) for row in rows]

    async def commit(self) -> None:
        await self.session.commit()


class SqlStore:
    """Storage over one async engine; see `bot.core.ports.Store`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[SqlUnitOfWork]:
        async with self._sessions() as session:
            yield SqlUnitOfWork(session, self.engine.dialect.name)

    async def set_delivery_status(
        self,
        delivery_id: int,
        status: DeliveryStatus,
        now: datetime,
        *,
        message_id: str | None = None,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": status.value, "retry_at": retry_at, "error": error and error[:300]}
        if status is DeliveryStatus.SENT:
            values.update(sent_at=now, message_id=message_id)
        async with self._sessions() as session:
            await session.execute(update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(**values))
            await session.commit()

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
                claims.append(Claim(_delivery(delivery), _subscription(sub)))
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

    async def release(self, delivery_ids: list[int], now: datetime) -> None:
        if not delivery_ids:
            return
        async with self._sessions() as session:
            await session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(delivery_ids))
                .values(status=DeliveryStatus.FAILED.value, retry_at=now, error="released at shutdown")
            )
            await session.commit()

    async def close(self) -> None:
        await self.engine.dispose()
