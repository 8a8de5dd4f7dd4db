"""Announcements (`studybot broadcast`): an operator's text stored once, and one delivery-ledger row per recipient.

Each recipient's row has kind BROADCAST and the announcement's id as its `ref`, so the ledger's unique key
(subscription, local date, kind, ref) holds one row per recipient per announcement, however many are made in a day.
The rows start CLAIMED under a lease that has already run out: exactly what a pass hands back unsent, so any pass of
any process (`run`, `deliver`, `broadcast`, a worker) claims them as owed, sends each once, and records how it went.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.core.model import Announcement, ChatKind, DeliveryKind, DeliveryStatus
from bot.store import mapping
from bot.store.engine import without_begin
from bot.store.local_days import LocalDays
from bot.store.mapping import DELIVERIES
from bot.store.tables import AnnouncementRow, DeliveryRow, SubscriptionRow
from bot.store.types import UTCDateTime

_BROADCAST = DeliveryKind.BROADCAST.value
_CLAIMED, _SENDING = DeliveryStatus.CLAIMED.value, DeliveryStatus.SENDING.value
_FAILED, _SENT = DeliveryStatus.FAILED.value, DeliveryStatus.SENT.value
DROPPED = "unsubscribed before the announcement reached the chat"


@dataclass(frozen=True)
class Audience:
    """Who an announcement goes to: every active subscription, or those of one platform and/or chat kind."""

    platform: str | None = None
    kind: ChatKind | None = None

    def where(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [SubscriptionRow.active.is_(True)]
        if self.platform is not None:
            conditions.append(SubscriptionRow.platform == self.platform)
        if self.kind is not None:
            conditions.append(SubscriptionRow.kind == self.kind.value)
        return conditions


@dataclass
class Progress:
    """Where an announcement's rows stand. `to_send` are not sent yet and will be (claimed, maybe by a pass that
    is sending them now, or failed and to be retried); the rest are settled."""

    recipients: int = 0
    sent: int = 0
    failed: int = 0  # for good: the chat is gone, or no attempt is left
    skipped: int = 0  # the bot may not post there now, or the chat unsubscribed before its turn
    unknown: int = 0  # on the wire when its process stopped: never resent
    retrying: int = 0  # failed for now, retried after its delay
    claimed: dict[str, int] = field(default_factory=dict)  # by platform: waiting for a pass, or being sent

    @property
    def to_send(self) -> int:
        return sum(self.claimed.values()) + self.retrying

    def line(self, announcement_id: int) -> str:
        return (
            f"announcement #{announcement_id}: {self.sent:,} of {self.recipients:,} sent, {self.to_send:,} to go, "
            f"{self.failed:,} failed, {self.skipped:,} skipped, {self.unknown:,} unknown"
        )


class SqlAnnouncements:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._reader = without_begin(engine)

    async def audience(self, audience: Audience) -> dict[tuple[str, str], int]:
        """How many chats of each (platform, kind) the audience holds now."""
        query = (
            select(SubscriptionRow.platform, SubscriptionRow.kind, func.count())
            .where(*audience.where())
            .group_by(SubscriptionRow.platform, SubscriptionRow.kind)
            .order_by(SubscriptionRow.platform, SubscriptionRow.kind)
        )
        async with self._reader.connect() as connection:
            return {(p, k): int(n) for p, k, n in await connection.execute(query)}

    async def create(self, text: str, audience: Audience, now: datetime) -> Announcement:
        """Store the announcement and, in the same transaction, one claimable ledger row per recipient."""
        async with self._sessions() as session:
            row = AnnouncementRow(
                text=text,
                platform=audience.platform,
                kind=audience.kind.value if audience.kind is not None else None,
                created_at=now,
                recipients=0,
            )
            session.add(row)
            await session.flush()
            zones = await session.scalars(select(SubscriptionRow.timezone).where(*audience.where()).distinct())
            instant = literal(now, UTCDateTime())
            targets = select(
                SubscriptionRow.id,
                LocalDays(now, zones).today(),  # the date in each chat's zone when it was announced
                literal(_BROADCAST),
                literal(row.id),
                literal(0),
                literal(_CLAIMED),
                literal(0),
                instant,
                instant,  # a lease already run out: any pass may claim it
            ).where(*audience.where())
            columns = ["subscription_id", "local_date", "kind", "ref", "plan_day", "status", "attempts", "claimed_at",
                       "lease_until"]  # fmt: skip
            await session.execute(DELIVERIES.insert().from_select(columns, targets))
            rows = select(func.count()).where(DeliveryRow.ref == row.id, DeliveryRow.kind == _BROADCAST)
            row.recipients = await session.scalar(rows) or 0
            await session.commit()
            return mapping.announcement(row)

    async def get(self, announcement_id: int) -> Announcement | None:
        async with self._sessions() as session:
            row = await session.get(AnnouncementRow, announcement_id)
            return mapping.announcement(row) if row is not None else None

    async def same(self, text: str, audience: Audience) -> Announcement | None:
        """The latest announcement of exactly this text to exactly this audience, if any."""
        platform, kind = audience.platform, audience.kind.value if audience.kind is not None else None
        query = (
            select(AnnouncementRow)
            .where(
                AnnouncementRow.text == text,
                AnnouncementRow.platform.is_(None) if platform is None else AnnouncementRow.platform == platform,
                AnnouncementRow.kind.is_(None) if kind is None else AnnouncementRow.kind == kind,
            )
            .order_by(AnnouncementRow.id.desc())
            .limit(1)
        )
        async with self._sessions() as session:
            row = await session.scalar(query)
            return mapping.announcement(row) if row is not None else None

    async def progress(self, announcement_id: int) -> Progress:
        row = DeliveryRow
        retrying = func.coalesce(func.sum(case((row.retry_at.is_not(None), 1), else_=0)), 0)
        query = (
            select(row.status, SubscriptionRow.platform, func.count(), retrying)
            .join(SubscriptionRow, SubscriptionRow.id == row.subscription_id)
            .where(row.kind == _BROADCAST, row.ref == announcement_id)
            .group_by(row.status, SubscriptionRow.platform)
        )
        progress = Progress()
        async with self._reader.connect() as connection:
            for status, platform, count, later in await connection.execute(query):
                progress.recipients += count
                if status in (_CLAIMED, _SENDING):
                    progress.claimed[platform] = progress.claimed.get(platform, 0) + count
                elif status == _FAILED:
                    progress.retrying += int(later)
                    progress.failed += count - int(later)
                elif status == _SENT:
                    progress.sent += count
                elif status == DeliveryStatus.SKIPPED.value:
                    progress.skipped += count
                else:
                    progress.unknown += count
        return progress

    async def drop_unsubscribed(self, announcement_id: int, now: datetime) -> None:
        """Settle, as skipped, the rows no pass will send: their chat unsubscribed (or was found gone) before its
        turn, and a pass claims only active chats' rows. A row a live pass holds is left to it."""
        row = DeliveryRow
        inactive = select(SubscriptionRow.id).where(SubscriptionRow.active.is_(False))
        owed = or_(row.status == _CLAIMED, and_(row.status == _FAILED, row.retry_at.is_not(None)))
        statement = (
            update(DeliveryRow)
            .where(
                DeliveryRow.kind == _BROADCAST,
                DeliveryRow.ref == announcement_id,
                owed,
                DeliveryRow.subscription_id.in_(inactive),
                (DeliveryRow.lease_until <= now) | DeliveryRow.lease_until.is_(None),
            )
            .values(status=DeliveryStatus.SKIPPED.value, retry_at=None, claimed_by=None, error=DROPPED)
        )
        async with self._sessions() as session:
            await session.execute(statement)
            await session.commit()
