"""Compare cycles: temperature curves overlaid by day since start, and what each pile did.

The farm learns which recipes work by laying piles over each other. The comparison is computed
on the database thread (`services.compare`, readings reduced in SQL); this window only draws
the plain result: one colour per cycle in the plot and the same colour beside its row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Any, ClassVar, Final

import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import (
    QAbstractTableModel,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.exc import OperationalError

from compost_desktop.domain.units import TemperatureUnit, celsius_to
from compost_desktop.gui.context import CYCLES, MATERIALS, READINGS, SETTINGS, AppContext
from compost_desktop.gui.lifetime import keep_until_deleted
from compost_desktop.presentation.formats import day_text, moment_text
from compost_desktop.presentation.palette import (
    ERROR,
    LINE,
    MAX_CYCLES,
    MUTED_TEXT,
    PALETTE,
    PAPER,
    SOFT_INK,
    THRESHOLD_LINE,
)
from compost_desktop.services.compare import (
    THERMOPHILIC_TARGET_C,
    CycleChoice,
    CycleComparison,
    compare_cycles,
    cycle_choices,
)

Index = QModelIndex | QPersistentModelIndex

RAW_ROLE: Final = Qt.ItemDataRole.UserRole + 1
ROW_ROLE: Final = Qt.ItemDataRole.UserRole + 2
NONE: Final = "—"


class CompareColumn(IntEnum):
    CYCLE = 0
    DAY0 = 1
    DAYS_TO = 2
    PEAK = 3
    DAYS_AT = 4
    CN = 5
    MOISTURE = 6
    READINGS = 7


@dataclass(frozen=True, slots=True)
class CompareRow:
    """One cycle in the table: its comparison, its curve colour, and whether it is drawn."""

    comparison: CycleComparison
    colour: str
    shown: bool = True

    @property
    def cycle_id(self) -> int:
        return self.comparison.cycle_id


def _sort_value(row: CompareRow, column: CompareColumn) -> Any:
    c = row.comparison
    match column:
        case CompareColumn.CYCLE:
            return c.label.lower()
        case CompareColumn.DAY0:
            return c.day0
        case CompareColumn.DAYS_TO:
            return c.days_to_target
        case CompareColumn.PEAK:
            return c.peak_c
        case CompareColumn.DAYS_AT:
            return c.days_at_target
        case CompareColumn.CN:
            return c.cn_at_start
        case CompareColumn.MOISTURE:
            return c.moisture_at_start
        case CompareColumn.READINGS:
            return c.readings


class CompareTableModel(QAbstractTableModel):
    """The figures per cycle as plain rows; numbers in the system locale, "—" when unknown."""

    visibility_changed = Signal(int, bool)  # cycle id, drawn

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CompareRow] = []
        self._unit = TemperatureUnit.CELSIUS
        self._locale = QLocale()
        self._swatches: dict[str, QPixmap] = {}

    # --- data in -------------------------------------------------------------------

    def set_rows(self, rows: Sequence[CompareRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._locale = QLocale()
        self.endResetModel()

    def set_unit(self, unit: TemperatureUnit) -> None:
        self._unit = unit
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(CompareColumn) - 1)
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, len(CompareColumn) - 1)
            )

    def rows(self) -> list[CompareRow]:
        return list(self._rows)

    def row_at(self, row: int) -> CompareRow:
        return self._rows[row]

    # --- Qt model ------------------------------------------------------------------

    HEADER_TIPS: ClassVar[dict[CompareColumn, str]] = {
        CompareColumn.CYCLE: "Untick a cycle to hide its curves; the colour matches its curve.",
        CompareColumn.DAY0: (
            "Where each curve starts: when the cycle was activated, or its start date at "
            "00:00 UTC if it was never activated."
        ),
        CompareColumn.DAYS_TO: (
            "Days from day 0 to the first hour in which the coldest probe averaged {t} or "
            "more. — if it never did."
        ),
        CompareColumn.PEAK: "The highest single reading of any probe.",
        CompareColumn.DAYS_AT: (
            "Hours in which the coldest probe averaged {t} or more, in days. A total over the "
            "cycle, not necessarily one stretch; hours without readings do not count."
        ),
        CompareColumn.CN: (
            "Mix C:N of the inputs added by the end of day 1 (dry-matter basis). ≈: some %N or "
            "moisture was assumed. *: no input was dated by then, so all inputs are used."
        ),
        CompareColumn.MOISTURE: "Mix moisture (% of wet mass) of the inputs added by day 1.",
        CompareColumn.READINGS: "Probe temperature readings behind the curves.",
    }

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(CompareColumn)

    def threshold_text(self) -> str:
        value = celsius_to(THERMOPHILIC_TARGET_C, self._unit)
        return f"{self._locale.toString(float(value), 'f', 0)} {self._unit.value}"

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        column = CompareColumn(section)
        t = self.threshold_text()
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                CompareColumn.CYCLE: "Cycle",
                CompareColumn.DAY0: "Day 0",
                CompareColumn.DAYS_TO: f"Days to {t}",
                CompareColumn.PEAK: "Peak",
                CompareColumn.DAYS_AT: f"Days ≥ {t}",
                CompareColumn.CN: "C:N at start",
                CompareColumn.MOISTURE: "Moisture at start",
                CompareColumn.READINGS: "Readings",
            }[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.HEADER_TIPS[column].format(t=t)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() == CompareColumn.CYCLE:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = CompareColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == RAW_ROLE:
            return _sort_value(row, column)
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if column is CompareColumn.CYCLE:
            if role == Qt.ItemDataRole.DecorationRole:
                return self._swatch(row.colour)
            if role == Qt.ItemDataRole.CheckStateRole:
                return Qt.CheckState.Checked if row.shown else Qt.CheckState.Unchecked
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            c = row.comparison
            unknown = (
                (column is CompareColumn.DAYS_TO and c.days_to_target is None)
                or (column is CompareColumn.READINGS and c.readings == 0)
                or self._display(row, column) == NONE
            )
            return QColor(MUTED_TEXT) if unknown else None
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or index.column() != CompareColumn.CYCLE:
            return False
        if role != Qt.ItemDataRole.CheckStateRole:
            return False
        shown = Qt.CheckState(value) == Qt.CheckState.Checked
        row = self._rows[index.row()]
        if row.shown == shown:
            return True
        self._rows[index.row()] = replace(row, shown=shown)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.visibility_changed.emit(row.cycle_id, shown)
        return True

    def _display(self, row: CompareRow, column: CompareColumn) -> str:
        c, loc = row.comparison, self._locale
        match column:
            case CompareColumn.CYCLE:
                return c.label
            case CompareColumn.DAY0:
                return NONE if c.day0 is None else moment_text(c.day0, loc)
            case CompareColumn.DAYS_TO:
                return _number(loc, c.days_to_target, 1)
            case CompareColumn.PEAK:
                if c.peak_c is None:
                    return NONE
                return f"{_number(loc, celsius_to(c.peak_c, self._unit), 1)} {self._unit.value}"
            case CompareColumn.DAYS_AT:
                return _number(loc, c.days_at_target, 1)
            case CompareColumn.CN:
                if c.cn_at_start is None:
                    return NONE
                text = f"{_number(loc, c.cn_at_start, 1)}:1"
                text = f"≈ {text}" if c.mix_estimate else text
                return f"{text} *" if c.mix_from_all_inputs else text
            case CompareColumn.MOISTURE:
                m = c.moisture_at_start
                return NONE if m is None else f"{_number(loc, m, 1)} %"
            case CompareColumn.READINGS:
                return loc.toString(c.readings)

    def _tooltip(self, row: CompareRow, column: CompareColumn) -> str:
        c, t = row.comparison, self.threshold_text()
        general = self.HEADER_TIPS[column].format(t=t)
        if column is CompareColumn.CYCLE:
            return f"{c.label} ({c.status.label.lower()}). {general}"
        if column is CompareColumn.DAY0:
            return f"Day 0 is {c.day0_source.explanation}."
        if column in (CompareColumn.CN, CompareColumn.MOISTURE):
            if c.cn_at_start is None:
                return "No input with a known C:N was added to this cycle."
            if column is CompareColumn.MOISTURE and c.moisture_at_start is None:
                return "No input of the starting mix has a known moisture."
            if c.mix_from_all_inputs:
                return (
                    "No input is dated by the end of day 1, so this is the mix of all the "
                    f"cycle's inputs. {general}"
                )
            return general
        if column is not CompareColumn.READINGS and not c.readings:
            return "No probe temperature readings are recorded for this cycle."
        if column is CompareColumn.DAYS_TO and c.days_to_target is None:
            return f"The coldest probe never averaged {t} for an hour."
        return general

    def _swatch(self, colour: str) -> QPixmap:
        """A small rounded square in the curve's colour."""
        found = self._swatches.get(colour)
        if found is None:
            found = QPixmap(14, 14)
            found.fill(Qt.GlobalColor.transparent)
            painter = QPainter(found)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QColor(colour).darker(130))
            painter.setBrush(QColor(colour))
            painter.drawRoundedRect(1, 1, 12, 12, 3, 3)
            painter.end()
            self._swatches[colour] = found
        return found


class CompareSortProxy(QSortFilterProxyModel):
    """Sorts on the raw values; unknown figures go last whichever way."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(RAW_ROLE)

    def lessThan(self, left: Index, right: Index) -> bool:
        a, b = left.data(RAW_ROLE), right.data(RAW_ROLE)
        if a is None or b is None:
            # None is "largest" ascending and "smallest" descending, so it stays at the bottom.
            descending = self.sortOrder() == Qt.SortOrder.DescendingOrder
            return (a is not None and b is None) != descending
        return bool(a < b)


def _number(loc: QLocale, value: float | None, decimals: int) -> str:
    return NONE if value is None else loc.toString(float(value), "f", decimals)


def explain_failure(exc: BaseException) -> str:
    """A failed load in words a farm office user can act on."""
    if isinstance(exc, OperationalError):
        return (
            "The comparison could not be loaded: the database could not be reached. Check the "
            "connection (status bar) and press Reload."
        )
    return f"The comparison could not be loaded: {exc}"


class CompareDialog(QDialog):
    """Overlay the temperature curves of chosen cycles by day since start, with their figures."""

    def __init__(
        self, ctx: AppContext, cycle_ids: Iterable[int], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.cycle_ids: list[int] = list(dict.fromkeys(cycle_ids))[:MAX_CYCLES]
        self.unit = ctx.settings.units.temperature
        self._colours: dict[int, str] = {}
        self._curves: dict[int, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self._choices: list[CycleChoice] = []
        self._request = 0
        self.loading = False
        for cycle_id in self.cycle_ids:
            self._colour_for(cycle_id)

        self.setWindowTitle("Compare cycles")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        keep_until_deleted(self)  # opened without a parent: closing deletes it, not the collector
        self.setModal(False)
        self.setSizeGripEnabled(True)
        self.resize(1100, 700)

        self.status_label = QLabel(self)
        self.status_label.setStyleSheet(f"color: {MUTED_TEXT};")
        self.status_label.setWordWrap(True)
        # Long lists of names wrap instead of widening the window.
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.add_combo = QComboBox(self)
        self.add_combo.setMinimumWidth(240)
        self.add_button = QPushButton("&Add", self)
        self.add_button.setToolTip("Add the chosen cycle to the comparison")
        self.remove_button = QPushButton("&Remove", self)
        self.remove_button.setToolTip("Take the selected rows out of the comparison (Delete)")
        self.remove_button.setShortcut(QKeySequence.StandardKey.Delete)
        self.mean_check = QCheckBox("Show probe &mean (dashed)", self)
        self.mean_check.setToolTip(
            "Also draw the mean over all probes of each cycle as a dashed line"
        )
        self.reload_button = QPushButton("Re&load", self)
        self.reload_button.setToolTip("Read the cycles again (F5)")
        self.reload_button.setShortcut(QKeySequence.StandardKey.Refresh)
        top = QHBoxLayout()
        top.addWidget(self.mean_check)
        top.addStretch(1)
        top.addWidget(self.add_combo)
        top.addWidget(self.add_button)
        top.addWidget(self.remove_button)
        top.addWidget(self.reload_button)

        self.plot = pg.PlotWidget(background=PAPER)
        self.plot.setMinimumHeight(260)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        for axis in ("left", "bottom"):
            # setPen() recolours the axis label too, so the text pen comes after it.
            self.plot.getAxis(axis).setPen(LINE)
            self.plot.getAxis(axis).setTextPen(SOFT_INK)
        self.plot.setLabel("bottom", "Day since start", color=SOFT_INK)
        self.plot.getPlotItem().getViewBox().setDefaultPadding(0.02)
        plate = QColor(PAPER)
        plate.setAlpha(220)  # the curves show faintly through the legend
        self.legend = self.plot.addLegend(
            offset=(-10, 10),
            labelTextSize="9pt",
            labelTextColor=SOFT_INK,
            brush=pg.mkBrush(plate),
            pen=pg.mkPen(LINE),
        )
        self.reference = pg.InfiniteLine(
            angle=0,
            movable=False,
            pen=pg.mkPen(THRESHOLD_LINE, width=1.2, style=Qt.PenStyle.DashLine),
            label="",
            labelOpts={"position": 0.02, "color": THRESHOLD_LINE, "anchors": [(0, 1), (0, 1)]},
        )
        self.reference.setZValue(-5)
        self.plot.addItem(self.reference, ignoreBounds=True)
        self.caption = QLabel(
            "Solid: the coldest probe, hour by hour (what pathogen-reduction rules are judged "
            "on). Dashed: the mean of all probes. Day 0: when each cycle was activated.",
            self,
        )
        self.caption.setStyleSheet(f"color: {MUTED_TEXT}; font-size: 8pt;")
        self.caption.setWordWrap(True)

        self.model = CompareTableModel(self)
        self.model.set_unit(self.unit)
        self.proxy = CompareSortProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(CompareColumn.CYCLE, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        for column, width in (
            (CompareColumn.DAY0, 130),
            (CompareColumn.DAYS_TO, 100),
            (CompareColumn.PEAK, 84),
            (CompareColumn.DAYS_AT, 96),
            (CompareColumn.CN, 104),
            (CompareColumn.MOISTURE, 124),
            (CompareColumn.READINGS, 84),
        ):
            self.table.setColumnWidth(column, width)
        self.footnote = QLabel(self)
        self.footnote.setStyleSheet(f"color: {MUTED_TEXT}; font-size: 8pt;")
        self.footnote.setWordWrap(True)
        self.error_label = QLabel(self)
        self.error_label.setStyleSheet(f"color: {ERROR};")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        upper = QWidget(self)
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.plot, 1)
        upper_layout.addWidget(self.caption)
        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.table, 1)
        lower_layout.addWidget(self.footnote)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(upper)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([500, 140])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.error_label)
        layout.addWidget(splitter, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(buttons)
        layout.addLayout(bottom)

        self.mean_check.toggled.connect(self.on_mean_toggled)
        self.add_button.clicked.connect(self.on_add_clicked)
        self.add_combo.currentIndexChanged.connect(self._update_buttons)
        self.remove_button.clicked.connect(self.on_remove_clicked)
        self.reload_button.clicked.connect(self.reload)
        self.model.visibility_changed.connect(self.on_visibility_changed)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        ctx.bus.changed.connect(self.on_data_changed)
        ctx.settings_changed.connect(self.on_settings_changed)
        self._show_unit()
        self._update_buttons()
        self.reload()

    # --- loading ---------------------------------------------------------------------

    @Slot()
    def reload(self) -> None:
        """Compute the comparison (and the cycles on offer) on the database thread."""
        store = self.ctx.store
        if store is None:
            self._show_error("No database is open yet.")
            return
        self._request += 1
        token, ids, engine = self._request, list(self.cycle_ids), store.reader
        self.loading = True
        self.status_label.setText("Loading…")
        self.reload_button.setEnabled(False)

        def work() -> tuple[list[CycleComparison], list[CycleChoice]]:
            return compare_cycles(engine, ids), cycle_choices(engine)

        self.ctx.runner.submit(
            work,
            lambda result: self.on_loaded(token, ids, result),
            lambda exc: self.on_load_failed(token, exc),
        )

    def on_loaded(
        self,
        token: int,
        asked: list[int],
        result: tuple[list[CycleComparison], list[CycleChoice]],
    ) -> None:
        if not shiboken6.isValid(self) or token != self._request:
            return  # closed meanwhile, or a newer request is on its way
        comparisons, choices = result
        self.loading = False
        self.reload_button.setEnabled(True)
        self.error_label.hide()
        found = {c.cycle_id for c in comparisons}
        gone = [i for i in asked if i not in found]
        self.cycle_ids = [i for i in self.cycle_ids if i not in gone]
        shown = {r.cycle_id: r.shown for r in self.model.rows()}
        self.model.set_rows(
            [
                CompareRow(c, self._colour_for(c.cycle_id), shown.get(c.cycle_id, True))
                for c in comparisons
            ]
        )
        self._choices = choices
        self._fill_choices()
        self._draw()
        self._show_status(gone)
        self._update_buttons()

    def on_load_failed(self, token: int, exc: BaseException) -> None:
        if not shiboken6.isValid(self) or token != self._request:
            return
        self.loading = False
        self.reload_button.setEnabled(True)
        self.status_label.setText("")
        self._show_error(explain_failure(exc))

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    @Slot(frozenset)
    def on_data_changed(self, kinds: frozenset[str]) -> None:
        if kinds & {CYCLES, MATERIALS, READINGS, SETTINGS}:
            self.reload()

    @Slot()
    def on_settings_changed(self) -> None:
        self.unit = self.ctx.settings.units.temperature
        self.model.set_unit(self.unit)
        self._show_unit()
        self._draw()

    # --- drawing ---------------------------------------------------------------------

    def _colour_for(self, cycle_id: int) -> str:
        """A cycle keeps its colour while it is shown; a new one takes the first free colour."""
        colour = self._colours.get(cycle_id)
        if colour is None:
            taken = [self._colours[i] for i in self.cycle_ids if i in self._colours]
            free = [c for c in PALETTE if c not in taken]
            colour = free[0] if free else PALETTE[len(taken) % len(PALETTE)]
            self._colours[cycle_id] = colour
        return colour

    def _show_unit(self) -> None:
        self.plot.setLabel("left", f"Temperature ({self.unit.value})", color=SOFT_INK)
        self.reference.setValue(celsius_to(THERMOPHILIC_TARGET_C, self.unit))
        self.reference.label.setFormat(self.model.threshold_text())

    def _draw(self) -> None:
        """One solid (coldest probe) and one dashed (probe mean) line per cycle with readings."""
        for solid, dashed in self._curves.values():
            self.plot.removeItem(solid)
            self.plot.removeItem(dashed)
        self._curves.clear()
        self.legend.clear()
        for row in self.model.rows():
            c = row.comparison
            if not len(c.lowest):
                continue
            solid = self.plot.plot(
                c.lowest.days,
                self._converted(c.lowest.celsius),
                pen=pg.mkPen(row.colour, width=2.2),
                name=c.label,
            )
            dashed = self.plot.plot(
                c.pile_mean.days,
                self._converted(c.pile_mean.celsius),
                pen=pg.mkPen(row.colour, width=1.2, style=Qt.PenStyle.DashLine),
            )
            solid.setZValue(2)
            dashed.setZValue(1)
            self._curves[c.cycle_id] = (solid, dashed)
            self._apply_visibility(c.cycle_id, row.shown)
        self.plot.enableAutoRange()

    def _converted(self, celsius: list[float]) -> list[float]:
        if self.unit is TemperatureUnit.CELSIUS:
            return celsius
        return [celsius_to(v, self.unit) for v in celsius]

    def _apply_visibility(self, cycle_id: int, shown: bool) -> None:
        curves = self._curves.get(cycle_id)
        if curves is None:
            return
        solid, dashed = curves
        solid.setVisible(shown)
        dashed.setVisible(shown and self.mean_check.isChecked())

    def _show_status(self, gone: list[int]) -> None:
        rows = self.model.rows()
        silent = [r.comparison.label for r in rows if not r.comparison.readings]
        parts = [f"{len(rows)} cycles"]
        if silent:
            names = ", ".join(f"“{n}”" for n in silent)
            parts.append(f"no temperature readings yet: {names}")
        if gone:
            parts.append(f"{len(gone)} no longer in the database")
        if len(rows) < 2:
            parts.append("add a cycle to compare with")
        self.status_label.setText(" · ".join(parts))
        flagged = any(r.comparison.mix_from_all_inputs for r in rows)
        self.footnote.setText(
            "* No input was dated by the end of day 1: the mix of all the cycle's inputs."
            if flagged
            else ""
        )
        self.footnote.setVisible(flagged)

    # --- user actions ----------------------------------------------------------------

    @Slot(bool)
    def on_mean_toggled(self, _checked: bool) -> None:
        for row in self.model.rows():
            self._apply_visibility(row.cycle_id, row.shown)

    @Slot(int, bool)
    def on_visibility_changed(self, cycle_id: int, shown: bool) -> None:
        self._apply_visibility(cycle_id, shown)

    def _fill_choices(self) -> None:
        """Offer the cycles not already compared, newest first."""
        self.add_combo.blockSignals(True)
        self.add_combo.clear()
        self.add_combo.addItem("Add a cycle…", None)
        for choice in self._choices:
            if choice.id in self.cycle_ids:
                continue
            when = "" if choice.start is None else f" — {day_text(choice.start.date())}"
            self.add_combo.addItem(f"{choice.name}{when}", choice.id)
        self.add_combo.blockSignals(False)

    @Slot()
    def on_add_clicked(self) -> None:
        cycle_id = self.add_combo.currentData()
        if cycle_id is None or cycle_id in self.cycle_ids or len(self.cycle_ids) >= MAX_CYCLES:
            return
        self.cycle_ids.append(int(cycle_id))
        self._colour_for(int(cycle_id))
        self.reload()

    @Slot()
    def on_remove_clicked(self) -> None:
        chosen = {
            self.model.row_at(self.proxy.mapToSource(index).row()).cycle_id
            for index in self.table.selectionModel().selectedRows()
        }
        if not chosen:
            return
        self.cycle_ids = [i for i in self.cycle_ids if i not in chosen]
        for cycle_id in chosen:
            self._colours.pop(cycle_id, None)
        self.model.set_rows([r for r in self.model.rows() if r.cycle_id not in chosen])
        self._fill_choices()
        self._draw()
        self._show_status([])
        self._update_buttons()

    @Slot()
    def _update_buttons(self) -> None:
        room = len(self.cycle_ids) < MAX_CYCLES
        self.add_button.setEnabled(room and self.add_combo.currentData() is not None)
        self.add_combo.setEnabled(room)
        self.add_combo.setToolTip(
            "Another cycle to lay over these"
            if room
            else f"At most {MAX_CYCLES} cycles fit in one comparison; remove one first"
        )
        self.remove_button.setEnabled(self.table.selectionModel().hasSelection())

    # --- for tests and scripts -------------------------------------------------------

    def curve_labels(self) -> list[str]:
        """Names in the legend, in drawing order."""
        return [label.text for _sample, label in self.legend.items]

    def curves(self) -> dict[int, tuple[pg.PlotDataItem, pg.PlotDataItem]]:
        return dict(self._curves)
