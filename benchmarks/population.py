"""Subscribers for the benchmarks: temporary SQLite and PostgreSQL databases, filled fast by bulk inserts.

Rows go straight into the subscriptions table (SQLAlchemy core executemany on SQLite, COPY on PostgreSQL):
creating a million through /subscribe would take longer than every benchmark together.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import create_engine, delete, text, update

from bot.core.due import local_date, local_instant, next_due
from bot.store.migrate import upgrade
from bot.store.tables import Base, SubscriptionRow

SUBSCRIPTIONS: Any = SubscriptionRow.__table__
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PLAN_DAYS = 140
CHUNK = 20_000
Row = dict[str, Any]


@cache
def zones() -> tuple[str, ...]:
    """Every IANA zone a person could pick (the Etc/ offsets and the legacy aliases left out)."""
    skip = ("Etc/", "SystemV/", "posix/", "right/", "US/", "Canada/", "Mexico/", "Brazil/", "Chile/")
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(skip)))


@cache
def zone_info(name: str) -> ZoneInfo:
    # ZoneInfo keeps only 8 zones strongly cached: hold every one, or each row re-reads its tz file.
    return ZoneInfo(name)


def chat_id(sub_id: int, *, group: bool = False) -> int:
    """Telegram-shaped ids: people positive, groups negative."""
    return -(10_000_000 + sub_id) if group else 10_000_000 + sub_id


def _row(sub_id: int, zone: str, at: time, due: datetime, now: datetime, *, group: bool = False) -> Row:
    tz = zone_info(zone)
    # Start dates spread over the whole plan, so pushes render all 140 topics in both languages.
    start = local_date(due, tz) - timedelta(days=sub_id % PLAN_DAYS)
    return {
        "platform": "telegram",
        "chat_id": str(chat_id(sub_id, group=group)),
        "kind": "group" if group else "private",
        "language": "zh" if sub_id % 2 else "en",
        "timezone": zone,
        "local_time": at,
        "active": True,
        "unreachable": False,
        "start_date": start,
        "next_due_at": due,
        "last_pushed_date": None,
        "last_pushed_day": 0,
        "created_at": now,
        "updated_at": now,
    }


def due_now_rows(first: int, count: int, now: datetime, *, group_every: int = 0) -> Iterator[Row]:
    """Subscribers whose local time is this minute, in zones all over the world: all due at `now`."""
    names = zones()
    for sub_id in range(first, first + count):
        zone = names[sub_id % len(names)]
        tz = zone_info(zone)
        at = now.astimezone(tz).time().replace(second=0, microsecond=0, tzinfo=None)
        due = local_instant(local_date(now, tz), at, tz)
        if due > now:  # a DST gap moved the minute forward: take it a day earlier
            due = local_instant(local_date(now, tz) - timedelta(days=1), at, tz)
        group = bool(group_every) and sub_id % group_every == 0
        yield _row(sub_id, zone, at, due, now, group=group)


def same_minute_rows(first: int, count: int, zone: str, at: time, due: datetime, now: datetime) -> Iterator[Row]:
    """Subscribers of one zone at one local time, all next due at `due` (that local time's instant)."""
    for sub_id in range(first, first + count):
        yield _row(sub_id, zone, at, due, now)


def spread_rows(first: int, count: int, t0: datetime) -> Iterator[Row]:
    """Subscribers at scattered minutes of the day in scattered zones; next due within 24 h after `t0`."""
    names = zones()
    for sub_id in range(first, first + count):
        # A multiplicative hash, not random(): the same row whatever the chunking, and 10x cheaper to pick.
        pick = (sub_id * 2_654_435_761) % 2**32
        zone = names[pick % len(names)]
        minute = (pick >> 12) % (24 * 60)
        at = time(minute // 60, minute % 60)
        yield _row(sub_id, zone, at, next_due(at, zone_info(zone), not_before=t0), t0)


def future_midnight(days: int = 3) -> datetime:
    """A UTC midnight far enough ahead that a real process started now finds nothing due."""
    today = datetime.now(UTC).date()
    return datetime.combine(today + timedelta(days=days), time(0), tzinfo=UTC)


@dataclass
class Database:
    """A temporary database (SQLite file or PostgreSQL database) with the schema applied."""

    kind: str
    url: str
    _drop: str | None = None
    _folder: Path | None = None
    count: int = field(default=0)

    @classmethod
    def sqlite(cls) -> Database:
        folder = Path(tempfile.mkdtemp(prefix="studybot-bench-"))
        db = cls("sqlite", f"sqlite+aiosqlite:///{folder / 'bench.db'}", _folder=folder)
        upgrade(db.url)
        return db

    @classmethod
    def postgres(cls) -> Database | None:
        """A fresh database on 127.0.0.1:5432, or None when the server is not reachable."""
        try:
            with psycopg.connect(PG_ADMIN, connect_timeout=3, autocommit=True) as conn:
                name = f"studybot_bench_{uuid.uuid4().hex[:10]}"
                conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.Error:
            return None
        db = cls("postgresql", PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", _drop=name)
        upgrade(db.url)
        return db

    @classmethod
    def create(cls, kind: str) -> Database:
        db = cls.sqlite() if kind == "sqlite" else cls.postgres()
        if db is None:
            raise RuntimeError("PostgreSQL at 127.0.0.1:5432 is not reachable")
        return db

    @property
    def sync_url(self) -> str:
        return self.url.replace("sqlite+aiosqlite", "sqlite").replace("postgresql://", "postgresql+psycopg://")

    @property
    def path(self) -> Path:
        assert self._folder is not None
        return self._folder / "bench.db"

    def insert(self, rows: Iterable[Row]) -> None:
        """Bulk-insert subscription rows, in chunks so a million never sit in memory at once."""
        chunk: list[Row] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == CHUNK:
                self._insert(chunk)
                chunk = []
        if chunk:
            self._insert(chunk)

    def _insert(self, rows: list[Row]) -> None:
        self.count += len(rows)
        if self.kind == "postgresql":
            columns = list(rows[0])
            statement = f"COPY subscriptions ({', '.join(columns)}) FROM STDIN"
            with psycopg.connect(self.url) as conn, conn.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
            return
        engine = create_engine(self.sync_url)
        try:
            # sqlite3's executemany with SQLAlchemy's own bind processors: the stored text is exactly what the
            # app writes and compares (naive UTC datetimes), at a third of the cost of a core insert.
            columns = list(rows[0])
            processors = [SUBSCRIPTIONS.c[c].type._cached_bind_processor(engine.dialect) for c in columns]
            values = [[p(row[c]) if p else row[c] for c, p in zip(columns, processors, strict=True)] for row in rows]
            connection = engine.raw_connection()
            try:
                connection.execute("PRAGMA synchronous=OFF")
                marks = ", ".join("?" * len(columns))
                connection.executemany(f"INSERT INTO subscriptions ({', '.join(columns)}) VALUES ({marks})", values)
                connection.commit()
            finally:
                connection.close()
        finally:
            engine.dispose()

    def reset(self, due: datetime | None = None, *, due_first: int | None = None) -> None:
        """Forget every push, completion and summary; with `due`, make the subscriptions due again at that
        instant (only the first `due_first` of them, if given)."""
        engine = create_engine(self.sync_url)
        try:
            with engine.begin() as conn:
                for table in reversed(Base.metadata.sorted_tables):
                    if table.name != SUBSCRIPTIONS.name:
                        conn.execute(delete(table))
                if due is not None:
                    values = {"next_due_at": due, "last_pushed_date": None, "last_pushed_day": 0, "active": True}
                    conn.execute(update(SUBSCRIPTIONS).values(**values))
                if due_first is not None:
                    conn.execute(update(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id > due_first).values(next_due_at=None))
            if self.kind == "postgresql":
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text("VACUUM ANALYZE"))
        finally:
            engine.dispose()

    def analyze(self) -> None:
        """Fresh planner statistics after a bulk load, as autovacuum or `ANALYZE` would give in production."""
        engine = create_engine(self.sync_url)
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
        finally:
            engine.dispose()

    def drop(self) -> None:
        if self._drop is not None:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self._drop}" WITH (FORCE)')
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
