"""Keys shared by every process on one database, made once: the first process to need one inserts it, and every
process (racing or later) reads back the one that was kept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.engine import without_begin
from bot.store.tables import SharedSecretRow

_KEEP_FIRST = {
    name: dialect.insert(SharedSecretRow).on_conflict_do_nothing(index_elements=["name"])
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}


async def shared_secret(engine: AsyncEngine, name: str, make: Callable[[], str], now: datetime) -> str:
    """The secret kept under `name`, made with `make` if there is none yet."""
    loose = without_begin(engine)
    async with loose.connect() as connection:
        found = await connection.scalar(select(SharedSecretRow.value).where(SharedSecretRow.name == name))
    if found is not None:
        return str(found)
    async with loose.begin() as connection:
        await connection.execute(_KEEP_FIRST[connection.dialect.name], {"name": name, "value": make(),
                                                                         "created_at": now})  # fmt: skip
        kept = await connection.scalar(select(SharedSecretRow.value).where(SharedSecretRow.name == name))
    return str(kept)
