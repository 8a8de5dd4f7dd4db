"""Builds the async engine from a database URL, with the SQLite settings that make it safe and fast."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.store.checkpoints import BACKSTOP_PAGES
from bot.store.sqlite_driver import connector

ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}
SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}
# Our execution option: False skips SQLite's BEGIN IMMEDIATE (see `without_begin`).
_BEGIN = "studybot_sqlite_begin"
CACHE_KIB = 8192  # each SQLite connection's page cache, at most


def async_url(url: str | URL) -> URL:
    """Accept 'sqlite:///x.db' or 'postgresql://...' as well as the async spellings."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in ASYNC_DRIVERS:
        raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")
    return parsed.set(drivername=ASYNC_DRIVERS[backend])


def sync_url(url: str | URL) -> URL:
    """The same database through a blocking driver, for Alembic."""
    parsed = make_url(url)
    return parsed.set(drivername=SYNC_DRIVERS[parsed.get_backend_name()])


def url_secrets(url: str) -> list[str]:
    """What of a database URL must never be printed: its password, also when a raw '@' or ':' in it makes the URL
    parse wrongly (then the part taken for the host holds the password's tail)."""
    _, scheme, rest = url.partition("://")
    credentials = rest.rpartition("@")[0] if scheme else ""
    if ":" not in credentials:
        return []
    password = credentials.split(":", 1)[1]
    secrets = [password, *(piece for piece in password.split("@") if len(piece) >= 3)]
    try:
        parsed = make_url(url)
    except Exception:  # unparseable: whatever the error quotes, the password is masked above
        return secrets
    if parsed.password is not None and str(parsed.password) != password:
        secrets += [str(parsed.password), str(parsed.host or "")]
    return [secret for secret in secrets if secret]


def safe_url(url: str | URL) -> str:
    """The URL for logs and messages: never with its password."""
    shown = make_url(url).render_as_string(hide_password=True)
    for secret in sorted(url_secrets(str(url)) if isinstance(url, str) else [], key=len, reverse=True):
        shown = shown.replace(secret, "***")
    return shown


def make_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    target = async_url(url)
    if target.get_backend_name() == "sqlite":
        # Every session ends in its own COMMIT or ROLLBACK, so the pool's extra rollback on check-in is a
        # wasted round trip to aiosqlite's thread.
        kwargs.setdefault("pool_reset_on_return", None)
    engine = create_async_engine(target, **kwargs)
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Any, _record: Any, arguments: list[Any], options: dict[str, Any]) -> Any:
        # The dialect's own connect, over aiosqlite with one trip to its thread per statement (see sqlite_driver).
        return dialect.dbapi.connect(async_creator_fn=connector(arguments, options))

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (below); WAL + NORMAL measured ~5x faster here and stays crash-safe. WAL
        # checkpoints run on a thread of their own (bot.store.checkpoints); a commit makes one only as a backstop.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # An 8 MiB page cache (SQLite's default is 2 MiB) holds what a claim of 1,000 reads, so that its update
        # finds the same ~1,000 scattered pages still there: the update 13.7 -> 3.7 ms, the insert 5.3 -> 2.5 ms at
        # 1M subscriptions (benchmarks/README.md, benchmark 3). It fills only as pages are read.
        pragmas = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=10000",
                   f"wal_autocheckpoint={BACKSTOP_PAGES}", f"cache_size=-{CACHE_KIB}")  # fmt: skip
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: two processes claiming deliveries queue up on it
        # instead of both reading the same due rows (and SQLite never has to fail a lock upgrade).
        if connection.get_execution_options().get(_BEGIN, True):
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def without_begin(engine: AsyncEngine) -> AsyncEngine:
    """The same engine and pool, whose SQLite statements each run as their own transaction (no BEGIN).

    For units that only read, and for writes of one statement: they then hold SQLite's write lock only while
    that statement runs, not across the event loop's turns between statements, where other writers would wait
    on it, and they save BEGIN's trip to the driver's thread. Each read sees what was committed when it ran,
    as under PostgreSQL's READ COMMITTED. PostgreSQL's transactions are unchanged.
    """
    return engine.execution_options(**{_BEGIN: False})
