"""The list of hand readings: newest first, refreshed when one is added, deletable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from compost_desktop.gui.context import READINGS, AppContext
from compost_desktop.gui.cycles.manual_readings_view import ManualColumn, ManualReadingsView
from compost_desktop.services.manual_readings import (
    ManualReadingDraft,
    add_manual_reading,
    manual_readings,
)
from compost_desktop.services.store import Store
from tests.gui.cycles.conftest import make_cycle

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

NOW = datetime.now(UTC).replace(second=0, microsecond=0)


def text(view: ManualReadingsView, row: int, column: ManualColumn) -> str:
    return str(view.proxy.index(row, column).data())


@pytest.fixture
def cycle_id(store: Store) -> int:
    cid = make_cycle(
        store,
        "Bay 1",
        start=(NOW - timedelta(days=3)).date(),
        end=(NOW + timedelta(days=60)).date(),
    )
    for hours, position, temp, moist in ((30, "North", 55.5, None), (2, "South", 61.0, 52.0)):
        add_manual_reading(
            store.engine,
            ManualReadingDraft(cid, NOW - timedelta(hours=hours), position, temp, moist, None),
        )
    return cid


def test_hand_readings_are_listed_newest_first_and_a_new_one_appears(
    qtbot: QtBot, ctx: AppContext, store: Store, cycle_id: int
) -> None:
    view = ManualReadingsView(ctx)
    qtbot.addWidget(view)
    view.show_cycle(cycle_id)
    assert view.proxy.rowCount() == 2
    assert text(view, 0, ManualColumn.POSITION) == "South"
    assert text(view, 0, ManualColumn.MOISTURE) == "52.0"
    assert text(view, 1, ManualColumn.MOISTURE) == "—"
    add_manual_reading(
        store.engine, ManualReadingDraft(cycle_id, NOW - timedelta(minutes=5), "East", 48.0)
    )
    ctx.bus.changed.emit(frozenset({READINGS}))
    assert text(view, 0, ManualColumn.POSITION) == "East"


def test_deleting_asks_first_and_removes_the_reading(
    qtbot: QtBot,
    ctx: AppContext,
    store: Store,
    cycle_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    view = ManualReadingsView(ctx)
    qtbot.addWidget(view)
    view.show_cycle(cycle_id)
    assert not view.delete_button.isEnabled()
    view.table.selectRow(1)  # North, the older one
    assert view.delete_button.isEnabled()
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.No)
    view.delete_button.click()
    assert len(manual_readings(store.engine, cycle_id)) == 2
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(view.reading_deleted):
        view.delete_button.click()
    assert [r.position for r in manual_readings(store.engine, cycle_id)] == ["South"]
    assert view.proxy.rowCount() == 1
