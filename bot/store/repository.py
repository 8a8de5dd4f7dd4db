"""The SQLAlchemy implementation of the core's UnitOfWork port, and the mapping of rows to core dataclasses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.model import Address, ChatKind, Completion, Correction, Delivery, DeliveryStatus, Subscription
from bot.store.delivery_sql import DeliverySql, for_connection
from bot.store.tables import CompletionRow, CorrectionRow, DeliveryRow, SubscriptionRow, SummaryRow


def to_subscription(row: Any) -> Subscription:
    """From an ORM object or a plain row with the table's column names."""
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


def to_delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        row.id,
        row.subscription_id,
        row.local_date,
        row.plan_day,
        DeliveryStatus(row.status),
        row.attempts,
        row.message_id,
    )


def to_completion(row: CompletionRow) -> Completion:
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
        return to_subscription(row) if row else None

    async def subscription_by_id(self, subscription_id: int) -> Subscription | None:
        row = await self.session.get(SubscriptionRow, subscription_id)
        return to_subscription(row) if row else None

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
            return to_subscription(row)
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
        return [to_completion(row) for row in rows]

    async def chat_completions(self, subscription_id: int) -> list[Completion]:
        rows = await self.session.scalars(
            select(CompletionRow)
            .where(CompletionRow.subscription_id == subscription_id)
            .order_by(CompletionRow.completed_at)
        )
        return [to_completion(row) for row in rows]

    async def user_completions(self, platform: str, user_id: str) -> list[Completion]:
        rows = await self.session.scalars(
            select(CompletionRow)
            .join(SubscriptionRow, CompletionRow.subscription_id == SubscriptionRow.id)
            .where(CompletionRow.user_id == user_id, SubscriptionRow.platform == platform)
            .order_by(CompletionRow.completed_at)
        )
        return [to_completion(row) for row in rows]

    async def remove_completion(self, subscription_id: int, user_id: str, plan_day: int) -> bool:
        result = await self.session.execute(
            delete(CompletionRow).where(
                CompletionRow.subscription_id == subscription_id,
                CompletionRow.user_id == user_id,
                CompletionRow.plan_day == plan_day,
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def add_correction(self, correction: Correction) -> None:
        self.session.add(
            CorrectionRow(
                subscription_id=correction.subscription_id,
                admin_id=correction.admin_id,
                admin_name=correction.admin_name,
                member_id=correction.member_id,
                member_name=correction.member_name,
                plan_day=correction.plan_day,
                marked_done=correction.marked_done,
                at=correction.at,
            )
        )
        await self.session.flush()

    async def corrections(self, subscription_id: int, limit: int) -> list[Correction]:
        rows = await self.session.scalars(
            select(CorrectionRow)
            .where(CorrectionRow.subscription_id == subscription_id)
            .order_by(CorrectionRow.at.desc(), CorrectionRow.id.desc())
            .limit(limit)
        )
        return [
            Correction(r.subscription_id, r.admin_id, r.admin_name, r.member_id, r.member_name, r.plan_day,
                       r.marked_done, r.at)
            for r in rows
        ]  # fmt: skip

    async def push_message(self, subscription_id: int, plan_day: int) -> str | None:
        """The platform's id of the message that pushed `plan_day` to the chat, if it went out."""
        return await self.session.scalar(
            select(DeliveryRow.message_id)
            .where(
                DeliveryRow.subscription_id == subscription_id,
                DeliveryRow.plan_day == plan_day,
                DeliveryRow.status == DeliveryStatus.SENT.value,
                DeliveryRow.message_id.is_not(None),
            )
            .order_by(DeliveryRow.id.desc())
            .limit(1)
        )

    async def claim_summary(self, subscription_id: int, week: int, now: datetime) -> bool:
        statement = (
            self._insert(SummaryRow)
            .values(subscription_id=subscription_id, week=week, claimed_at=now)
            .on_conflict_do_nothing(index_elements=["subscription_id", "week"])
            .returning(SummaryRow.id)
        )
        return (await self.session.scalar(statement)) is not None

    async def forget(self, subscription_id: int) -> None:
        for table in (CompletionRow, DeliveryRow, CorrectionRow, SummaryRow):
            await self.session.execute(delete(table).where(table.subscription_id == subscription_id))
        await self.session.execute(delete(SubscriptionRow).where(SubscriptionRow.id == subscription_id))

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

    async def add_deliveries(
        self, wanted: Sequence[tuple[int, date, int]], status: DeliveryStatus, now: datetime
    ) -> list[Delivery]:
        return await (await self._batch()).add_deliveries(wanted, status, now)

    async def advance(self, subs: Sequence[Subscription], now: datetime) -> None:
        await (await self._batch()).advance(subs, now)

    async def claim_due(self, now: datetime, limit: int) -> list[Subscription]:
        return await (await self._batch()).due(now, limit)

    async def _batch(self) -> DeliverySql:
        return for_connection(await self.session.connection())

    async def commit(self) -> None:
        await self.session.commit()
