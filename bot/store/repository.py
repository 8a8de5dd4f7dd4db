"""The SQLAlchemy implementation of the core's UnitOfWork port (rows become core dataclasses through
`bot.store.mapping`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.model import (
    Address,
    Announcement,
    Completion,
    Correction,
    DayDone,
    DeliveryKind,
    DeliveryStatus,
    Subscription,
)
from bot.store import loop_sql, mapping
from bot.store.mapping import COMPLETIONS as _DONE
from bot.store.mapping import SUBSCRIPTIONS as _SUBS
from bot.store.sqlite_driver import LoopTransactions
from bot.store.tables import AnnouncementRow, CompletionRow, CorrectionRow, DeliveryRow, SubscriptionRow

# The statements every command or /done runs, built once: a built statement keeps its cache key, so a call
# skips constructing and hashing it, and plain rows skip the ORM's identity map.
_SUBSCRIPTION_AT = select(_SUBS).where(_SUBS.c.platform == bindparam("platform"), _SUBS.c.chat_id == bindparam("chat"))
_SUBSCRIPTIONS_AT = select(_SUBS).where(
    _SUBS.c.platform == bindparam("platform"), _SUBS.c.chat_id.in_(bindparam("chats", expanding=True))
)
# EXISTS rather than a join: with a join SQLite's planner walks every subscription of the platform through
# the (platform, chat_id) index (3 ms at 10k subscribers, and growing) instead of the person's few
# completions through ix_completions_user_id (0.04 ms).
_DAYS_DONE = select(
    _DONE.c.user_id, _DONE.c.subscription_id, _DONE.c.plan_day, _DONE.c.local_date, _DONE.c.round
).where(
    _DONE.c.user_id.in_(bindparam("users", expanding=True)),
    select(_SUBS.c.id).where(_SUBS.c.id == _DONE.c.subscription_id, _SUBS.c.platform == bindparam("platform")).exists(),
)
_ADD_COMPLETION = {
    # Both dialects spell "insert unless the unique key exists" as ON CONFLICT DO NOTHING.
    name: dialect.insert(_DONE)
    .on_conflict_do_nothing(index_elements=["subscription_id", "user_id", "round", "plan_day"])
    .returning(_DONE.c.subscription_id, _DONE.c.user_id, _DONE.c.round, _DONE.c.plan_day)
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}


def newly_added(completions: Sequence[Completion], inserted: set[tuple[Any, ...]]) -> list[bool]:
    """For each completion, in order, whether its key is among those an INSERT ... RETURNING gave back."""
    recorded = []
    for c in completions:
        key = (c.subscription_id, c.user_id, c.round, c.plan_day)
        recorded.append(key in inserted)
        inserted.discard(key)  # the same completion twice in one batch is new once
    return recorded


class SqlUnitOfWork:
    """One session, one transaction at a time; see `bot.core.ports.UnitOfWork`."""

    def __init__(self, session: AsyncSession, dialect: str, on_loop: LoopTransactions | None = None) -> None:
        self.session = session
        self.dialect = dialect
        # A reading's (never a unit's: another connection would not see its uncommitted rows) plain lookups on a
        # SQLite file: bot.store.loop_sql.
        self._on_loop = on_loop

    def _insert(self, table: type[Any]) -> postgresql.Insert | sqlite.Insert:
        # Both dialects spell "insert unless the unique key exists" as ON CONFLICT DO NOTHING.
        return postgresql.insert(table) if self.dialect == "postgresql" else sqlite.insert(table)

    async def subscription(self, address: Address) -> Subscription | None:
        result = await self.session.execute(_SUBSCRIPTION_AT, {"platform": address.platform, "chat": address.chat_id})
        row = result.first()
        return mapping.subscription(row) if row else None

    async def subscription_by_id(self, subscription_id: int) -> Subscription | None:
        row = await self.session.get(SubscriptionRow, subscription_id)
        return mapping.subscription(row) if row else None

    async def save_subscription(self, sub: Subscription, now: datetime) -> Subscription:
        values = {**mapping.subscription_values(sub), "updated_at": now}
        if sub.id is None:
            row = SubscriptionRow(**values, created_at=now)
            self.session.add(row)
            await self.session.flush()
            return mapping.subscription(row)
        await self.session.execute(update(SubscriptionRow).where(SubscriptionRow.id == sub.id).values(**values))
        return sub

    async def subscriptions(self, addresses: Sequence[Address]) -> list[Subscription]:
        by_platform: dict[str, list[str]] = {}
        for address in addresses:
            by_platform.setdefault(address.platform, []).append(address.chat_id)
        found = []
        for platform, chats in by_platform.items():
            if (
                self._on_loop is not None
                and (plain := loop_sql.subscriptions(self._on_loop, platform, chats)) is not None
            ):
                found += plain
                continue
            result = await self.session.execute(_SUBSCRIPTIONS_AT, {"platform": platform, "chats": chats})
            found += [mapping.subscription(row) for row in result]
        return found

    async def add_completion(self, completion: Completion) -> bool:
        return (await self.add_completions([completion]))[0]

    async def add_completions(self, completions: Sequence[Completion]) -> list[bool]:
        rows = [mapping.completion_values(c) for c in completions]
        # A list of parameters makes SQLAlchemy send the rows as one multi-row INSERT ("insertmanyvalues"); the
        # key comes back for each row inserted, and none for a row the unique key already had.
        result = await self.session.execute(_ADD_COMPLETION[self.dialect], rows)
        return newly_added(completions, {tuple(row) for row in result})

    async def add_note(self, subscription_id: int, user_id: str, plan_day: int, note: str, round: int = 1) -> bool:
        # `+` on a string column is || on both dialects.
        joined = case((CompletionRow.note == "", note), else_=CompletionRow.note + "\n" + note)
        result = await self.session.execute(
            update(CompletionRow)
            .where(
                CompletionRow.subscription_id == subscription_id,
                CompletionRow.user_id == user_id,
                CompletionRow.round == round,
                CompletionRow.plan_day == plan_day,
            )
            .values(note=joined)
        )
        return bool(getattr(result, "rowcount", 0))

    async def chat_completions(self, subscription_id: int) -> list[Completion]:
        # Plain rows, not ORM objects: those hold reference cycles, so a big group's page left hundreds for the
        # garbage collector, whose full collections then paused the process for a tenth of a second and more.
        rows = await self.session.execute(
            select(_DONE)
            .where(_DONE.c.subscription_id == subscription_id)
            # Two members finishing in the same instant are listed in the order they were recorded.
            .order_by(_DONE.c.completed_at, _DONE.c.id)
        )
        return [mapping.completion(row) for row in rows]

    async def days_done(self, platform: str, user_ids: Collection[str]) -> list[DayDone]:
        if (
            self._on_loop is not None
            and (plain := loop_sql.days_done(self._on_loop, platform, list(user_ids))) is not None
        ):
            return plain
        result = await self.session.execute(_DAYS_DONE, {"users": list(user_ids), "platform": platform})
        return [DayDone(*row) for row in result]

    async def remove_completion(self, subscription_id: int, user_id: str, plan_day: int, round: int = 1) -> bool:
        result = await self.session.execute(
            delete(CompletionRow).where(
                CompletionRow.subscription_id == subscription_id,
                CompletionRow.user_id == user_id,
                CompletionRow.round == round,
                CompletionRow.plan_day == plan_day,
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def add_correction(self, correction: Correction) -> None:
        self.session.add(CorrectionRow(**mapping.correction_values(correction)))
        await self.session.flush()

    async def corrections(self, subscription_id: int, limit: int) -> list[Correction]:
        changes = mapping.CORRECTIONS
        rows = await self.session.execute(
            select(changes)
            .where(changes.c.subscription_id == subscription_id)
            .order_by(changes.c.at.desc(), changes.c.id.desc())
            .limit(limit)
        )
        return [mapping.correction(row) for row in rows]

    async def push_message(self, subscription_id: int, plan_day: int) -> str | None:
        """The platform's id of the message that pushed `plan_day` to the chat, if it went out."""
        return await self.session.scalar(
            select(DeliveryRow.message_id)
            .where(
                DeliveryRow.subscription_id == subscription_id,
                DeliveryRow.plan_day == plan_day,
                DeliveryRow.kind == DeliveryKind.PUSH.value,
                DeliveryRow.status == DeliveryStatus.SENT.value,
                DeliveryRow.message_id.is_not(None),
            )
            .order_by(DeliveryRow.id.desc())
            .limit(1)
        )

    async def announcement(self, announcement_id: int) -> Announcement | None:
        row = await self.session.get(AnnouncementRow, announcement_id)
        return mapping.announcement(row) if row is not None else None

    async def person_completions(self, platform: str, user_id: str) -> list[tuple[Subscription, Completion]]:
        rows = await self.session.execute(
            select(CompletionRow, SubscriptionRow)
            .join(SubscriptionRow, CompletionRow.subscription_id == SubscriptionRow.id)
            .where(CompletionRow.user_id == user_id, SubscriptionRow.platform == platform)
            .order_by(CompletionRow.completed_at, CompletionRow.id)
        )
        return [(mapping.subscription(sub), mapping.completion(done)) for done, sub in rows.all()]

    async def person_corrections(self, platform: str, user_id: str) -> list[tuple[Address, Correction]]:
        rows = await self.session.execute(
            select(CorrectionRow, SubscriptionRow.chat_id)
            .join(SubscriptionRow, CorrectionRow.subscription_id == SubscriptionRow.id)
            .where(
                SubscriptionRow.platform == platform,
                or_(CorrectionRow.member_id == user_id, CorrectionRow.admin_id == user_id),
            )
            .order_by(CorrectionRow.at, CorrectionRow.id)
        )
        return [(Address(platform, chat_id), mapping.correction(change)) for change, chat_id in rows.all()]

    async def forget_person(self, platform: str, user_id: str, dm: Address | None) -> list[tuple[Address, int]]:
        chats = select(SubscriptionRow.id).where(SubscriptionRow.platform == platform).scalar_subquery()
        removed = await self.session.execute(
            delete(CompletionRow)
            .where(CompletionRow.user_id == user_id, CompletionRow.subscription_id.in_(chats))
            .returning(CompletionRow.subscription_id, CompletionRow.plan_day)
        )
        days = [(sub_id, day) for sub_id, day in removed.all()]
        await self.session.execute(
            delete(CorrectionRow).where(
                CorrectionRow.subscription_id.in_(chats),
                or_(CorrectionRow.member_id == user_id, CorrectionRow.admin_id == user_id),
            )
        )
        own = await self.subscription(dm) if dm is not None else None
        if own is not None and own.id is not None:
            await self.forget(own.id)
        addresses = {
            row.id: Address(platform, row.chat_id)
            for row in await self.session.execute(
                select(SubscriptionRow.id, SubscriptionRow.chat_id).where(
                    SubscriptionRow.id.in_({sub_id for sub_id, _ in days})
                )
            )
        }
        return [(addresses[sub_id], day) for sub_id, day in days if sub_id in addresses]

    async def forget(self, subscription_id: int) -> None:
        for table in (CompletionRow, DeliveryRow, CorrectionRow):
            await self.session.execute(delete(table).where(table.subscription_id == subscription_id))
        await self.session.execute(delete(SubscriptionRow).where(SubscriptionRow.id == subscription_id))

    async def forget_member(self, subscription_id: int, user_id: str) -> list[int]:
        result = await self.session.execute(
            delete(CompletionRow)
            .where(CompletionRow.subscription_id == subscription_id, CompletionRow.user_id == user_id)
            .returning(CompletionRow.plan_day)
        )
        days = sorted(result.scalars())
        await self.session.execute(
            delete(CorrectionRow).where(
                CorrectionRow.subscription_id == subscription_id, CorrectionRow.member_id == user_id
            )
        )
        return days

    async def commit(self) -> None:
        await self.session.commit()
