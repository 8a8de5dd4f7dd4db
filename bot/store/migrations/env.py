"""Alembic environment: runs migrations over a blocking connection handed in by `bot.store.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from bot.store.engine import sync_url
from bot.store.tables import Base

config = context.config
connection = config.attributes.get("connection")


def _run(conn: object) -> None:
    context.configure(
        connection=conn,  # type: ignore[arg-type]
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite can only ALTER by copying the table; batch mode does that.
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    engine = create_engine(sync_url(config.get_main_option("sqlalchemy.url") or "sqlite:///studybot.db"))
    with engine.begin() as conn:
        _run(conn)
