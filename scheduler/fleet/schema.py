"""procrastinate's own tables and functions, applied once and kept up to date: a fresh database gets its schema; an
existing one gets the migrations it ships that are newer than the last applied, recorded in one row of our own.
Idempotent, and safe when several workers start at once (they take turns on an advisory lock)."""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg
from procrastinate.schema import SchemaManager

log = logging.getLogger(__name__)

RECORD = "studybot_queue_schema"
# Any constant: the advisory lock that serialises schema changes between processes starting together.
LOCK_KEY = 0x5717DB07


def migrations() -> list[Path]:
    """procrastinate's migration files in the order they apply (their names start with the version)."""
    return sorted(Path(SchemaManager.get_migrations_path()).glob("*.sql"))


def ensure_queue_schema(conninfo: str) -> list[str]:
    """Bring procrastinate's schema up to date; returns what was applied ("schema", or migration file names)."""
    latest = migrations()[-1].name
    applied: list[str] = []
    with psycopg.connect(conninfo) as connection:
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        connection.execute(f"CREATE TABLE IF NOT EXISTS {RECORD} (migration text NOT NULL)")
        row = connection.execute(f"SELECT migration FROM {RECORD}").fetchone()
        exists = connection.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
        if not (exists and exists[0]):
            connection.execute(SchemaManager.get_schema())
            applied.append("schema")
        elif row is None:
            # Applied by other means (procrastinate's own `schema --apply`): taken to be its installed version's.
            log.warning("procrastinate's tables exist without a record of their version; taking them as current")
        else:
            for path in migrations():
                if path.name > row[0]:
                    connection.execute(path.read_text(encoding="utf-8"))
                    applied.append(path.name)
        connection.execute(f"DELETE FROM {RECORD}")
        connection.execute(f"INSERT INTO {RECORD} (migration) VALUES (%s)", (latest,))
    if applied:
        log.info("procrastinate's schema: applied %s", ", ".join(applied))
    return applied
