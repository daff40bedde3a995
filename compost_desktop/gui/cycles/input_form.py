"""The waste input form: rows of material, amount by mass or volume, optional overrides.

Each row converts between mass and volume with the material's bulk density and shows
both; the form emits `rows_changed` so the C:N indicator can follow every keystroke.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QLocale, QObject, QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDateTimeEdit,
    QDoubleSpinBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from compost_desktop.domain.mix import MixComponent
from compost_desktop.domain.units import (
    MassUnit,
    VolumeUnit,
    kg_to,
    litres_to,
    to_kg,
    to_litres,
)
from compost_desktop.domain.validation import MAX_INPUT_KG, delivery_warnings
from compost_desktop.gui.cycles.models import number
from compost_desktop.presentation.formats import moment_text, to_qdatetime
from compost_desktop.presentation.palette import ERROR, WARNING
from compost_desktop.services.values import InputDraft, MaterialRecord


@dataclass(frozen=True, slots=True)
class RowValue:
    """What one row says, in metric; `error` explains why it cannot be saved yet."""

    material: MaterialRecord | None
    mass_kg: float | None
    volume_l: float | None  # only when the amount was entered as a volume
    moisture_override: float | None
    nitrogen_override: float | None
    error: str | None
    added_at: datetime | None = None  # None: "now", stamped when it is saved
    warning: str | None = None  # plausible enough to save, but worth a second look

    def component(self) -> MixComponent | None:
        if self.error or self.material is None or not self.mass_kg:
            return None
        m = self.material
        return MixComponent(
            m.name,
            self.mass_kg,
            m.cn_ratio,
            self.nitrogen_override if self.nitrogen_override is not None else m.nitrogen_pct,
            self.moisture_override if self.moisture_override is not None else m.moisture_pct,
        )

    def draft(self) -> InputDraft:
        assert self.material is not None and self.error is None
        return InputDraft(
            self.material.id,
            mass_kg=None if self.volume_l is not None else self.mass_kg,
            volume_l=self.volume_l,
            nitrogen_pct_override=self.nitrogen_override,
            moisture_pct_override=self.moisture_override,
            added_at=self.added_at,
        )


def current_time() -> datetime:
    """The local time with its zone; tests replace it to move the clock."""
    return datetime.now().astimezone()


@dataclass(frozen=True, slots=True)
class DeliveryContext:
    """What a delivery is compared with for plausibility warnings (metric)."""

    capacity_l: float | None = None
    usual_kg: float | None = None


def find_in_library(library: Sequence[MaterialRecord], text: str) -> MaterialRecord | None:
    """Exact name in any case, else the only name starting with what was typed."""
    wanted = text.strip().lower()
    if not wanted:
        return None
    for m in library:
        if m.name.lower() == wanted:
            return m
    prefixed = [m for m in library if m.name.lower().startswith(wanted)]
    return prefixed[0] if len(prefixed) == 1 else None


class InputRowEditor(QObject):
    """The widgets of one row; owned by the table, which holds them as cell widgets."""

    changed = Signal()
    removal_requested = Signal(object)

    def __init__(
        self,
        library: Sequence[MaterialRecord],
        mass_unit: MassUnit,
        volume_unit: VolumeUnit,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._library = list(library)
        self._mass_unit = mass_unit
        self._volume_unit = volume_unit
        self.material = QComboBox(parent)
        self.material.setEditable(True)
        self.material.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        line = self.material.lineEdit()
        assert line is not None  # editable combo
        line.setPlaceholderText("type a material…")
        self._fill_materials()
        self.material.setCurrentIndex(-1)
        self.amount = QDoubleSpinBox(parent)
        self.amount.setDecimals(2)
        self.amount.setRange(0, MAX_INPUT_KG * 10)
        self.amount.setGroupSeparatorShown(True)
        self.unit = QComboBox(parent)
        self.unit.addItem(mass_unit.value, "mass")
        self.unit.addItem(volume_unit.value, "volume")
        self.unit.setToolTip(
            "Enter the amount by mass, or by volume (converted with the bulk density)"
        )
        self.converted = QLabel(parent)
        self.converted.setContentsMargins(4, 0, 4, 0)
        self.moisture = _override_box(parent, 0, 99.9, "Moisture % of wet mass for this delivery")
        self.nitrogen = _override_box(
            parent, 0, 20, "%N of dry matter for this delivery (lab result)"
        )
        self.when = QDateTimeEdit(parent)
        self.when.setCalendarPopup(True)
        self.when.setToolTip(
            "When it was delivered: left as it is, the time the row is saved; change it "
            "for a weighbridge slip typed in later"
        )
        self.when_edited = False
        self.context: Callable[[], DeliveryContext] = DeliveryContext
        self.show_now()
        self.remove = QToolButton(parent)
        self.remove.setText("✕")
        self.remove.setToolTip("Remove this row")
        self.remove.setAutoRaise(True)

        self.material.currentTextChanged.connect(self.on_edited)
        self.amount.valueChanged.connect(self.on_edited)
        self.unit.currentIndexChanged.connect(self.on_edited)
        self.moisture.valueChanged.connect(self.on_edited)
        self.nitrogen.valueChanged.connect(self.on_edited)
        self.when.dateTimeChanged.connect(self.on_when_edited)
        self.remove.clicked.connect(lambda: self.removal_requested.emit(self))
        self.on_edited()

    def _fill_materials(self) -> None:
        names = [m.name for m in self._library]
        self.material.addItems(names)
        completer = QCompleter(names, self.material)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.material.setCompleter(completer)

    def set_library(self, library: Sequence[MaterialRecord]) -> None:
        """A material was added to the library: offer it, keeping what was typed."""
        typed = self.material.currentText()
        with QSignalBlocker(self.material):
            self._library = list(library)
            self.material.clear()
            self._fill_materials()
            self.material.setCurrentText(typed)
        self.on_edited()

    def widgets(self) -> list[QWidget]:
        return [
            self.material,
            self.amount,
            self.unit,
            self.converted,
            self.moisture,
            self.nitrogen,
            self.when,
            self.remove,
        ]

    def show_now(self) -> None:
        """An untouched time follows the clock, so a form left open never stamps a stale time."""
        if self.when_edited:
            return
        with QSignalBlocker(self.when):
            self.when.setDateTime(to_qdatetime(current_time().replace(tzinfo=None, microsecond=0)))

    def set_delivered_at(self, at: datetime) -> None:
        """Show a recorded delivery time (editing an input keeps its time)."""
        local = at.astimezone() if at.tzinfo else at
        with QSignalBlocker(self.when):
            self.when.setDateTime(to_qdatetime(local.replace(tzinfo=None)))
        self.when_edited = True

    @Slot()
    def on_when_edited(self) -> None:
        self.when_edited = True
        self.on_edited()

    def set_values(self, material: str, amount: float, by_volume: bool = False) -> None:
        """Fill the row in display units, as a person would type it."""
        with QSignalBlocker(self.material), QSignalBlocker(self.amount):
            self.material.setCurrentText(material)
            self.amount.setValue(amount)
        self.unit.setCurrentIndex(1 if by_volume else 0)
        self.on_edited()

    @Slot()
    def on_edited(self) -> None:
        self.show_now()
        value = self.value()
        loc = QLocale()
        if value.material is None or value.error:
            self.converted.setText("")
        elif value.volume_l is not None and value.mass_kg is not None:
            self.converted.setText(
                f"= {number(kg_to(value.mass_kg, self._mass_unit), 1, loc)} {self._mass_unit.value}"
            )
        elif value.mass_kg and value.material.density_kg_per_l:
            litres = value.mass_kg / value.material.density_kg_per_l
            self.converted.setText(
                f"= {number(litres_to(litres, self._volume_unit), 1, loc)} "
                f"{self._volume_unit.value}"
            )
        else:
            self.converted.setText("")
        bad = value.error is not None and bool(self.material.currentText().strip())
        self.material.setStyleSheet(f"QComboBox {{ border: 1px solid {ERROR}; }}" if bad else "")
        self.material.setToolTip(value.error or "")
        self.amount.setStyleSheet(
            f"QDoubleSpinBox {{ border: 1px solid {WARNING}; }}" if value.warning else ""
        )
        self.amount.setToolTip(value.warning or "")
        self.changed.emit()

    def value(self) -> RowValue:
        material = find_in_library(self._library, self.material.currentText())
        amount = self.amount.value()
        moisture = self.moisture.value() or None
        nitrogen = self.nitrogen.value() or None
        by_volume = self.unit.currentData() == "volume"
        error: str | None = None
        mass: float | None = None
        volume: float | None = None
        if material is None:
            typed = self.material.currentText().strip()
            error = (
                f"'{typed}' is not in the materials library; pick one from the list, "
                "or add it with New material…"
                if typed
                else "Choose a material."
            )
        elif amount <= 0:
            error = f"Enter how much {material.name} went in."
        elif by_volume:
            volume = to_litres(amount, self._volume_unit)
            if not material.density_kg_per_l:
                error = (
                    f"'{material.name}' has no bulk density in the library, so a volume cannot be "
                    "converted to mass; enter the mass instead."
                )
            else:
                mass = volume * material.density_kg_per_l
        else:
            mass = to_kg(amount, self._mass_unit)
        if mass is not None and mass > MAX_INPUT_KG and error is None:
            error = f"{mass:,.0f} kg in one delivery looks like a typo; check the unit."
        added_at: datetime | None = None
        if self.when_edited:
            picked = self.when.dateTime().toPython()
            assert isinstance(picked, datetime)
            added_at = picked.astimezone()
        warning = None
        if error is None and material is not None:
            ctx = self.context()
            litres = volume
            if litres is None and mass and material.density_kg_per_l:
                litres = mass / material.density_kg_per_l
            found = delivery_warnings(
                mass,
                litres,
                capacity_l=ctx.capacity_l,
                usual_kg=ctx.usual_kg,
                added_at=added_at,
                now=current_time(),
            )
            warning = " ".join(found) or None
        return RowValue(material, mass, volume, moisture, nitrogen, error, added_at, warning)


def _override_box(parent: QWidget, low: float, high: float, tip: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox(parent)
    box.setRange(low, high)
    box.setDecimals(1)
    box.setSpecialValueText("library")
    box.setToolTip(f"{tip}; leave at 'library' to use the library value")
    return box


class InputForm(QWidget):
    """A table of input rows; `rows_changed` fires on any edit, add or removal."""

    rows_changed = Signal()

    COLUMNS = ("Material", "Amount", "Unit", "Converted", "Moisture %", "%N dry", "Delivered", "")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._library: list[MaterialRecord] = []
        self._mass_unit = MassUnit.KG
        self._volume_unit = VolumeUnit.LITRE
        self.rows: list[InputRowEditor] = []
        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col, width in ((1, 100), (2, 56), (3, 90), (4, 80), (5, 70), (7, 30)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
            self.table.setColumnWidth(col, width)
        # The delivery time as the app writes it, plus the field's arrow: sized to its cells'
        # editors, not to the header ("4 12 20…" at 150 %: ResizeToContents ignores editors).
        longest = moment_text(datetime(2026, 12, 28, 23, 58))
        header.setSectionResizeMode(6, QHeaderView.ResizeMode.Fixed)
        self.table.setColumnWidth(6, self.table.fontMetrics().horizontalAdvance(longest) + 48)
        self.delivery_context: Callable[[], DeliveryContext] = DeliveryContext
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)

    def set_units(self, mass_unit: MassUnit, volume_unit: VolumeUnit) -> None:
        self._mass_unit, self._volume_unit = mass_unit, volume_unit

    def set_library(self, materials: Sequence[MaterialRecord]) -> None:
        self._library = list(materials)
        for row in self.rows:
            row.set_library(self._library)

    def add_row(self, material: str = "", amount: float | None = None) -> InputRowEditor:
        """A new row; with `amount` (in the display mass unit) it arrives filled in."""
        editor = InputRowEditor(self._library, self._mass_unit, self._volume_unit, self.table)
        editor.context = lambda: self.delivery_context()
        row = self.table.rowCount()
        self.table.insertRow(row)
        for col, widget in enumerate(editor.widgets()):
            self.table.setCellWidget(row, col, widget)
        self.rows.append(editor)
        if material or amount is not None:
            editor.set_values(material, amount or 0.0)
        editor.changed.connect(self.rows_changed)
        editor.removal_requested.connect(self.on_removal_requested)
        self.rows_changed.emit()
        return editor

    def add_kg(self, material: MaterialRecord, kg: float) -> InputRowEditor:
        """Insert a row from a suggestion, which is in kilograms."""
        return self.add_row(material.name, round(kg_to(kg, self._mass_unit), 2))

    @Slot(object)
    def on_removal_requested(self, editor: InputRowEditor) -> None:
        index = self.rows.index(editor)
        self.rows.pop(index)
        self.table.removeRow(index)
        editor.deleteLater()
        self.rows_changed.emit()

    def refresh(self) -> None:
        """Re-judge every row (the bay's capacity changed, say)."""
        for row in self.rows:
            row.on_edited()

    def values(self) -> list[RowValue]:
        return [r.value() for r in self.rows]

    def filled_values(self) -> list[RowValue]:
        """Rows a person started filling; blank rows are ignored on save."""
        return [
            r.value() for r in self.rows if r.material.currentText().strip() or r.amount.value() > 0
        ]

    def components(self) -> list[MixComponent]:
        return [c for c in (v.component() for v in self.values()) if c is not None]

    def estimated_volume_l(self) -> float | None:
        """Sum of the row volumes: entered ones, else mass over bulk density."""
        total, known = 0.0, False
        for v in self.values():
            if v.error or v.material is None:
                continue
            if v.volume_l is not None:
                total, known = total + v.volume_l, True
            elif v.mass_kg and v.material.density_kg_per_l:
                total, known = total + v.mass_kg / v.material.density_kg_per_l, True
        return total if known else None
