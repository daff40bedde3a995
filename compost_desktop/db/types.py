"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Dialect, Numeric
from sqlalchemy.types import TypeDecorator

# How SQLAlchemy's SQLite DATETIME stores a datetime (its default storage format); stored
# times are compared as text, so every writer must produce exactly this.
SQLITE_DATETIME = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


def utc(value: datetime) -> datetime:
    """An aware datetime in UTC, as the database is given it; naive ones are refused."""
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC time is stored")
        value = value.astimezone(UTC)
    return value


def sqlite_text(value: datetime | None) -> str | None:
    """An aware datetime as SQLite stores it (SQLITE_DATETIME, in UTC)."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = utc(value)
    return SQLITE_DATETIME % (
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite would otherwise drop the zone silently."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, an aware datetime to the stored text in one call, not this decorator's
        chain around SQLAlchemy's formatter: the recorder binds two per reading, and the
        chain was a quarter of its writer's time (bench_mqtt_pipeline, writer only)."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return sqlite_text

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # rows written by other tools into SQLite
            value = datetime.fromisoformat(value)
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {value!r}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def result_processor(
        self, dialect: Dialect, coltype: object
    ) -> Callable[[Any], datetime | None] | None:
        """On SQLite, the stored text to an aware datetime in one call (fromisoformat), not
        SQLAlchemy's parser wrapped in this decorator: one layer less per value."""
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        slow = self.process_result_value

        def process(value: Any) -> datetime | None:
            return slow(value, dialect)  # it parses stored text with fromisoformat itself

        return process


class DateOnly(TypeDecorator[date]):
    """A calendar date, also when an adopted legacy column is a timestamp."""

    impl = Date
    cache_ok = True

    def process_bind_param(self, value: date | None, dialect: Dialect) -> date | None:
        if isinstance(value, datetime):
            return value.date()
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> date | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime):
            return value.date()
        assert isinstance(value, date)
        return value


class Amount(TypeDecorator[float]):
    """A decimal column handed to Python as float, rounded to its scale on the way in.

    PostgreSQL rounds NUMERIC(p, s) itself and SQLite does not; rounding here keeps the
    local store and the server holding identical values, so sync compares like with like.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 12, scale: int = 3) -> None:
        super().__init__(precision, scale, asdecimal=False)
        self.scale = scale

    def process_bind_param(self, value: float | None, dialect: Dialect) -> float | None:
        return None if value is None else round(float(value), self.scale)

    def process_result_value(self, value: Any, dialect: Dialect) -> float | None:
        return None if value is None else float(value)

    def result_processor(
        self, dialect: Dialect, coltype: object
    ) -> Callable[[Any], float | None] | None:
        """One call per value instead of the decorator's chain (370,000 in a long list)."""
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value: Any) -> float | None:
            return None if value is None else float(value)

        return process
