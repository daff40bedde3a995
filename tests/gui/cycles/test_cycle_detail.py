"""The cycle detail: lifecycle actions, the confirmed switch, delete with undo, turnings."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from compost_desktop.domain.lifecycle import CycleStatus
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.cycles.page import CyclesPage
from compost_desktop.services.store import Store
from compost_desktop.services.values import InputDraft
from tests.gui.cycles.conftest import make_cycle, material_id
from tests.support.qt import item_at

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def page(qtbot: QtBot, ctx: AppContext) -> CyclesPage:
    p = CyclesPage(ctx)
    qtbot.addWidget(p)
    p.resize(1200, 760)
    p.show()
    return p


def answer(monkeypatch: pytest.MonkeyPatch, button: QMessageBox.StandardButton) -> list[str]:
    asked: list[str] = []

    def question(
        _parent: object, _title: str, text: str, *_a: object
    ) -> QMessageBox.StandardButton:
        asked.append(text)
        return button

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


@pytest.mark.parametrize(
    ("button", "first_after", "second_after"),
    [
        (QMessageBox.StandardButton.Yes, CycleStatus.COMPLETED, CycleStatus.ACTIVE),
        (QMessageBox.StandardButton.Cancel, CycleStatus.ACTIVE, CycleStatus.PLANNING),
    ],
)
def test_activating_a_second_cycle_asks_to_switch(
    qtbot: QtBot,
    page: CyclesPage,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    button: QMessageBox.StandardButton,
    first_after: CycleStatus,
    second_after: CycleStatus,
) -> None:
    first = make_cycle(store, "Bay 1")
    second = make_cycle(store, "Bay 2")
    page.open_cycle(first)
    assert page.detail.ui.activate_button.isEnabled()
    qtbot.mouseClick(page.detail.ui.activate_button, Qt.MouseButton.LeftButton)
    assert store.cycle(first).status is CycleStatus.ACTIVE
    assert page.detail.ui.status_label.text() == "Active"

    asked = answer(monkeypatch, button)
    page.open_cycle(second)
    qtbot.mouseClick(page.detail.ui.activate_button, Qt.MouseButton.LeftButton)
    assert asked and asked[0].startswith("Switch: 'Bay 1' will be completed")
    assert store.cycle(first).status is first_after
    assert store.cycle(second).status is second_after
    assert page.detail.ui.status_label.text() == second_after.label


def test_actions_follow_the_lifecycle(
    qtbot: QtBot, page: CyclesPage, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer(monkeypatch, QMessageBox.StandardButton.Yes)
    cid = make_cycle(store, "Bay 1")
    page.open_cycle(cid)
    ui = page.detail.ui

    def enabled() -> tuple[bool, bool, bool, bool]:
        return (
            ui.activate_button.isEnabled(),
            ui.complete_button.isEnabled(),
            ui.archive_button.isEnabled(),
            ui.edit_button.isEnabled(),
        )

    assert enabled() == (True, False, True, True)
    qtbot.mouseClick(ui.activate_button, Qt.MouseButton.LeftButton)
    assert enabled() == (False, True, False, True)
    qtbot.mouseClick(ui.complete_button, Qt.MouseButton.LeftButton)
    assert store.cycle(cid).status is CycleStatus.COMPLETED
    assert enabled() == (False, False, True, True)
    qtbot.mouseClick(ui.archive_button, Qt.MouseButton.LeftButton)
    assert store.cycle(cid).status is CycleStatus.ARCHIVED
    assert enabled() == (False, False, False, False)
    assert page.model.row_at(0).status is CycleStatus.ARCHIVED  # the list followed


def test_delete_an_input_then_undo_brings_it_back(
    qtbot: QtBot, page: CyclesPage, store: Store
) -> None:
    cid = make_cycle(store, "Bay 1", (("Kitchen scraps", 10),))
    store.add_input(
        cid,
        InputDraft(material_id(store, "Leaves, shredded"), mass_kg=5, moisture_pct_override=45),
    )
    page.open_cycle(cid)
    detail = page.detail
    assert "C:N 25.0:1" in detail.indicator.ratio_label.text()
    table = detail.ui.inputs_table
    assert table.rowCount() == 2
    table.selectRow(1)
    qtbot.mouseClick(detail.ui.delete_input_button, Qt.MouseButton.LeftButton)
    assert [i.material_name for i in store.cycle(cid).inputs] == ["Kitchen scraps"]
    assert table.rowCount() == 1
    assert detail.ui.totals_value.text().startswith("1 delivery: ")
    assert "C:N 15.0:1" in detail.indicator.ratio_label.text()
    assert detail.ui.undo_button.isEnabled()

    detail.activateWindow()
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    inputs = store.cycle(cid).inputs
    assert [(i.material_name, i.mass_kg, i.moisture_pct) for i in inputs] == [
        ("Kitchen scraps", 10.0, 70.0),
        ("Leaves, shredded", 5.0, 45.0),  # the override came back too
    ]
    assert table.rowCount() == 2
    assert detail.ui.totals_value.text().startswith("2 deliveries: ")
    assert "C:N 25.0:1" in detail.indicator.ratio_label.text()
    detail.undo_stack.redo()
    assert len(store.cycle(cid).inputs) == 1


def test_add_this_in_the_detail_stores_the_suggested_input(
    qtbot: QtBot, page: CyclesPage, store: Store
) -> None:
    cid = make_cycle(store, "Bay 1", (("Kitchen scraps", 20), ("Leaves, shredded", 5)))
    page.open_cycle(cid)
    assert page.detail.indicator.suggestion_label.text().startswith("add 7.2 kg Leaves")
    qtbot.mouseClick(page.detail.indicator.add_button, Qt.MouseButton.LeftButton)
    mix = store.mix_of(cid)
    assert mix is not None and mix.cn_ratio == pytest.approx(27.5, abs=0.05)
    assert page.detail.ui.inputs_table.rowCount() == 3


def test_edit_input_and_add_turning(qtbot: QtBot, page: CyclesPage, store: Store) -> None:
    cid = make_cycle(store, "Bay 1", (("Straw", 10),))
    page.open_cycle(cid)
    detail = page.detail
    detail.ui.inputs_table.selectRow(0)
    qtbot.mouseClick(detail.ui.edit_input_button, Qt.MouseButton.LeftButton)
    dialog = detail.input_dialog
    assert dialog.row.material.currentText() == "Straw"
    dialog.row.amount.setValue(500)
    dialog.row.unit.setCurrentIndex(1)  # litres: 500 L of straw at 120 kg/m³
    assert dialog.row.converted.text() == "= 60.0 kg"
    qtbot.mouseClick(
        dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton
    )
    (only,) = store.cycle(cid).inputs
    assert (only.mass_kg, only.volume_l) == (60.0, 500.0)

    qtbot.keyClicks(detail.ui.operator_edit, "Ana")
    qtbot.keyClicks(detail.ui.turning_notes, "turned with loader")
    qtbot.mouseClick(detail.ui.add_turning_button, Qt.MouseButton.LeftButton)
    (turning,) = store.cycle(cid).turnings
    assert (turning.operator, turning.notes) == ("Ana", "turned with loader")
    assert item_at(detail.ui.turnings_table, 0, 1).text() == "Ana"


def test_progress_reports_fill_and_shrinkage_separately(page: CyclesPage, store: Store) -> None:
    cid = make_cycle(
        store,
        "Bay 1",
        start=date(2020, 1, 1),
        end=date(2020, 3, 1),
        capacity_l=10000.0,
        initial_volume_l=8000.0,
        current_volume_l=6000.0,
    )
    page.open_cycle(cid)
    ui = page.detail.ui
    assert ui.time_bar.value() == 100
    assert ui.fill_bar.value() == 80
    assert "shrunk 25 %" in ui.shrinkage_label.text()


def test_report_is_for_the_rule_the_tracker_shows(
    qtbot: QtBot, page: CyclesPage, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from compost_desktop.gui import report as report_module

    opened: list[tuple[int, str]] = []
    monkeypatch.setattr(
        report_module, "open_report", lambda _ctx, cid, rule, _parent: opened.append((cid, rule))
    )
    cid = make_cycle(store, "Bay 1")
    page.open_cycle(cid)
    page.detail.pathogen.set_rule("uk-pas-100")
    qtbot.mouseClick(page.detail.ui.report_button, Qt.MouseButton.LeftButton)
    assert opened == [(cid, "uk-pas-100")]


def test_hand_readings_tab_lists_the_cycle_and_locks_with_the_archive(
    page: CyclesPage, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    from compost_desktop.services.manual_readings import ManualReadingDraft, add_manual_reading

    answer(monkeypatch, QMessageBox.StandardButton.Yes)
    now = datetime.now(UTC)
    start, end = (now - timedelta(days=2)).date(), (now + timedelta(days=60)).date()
    cid = make_cycle(store, "Bay 1", start=start, end=end)
    other = make_cycle(store, "Bay 2", start=start, end=end)
    add_manual_reading(store.engine, ManualReadingDraft(cid, now, "North", 58.0))
    add_manual_reading(store.engine, ManualReadingDraft(other, now, "South", 40.0))
    page.open_cycle(cid)
    detail = page.detail
    detail.ui.tabs.setCurrentWidget(detail.ui.hand_readings_tab)
    assert detail.hand_readings.proxy.rowCount() == 1
    assert detail.hand_readings.proxy.index(0, 1).data() == "North"
    assert detail.add_reading_button.isEnabled()
    store.archive(cid)
    page.open_cycle(cid)
    assert not detail.add_reading_button.isEnabled()
    assert not detail.hand_readings.add_button.isEnabled()
