"""The database tests' store: migrated, on SQLite and on PostgreSQL in turn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.services.store import Store


@pytest.fixture
def store(any_url: str) -> Iterator[Store]:
    url = resolve_url(any_url)
    migrate.upgrade(url)
    engine = make_engine(url)
    yield Store(engine)
    engine.dispose()
