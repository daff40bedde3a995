"""Column types: UtcDateTime's one-call SQLite bind stores exactly what SQLAlchemy's own
chain stores (stored times are compared as text, so any difference would split identities)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Dialect
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeDecorator

from compost_desktop.db.types import UtcDateTime

VALUES = [
    datetime(2000, 1, 1, tzinfo=UTC),
    datetime(2026, 6, 11, 12, 0, 0, 0, tzinfo=UTC),  # no microseconds: still written out
    datetime(2026, 6, 11, 12, 0, 0, 1, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Berlin")),
    datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Berlin")),
    datetime(2026, 6, 1, tzinfo=ZoneInfo("UTC")),  # another UTC object than datetime.UTC
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
]


Processor = Callable[[Any], Any]


def _processors(dialect: Dialect) -> tuple[Processor, Processor]:
    """The type's bind processor as SQLAlchemy uses it, and the decorator's own chain."""
    adapted = UtcDateTime().dialect_impl(dialect)
    assert isinstance(adapted, UtcDateTime)
    fast, chain = adapted.bind_processor(dialect), TypeDecorator.bind_processor(adapted, dialect)
    assert fast is not None and chain is not None
    return fast, chain


def test_the_sqlite_bind_stores_what_sqlalchemys_chain_stores() -> None:
    fast, chain = _processors(sqlite.dialect())
    assert fast is not chain
    for value in VALUES:
        assert fast(value) == chain(value), value
    assert fast(VALUES[1]) == "2026-06-11 12:00:00.000000"
    assert fast(None) is None
    with pytest.raises(ValueError, match="naive datetime"):
        fast(datetime(2026, 6, 11))


def test_postgresql_keeps_sqlalchemys_chain() -> None:
    processor, _chain = _processors(make_url("postgresql+psycopg://").get_dialect()())
    for value in VALUES:
        assert processor(value) == value.astimezone(UTC)
