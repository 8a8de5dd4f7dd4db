"""The SQL implementation of the core's UpdateLog port: which platform updates some process already handled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store import loop_sql
from bot.store.engine import without_begin
from bot.store.sqlite_driver import LoopTransactions, inline
from bot.store.tables import HandledUpdateRow

_RECORD = {
    # "Insert unless the key exists", returning only the rows this statement inserted.
    name: dialect.insert(HandledUpdateRow).on_conflict_do_nothing().returning(HandledUpdateRow.update_id)
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}


class SqlUpdateLog:
    """See `bot.core.ports.UpdateLog`; each call is one statement, committed on its own."""

    def __init__(self, engine: AsyncEngine, on_loop: LoopTransactions | None = None) -> None:
        # One statement needs no transaction of its own: on SQLite it then holds the write lock only while it runs.
        self.engine = without_begin(engine)
        self._on_loop = on_loop

    async def first(self, platform: str, update_ids: Sequence[int], now: datetime) -> set[int]:
        if not update_ids:
            return set()
        if self._on_loop is not None:
            new = loop_sql.first_updates(self._on_loop, platform, update_ids, now)
            if new is not None:
                return new
        rows = [{"platform": platform, "update_id": i, "handled_at": now} for i in dict.fromkeys(update_ids)]
        # Before every update is handled, so on the event loop's thread (on SQLite); pruning stays on the driver's.
        with inline():
            async with self.engine.begin() as connection:
                result = await connection.execute(_RECORD[connection.dialect.name], rows)
                return {row[0] for row in result}

    async def forget(self, before: datetime) -> int:
        async with self.engine.begin() as connection:
            result = await connection.execute(delete(HandledUpdateRow).where(HandledUpdateRow.handled_at < before))
            return result.rowcount or 0
