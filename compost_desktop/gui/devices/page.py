"""The Devices page: every sensor ever seen, its role, name, place, clock and colour.

Rows are plain `DeviceEntry` objects from the shared registry; edits are saved on the
database thread through the keeper, and every PC and the recorder see them after a sync.
"""

from __future__ import annotations

from typing import Any, Final
from zoneinfo import available_timezones

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QColorDialog,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from compost_desktop.gui.context import AppContext
from compost_desktop.gui.devices.keeper import keeper_for
from compost_desktop.monitoring.registry import (
    ROLE_LABELS,
    DeviceEntry,
    check_timezone,
)
from compost_desktop.presentation.palette import (
    DEVICE_COLOURS,
    ERROR,
    INACTIVE,
    LINE,
    SERIES_FALLBACK,
)

COLUMNS: Final = ("", "Name", "Device", "Role", "Position / depth", "Clock time zone", "Ignored")
FARM_DEFAULT: Final = "Farm default"
ERROR_STYLE: Final = f"color:{ERROR};"
_Index = QModelIndex | QPersistentModelIndex


class DeviceTableModel(QAbstractTableModel):
    """The registry's devices, sorted by id, with their display colours."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[DeviceEntry] = []
        self.colours: dict[str, str] = {}

    def set_entries(self, entries: list[DeviceEntry], colours: dict[str, str]) -> None:
        self.beginResetModel()
        self.entries = sorted(entries, key=lambda e: e.device_id)
        self.colours = colours
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry = self.entries[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return QColor(self.colours.get(entry.device_id, SERIES_FALLBACK))
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 3 and not entry.role_confirmed:
                return "Guessed from the sensor's name: select the device and save to confirm."
            return entry.device_id
        if role == Qt.ItemDataRole.ForegroundRole and entry.ignored:
            return QColor(INACTIVE)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == 1:
            return entry.name or ""
        if column == 2:
            return entry.device_id
        if column == 3:
            return ROLE_LABELS[entry.role] + ("" if entry.role_confirmed else " (guessed)")
        if column == 4:
            return entry.position or ""
        if column == 5:
            return entry.timezone or FARM_DEFAULT
        if column == 6:
            return "ignored" if entry.ignored else ""
        return None


class DevicesPage(QWidget):
    """Manage the registry: select a device, edit it, save."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.keeper = keeper_for(ctx)
        self.current: DeviceEntry | None = None
        self._colour: str | None = None

        intro = QLabel(
            "Every sensor seen on the broker, for the whole farm. Only <b>pile probes</b> "
            "count for the pathogen tracker, the lowest-probe curve and the pile alarms; "
            "ambient air sensors are shown and recorded apart. Roles marked <i>guessed</i> "
            "come from the sensor's name: check them and save."
        )
        intro.setWordWrap(True)
        self.model = DeviceTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(self.on_row_changed)
        self.empty_label = QLabel(
            "No device yet: sensors appear here by themselves when they first send a reading."
        )
        self.empty_label.setWordWrap(True)
        self.confirm_button = QPushButton("Confirm all guessed roles")
        self.confirm_button.clicked.connect(self.on_confirm_all)

        self.form_box = QGroupBox("Selected device")
        self.device_label = QLabel()
        self.device_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.device_label.setWordWrap(True)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. Core, north side")
        self.name_edit.setMaxLength(120)
        self.role_combo = QComboBox()
        for role, text in ROLE_LABELS.items():
            self.role_combo.addItem(text, role.value)
        self.position_edit = QLineEdit()
        self.position_edit.setPlaceholderText("e.g. 1 m deep, centre")
        self.position_edit.setMaxLength(120)
        self.zone_combo = QComboBox()
        self.zone_combo.setEditable(True)
        self.zone_combo.addItem(FARM_DEFAULT)
        self.zone_combo.addItems(sorted(available_timezones()))
        self.zone_combo.setToolTip(
            "The zone of the device's clock: Tasmota at factory settings sends local time "
            "without an offset. Farm default uses the farm's (or this PC's) zone."
        )
        self.ignored_check = QCheckBox("Ignore: hide it, never count it")
        self.colour_button = QPushButton("Choose…")
        self.colour_button.clicked.connect(self.on_choose_colour)
        self.auto_colour_button = QPushButton("Automatic")
        self.auto_colour_button.clicked.connect(self.on_automatic_colour)
        self.colour_swatch = QLabel()
        self.colour_swatch.setFixedSize(28, 18)
        colour_row = QHBoxLayout()
        colour_row.addWidget(self.colour_swatch)
        colour_row.addWidget(self.colour_button)
        colour_row.addWidget(self.auto_colour_button)
        colour_row.addStretch(1)
        self.error_label = QLabel()
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.save_button = QPushButton("Save")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.on_save)
        self.revert_button = QPushButton("Revert")
        self.revert_button.clicked.connect(self.on_revert)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        form = QFormLayout(self.form_box)
        form.addRow("Device:", self.device_label)
        form.addRow("Display name:", self.name_edit)
        form.addRow("Role:", self.role_combo)
        form.addRow("Position / depth:", self.position_edit)
        form.addRow("Clock time zone:", self.zone_combo)
        form.addRow("", self.ignored_check)
        form.addRow("Colour:", colour_row)
        form.addRow(self.error_label)
        form.addRow(buttons)
        self.zone_combo.editTextChanged.connect(self.on_edited)
        self.name_edit.textChanged.connect(self.on_edited)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.empty_label)
        left_layout.addWidget(self.confirm_button)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.form_box)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        self.form_box.setMinimumWidth(380)
        self.form_box.setMaximumWidth(460)
        splitter.setSizes([900, 400])
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(splitter, 1)

        self.keeper.changed.connect(self.on_registry_changed)
        self.on_registry_changed()
        self.keeper.reload()

    # -- slots --

    def on_registry_changed(self) -> None:
        """Show the registry as it is now, keeping the selection."""
        selected = self.current.device_id if self.current is not None else None
        registry = self.keeper.registry
        entries = list(registry.entries.values())
        self.model.set_entries(entries, registry.colours(DEVICE_COLOURS))
        self.empty_label.setVisible(not entries)
        self.confirm_button.setEnabled(any(not e.role_confirmed for e in entries))
        row = next((i for i, e in enumerate(self.model.entries) if e.device_id == selected), 0)
        if self.model.entries:
            self.table.selectRow(row)
            self._show(self.model.entries[row], keep_edits=selected is not None)
        else:
            self._show(None)

    def on_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid() and current.row() < len(self.model.entries):
            self._show(self.model.entries[current.row()])

    def on_edited(self) -> None:
        """Validate as the user types."""
        self.error_label.setText(self._problem() or "")
        self.save_button.setEnabled(self.current is not None and self._problem() is None)

    def on_choose_colour(self) -> None:
        start = QColor(self._colour or self.model.colours.get(self._device_id(), DEVICE_COLOURS[0]))
        chosen = QColorDialog.getColor(start, self, "Device colour")
        if chosen.isValid():
            self._set_colour(chosen.name())

    def on_automatic_colour(self) -> None:
        self._set_colour(None)

    def on_save(self) -> None:
        entry = self.current
        if entry is None or self._problem() is not None:
            return
        zone = self.zone_combo.currentText().strip()
        changes = {
            "name": self.name_edit.text(),
            "role": self.role_combo.currentData(),
            "position": self.position_edit.text(),
            "timezone": "" if zone in ("", FARM_DEFAULT) else zone,
            "ignored": self.ignored_check.isChecked(),
            "colour": self._colour or "",
        }
        self.save_button.setEnabled(False)
        self.keeper.update(entry.device_id, changes, self.on_saved, self.on_save_failed)

    def on_saved(self, entry: DeviceEntry) -> None:
        self.error_label.setText("")
        self._show(entry)

    def on_save_failed(self, error: BaseException) -> None:
        self.error_label.setText(f"Not saved: {error}")
        self.save_button.setEnabled(True)

    def on_revert(self) -> None:
        self._show(self.current)

    def on_confirm_all(self) -> None:
        """Accept every guessed role as it is."""
        for entry in list(self.keeper.registry.entries.values()):
            if not entry.role_confirmed:
                self.keeper.update(entry.device_id, {"role": entry.role.value})

    # -- helpers --

    def _device_id(self) -> str:
        return self.current.device_id if self.current is not None else ""

    def _problem(self) -> str | None:
        zone = self.zone_combo.currentText().strip()
        if zone and zone != FARM_DEFAULT:
            try:
                check_timezone(zone)
            except ValueError as exc:
                return str(exc)
        return None

    def _set_colour(self, colour: str | None) -> None:
        self._colour = colour
        shown = colour or self.model.colours.get(self._device_id(), SERIES_FALLBACK)
        self.colour_swatch.setStyleSheet(f"background:{shown}; border:1px solid {LINE};")
        self.colour_swatch.setToolTip(f"{shown}{'' if colour else ' (automatic)'}")
        self.auto_colour_button.setEnabled(colour is not None)

    def _show(self, entry: DeviceEntry | None, keep_edits: bool = False) -> None:
        if keep_edits and entry is not None and self.current == entry:
            return  # the same row unchanged: keep what the user is typing
        self.current = entry
        self.form_box.setEnabled(entry is not None)
        if entry is None:
            self.device_label.setText("")
            return
        self.device_label.setText(entry.device_id)
        self.name_edit.setText(entry.name or "")
        self.role_combo.setCurrentIndex(max(self.role_combo.findData(entry.role.value), 0))
        self.position_edit.setText(entry.position or "")
        self.zone_combo.setEditText(entry.timezone or FARM_DEFAULT)
        self.ignored_check.setChecked(entry.ignored)
        self._set_colour(entry.colour)
        self.on_edited()
