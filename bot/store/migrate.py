"""Brings a database's schema up to date with Alembic; `studybot migrate` and `studybot run` call it."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import URL

from bot.store.engine import sync_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str | URL) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Passed as an attribute, not an ini option: ConfigParser would choke on a '%' in a password.
    config.attributes["url"] = url
    return config


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Apply every migration up to `revision` (blocking; run it before the event loop's work starts)."""
    engine = create_engine(sync_url(url))
    try:
        if engine.dialect.name == "sqlite":
            # WAL is kept in the file: set here once, so that processes opening it together (run, web, a command) find
            # it set. Switching it takes an exclusive lock, and of two connections racing for that SQLite fails one
            # at once ("database is locked", its busy timeout not consulted).
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def at_head(url: str | URL) -> bool:
    """Whether the database's schema is the code's (every migration applied); for commands that only read, so a
    SQLite file that is not there is not created."""
    target = sync_url(url)
    if target.get_backend_name() == "sqlite" and target.database and not Path(target.database).exists():
        return False
    engine = create_engine(target)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
    finally:
        engine.dispose()
    return set(current) == set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
