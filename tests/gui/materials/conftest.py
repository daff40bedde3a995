"""A real migrated SQLite store behind a context whose work runs inline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.tasks import ChangeBus, ImmediateRunner
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft, CycleRecord, InputDraft
from compost_desktop.settings import Settings


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    migrate.upgrade(resolve_url(sqlite_url))
    store = Store(make_engine(sqlite_url))
    yield store
    store.engine.dispose()


@pytest.fixture
def ctx(store: Store) -> AppContext:
    bus = ChangeBus()
    context = AppContext(Settings(), ImmediateRunner(bus), bus)
    context.set_store(store, "SQLite test")
    return context


@pytest.fixture
def spring_cycle(store: Store) -> CycleRecord:
    """10 kg kitchen scraps + 5 kg shredded leaves: the brief's worked check (C:N 25.9)."""
    cycle = store.save_cycle(CycleDraft("Spring windrow", date(2026, 4, 1), date(2026, 7, 1)))
    scraps = store.find_material("Kitchen scraps")
    leaves = store.find_material("Leaves, shredded")
    assert scraps is not None and leaves is not None
    store.add_input(cycle.id, InputDraft(scraps.id, mass_kg=10))
    store.add_input(cycle.id, InputDraft(leaves.id, mass_kg=5))
    return store.cycle(cycle.id)
