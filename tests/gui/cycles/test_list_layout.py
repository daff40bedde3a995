"""The cycle list on a small screen at 150 %: a readable search field and whole names."""

from __future__ import annotations

from datetime import date

import pytest
from pytestqt.qtbot import QtBot

from compost_desktop.gui.context import AppContext
from compost_desktop.gui.cycles.models import CycleColumn
from compost_desktop.gui.cycles.page import CyclesPage
from compost_desktop.gui.main_window import MainWindow
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

NAME = "Bay 12 – batch 140"


def test_search_and_names_stay_readable_in_a_narrow_window(
    qtbot: QtBot, ctx: AppContext, store: Store, big_font: object
) -> None:
    store.save_cycle(CycleDraft(NAME, date(2026, 5, 1)))
    page = CyclesPage(ctx)
    qtbot.addWidget(page)
    page.resize(740, 480)  # what a 1366×768 screen at 150 % leaves beside the navigation
    page.show()
    qtbot.waitExposed(page)
    search = page.search
    needed = search.fontMetrics().horizontalAdvance(search.placeholderText())
    assert search.width() >= needed, "the placeholder is cut (it read 'S…')"
    table = page.table
    assert table.columnWidth(CycleColumn.NAME) >= table.fontMetrics().horizontalAdvance(NAME)
    # Wider: the name takes the room, the other columns keep theirs.
    page.resize(1200, 600)
    qtbot.waitUntil(lambda: table.columnWidth(CycleColumn.NAME) > 300)


def test_navigation_fits_its_page_names(qtbot: QtBot, big_font: object) -> None:
    window = MainWindow("Database", "/tmp/log")
    qtbot.addWidget(window)
    for key in ("cycles", "monitoring", "materials", "devices", "settings"):
        window.add_page(key, key.title(), lambda: None)  # type: ignore[arg-type,return-value]
    metrics = window.navigation.fontMetrics()
    longest = metrics.horizontalAdvance("Monitoring  ⚠ 2")
    assert longest < window.navigation.width() < longest + 40


def test_status_bar_messages_give_way_on_a_small_screen(qtbot: QtBot, big_font: object) -> None:
    window = MainWindow("Database", "/tmp/log")
    qtbot.addWidget(window)
    long = "SQLite /home/farm/.local/share/compost-desktop/compost.db — ready, last checked now"
    window.on_database_state(long, True)
    # Without giving way, the bar alone would hold the window wider than the screen.
    assert window.database_status.minimumSizeHint().width() < 200
    window.resize(900, 500)
    window.show()
    qtbot.waitExposed(window)
    assert window.width() <= 900
    assert window.database_status.text() == long == window.database_status.toolTip()


@pytest.mark.parametrize("locale_name", ["C", "en_GB", "en_US", "de_DE"])
def test_the_report_writes_dates_as_the_screens_show_them(locale_name: str) -> None:
    """One date format in the app: the report used ISO in the C locale and the locale's
    two-digit-year short format elsewhere, while lists and forms show a four-digit year."""
    from datetime import UTC, datetime

    from PySide6.QtCore import QDate, QDateTime, QLocale

    from compost_desktop.presentation.formats import datetime_format, day_text
    from compost_desktop.reports.document import ReportFormat

    loc = QLocale(locale_name)
    report = ReportFormat(loc)
    day = date(2026, 11, 24)
    assert report.day(day) == day_text(day, loc)
    assert "2026" in report.day(QDate(2026, 11, 24))
    moment = datetime(2026, 11, 24, 9, 5, tzinfo=UTC)
    shown = loc.toString(
        QDateTime.fromMSecsSinceEpoch(int(moment.timestamp() * 1000)).toLocalTime(),
        datetime_format(loc),
    )
    assert report.when(moment, zone=False) == shown


def test_the_window_fits_a_1366x768_screen_at_150_percent(
    qtbot: QtBot, ctx: AppContext, big_font: object
) -> None:
    """910×512 px at 150 %, less a taskbar: the window's minimum was 800×560, taller
    than the screen, so its bottom and status bar were off-screen."""
    from compost_desktop.gui.app import build_window

    window = build_window(ctx, "/tmp/log")
    qtbot.addWidget(window)
    window.build_all_pages()
    window.resize(910, 470)
    window.show()
    qtbot.waitExposed(window)
    assert window.width() <= 910 and window.height() <= 470


def test_the_sync_button_gives_way_and_keeps_its_text_in_the_tooltip(
    qtbot: QtBot, big_font: object
) -> None:
    from compost_desktop.gui.elided import ElidedButton

    window = MainWindow("Database", "/tmp/log")
    qtbot.addWidget(window)
    text = "Sync: receiving 412,000 of 1,000,000 readings from the farm's server…"
    button = ElidedButton(text)
    button.setToolTip("Click to sync now (F5)")
    window.statusBar().addWidget(button)
    window.on_database_state("PostgreSQL compost@farm-server — ready", True)
    window.resize(640, 400)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: button.shown_text() != text)
    assert button.shown_text().endswith("…")
    assert button.geometry().right() <= window.width()
    assert button.text() == text
    assert button.toolTip() == f"{text}\nClick to sync now (F5)"


def test_the_cycle_overview_fits_a_narrow_page(
    qtbot: QtBot, ctx: AppContext, store: Store, big_font: object
) -> None:
    """At 150 % on 1366×768 the overview hid its inputs table off to the right, and a long
    cycle name was cut off in the title with no way to read it."""
    name = "Bay 4 – Woody overs and garden waste, autumn trial"
    cycle = store.save_cycle(CycleDraft(name, date(2026, 10, 21)))
    page = CyclesPage(ctx)
    qtbot.addWidget(page)
    page.resize(760, 480)
    page.show()
    qtbot.waitExposed(page)
    page.open_cycle(cycle.id)
    detail = page.detail
    qtbot.waitUntil(detail.columns.is_single_column)
    sideways = detail.ui.overview_scroll.horizontalScrollBar()
    qtbot.waitUntil(lambda: sideways.maximum() == 0)
    title = detail.ui.title_label
    assert title.text() == name == title.toolTip()
    assert title.geometry().right() < detail.ui.report_button.geometry().left()


def test_the_input_dialog_shows_the_material_it_is_for(
    qtbot: QtBot, ctx: AppContext, store: Store
) -> None:
    """The Input dialog's fixed columns left the material field about 40 px: "K…"."""
    from compost_desktop.gui.cycles.detail import InputDialog

    dialog = InputDialog(ctx, store.materials())
    qtbot.addWidget(dialog)
    dialog.row.material.setCurrentText("Horse manure with straw bedding")
    dialog.show()
    qtbot.waitExposed(dialog)
    combo = dialog.row.material
    assert combo.width() >= combo.fontMetrics().horizontalAdvance("Horse manure with straw")


def test_the_delivery_time_fits_its_column_in_the_cycle_form(
    qtbot: QtBot, ctx: AppContext, big_font: object
) -> None:
    """At 150 % the Delivered column was as wide as its header: "4 12 20…"."""
    from compost_desktop.gui.app import create_app
    from compost_desktop.gui.cycles.cycle_dialog import CycleDialog

    create_app([])  # the app's input guard, which gives date fields the app's format
    dialog = CycleDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.resize(850, 480)
    dialog.show()
    qtbot.waitExposed(dialog)
    when = dialog.input_form.rows[0].when
    text = when.lineEdit().text() if when.lineEdit() is not None else when.text()
    assert when.width() >= when.fontMetrics().horizontalAdvance(text) + 20
