"""The new-cycle dialog driven like a person would: typed rows, live C:N, dates, save."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDoubleSpinBox
from pytestqt.qtbot import QtBot
from sqlalchemy.exc import OperationalError

from compost_desktop.gui.context import AppContext
from compost_desktop.gui.cycles.cycle_dialog import CycleDialog
from compost_desktop.gui.cycles.input_form import InputRowEditor
from compost_desktop.services.store import Store

# The offscreen platform cannot raise windows or grab the keyboard for completer popups.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def type_amount(qtbot: QtBot, box: QDoubleSpinBox, text: str) -> None:
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), text)


def fill_row(qtbot: QtBot, row: InputRowEditor, material: str, amount: str) -> None:
    edit = row.material.lineEdit()
    assert edit is not None  # the material box is editable
    edit.clear()
    qtbot.keyClicks(edit, material)
    type_amount(qtbot, row.amount, amount)


@pytest.fixture
def dialog(qtbot: QtBot, ctx: AppContext) -> CycleDialog:
    d = CycleDialog(ctx)
    qtbot.addWidget(d)
    d.show()
    return d


def test_two_inputs_show_the_briefs_mix_and_the_suggestion_follows_edits(
    qtbot: QtBot, dialog: CycleDialog, store: Store
) -> None:
    qtbot.keyClicks(dialog.ui.name_edit, "Bay 2 spring")
    rows = dialog.input_form.rows
    assert len(rows) == 1  # a blank row to start typing in
    fill_row(qtbot, rows[0], "Kitchen scraps", "10")
    qtbot.mouseClick(dialog.ui.add_row_button, Qt.MouseButton.LeftButton)
    fill_row(qtbot, rows[1], "leaves, sh", "5")  # type-ahead: unique prefix, any case

    assert "C:N 25.9:1" in dialog.indicator.ratio_label.text()
    assert "Moisture 59.3 %" in dialog.indicator.moisture_label.text()
    assert dialog.indicator.estimate_label.isHidden()
    first = dialog.indicator.suggestion_label.text()
    assert first == "In the band (25–30:1): nothing to add."  # as `mix` says
    assert dialog.input_form.estimated_volume_l() == pytest.approx(10 / 0.42 + 5 / 0.12)

    type_amount(qtbot, rows[0].amount, "20")
    assert "C:N 21.3:1" in dialog.indicator.ratio_label.text()
    assert dialog.indicator.suggestion_label.text() == "add 7.2 kg Leaves, shredded to reach 27.5:1"

    qtbot.mouseClick(dialog.indicator.add_button, Qt.MouseButton.LeftButton)
    assert len(dialog.input_form.rows) == 3
    assert dialog.input_form.rows[2].material.currentText() == "Leaves, shredded"
    assert dialog.indicator.analysis is not None
    assert dialog.indicator.analysis.cn_ratio == pytest.approx(27.5, abs=0.05)
    assert "C:N 27.5:1" in dialog.indicator.ratio_label.text()
    assert dialog.indicator.suggestion_label.text().startswith("On target")

    with qtbot.waitSignal(dialog.cycle_saved) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    cycle = store.cycle(saved.args[0])
    assert cycle.name == "Bay 2 spring"
    assert [(i.material_name, round(i.mass_kg, 2)) for i in cycle.inputs][:2] == [
        ("Kitchen scraps", 20.0),
        ("Leaves, shredded", 5.0),
    ]
    assert len(cycle.inputs) == 3
    assert dialog.result() == CycleDialog.DialogCode.Accepted


def test_too_brown_mix_suggests_a_green_and_unreachable_choice_says_why(
    qtbot: QtBot, dialog: CycleDialog
) -> None:
    fill_row(qtbot, dialog.input_form.rows[0], "Straw", "10")
    assert "C:N 80.0:1" in dialog.indicator.ratio_label.text()
    text = dialog.indicator.suggestion_label.text()
    assert text.startswith("add ") and "Chicken manure" in text  # most effective green
    straw = dialog.indicator.suggest_from.findText("Straw (80:1)")
    dialog.indicator.suggest_from.setCurrentIndex(straw)
    assert dialog.indicator.suggestion_label.text().startswith("not reachable with Straw")
    assert not dialog.indicator.add_button.isEnabled()


def test_end_date_before_start_is_refused_as_you_type(qtbot: QtBot, dialog: CycleDialog) -> None:
    fill_row(qtbot, dialog.input_form.rows[0], "Kitchen scraps", "10")
    assert dialog.save_button.isEnabled()
    dialog.ui.start_date.setDate(QDate(2026, 5, 10))
    dialog.ui.end_date.setDate(QDate(2026, 5, 1))
    assert not dialog.save_button.isEnabled()
    assert dialog.ui.date_error.isVisible()
    assert "must be after the start" in dialog.ui.date_error.text()
    dialog.ui.end_date.setDate(QDate(2026, 8, 1))
    assert dialog.save_button.isEnabled()
    assert not dialog.ui.date_error.isVisible()


def test_unknown_material_blocks_save_with_a_reason(qtbot: QtBot, dialog: CycleDialog) -> None:
    fill_row(qtbot, dialog.input_form.rows[0], "Banana peel", "3")
    assert not dialog.save_button.isEnabled()
    assert "'Banana peel' is not in the materials library" in dialog.ui.error_label.text()


def test_a_failed_save_keeps_everything_and_a_retry_adds_no_duplicates(
    qtbot: QtBot, dialog: CycleDialog, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    qtbot.keyClicks(dialog.ui.name_edit, "Bay 3")
    fill_row(qtbot, dialog.input_form.rows[0], "Kitchen scraps", "10")
    dialog.input_form.add_row()
    fill_row(qtbot, dialog.input_form.rows[1], "Straw", "4")
    real_add = store.add_input
    calls = {"n": 0}

    def flaky_add(cycle_id: int, draft: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        return real_add(cycle_id, draft)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "add_input", flaky_add)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert "could not be reached" in dialog.ui.error_label.text()
    assert dialog.ui.name_edit.text() == "Bay 3"
    assert dialog.input_form.rows[1].material.currentText() == "Straw"
    assert not dialog.input_form.rows[0].material.isEnabled()  # saved, kept visible

    with qtbot.waitSignal(dialog.cycle_saved):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    cycles = [c for c in store.cycles() if c.name == "Bay 3"]
    assert len(cycles) == 1
    assert sorted(i.material_name for i in cycles[0].inputs) == ["Kitchen scraps", "Straw"]


def test_edit_keeps_fields_and_converts_volumes(
    qtbot: QtBot, ctx: AppContext, store: Store
) -> None:
    from tests.gui.cycles.conftest import make_cycle

    cid = make_cycle(store, "Bay 4", (("Kitchen scraps", 10),), capacity_l=12000.0)
    dialog = CycleDialog(ctx, store.cycle(cid))
    qtbot.addWidget(dialog)
    assert dialog.ui.name_edit.text() == "Bay 4"
    assert dialog.ui.capacity.value() == 12000
    assert dialog.input_form.rows == []  # existing inputs are edited in the detail view
    assert "C:N 15.0:1" in dialog.indicator.ratio_label.text()
    dialog.ui.current_volume.setValue(8000)
    with qtbot.waitSignal(dialog.cycle_saved):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    saved = store.cycle(cid)
    assert saved.current_volume_l == 8000 and saved.start_date == date(2026, 4, 1)
    assert len(saved.inputs) == 1
