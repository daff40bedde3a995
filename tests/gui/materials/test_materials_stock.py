"""The stock column of the Materials screen: type a count, deliveries draw it down."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from compost_desktop.gui.context import AppContext
from compost_desktop.gui.materials.models import MaterialColumn, format_number
from compost_desktop.gui.materials.page import MaterialsPage
from compost_desktop.services.records import CycleRecord, InputDraft
from compost_desktop.services.store import Store

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def page(qtbot: QtBot, ctx: AppContext) -> MaterialsPage:
    page = MaterialsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 600)
    page.show()
    qtbot.waitExposed(page)
    return page


def stock_index(page: MaterialsPage, name: str):  # type: ignore[no-untyped-def]
    page.search.setText(name)
    assert page.proxy.rowCount() >= 1
    return page.proxy.index(0, MaterialColumn.STOCK)


def test_typing_a_count_in_the_stock_cell_stores_it_and_deliveries_draw_it_down(
    qtbot: QtBot, page: MaterialsPage, store: Store, spring_cycle: CycleRecord
) -> None:
    straw0 = store.find_material("Straw")
    assert straw0 is not None
    index = stock_index(page, "Straw")
    assert index.data() == ""  # not counted yet
    page.table.doubleClicked.emit(index)  # a double-click edits in place, not the dialog
    assert page.dialog is None
    editors = page.table.viewport().findChildren(QLineEdit)
    assert len(editors) == 1
    editors[0].setText("1500")
    qtbot.keyClick(editors[0], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: (store.find_material("Straw") or straw0).stock_kg == 1500)
    straw = store.find_material("Straw")
    assert straw is not None
    qtbot.waitUntil(lambda: stock_index(page, "Straw").data() == format_number(1500, 0))

    store.add_input(spring_cycle.id, InputDraft(straw.id, mass_kg=200))
    page.reload()
    assert stock_index(page, "Straw").data() == format_number(1300, 0)


def test_clearing_the_cell_stops_tracking_and_nonsense_is_refused(
    qtbot: QtBot, page: MaterialsPage, store: Store
) -> None:
    straw = store.find_material("Straw")
    assert straw is not None
    store.set_stock(straw.id, 100)
    page.reload()
    index = page.model.index(page.model.row_of(straw.id) or 0, MaterialColumn.STOCK)
    assert not page.model.setData(index, "lots")
    assert not page.model.setData(index, "-5")
    assert page.model.setData(index, "")
    qtbot.waitUntil(lambda: store.material(straw.id).stock_kg is None)
