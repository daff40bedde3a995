"""The Monitoring screen: gauges, plots, device status and alarms of the running pile.

Widgets never react per message: the hub drains the MQTT queue at 25 Hz and says a batch
arrived; gauges and labels refresh at 4 Hz, plots at 2 Hz, the device table once a second.
"""

from __future__ import annotations

import html
from typing import Final

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from compost_desktop.domain.quantities import CO2, HUMIDITY, MOISTURE, O2, TEMPERATURE
from compost_desktop.domain.units import TemperatureUnit, celsius_to
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.monitoring.alarm_view import AlarmPanel
from compost_desktop.gui.monitoring.devices import DeviceTable
from compost_desktop.gui.monitoring.gauge import Gauge, scale_for
from compost_desktop.gui.monitoring.hub import MonitoringHub
from compost_desktop.gui.monitoring.plots import PlotPanel
from compost_desktop.gui.monitoring.rejects import RejectsDialog
from compost_desktop.presentation.formats import clock_text
from compost_desktop.presentation.palette import (
    ERROR,
    ERROR_BACKGROUND,
    OK,
    WARNING,
    WARNING_BACKGROUND,
)
from compost_desktop.presentation.words import counted

GAUGE_QUANTITIES: Final = (TEMPERATURE, MOISTURE, HUMIDITY, O2, CO2)
QUANTITY_NAMES: Final = {
    TEMPERATURE: "temperature",
    MOISTURE: "moisture",
    HUMIDITY: "humidity",
    O2: "O₂",
    CO2: "CO₂",
}
GAUGE_REFRESH_MS: Final = 250
STATUS_REFRESH_MS: Final = 1000
NARROW_PX: Final = 1000  # below this page width, gauges and history become tabs
DEMO_STYLE: Final = (
    f"background:{WARNING_BACKGROUND}; color:{WARNING}; padding:6px; border-radius:4px;"
)
ERROR_STYLE: Final = (
    f"background:{ERROR_BACKGROUND}; color:{ERROR}; padding:6px; border-radius:4px;"
)


class GaugeGrid(QWidget):
    """A row of gauges per device or probe, a column per quantity present."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.gauges: dict[tuple[str, str], Gauge] = {}
        self.unit = TemperatureUnit.CELSIUS
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(4, 4, 4, 4)
        self._grid.setSpacing(6)
        self.placeholder = QLabel("Waiting for the first readings…")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._grid.addWidget(self.placeholder, 0, 0)
        self._devices: list[str] = []
        self._columns: list[str] = []
        self.row_labels: dict[str, QLabel] = {}

    def gauge(self, device: str, quantity: str, label: str | None = None) -> Gauge:
        """The gauge of one sensor, created (and the grid re-laid) on first use."""
        gauge = self.gauges.get((device, quantity))
        if gauge is not None:
            return gauge
        gauge = Gauge(QUANTITY_NAMES[quantity], scale_for(quantity, self.unit))
        gauge.setToolTip(f"{label or device} ({device}) · {QUANTITY_NAMES[quantity]}")
        self.gauges[(device, quantity)] = gauge
        if device not in self._devices:
            self._devices.append(device)
            self._devices.sort()
            row_label = QLabel(f"<b>{html.escape(label or device)}</b>")
            row_label.setToolTip(device)
            row_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            row_label.setWordWrap(True)
            row_label.setMaximumWidth(70)
            self.row_labels[device] = row_label
        if quantity not in self._columns:
            self._columns.append(quantity)
            self._columns.sort(key=GAUGE_QUANTITIES.index)
        self._relayout()
        return gauge

    def set_unit(self, unit: TemperatureUnit) -> None:
        """Rescale temperature gauges; the page then sets their values in the new unit."""
        self.unit = unit
        for (_, quantity), gauge in self.gauges.items():
            if quantity == TEMPERATURE:
                gauge.set_scale(scale_for(TEMPERATURE, unit))

    def relabel(self, labels: dict[str, str]) -> None:
        """Show the registry's names beside the rows."""
        for device, text in labels.items():
            row_label = self.row_labels.get(device)
            if row_label is not None:
                row_label.setText(f"<b>{html.escape(text)}</b>")

    def clear(self) -> None:
        """Remove every gauge (the source changed)."""
        for gauge in self.gauges.values():
            self._grid.removeWidget(gauge)
            gauge.hide()
            gauge.deleteLater()
        self.gauges.clear()
        for label in self.row_labels.values():
            self._grid.removeWidget(label)
            label.hide()
            label.deleteLater()
        self.row_labels.clear()
        self._devices.clear()
        self._columns.clear()
        self.placeholder.show()

    def _relayout(self) -> None:
        self.placeholder.hide()
        for widget in [*self.gauges.values(), *self.row_labels.values()]:
            self._grid.removeWidget(widget)
        for row, device in enumerate(self._devices):
            self._grid.addWidget(self.row_labels[device], row, 0)
            self._grid.setRowStretch(row, 0)
        for (device, quantity), gauge in self.gauges.items():
            row, column = self._devices.index(device), self._columns.index(quantity) + 1
            self._grid.addWidget(gauge, row, column)
        # Spare room goes below the last row and right of the last column.
        self._grid.setRowStretch(len(self._devices), 1)
        self._grid.setColumnStretch(len(self._columns) + 1, 1)
        for widget in [*self.gauges.values(), *self.row_labels.values()]:
            widget.show()


class MonitoringPage(QWidget):
    """Live view of the pile; starts its hub when first shown (or when the app asks)."""

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        hub: MonitoringHub | None = None,
        autostart: bool = True,
    ) -> None:
        """`hub` lets tests inject one with a fake client; `autostart` starts it on show."""
        super().__init__(parent)
        self.ctx = ctx
        self.hub = hub if hub is not None else MonitoringHub(ctx, parent=self)
        self.autostart = autostart
        self.unit = ctx.settings.units.temperature
        self._gauges_dirty = True

        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.cycle_label = QLabel("No active cycle")
        self.cycle_label.setTextFormat(Qt.TextFormat.RichText)
        self.link_label = QLabel()
        self.rejected_label = QPushButton("0 messages rejected")
        self.rejected_label.setFlat(True)
        self.rejected_label.setToolTip("Malformed or impossible messages: click to see why")
        self.rejected_label.clicked.connect(self.on_rejects_clicked)
        self.rejects_dialog: RejectsDialog | None = None
        header = QHBoxLayout()
        header.addWidget(self.cycle_label, 1)
        header.addWidget(self.link_label)
        header.addWidget(_separator())
        header.addWidget(self.rejected_label)

        self.gauge_grid = GaugeGrid()
        self.gauge_grid.unit = self.unit
        gauge_scroll = QScrollArea()
        gauge_scroll.setWidgetResizable(True)
        gauge_scroll.setWidget(self.gauge_grid)
        gauge_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.plots = PlotPanel(self.hub)
        self.plots.set_unit(self.unit)
        self.devices = DeviceTable(self.hub)
        self.alarms = AlarmPanel(self.hub)
        devices_box = QWidget()
        devices_layout = QVBoxLayout(devices_box)
        devices_layout.setContentsMargins(0, 0, 0, 0)
        devices_layout.addWidget(QLabel("<b>Devices</b>"))
        devices_layout.addWidget(self.devices, 1)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(gauge_scroll)
        top.addWidget(self.plots)
        top.setStretchFactor(0, 1)
        top.setStretchFactor(1, 1)
        top.setSizes([640, 480])  # five gauges fit without a scrollbar at 1280 px
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(devices_box)
        bottom.addWidget(self.alarms)
        bottom.setStretchFactor(0, 1)
        bottom.setStretchFactor(1, 2)
        # On a narrow page (a 1366×768 screen at 150 %) the gauges and the history share the
        # width badly: the gauges scrolled sideways beside a plot too thin to read. There
        # they become two tabs, each with the whole width.
        self.top_split = top
        self.top_tabs = QTabWidget()
        self.top_tabs.setDocumentMode(True)
        self.top_stack = QStackedWidget()
        self.top_stack.addWidget(top)
        self.top_stack.addWidget(self.top_tabs)
        self._gauge_scroll = gauge_scroll
        self._wide_sizes = [640, 480]
        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(self.top_stack)
        body.addWidget(bottom)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 1)
        body.setSizes([560, 220])

        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(header)
        layout.addWidget(body, 1)

        self.gauge_timer = QTimer(self)
        self.gauge_timer.setInterval(GAUGE_REFRESH_MS)
        self.gauge_timer.timeout.connect(self.on_gauge_refresh_due)
        self.gauge_timer.start()
        self.status_timer = QTimer(self)
        self.status_timer.setInterval(STATUS_REFRESH_MS)
        self.status_timer.timeout.connect(self.on_status_refresh_due)
        self.status_timer.start()
        self.hub.readings_drained.connect(self.on_readings_drained)
        self.hub.link_changed.connect(self.on_link_changed)
        self.hub.source_changed.connect(self.on_source_changed)
        self.hub.cycle_changed.connect(self.on_cycle_changed)
        self.hub.registry_keeper.changed.connect(self.on_registry_changed)
        ctx.settings_changed.connect(self.on_settings_changed)
        self.on_source_changed(self.hub.source)
        self.on_link_changed(self.hub.link_state, self.hub.link_detail)

    def start(self) -> None:
        """Start monitoring now (the app calls this so recording runs all day)."""
        self.hub.start()
        self.on_source_changed(self.hub.source)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange(tabbed=event.size().width() < NARROW_PX)

    def is_tabbed(self) -> bool:
        return self.top_stack.currentWidget() is self.top_tabs

    def _arrange(self, tabbed: bool) -> None:
        """Gauges and history side by side in the splitter, or as two tabs."""
        if tabbed == self.is_tabbed():
            return
        if tabbed:
            self._wide_sizes = self.top_split.sizes()
            self.top_tabs.addTab(self._gauge_scroll, "Gauges")
            self.top_tabs.addTab(self.plots, "History")
            self.top_stack.setCurrentWidget(self.top_tabs)
        else:
            self.top_split.insertWidget(0, self._gauge_scroll)
            self.top_split.insertWidget(1, self.plots)
            for widget in (self._gauge_scroll, self.plots):
                widget.show()  # the tab not on top was hidden by the tab widget
            self.top_split.setSizes(self._wide_sizes)
            self.top_stack.setCurrentWidget(self.top_split)

    def showEvent(self, event: QShowEvent) -> None:
        """Start on first show, so building the window alone opens no connection."""
        super().showEvent(event)
        if self.autostart and not self.hub.started:
            self.start()
        self.on_gauge_refresh_due()
        self.on_status_refresh_due()

    # -- slots --

    def on_rejects_clicked(self) -> None:
        """Show the recent rejects of every source (time, topic, reason, payload)."""
        records = [r for source in self.hub._sources() for r in source.parser.recent_rejects()]
        self.rejects_dialog = RejectsDialog(records, self)
        self.rejects_dialog.show()

    def on_registry_changed(self) -> None:
        """Names changed: relabel the gauge rows; ignored devices lose their gauges."""
        registry = self.hub.registry_keeper.registry
        if any(registry.is_ignored(device) for device, _ in self.gauge_grid.gauges):
            self.gauge_grid.clear()
        else:
            self.gauge_grid.relabel({d: registry.label(d) for d in self.gauge_grid.row_labels})
        self._gauges_dirty = True
        self.on_gauge_refresh_due()

    def on_readings_drained(self, count: int) -> None:
        """Values changed; the gauge timer picks them up."""
        self._gauges_dirty = True
        if count == 0:  # the hub cleared its buffers
            self.gauge_grid.clear()
            self.plots.clear()

    def on_gauge_refresh_due(self) -> None:
        """Move the gauges to the latest values, in the user's unit."""
        if not self._gauges_dirty:
            return
        self._gauges_dirty = False
        now = self.hub.now()
        registry = self.hub.registry_keeper.registry
        for (device, quantity), reading in list(self.hub.latest.items()):
            if quantity not in GAUGE_QUANTITIES or registry.is_ignored(device):
                continue
            value = reading.value
            if quantity == TEMPERATURE:
                value = celsius_to(value, self.unit)
            info = self.hub.devices.get(device)
            stale = info is not None and self.hub.is_stale(info, now)
            self.gauge_grid.gauge(device, quantity, registry.label(device)).set_value(value, stale)

    def on_status_refresh_due(self) -> None:
        """Device table, stale gauges, link state, rejected count and cycle header."""
        self.devices.refresh()
        self._gauges_dirty = True
        self.on_gauge_refresh_due()
        rejected = self.hub.rejected
        self.rejected_label.setText(
            f"{counted(rejected, 'message')} rejected"
            + (f", {self.hub.dropped} dropped" if self.hub.dropped else "")
        )
        self.on_cycle_changed()
        self.on_link_changed(self.hub.link_state, self.hub.link_detail)

    def on_link_changed(self, state: str, detail: str) -> None:
        """Connected / reconnecting / offline since HH:MM."""
        since = clock_text(self.hub.link_since)
        where = "the demo broker" if self.hub.source == "demo" else self.hub.broker_label()
        if self.hub.source == "none":
            text, color = "Not connected", ERROR
            if not self.ctx.settings.mqtt.host.strip():
                text = "No broker configured"
        elif state == "connected":
            text, color = f"● Connected to {where}", OK
        elif state == "connecting":
            text, color = f"Connecting to {where}…", WARNING
        elif state == "reconnecting":
            text, color = f"Reconnecting since {since}", WARNING
        else:
            text, color = f"Offline since {since}", ERROR
        self.link_label.setText(text)
        self.link_label.setStyleSheet(f"color:{color};")
        self.link_label.setToolTip(detail)

    def on_source_changed(self, source: str) -> None:
        """Say plainly when the values are simulated; the recorded past is the broker's only."""
        hub = self.hub
        if source != getattr(self, "_source_shown", None):
            self._source_shown = source
            if source == "demo":
                self.plots.forget_history()
            elif source == "live":
                self.plots.load_history()
        kind = "Mosquitto" if hub.demo_kind == "mosquitto" else "embedded amqtt"
        if hub.demo_error:
            self.banner.setText(
                f"Demo broker could not start ({hub.demo_error}). "
                "Configure your broker in Settings."
            )
            self.banner.setStyleSheet(ERROR_STYLE)
            self.banner.show()
        elif source == "demo":
            unreachable = self.ctx.settings.mqtt.host.strip()
            prefix = (
                f"Demo: cannot reach the broker {hub.broker_label()}, showing simulated "
                f"readings from a local broker ({kind}) meanwhile"
                if unreachable
                else f"Demo: simulated readings from a local broker ({kind})"
            )
            self.banner.setText(
                f"{prefix} — configure your broker in Settings. Nothing is recorded."
            )
            self.banner.setStyleSheet(DEMO_STYLE)
            self.banner.show()
        else:
            self.banner.hide()

    def on_cycle_changed(self) -> None:
        """Name, day and phase of the active cycle."""
        cycle = self.hub.cycle
        phase = self.hub.phase()
        phase_text = f" — <b>{phase}</b>" if phase else ""
        if cycle is None:
            self.cycle_label.setText(f"No active cycle{phase_text}")
            return
        day = self.hub.day_number()
        day_text = f" — day {day}" if day is not None else ""
        self.cycle_label.setText(f"Cycle <b>{cycle.name or '(unnamed)'}</b>{day_text}{phase_text}")

    def on_settings_changed(self) -> None:
        """Units may have changed; the hub handles broker and thresholds."""
        unit = self.ctx.settings.units.temperature
        if unit != self.unit:
            self.unit = unit
            self.gauge_grid.set_unit(unit)
            self.plots.set_unit(unit)
            self._gauges_dirty = True
            self.on_gauge_refresh_due()
        self.on_source_changed(self.hub.source)


def _separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.VLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line
