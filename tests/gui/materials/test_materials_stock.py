"""The stock column of the Materials screen: type a count, deliveries draw it down."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from compost_desktop.gui.context import CYCLES, AppContext
from compost_desktop.gui.cycles.page import CyclesPage
from compost_desktop.gui.materials.models import MaterialColumn, format_number
from compost_desktop.gui.materials.page import MaterialsPage
from compost_desktop.gui.tasks import Changes
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleRecord, InputDraft

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
    qtbot: QtBot, page: MaterialsPage, ctx: AppContext, store: Store, spring_cycle: CycleRecord
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

    # A delivery saved elsewhere (the cycle detail) announces a cycle change, nothing more.
    ctx.runner.submit(
        lambda: store.add_input(spring_cycle.id, InputDraft(straw.id, mass_kg=200)),
        changes=Changes({CYCLES}, {spring_cycle.id}),
    )
    qtbot.waitUntil(lambda: stock_index(page, "Straw").data() == format_number(1300, 0))


def test_a_delivery_made_while_the_page_is_hidden_shows_when_it_comes_back(
    qtbot: QtBot, page: MaterialsPage, ctx: AppContext, store: Store, spring_cycle: CycleRecord
) -> None:
    straw = store.find_material("Straw")
    assert straw is not None
    store.set_stock(straw.id, 1000)
    page.reload()
    qtbot.waitUntil(lambda: stock_index(page, "Straw").data() == format_number(1000, 0))
    page.hide()
    ctx.runner.submit(
        lambda: store.add_input(spring_cycle.id, InputDraft(straw.id, mass_kg=250)),
        changes=Changes({CYCLES}, {spring_cycle.id}),
    )
    qtbot.waitUntil(lambda: page._stale)
    page.show()
    qtbot.waitUntil(lambda: stock_index(page, "Straw").data() == format_number(750, 0))


def test_a_stock_count_does_not_reload_the_cycle_list(
    qtbot: QtBot,
    page: MaterialsPage,
    ctx: AppContext,
    store: Store,
    spring_cycle: CycleRecord,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cycles = CyclesPage(ctx)
    qtbot.addWidget(cycles)
    reloads: list[str] = []
    monkeypatch.setattr(cycles, "reload", lambda: reloads.append("all"))
    monkeypatch.setattr(cycles, "refresh_rows", lambda ids: reloads.append("rows"))
    straw = store.find_material("Straw")
    assert straw is not None
    page.model.setData(
        page.model.index(page.model.row_of(straw.id) or 0, MaterialColumn.STOCK), "900"
    )
    qtbot.waitUntil(lambda: store.material(straw.id).stock_kg == 900)
    qtbot.waitUntil(lambda: stock_index(page, "Straw").data() == format_number(900, 0))
    assert reloads == []  # ten thousand cycle rows show no stock


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
