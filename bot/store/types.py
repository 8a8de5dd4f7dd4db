"""Column types for instants, dates and wall-clock times that behave the same on SQLite and PostgreSQL.

PostgreSQL gets its native types. SQLite has none, so these store ISO-8601 text, which sorts and compares
correctly, and parse it with the C `fromisoformat` rather than SQLAlchemy's regular expressions: a
delivery pass reads thousands of these per batch.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Date, DateTime, Dialect, String, Time
from sqlalchemy.types import TypeDecorator, TypeEngine


class _IsoText(TypeDecorator[Any]):
    impl = String(32)
    cache_ok = True
    native: TypeEngine[Any] = String(32)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(String(32) if dialect.name == "sqlite" else self.native)


class UTCDateTime(_IsoText):
    """An aware instant, always returned in UTC; naive datetimes are refused."""

    native = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: pass an aware one")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class LocalDate(_IsoText):
    """A calendar date in some chat's zone."""

    native = Date()
    cache_ok = True

    def process_bind_param(self, value: date | None, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return value.isoformat()

    def process_result_value(self, value: Any, dialect: Dialect) -> date | None:
        return date.fromisoformat(value) if isinstance(value, str) else value


class WallTime(_IsoText):
    """A time of day on the wall clock, without a zone."""

    native = Time()
    cache_ok = True

    def process_bind_param(self, value: time | None, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return value.isoformat(timespec="microseconds")

    def process_result_value(self, value: Any, dialect: Dialect) -> time | None:
        return time.fromisoformat(value) if isinstance(value, str) else value
