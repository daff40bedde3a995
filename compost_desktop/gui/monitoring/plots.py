"""Live plots of the last hours, repainted by a timer from the hub's ring buffers.

The time axis ends at the receive clock (now), not at the newest measurement time, so a
device with a wrong clock cannot drag current data off the plot. What was recorded before
the window opened is read back from the database (`live_history.recent_series`) when the
store is ready and whenever another window is chosen. Colours and names come from the
device registry; sensors that are not pile probes are dashed, ignored ones are not drawn.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Final

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QResizeEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from compost_desktop.domain.quantities import CO2, HUMIDITY, MOISTURE, O2, TEMPERATURE
from compost_desktop.domain.units import TemperatureUnit, celsius_to
from compost_desktop.gui.monitoring.hub import MonitoringHub
from compost_desktop.presentation.palette import DEVICE_COLOURS, PAPER

REPAINT_INTERVAL_MS: Final = 1000
# A plot a few hundred pixels wide cannot show more; the rest only costs repaint time.
MAX_POINTS_PER_CURVE: Final = 1500
WINDOWS: Final = (("Last hour", 3_600.0), ("Last 6 hours", 21_600.0), ("Last 24 hours", 86_400.0))
# Humidity and CO2 have gauges only: three plots is what fits beside the gauges.
PLOTTED: Final = (TEMPERATURE, MOISTURE, O2)
TITLES: Final = {
    TEMPERATURE: "Temperature",
    MOISTURE: "Moisture (%)",
    HUMIDITY: "Humidity (% RH)",
    O2: "Oxygen (%)",
    CO2: "CO₂ (ppm)",
}
# Where a plot is too short for its title (three plots on a 1366×768 screen at 150 % are
# about 95 px each), the title shrinks to its unit instead of being cut to "ature (°C)".
SHORT_TITLES: Final = {MOISTURE: "%", HUMIDITY: "% RH", O2: "O₂ %", CO2: "ppm"}
SHORT_TITLE_BELOW_PX: Final = 150
Arrays = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]
log = logging.getLogger(__name__)


class PlotPanel(QWidget):
    """One plot per quantity present (temperature and moisture always), a curve per device."""

    def __init__(self, hub: MonitoringHub, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hub = hub
        self.window_s = WINDOWS[0][1]
        self.unit = hub.ctx.settings.units.temperature
        self.repaints = 0
        self._dirty = True
        self._curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.plots: dict[str, pg.PlotWidget] = {}
        self.keeper = hub.registry_keeper
        self.backfill: dict[tuple[str, str], Arrays] = {}
        self._backfill_generation = 0

        self.window_combo = QComboBox()
        for label, seconds in WINDOWS:
            self.window_combo.addItem(label, seconds)
        self.window_combo.currentIndexChanged.connect(self.on_window_chosen)
        header = QHBoxLayout()
        header.addWidget(QLabel("<b>History</b>"))
        header.addStretch(1)
        header.addWidget(QLabel("Show:"))
        header.addWidget(self.window_combo)

        self._plots_layout = QVBoxLayout()
        self._plots_layout.setSpacing(2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addLayout(self._plots_layout, 1)
        for quantity in (TEMPERATURE, MOISTURE):
            self._plot_for(quantity)

        self.timer = QTimer(self)
        self.timer.setInterval(REPAINT_INTERVAL_MS)
        self.timer.timeout.connect(self.on_repaint_due)
        self.timer.start()
        hub.readings_drained.connect(self.on_readings_drained)
        self.keeper.changed.connect(self.on_registry_changed)
        hub.ctx.store_ready.connect(self.load_history)
        if hub.ctx.store is not None:
            self.load_history()

    def load_history(self) -> None:
        """Read the chosen window's recorded readings on the database thread."""
        engine = getattr(self.hub.ctx.store, "engine", None)
        if engine is None:
            return
        from compost_desktop.services.live_history import recent_series

        self._backfill_generation += 1
        generation = self._backfill_generation
        end = self.hub.now()
        start = end - timedelta(seconds=self.window_s)

        def done(found: object) -> None:
            if generation != self._backfill_generation or not isinstance(found, dict):
                return
            self.backfill = {key: (np.asarray(t), np.asarray(v)) for key, (t, v) in found.items()}
            self._dirty = True
            self.on_repaint_due()

        def failed(error: BaseException) -> None:
            log.warning("Could not read recorded readings for the plots: %s", error)

        self.hub.ctx.runner.submit(
            lambda: recent_series(engine, start, end, PLOTTED, MAX_POINTS_PER_CURVE),
            done,
            failed,
        )

    def on_registry_changed(self) -> None:
        """Names, colours or roles changed: draw the curves afresh."""
        self.clear()

    def set_unit(self, unit: TemperatureUnit) -> None:
        """Show temperatures in °C or °F."""
        self.unit = unit
        self._fit_titles()
        self._dirty = True

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        QTimer.singleShot(0, self, self._fit_titles)  # once the plots have their new heights

    def title(self, quantity: str, short: bool = False) -> str:
        if quantity == TEMPERATURE:
            return str(self.unit) if short else f"{TITLES[TEMPERATURE]} ({self.unit})"
        return SHORT_TITLES[quantity] if short else TITLES[quantity]

    def _fit_titles(self) -> None:
        """A plot shorter than a full title shows its unit alone. Measuring the rotated label
        against its axis still left "Oxygen (%" cut in the real window (pyqtgraph centres it
        with margins of its own), so the rule is a height, checked there at 100 % and 150 %."""
        for quantity, plot in self.plots.items():
            text = self.title(quantity, short=plot.height() < SHORT_TITLE_BELOW_PX)
            if plot.getAxis("left").labelText != text:
                plot.setLabel("left", text)

    def on_readings_drained(self, count: int) -> None:
        """Mark for the next repaint; never repaint per batch."""
        self._dirty = True

    def on_window_chosen(self, index: int) -> None:
        """1 h, 6 h or 24 h."""
        self.window_s = float(self.window_combo.itemData(index))
        self._dirty = True
        self.on_repaint_due()
        self.load_history()

    def on_repaint_due(self) -> None:
        """Copy the visible part of each ring buffer (and the recorded past) into its curve."""
        if not self._dirty or not self.isVisible():
            return
        self._dirty = False
        self.repaints += 1
        newest = self.hub.now().timestamp()
        t0 = newest - self.window_s
        registry = self.keeper.registry
        keys = {k for k in self.hub.series if k[1] in PLOTTED} | set(self.backfill)
        # Every device the window knows, as the device table counts them, so a device gets
        # the same colour here and there, and keeps it when another one turns up.
        colours = registry.colours(
            DEVICE_COLOURS, set(self.hub.devices) | {device for device, _ in keys}
        )
        for key in sorted(keys):
            device, quantity = key
            if registry.is_ignored(device):
                continue
            times, values = self._points(key, t0)
            if not len(times) and key not in self._curves:
                continue
            curve = self._curves.get(key) or self._curve_for(device, quantity, colours[device])
            pen = curve.opts["pen"]
            if pen.color().name() != colours[device]:  # a device that sorts earlier appeared
                pen.setColor(QColor(colours[device]))
                curve.setPen(pen)
            if quantity == TEMPERATURE:
                values = celsius_to(values, self.unit)
            times, values = decimate(times, values, MAX_POINTS_PER_CURVE)
            curve.setData(times, values, skipFiniteCheck=True)
        self._show_time_axis_on_bottom_plot_only()
        for plot in self.plots.values():
            plot.setXRange(t0, newest, padding=0.01)

    def _points(self, key: tuple[str, str], t0: float) -> Arrays:
        """Recorded points older than the first live one, then the live ones."""
        series = self.hub.series.get(key)
        live_t, live_v = series.since(t0) if series is not None else (np.empty(0), np.empty(0))
        past = self.backfill.get(key)
        if past is None:
            return live_t, live_v
        past_t, past_v = past
        keep = past_t >= t0
        if len(live_t):
            keep &= past_t < live_t[0]
        if not keep.any():
            return live_t, live_v
        return np.concatenate((past_t[keep], live_t)), np.concatenate((past_v[keep], live_v))

    def _show_time_axis_on_bottom_plot_only(self) -> None:
        """Date ticks are the costliest part of a repaint; the plots share one x range."""
        bottom = max(self.plots, key=PLOTTED.index)
        for quantity, plot in self.plots.items():
            plot.getPlotItem().showAxis("bottom", quantity == bottom)

    def _plot_for(self, quantity: str) -> pg.PlotWidget:
        plot = self.plots.get(quantity)
        if plot is not None:
            return plot
        plot = pg.PlotWidget(background=PAPER, axisItems={"bottom": pg.DateAxisItem()})
        # Short enough that three fit the history tab at 150 % on 1366×768 (about 290 px):
        # at 110 px each they were clipped at the top; their titles shrink instead.
        plot.setMinimumHeight(60)
        plot.setLabel("left", self.title(quantity))
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.setMouseEnabled(x=False, y=True)
        plot.getPlotItem().setDownsampling(auto=True, mode="peak")
        plot.getPlotItem().setClipToView(True)
        first = next(iter(self.plots.values()), None)
        if first is None:
            plot.addLegend(offset=(-8, 4), labelTextSize="8pt")  # one legend is enough
        else:
            plot.setXLink(first)
        # Keep the plots in the order of PLOTTED whatever order quantities first arrive in.
        position = sum(1 for q in PLOTTED[: PLOTTED.index(quantity)] if q in self.plots)
        self._plots_layout.insertWidget(position, plot, 1)
        self.plots[quantity] = plot
        QTimer.singleShot(0, self, self._fit_titles)  # every plot is shorter now
        return plot

    def _curve_for(self, device: str, quantity: str, color: str) -> pg.PlotDataItem:
        plot = self._plot_for(quantity)
        registry = self.keeper.registry
        pen = pg.mkPen(color, width=1.5)
        name = registry.label(device)
        if not registry.is_pile_probe(device):
            # Air and other sensors are shown apart from the pile probes.
            pen.setStyle(Qt.PenStyle.DashLine)
            name = f"{name} (not pile)"
        curve = plot.plot([], [], pen=pen, name=name)
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)
        curve.setZValue(1)
        self._curves[(device, quantity)] = curve
        return curve

    def clear(self) -> None:
        """Drop all curves (the hub switched sources, or names and colours changed)."""
        for (_, quantity), curve in self._curves.items():
            self.plots[quantity].removeItem(curve)
        self._curves.clear()
        self._dirty = True

    def forget_history(self) -> None:
        """The source changed (demo ↔ broker): the recorded past is not its past."""
        self._backfill_generation += 1
        self.backfill = {}
        self.clear()


def decimate(
    times: npt.NDArray[np.float64], values: npt.NDArray[np.float64], max_points: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Keep each bucket's minimum and maximum, so peaks and dips survive the thinning."""
    n = len(values)
    if n <= max_points:
        return times, values
    buckets = max_points // 2
    size = n // buckets
    used = buckets * size
    v = values[n - used :].reshape(buckets, size)
    t = times[n - used :].reshape(buckets, size)
    rows = np.arange(buckets)
    lo, hi = v.argmin(axis=1), v.argmax(axis=1)
    first, second = np.minimum(lo, hi), np.maximum(lo, hi)  # keep time order within a bucket
    out_t = np.column_stack((t[rows, first], t[rows, second])).ravel()
    out_v = np.column_stack((v[rows, first], v[rows, second])).ravel()
    return out_t, out_v
