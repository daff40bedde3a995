"""Sync conflicts, shown side by side so the user chooses: keep mine, keep theirs, or merge."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from compost_desktop.gui.context import CYCLES, MATERIALS, AppContext
from compost_desktop.presentation.formats import UnitFormat

if TYPE_CHECKING:
    from compost_desktop.sync.engine import ConflictRecord, SyncEngine

ENTITY_LABELS = {
    "compost_batch": "Cycle",
    "compost_materials": "Material",
    "cycle_waste_input": "Input",
    "cycle_turning": "Turning",
    "alarm_event": "Alarm",
    "farm_setting": "Farm setting",
    "sensor_device": "Device",
}
HIDDEN_FIELDS = {"uuid", "updated_at", "created_at"}
MASS_FIELDS = {"amount_kg", "green_waste_kg", "brown_waste_kg"}
VOLUME_FIELDS = {
    "volume_liters",
    "total_volume_liters",
    "initial_volume_liters",
    "current_volume_liters",
    "capacity_liters",
}
DAY_FIELDS = {"start_date", "projected_end_date"}
TIME_FIELDS = {
    "timestamp",
    "activated_at",
    "completed_at",
    "turned_at",
    "raised_at",
    "cleared_at",
    "acknowledged_at",
}
LABELS = {
    "name": "Name",
    "material_name": "Material",
    "material_type": "Kind",
    "carbon_nitrogen_ratio": "C:N",
    "nitrogen_pct": "N (% of dry matter)",
    "moisture_pct": "Moisture (% of wet mass)",
    "nitrogen_pct_override": "N override (% of dry matter)",
    "moisture_pct_override": "Moisture override (%)",
    "density_kg_per_liter": "Bulk density (kg/L)",
    "amount_kg": "Mass",
    "volume_liters": "Volume",
    "green_waste_kg": "Green total",
    "brown_waste_kg": "Brown total",
    "total_volume_liters": "Total volume",
    "initial_volume_liters": "Initial volume",
    "current_volume_liters": "Current volume",
    "capacity_liters": "Capacity",
    "cn_ratio": "Mix C:N",
    "start_date": "Start date",
    "projected_end_date": "Projected end",
    "status": "Status",
    "notes": "Notes",
    "description": "Description",
    "source": "Source",
    "timestamp": "Added",
    "activated_at": "Activated",
    "completed_at": "Completed",
    "turned_at": "Turned",
    "operator": "Operator",
    "batch_id": "Cycle",
    "material_id": "Library material",
}


def describe(conflict: ConflictRecord) -> str:
    version = conflict.mine or conflict.theirs or {}
    name = version.get("name") or version.get("material_name") or conflict.uuid[:8]
    return f"{ENTITY_LABELS.get(conflict.entity, conflict.entity)} “{name}”: {conflict.reason}"


class ConflictDialog(QDialog):
    """One conflict at a time; the table marks each field that differs, ticked = keep mine."""

    resolved = Signal(int)

    def __init__(self, ctx: AppContext, engine: SyncEngine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.engine = engine
        self.conflicts: list[ConflictRecord] = []
        self.setWindowTitle("Sync conflicts")
        self.resize(820, 480)
        self.list = QListWidget()
        self.explanation = QLabel(
            "While apart, this PC and another one changed the same record. The server kept "
            "the other version, which is what you see now; yours is kept here until you choose."
        )
        self.explanation.setWordWrap(True)
        self.fields = QTableWidget(0, 3)
        self.fields.setHorizontalHeaderLabels(["Field", "Mine (this PC)", "Theirs (server)"])
        self.fields.horizontalHeader().setStretchLastSection(True)
        self.fields.verticalHeader().hide()
        self.keep_mine = QPushButton("Keep &mine")
        self.keep_theirs = QPushButton("Keep &theirs")
        self.merge = QPushButton("&Merge ticked fields")
        self.merge.setToolTip("Ticked fields take my value, the others the server's")
        buttons = QHBoxLayout()
        for b in (self.keep_mine, self.keep_theirs, self.merge):
            buttons.addWidget(b)
        buttons.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        right = QVBoxLayout()
        right.addWidget(self.explanation)
        right.addWidget(self.fields, 1)
        right.addLayout(buttons)
        body = QHBoxLayout()
        body.addWidget(self.list, 1)
        body.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(close)
        self.list.currentRowChanged.connect(self.on_conflict_selected)
        self.keep_mine.clicked.connect(lambda: self.on_choice("mine"))
        self.keep_theirs.clicked.connect(lambda: self.on_choice("theirs"))
        self.merge.clicked.connect(lambda: self.on_choice("merge"))
        self.reload()

    def reload(self) -> None:
        self.ctx.runner.submit(self.engine.conflicts, self.on_loaded)

    def on_loaded(self, conflicts: list[ConflictRecord]) -> None:
        if not conflicts:  # nothing is left to decide
            self.accept()
            return
        self.conflicts = conflicts
        self.list.clear()
        for c in conflicts:
            self.list.addItem(describe(c))
            self.list.item(self.list.count() - 1).setToolTip(describe(c))
        if conflicts:
            self.list.setCurrentRow(0)
        else:
            self.fields.setRowCount(0)
        for b in (self.keep_mine, self.keep_theirs, self.merge):
            b.setEnabled(bool(conflicts))

    @Slot(int)
    def on_conflict_selected(self, row: int) -> None:
        if row < 0 or row >= len(self.conflicts):
            return
        c = self.conflicts[row]
        mine, theirs = c.mine or {}, c.theirs or {}
        shown = UnitFormat(units=self.ctx.settings.units)
        # Only what differs: the rest is the same on both sides and needs no choice.
        names = [
            k
            for k in sorted(set(mine) | set(theirs), key=_order)
            if k not in HIDDEN_FIELDS and mine.get(k) != theirs.get(k)
        ]
        self.fields.setRowCount(len(names))
        for i, name in enumerate(names):
            a, b = mine.get(name), theirs.get(name)
            field = QTableWidgetItem(LABELS.get(name, name.replace("_", " ").capitalize()))
            field.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            field.setCheckState(Qt.CheckState.Checked)
            field.setData(Qt.ItemDataRole.UserRole, name)
            self.fields.setItem(i, 0, field)
            self.fields.setItem(i, 1, QTableWidgetItem(_show(shown, name, a, c.mine is None)))
            self.fields.setItem(i, 2, QTableWidgetItem(_show(shown, name, b, c.theirs is None)))
        self.fields.resizeColumnsToContents()
        self.merge.setEnabled(c.mine is not None and c.theirs is not None)

    def on_choice(self, choice: str) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        c = self.conflicts[row]
        merged: dict[str, Any] | None = None
        if choice == "merge":
            merged = dict(c.theirs or {})
            for i in range(self.fields.rowCount()):
                item = self.fields.item(i, 0)
                assert item is not None  # every row has its field cell
                if item.checkState() == Qt.CheckState.Checked:
                    name = item.data(Qt.ItemDataRole.UserRole)
                    merged[name] = (c.mine or {}).get(name)

        def on_resolved(_: object) -> None:
            self.resolved.emit(c.id)
            self.reload()

        self.ctx.runner.submit(
            lambda: self.engine.resolve(c.id, choice, merged),
            on_resolved,
            lambda exc: self.explanation.setText(f"Could not apply your choice: {exc}"),
            changes=frozenset({CYCLES, MATERIALS}),
        )


def _order(name: str) -> tuple[int, str]:
    keys = list(LABELS)
    return (keys.index(name) if name in keys else len(keys), name)


def _show(shown: UnitFormat, name: str, value: Any, missing: bool) -> str:
    """A value as the user reads it elsewhere: their units, their date format, local time."""
    if missing:
        return "(deleted)"
    if value is None or value == "":
        return "—"
    try:
        if name in MASS_FIELDS:
            return shown.mass(float(value))
        if name in VOLUME_FIELDS:
            return shown.volume(float(value))
        if name in DAY_FIELDS:
            return shown.day(date.fromisoformat(str(value)[:10]))
        if name in TIME_FIELDS:
            return shown.when(datetime.fromisoformat(str(value)))
        if name in ("batch_id", "material_id"):
            return f"another record ({str(value)[:8]})"
        if name == "status":
            return str(value).capitalize()
        if isinstance(value, float):
            return shown.num(value, 3).rstrip("0").rstrip(".,") or "0"
    except (TypeError, ValueError):
        pass
    return str(value)
