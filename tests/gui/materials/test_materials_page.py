"""The Materials screen driven through its real widgets against a migrated SQLite store."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy.exc import OperationalError

from compost_desktop.domain.lifecycle import MaterialKind
from compost_desktop.gui.context import MATERIALS, AppContext
from compost_desktop.gui.materials.material_dialog import MaterialDialog
from compost_desktop.gui.materials.models import MaterialColumn
from compost_desktop.gui.materials.page import MaterialsPage
from compost_desktop.presentation.palette import ERROR
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleRecord, MaterialDraft

# The offscreen platform says this whenever a top-level window is shown; it is not ours.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def page(qtbot: QtBot, ctx: AppContext) -> MaterialsPage:
    page = MaterialsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()
    return page


def cell(page: MaterialsPage, row: int, column: MaterialColumn) -> str:
    text = page.proxy.index(row, column).data()
    assert isinstance(text, str), text
    return text


def column_texts(page: MaterialsPage, column: MaterialColumn) -> list[str]:
    return [cell(page, r, column) for r in range(page.proxy.rowCount())]


def focus_row(qtbot: QtBot, page: MaterialsPage, name: str) -> None:
    """Select a material the way a user does: search, then the table has the row."""
    page.search.setText(name)
    selected = page.selected_material()
    assert selected is not None
    assert selected.name == name
    page.table.setFocus()
    qtbot.waitUntil(page.table.hasFocus)


def replace_text(qtbot: QtBot, edit: object, text: str) -> None:
    edit.selectAll()  # type: ignore[attr-defined]
    qtbot.keyClicks(edit, text)


def open_dialog(qtbot: QtBot, page: MaterialsPage) -> MaterialDialog:
    """The dialog the page opened, active as it would be on a desktop (keys go to it)."""
    dialog = page.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def test_library_shows_every_value_with_density_in_kg_per_m3(page: MaterialsPage) -> None:
    assert page.proxy.rowCount() == 13
    assert page.count_label.text() == "13 materials"
    straw = column_texts(page, MaterialColumn.NAME).index("Straw")
    assert cell(page, straw, MaterialColumn.KIND) == "Brown"
    assert cell(page, straw, MaterialColumn.CN) == "80"
    assert cell(page, straw, MaterialColumn.NITROGEN) == "0.7"
    assert cell(page, straw, MaterialColumn.MOISTURE) == "12"
    assert cell(page, straw, MaterialColumn.DENSITY) == "120"  # stored as 0.12 kg/L
    assert "NRAES-54" in cell(page, straw, MaterialColumn.SOURCE)


def test_numbers_sort_as_numbers_and_search_filters(page: MaterialsPage) -> None:
    page.table.sortByColumn(MaterialColumn.CN, Qt.SortOrder.AscendingOrder)
    cn = column_texts(page, MaterialColumn.CN)
    assert cn[0] == "6" and cn[-1] == "650"  # text sorting would put "12" before "6"

    page.search.setText("manure")
    assert sorted(column_texts(page, MaterialColumn.NAME)) == [
        "Cattle manure",
        "Chicken manure",
        "Horse manure",
    ]
    assert page.count_label.text() == "3 of 13 materials match the search"
    page.search.setText("brown card")
    assert column_texts(page, MaterialColumn.NAME) == ["Cardboard, corrugated"]


def test_editing_cn_saves_it_and_the_planning_cycle_follows_once_reapplied(
    qtbot: QtBot, page: MaterialsPage, store: Store, spring_cycle: CycleRecord
) -> None:
    before = store.mix_of(spring_cycle.id)
    assert before is not None and round(before.cn_ratio, 1) == 25.9
    focus_row(qtbot, page, "Leaves, shredded")
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    dialog = open_dialog(qtbot, page)
    assert dialog.ui.cnEdit.text() == "54"

    with qtbot.waitSignal(dialog.material_saved) as saved:
        replace_text(qtbot, dialog.ui.cnEdit, "80")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    assert saved.args[0].cn_ratio == 80
    assert not dialog.isVisible()
    leaves = store.find_material("Leaves, shredded")
    assert leaves is not None and leaves.cn_ratio == 80
    # Deliveries keep the values they were mixed with; the page offers the planning cycle.
    assert store.mix_of(spring_cycle.id) == before
    qtbot.waitUntil(lambda: page.reapply_box is not None and page.reapply_box.isVisible())
    box = page.reapply_box
    assert box is not None and "Spring windrow (planning)" in box.text()
    (apply,) = [b for b in box.buttons() if b.text() == "Re-apply"]
    qtbot.mouseClick(apply, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "were applied to Spring windrow" in page.banner.text())
    after = store.mix_of(spring_cycle.id)
    assert after is not None and after.cn_ratio > before.cn_ratio + 3
    selected = page.selected_material()
    assert selected is not None
    assert selected.cn_ratio == 80  # the table reloaded and kept the row


def test_moisture_of_120_disables_save_and_says_why(
    qtbot: QtBot, page: MaterialsPage, store: Store
) -> None:
    focus_row(qtbot, page, "Straw")
    where = page.table.visualRect(page.proxy.index(0, 0)).center()
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=where)
    qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=where)
    dialog = open_dialog(qtbot, page)
    assert dialog.ok_button.isEnabled()

    replace_text(qtbot, dialog.ui.moistureEdit, "120")

    assert not dialog.ok_button.isEnabled()
    assert "below 100 %" in dialog.error_text("moisture_pct")
    assert "120" in dialog.error_text("moisture_pct")
    assert ERROR in dialog.ui.moistureEdit.styleSheet()
    qtbot.keyClick(dialog.ui.moistureEdit, Qt.Key.Key_Return)  # Enter must not save either
    assert dialog.isVisible()
    straw = store.find_material("Straw")
    assert straw is not None and straw.moisture_pct == 12

    replace_text(qtbot, dialog.ui.moistureEdit, "15")
    assert dialog.ok_button.isEnabled()
    assert dialog.error_text("moisture_pct") == ""
    assert dialog.ui.moistureEdit.styleSheet() == ""


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("n_pct", "0", "more than 0"),
        ("cn", "-3", "between 0 and"),
        ("cn", "", "C:N ratio is needed"),
        ("density", "0", "more than 0"),
        ("density", "abc", "not a number"),
        ("name", "", "must not be empty"),
        ("name", "straw", "already exists"),
    ],
)
def test_each_wrong_value_is_explained_and_blocks_save(
    qtbot: QtBot, page: MaterialsPage, field: str, typed: str, message: str
) -> None:
    focus_row(qtbot, page, "Sawdust")
    page.edit_button.click()
    dialog = open_dialog(qtbot, page)
    edit = {
        "n_pct": dialog.ui.nitrogenEdit,
        "cn": dialog.ui.cnEdit,
        "density": dialog.ui.densityEdit,
        "name": dialog.ui.nameEdit,
    }[field]
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, typed)
    assert message in dialog.error_text(field)
    assert not dialog.ok_button.isEnabled()


def test_ctrl_n_adds_a_material_that_appears_selected(
    qtbot: QtBot, page: MaterialsPage, store: Store
) -> None:
    page.table.setFocus()
    qtbot.waitUntil(page.table.hasFocus)
    qtbot.keyClick(page.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = open_dialog(qtbot, page)
    assert dialog.windowTitle() == "New material"
    assert not dialog.ok_button.isEnabled()
    assert dialog.error_text("name") == ""  # untouched fields are not scolded yet

    qtbot.keyClicks(dialog.ui.nameEdit, "Brewery spent grain")
    qtbot.keyClicks(dialog.ui.cnEdit, "12:1")
    qtbot.keyClicks(dialog.ui.nitrogenEdit, "3.5")
    qtbot.keyClicks(dialog.ui.moistureEdit, "78")
    qtbot.keyClicks(dialog.ui.densityEdit, "650")
    qtbot.keyClicks(dialog.ui.sourceEdit, "Lab report 2026-03")
    assert dialog.ok_button.isEnabled()
    qtbot.keyClick(dialog.ui.sourceEdit, Qt.Key.Key_Return)

    grain = store.find_material("Brewery spent grain")
    assert grain is not None
    assert (grain.kind, grain.cn_ratio, grain.density_kg_per_l) == (MaterialKind.GREEN, 12, 0.65)
    assert grain.source == "Lab report 2026-03"
    assert page.selected_material() == grain
    assert page.count_label.text() == "14 materials"


@pytest.mark.log_allowed("^Saving a material failed")
def test_a_failed_save_keeps_the_dialog_and_everything_typed(
    qtbot: QtBot, page: MaterialsPage, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object) -> None:
        raise OperationalError("UPDATE", {}, Exception("server closed the connection"))

    monkeypatch.setattr(store, "save_material", refuse)
    focus_row(qtbot, page, "Straw")
    page.edit_button.click()
    dialog = open_dialog(qtbot, page)
    replace_text(qtbot, dialog.ui.cnEdit, "95")
    replace_text(qtbot, dialog.ui.sourceEdit, "our own lab")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    assert dialog.isVisible()
    assert dialog.ui.cnEdit.text() == "95"
    assert dialog.ui.sourceEdit.text() == "our own lab"
    assert "Not saved" in dialog.ui.formError.text()
    assert "still here" in dialog.ui.formError.text()
    assert dialog.ok_button.isEnabled()  # the user can try again


def test_deleting_a_material_in_use_names_the_cycle_and_keeps_it(
    qtbot: QtBot,
    page: MaterialsPage,
    store: Store,
    spring_cycle: CycleRecord,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []

    def yes(_parent: object, _title: str, text: str, *_args: object) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", yes)
    focus_row(qtbot, page, "Kitchen scraps")
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)

    assert "Delete 'Kitchen scraps'" in asked[0]
    assert page.banner.isVisible()
    assert "used by Spring windrow" in page.banner.text()
    assert "kept" in page.banner.text()
    kitchen = store.find_material("Kitchen scraps")
    assert kitchen is not None
    assert page.model.row_of(kitchen.id) is not None


def test_deleting_an_unused_material_removes_it_after_confirmation(
    qtbot: QtBot, page: MaterialsPage, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "question", lambda *_a: answers.pop(0))
    focus_row(qtbot, page, "Newspaper")

    qtbot.keyClick(page.table, Qt.Key.Key_Delete)  # cancelled: nothing happens
    assert store.find_material("Newspaper") is not None

    with qtbot.waitSignal(page.material_deleted):
        qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    assert store.find_material("Newspaper") is None
    page.search.clear()
    assert "Newspaper" not in column_texts(page, MaterialColumn.NAME)
    assert page.count_label.text() == "12 materials"


def test_changes_made_elsewhere_refresh_the_table(
    qtbot: QtBot, page: MaterialsPage, ctx: AppContext, store: Store
) -> None:
    store.save_material(MaterialDraft("Seaweed", MaterialKind.GREEN, 19, 1.9, 80, 0.6))
    assert "Seaweed" not in column_texts(page, MaterialColumn.NAME)
    with qtbot.waitSignal(page.materials_loaded):
        ctx.bus.changed.emit(frozenset({MATERIALS}))
    assert "Seaweed" in column_texts(page, MaterialColumn.NAME)
