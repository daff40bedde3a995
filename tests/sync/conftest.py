"""Fixtures for sync tests: a migrated server and two migrated PCs (a module may override)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.services.store import Store
from compost_desktop.sync.engine import SyncEngine
from tests.sync.support import Pc


@pytest.fixture
def server(pg_url: str) -> Iterator[sa.Engine]:
    url = resolve_url(pg_url)
    migrate.upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def pcs(tmp_path: Path, server: sa.Engine) -> Iterator[list[Pc]]:
    made = []
    for n in range(2):
        url = resolve_url(f"sqlite:///{tmp_path / f'pc{n}.db'}")
        migrate.upgrade(url)
        local = make_engine(url)
        made.append(Pc(Store(local), SyncEngine(local, server, client_id=f"pc-{n}"), local))
    yield made
    for pc in made:
        pc.engine.dispose()
