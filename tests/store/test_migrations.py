"""The Alembic migrations build exactly the schema the code expects, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from bot.store.engine import sync_url
from bot.store.migrate import upgrade
from bot.store.tables import Base


def test_migrated_schema_matches_the_tables(database_url: str) -> None:
    upgrade(database_url)  # idempotent: already at head
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
