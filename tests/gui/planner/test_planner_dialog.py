"""'Plan a pile…' driven through its widgets: the recipe follows every edit, then a cycle."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from compost_desktop.gui.app import create_app
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.cycles.cycle_dialog import CycleDialog
from compost_desktop.gui.cycles.page import CyclesPage
from compost_desktop.gui.planner.dialog import PlannerDialog
from compost_desktop.services.store import Store

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def dialog(qtbot: QtBot, ctx: AppContext) -> PlannerDialog:
    create_app([])  # the app's input guard: it fits every dialog to its screen on show
    d = PlannerDialog(ctx)
    qtbot.addWidget(d)
    d.show()
    return d


def test_the_recipe_follows_the_feedstocks_and_hits_both_targets(
    qtbot: QtBot, dialog: PlannerDialog
) -> None:
    assert len(dialog.rows) == 1  # a blank row to start
    assert "Add the feedstocks" in dialog.status_label.text()
    assert not dialog.create_button.isEnabled()
    dialog.rows[0].set_values("Kitchen scraps", "fixed", 2, "t")
    dialog.add_row().set_values("Wood chips", "stock", 3, "t")
    dialog.add_row().set_values("Straw", "needed")
    dialog.target_cn.setValue(30)
    assert dialog.plan is not None and dialog.plan.feasible, dialog.status_label.text()
    assert dialog.status_label.text() == "This recipe hits both targets."
    assert "C:N 30.0:1" in dialog.ratio_label.text()
    assert "Moisture 55.0 %" in dialog.moisture_label.text()
    assert dialog.rows[0].planned.text() == "2.00"  # in the row's unit, t
    assert dialog.create_button.isEnabled()

    # A bay too small for the 2 t of scraps alone: the closest recipe and why.
    dialog.capacity.setValue(3)  # m³; 2 t at 420 kg/m³ is 4.8 m³
    assert dialog.plan is not None and not dialog.plan.feasible
    assert "bay holds" in dialog.status_label.text()
    assert dialog.fill.value() == 100
    dialog.capacity.setValue(40)
    assert dialog.plan.feasible
    assert 0 < dialog.fill.value() < 100

    # Loader units: the farm's bucket, through the bulk density.
    dialog.rows[0].set_values("Kitchen scraps", "fixed", 2, "loader bucket")
    assert dialog.plan.amounts[0].kg == pytest.approx(2 * 1500 * 0.42)


def test_a_material_without_moisture_is_explained(dialog: PlannerDialog, store: Store) -> None:
    from compost_desktop.domain.lifecycle import MaterialKind
    from compost_desktop.services.values import MaterialDraft

    store.save_material(MaterialDraft("Legacy chips", MaterialKind.BROWN, 300))
    dialog.on_library_loaded(store.materials())
    dialog.add_row().set_values("Legacy chips", "needed")
    dialog.rows[0].set_values("Kitchen scraps", "fixed", 100, "kg")
    assert dialog.plan is None
    assert "Legacy chips has no %N or moisture" in dialog.status_label.text()


def test_farm_units_typed_in_the_dialog_are_offered_and_bad_ones_explained(
    dialog: PlannerDialog,
) -> None:
    dialog.farm_units.setText("big bucket = 3 m³; bag = 25 kg")
    assert dialog.rows[0].unit.findText("big bucket") >= 0
    dialog.farm_units.setText("bucket 3")
    assert "name = size" in dialog.farm_units_error.text()
    assert dialog.rows[0].unit.findText("big bucket") >= 0  # the last good list stays
    dialog.reject()  # the site's units are kept for next time
    from compost_desktop import settings_store

    assert settings_store.load().units.farm_units == "big bucket = 3 m³; bag = 25 kg"


def test_stock_counted_on_the_materials_page_is_offered_as_the_limit(
    dialog: PlannerDialog, store: Store
) -> None:
    straw = store.find_material("Straw")
    assert straw is not None
    store.set_stock(straw.id, 1500)
    dialog.on_library_loaded(store.materials())
    row = dialog.add_row()
    row.material.setCurrentIndex(row.material.findText("Straw"))
    assert row.use.currentData() == "stock"
    assert row.amount.value() == 1.5 and row.unit.currentText() == "t"


def test_create_cycle_from_plan_fills_the_new_cycle_dialog_and_saves(
    qtbot: QtBot, ctx: AppContext, store: Store
) -> None:
    page = CyclesPage(ctx)
    qtbot.addWidget(page)
    page.show()
    qtbot.mouseClick(page.plan_button, Qt.MouseButton.LeftButton)
    planner = page.planner
    assert isinstance(planner, PlannerDialog)
    planner.rows[0].set_values("Kitchen scraps", "fixed", 500, "kg")
    planner.add_row().set_values("Straw", "needed")
    planner.add_row().set_values("Wood chips", "needed")
    planner.target_cn.setValue(30)
    planner.capacity.setValue(10)
    assert planner.plan is not None and planner.plan.feasible
    opened: list[CycleDialog] = []
    planner.cycle_dialog_opened.connect(opened.append)
    qtbot.mouseClick(planner.create_button, Qt.MouseButton.LeftButton)
    assert len(opened) == 1
    cycle_dialog = opened[0]
    rows = cycle_dialog.input_form.rows
    used = [a for a in planner.plan.amounts if a.kg > 0]
    assert [r.material.currentText() for r in rows] == [a.name for a in used]
    for row, a in zip(rows, used, strict=True):
        assert row.value().mass_kg == pytest.approx(a.kg, abs=0.01)
    assert cycle_dialog.ui.capacity.value() == pytest.approx(10_000)  # litres, the default unit
    assert "Planned with the pile planner" in cycle_dialog.ui.notes.toPlainText()
    qtbot.keyClicks(cycle_dialog.ui.name_edit, "Bay 3 from plan")
    with qtbot.waitSignal(cycle_dialog.cycle_saved) as saved:
        qtbot.mouseClick(cycle_dialog.save_button, Qt.MouseButton.LeftButton)
    cycle = store.cycle(saved.args[0])
    assert [i.material_name for i in cycle.inputs] == [a.name for a in used]
    mix = store.mix_of(cycle.id)
    assert mix is not None and mix.cn_ratio == pytest.approx(30, abs=0.05)


def test_the_dialog_fits_a_small_screen_with_its_buttons_reachable(
    qtbot: QtBot, ctx: AppContext
) -> None:
    """It asks for 1240×640; on a smaller screen (1366×768 at 150 % is about 910×512) it
    opened past the edges with Close off-screen. Now it fits and its content scrolls."""
    from PySide6.QtGui import QGuiApplication

    create_app([])  # the app's input guard fits dialogs on show, as at a real start
    d = PlannerDialog(ctx)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    avail = QGuiApplication.primaryScreen().availableGeometry()
    assert avail.width() < 1240 or avail.height() < 640, "the test needs a smaller screen"
    assert d.width() <= avail.width() and d.height() <= avail.height()
    assert avail.contains(d.frameGeometry().topLeft())
    close = d.buttons.button(d.buttons.StandardButton.Close)
    assert close.isVisible() and d.rect().contains(close.mapTo(d, close.rect().center()))
