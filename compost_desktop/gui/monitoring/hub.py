"""The monitoring hub: owns the MQTT client (or the demo), buffers readings, raises alarms.

Data flow: paho's thread parses and queues (`SensorClient`); a 25 Hz QTimer here drains the
queue in one batch, updates the ring buffers, latest values and device last-seen, feeds the
`AlarmEngine` and the `ReadingWriter`, and emits *one* signal per batch. Widgets repaint on
their own slower timers, never per message.

Ring buffers: one `Series` per (device, quantity), numpy float64 time/value arrays that grow
by doubling up to `SERIES_CAPACITY` = 86,400 points (24 h at one reading per second, ~1.4 MB
per series when full) and then overwrite the oldest. A faster sensor keeps a shorter history;
memory stays bounded whatever the broker sends.

Sources: with no broker host in Settings the hub starts the `Demo` (local broker + simulator)
and says so; with a host it connects there, and if that broker has not answered within
`DEMO_FALLBACK_MS` it shows the demo meanwhile and switches to the real broker as soon as it
connects. Demo readings are never recorded and demo alarms never logged to the database.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from compost_desktop.gui.context import CYCLES, AppContext
from compost_desktop.gui.devices.keeper import keeper_for
from compost_desktop.monitoring.alarms import AlarmEngine, AlarmEvent, AlarmLog, record_event
from compost_desktop.monitoring.parsing import (
    TEMPERATURE,
    DeviceStatus,
    LastKnown,
    MessageParser,
    Reading,
    TopicPatterns,
)
from compost_desktop.services.records import CycleRecord
from compost_desktop.settings import MqttSettings

log = logging.getLogger(__name__)

SERIES_CAPACITY: Final = 86_400
_INITIAL_CAPACITY: Final = 256
DRAIN_INTERVAL_MS: Final = 40  # 25 Hz
DRAIN_LIMIT: Final = 20_000  # per tick, so a backlog after a reconnect cannot freeze the GUI
HOUSEKEEPING_INTERVAL_MS: Final = 1000
DEMO_FALLBACK_MS: Final = 8000
THERMOPHILIC_C: Final = 45.0
MAX_ALARMS_SHOWN: Final = 500


class ReadingSink(Protocol):
    """What records readings (`recording.ReadingWriter`); `add` must not block."""

    def add(self, readings: list[Reading]) -> None: ...


class SensorSource(Protocol):
    """The part of `SensorClient` the hub uses, so tests can hand in a fake."""

    parser: MessageParser
    dropped: int

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def drain(self, limit: int | None = None) -> list[Any]: ...


class Series:
    """A growing, then wrapping, ring buffer of (epoch seconds, value) for one sensor."""

    __slots__ = ("_count", "_start", "capacity", "times", "values")

    def __init__(self, capacity: int = SERIES_CAPACITY) -> None:
        """Starts small so a hundred idle series cost little."""
        self.capacity = capacity
        size = min(_INITIAL_CAPACITY, capacity)
        self.times: npt.NDArray[np.float64] = np.empty(size)
        self.values: npt.NDArray[np.float64] = np.empty(size)
        self._start = 0
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def append(self, t: float, value: float) -> None:
        """Add one point, overwriting the oldest when full."""
        size = len(self.times)
        if self._count == size and size < self.capacity:
            grown = min(size * 2, self.capacity)
            times, values = self.arrays()
            self.times = np.empty(grown)
            self.values = np.empty(grown)
            self.times[:size] = times
            self.values[:size] = values
            self._start = 0
            size = grown
        if self._count < size:
            i = (self._start + self._count) % size
            self._count += 1
        else:
            i = self._start
            self._start = (self._start + 1) % size
        self.times[i] = t
        self.values[i] = value

    def arrays(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Times and values, oldest first (copies only when the ring has wrapped)."""
        end = self._start + self._count
        size = len(self.times)
        if end <= size:
            return self.times[self._start : end], self.values[self._start : end]
        split = end - size
        return (
            np.concatenate((self.times[self._start :], self.times[:split])),
            np.concatenate((self.values[self._start :], self.values[:split])),
        )

    def since(self, t0: float) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Points at or after `t0` (assumes mostly time-ordered arrival)."""
        times, values = self.arrays()
        i = int(np.searchsorted(times, t0, side="left"))
        return times[i:], values[i:]

    def last_time(self) -> float | None:
        """Time of the newest point."""
        if not self._count:
            return None
        return float(self.times[(self._start + self._count - 1) % len(self.times)])


@dataclass
class DeviceInfo:
    """What the window knows about one device or probe."""

    device_id: str
    last_seen: datetime | None = None
    online: bool | None = None
    status_at: datetime | None = None
    last_known: bool = False  # only a retained value so far: shown, not current


@dataclass
class AlarmItem:
    """One alarm as shown in the window: its raise, its clear and who acknowledged it."""

    event: AlarmEvent
    alarm_id: int | None = None
    cleared_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    persisted: bool = False


class MonitoringHub(QObject):
    """Owns the sensor source and the live state every monitoring widget reads."""

    readings_drained = Signal(int)
    link_changed = Signal(str, str)
    alarms_changed = Signal()
    alarm_raised = Signal(object)
    source_changed = Signal(str)
    cycle_changed = Signal()
    _demo_finished = Signal(object, object, int)

    def __init__(
        self,
        ctx: AppContext,
        *,
        client: SensorSource | None = None,
        demo_enabled: bool = True,
        record: bool = True,
        writer: ReadingSink | None = None,
        alarm_log: AlarmLog | None = None,
        clock: Callable[[], datetime] | None = None,
        parent: QObject | None = None,
    ) -> None:
        """`client` replaces the MQTT connection (tests); `record` lets the hub open the
        database writer and alarm log itself once the store is ready (live broker only)."""
        super().__init__(parent)
        self.ctx = ctx
        self.now: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.demo_enabled = demo_enabled
        self.record = record
        self.writer = writer
        self.alarm_log = alarm_log
        self._owned_writer: Any = None
        self.registry_keeper = keeper_for(ctx)
        self.engine = AlarmEngine(ctx.settings.alarms, self.registry_keeper.registry.is_pile_probe)
        self.registry_keeper.changed.connect(self.on_registry_changed)
        self.series: dict[tuple[str, str], Series] = {}
        self.latest: dict[tuple[str, str], Reading] = {}
        self.devices: dict[str, DeviceInfo] = {}
        self.alarms: list[AlarmItem] = []
        self.cycle: CycleRecord | None = None
        self.readings_seen = 0
        self.link_state = "offline"
        self.link_detail = ""
        self.link_since = self.now()
        self.source = "none"  # "live", "demo" or "none"
        self.demo_kind = ""
        self.demo_error = ""
        self._injected = client
        self._live: SensorSource | None = None
        self._demo_client: SensorSource | None = None
        self._demo: Any = None
        self._demo_generation = 0
        self._live_connected_once = False
        self._mqtt_in_use: MqttSettings | None = None
        self._started = False
        self._drain_timer = QTimer(self)
        self._drain_timer.setInterval(DRAIN_INTERVAL_MS)
        self._drain_timer.timeout.connect(self.on_drain_due)
        self._housekeeping_timer = QTimer(self)
        self._housekeeping_timer.setInterval(HOUSEKEEPING_INTERVAL_MS)
        self._housekeeping_timer.timeout.connect(self.on_housekeeping_due)
        self._fallback_timer = QTimer(self)
        self._fallback_timer.setSingleShot(True)
        self._fallback_timer.setInterval(DEMO_FALLBACK_MS)
        self._fallback_timer.timeout.connect(self.on_fallback_due)
        self._demo_finished.connect(self.on_demo_finished)
        ctx.store_ready.connect(self.on_store_ready)
        ctx.settings_changed.connect(self.on_settings_changed)
        ctx.bus.changed.connect(self.on_data_changed)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)
        if ctx.store is not None:
            self.on_store_ready()

    # -- life cycle --

    @property
    def started(self) -> bool:
        """Whether `start` has run (and `stop` has not)."""
        return self._started

    @property
    def rejected(self) -> int:
        """Messages the parser refused, across the sources in use."""
        return sum(c.parser.rejected for c in self._sources())

    @property
    def dropped(self) -> int:
        """Items lost to a full client queue."""
        return sum(c.dropped for c in self._sources())

    def start(self) -> None:
        """Connect (or start the demo) and begin draining; idempotent."""
        if self._started:
            return
        self._started = True
        self._mqtt_in_use = replace(self.ctx.settings.mqtt)
        if self._injected is not None:
            self._live = self._injected
            self._set_source("live")
            self._live.start()
        elif not self._mqtt_in_use.host.strip():
            if self.demo_enabled:
                self._start_demo()
        else:
            self._live = self._make_client(self._mqtt_in_use)
            self._set_source("live")
            self._live.start()
            if self.demo_enabled:
                self._fallback_timer.start()
        self._drain_timer.start()
        self._housekeeping_timer.start()

    def stop(self) -> None:
        """Disconnect, stop the demo and flush the writer this hub opened."""
        if not self._started:
            return
        self._started = False
        self._drain_timer.stop()
        self._housekeeping_timer.stop()
        self._fallback_timer.stop()
        if self._live is not None:
            self._live.stop()
            self._live = None
        self._stop_demo()
        if self._owned_writer is not None:
            with contextlib.suppress(Exception):
                self._owned_writer.stop()
            self._owned_writer = None
            self.writer = None
        self._set_source("none")

    def restart(self) -> None:
        """Start over with the current settings (a new broker configured)."""
        self.stop()
        self.clear()
        self.start()

    def clear(self) -> None:
        """Forget buffered readings, devices and raised alarms (keeps the alarm list)."""
        self.series.clear()
        self.latest.clear()
        self.devices.clear()
        self.engine.forget()
        self.readings_seen = 0
        self.readings_drained.emit(0)

    # -- slots --

    def on_drain_due(self) -> None:
        """Take everything the clients queued and apply it in one batch."""
        if self._live is not None:
            self._apply(self._live.drain(DRAIN_LIMIT), demo=False)
        if self._demo_client is not None:
            items = self._demo_client.drain(DRAIN_LIMIT)
            if self.source == "demo":
                self._apply(items, demo=True)

    def on_housekeeping_due(self) -> None:
        """Once a second: silence alarms."""
        last_seen = {d.device_id: d.last_seen for d in self.devices.values() if d.last_seen}
        self._handle_alarms(self.engine.check_silence(self.now(), last_seen))

    def on_fallback_due(self) -> None:
        """The configured broker did not answer in time: show the demo meanwhile."""
        if self._started and not self._live_connected_once and self._demo is None:
            log.warning("Broker %s not reachable; showing the demo meanwhile", self._broker_label())
            self._start_demo()

    def on_demo_finished(self, endpoint: Any, error: object, generation: int) -> None:
        """The demo broker came up (or failed) on its thread; connect to it here."""
        if generation != self._demo_generation or not self._started:
            return
        if error is not None:
            self.demo_error = str(error)
            log.error("Demo broker failed to start: %s", error)
            self.source_changed.emit(self.source)
            return
        from compost_desktop.monitoring.client import BrokerConfig, SensorClient

        self._demo_client = SensorClient(
            BrokerConfig(endpoint.host, endpoint.port), self._patterns()
        )
        self._demo_client.start()
        if not self._live_connected_once:
            self.clear()
            self._set_source("demo")

    def on_store_ready(self) -> None:
        """Load the active cycle; open recording if this hub records by itself."""
        self.reload_cycle()
        self._open_recording()

    def on_data_changed(self, kinds: frozenset[str]) -> None:
        """A cycle was activated or completed elsewhere in the app."""
        if CYCLES in kinds:
            self.reload_cycle()
            if self._owned_writer is not None:
                with contextlib.suppress(Exception):
                    self._owned_writer.invalidate_cycles()

    def on_settings_changed(self) -> None:
        """New thresholds apply at once; a new broker means reconnecting."""
        self.engine.settings = self.ctx.settings.alarms
        if self._started and self._injected is None and self.ctx.settings.mqtt != self._mqtt_in_use:
            self.restart()

    def on_registry_changed(self) -> None:
        """Devices' clocks may have moved: the parsers read offset-less times in them."""
        zones = self.registry_keeper.registry.timezones()
        for source in self._sources():
            source.parser.set_device_timezones(zones)

    def on_cycle_loaded(self, cycle: CycleRecord | None) -> None:
        """Keep the active cycle for the header and the too-cold rule."""
        self.cycle = cycle
        self.cycle_changed.emit()

    def on_cycle_failed(self, error: BaseException) -> None:
        """The database is away: keep the last known cycle."""
        log.warning("Could not load the active cycle: %s", error)

    # -- public helpers for widgets --

    def reload_cycle(self) -> None:
        """Ask the database thread for the active cycle."""
        store = self.ctx.store
        if store is not None:
            self.ctx.runner.submit(store.active_cycle, self.on_cycle_loaded, self.on_cycle_failed)

    def acknowledge(self, item: AlarmItem, who: str | None = None) -> None:
        """Mark an alarm as seen, in the window and in the alarm log."""
        if item.acknowledged_at is not None:
            return
        item.acknowledged_by = who or _user_name()
        item.acknowledged_at = self.now()
        self._persist_ack(item)
        self.alarms_changed.emit()

    def day_number(self, today: date | None = None) -> int | None:
        """Day of the active cycle, day 1 being its start date (or activation day)."""
        cycle = self.cycle
        if cycle is None:
            return None
        start = cycle.start_date or (cycle.activated_at.date() if cycle.activated_at else None)
        if start is None:
            return None
        return ((today or self.now().astimezone().date()) - start).days + 1

    def phase(self) -> str | None:
        """Mesophilic, thermophilic or cooling, from the pile's hottest probe.

        Rule: the pile temperature is the hottest probe's latest reading (the core). At or
        above 45 °C the pile is thermophilic. Below, it is cooling if any probe was at 45 °C
        or more within the last 24 h of readings, or if the hottest probe fell more than
        1 °C over the last hour; otherwise it is mesophilic (warming up, or a cold start).
        """
        temps = [(k[0], s) for k, s in self.series.items() if k[1] == TEMPERATURE and len(s)]
        if not temps:
            return None
        hottest_device, current = max(
            ((d, self.latest[(d, TEMPERATURE)].value) for d, _ in temps), key=lambda x: x[1]
        )
        if current >= THERMOPHILIC_C:
            return "thermophilic"
        newest = max(s.last_time() or 0.0 for _, s in temps)
        for _, series in temps:
            _, values = series.since(newest - 86_400.0)
            if len(values) and float(values.max()) >= THERMOPHILIC_C:
                return "cooling"
        _, values = self.series[(hottest_device, TEMPERATURE)].since(newest - 3_600.0)
        if len(values) >= 2 and float(values[-1] - values[0]) < -1.0:
            return "cooling"
        return "mesophilic"

    def is_stale(self, device: DeviceInfo, now: datetime | None = None) -> bool:
        """No reading for longer than the configured `stale_after_s`."""
        if device.last_seen is None:
            return True
        age = ((now or self.now()) - device.last_seen).total_seconds()
        return age > self.ctx.settings.mqtt.stale_after_s

    def newest_time(self) -> float | None:
        """Measurement time of the newest buffered reading (epoch s), the plots' right edge."""
        times = [t for s in self.series.values() if (t := s.last_time()) is not None]
        return max(times) if times else None

    # -- internals --

    def _apply(self, items: list[Any], *, demo: bool) -> None:
        if not items:
            return
        readings: list[Reading] = []
        events: list[AlarmEvent] = []
        cycle_active = self.cycle is not None
        for item in items:
            if isinstance(item, Reading):
                key = (item.device_id, item.quantity)
                series = self.series.get(key)
                if series is None:
                    series = self.series[key] = Series()
                series.append(item.measured_at.timestamp(), item.value)
                self.latest[key] = item
                info = self.devices.get(item.device_id)
                if info is None:
                    info = self.devices[item.device_id] = DeviceInfo(item.device_id)
                if info.last_seen is None or item.received_at > info.last_seen:
                    info.last_seen = item.received_at
                info.last_known = False
                events.extend(self.engine.observe(item, cycle_active))
                readings.append(item)
                if not demo:
                    self._register(item)
            elif isinstance(item, LastKnown):
                # The broker's memory of a value: a gauge shows it, nothing records it.
                reading = item.reading
                key = (reading.device_id, reading.quantity)
                if key not in self.latest:
                    self.latest[key] = reading
                info = self.devices.get(reading.device_id)
                if info is None:
                    info = self.devices[reading.device_id] = DeviceInfo(reading.device_id)
                    info.last_known = True
                if not demo:
                    self._register(reading)
            elif isinstance(item, DeviceStatus):
                info = self.devices.get(item.device_id)
                if info is None:
                    info = self.devices[item.device_id] = DeviceInfo(item.device_id)
                info.online = item.online
                info.status_at = item.received_at
            elif hasattr(item, "state"):
                self._on_link_event(item, demo=demo)
        self.readings_seen += len(readings)
        if readings and not demo and self.writer is not None:
            self.writer.add(readings)
        self._handle_alarms(events, demo=demo)
        if readings:
            self.readings_drained.emit(len(readings))

    def _register(self, reading: Reading) -> None:
        live = self._live
        fmt = live.parser.format_of(reading.topic) if live is not None else None
        self.registry_keeper.observe(reading.device_id, reading.quantity, fmt)

    def _on_link_event(self, event: Any, *, demo: bool) -> None:
        state = str(event.state)
        if not demo and state == "connected":
            self._live_connected_once = True
            if self._demo is not None:
                log.info("Broker %s answered; leaving the demo", self._broker_label())
                self._stop_demo()
                self.clear()
                self._set_source("live")
        if demo != (self.source == "demo"):
            return
        if state != self.link_state:
            self.link_since = event.at
        self.link_state = state
        self.link_detail = str(getattr(event, "detail", ""))
        self.link_changed.emit(self.link_state, self.link_detail)

    def _handle_alarms(self, events: list[AlarmEvent], *, demo: bool | None = None) -> None:
        if not events:
            return
        if demo is None:
            demo = self.source == "demo"
        for event in events:
            if event.raised:
                item = AlarmItem(event)
                self.alarms.insert(0, item)
                self._persist_raise(item, demo)
                self.alarm_raised.emit(item)
            else:
                for item in self.alarms:
                    if item.event.key == event.key and item.cleared_at is None:
                        item.cleared_at = event.at
                        break
                self._persist_clear(event, demo)
        del self.alarms[MAX_ALARMS_SHOWN:]
        self.alarms_changed.emit()

    def _persist_raise(self, item: AlarmItem, demo: bool) -> None:
        alarm_log = self.alarm_log
        if alarm_log is None or demo:
            return
        item.persisted = True

        def on_done(alarm_id: object) -> None:
            item.alarm_id = alarm_id if isinstance(alarm_id, int) else None
            if item.acknowledged_at is not None:
                self._persist_ack(item)

        self.ctx.runner.submit(lambda: record_event(alarm_log, item.event), on_done, _log_error)

    def _persist_clear(self, event: AlarmEvent, demo: bool) -> None:
        alarm_log = self.alarm_log
        if alarm_log is not None and not demo:
            self.ctx.runner.submit(lambda: record_event(alarm_log, event), None, _log_error)

    def _persist_ack(self, item: AlarmItem) -> None:
        alarm_log, alarm_id = self.alarm_log, item.alarm_id
        if alarm_log is not None and alarm_id is not None:
            who = item.acknowledged_by
            self.ctx.runner.submit(lambda: alarm_log.acknowledge(alarm_id, who), None, _log_error)

    def _open_recording(self) -> None:
        store = self.ctx.store
        if not self.record or store is None or self._injected is not None:
            return
        engine = getattr(store, "engine", None)
        if engine is None:
            return
        from compost_desktop.monitoring.recording import AlarmLog as DatabaseAlarmLog
        from compost_desktop.monitoring.recording import ReadingWriter

        if self.alarm_log is None:
            self.alarm_log = DatabaseAlarmLog(engine)
        if self.writer is None:
            writer = ReadingWriter(engine)
            writer.start()
            self.writer = self._owned_writer = writer

    def _start_demo(self) -> None:
        from compost_desktop.monitoring.demo import Demo

        self._demo_generation += 1
        generation = self._demo_generation
        demo = self._demo = Demo()
        self.demo_kind = demo.kind
        self.demo_error = ""

        def work() -> None:
            try:
                endpoint = demo.start()
            except Exception as exc:  # reported in the window
                self._demo_finished.emit(None, exc, generation)
            else:
                self._demo_finished.emit(endpoint, None, generation)

        threading.Thread(target=work, name="demo-start", daemon=True).start()

    def _stop_demo(self) -> None:
        self._demo_generation += 1
        if self._demo_client is not None:
            self._demo_client.stop()
            self._demo_client = None
        demo, self._demo = self._demo, None
        if demo is not None:
            demo.stop()

    def _make_client(self, mqtt: MqttSettings) -> SensorSource:
        from compost_desktop.monitoring.client import BrokerConfig, SensorClient
        from compost_desktop.secrets import get_password

        password = get_password(mqtt.secret_key) if mqtt.username else None
        config = BrokerConfig(
            host=mqtt.host.strip(),
            port=mqtt.port,
            username=mqtt.username or None,
            password=password,
            tls=mqtt.tls,
            client_id=mqtt.client_id or None,
        )
        client = SensorClient(config, self._patterns())
        client.parser.set_device_timezones(self.registry_keeper.registry.timezones())
        return client

    def _patterns(self) -> TopicPatterns:
        m = self.ctx.settings.mqtt
        return TopicPatterns(
            farm_json=m.data_topic or None,
            status=m.status_topic or None,
            esphome=m.esphome_topic or None,
            tasmota=m.tasmota_topic or None,
        )

    def _sources(self) -> list[SensorSource]:
        return [c for c in (self._live, self._demo_client) if c is not None]

    def _set_source(self, source: str) -> None:
        if source != self.source:
            self.source = source
            self.source_changed.emit(source)

    def _broker_label(self) -> str:
        m = self._mqtt_in_use or self.ctx.settings.mqtt
        return f"{m.host}:{m.port}"

    def broker_label(self) -> str:
        """The configured broker as host:port, for the window."""
        return self._broker_label()


def _user_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (some services): still acknowledge
        return "operator"


def _log_error(error: BaseException) -> None:
    log.warning("Could not write to the alarm log: %s", error)


def utc_from_epoch(seconds: float) -> datetime:
    """Epoch seconds from the ring buffers back to an aware datetime."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
