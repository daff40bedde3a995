"""The sync status and the conflict dialog, against a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.gui.conflicts import ConflictDialog
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.sync_service import SyncService
from compost_desktop.gui.tasks import ChangeBus, ImmediateRunner, IoRunner
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft
from compost_desktop.settings import Settings
from compost_desktop.sync.engine import SyncEngine
from tests.support.qt import item_at
from tests.support.servers import PostgresServer

pytestmark = pytest.mark.postgres


@pytest.fixture
def local(tmp_path: Path) -> Iterator[sa.Engine]:
    url = resolve_url(f"sqlite:///{tmp_path / 'local.db'}")
    migrate.upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def ctx(local: sa.Engine) -> Iterator[AppContext]:
    """The store inline; sync rounds on a real io thread, as in the app."""
    bus = ChangeBus()
    io = IoRunner(bus)
    context = AppContext(Settings(), ImmediateRunner(bus), bus, io=io)
    context.set_store(Store(local), "test")
    yield context
    io.shutdown()


@pytest.mark.log_allowed("^Sync failed: Cannot reach")
def test_status_goes_from_offline_to_synced(
    qtbot: QtBot, ctx: AppContext, local: sa.Engine, pg_server: PostgresServer, pg_url: str
) -> None:
    Store(local).save_cycle(CycleDraft("Made offline", date(2026, 6, 1)))
    pg_server.stop()
    service = SyncService(ctx, local, pg_url)
    try:
        with qtbot.waitSignal(service.state_changed, timeout=30_000) as first:
            service.sync_now()
        while first.args and first.args[1] == "busy":  # "Syncing…" comes first
            with qtbot.waitSignal(service.state_changed, timeout=30_000) as first:
                pass
        assert first.args is not None and first.args[1] == "offline"
        assert "1 change(s) waiting" in first.args[0]
        pg_server.start()
        states: list[tuple[str, str]] = []
        service.state_changed.connect(lambda text, level: states.append((text, level)))
        service.sync_now()
        qtbot.waitUntil(lambda: any(level == "ok" for _, level in states), timeout=30_000)
        assert states[-1][0].startswith("Synced at")
    finally:
        service.stop()
        if service.engine is not None:
            service.engine.server.dispose()


def test_conflict_dialog_keeps_mine(
    qtbot: QtBot, ctx: AppContext, local: sa.Engine, pg_url: str, tmp_path: Path
) -> None:
    server_url = resolve_url(pg_url)
    migrate.upgrade(server_url)
    server = make_engine(server_url)
    other_url = resolve_url(f"sqlite:///{tmp_path / 'other.db'}")
    migrate.upgrade(other_url)
    other_local = make_engine(other_url)
    mine, theirs = SyncEngine(local, server, "me"), SyncEngine(other_local, server, "other")
    store, other = Store(local), Store(other_local)
    cycle = store.save_cycle(CycleDraft("Bay 5", date(2026, 6, 1), notes="start"))
    mine.sync()
    theirs.sync()
    other_id = next(c.id for c in other.cycles() if c.name == "Bay 5")
    other.save_cycle(CycleDraft("Bay 5", date(2026, 6, 1), notes="theirs"), other_id)
    store.save_cycle(CycleDraft("Bay 5", date(2026, 6, 1), notes="mine"), cycle.id)
    theirs.sync()
    mine.sync()

    dialog = ConflictDialog(ctx, mine)
    qtbot.addWidget(dialog)
    assert dialog.list.count() == 1
    assert "Bay 5" in dialog.list.item(0).text()
    rows = {
        item_at(dialog.fields, i, 0).text(): (
            item_at(dialog.fields, i, 1).text(),
            item_at(dialog.fields, i, 2).text(),
        )
        for i in range(dialog.fields.rowCount())
    }
    assert rows == {"Notes": ("mine", "theirs")}  # only what differs
    assert item_at(dialog.fields, 0, 0).checkState() == Qt.CheckState.Checked
    dialog.show()
    with qtbot.waitSignal(dialog.resolved):
        dialog.keep_mine.click()
    qtbot.waitUntil(lambda: not dialog.isVisible())  # nothing left to decide: it closes
    assert dialog.result() == QDialog.DialogCode.Accepted
    mine.sync()
    theirs.sync()
    assert other.cycle(other_id).notes == "mine"
    server.dispose()
    other_local.dispose()


def test_conflict_values_read_in_the_users_units_and_date_format(qtbot: QtBot) -> None:
    from compost_desktop.domain.units import MassUnit, VolumeUnit
    from compost_desktop.gui.conflicts import _show
    from compost_desktop.reports.document import ReportFormat
    from compost_desktop.settings import UnitSettings

    shown = ReportFormat(
        QLocale(QLocale.Language.C), UnitSettings(MassUnit.LB, volume=VolumeUnit.US_GALLON)
    )
    assert _show(shown, "amount_kg", 45.359237, False) == "100.0 lb"
    assert _show(shown, "volume_liters", 37.85411784, False) == "10.0 gal"
    # The app's one date format (as the lists show dates), with the year in full.
    assert _show(shown, "start_date", "2026-06-01", False) == "1 06 2026"
    assert _show(shown, "notes", None, False) == "—"
    assert _show(shown, "notes", "x", True) == "(deleted)"
    german = ReportFormat(QLocale(QLocale.Language.German, QLocale.Country.Germany), UnitSettings())
    assert _show(german, "start_date", "2026-06-01", False) == "01.06.2026"
    assert _show(german, "amount_kg", 12.5, False) == "12,5 kg"


def test_a_paused_sync_lets_no_saved_change_start_a_round(
    qtbot: QtBot, ctx: AppContext, local: sa.Engine, pg_url: str
) -> None:
    """A restore pauses sync; a cycle saved meanwhile must not start a round into it."""
    from compost_desktop.gui.context import CYCLES

    service = SyncService(ctx, local, pg_url)
    try:
        service.pause()
        ctx.bus.changed.emit(frozenset({CYCLES}))
        assert not service._soon.isActive() and not service.running
        with qtbot.waitSignal(service.state_changed, timeout=30_000):
            service.resume()  # a round at once, then changes count again
        ctx.bus.changed.emit(frozenset({CYCLES}))
        assert service._soon.isActive()
    finally:
        service.stop()
        qtbot.waitUntil(lambda: not service.running, timeout=30_000)
        if service.engine is not None:
            service.engine.server.dispose()


def test_a_stock_count_typed_on_the_materials_page_reaches_the_server(
    qtbot: QtBot, ctx: AppContext, local: sa.Engine, pg_url: str
) -> None:
    """A count is its own kind of change (no cycle reloads for it); sync must still send it."""
    from compost_desktop.gui.materials.models import MaterialColumn
    from compost_desktop.gui.materials.page import MaterialsPage

    service = SyncService(ctx, local, pg_url)
    page = MaterialsPage(ctx)
    qtbot.addWidget(page)
    server = make_engine(resolve_url(pg_url))

    def on_server() -> float | None:
        with server.connect() as conn:
            found = conn.execute(
                sa.text("SELECT stock_kg FROM compost_materials WHERE name = 'Straw'")
            ).first()
        return None if found is None or found[0] is None else float(found[0])

    try:
        with qtbot.waitSignal(service.state_changed, timeout=30_000):
            service.start()  # the first round puts the library on the server
        # ... and what it pulled may ask for one more: let every round end first.
        qtbot.waitUntil(
            lambda: not service.running and not service._soon.isActive(), timeout=30_000
        )
        straw = next(m for m in page.model.materials() if m.name == "Straw")
        row = page.model.row_of(straw.id)
        assert row is not None
        assert page.model.setData(page.model.index(row, MaterialColumn.STOCK), "1234")
        # Well inside the 30 s periodic round: only the round the count itself asks for counts.
        qtbot.waitUntil(lambda: on_server() == 1234.0, timeout=15_000)
    finally:
        service.stop()
        qtbot.waitUntil(lambda: not service.running, timeout=30_000)
        if service.engine is not None:
            service.engine.server.dispose()
        server.dispose()
