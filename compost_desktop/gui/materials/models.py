"""Qt item models for the materials library; they hold plain MaterialRecords, never ORM rows."""

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
)
from PySide6.QtGui import QBrush, QColor

from compost_desktop.domain.lifecycle import MaterialKind
from compost_desktop.presentation.palette import MATERIAL_KIND_COLOURS
from compost_desktop.services.values import MaterialRecord

Index = QModelIndex | QPersistentModelIndex

# Numbers sort as numbers (not as the locale-formatted text) through this role.
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
# The whole record, so views and tests can read what a row stands for.
RECORD_ROLE = Qt.ItemDataRole.UserRole + 2

_KIND_COLOURS = {kind: QColor(colour) for kind, colour in MATERIAL_KIND_COLOURS.items()}


class MaterialColumn(IntEnum):
    """Column order of the materials table; the enum names the columns for code and tests."""

    NAME = 0
    KIND = 1
    CN = 2
    NITROGEN = 3
    MOISTURE = 4
    DENSITY = 5
    SOURCE = 6
    STOCK = 7

    @property
    def title(self) -> str:
        return _TITLES[self]

    @property
    def tooltip(self) -> str:
        return _TOOLTIPS[self]


_TITLES = {
    MaterialColumn.NAME: "Material",
    MaterialColumn.KIND: "Green / brown",
    MaterialColumn.CN: "C:N",
    MaterialColumn.NITROGEN: "N % dry",
    MaterialColumn.MOISTURE: "Moisture %",
    MaterialColumn.DENSITY: "Bulk density kg/m³",
    MaterialColumn.SOURCE: "Source / notes",
    MaterialColumn.STOCK: "In stock kg",
}
_TOOLTIPS = {
    MaterialColumn.NAME: "Name as it appears in the input forms",
    MaterialColumn.KIND: "Green: nitrogen-rich. Brown: carbon-rich.",
    MaterialColumn.CN: "Carbon to nitrogen ratio (x for x:1)",
    MaterialColumn.NITROGEN: "Nitrogen as % of dry matter",
    MaterialColumn.MOISTURE: "Water as % of wet mass",
    MaterialColumn.DENSITY: "Bulk density in kg per cubic metre; converts litres to kilograms",
    MaterialColumn.SOURCE: "Where the values come from, and notes",
    MaterialColumn.STOCK: "In the yard now: the last count less the deliveries logged since "
    "(planned cycles included). Double-click to enter a new count; clear it to stop tracking.",
}

_NUMERIC = {
    MaterialColumn.CN,
    MaterialColumn.NITROGEN,
    MaterialColumn.MOISTURE,
    MaterialColumn.DENSITY,
    MaterialColumn.STOCK,
}


def format_number(value: float | None, decimals: int, locale: QLocale | None = None) -> str:
    """Locale-formatted number without trailing zeros; empty for unknown values."""
    if value is None:
        return ""
    text = (locale or QLocale()).toString(float(value), "f", decimals)
    point = (locale or QLocale()).decimalPoint()
    if point in text:
        text = text.rstrip("0").rstrip(point)
    return text


class MaterialTableModel(QAbstractTableModel):
    """One row per library material, values formatted for the user's locale."""

    # A new stock count typed in the table: material id, kg (None: stop tracking).
    stock_edited = Signal(int, object)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[MaterialRecord] = []
        self._locale = QLocale()

    def set_materials(self, materials: list[MaterialRecord]) -> None:
        """Replace all rows; a full reset is cheap for a library of a few hundred rows."""
        self.beginResetModel()
        self._rows = list(materials)
        self.endResetModel()

    def materials(self) -> list[MaterialRecord]:
        return list(self._rows)

    def material_at(self, row: int) -> MaterialRecord:
        return self._rows[row]

    def row_of(self, material_id: int) -> int | None:
        for row, material in enumerate(self._rows):
            if material.id == material_id:
                return row
        return None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(MaterialColumn)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(MaterialColumn):
            return None
        column = MaterialColumn(section)
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() == MaterialColumn.STOCK:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """A count typed in the stock cell; the page stores it and reloads the library."""
        if role != Qt.ItemDataRole.EditRole or index.column() != MaterialColumn.STOCK:
            return False
        text = str(value or "").strip()
        if not text:
            kg: float | None = None
        else:
            kg, ok = self._locale.toDouble(text)
            if not ok:
                kg, ok = QLocale.c().toDouble(text)
            if not ok or kg < 0:
                return False
        self.stock_edited.emit(self._rows[index.row()].id, kg)
        return True

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        m = self._rows[index.row()]
        column = MaterialColumn(index.column())
        if role == Qt.ItemDataRole.EditRole and column is MaterialColumn.STOCK:
            return format_number(m.stock_kg, 1, self._locale)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(m, column)
        if role == SORT_ROLE:
            return self._sort_key(m, column)
        if role == RECORD_ROLE:
            return m
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column is MaterialColumn.KIND:
            return QBrush(_KIND_COLOURS[m.kind])
        if role == Qt.ItemDataRole.ToolTipRole:
            if column is MaterialColumn.SOURCE:
                return "\n".join(t for t in (m.source, m.description) if t) or None
            if column in (MaterialColumn.NITROGEN, MaterialColumn.MOISTURE) and (
                (m.nitrogen_pct if column is MaterialColumn.NITROGEN else m.moisture_pct) is None
            ):
                return "Unknown: mixes with this material are shown as estimates"
        return None

    def _display(self, m: MaterialRecord, column: MaterialColumn) -> str:
        loc = self._locale
        match column:
            case MaterialColumn.NAME:
                return m.name
            case MaterialColumn.KIND:
                return "Green" if m.kind is MaterialKind.GREEN else "Brown"
            case MaterialColumn.CN:
                return format_number(m.cn_ratio, 1, loc)
            case MaterialColumn.NITROGEN:
                return format_number(m.nitrogen_pct, 2, loc)
            case MaterialColumn.MOISTURE:
                return format_number(m.moisture_pct, 1, loc)
            case MaterialColumn.DENSITY:
                density = None if m.density_kg_per_l is None else m.density_kg_per_l * 1000
                return format_number(density, 0, loc)
            case MaterialColumn.SOURCE:
                return " — ".join(t for t in (m.source, m.description) if t)
            case MaterialColumn.STOCK:
                return format_number(m.stock_kg, 0, loc)

    @staticmethod
    def _sort_key(m: MaterialRecord, column: MaterialColumn) -> Any:
        match column:
            case MaterialColumn.NAME:
                return m.name.casefold()
            case MaterialColumn.KIND:
                return m.kind.value
            case MaterialColumn.CN:
                return m.cn_ratio
            case MaterialColumn.NITROGEN:
                return -1.0 if m.nitrogen_pct is None else m.nitrogen_pct
            case MaterialColumn.MOISTURE:
                return -1.0 if m.moisture_pct is None else m.moisture_pct
            case MaterialColumn.DENSITY:
                return -1.0 if m.density_kg_per_l is None else m.density_kg_per_l
            case MaterialColumn.SOURCE:
                return " ".join(t for t in (m.source, m.description) if t).casefold()
            case MaterialColumn.STOCK:
                return -1.0 if m.stock_kg is None else m.stock_kg


class MaterialSortProxy(QSortFilterProxyModel):
    """Sorts numbers as numbers and filters on name, kind and source as the user types."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._words: list[str] = []

    def set_search_text(self, text: str) -> None:
        """Every word typed must appear somewhere in the row (any order, any case)."""
        self.beginFilterChange()
        self._words = text.casefold().split()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self._words:
            return True
        model = self.sourceModel()
        if not isinstance(model, MaterialTableModel):
            return True
        m = model.material_at(source_row)
        haystack = " ".join(
            t for t in (m.name, m.kind.value, m.source or "", m.description or "") if t
        ).casefold()
        return all(word in haystack for word in self._words)
