"""Forms an operator fills all day: delivery times, warnings that never block, Escape, names."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox
from pytestqt.qtbot import QtBot

from compost_desktop.gui.context import AppContext
from compost_desktop.gui.cycles import input_form
from compost_desktop.gui.cycles.cycle_dialog import CycleDialog
from compost_desktop.gui.cycles.page import CyclesPage
from compost_desktop.presentation.formats import to_qdatetime
from compost_desktop.services.store import Store
from tests.gui.cycles.conftest import make_cycle
from tests.gui.cycles.test_cycle_dialog import fill_row

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def dialog(qtbot: QtBot, ctx: AppContext) -> CycleDialog:
    d = CycleDialog(ctx)
    qtbot.addWidget(d)
    d.show()
    return d


def test_a_delivery_typed_in_days_later_keeps_its_date(
    qtbot: QtBot, dialog: CycleDialog, store: Store
) -> None:
    qtbot.keyClicks(dialog.ui.name_edit, "Bay 5")
    row = dialog.input_form.rows[0]
    fill_row(qtbot, row, "Straw", "400")
    slip = datetime.now().replace(second=0, microsecond=0) - timedelta(days=3)
    row.when.setDateTime(to_qdatetime(slip))  # what QDateTime(slip) builds
    with qtbot.waitSignal(dialog.cycle_saved) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    (delivery,) = store.cycle(saved.args[0]).inputs
    assert delivery.added_at == slip.astimezone()


def test_an_untouched_delivery_time_is_now_when_the_form_is_used(
    qtbot: QtBot, dialog: CycleDialog, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = datetime.now().astimezone().replace(second=0, microsecond=0) + timedelta(hours=2)
    monkeypatch.setattr(input_form, "current_time", lambda: later, raising=False)
    row = dialog.input_form.rows[0]
    fill_row(qtbot, row, "Straw", "400")  # the form opened two hours ago
    assert row.when.dateTime().toPython() == later.replace(tzinfo=None)
    assert row.value().added_at is None  # stamped when saved


def test_warnings_never_block_a_delivery_far_above_the_bay(
    qtbot: QtBot, dialog: CycleDialog
) -> None:
    qtbot.keyClicks(dialog.ui.name_edit, "Bay 6")
    dialog.ui.capacity.setValue(30_000)  # a 30 m³ bay
    fill_row(qtbot, dialog.input_form.rows[0], "Straw", "40000")  # 40 t of straw, 333 m³
    assert dialog.warning_label.isVisible()
    assert "more than the bay holds" in dialog.warning_label.text()
    assert "capacity of 30.0 m³" in dialog.warning_label.text()
    assert dialog.save_button.isEnabled()


def test_an_empty_name_is_asked_for_and_errors_wait_for_a_touch(
    qtbot: QtBot, dialog: CycleDialog, store: Store
) -> None:
    assert not dialog.name_error.isVisible()
    assert dialog.ui.error_label.text() == ""
    fill_row(qtbot, dialog.input_form.rows[0], "Straw", "40")
    before = len(store.cycles())
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert len(store.cycles()) == before
    assert dialog.isVisible()
    assert dialog.name_error.isVisible()
    assert "Give the cycle a name" in dialog.name_error.text()
    qtbot.keyClicks(dialog.ui.name_edit, "Bay 7")
    assert not dialog.name_error.isVisible()


@pytest.mark.parametrize(("answer", "closed"), [("Cancel", False), ("Discard", True)])
def test_escape_on_a_changed_form_asks_first(
    qtbot: QtBot, dialog: CycleDialog, monkeypatch: pytest.MonkeyPatch, answer: str, closed: bool
) -> None:
    asked: list[str] = []

    def question(_parent: object, title: str, *_a: object) -> QMessageBox.StandardButton:
        asked.append(title)
        return QMessageBox.StandardButton[answer]

    monkeypatch.setattr(QMessageBox, "question", question)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # nothing typed: closes without a question
    assert asked == [] and not dialog.isVisible()
    dialog.show()
    fill_row(qtbot, dialog.input_form.rows[0], "Straw", "40")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert asked == ["Discard changes?"]
    assert dialog.isVisible() is not closed
    assert dialog.input_form.rows[0].material.currentText() == "Straw"


def test_a_missing_material_is_added_from_inside_the_dialog(
    qtbot: QtBot, dialog: CycleDialog, store: Store
) -> None:
    qtbot.keyClicks(dialog.ui.name_edit, "Bay 8")
    fill_row(qtbot, dialog.input_form.rows[0], "Spent hops", "120")
    assert not dialog.save_button.isEnabled()
    qtbot.mouseClick(dialog.new_material_button, Qt.MouseButton.LeftButton)
    material = dialog.material_dialog
    assert material.ui.nameEdit.text() == "Spent hops"
    qtbot.keyClicks(material.ui.cnEdit, "12")
    material.ui.kindCombo.setCurrentIndex(0)
    material.ok_button.click()
    assert store.find_material("Spent hops") is not None
    row = dialog.input_form.rows[0]
    assert row.value().error is None
    assert dialog.ui.name_edit.text() == "Bay 8"  # the form is as it was
    assert dialog.save_button.isEnabled()


def test_input_dialog_warns_of_a_delivery_far_above_the_usual_and_keeps_its_time(
    qtbot: QtBot, ctx: AppContext, store: Store
) -> None:
    cid = make_cycle(store, "Bay 9", (("Straw", 200), ("Straw", 250), ("Straw", 180)))
    page = CyclesPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.open_cycle(cid)
    page.detail.on_add_input_clicked()
    dlg = page.detail.input_dialog
    assert dlg.error_label.text() == ""  # nothing touched, nothing to complain about
    fill_row(qtbot, dlg.row, "Straw", "40000")
    assert "usual delivery" in dlg.error_label.text()
    assert dlg.buttons.button(QDialogButtonBox.StandardButton.Save).isEnabled()


def test_a_hand_reading_above_95_is_questioned_but_saves(
    qtbot: QtBot, ctx: AppContext, store: Store
) -> None:
    from tests.gui.cycles.test_manual_reading_dialog import fill, open_dialog

    dialog = open_dialog(qtbot, ctx, make_cycle(store, "Bay 10"))
    fill(qtbot, dialog, "North", "98")
    assert "outside what a pile reaches" in dialog.message.text()
    assert dialog.save_button.isEnabled()


def test_an_empty_list_says_what_to_do_first(qtbot: QtBot, ctx: AppContext) -> None:
    page = CyclesPage(ctx)
    qtbot.addWidget(page)
    page.show()
    assert page.empty_hint.isVisible()
    text = page.empty_hint.text()
    for step in ("Create a cycle", "Connect the farm server", "Connect the sensors"):
        assert step in text
    assert not page.table.isVisible()


def test_fill_of_the_bay_agrees_with_the_report_and_volumes_show_in_cubic_metres(
    qtbot: QtBot, ctx: AppContext, store: Store
) -> None:
    from compost_desktop.domain.pathogen import PRESETS
    from compost_desktop.domain.units import VolumeUnit
    from compost_desktop.services.report_data import gather_report

    ctx.settings.units.volume = VolumeUnit.CUBIC_METRE
    # 600 kg of wood chips at 300 kg/m³ = 2 m³ in a 12 m³ bay, no initial volume measured.
    cid = make_cycle(store, "Bay 11", (("Wood chips", 600),), capacity_l=12_000.0)
    page = CyclesPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.open_cycle(cid)
    assert page.detail.ui.fill_bar.format() == "17 % of 12.00 m³"
    facts = gather_report(
        store.engine, cid, PRESETS["epa-pfrp-in-vessel"], datetime.now().astimezone()
    ).facts
    assert facts.fill_pct is not None and round(facts.fill_pct) == 17


def test_fahrenheit_reaches_the_report_headline_and_rule(
    qapp: object, ctx: AppContext, store: Store
) -> None:
    from compost_desktop.domain.pathogen import PRESETS
    from compost_desktop.domain.units import TemperatureUnit
    from compost_desktop.reports.document import ReportDocument
    from compost_desktop.services.report_data import gather_report
    from compost_desktop.settings import UnitSettings

    cid = make_cycle(store, "Bay 12")
    store.activate(cid)
    data = gather_report(
        store.engine, cid, PRESETS["epa-pfrp-in-vessel-daily"], datetime.now().astimezone()
    )
    text = ReportDocument(data, UnitSettings(temperature=TemperatureUnit.FAHRENHEIT)).doc
    plain = text.toPlainText()
    assert "131 °F" in plain
    assert "≥ 55 °C" not in plain and "55 °C, on the lowest probe" not in plain  # notes quote °C
    assert "daily hand readings" in plain
