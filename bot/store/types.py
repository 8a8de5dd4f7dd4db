"""Column types for instants, dates and wall-clock times that behave the same on SQLite and PostgreSQL.

PostgreSQL gets its native types. SQLite has none, so these store ISO-8601 text, which sorts and compares
correctly, and parse it with the C `fromisoformat` rather than SQLAlchemy's regular expressions: a delivery pass
reads thousands of these per batch. Each type's `writer` and `reader` are the one copy of that encoding: the
types use them, and so do the delivery ledger's plain statements (`bot.store.delivery_sql`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Dialect, String, Text, Time
from sqlalchemy.types import TypeDecorator, TypeEngine

from bot.core.studydays import Period, Schedule

Convert = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


UNCHANGED: Convert = _same  # what `reader` returns where the driver's value is already the column's


def _iso_instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored: pass an aware one")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _aware_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored: pass an aware one")
    return value.astimezone(UTC)


def _read_iso_instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _read_native_instant(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _read_iso_date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _iso_time(value: time | None) -> str | None:
    return None if value is None else value.isoformat(timespec="microseconds")


def _read_iso_time(value: str | None) -> time | None:
    return None if value is None else time.fromisoformat(value)


def _read_flag(value: Any) -> Any:
    return value if value is None else bool(value)


class _IsoText(TypeDecorator[Any]):
    impl = String(32)
    cache_ok = True
    native: TypeEngine[Any] = String(32)
    # (to the database, from it) on SQLite, and on every other dialect
    sqlite: tuple[Convert, Convert] = (_same, _same)
    other: tuple[Convert, Convert] = (_same, _same)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(String(32) if dialect.name == "sqlite" else self.native)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return (self.sqlite if dialect.name == "sqlite" else self.other)[0](value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return (self.sqlite if dialect.name == "sqlite" else self.other)[1](value)


class UTCDateTime(_IsoText):
    """An aware instant, always returned in UTC; naive datetimes are refused."""

    native = DateTime(timezone=True)
    cache_ok = True
    sqlite = (_iso_instant, _read_iso_instant)
    other = (_aware_utc, _read_native_instant)


class LocalDate(_IsoText):
    """A calendar date in some chat's zone."""

    native = Date()
    cache_ok = True
    sqlite = (_iso_date, _read_iso_date)


class WallTime(_IsoText):
    """A time of day on the wall clock, without a zone."""

    native = Time()
    cache_ok = True
    sqlite = (_iso_time, _read_iso_time)


def _schedule_text(value: Schedule | None) -> str:
    """'2026-03-02 31;2026-03-10 31 p': each period's first date, its weekdays (bit 0: Monday), 'p' if paused."""
    return ";".join(f"{p.since.isoformat()} {p.days}{' p' if p.paused else ''}" for p in value or ())


def _read_schedule(value: str | None) -> Schedule:
    periods = []
    for item in (value or "").split(";"):
        if item:
            since, days, *paused = item.split(" ")
            periods.append(Period(date.fromisoformat(since), int(days), bool(paused)))
    return tuple(periods)


class StudySchedule(_IsoText):
    """A chat's study days and pauses over time (`bot.core.studydays`), as short text on every dialect."""

    native = Text()
    cache_ok = True
    sqlite = (_schedule_text, _read_schedule)
    other = (_schedule_text, _read_schedule)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(Text())


def writer(column_type: TypeEngine[Any], dialect: str) -> Convert:
    """How a value of this column type is passed to the driver of `dialect` in a plain statement."""
    if isinstance(column_type, _IsoText):
        return (column_type.sqlite if dialect == "sqlite" else column_type.other)[0]
    return _same


def reader(column_type: TypeEngine[Any], dialect: str) -> Convert:
    """How a value of this column type comes back from the driver of `dialect` in a plain statement."""
    if isinstance(column_type, _IsoText):
        return (column_type.sqlite if dialect == "sqlite" else column_type.other)[1]
    if isinstance(column_type, Boolean) and dialect == "sqlite":
        return _read_flag  # SQLite keeps 0 and 1
    return _same
