"""The comparison dialog and the way to it from the cycle list."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QDate, QItemSelectionModel, QLocale, QPoint, Qt
from pytestqt.qtbot import QtBot

from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.domain.units import TemperatureUnit
from compost_desktop.gui.context import CYCLES, AppContext
from compost_desktop.gui.cycles.compare_view import CompareColumn, CompareDialog
from compost_desktop.gui.cycles.models import CycleColumn
from compost_desktop.gui.cycles.page import CyclesPage
from compost_desktop.gui.lifetime import kept_count
from compost_desktop.gui.tasks import ChangesOf
from compost_desktop.presentation.formats import date_format
from compost_desktop.presentation.palette import MAX_CYCLES
from compost_desktop.services.store import Store
from tests.db.test_compare import add, run_cycle
from tests.gui.cycles.conftest import make_cycle
from tests.support.readings import insert_readings

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

T0 = datetime(2026, 4, 2, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def cycles(store: Store) -> dict[str, int]:
    """Hot (55 °C on day 2, three days), lukewarm (never) and one without readings."""
    hot = run_cycle(store, "Hot bay", T0)
    temps = [30.0] * 48 + [60.0] * 72 + [40.0] * 24
    insert_readings(store.engine, hot, [("core", T0 + h * HOUR, t) for h, t in enumerate(temps)])
    add(store, hot, "Kitchen scraps", 10, T0)
    add(store, hot, "Leaves, shredded", 5, T0 + HOUR)
    day0 = T0 + timedelta(days=40)
    warm = run_cycle(store, "Lukewarm bay", day0)
    insert_readings(store.engine, warm, [("core", day0 + h * HOUR, 50.0) for h in range(48)])
    empty = make_cycle(store, "Empty bay", start=date(2026, 7, 1), end=date(2026, 9, 1))
    return {"hot": hot, "warm": warm, "empty": empty}


def open_dialog(qtbot: QtBot, ctx: AppContext, ids: list[int]) -> CompareDialog:
    dialog = CompareDialog(ctx, ids)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)  # qtbot closes it
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def table_text(dialog: CompareDialog) -> list[list[str]]:
    proxy = dialog.proxy
    return [[proxy.index(r, c).data() for c in CompareColumn] for r in range(proxy.rowCount())]


def test_one_curve_and_one_row_per_cycle_with_the_figures(
    qtbot: QtBot, ctx: AppContext, cycles: dict[str, int]
) -> None:
    dialog = open_dialog(qtbot, ctx, [cycles["hot"], cycles["warm"], cycles["empty"]])
    assert not dialog.loading
    # The empty cycle is listed but has nothing to draw.
    assert dialog.curve_labels() == ["Hot bay", "Lukewarm bay"]
    solid, _dashed = dialog.curves()[cycles["hot"]]
    days, values = solid.getData()
    assert len(days) == 144 and days[48] == pytest.approx(2.0) and values[48] == 60.0
    rows = table_text(dialog)
    assert [r[CompareColumn.CYCLE] for r in rows] == ["Hot bay", "Lukewarm bay", "Empty bay"]
    hot, warm, empty = rows
    assert hot[CompareColumn.DAYS_TO :] == ["2.0", "60.0 °C", "3.0", "25.9:1", "59.3 %", "144"]
    assert warm[CompareColumn.DAYS_TO :] == ["—", "50.0 °C", "0.0", "—", "—", "48"]
    assert empty[CompareColumn.DAYS_TO :] == ["—", "—", "—", "—", "—", "0"]
    assert "Empty bay" in dialog.status_label.text()
    # Each row's swatch is its curve's colour.
    swatch = dialog.proxy.index(0, CompareColumn.CYCLE).data(Qt.ItemDataRole.DecorationRole)
    assert swatch.toImage().pixelColor(7, 7) == solid.opts["pen"].color()
    tip = dialog.proxy.index(1, CompareColumn.DAYS_TO).data(Qt.ItemDataRole.ToolTipRole)
    assert "never" in tip
    header_tip = dialog.model.headerData(
        CompareColumn.DAYS_AT, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
    )
    assert "not necessarily one stretch" in header_tip


def test_sorting_keeps_unknown_figures_last(
    qtbot: QtBot, ctx: AppContext, cycles: dict[str, int]
) -> None:
    dialog = open_dialog(qtbot, ctx, [cycles["empty"], cycles["warm"], cycles["hot"]])
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        dialog.table.sortByColumn(CompareColumn.PEAK, order)
        names = [r[CompareColumn.CYCLE] for r in table_text(dialog)]
        assert names[-1] == "Empty bay"
        expected = ["Lukewarm bay", "Hot bay"]
        assert names[:2] == (expected if order == Qt.SortOrder.AscendingOrder else expected[::-1])


def test_fahrenheit_setting_converts_curves_table_and_the_reference_line(
    qtbot: QtBot, ctx: AppContext, cycles: dict[str, int]
) -> None:
    from dataclasses import replace

    settings = ctx.settings
    ctx.apply_settings(
        replace(settings, units=replace(settings.units, temperature=TemperatureUnit.FAHRENHEIT))
    )
    dialog = open_dialog(qtbot, ctx, [cycles["hot"], cycles["warm"]])
    assert dialog.reference.value() == pytest.approx(131.0)
    header = dialog.model.headerData(CompareColumn.DAYS_TO, Qt.Orientation.Horizontal)
    assert header == "Days to 131 °F"
    assert table_text(dialog)[0][CompareColumn.PEAK] == "140.0 °F"
    assert max(dialog.curves()[cycles["hot"]][0].getData()[1]) == pytest.approx(140.0)


def test_probe_mean_toggle_and_unticking_a_cycle_hide_its_lines(
    qtbot: QtBot, ctx: AppContext, cycles: dict[str, int]
) -> None:
    dialog = open_dialog(qtbot, ctx, [cycles["hot"], cycles["warm"]])
    solid, dashed = dialog.curves()[cycles["hot"]]
    assert solid.isVisible() and not dashed.isVisible()
    dialog.mean_check.setChecked(True)
    assert dashed.isVisible()
    assert dashed.opts["pen"].style() == Qt.PenStyle.DashLine
    check = dialog.proxy.index(0, CompareColumn.CYCLE)
    rect = dialog.table.visualRect(check)
    box = QPoint(rect.left() + 10, rect.center().y())  # the check box opens the cell
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=box)
    assert check.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    assert not solid.isVisible() and not dashed.isVisible()
    assert dialog.curves()[cycles["warm"]][0].isVisible()


def test_add_and_remove_cycles_in_the_dialog(
    qtbot: QtBot, ctx: AppContext, cycles: dict[str, int]
) -> None:
    dialog = open_dialog(qtbot, ctx, [cycles["hot"], cycles["warm"]])
    offered = [dialog.add_combo.itemText(i) for i in range(dialog.add_combo.count())]
    start = QLocale().toString(QDate(2026, 7, 1), date_format())  # the app's one date format
    assert offered == ["Add a cycle…", f"Empty bay — {start}"]
    assert not dialog.add_button.isEnabled()
    dialog.add_combo.setCurrentIndex(1)
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert [r[CompareColumn.CYCLE] for r in table_text(dialog)][-1] == "Empty bay"
    assert dialog.add_combo.count() == 1
    assert not dialog.remove_button.isEnabled()
    dialog.table.selectRow(0)
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert [r[CompareColumn.CYCLE] for r in table_text(dialog)] == ["Lukewarm bay", "Empty bay"]
    assert dialog.curve_labels() == ["Lukewarm bay"]
    hot_start = QLocale().toString(QDate(2026, 4, 2), date_format())
    assert f"Hot bay — {hot_start}" in [
        dialog.add_combo.itemText(i) for i in range(dialog.add_combo.count())
    ]


class DeferredRunner:
    """Holds work until told to run it, like the database thread while it is busy."""

    def __init__(self) -> None:
        self.queue: list[tuple[Callable[[], Any], Any, Any]] = []

    def submit(
        self,
        fn: Callable[[], Any],
        on_done: Any = None,
        on_error: Any = None,
        changes: ChangesOf = frozenset(),
    ) -> None:
        self.queue.append((fn, on_done, on_error))

    def run_all(self) -> None:
        while self.queue:
            fn, on_done, on_error = self.queue.pop(0)
            try:
                result = fn()
            except Exception as exc:
                on_error(exc)
            else:
                on_done(result)

    def shutdown(self) -> None:
        pass


def test_loading_shows_until_the_database_thread_answers(
    qtbot: QtBot, ctx: AppContext, cycles: dict[str, int]
) -> None:
    runner = DeferredRunner()
    ctx.runner = runner
    dialog = open_dialog(qtbot, ctx, [cycles["hot"], cycles["warm"]])
    assert dialog.status_label.text() == "Loading…" and dialog.proxy.rowCount() == 0
    assert not dialog.reload_button.isEnabled()
    runner.run_all()
    assert dialog.proxy.rowCount() == 2 and dialog.status_label.text() == "2 cycles"
    # An answer for a dialog closed meanwhile is dropped, not a crash.
    dialog.reload()
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dialog.close()
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog))
    runner.run_all()
    ctx.bus.changed.emit(frozenset({CYCLES}))
    assert runner.queue == []


def test_a_database_that_cannot_be_read_gives_an_error_line(
    qtbot: QtBot, ctx: AppContext, tmp_path: object
) -> None:
    broken = make_engine(resolve_url(f"sqlite:///{tmp_path}/missing/dir/compost.db"))
    ctx.store = Store(broken)
    dialog = open_dialog(qtbot, ctx, [1, 2])
    assert dialog.error_label.isVisible()
    assert "could not be reached" in dialog.error_label.text()
    assert dialog.status_label.text() == "" and dialog.reload_button.isEnabled()
    broken.dispose()


def test_an_open_dialog_without_a_parent_is_deleted_by_closing_not_by_the_collector(
    qtbot: QtBot, ctx: AppContext, tmp_path: object
) -> None:
    # The failed load's traceback holds the constructor's frame: the dialog sits in a reference
    # cycle. Were the collector to delete it, it could do so inside the dialog's own paint event
    # (pyqtgraph allocates there), which was a segfault in GraphicsView.paintEvent.
    broken = make_engine(resolve_url(f"sqlite:///{tmp_path}/missing/dir/compost.db"))
    ctx.store = Store(broken)
    dialog = CompareDialog(ctx, [1, 2])
    dialog.show()
    ref = weakref.ref(dialog)
    del dialog
    gc.collect()
    kept = ref()
    assert kept is not None and shiboken6.isValid(kept) and kept.isVisible()
    kept.close()  # WA_DeleteOnClose: Qt deletes it from the event loop, then it is let go
    del kept
    qtbot.waitUntil(lambda: ref() is None or not shiboken6.isValid(ref()))
    assert kept_count() == 0
    broken.dispose()


@pytest.fixture
def page(qtbot: QtBot, ctx: AppContext, cycles: dict[str, int]) -> CyclesPage:
    p = CyclesPage(ctx)
    qtbot.addWidget(p)
    p.resize(1100, 500)
    p.show()
    return p


def select_rows(page: CyclesPage, rows: list[int]) -> None:
    selection = page.table.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(
            page.proxy.index(row, CycleColumn.NAME),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )


def test_compare_is_enabled_with_two_selected_and_opens_them(
    qtbot: QtBot, page: CyclesPage
) -> None:
    assert not page.compare_button.isEnabled()
    names = [page.proxy.index(r, CycleColumn.NAME).data() for r in range(page.proxy.rowCount())]
    first = page.table.visualRect(page.proxy.index(names.index("Hot bay"), CycleColumn.NAME))
    third = page.table.visualRect(page.proxy.index(names.index("Empty bay"), CycleColumn.NAME))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=first.center())
    assert not page.compare_button.isEnabled() and not page.compare_action.isEnabled()
    qtbot.mouseClick(
        page.table.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ControlModifier,
        pos=third.center(),
    )
    assert page.compare_button.isEnabled()
    assert page.compare_action in page.table.actions()  # the context menu offers it too
    qtbot.mouseClick(page.compare_button, Qt.MouseButton.LeftButton)
    dialog = page.findChild(CompareDialog)
    assert isinstance(dialog, CompareDialog) and not dialog.isModal()
    shown = {r[CompareColumn.CYCLE] for r in table_text(dialog)}
    assert shown == {"Hot bay", "Empty bay"}
    dialog.close()


def test_shortcut_opens_the_comparison_and_a_reload_keeps_the_selection(
    qtbot: QtBot, page: CyclesPage
) -> None:
    select_rows(page, [0, 1])
    page.reload()
    assert len(page.selected_cycle_ids()) == 2 and page.compare_button.isEnabled()
    page.activateWindow()
    page.table.setFocus()
    qtbot.keyClick(
        page.table,
        Qt.Key.Key_C,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    dialog = page.findChild(CompareDialog)
    assert isinstance(dialog, CompareDialog)
    assert dialog.cycle_ids == page.selected_cycle_ids()
    dialog.close()
    select_rows(page, [0])
    assert not page.compare_button.isEnabled()


def test_more_cycles_than_colours_cannot_be_compared_at_once(
    qtbot: QtBot, page: CyclesPage, store: Store
) -> None:
    for n in range(MAX_CYCLES + 1 - page.model.rowCount()):
        make_cycle(store, f"Extra bay {n}")
    page.reload()
    page.table.selectAll()
    assert len(page.selected_cycle_ids()) == MAX_CYCLES + 1
    assert not page.compare_button.isEnabled()
    assert f"at most {MAX_CYCLES}" in page.compare_button.toolTip()
    select_rows(page, list(range(MAX_CYCLES)))
    assert page.compare_button.isEnabled()
