"""The Alembic migrations build exactly the schema the code expects, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

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


def test_a_migrated_sqlite_file_is_born_in_wal_mode(tmp_path: Path) -> None:
    # Processes that open a fresh file together (run, web, a command) must not race to switch it to WAL: SQLite
    # refuses one of two connections racing for that exclusive lock at once, busy timeout or not.
    path = tmp_path / "fresh.db"
    upgrade(f"sqlite:///{path}")
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
