"""The SQL implementation of the core's DeliveryLedger port: claims under leases, and what became of each send."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.core.model import Claim, Delivery, DeliveryKind, DeliveryStatus, SendOutcome, Subscription
from bot.core.ports import Lease, Planner
from bot.store import mapping
from bot.store.delivery_sql import for_connection, marked, postgres_record_statement, sqlite_record_steps
from bot.store.pg_journal import PgJournalConnection
from bot.store.sqlite_driver import LoopTransactions
from bot.store.tables import DeliveryRow, SubscriptionRow

_CLAIMED, _SENDING, _FAILED = DeliveryStatus.CLAIMED.value, DeliveryStatus.SENDING.value, DeliveryStatus.FAILED.value


class SqlLedger:
    """See `bot.core.ports.DeliveryLedger`; every method is one transaction of its own."""

    def __init__(self, engine: AsyncEngine, on_loop: LoopTransactions | None = None) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        # A SQLite file's journal commits on the event loop's thread when they can (see LoopTransactions); the
        # store's, which it closes.
        self._on_loop = on_loop
        # PostgreSQL's journal commits over a connection of their own (see PgJournalConnection).
        self._journal = PgJournalConnection(engine.url) if engine.dialect.name == "postgresql" else None

    async def claim_due(
        self, now: datetime, limit: int, platforms: Collection[str], plan: Planner, lease: Lease
    ) -> tuple[list[Subscription], list[Delivery]]:
        async with self.engine.begin() as connection:
            statements = for_connection(connection)
            due = await statements.due(now, limit, platforms)
            if not due:
                return [], []
            created = await statements.add_deliveries(plan(due), now, lease)
            await statements.advance(due, now)
        return due, created

    async def claim_owed(
        self, now: datetime, limit: int, platforms: Collection[str], lease: Lease
    ) -> list[Claim]:
        if not platforms:
            return []
        async with self._sessions() as session:
            # A pass that stopped mid-send may have delivered: never resend those.
            await session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.status == _SENDING, DeliveryRow.lease_until <= now)
                .values(status=DeliveryStatus.UNKNOWN.value, error="the sending process stopped mid-send")
            )
            owed = (
                select(DeliveryRow, SubscriptionRow)
                .join(SubscriptionRow, DeliveryRow.subscription_id == SubscriptionRow.id)
                .where(
                    or_(
                        and_(DeliveryRow.status == _FAILED, DeliveryRow.retry_at <= now),
                        # Claimed by a pass that stopped before trying it, or handed back: nothing went out.
                        and_(DeliveryRow.status == _CLAIMED, DeliveryRow.lease_until <= now),
                    ),
                    SubscriptionRow.active.is_(True),
                    SubscriptionRow.platform.in_(sorted(platforms)),
                )
                .order_by(DeliveryRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=DeliveryRow)
            )
            claims = []
            for delivery, sub in (await session.execute(owed)).all():
                if delivery.status == _FAILED:  # a claim handed back was never tried: no attempt to count
                    delivery.attempts += 1
                delivery.status = _CLAIMED
                delivery.retry_at = None
                delivery.claimed_at = now
                delivery.claimed_by = lease.token
                delivery.lease_until = lease.until
                claims.append(Claim(mapping.delivery(delivery), mapping.subscription(sub)))
            await session.commit()
        return claims

    async def take_over(self, ids: Sequence[int], handed_to: str, lease: Lease, now: datetime) -> list[Claim]:
        if not ids:
            return []
        deliveries = mapping.DELIVERIES
        async with self.engine.begin() as connection:
            await connection.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(ids), DeliveryRow.status == _SENDING, DeliveryRow.lease_until <= now)
                .values(status=DeliveryStatus.UNKNOWN.value, error="the sending process stopped mid-send")
            )
            # One UPDATE, plain rows: the ORM's objects and per-row flush took a 5,000-claim job 0.4-0.6 s here, all
            # of it on the event loop while the previous part's pushes were due on the wire. An UPDATE waits for a
            # row another transaction holds (the planner may still be extending these claims' lease for the job:
            # a skipped row would stay held for a job that has already ended) and checks it again once the lock is
            # ours, so a run that took it over meanwhile keeps it.
            taken = (
                await connection.execute(
                    update(deliveries)
                    .where(
                        deliveries.c.id.in_(ids),
                        deliveries.c.status == _CLAIMED,
                        or_(deliveries.c.claimed_by == handed_to, deliveries.c.lease_until <= now),
                        deliveries.c.subscription_id.in_(
                            select(SubscriptionRow.id).where(SubscriptionRow.active.is_(True))
                        ),
                    )
                    .values(claimed_by=lease.token, lease_until=lease.until)
                    .returning(*deliveries.c)
                )
            ).all()
            subscriptions = mapping.SUBSCRIPTIONS
            wanted = sorted({row.subscription_id for row in taken})
            rows = (await connection.execute(select(subscriptions).where(subscriptions.c.id.in_(wanted)))).all()
            subs = {row.id: mapping.subscription(row) for row in rows}
        return _paired(
            [(mapping.delivery(row), subs[row.subscription_id]) for row in sorted(taken, key=lambda row: row.id)]
        )

    async def record(
        self,
        token: str,
        sending: Sequence[int],
        outcomes: Sequence[SendOutcome],
        give_back: Sequence[int],
        now: datetime,
    ) -> set[int]:
        if self._on_loop is not None:
            steps, marks = sqlite_record_steps(token, sending, outcomes, give_back, now)
            if not steps:
                return set()
            if (results := self._on_loop.run(steps)) is not None:
                return marked(results, marks)
        if self._journal is not None and (one := postgres_record_statement(token, sending, outcomes, give_back, now)):
            return {row[0] for row in await self._journal.rows(*one)}
        async with self.engine.connect() as connection:
            if connection.dialect.name != "sqlite":  # SQLite's own trip makes its transaction
                connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            return await for_connection(connection).record(token, sending, outcomes, give_back, now)

    async def record_reply(self, subscription_id: int, local_date: date, plan_day: int, now: datetime) -> None:
        insert = sqlite_insert if self.engine.dialect.name == "sqlite" else postgresql_insert
        values = {
            "subscription_id": subscription_id, "local_date": local_date, "kind": DeliveryKind.PUSH.value,
            "plan_day": plan_day, "status": DeliveryStatus.SENT.value, "attempts": 0, "claimed_at": now, "sent_at": now,
        }  # fmt: skip
        reply = (
            insert(DeliveryRow)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["subscription_id", "local_date", "kind", "ref"])
        )
        async with self.engine.begin() as connection:
            await connection.execute(reply)

    async def close(self) -> None:
        if self._journal is not None:
            await self._journal.close()

    async def extend(self, lease: Lease) -> None:
        async with self.engine.begin() as connection:
            await for_connection(connection).extend(lease)

    async def next_wakeup(self, now: datetime) -> datetime | None:
        async with self.engine.connect() as connection:
            retry = select(func.min(DeliveryRow.retry_at)).where(
                DeliveryRow.status == _FAILED, DeliveryRow.retry_at > now
            )
            lease = select(func.min(DeliveryRow.lease_until)).where(
                DeliveryRow.status.in_((_CLAIMED, _SENDING)), DeliveryRow.lease_until > now
            )
            found = [await connection.scalar(query) for query in (retry, lease)]
        later = [instant for instant in found if instant is not None]
        return min(later) if later else None

    async def next_due(self, now: datetime) -> datetime | None:
        query = select(func.min(SubscriptionRow.next_due_at)).where(
            SubscriptionRow.next_due_at > now, SubscriptionRow.active.is_(True)
        )
        async with self.engine.connect() as connection:
            return await connection.scalar(query)


def _paired(taken: list[tuple[Delivery, Subscription]]) -> list[Claim]:
    """One claim per subscription, in id order: its wrap-up rides with its push, as when the rows were claimed. An
    announcement is a claim of its own (a chat may have several in one job), as claim_owed made it."""
    pushes: dict[int, Claim] = {}
    wrap_ups: dict[int, tuple[Delivery, Subscription]] = {}
    order: list[int] = []
    announcements = [Claim(delivery, sub) for delivery, sub in taken if delivery.kind is DeliveryKind.BROADCAST]
    taken = [(delivery, sub) for delivery, sub in taken if delivery.kind is not DeliveryKind.BROADCAST]
    for delivery, sub in taken:
        if delivery.subscription_id not in pushes and delivery.subscription_id not in wrap_ups:
            order.append(delivery.subscription_id)
        if delivery.kind is DeliveryKind.PUSH:
            pushes[delivery.subscription_id] = Claim(delivery, sub)
        else:
            wrap_ups[delivery.subscription_id] = (delivery, sub)
    claims = []
    for sub_id in order:
        push, wrap_up = pushes.get(sub_id), wrap_ups.get(sub_id)
        if push is not None:
            claims.append(Claim(push.delivery, push.subscription, wrap_up[0] if wrap_up else None))
        elif wrap_up is not None:
            claims.append(Claim(*wrap_up))
    return claims + announcements
