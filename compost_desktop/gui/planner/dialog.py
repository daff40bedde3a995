""" "Plan a pile…": feedstocks on hand → the recipe that hits C:N and moisture, as you type.

The solve is `domain.planner.plan` (about 1–2 ms for 8 feedstocks, `bench_planner`), so it
runs on the GUI thread on every edit; only the library load goes to the database thread.
"Create cycle from plan" opens the new-cycle dialog filled with the planned deliveries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QLocale, QObject, QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from compost_desktop.domain.mix import moisture_status
from compost_desktop.domain.planner import (
    DEFAULT_MOISTURE_PCT,
    Feedstock,
    Plan,
    PlanRequest,
    plan,
)
from compost_desktop.domain.states import Closeness
from compost_desktop.domain.units import (
    STANDARD_UNITS,
    AmountUnit,
    VolumeUnit,
    find_unit,
    format_farm_units,
    litres_to,
    parse_farm_units,
)
from compost_desktop.domain.validation import ValidationError
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.cycles.cn_indicator import CnScale
from compost_desktop.gui.cycles.cycle_dialog import CycleDialog
from compost_desktop.gui.cycles.models import number
from compost_desktop.gui.screen import ColumnFitter
from compost_desktop.presentation.palette import CLOSENESS_COLOURS, ERROR
from compost_desktop.presentation.words import MOISTURE_TEXT
from compost_desktop.services.values import MaterialRecord

USES = (
    ("fixed", "Fixed amount", "Exactly this much goes in (e.g. all 40 t of food waste)"),
    ("stock", "Up to (stock)", "Use as much as the targets need, at most this much"),
    ("max", "As much as possible", "Process as much as the others allow, at most this much"),
    ("needed", "As needed", "Use whatever the targets need; no limit"),
)


@dataclass(frozen=True, slots=True)
class RowState:
    """What one row says: the feedstock for the planner, or why it cannot be planned yet."""

    material: MaterialRecord | None
    feedstock: Feedstock | None
    unit: AmountUnit
    error: str | None


class FeedstockRow(QObject):
    """The widgets of one feedstock row; owned by the table as cell widgets."""

    changed = Signal()
    removal_requested = Signal(object)

    def __init__(
        self, library: Sequence[MaterialRecord], units: Sequence[AmountUnit], parent: QWidget
    ) -> None:
        super().__init__(parent)
        self._library = list(library)
        self._units = list(units)
        self.material = QComboBox(parent)
        self.material.addItem("choose…", None)
        for m in self._library:
            self.material.addItem(m.name, m.id)
        self.use = QComboBox(parent)
        for key, label, tip in USES:
            self.use.addItem(label, key)
            self.use.setItemData(self.use.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.amount = QDoubleSpinBox(parent)
        self.amount.setRange(0, 10_000_000)
        self.amount.setDecimals(2)
        self.amount.setGroupSeparatorShown(True)
        self.unit = QComboBox(parent)
        self.set_units(self._units)
        self.planned = QLabel(parent)
        self.planned.setContentsMargins(4, 0, 4, 0)
        self.planned.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.remove = QToolButton(parent)
        self.remove.setText("✕")
        self.remove.setToolTip("Remove this feedstock")
        self.remove.setAutoRaise(True)
        self.material.currentIndexChanged.connect(self.on_material_changed)
        self.use.currentIndexChanged.connect(self.on_edited)
        self.amount.valueChanged.connect(self.on_edited)
        self.unit.currentIndexChanged.connect(self.on_edited)
        self.remove.clicked.connect(lambda: self.removal_requested.emit(self))
        self.on_edited()

    def widgets(self) -> list[QWidget]:
        return [self.material, self.use, self.amount, self.unit, self.planned, self.remove]

    def set_units(self, units: Sequence[AmountUnit]) -> None:
        self._units = list(units)
        current = self.unit.currentText() or "t"
        with QSignalBlocker(self.unit):
            self.unit.clear()
            for u in self._units:
                self.unit.addItem(u.name)
            self.unit.setCurrentIndex(max(0, self.unit.findText(current)))

    def set_values(self, material: str, use: str, amount: float = 0.0, unit: str = "t") -> None:
        """Fill the row as a person would (tests, and a material picked from stock)."""
        with QSignalBlocker(self.material), QSignalBlocker(self.use), QSignalBlocker(self.amount):
            self.material.setCurrentIndex(max(0, self.material.findText(material)))
            self.use.setCurrentIndex(max(0, self.use.findData(use)))
            self.unit.setCurrentIndex(max(0, self.unit.findText(unit)))
            self.amount.setValue(amount)
        self.on_edited()

    @Slot()
    def on_material_changed(self) -> None:
        m = self.selected_material()
        if m is not None and m.stock_kg is not None and self.amount.value() == 0:
            # Counted stock on the materials page: offer it as the limit, in tonnes.
            with QSignalBlocker(self.use), QSignalBlocker(self.amount), QSignalBlocker(self.unit):
                self.use.setCurrentIndex(self.use.findData("stock"))
                self.unit.setCurrentIndex(max(0, self.unit.findText("t")))
                self.amount.setValue(round(m.stock_kg / 1000, 2))
        self.on_edited()

    @Slot()
    def on_edited(self) -> None:
        self.amount.setEnabled(self.use.currentData() != "needed")
        state = self.state()
        bad = state.error is not None and self.material.currentIndex() > 0
        self.material.setStyleSheet(f"QComboBox {{ border: 1px solid {ERROR}; }}" if bad else "")
        self.material.setToolTip(state.error or "")
        self.changed.emit()

    def selected_material(self) -> MaterialRecord | None:
        mid = self.material.currentData()
        return next((m for m in self._library if m.id == mid), None)

    def state(self) -> RowState:
        m = self.selected_material()
        unit = find_unit(self.unit.currentText(), self._units) or STANDARD_UNITS[0]
        if m is None:
            return RowState(None, None, unit, "Choose a material.")
        missing = [
            label
            for label, value in (("%N", m.nitrogen_pct), ("moisture", m.moisture_pct))
            if value is None
        ]
        if missing:
            return RowState(
                m,
                None,
                unit,
                f"{m.name} has no {' or '.join(missing)} in the library; add it on the "
                "Materials page to plan with it.",
            )
        use = self.use.currentData()
        try:
            kg = unit.to_kg(self.amount.value(), m.density_kg_per_l, m.name)
            assert m.nitrogen_pct is not None and m.moisture_pct is not None
            feedstock = Feedstock(
                m.name,
                m.cn_ratio,
                m.nitrogen_pct,
                m.moisture_pct,
                m.density_kg_per_l,
                fixed_kg=kg if use == "fixed" else None,
                max_kg=kg if use == "stock" or (use == "max" and kg > 0) else None,
                maximize=use == "max",
            )
        except ValidationError as exc:
            return RowState(m, None, unit, str(exc))
        if use == "fixed" and kg <= 0:
            return RowState(m, None, unit, f"Enter how much {m.name} goes in.")
        return RowState(m, feedstock, unit, None)


class PlannerDialog(QDialog):
    """Feedstocks, targets and the bay in; the recipe, its C:N, moisture and bay fill out."""

    cycle_dialog_opened = Signal(object)  # the CycleDialog filled from the plan

    COLUMNS = ("Material", "Use", "Amount", "Unit", "Planned", "")  # planned: in the row's unit

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Plan a pile")
        self.ctx = ctx
        self._library: list[MaterialRecord] = []
        self.rows: list[FeedstockRow] = []
        self.plan: Plan | None = None
        self.request: PlanRequest | None = None
        self._volume_unit: VolumeUnit = ctx.settings.units.volume
        self._farm_units = self._parse_farm_units(ctx.settings.units.farm_units) or []
        self._farm_units_changed = False

        feed_box = QGroupBox("Feedstocks on hand", self)
        self.table = QTableWidget(0, len(self.COLUMNS), feed_box)
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # Narrow enough that the whole row fits a 1366×768 screen at 150 % scaling.
        fixed = ((1, 128), (2, 84), (3, 92), (4, 78), (5, 26))
        for col, width in fixed:
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
            self.table.setColumnWidth(col, width)
        # Room to read the material ("Food wa" at 150 %): where that leaves too little for
        # the targets beside it, the dialog puts them below instead (ColumnFitter).
        self.table.setMinimumWidth(sum(w for _c, w in fixed) + 150 + 2 * self.table.frameWidth())
        self.add_button = QPushButton("Add feedstock", feed_box)
        self.farm_units = QLineEdit(format_farm_units(self._farm_units), feed_box)
        self.farm_units.setToolTip(
            "This site's own units, as name = size (m³, L, yd³, kg or t), separated by ';'. "
            "Volumes become kilograms through each material's bulk density."
        )
        self.farm_units_error = QLabel(feed_box)
        self.farm_units_error.setStyleSheet(f"color: {ERROR};")
        units_row = QHBoxLayout()
        units_row.addWidget(QLabel("Farm units:", feed_box))
        units_row.addWidget(self.farm_units, 1)
        units_row.addWidget(self.add_button)
        feed_layout = QVBoxLayout(feed_box)
        feed_layout.addWidget(self.table, 1)
        feed_layout.addLayout(units_row)
        feed_layout.addWidget(self.farm_units_error)

        goal_box = QGroupBox("Targets and bay", self)
        band = ctx.settings.band
        self.target_cn = QDoubleSpinBox(goal_box)
        self.target_cn.setRange(5, 100)
        self.target_cn.setDecimals(1)
        self.target_cn.setValue(band.target)
        self.target_cn.setSuffix(" :1")
        self.target_moisture = QDoubleSpinBox(goal_box)
        self.target_moisture.setRange(30, 75)
        self.target_moisture.setDecimals(1)
        self.target_moisture.setValue(DEFAULT_MOISTURE_PCT)
        self.target_moisture.setSuffix(" %")
        self.capacity = QDoubleSpinBox(goal_box)
        self.capacity.setRange(0, 10_000)
        self.capacity.setDecimals(1)
        self.capacity.setGroupSeparatorShown(True)
        self.capacity.setSuffix(" m³")
        self.capacity.setSpecialValueText("no limit")
        self.capacity.setToolTip("The bay's capacity; the pile's volume comes from bulk density")
        self.water = QCheckBox("Water may be added", goal_box)
        self.water.setChecked(True)
        goal_form = QFormLayout(goal_box)
        goal_form.addRow("C:N target", self.target_cn)
        goal_form.addRow("Moisture target", self.target_moisture)
        goal_form.addRow("Bay capacity", self.capacity)
        goal_form.addRow("", self.water)

        result_box = QGroupBox("Recipe", self)
        self.status_label = QLabel(result_box)
        self.status_label.setWordWrap(True)
        font = self.status_label.font()
        font.setBold(True)
        self.status_label.setFont(font)
        self.ratio_label = QLabel(result_box)
        self.scale = CnScale(result_box)
        self.scale.band = band
        self.moisture_label = QLabel(result_box)
        self.fill = QProgressBar(result_box)
        self.fill.setRange(0, 100)
        self.fill.setFormat("Bay fill %p %")
        self.recipe_label = QLabel(result_box)
        self.recipe_label.setWordWrap(True)
        self.recipe_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        result_layout = QVBoxLayout(result_box)
        result_layout.addWidget(self.status_label)
        result_layout.addWidget(self.ratio_label)
        result_layout.addWidget(self.scale)
        result_layout.addWidget(self.moisture_label)
        result_layout.addWidget(self.fill)
        result_layout.addWidget(self.recipe_label)
        result_layout.addStretch(1)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.create_button = self.buttons.addButton(
            "Create cycle from plan", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.create_button.setToolTip("Open a new cycle with the planned deliveries filled in")

        side_panel = QWidget(self)
        side_panel.setMaximumWidth(330)
        side = QVBoxLayout(side_panel)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(goal_box)
        side.addWidget(result_box, 1)
        # In a scroll area, with the buttons outside it: on 1366×768 at 150 % the dialog is
        # taller and wider than the screen, and Create and Close must stay reachable.
        content = QWidget()
        top = QHBoxLayout(content)
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(feed_box, 3)
        top.addWidget(side_panel, 2)
        scroll = QScrollArea(self)
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.buttons)
        self.columns = ColumnFitter(scroll, top, feed_box, side_panel)

        self.add_button.clicked.connect(self.on_add_clicked)
        self.farm_units.textChanged.connect(self.on_farm_units_changed)
        for box in (self.target_cn, self.target_moisture, self.capacity):
            box.valueChanged.connect(self.replan)
        self.water.toggled.connect(self.replan)
        self.buttons.rejected.connect(self.reject)
        self.create_button.clicked.connect(self.on_create_clicked)
        self.resize(1240, 640)  # the app's input guard fits every dialog to its screen on show
        self.replan()
        self._load_library()

    # --- library and rows ----------------------------------------------------------------

    def _load_library(self) -> None:
        store = self.ctx.store
        if store is None:
            self.status_label.setText("The database is not open yet; materials cannot be chosen.")
            return
        self.ctx.runner.submit(store.materials, self.on_library_loaded, self.on_library_failed)

    @Slot(object)
    def on_library_loaded(self, materials: list[MaterialRecord]) -> None:
        self._library = list(materials)
        if not self.rows:
            self.add_row()

    @Slot(object)
    def on_library_failed(self, exc: BaseException) -> None:
        self.status_label.setText(f"The materials library could not be loaded: {exc}")

    def units(self) -> list[AmountUnit]:
        return [*STANDARD_UNITS, *self._farm_units]

    def add_row(self) -> FeedstockRow:
        row = FeedstockRow(self._library, self.units(), self.table)
        index = self.table.rowCount()
        self.table.insertRow(index)
        for col, widget in enumerate(row.widgets()):
            self.table.setCellWidget(index, col, widget)
        self.rows.append(row)
        row.changed.connect(self.replan)
        row.removal_requested.connect(self.on_removal_requested)
        self.replan()
        return row

    @Slot()
    def on_add_clicked(self) -> None:
        self.add_row().material.setFocus()

    @Slot(object)
    def on_removal_requested(self, row: FeedstockRow) -> None:
        index = self.rows.index(row)
        self.rows.pop(index)
        self.table.removeRow(index)
        row.deleteLater()
        self.replan()

    @staticmethod
    def _parse_farm_units(text: str) -> list[AmountUnit] | None:
        try:
            return parse_farm_units(text)
        except ValidationError:
            return None

    @Slot(str)
    def on_farm_units_changed(self, text: str) -> None:
        try:
            units = parse_farm_units(text)
        except ValidationError as exc:
            self.farm_units_error.setText(str(exc))
            return
        self.farm_units_error.setText("")
        self._farm_units = units
        for row in self.rows:
            row.set_units(self.units())
        self._farm_units_changed = True
        self.replan()

    # --- planning ------------------------------------------------------------------------

    @Slot()
    def replan(self) -> None:
        """Solve again from what the form says; a couple of milliseconds (bench_planner)."""
        self.plan, self.request = None, None
        states = [r.state() for r in self.rows]
        filled = [s for s in states if s.material is not None]
        problem = next((s.error for s in filled if s.error), None)
        if not filled:
            problem = "Add the feedstocks on hand."
        request: PlanRequest | None = None
        if problem is None:
            capacity_m3 = self.capacity.value()
            try:
                request = PlanRequest(
                    tuple(s.feedstock for s in filled if s.feedstock is not None),
                    target_cn=self.target_cn.value(),
                    target_moisture_pct=self.target_moisture.value(),
                    capacity_l=capacity_m3 * 1000 if capacity_m3 > 0 else None,
                    water=self.water.isChecked(),
                )
            except ValidationError as exc:
                problem = str(exc)
        if request is not None:
            self.request = request
            self.plan = plan(request)
        self._show(problem)

    def _show(self, problem: str | None) -> None:
        loc = QLocale()
        p = self.plan
        self.create_button.setEnabled(p is not None and p.total_kg > 0)
        if p is None:
            self.status_label.setText(problem or "")
            self.status_label.setStyleSheet("")
            self.ratio_label.setText("C:N —")
            self.moisture_label.setText("Moisture —")
            self.scale.ratio = None
            self.scale.update()
            self.fill.setValue(0)
            self.fill.setEnabled(False)
            self.recipe_label.setText("")
            for row in self.rows:
                row.planned.setText("")
            return
        colour = CLOSENESS_COLOURS[Closeness.IN_BAND if p.feasible else Closeness.FAR]
        if p.feasible:
            self.status_label.setText("This recipe hits both targets.")
        else:
            self.status_label.setText(f"No recipe hits both targets. {p.reason} Closest recipe:")
        self.status_label.setStyleSheet(f"color: {colour};")
        band = self.ctx.settings.band
        if p.cn_ratio is None:
            self.ratio_label.setText("C:N —")
        else:
            closeness = band.closeness_of(p.cn_ratio)
            self.ratio_label.setText(
                f"C:N {number(p.cn_ratio, 1, loc)}:1 (target {number(self.target_cn.value(), 1, loc)})"
            )
            self.ratio_label.setStyleSheet(f"color: {CLOSENESS_COLOURS[closeness]};")
        self.scale.ratio = p.cn_ratio
        self.scale.update()
        if p.moisture_pct is None:
            self.moisture_label.setText("Moisture —")
        else:
            text, closeness = MOISTURE_TEXT[moisture_status(p.moisture_pct)]
            self.moisture_label.setText(f"Moisture {number(p.moisture_pct, 1, loc)} % — {text}")
            self.moisture_label.setStyleSheet(f"color: {CLOSENESS_COLOURS[closeness]};")
        capacity = self.request.capacity_l if self.request else None
        if capacity and p.volume_l is not None:
            share = p.volume_l / capacity
            self.fill.setEnabled(True)
            self.fill.setValue(min(100, round(100 * share)))
            self.fill.setFormat(f"Bay fill %p % of {number(capacity / 1000, 1, loc)} m³")
        else:
            self.fill.setEnabled(False)
            self.fill.setValue(0)
            self.fill.setFormat("Bay fill: no bay capacity given")
        lines = []
        amounts = iter(p.amounts)
        for row in self.rows:
            state = row.state()
            if state.feedstock is None:
                row.planned.setText("")
                continue
            a = next(amounts)
            in_unit = state.unit.from_kg(a.kg, state.feedstock.density_kg_per_l)
            shown = (
                f"{number(in_unit, 2, loc)} {state.unit.name}"
                if in_unit is not None and state.unit.name != "kg"
                else f"{number(a.kg, 0, loc)} kg"
            )
            # The row's unit is beside it, so the cell holds just the number.
            row.planned.setText(
                number(in_unit, 2, loc) if in_unit is not None else f"{number(a.kg, 0, loc)} kg"
            )
            row.planned.setToolTip(f"{shown} = {number(a.kg, 0, loc)} kg")
            if a.kg > 0:
                lines.append(f"{a.name}: <b>{number(a.kg, 0, loc)} kg</b> ({shown})")
        if p.water_kg > 0:
            lines.append(f"Water: <b>{number(p.water_kg, 0, loc)} L</b>")
        if p.volume_l is not None:
            lines.append(
                f"Pile volume: {number(p.volume_l / 1000, 1, loc)} m³ "
                f"({number(litres_to(p.volume_l, self._volume_unit), 0, loc)} "
                f"{self._volume_unit.value})"
            )
        self.recipe_label.setText("<br>".join(lines))

    def done(self, result: int) -> None:
        """Keep the site's units for next time (written on the worker thread)."""
        if self._farm_units_changed:
            from compost_desktop import settings_store

            settings = self.ctx.settings
            settings.units.farm_units = format_farm_units(self._farm_units)
            self.ctx.runner.submit(lambda: settings_store.save(settings))
            self._farm_units_changed = False
        super().done(result)

    # --- hand-over to the cycle dialog ----------------------------------------------------

    @Slot()
    def on_create_clicked(self) -> None:
        p = self.plan
        if p is None:
            return
        dialog = CycleDialog(self.ctx, parent=self.parentWidget())
        fill_cycle_dialog(dialog, self._library, p, self.request)
        self.cycle_dialog_opened.emit(dialog)
        dialog.setModal(True)
        dialog.open()
        self.accept()


def fill_cycle_dialog(
    dialog: CycleDialog,
    library: Sequence[MaterialRecord],
    p: Plan,
    request: PlanRequest | None,
) -> None:
    """Prefill a new-cycle dialog through its public parts: inputs, capacity and notes."""
    dialog.on_library_loaded(list(library))  # rows need the library before they are added
    for blank in [r for r in dialog.input_form.rows if not r.material.currentText().strip()]:
        dialog.input_form.on_removal_requested(blank)  # the empty row a new cycle starts with
    by_name = {m.name: m for m in library}
    for a in p.amounts:
        material = by_name.get(a.name)
        if material is not None and a.kg > 0:
            dialog.input_form.add_kg(material, a.kg)
    if request is not None and request.capacity_l:
        unit = dialog.ctx.settings.units.volume
        dialog.ui.capacity.setValue(litres_to(request.capacity_l, unit))
    notes = [
        f"Planned with the pile planner: C:N {p.cn_ratio:.1f}, moisture {p.moisture_pct:.1f} %"
        if p.cn_ratio is not None and p.moisture_pct is not None
        else "Planned with the pile planner."
    ]
    if p.water_kg > 0:
        notes.append(f"Add {p.water_kg:,.0f} L of water while mixing.")
    if not p.feasible and p.reason:
        notes.append(f"Closest recipe only: {p.reason}")
    dialog.ui.notes.setPlainText("\n".join(notes))
