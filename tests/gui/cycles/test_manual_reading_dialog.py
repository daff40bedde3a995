"""The hand-reading form driven from the keyboard, as an operator walking the pile would."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QDoubleSpinBox
from pytestqt.qtbot import QtBot

from compost_desktop.domain.units import TemperatureUnit
from compost_desktop.gui.context import READINGS, AppContext
from compost_desktop.gui.cycles.manual_reading_dialog import ManualReadingDialog
from compost_desktop.presentation.palette import ERROR
from compost_desktop.services.manual_readings import ManualReadingRecord, manual_readings
from compost_desktop.services.store import Store
from tests.gui.cycles.conftest import make_cycle

# The offscreen platform cannot raise windows or grab the keyboard for completer popups.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def cycle_id(store: Store) -> int:
    return make_cycle(store, "Bay 1")


def open_dialog(qtbot: QtBot, ctx: AppContext, cycle_id: int) -> ManualReadingDialog:
    dialog = ManualReadingDialog(ctx, cycle_id)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def type_into(qtbot: QtBot, box: QDoubleSpinBox, text: str) -> None:
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), text)


def fill(
    qtbot: QtBot, dialog: ManualReadingDialog, position: str, temp: str = "", moist: str = ""
) -> None:
    edit = dialog.position.lineEdit()
    assert edit is not None  # the position box is editable
    edit.selectAll()
    qtbot.keyClicks(edit, position)
    if temp:
        type_into(qtbot, dialog.temperature, temp)
    if moist:
        type_into(qtbot, dialog.moisture, moist)


def shown_minute(dialog: ManualReadingDialog) -> datetime:
    when = dialog.when.dateTime().toPython()
    assert isinstance(when, datetime)
    return when.astimezone(UTC)


def test_a_filled_in_reading_is_saved_and_announced(
    qtbot: QtBot, ctx: AppContext, store: Store, cycle_id: int
) -> None:
    dialog = open_dialog(qtbot, ctx, cycle_id)
    assert dialog.windowTitle() == "Add hand reading: Bay 1"
    assert not dialog.save_button.isEnabled()
    assert dialog.message.styleSheet() != f"color: {ERROR};"  # a hint before anything is typed

    fill(qtbot, dialog, "North, 1 m deep", "61.5", "54")
    qtbot.keyClicks(dialog.notes, "steaming")
    assert dialog.save_button.isEnabled() and dialog.message.text() == ""

    changes: list[frozenset[str]] = []
    ctx.bus.changed.connect(changes.append)
    with qtbot.waitSignal(dialog.reading_saved) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    minute = shown_minute(dialog)
    expected = ManualReadingRecord(cycle_id, minute, "North, 1 m deep", 61.5, 54.0, "steaming")
    assert saved.args == [expected]
    assert manual_readings(store.engine, cycle_id) == [expected]
    assert changes == [frozenset({READINGS})]
    assert dialog.result() == ManualReadingDialog.DialogCode.Accepted


def test_what_cannot_be_saved_disables_save_and_says_why(
    qtbot: QtBot, ctx: AppContext, store: Store, cycle_id: int
) -> None:
    dialog = open_dialog(qtbot, ctx, cycle_id)
    fill(qtbot, dialog, "South")
    assert not dialog.save_button.isEnabled()
    assert "nothing was measured" in dialog.message.text()
    assert dialog.message.styleSheet() == f"color: {ERROR};"

    type_into(qtbot, dialog.moisture, "48")
    assert dialog.save_button.isEnabled()

    dialog.when.setDateTime(QDateTime.currentDateTime().addSecs(3600))
    assert not dialog.another_button.isEnabled()
    assert "is in the future" in dialog.message.text()

    dialog.when.setDateTime(QDateTime.fromString("2026-03-30T12:00:00", Qt.DateFormat.ISODate))
    assert "before the cycle started (2026-04-01)" in dialog.message.text()
    assert not dialog.save_button.isEnabled()

    # Enter does not save what is not valid; the entries stay.
    qtbot.keyClick(dialog.moisture.lineEdit(), Qt.Key.Key_Return)
    assert dialog.isVisible() and manual_readings(store.engine, cycle_id) == []


def test_save_and_add_another_keeps_the_time_and_offers_the_positions_used(
    qtbot: QtBot, ctx: AppContext, store: Store, cycle_id: int
) -> None:
    dialog = open_dialog(qtbot, ctx, cycle_id)
    minute = shown_minute(dialog)
    fill(qtbot, dialog, "North, 1 m deep", "61.5")
    qtbot.mouseClick(dialog.another_button, Qt.MouseButton.LeftButton)

    assert dialog.isVisible()
    assert shown_minute(dialog) == minute
    assert dialog.position.currentText() == ""
    assert dialog.temperature.measured() is None and dialog.moisture.measured() is None
    assert "Saved 'North, 1 m deep'" in dialog.message.text()
    assert not dialog.save_button.isEnabled()
    assert [dialog.position.itemText(i) for i in range(dialog.position.count())] == [
        "North, 1 m deep"
    ]

    # The same spot in the same minute again is caught before Save, not by the database.
    fill(qtbot, dialog, "North, 1 m deep", "", "50")
    assert not dialog.save_button.isEnabled()
    assert "already saved" in dialog.message.text()

    fill(qtbot, dialog, "South, 1 m deep", "", "50")
    with qtbot.waitSignal(dialog.reading_saved):
        qtbot.keyClick(dialog.moisture.lineEdit(), Qt.Key.Key_Return)  # Enter saves
    assert [
        (r.position, r.temperature_c, r.moisture_pct)
        for r in manual_readings(store.engine, cycle_id)
    ] == [("North, 1 m deep", 61.5, None), ("South, 1 m deep", None, 50.0)]

    # Positions already used in the cycle are offered the next time, most recent first.
    again = open_dialog(qtbot, ctx, cycle_id)
    offered = [again.position.itemText(i) for i in range(again.position.count())]
    assert sorted(offered) == ["North, 1 m deep", "South, 1 m deep"]


def test_clearing_a_value_means_not_measured_and_esc_cancels(
    qtbot: QtBot, ctx: AppContext, store: Store, cycle_id: int
) -> None:
    dialog = open_dialog(qtbot, ctx, cycle_id)
    fill(qtbot, dialog, "Core", "58", "51")
    dialog.moisture.lineEdit().selectAll()
    qtbot.keyClick(dialog.moisture.lineEdit(), Qt.Key.Key_Backspace)
    assert dialog.moisture.measured() is None
    assert dialog.draft().moisture_pct is None and dialog.draft().temperature_c == 58.0
    assert dialog.save_button.isEnabled()

    qtbot.keyClick(dialog.notes, Qt.Key.Key_Escape)
    assert dialog.result() == ManualReadingDialog.DialogCode.Rejected
    assert manual_readings(store.engine, cycle_id) == []


def test_fahrenheit_is_stored_as_celsius(
    qtbot: QtBot, ctx: AppContext, store: Store, cycle_id: int
) -> None:
    ctx.settings.units.temperature = TemperatureUnit.FAHRENHEIT
    dialog = open_dialog(qtbot, ctx, cycle_id)
    assert dialog.temperature.suffix() == " °F"
    fill(qtbot, dialog, "Core", "149")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert [r.temperature_c for r in manual_readings(store.engine, cycle_id)] == [65.0]


def test_a_failed_save_keeps_the_entries_and_says_why(
    qtbot: QtBot, ctx: AppContext, store: Store, cycle_id: int
) -> None:
    dialog = open_dialog(qtbot, ctx, cycle_id)
    fill(qtbot, dialog, "Core", "58")
    store.archive(cycle_id)  # archived on another screen while the form was open
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert "archived" in dialog.message.text()
    assert dialog.position.currentText() == "Core" and dialog.temperature.value() == 58.0
    assert manual_readings(store.engine, cycle_id) == []


def test_an_archived_cycle_cannot_take_readings(
    qtbot: QtBot, ctx: AppContext, store: Store, cycle_id: int
) -> None:
    store.archive(cycle_id)
    dialog = open_dialog(qtbot, ctx, cycle_id)
    assert "archived" in dialog.message.text()
    fill(qtbot, dialog, "Core", "58")
    assert not dialog.save_button.isEnabled()
