"""The cycle's hand-probe readings as a list, to add more and to take back a mistyped one."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from compost_desktop.domain.units import TemperatureUnit, celsius_to
from compost_desktop.gui.context import CYCLES, READINGS, AppContext
from compost_desktop.gui.cycles.manual_reading_dialog import ManualReadingDialog
from compost_desktop.presentation.formats import moment_text
from compost_desktop.presentation.palette import ERROR, MUTED_TEXT
from compost_desktop.services.manual_readings import (
    ManualReadingRecord,
    delete_manual_reading,
    manual_readings,
)

_Index = QModelIndex | QPersistentModelIndex


class ManualColumn(IntEnum):
    WHEN = 0
    POSITION = 1
    TEMPERATURE = 2
    MOISTURE = 3
    NOTES = 4


class ManualReadingTableModel(QAbstractTableModel):
    """Plain hand-reading records; sorting is left to a proxy."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.records: list[ManualReadingRecord] = []
        self.unit = TemperatureUnit.CELSIUS

    def set_records(self, records: list[ManualReadingRecord], unit: TemperatureUnit) -> None:
        self.beginResetModel()
        self.records, self.unit = records, unit
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(ManualColumn)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return {
            ManualColumn.WHEN: "Taken",
            ManualColumn.POSITION: "Position",
            ManualColumn.TEMPERATURE: f"Temperature ({self.unit.value})",
            ManualColumn.MOISTURE: "Moisture %",
            ManualColumn.NOTES: "Notes",
        }[ManualColumn(section)]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        record = self.records[index.row()]
        column = ManualColumn(index.column())
        if role == Qt.ItemDataRole.UserRole:  # sort key
            return _sort_key(record, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (
            ManualColumn.TEMPERATURE,
            ManualColumn.MOISTURE,
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        loc = QLocale()
        match column:
            case ManualColumn.WHEN:
                return moment_text(record.measured_at, loc)
            case ManualColumn.POSITION:
                return record.position
            case ManualColumn.TEMPERATURE:
                if record.temperature_c is None:
                    return "—"
                return loc.toString(celsius_to(record.temperature_c, self.unit), "f", 1)
            case ManualColumn.MOISTURE:
                if record.moisture_pct is None:
                    return "—"
                return loc.toString(record.moisture_pct, "f", 1)
            case ManualColumn.NOTES:
                return record.notes or ""


def _sort_key(record: ManualReadingRecord, column: ManualColumn) -> Any:
    match column:
        case ManualColumn.WHEN:
            return record.measured_at.timestamp()
        case ManualColumn.POSITION:
            return record.position.casefold()
        case ManualColumn.TEMPERATURE:
            return -1e9 if record.temperature_c is None else record.temperature_c
        case ManualColumn.MOISTURE:
            return -1e9 if record.moisture_pct is None else record.moisture_pct
        case ManualColumn.NOTES:
            return (record.notes or "").casefold()


class ManualReadingsView(QWidget):
    """List, add and delete a cycle's hand readings; the charts pick up changes via the bus."""

    reading_deleted = Signal(object)  # ManualReadingRecord

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.cycle_id: int | None = None
        self._request = 0
        self.model = ManualReadingTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(ManualColumn.WHEN, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.add_button = QPushButton("Add &hand reading…", self)
        self.add_button.setToolTip("Record readings taken with a hand probe (Ctrl+H)")
        self.add_button.setShortcut(QKeySequence("Ctrl+H"))
        self.delete_button = QPushButton("Delete reading", self)
        self.delete_button.setEnabled(False)
        self.message_label = QLabel(self)
        self.message_label.setWordWrap(True)

        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.message_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.table)

        self.add_button.clicked.connect(self.on_add_clicked)
        self.delete_button.clicked.connect(self.on_delete_clicked)
        self.table.selectionModel().selectionChanged.connect(self.on_selection_changed)
        ctx.bus.changed.connect(self.on_data_changed)

    def show_cycle(self, cycle_id: int) -> None:
        self.cycle_id = cycle_id
        self.reload()

    def reload(self) -> None:
        store, cycle_id = self.ctx.store, self.cycle_id
        if store is None or cycle_id is None:
            return
        self._request += 1
        token, engine = self._request, store.reader
        self.ctx.runner.submit(
            lambda: manual_readings(engine, cycle_id),
            lambda records: self.on_loaded(token, records),
            self.on_failed,
        )

    def on_loaded(self, token: int, records: list[ManualReadingRecord]) -> None:
        if token != self._request:
            return
        self.model.set_records(records, self.ctx.settings.units.temperature)
        self._say("" if records else "No hand readings yet.")
        self.on_selection_changed()

    @Slot(object)
    def on_failed(self, exc: BaseException) -> None:
        self._say(str(exc), error=True)

    @Slot(object)
    def on_data_changed(self, kinds: frozenset[str]) -> None:
        if kinds & {READINGS, CYCLES}:
            self.reload()

    def selected(self) -> ManualReadingRecord | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.records[self.proxy.mapToSource(rows[0]).row()]

    @Slot()
    def on_selection_changed(self) -> None:
        self.delete_button.setEnabled(self.selected() is not None)

    @Slot()
    def on_add_clicked(self) -> None:
        if self.cycle_id is None:
            return
        dialog = ManualReadingDialog(self.ctx, self.cycle_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    @Slot()
    def on_delete_clicked(self) -> None:
        record, store = self.selected(), self.ctx.store
        if record is None or store is None:
            return
        answer = QMessageBox.question(
            self,
            "Delete hand reading",
            f"Delete the hand reading at “{record.position}” taken "
            f"{self.model.data(self.proxy.mapToSource(self.table.currentIndex()).siblingAtColumn(0))}?",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        engine = store.engine
        self.ctx.runner.submit(
            lambda: delete_manual_reading(
                engine, record.cycle_id, record.measured_at, record.position
            ),
            self.reading_deleted.emit,
            self.on_failed,
            changes=frozenset({READINGS}),
        )

    def _say(self, text: str, error: bool = False) -> None:
        self.message_label.setText(text)
        self.message_label.setStyleSheet(f"color: {ERROR};" if error else f"color: {MUTED_TEXT};")
