"""The screens on the farm's PostgreSQL directly (`--database postgresql://…`), not only SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from pytestqt.qtbot import QtBot

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.cycles.page import CyclesPage
from compost_desktop.gui.materials.page import MaterialsPage
from compost_desktop.gui.tasks import ChangeBus, ImmediateRunner
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft, InputDraft
from compost_desktop.settings import Settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_ctx(pg_url: str) -> Iterator[AppContext]:
    url = resolve_url(pg_url)
    migrate.upgrade(url)
    engine = make_engine(url)
    bus = ChangeBus()
    ctx = AppContext(Settings(), ImmediateRunner(bus), bus)
    store = Store(engine)
    cycle = store.save_cycle(CycleDraft("Bay 9 on the server", date(2026, 6, 1)))
    straw = store.find_material("Straw")
    assert straw is not None
    store.add_input(cycle.id, InputDraft(straw.id, mass_kg=30))
    ctx.set_store(store, "PostgreSQL")
    yield ctx
    engine.dispose()


def test_cycle_list_and_materials_show_server_data(qtbot: QtBot, pg_ctx: AppContext) -> None:
    cycles = CyclesPage(pg_ctx)
    qtbot.addWidget(cycles)
    cycles.reload()
    qtbot.waitUntil(lambda: cycles.model.rowCount() == 1)
    names = [cycles.model.index(0, c).data() for c in range(cycles.model.columnCount())]
    assert "Bay 9 on the server" in names

    materials = MaterialsPage(pg_ctx)
    qtbot.addWidget(materials)
    materials.reload()
    qtbot.waitUntil(lambda: materials.model.rowCount() == 13)
