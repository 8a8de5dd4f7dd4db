"""A /done's hottest statements on SQLite as plain SQL, on the event loop's thread (`LoopTransactions`).

Every /done looks up its chat, records its update id and its completion, and reads the person's days. Through
SQLAlchemy's session, connection and compiled-statement cache, a lookup or a record took 0.23-0.29 ms of the event
loop's CPU here (the completion's unit of work, with its commit, more), where SQLite itself takes ~0.02 ms; at 300
updates a second, when updates come one at a time and batch nothing, they were nearly half of the bot's busy core
(benchmarks/README.md, benchmark 6). Each function returns None where the statement would have waited for SQLite's
write lock, and the caller then takes SQLAlchemy's path, which waits for it. The rows are converted by the column
types' own readers and writers (`bot.store.mapping.PlainRows`, `bot.store.types`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.model import Completion, DayDone, Subscription
from bot.store.mapping import COMPLETIONS, SUBSCRIPTION_COLUMNS, PlainRows, completion_values
from bot.store.sqlite_driver import LoopTransactions, placeholders
from bot.store.tables import HandledUpdateRow
from bot.store.types import reader, writer

_ROWS = PlainRows("sqlite")
_LOCAL_DATE = reader(COMPLETIONS.c.local_date.type, "sqlite")
_HANDLED_AT = writer(HandledUpdateRow.__table__.c.handled_at.type, "sqlite")
_SUBSCRIPTION_COLUMNS = ", ".join(SUBSCRIPTION_COLUMNS)
_COMPLETION_WRITERS = {column.name: writer(column.type, "sqlite") for column in COMPLETIONS.c if column.name != "id"}


def subscriptions(lane: LoopTransactions, platform: str, chats: Sequence[str]) -> list[Subscription] | None:
    """The subscriptions of these chats on `platform` (as `SqlUnitOfWork.subscriptions`)."""
    if not chats:
        return []
    sql = (
        f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions"
        f" WHERE platform = ? AND chat_id IN ({placeholders(len(chats))})"
    )
    rows = lane.statement(sql, (platform, *chats))
    return None if rows is None else [_ROWS.subscription(row) for row in rows]


def days_done(lane: LoopTransactions, platform: str, users: Sequence[str]) -> list[DayDone] | None:
    """These people's completions in any chat on `platform` (as `SqlUnitOfWork.days_done`: EXISTS, not a join, so
    that SQLite walks each person's few completions by ix_completions_user_id)."""
    if not users:
        return []
    sql = (
        "SELECT d.user_id, d.subscription_id, d.plan_day, d.local_date, d.round FROM completions AS d "
        f"WHERE d.user_id IN ({placeholders(len(users))}) "
        "AND EXISTS (SELECT s.id FROM subscriptions AS s WHERE s.id = d.subscription_id AND s.platform = ?)"
    )
    rows = lane.statement(sql, (*users, platform))
    if rows is None:
        return None
    return [DayDone(user, sub_id, day, _LOCAL_DATE(local), round) for user, sub_id, day, local, round in rows]


def first_updates(lane: LoopTransactions, platform: str, update_ids: Sequence[int], now: datetime) -> set[int] | None:
    """Record these update ids as handled; the ones no process had recorded before (as `SqlUpdateLog.first`)."""
    unique = list(dict.fromkeys(update_ids))
    if not unique:
        return set()
    handled_at = _HANDLED_AT(now)
    sql = (
        "INSERT INTO handled_updates (platform, update_id, handled_at) "
        f"VALUES {', '.join(['(?, ?, ?)'] * len(unique))} ON CONFLICT DO NOTHING RETURNING update_id"
    )
    rows = lane.statement(sql, [value for update_id in unique for value in (platform, update_id, handled_at)])
    return None if rows is None else {row[0] for row in rows}


def add_completions(lane: LoopTransactions, completions: Sequence[Completion]) -> set[tuple[int, str, int, int]] | None:
    """Insert these completions unless their key is stored; the keys inserted (as `SqlUnitOfWork.add_completions`,
    committed at once)."""
    if not completions:
        return set()
    rows = [completion_values(c) for c in completions]
    columns = list(rows[0])
    writers = [_COMPLETION_WRITERS[name] for name in columns]
    sql = (
        f"INSERT INTO completions ({', '.join(columns)}) VALUES "
        + ", ".join([f"({placeholders(len(columns))})"] * len(rows))
        + " ON CONFLICT (subscription_id, user_id, round, plan_day) DO NOTHING"
        " RETURNING subscription_id, user_id, round, plan_day"
    )
    values = [write(row[name]) for row in rows for name, write in zip(columns, writers, strict=True)]
    inserted = lane.statement(sql, values)
    return None if inserted is None else {tuple(row) for row in inserted}
