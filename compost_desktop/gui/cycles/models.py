"""The cycle list's item model and filter proxy, built for 10,000 rows without a stall.

Rows are small tuples computed off the GUI thread (`cycle_rows`); `data()` only formats
them, and sorting sorts the tuples in Python by precomputed keys instead of calling back
into Python for every comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from enum import IntEnum
from operator import attrgetter, itemgetter
from typing import Any, ClassVar, NamedTuple

from PySide6.QtCore import (
    QAbstractTableModel,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from compost_desktop.domain.lifecycle import STATUS_RANK, CycleStatus
from compost_desktop.domain.mix import TargetBand, analyse
from compost_desktop.domain.progress import time_progress, volume_progress
from compost_desktop.domain.states import Closeness
from compost_desktop.domain.units import MassUnit, kg_to
from compost_desktop.presentation.formats import day_text
from compost_desktop.presentation.palette import (
    BAR_TRACK,
    CLOSENESS_COLOURS,
    ON_FILL,
    STATUS_COLOURS,
)
from compost_desktop.services.values import CycleRecord

Index = QModelIndex | QPersistentModelIndex

# Custom roles: the raw value behind a cell, and the whole row for delegates and tests.
RAW_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2


class CycleColumn(IntEnum):
    STATUS = 0
    NAME = 1
    START = 2
    END = 3
    PROGRESS = 4
    FILL = 5
    GREEN = 6
    BROWN = 7
    CN = 8


class CycleRow(NamedTuple):
    """One list row, precomputed: the model never touches records, sessions or the mix engine."""

    id: int
    name: str
    status: CycleStatus
    start: date | None
    end: date | None
    progress: float | None  # fraction of planned time elapsed
    fill: float | None  # initial volume against capacity
    green_kg: float
    brown_kg: float
    cn: float | None
    closeness: Closeness | None
    estimate: bool
    search_text: str  # lower-case name and notes, for the text filter


def cycle_row(record: CycleRecord, band: TargetBand, today: date) -> CycleRow:
    """Runs on the database thread: the mix C:N is computed here, not in data()."""
    components = record.mix_components()
    cn: float | None = None
    closeness: Closeness | None = None
    estimate = False
    if components:
        mix = analyse(components, band)
        cn, closeness, estimate = mix.cn_ratio, mix.closeness, mix.estimate
    elif record.cn_ratio is not None:  # legacy summary column with no inputs behind it
        cn, closeness, estimate = record.cn_ratio, band.closeness_of(record.cn_ratio), True
    progress = (
        time_progress(record.start_date, record.projected_end_date, today)
        if record.start_date
        else None
    )
    fill = volume_progress(record.initial_volume_l, None, record.capacity_l).fill_fraction
    return CycleRow(
        id=record.id,
        name=record.name,
        status=record.status,
        start=record.start_date,
        end=record.projected_end_date,
        progress=progress,
        fill=fill,
        green_kg=record.green_kg,
        brown_kg=record.brown_kg,
        cn=cn,
        closeness=closeness,
        estimate=estimate,
        search_text=f"{record.name} {record.notes or ''}".lower(),
    )


def cycle_rows(records: Iterable[CycleRecord], band: TargetBand, today: date) -> list[CycleRow]:
    return [cycle_row(r, band, today) for r in records]


# One key function per column, looked up once per sort rather than matched per row.
SORT_KEYS: dict[CycleColumn, Callable[[CycleRow], Any]] = {
    CycleColumn.STATUS: lambda r: STATUS_RANK[r.status],
    CycleColumn.NAME: lambda r: r.name.lower(),
    CycleColumn.START: attrgetter("start"),
    CycleColumn.END: attrgetter("end"),
    CycleColumn.PROGRESS: attrgetter("progress"),
    CycleColumn.FILL: attrgetter("fill"),
    CycleColumn.GREEN: attrgetter("green_kg"),
    CycleColumn.BROWN: attrgetter("brown_kg"),
    CycleColumn.CN: attrgetter("cn"),
}


def _sort_value(row: CycleRow, column: CycleColumn) -> Any:
    return SORT_KEYS[column](row)


class CycleTableModel(QAbstractTableModel):
    """All cycles as precomputed rows; formats numbers and dates with the system locale."""

    HEADERS: ClassVar[dict[CycleColumn, str]] = {
        CycleColumn.STATUS: "Status",
        CycleColumn.NAME: "Name",
        CycleColumn.START: "Start",
        CycleColumn.END: "Projected end",
        CycleColumn.PROGRESS: "Time",
        CycleColumn.FILL: "Fill",
        CycleColumn.GREEN: "Green",
        CycleColumn.BROWN: "Brown",
        CycleColumn.CN: "C:N",
    }

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CycleRow] = []
        self._mass_unit = MassUnit.KG
        self._locale = QLocale()
        self.group_by_status = True

    # --- data in -------------------------------------------------------------------

    def set_rows(self, rows: Sequence[CycleRow]) -> None:
        """Replace everything in one reset: cheapest for the view with 10,000 rows."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def update_rows(self, rows: Sequence[CycleRow]) -> None:
        """Replace the rows with these ids and add the new ones: a change to a few cycles
        repaints those rows instead of resetting a 10,000-row list."""
        where = {r.id: i for i, r in enumerate(self._rows)}
        new = [r for r in rows if r.id not in where]
        last = len(CycleColumn) - 1
        for row in rows:
            at = where.get(row.id)
            if at is not None:
                self._rows[at] = row
                self.dataChanged.emit(self.index(at, 0), self.index(at, last))
        if new:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            self._rows.extend(new)
            self.endInsertRows()

    def set_mass_unit(self, unit: MassUnit) -> None:
        self._mass_unit = unit
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(CycleColumn) - 1)
        if self._rows:
            self.dataChanged.emit(
                self.index(0, CycleColumn.GREEN), self.index(len(self._rows) - 1, CycleColumn.BROWN)
            )

    def row_at(self, row: int) -> CycleRow:
        return self._rows[row]

    def rows(self) -> list[CycleRow]:
        return self._rows

    def row_of(self, cycle_id: int) -> int | None:
        for i, r in enumerate(self._rows):
            if r.id == cycle_id:
                return i
        return None

    # --- Qt model ------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(CycleColumn)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        column = CycleColumn(section)
        if column in (CycleColumn.GREEN, CycleColumn.BROWN):
            return f"{self.HEADERS[column]} ({self._mass_unit.value})"
        return self.HEADERS[column]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = CycleColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == RAW_ROLE:
            return _sort_value(row, column)
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.ForegroundRole:
            if column is CycleColumn.CN and row.closeness is not None:
                return QBrush(QColor(CLOSENESS_COLOURS[row.closeness]))
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column in (CycleColumn.NAME, CycleColumn.STATUS):
                return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        return None

    def _display(self, row: CycleRow, column: CycleColumn) -> str:
        loc = self._locale
        match column:
            case CycleColumn.STATUS:
                return row.status.label
            case CycleColumn.NAME:
                return row.name
            case CycleColumn.START:
                return day_text(row.start, loc)
            case CycleColumn.END:
                return day_text(row.end, loc)
            case CycleColumn.PROGRESS:
                return "—" if row.progress is None else f"{number(row.progress * 100, 0, loc)} %"
            case CycleColumn.FILL:
                return "—" if row.fill is None else f"{number(row.fill * 100, 0, loc)} %"
            case CycleColumn.GREEN:
                return number(kg_to(row.green_kg, self._mass_unit), 1, loc)
            case CycleColumn.BROWN:
                return number(kg_to(row.brown_kg, self._mass_unit), 1, loc)
            case CycleColumn.CN:
                if row.cn is None:
                    return "—"
                text = f"{number(row.cn, 1, loc)}:1"
                return f"≈ {text}" if row.estimate else text

    def _tooltip(self, row: CycleRow, column: CycleColumn) -> str | None:
        if column is CycleColumn.CN and row.cn is not None:
            where = {
                Closeness.IN_BAND: "in the target band",
                Closeness.NEAR: "near the target band",
                Closeness.FAR: "far from the target band",
            }[row.closeness or Closeness.FAR]
            extra = " (estimate: some %N or moisture values were assumed)" if row.estimate else ""
            return f"Mix C:N {row.cn:.1f}:1, {where}{extra}"
        if column is CycleColumn.FILL:
            return "Initial pile volume against the bay capacity"
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the tuples in Python, grouped by status; empty values go last either way."""
        col = CycleColumn(column)
        descending = order == Qt.SortOrder.DescendingOrder
        self.layoutAboutToBeChanged.emit()
        old_persistent = self.persistentIndexList()
        old_cells = [(i.row(), i.column()) for i in old_persistent]
        key = SORT_KEYS[col]
        keyed = [(key(r), i, r) for i, r in enumerate(self._rows)]
        present = [k for k in keyed if k[0] is not None]
        present.sort(key=itemgetter(0), reverse=descending)
        ordered = present + [k for k in keyed if k[0] is None]
        if self.group_by_status:
            ordered.sort(key=lambda k: STATUS_RANK[k[2].status])  # stable: keeps the order
        self._rows = [k[2] for k in ordered]
        if old_persistent:
            new_position = {k[1]: new for new, k in enumerate(ordered)}
            self.changePersistentIndexList(
                old_persistent, [self.index(new_position[r], c) for r, c in old_cells]
            )
        self.layoutChanged.emit()


def number(value: float, decimals: int = 1, locale: QLocale | None = None) -> str:
    """A number in the system locale; ints from the database are fine too."""
    return (locale or QLocale()).toString(float(value), "f", decimals)


class CycleFilterProxy(QSortFilterProxyModel):
    """Text, status and date-range filter; sorting is handed to the source model's fast sort."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._statuses: frozenset[CycleStatus] = frozenset(CycleStatus)
        self._from: date | None = None
        self._to: date | None = None

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = text.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_statuses(self, statuses: Iterable[CycleStatus]) -> None:
        self.beginFilterChange()
        self._statuses = frozenset(statuses)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_date_range(self, start: date | None, end: date | None) -> None:
        """Keep cycles whose start-to-projected-end span overlaps the range."""
        self.beginFilterChange()
        self._from, self._to = start, end
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def setSourceModel(self, model: CycleTableModel) -> None:  # type: ignore[override]
        self._model = model
        super().setSourceModel(model)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        """Called once per row on every change: kept to a few attribute reads."""
        row = self._model._rows[source_row]
        if row.status not in self._statuses:
            return False
        if self._text and self._text not in row.search_text:
            return False
        if self._from is not None or self._to is not None:
            if row.start is None:
                return False
            end = row.end or row.start
            if self._from is not None and end < self._from:
                return False
            if self._to is not None and row.start > self._to:
                return False
        return True

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        model = self.sourceModel()
        if column < 0 or model is None:
            return
        model.sort(column, order)


def _paint_background(painter: QPainter, option: QStyleOptionViewItem) -> QColor:
    """Selection or alternate-row background; returns the text colour to use on it.

    The delegates paint directly instead of `super().paint()`, which would query every
    role of the Python model once more per visible cell.
    """
    if option.state & QStyle.StateFlag.State_Selected:
        painter.fillRect(option.rect, option.palette.highlight())
        return option.palette.highlightedText().color()
    if option.features & QStyleOptionViewItem.ViewItemFeature.Alternate:
        painter.fillRect(option.rect, option.palette.alternateBase())
    return option.palette.text().color()


class StatusBadgeDelegate(QStyledItemDelegate):
    """Draws the status as a coloured pill, so the groups read at a glance."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        row = index.data(ROW_ROLE)
        painter.save()
        _paint_background(painter, option)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = row.status.label
        metrics = option.fontMetrics
        width = metrics.horizontalAdvance(text) + 16
        height = metrics.height() + 4
        rect = QRect(
            option.rect.left() + 4,
            option.rect.center().y() - height // 2,
            min(width, option.rect.width() - 8),
            height,
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(STATUS_COLOURS[row.status]))
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(QColor(ON_FILL))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


class BarDelegate(QStyledItemDelegate):
    """The percentage with a thin progress bar under it, for time elapsed and fill."""

    def __init__(self, field: str, colour: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._value = attrgetter(field)
        self._colour = QColor(colour)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        row = index.data(ROW_ROLE)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        painter.save()
        painter.setPen(_paint_background(painter, option))
        painter.drawText(
            option.rect.adjusted(4, 0, -6, -3),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            text,
        )
        value = self._value(row)
        if value is not None:
            r = option.rect.adjusted(4, option.rect.height() - 5, -4, -2)
            painter.fillRect(r, QColor(BAR_TRACK))
            r.setWidth(int(r.width() * max(0.0, min(1.0, value))))
            painter.fillRect(r, self._colour)
        painter.restore()
