"""History charts of one cycle: every probe, the lowest probe, moisture and the rest, over time.

The widget never holds raw readings. The database thread reduces the whole cycle to about one
point per pixel (`chart_data.cycle_history`); when the user zooms or pans, a throttled request
re-reads only the visible range (plus a margin for panning) at screen resolution, and the
answer is spliced into the whole-cycle curves, so a cycle of a million readings costs a few
thousand points on the GUI thread whatever the zoom.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import numpy as np
import pyqtgraph as pg
from pyqtgraph.graphicsItems.DateAxisItem import (
    DAY_SPACING,
    HOUR_SPACING,
    MINUTE_SPACING,
    MONTH_SPACING,
    TickSpec,
    ZoomLevel,
    makeMStepper,
    makeSStepper,
)
from PySide6.QtCore import QLocale, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPen, QPixmap, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from compost_desktop.domain.phases import PhaseSpan
from compost_desktop.domain.quantities import TEMPERATURE
from compost_desktop.domain.units import TemperatureUnit, celsius_to
from compost_desktop.gui.context import CYCLES, READINGS, AppContext
from compost_desktop.gui.devices.keeper import keeper_for
from compost_desktop.gui.monitoring.plots import TITLES
from compost_desktop.presentation.failures import explain_load
from compost_desktop.presentation.formats import moment_text
from compost_desktop.presentation.palette import (
    DELIVERY_MARK,
    DEVICE_COLOURS,
    INACTIVE,
    LINE,
    LOWEST_PROBE,
    MUTED_TEXT,
    PAPER,
    PHASE_COLOURS,
    PHASE_TINTS,
    SOFT_INK,
    TURNING_MARK,
)
from compost_desktop.presentation.words import counted
from compost_desktop.services.chart_data import Marker
from compost_desktop.services.chart_traces import (
    LOWEST,
    Fetch,
    Overview,
    Snapshot,
    Trace,
    Zoom,
    after_zoom,
    buckets_for,
    load_overview,
    load_snapshot,
    spliced_all,
    whole_range,
)
from compost_desktop.services.chart_traces import quantities as chart_quantities

NO_READINGS: Final = "No readings recorded for this cycle yet"
LOADING: Final = "Loading…"
DAY: Final = 86_400.0
# Re-read the visible range once the user has stopped zooming for this long.
SETTLE_MS: Final = 200
# Readings arrive in bursts; one reload per burst is enough.
RELOAD_DELAY_MS: Final = 500
MIN_X_RANGE_S: Final = 15 * 60.0
REFERENCE_C: Final = (45.0, 55.0, 65.0, 70.0)
_AXIS_WIDTH: Final = 64


# --- the widget ----------------------------------------------------------------------------


# pyqtgraph ships no type information (no py.typed), so its classes are Any to mypy.
class DateAxis(pg.DateAxisItem):  # type: ignore[misc]
    """Local-time date axis whose day ticks say the month too ("3 Nov", not "03")."""

    def __init__(self) -> None:
        super().__init__(orientation="bottom")
        day = "%d %b"
        self.zoomLevels[5 * 86_400] = ZoomLevel(
            [
                TickSpec(MONTH_SPACING, makeMStepper(1), day),
                TickSpec(DAY_SPACING, makeSStepper(DAY_SPACING), day, autoSkip=[1, 2, 5, 7]),
            ],
            "00 MMM",
        )
        self.zoomLevels[6 * 3600] = ZoomLevel(
            [
                TickSpec(DAY_SPACING, makeSStepper(DAY_SPACING), day),
                TickSpec(HOUR_SPACING, makeSStepper(HOUR_SPACING), "%H:%M", autoSkip=[1, 3, 6]),
            ],
            "00 MMM",
        )
        self.zoomLevels[15 * 60] = ZoomLevel(
            [
                TickSpec(DAY_SPACING, makeSStepper(DAY_SPACING), day),
                TickSpec(
                    MINUTE_SPACING, makeSStepper(MINUTE_SPACING), "%H:%M", autoSkip=[1, 5, 15]
                ),
            ],
            "00 MMM",
        )

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        strings: list[str] = super().tickStrings(values, scale, spacing)
        spec = next((s for s in self.zoomLevel.tickSpecs if s.spacing == spacing), None)
        if spec is None or not spec.format.startswith("%d"):
            return strings
        return [s[1:] if s.startswith("0") else s for s in strings]


class MarkerLine(pg.InfiniteLine):  # type: ignore[misc]  # untyped pyqtgraph, as above
    """A turning or a delivery on the time axis; the tooltip says what and when."""

    def __init__(self, marker: Marker, kind: str, pen: QPen, glyph: str | None) -> None:
        super().__init__(
            pos=marker.at,
            angle=90,
            pen=pen,
            movable=False,
            label=glyph,
            labelOpts={
                "position": 0.04 if kind == "turning" else 0.1,
                "color": pen.color(),
                "anchors": [(0.5, 1.0), (0.5, 1.0)],
            }
            if glyph
            else None,
        )
        if glyph:
            font = QFont()
            font.setPointSize(12)
            font.setBold(True)
            self.label.setFont(font)
        self.marker = marker
        self.kind = kind
        self.setToolTip(f"{marker.label}\n{_when(marker.at)}")


@dataclass
class _Items:
    """The graphics items that draw one trace."""

    curve: pg.PlotDataItem | pg.ScatterPlotItem
    plot: pg.PlotItem
    color: str
    banded: bool = False  # a probe gets a min–max band, the lowest and hand readings do not
    low: pg.PlotCurveItem | None = None
    high: pg.PlotCurveItem | None = None
    band: pg.FillBetweenItem | None = None


class HistoryChart(QWidget):
    """A cycle's history: temperature per probe and lowest, then one plot per other quantity.

    `history_loaded` fires once the whole cycle is drawn, `window_loaded` after a zoom's finer
    data has been spliced in; tests and the benchmark wait on them.
    """

    history_loaded = Signal()
    window_loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.cycle_id: int | None = None
        self.overview: Overview | None = None
        self.detail: Snapshot | None = None
        self.plots: dict[str, pg.PlotItem] = {}
        self.items: dict[tuple[str, str], _Items] = {}
        self.phase_regions: list[pg.LinearRegionItem] = []
        self.turning_lines: list[MarkerLine] = []
        self.input_lines: list[MarkerLine] = []
        self.reference_lines: list[pg.InfiniteLine] = []
        self.hidden: set[str] = set()
        self.window_requests = 0  # zoom queries sent, for tests and the benchmark
        self._history_token = 0
        self._window_token = 0
        self._zoomed = False
        self._stale = False
        self._colors: dict[str, str] = {}
        self._not_pile: set[str] = set()
        self._traces: list[Trace] = []

        self.whole_button = QPushButton("Whole cycle", self)
        self.whole_button.setToolTip("Show the whole cycle")
        self.week_button = QPushButton("Last 7 days", self)
        self.day_button = QPushButton("Last 24 h", self)
        self.band_check = QCheckBox("Min–max band", self)
        self.band_check.setToolTip(
            "Shade each probe's lowest and highest reading around its mean line"
        )
        self.status_label = QLabel(self)
        self.status_label.setStyleSheet(f"color: {MUTED_TEXT};")
        self.toolbar = QHBoxLayout()
        self.toolbar.setContentsMargins(0, 0, 0, 0)
        for widget in (self.whole_button, self.week_button, self.day_button):
            self.toolbar.addWidget(widget)
        self.toolbar.addSpacing(12)
        self.toolbar.addWidget(self.band_check)
        self.toolbar.addSpacing(12)
        self.toolbar.addWidget(self.status_label, 1)

        self.message = QLabel(NO_READINGS, self)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {MUTED_TEXT}; font-size: 12pt;")
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setBackground(PAPER)
        self.graphics.ci.layout.setVerticalSpacing(2)
        self.series_list = QListWidget(self)
        self.series_list.setToolTip("Tick to show, untick to hide")
        self.series_list.setFixedWidth(172)
        self.series_list.setIconSize(QSize(22, 12))
        self.key_label = QLabel(_key_html(), self)
        self.key_label.setWordWrap(True)
        self.key_label.setFixedWidth(172)
        self.key_label.setStyleSheet(f"color: {MUTED_TEXT};")
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.series_list)
        side.addSpacing(6)
        side.addWidget(self.key_label)
        side.addStretch(1)
        chart_page = QWidget(self)
        row = QHBoxLayout(chart_page)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.graphics, 1)
        row.addLayout(side)
        self.body = QStackedWidget(self)
        self.body.addWidget(self.message)
        self.body.addWidget(chart_page)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.toolbar)
        layout.addWidget(self.body, 1)

        self.settle_timer = QTimer(self)
        self.settle_timer.setSingleShot(True)
        self.settle_timer.setInterval(SETTLE_MS)
        self.settle_timer.timeout.connect(self.on_range_settled)
        self.reload_timer = QTimer(self)
        self.reload_timer.setSingleShot(True)
        self.reload_timer.setInterval(RELOAD_DELAY_MS)
        self.reload_timer.timeout.connect(self.reload)

        self.whole_button.clicked.connect(self.show_whole_cycle)
        self.week_button.clicked.connect(self.on_last_week_clicked)
        self.day_button.clicked.connect(self.on_last_day_clicked)
        self.band_check.toggled.connect(self.on_band_toggled)
        self.series_list.itemChanged.connect(self.on_series_item_changed)
        ctx.bus.changed.connect(self.on_data_changed)
        self.keeper = keeper_for(ctx)
        self.keeper.changed.connect(self.on_registry_changed)
        self._set_buttons_enabled(False)

    # --- public ------------------------------------------------------------------------

    def show_cycle(self, cycle_id: int) -> None:
        """Load a cycle from scratch: whole range, every series shown."""
        if cycle_id != self.cycle_id:
            self.hidden.clear()
            self._zoomed = False
            self._clear()
            self._show_message(LOADING)
        self.cycle_id = cycle_id
        self.reload()

    def clear_cycle(self) -> None:
        """Forget the shown cycle (another one is open elsewhere); nothing loads until asked."""
        self._history_token += 1
        self.reload_timer.stop()
        self._stale = False
        self.cycle_id = None
        self.overview = None
        self._clear()
        self._set_buttons_enabled(False)
        self.status_label.setText("")
        self._show_message(LOADING)

    @Slot()
    def reload(self) -> None:
        """Read the cycle again; a zoomed view keeps its range."""
        cycle_id, store = self.cycle_id, self.ctx.store
        self.reload_timer.stop()
        self._stale = False
        if cycle_id is None:
            return
        if store is None:
            self._show_message("The database is not open yet.")
            return
        self._history_token += 1
        token, engine, buckets = self._history_token, store.reader, self._buckets()
        self.status_label.setText(LOADING)
        self.ctx.runner.submit(
            lambda: load_overview(engine, cycle_id, buckets),
            lambda loaded: self.on_history_loaded(token, cycle_id, loaded),
            lambda exc: self.on_history_failed(token, exc),
        )

    @property
    def x_range(self) -> tuple[float, float]:
        plot = self._top()
        if plot is None:
            return (0.0, 0.0)
        x0, x1 = plot.getViewBox().viewRange()[0]
        return (float(x0), float(x1))

    @Slot()
    def show_whole_cycle(self) -> None:
        snap = self.overview.snapshot if self.overview else None
        if snap is None:
            return
        self._zoomed = False
        self._set_x_range(*whole_range(snap))

    def show_last(self, seconds: float) -> None:
        """The last `seconds` before the cycle's newest reading or event."""
        snap = self.overview.snapshot if self.overview else None
        if snap is None:
            return
        first, last = whole_range(snap)
        start = max(first, last - seconds)
        self._zoomed = start > first
        self._set_x_range(start, last)

    def trace(self, key: str, quantity: str = TEMPERATURE) -> Trace | None:
        """What a curve holds now (its means; NaN marks a break), as plain arrays."""
        items = self.items.get((key, quantity))
        if items is None:
            return None
        curve = items.curve
        xs, ys = curve.getData()
        xs = np.asarray(xs if xs is not None else [], dtype=np.float64)
        ys = np.asarray(ys if ys is not None else [], dtype=np.float64)
        return Trace(key, quantity, isinstance(curve, pg.ScatterPlotItem), xs, ys, ys, ys, 0.0)

    def points_held(self) -> int:
        """Points in every curve and band: what the widget costs, whatever the cycle's size."""
        total = 0
        for items in self.items.values():
            for item in (items.curve, items.low, items.high):
                if item is None:
                    continue
                xs = item.getData()[0]
                total += 0 if xs is None else len(xs)
        return total

    # --- answers from the database thread ------------------------------------------------

    def on_history_loaded(self, token: int, cycle_id: int, overview: Overview) -> None:
        if token != self._history_token or cycle_id != self.cycle_id:
            return  # a newer request is on its way
        keep = self.x_range if self._zoomed and self.overview is not None else None
        self.overview = overview
        self.detail = None
        snap = overview.snapshot
        if snap is None:
            self._clear()
            self._show_message(NO_READINGS)
            self.status_label.setText("")
            self._set_buttons_enabled(False)
            self.history_loaded.emit()
            return
        self._build(overview, snap)
        self.body.setCurrentIndex(1)
        self._set_buttons_enabled(True)
        self._show_traces(snap.traces)
        if keep is not None:
            self._set_x_range(*keep)  # and, once settled, its fine data again
        else:
            self._set_x_range(*whole_range(snap))
        self._show_status()
        self.history_loaded.emit()

    def on_history_failed(self, token: int, exc: BaseException) -> None:
        if token != self._history_token:
            return
        self._clear()
        self.overview = None
        self._set_buttons_enabled(False)
        self.status_label.setText("")
        self._show_message(f"Could not load the history. {explain_load(exc)}")

    def on_window_loaded(self, token: int, snapshot: Snapshot) -> None:
        if token != self._window_token or snapshot.cycle_id != self.cycle_id:
            return
        if self.overview is None or self.overview.snapshot is None:
            return
        self.detail = snapshot
        self._show_traces(spliced_all(self.overview.snapshot, snapshot))
        self._show_status()
        self.window_loaded.emit()

    def on_window_failed(self, token: int, exc: BaseException) -> None:
        if token == self._window_token:
            self.status_label.setText(f"Could not read the zoomed range. {explain_load(exc)}")

    # --- slots ---------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """Read again soon if on screen, else the next time it is shown."""
        if self.cycle_id is None:
            return
        if self.isVisible():
            self.reload_timer.start()
        else:
            self._stale = True

    @Slot(frozenset)
    def on_data_changed(self, kinds: frozenset[str]) -> None:
        if kinds & {READINGS, CYCLES}:
            self.refresh()

    @Slot()
    def on_registry_changed(self) -> None:
        """Redraw for a colour pinned on the Devices page; the keeper also reloads every 30 s
        with nothing new, which must not re-read a whole cycle."""
        if self._colors and self._colours_for(list(self._colors)) != self._colors:
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    @Slot()
    def on_last_week_clicked(self) -> None:
        self.show_last(7 * DAY)

    @Slot()
    def on_last_day_clicked(self) -> None:
        self.show_last(DAY)

    @Slot(bool)
    def on_band_toggled(self, _on: bool) -> None:
        self._show_traces(self._traces)

    @Slot(QListWidgetItem)
    def on_series_item_changed(self, item: QListWidgetItem) -> None:
        key = item.data(Qt.ItemDataRole.UserRole)
        visible = item.checkState() == Qt.CheckState.Checked
        if visible:
            self.hidden.discard(key)
        else:
            self.hidden.add(key)
        for (k, _), items in self.items.items():
            if k == key:
                items.curve.setVisible(visible)
                if items.band is not None:
                    items.band.setVisible(visible and self.band_check.isChecked())

    def on_x_range_changed(self, *_args: object) -> None:
        snap = self.overview.snapshot if self.overview else None
        if snap is not None:
            x0, x1 = self.x_range
            first, last = whole_range(snap)
            self._zoomed = (x1 - x0) < 0.98 * (last - first)
        self._update_phase_labels()
        self.settle_timer.start()

    def on_y_range_changed(self, *_args: object) -> None:
        """A reference line above or below the view keeps its label out of sight too."""
        plot = self._top()
        if plot is None:
            return
        y0, y1 = plot.getViewBox().viewRange()[1]
        for line in self.reference_lines:
            line.label.setVisible(y0 <= line.value() <= y1)

    @Slot()
    def on_range_settled(self) -> None:
        """The user stopped zooming: read the visible range at screen resolution if needed."""
        snap = self.overview.snapshot if self.overview else None
        if snap is None or self.cycle_id is None or self.ctx.store is None:
            return
        plan = after_zoom(snap, self.detail, *self.x_range, self._buckets())
        if plan is Zoom.WHOLE:
            self.detail = None
            self._window_token += 1
            self._show_traces(snap.traces)
            self._show_status()
        if not isinstance(plan, Fetch):
            return
        self._window_token += 1
        self.window_requests += 1
        token, engine, cycle_id = self._window_token, self.ctx.store.reader, self.cycle_id
        self.status_label.setText(LOADING)
        self.ctx.runner.submit(
            lambda: load_snapshot(engine, cycle_id, plan.start, plan.end, plan.buckets),
            lambda snapshot: self.on_window_loaded(token, snapshot),
            lambda exc: self.on_window_failed(token, exc),
        )

    # --- building --------------------------------------------------------------------------

    def _buckets(self) -> int:
        """About one bucket per device pixel of plot width."""
        width = self.graphics.width() - _AXIS_WIDTH if self.graphics.isVisible() else self.width()
        return buckets_for(max(width, 400) * self.devicePixelRatioF())

    def _colours_for(self, keys: list[str]) -> dict[str, str]:
        """The colours the Devices page and the live plots show, a pinned one included."""
        every = self.keeper.registry.colours(DEVICE_COLOURS, [k for k in keys if k != LOWEST])
        return {k: LOWEST_PROBE if k == LOWEST else every[k] for k in keys}

    def _top(self) -> pg.PlotItem | None:
        return next(iter(self.plots.values()), None)

    def _clear(self) -> None:
        self.settle_timer.stop()
        self._window_token += 1
        self.graphics.clear()
        self.plots.clear()
        self.items.clear()
        self.phase_regions.clear()
        self.turning_lines.clear()
        self.input_lines.clear()
        self.reference_lines.clear()
        self.series_list.clear()
        self.detail = None
        self._traces = []

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.body.setCurrentIndex(0)

    def _set_buttons_enabled(self, on: bool) -> None:
        for button in (self.whole_button, self.week_button, self.day_button, self.band_check):
            button.setEnabled(on)

    def _build(self, overview: Overview, snap: Snapshot) -> None:
        """Plots, markers, phases and one item per trace; data comes in `_show_traces`."""
        self._clear()
        unit = self.ctx.settings.units.temperature
        # Temperature on top and tallest; a plot only for what the cycle measured.
        quantities = chart_quantities(snap.traces)
        for row, quantity in enumerate(quantities):
            self.plots[quantity] = self._add_plot(row, quantity, unit)
            self.graphics.ci.layout.setRowStretchFactor(row, 3 if quantity == TEMPERATURE else 1)
        bottom = quantities[-1]
        for quantity, plot in self.plots.items():
            plot.showAxis("bottom", quantity == bottom)
            plot.getAxis("bottom").setStyle(showValues=quantity == bottom)

        devices = sorted({t.key for t in snap.traces if not t.manual and t.key != LOWEST})
        hands = sorted({t.key for t in snap.traces if t.manual})
        # The colours the Devices page and the live plots show, a pinned one included.
        self._colors = self._colours_for([LOWEST, *devices, *hands])
        for trace in snap.traces:
            self._add_trace(trace)
        self._not_pile = {t.key for t in snap.traces if not t.pile and not t.manual}
        self._fill_series_list(devices, hands, any(t.key == LOWEST for t in snap.traces))
        self._add_phases(overview.phases, snap.end)
        self._add_markers(overview.turnings, overview.inputs)
        self._add_references(unit)

        start, end = whole_range(snap)
        span = end - start
        for plot in self.plots.values():
            plot.getViewBox().setLimits(
                xMin=start - 0.05 * span, xMax=end + 0.05 * span, minXRange=MIN_X_RANGE_S
            )
        top = self.plots[quantities[0]]
        top.getViewBox().sigXRangeChanged.connect(self.on_x_range_changed)
        top.getViewBox().sigYRangeChanged.connect(self.on_y_range_changed)

    def _add_plot(self, row: int, quantity: str, unit: TemperatureUnit) -> pg.PlotItem:
        plot = self.graphics.addPlot(row=row, col=0, axisItems={"bottom": DateAxis()})
        label = TITLES.get(quantity, quantity.replace("_", " ").capitalize())
        if quantity == TEMPERATURE:
            label = f"{label} ({unit})"
        plot.setLabel("left", label, color=SOFT_INK)
        plot.getAxis("left").setWidth(_AXIS_WIDTH)
        plot.showGrid(x=True, y=True, alpha=0.18)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setMinimumHeight(90)
        view = plot.getViewBox()
        view.setMouseEnabled(x=True, y=False)  # time is what users zoom; values fit themselves
        view.enableAutoRange(axis=pg.ViewBox.YAxis, enable=True)
        view.setAutoVisible(y=True)
        for axis in ("left", "bottom"):
            plot.getAxis(axis).setTextPen(SOFT_INK)
            plot.getAxis(axis).setPen(LINE)
        top = self._top()
        if top is not None:
            plot.setXLink(top)
        return plot

    def _add_trace(self, trace: Trace) -> None:
        plot = self.plots[trace.quantity]
        color = self._colors.get(trace.key, DEVICE_COLOURS[0])
        if trace.manual:
            scatter = pg.ScatterPlotItem(
                symbol="d",
                size=10,
                pen=pg.mkPen(PAPER, width=1),
                brush=pg.mkBrush(color),
                hoverable=True,
                tip=self._hand_tip(trace),
            )
            scatter.setZValue(20)
            plot.addItem(scatter)
            self.items[trace.ident] = _Items(scatter, plot, color)
            return
        lowest = trace.key == LOWEST
        if lowest:
            # Under the probe lines and see-through: the probe that is the lowest shows on top.
            under = QColor(LOWEST_PROBE)
            under.setAlpha(150)
            pen = pg.mkPen(under, width=3.5)
        elif trace.pile:
            pen = pg.mkPen(color, width=1.3)
        else:  # an air or other sensor: shown, but plainly not part of the pile
            pen = pg.mkPen(color, width=1.1, style=Qt.PenStyle.DashLine)
        curve = pg.PlotDataItem(
            pen=pen,
            connect="finite",
            name=trace.key,
        )
        curve.setZValue(8 if lowest else 10)
        plot.addItem(curve)
        self.items[trace.ident] = _Items(curve, plot, color, banded=not lowest)

    def _band_for(self, items: _Items) -> pg.FillBetweenItem:
        """Made the first time bands are asked for: most views never show one."""
        if items.band is None:
            # Never added to the plot: the band reads their outlines.
            items.low = pg.PlotCurveItem(connect="finite")
            items.high = pg.PlotCurveItem(connect="finite")
            fill = QColor(items.color)
            fill.setAlpha(40)
            items.band = pg.FillBetweenItem(items.low, items.high, brush=pg.mkBrush(fill))
            items.band.setZValue(5)
            # Its outline passes through the breaks' placeholders; the curves set the y range.
            items.plot.addItem(items.band, ignoreBounds=True)
        return items.band

    def _hand_tip(self, trace: Trace) -> Callable[..., str]:
        position = trace.key.removeprefix("hand:")
        quantity = trace.quantity
        unit = self._unit_text(quantity)

        def tip(x: float, y: float, data: object) -> str:
            return f"Hand reading, {position}\n{quantity}: {y:.1f} {unit}\n{_when(x)}"

        return tip

    def _unit_text(self, quantity: str) -> str:
        if quantity == TEMPERATURE:
            return str(self.ctx.settings.units.temperature)
        title = TITLES.get(quantity, "")
        return title[title.find("(") + 1 : title.find(")")] if "(" in title else ""

    def _fill_series_list(self, devices: list[str], hands: list[str], lowest: bool) -> None:
        self.series_list.blockSignals(True)
        entries: list[tuple[str, str, str]] = []
        if lowest:
            entries.append((LOWEST, "Lowest probe", "line-bold"))
        not_pile = self._not_pile
        entries += [(d, f"{d} (not pile)" if d in not_pile else d, "line") for d in devices]
        entries += [(h, f"Hand: {h.removeprefix('hand:')}", "diamond") for h in hands]
        for key, text, shape in entries:
            item = QListWidgetItem(_swatch(self._colors[key], shape), text)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Unchecked if key in self.hidden else Qt.CheckState.Checked
            )
            if key == LOWEST:
                tip = "The coldest probe at each moment: pathogen rules are judged on it"
            elif key in not_pile:
                tip = f"{key}: an ambient or other sensor (Devices page); not counted for the pile"
            else:
                tip = text
            item.setToolTip(tip)
            self.series_list.addItem(item)
        self.series_list.blockSignals(False)
        rows = sum(self.series_list.sizeHintForRow(i) for i in range(len(entries)))
        self.series_list.setFixedHeight(rows + 2 * self.series_list.frameWidth() + 4)

    def _add_phases(self, phases: Sequence[PhaseSpan], end: float) -> None:
        top = self._top()
        for i, span in enumerate(phases):
            # The last phase lasts until the newest reading, not the middle of its last bucket.
            until = max(span.end, end) if i == len(phases) - 1 else span.end
            for plot in self.plots.values():
                region = pg.LinearRegionItem(
                    values=(span.start, until),
                    movable=False,
                    brush=pg.mkBrush(PHASE_TINTS[span.phase]),
                    pen=pg.mkPen(None),
                )
                region.setZValue(-10)
                region.setToolTip(f"{span.phase.label}: {_when(span.start)} – {_when(until)}")
                plot.addItem(region, ignoreBounds=True)
                if plot is top:
                    region.phase = span.phase
                    region.label = pg.InfLineLabel(
                        region.lines[0],
                        text=span.phase.label,
                        position=0.97,
                        anchors=[(0, 0), (0, 0)],
                        color=PHASE_COLOURS[span.phase],
                    )
                    self.phase_regions.append(region)

    def _add_markers(self, turnings: Sequence[Marker], inputs: Sequence[Marker]) -> None:
        for plot in self.plots.values():
            top = plot is self._top()  # glyphs once, on the top plot
            for markers, kind, pen, glyph in (
                (
                    turnings,
                    "turning",
                    pg.mkPen(TURNING_MARK, width=1.4, style=Qt.PenStyle.DashLine),
                    "↻",
                ),
                (
                    inputs,
                    "input",
                    pg.mkPen(DELIVERY_MARK, width=1.4, style=Qt.PenStyle.DotLine),
                    "+",
                ),
            ):
                for marker in markers:
                    line = MarkerLine(marker, kind, pen, glyph if top else None)
                    line.setZValue(12)
                    plot.addItem(line, ignoreBounds=True)
                    if top:
                        (self.turning_lines if kind == "turning" else self.input_lines).append(line)

    def _add_references(self, unit: TemperatureUnit) -> None:
        plot = self.plots.get(TEMPERATURE)
        if plot is None:
            return
        for celsius in REFERENCE_C:
            value = celsius_to(celsius, unit)
            line = pg.InfiniteLine(
                pos=float(value),
                angle=0,
                movable=False,
                pen=pg.mkPen(LINE, width=0.8, style=Qt.PenStyle.DashLine),
                label=f"{value:g} {unit}",
                labelOpts={
                    "position": 0.995,
                    "color": INACTIVE,
                    "anchors": [(1.0, 0.0), (1.0, 0.0)],
                },
            )
            line.setZValue(1)
            plot.addItem(line, ignoreBounds=True)
            self.reference_lines.append(line)

    # --- showing data --------------------------------------------------------------------

    def _show_traces(self, traces: Sequence[Trace]) -> None:
        """Hand the arrays to the curves; min–max bands only get data while they are shown."""
        self._traces = list(traces)
        unit = self.ctx.settings.units.temperature
        band = self.band_check.isChecked()
        shown = set()
        for trace in traces:
            items = self.items.get(trace.ident)
            if items is None:
                continue  # a series new since the overview: the next reload adds it
            shown.add(trace.ident)
            mean, low, high = trace.mean, trace.low, trace.high
            if trace.quantity == TEMPERATURE:
                mean, low, high = (celsius_to(v, unit) for v in (mean, low, high))
            if isinstance(items.curve, pg.ScatterPlotItem):
                items.curve.setData(trace.times, mean)
            else:
                items.curve.setData(trace.times, mean, connect="finite")
            visible = trace.key not in self.hidden
            items.curve.setVisible(visible)
            if items.banded and (band or items.band is not None):
                self._band_for(items).setVisible(visible and band)
                assert items.low is not None and items.high is not None
                if band:
                    items.low.setData(trace.times, low, connect="finite")
                    items.high.setData(trace.times, high, connect="finite")
                else:
                    items.low.setData([], [])
                    items.high.setData([], [])
        for ident, items in self.items.items():
            if ident not in shown:
                items.curve.setData([], [])

    def _set_x_range(self, start: float, end: float) -> None:
        plot = self._top()
        if plot is None:
            return
        plot.getViewBox().setXRange(start, end, padding=0.0)
        self._update_phase_labels()
        self.settle_timer.start()

    def _update_phase_labels(self) -> None:
        """Hide a phase's name where its band is too narrow on screen to hold it."""
        plot = self._top()
        if plot is None:
            return
        view = plot.getViewBox()
        x0, x1 = view.viewRange()[0]
        width_px = max(view.width(), 1.0)
        per_px = (x1 - x0) / width_px if x1 > x0 else 1.0
        for region in self.phase_regions:
            start, end = region.getRegion()
            visible = (min(end, x1) - max(start, x0)) / per_px
            label: pg.InfLineLabel = region.label
            needed = label.boundingRect().width() + 8
            # A phase that began off-screen has its name off-screen too.
            label.setVisible(visible >= needed and start >= x0 - per_px)

    def _show_status(self) -> None:
        overview = self.overview
        if overview is None or overview.snapshot is None:
            self.status_label.setText("")
            return
        snap = self.detail or overview.snapshot
        loc = QLocale()
        count = counted(overview.readings, "reading", loc.toString(overview.readings))
        resolution = (
            "every reading shown"
            if snap.bucket_seconds <= 1.0
            else f"each point is the mean of {_duration(snap.bucket_seconds)}"
        )
        self.status_label.setText(f"{count} · {resolution}")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / DAY:.1f} days"


def _when(seconds: float) -> str:
    return moment_text(datetime.fromtimestamp(seconds, UTC))


def _tint(rgba: tuple[int, int, int, int]) -> str:
    """A translucent phase colour as it looks over the white plot."""
    r, g, b, a = rgba
    return QColor(*(round(255 - (255 - c) * a / 255) for c in (r, g, b))).name()


def _key_html() -> str:
    """What the marks on the time axis mean; the plots only carry glyphs."""
    rows = [
        f'<tr><td style="color:{TURNING_MARK}"><b>↻</b></td><td>turning</td></tr>',
        f'<tr><td style="color:{DELIVERY_MARK}"><b>+</b></td><td>delivery (input)</td></tr>',
    ]
    for phase, rgba in PHASE_TINTS.items():
        bolder = (*rgba[:3], min(255, rgba[3] * 3))
        rows.append(
            f'<tr><td style="background-color:{_tint(bolder)}">&nbsp;&nbsp;&nbsp;</td>'
            f"<td>{phase.label}</td></tr>"
        )
    return (
        '<table cellspacing="3">' + "".join(rows) + "</table>"
        "<p>Hover a mark for details. Drag to pan, wheel to zoom; the buttons above reset.</p>"
    )


def _swatch(color: str, shape: str) -> QIcon:
    pixmap = QPixmap(22, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if shape == "diamond":
        painter.setPen(QPen(QColor(PAPER), 1))
        painter.setBrush(QColor(color))
        from PySide6.QtCore import QPointF

        painter.drawPolygon([QPointF(11, 1), QPointF(16, 6), QPointF(11, 11), QPointF(6, 6)])
    else:
        painter.setPen(QPen(QColor(color), 3.5 if shape == "line-bold" else 2))
        painter.drawLine(2, 6, 20, 6)
    painter.end()
    return QIcon(pixmap)
