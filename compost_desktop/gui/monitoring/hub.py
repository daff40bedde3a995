"""The monitoring hub: the Qt adapter of a `MonitoringSession` (timers, signals, the runner).

Data flow: paho's thread parses and queues (`SensorClient`); a 25 Hz QTimer here drains the
queue in one batch and hands it to the Qt-free `monitoring.session.MonitoringSession`, which
updates ring buffers, latest values and devices, evaluates the alarms and feeds the
`ReadingWriter`; the hub persists alarms through the database runner and emits *one* signal
per batch. Widgets repaint on their own slower timers, never per message. The headless
recorder runs the same session, so both raise the same alarms.

Devices: the session asks the device registry (`gui.devices.keeper`) which devices are pile
probes; the hub registers every live (non-demo) device it sees, last-known values included,
and hands the registry's clock zones to the parsers whenever the registry changes.

Sources: with no broker host in Settings the hub starts the `Demo` (local broker + simulator)
and says so; with a host it connects there, and if that broker has not answered within
`DEMO_FALLBACK_MS` it shows the demo meanwhile and switches to the real broker as soon as it
connects. Demo readings are never recorded and demo alarms never logged to the database.

Recording survives every settings change: a new broker reconnects the source but keeps the
writer. `recording_status` says in words whether this PC is recording, and why not.
"""

from __future__ import annotations

import getpass
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, Final, Protocol

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from compost_desktop.gui.context import CYCLES, AppContext
from compost_desktop.gui.devices.keeper import keeper_for
from compost_desktop.monitoring import farm_config
from compost_desktop.monitoring.alarms import AlarmEvent, AlarmLog, record_event
from compost_desktop.monitoring.farm_config import FarmConfig, FarmConfigError
from compost_desktop.monitoring.parsing import MessageParser, Reading, TopicPatterns
from compost_desktop.monitoring.session import (
    AlarmItem,
    DeviceInfo,
    MonitoringSession,
    ReadingSink,
    RingSeries,
    items_from_entries,
)
from compost_desktop.presentation.formats import clock_text
from compost_desktop.services.values import CycleRecord
from compost_desktop.settings import MqttSettings

log = logging.getLogger(__name__)

__all__ = ["AlarmItem", "DeviceInfo", "MonitoringHub", "ReadingSink", "SensorSource", "Series"]

DRAIN_INTERVAL_MS: Final = 40  # 25 Hz
DRAIN_LIMIT: Final = 20_000  # per tick, so a backlog after a reconnect cannot freeze the GUI
HOUSEKEEPING_INTERVAL_MS: Final = 1000
DEMO_FALLBACK_MS: Final = 8000
RATE_WINDOW_S: Final = 60.0
FARM_REFRESH_TICKS: Final = 60  # housekeeping ticks between reloads of the farm's settings


class SensorSource(Protocol):
    """The part of `SensorClient` the hub uses, so tests can hand in a fake."""

    parser: MessageParser
    dropped: int

    def start(self) -> None: ...

    def disconnect(self) -> None: ...

    def stop(self) -> None: ...

    def drain(self, limit: int | None = None) -> list[Any]: ...


Series = RingSeries  # the name the plots and older tests know


class MonitoringHub(QObject):
    """Owns the sensor source and the session every monitoring widget reads."""

    readings_drained = Signal(int)
    link_changed = Signal(str, str)
    alarms_changed = Signal()
    alarm_raised = Signal(object)
    source_changed = Signal(str)
    cycle_changed = Signal()
    recording_changed = Signal(str, bool)
    _writer_closed = Signal()

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
        self.alarm_log = alarm_log
        self.registry_keeper = keeper_for(ctx)
        self.session = MonitoringSession(
            ctx.settings.alarms,
            is_pile_probe=self.registry_keeper.registry.is_pile_probe,
            sink=writer,
        )
        self.session.set_temperature_unit(ctx.settings.units.temperature)
        self.registry_keeper.changed.connect(self.on_registry_changed)
        self._owned_writer: Any = None
        self._closing: list[threading.Thread] = []
        self.cycle: CycleRecord | None = None
        self.link_state = "offline"
        self.link_detail = ""
        self.link_since = self.now()
        self.source = "none"  # "live", "demo" or "none"
        self.demo_kind = ""
        self.demo_error = ""
        self.last_written: datetime | None = None
        self._written_samples: deque[tuple[float, int]] = deque()
        self._recording_text: tuple[str, bool] | None = None
        self._alarms_loaded = False
        self._ticks = 0
        self._injected = client
        self._live: SensorSource | None = None
        self._demo_client: SensorSource | None = None
        self._demo: Any = None
        self._demo_generation = 0
        self._live_generation = 0
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
        ctx.store_ready.connect(self.on_store_ready)
        ctx.settings_changed.connect(self.on_settings_changed)
        ctx.bus.changed.connect(self.on_data_changed)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        if ctx.store is not None:
            self.on_store_ready()

    # -- the session's state, for the widgets --

    @property
    def series(self) -> dict[tuple[str, str], RingSeries]:
        return self.session.series

    @property
    def latest(self) -> dict[tuple[str, str], Reading]:
        return self.session.latest

    @property
    def devices(self) -> dict[str, DeviceInfo]:
        return self.session.devices

    @property
    def alarms(self) -> list[AlarmItem]:
        return self.session.alarms

    @property
    def readings_seen(self) -> int:
        return self.session.readings_seen

    @property
    def writer(self) -> Any:
        """The reading writer in use (None while not recording)."""
        return self.session.sink

    @writer.setter
    def writer(self, writer: Any) -> None:
        self.session.sink = writer

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
        # Per broker: after a switch to the demo in Settings the demo must show, though the
        # farm's broker answered before.
        self._live_connected_once = False
        self._open_recording()
        if self._injected is not None:
            self._live = self._injected
            self._set_source("live")
            self._live.start()
        elif not self._mqtt_in_use.host.strip():
            if self.demo_enabled:
                self._start_demo()
        else:
            self._start_live(self._mqtt_in_use)
        self._drain_timer.start()
        self._housekeeping_timer.start()
        self._update_recording_status()

    def stop(self) -> None:
        """Disconnect and stop the demo; the writer stays open for the next start."""
        if not self._started:
            return
        self._started = False
        self._drain_timer.stop()
        self._housekeeping_timer.stop()
        self._fallback_timer.stop()
        self._live_generation += 1
        live, self._live = self._live, None
        if live is not None:
            live.disconnect()  # now: the next client takes over this client id
            self._in_background(live.stop, "mqtt-client-stop")  # joins paho's thread
        self._stop_demo()
        self._set_source("none")
        if self.link_state != "offline":
            self.link_state, self.link_detail, self.link_since = "offline", "stopped", self.now()
            self.link_changed.emit(self.link_state, self.link_detail)
        self._update_recording_status()

    def shutdown(self, timeout: float = 30.0) -> None:
        """At quit: stop, then flush and close the writer this hub opened."""
        self.stop()
        self.close_writer()
        for thread in self._closing:
            thread.join(timeout)
        self._closing.clear()

    def close_writer(self) -> None:
        """Flush and stop the owned writer on a worker thread (it may wait on the database)."""
        writer, self._owned_writer = self._owned_writer, None
        if writer is None:
            return
        if self.session.sink is writer:
            self.session.sink = None

        self._in_background(writer.stop, "reading-writer-stop")

    def _in_background(self, stop: Callable[[], None], name: str) -> None:
        """A stop that may wait (a thread join, a flush to the database) off the GUI thread;
        `shutdown` waits for these at quit, so nothing is dropped."""

        def work() -> None:
            try:
                stop()
            except Exception:
                log.exception("%s failed", name)

        thread = threading.Thread(target=work, name=name, daemon=True)
        thread.start()
        self._closing = [t for t in self._closing if t.is_alive()]
        self._closing.append(thread)

    def restart(self) -> None:
        """Start over with the current settings (a new broker configured); keeps recording."""
        self.stop()
        self.clear()
        self.start()

    def clear(self) -> None:
        """Forget buffered readings, devices and raised alarms (keeps the alarm list)."""
        self.session.clear()
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
        """Once a second: silence alarms and the recording status."""
        batch = self.session.check_silence(self.now())
        self._handle_alarms(batch.events, batch.raised)
        self._update_recording_status()
        self._ticks += 1
        if self._ticks % FARM_REFRESH_TICKS == 0:
            self._load_farm_config()

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

        parser = self._parser()
        self._demo_client = SensorClient(
            BrokerConfig(endpoint.host, endpoint.port), parser.patterns, parser
        )
        self._demo_client.start()
        if not self._live_connected_once:
            self.clear()
            self._set_source("demo")

    def on_password_found(self, mqtt: object, password: object, generation: int) -> None:
        """The keyring answered on its thread: connect to the configured broker."""
        if generation != self._live_generation or not self._started:
            return
        assert isinstance(mqtt, MqttSettings)
        self._connect_live(mqtt, password if isinstance(password, str) else None)

    def on_store_ready(self) -> None:
        """Load the active cycle and the alarms left open; open recording when started."""
        self.reload_cycle()
        self._load_open_alarms()
        self._load_farm_config()
        if self._started:
            self._open_recording()
            self._update_recording_status()

    def on_data_changed(self, kinds: frozenset[str]) -> None:
        """A cycle was activated or completed elsewhere in the app."""
        if CYCLES in kinds:
            self.reload_cycle()
            writer = self._owned_writer
            if writer is not None:
                try:
                    writer.invalidate_cycles()
                except Exception:
                    log.exception("Could not refresh the recorder's cycles")

    def on_settings_changed(self) -> None:
        """New thresholds apply at once; a new broker means reconnecting (recording goes on)."""
        self.session.set_thresholds(self.ctx.settings.alarms)
        self.session.set_temperature_unit(self.ctx.settings.units.temperature)
        if self._started and self._injected is None and self.ctx.settings.mqtt != self._mqtt_in_use:
            self.restart()
        self._update_recording_status()

    def on_registry_changed(self) -> None:
        """Roles and clocks may have moved: the phase is worked out again on the pile probes,
        and the parsers read offset-less times in the devices' zones."""
        self.session.is_pile_probe = self.registry_keeper.registry.is_pile_probe
        zones = self.registry_keeper.registry.timezones()
        for source in self._sources():
            source.parser.set_device_timezones(zones)

    def on_cycle_loaded(self, cycle: CycleRecord | None) -> None:
        """Keep the active cycle for the header and the too-cold rule."""
        self.cycle = cycle
        self.session.cycle_active = cycle is not None
        self.cycle_changed.emit()

    def on_cycle_failed(self, error: BaseException) -> None:
        """The database is away: keep the last known cycle."""
        log.warning("Could not load the active cycle: %s", error)

    def on_open_alarms_loaded(self, entries: object) -> None:
        """Alarms raised before this start (by this PC, another or the recorder) are listed."""
        if not isinstance(entries, list):
            return
        self.session.restore_alarms(items_from_entries(entries))
        self.alarms_changed.emit()

    # -- public helpers for widgets --

    def reload_cycle(self) -> None:
        """Ask the database thread for the active cycle."""
        store = self.ctx.store
        if store is not None:
            self.ctx.runner.submit(store.active_cycle, self.on_cycle_loaded, self.on_cycle_failed)

    def acknowledge(self, item: AlarmItem, who: str | None = None) -> None:
        """Mark an alarm as seen, in the window and in the alarm log."""
        if self.session.acknowledge(item, who or _user_name(), self.now()):
            self._persist_ack(item)
            self.alarms_changed.emit()

    def acknowledge_all(self, who: str | None = None) -> int:
        """Acknowledge every alarm nobody has seen yet; returns how many."""
        items = self.session.unseen_alarms
        name = who or _user_name()
        for item in items:
            if self.session.acknowledge(item, name, self.now()):
                self._persist_ack(item)
        if items:
            self.alarms_changed.emit()
        return len(items)

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
        """The pile's phase by the one rule of `domain.phases` (see `MonitoringSession.phase`)."""
        phase = self.session.phase()
        return phase.value if phase is not None else None

    def is_stale(self, device: DeviceInfo, now: datetime | None = None) -> bool:
        """No reading for longer than the configured `stale_after_s`."""
        if device.last_seen is None:
            return True
        age = ((now or self.now()) - device.last_seen).total_seconds()
        return age > self.ctx.settings.mqtt.stale_after_s

    def newest_time(self) -> float | None:
        """Measurement time of the newest buffered reading (epoch s), the plots' right edge."""
        return self.session.newest_time()

    def recording_status(self) -> tuple[str, bool]:
        """Whether this PC records what it receives, in words, and whether that is good."""
        writer = self._owned_writer or self.session.sink
        if not self.record and writer is None:
            return "Not recording: this window only shows readings", False
        if not self._started:
            return "Not recording: monitoring is not running", False
        if self.source == "demo":
            if self.ctx.settings.mqtt.host.strip():
                return (
                    f"Not recording: broker {self._broker_label()} not reachable "
                    "(demo readings are never recorded)",
                    False,
                )
            return "Not recording: no broker configured (set it in Settings)", False
        if writer is None:
            if self.ctx.store is None:
                return "Not recording: the database is not open yet", False
            return "Not recording", False
        error = getattr(writer, "last_error", None)
        pending = int(getattr(writer, "pending", 0) or 0)
        if error:
            return (
                f"Not recording: database unavailable, {pending:,} readings kept in memory",
                False,
            )
        if self.link_state != "connected":
            return f"Not recording: broker {self._broker_label()} {self.link_state}", False
        rate = self._rate_per_minute()
        last = (
            f", last written {clock_text(self.last_written, seconds=True)}"
            if self.last_written is not None
            else ", nothing written yet"
        )
        return f"Recording: {rate:,.0f} readings/min{last}", True

    # -- internals --

    def _apply(self, items: list[Any], *, demo: bool) -> None:
        if not items:
            return
        batch = self.session.apply(items, record=not demo)
        for event in batch.links:
            self._on_link_event(event, demo=demo)
        self._handle_alarms(batch.events, batch.raised, demo=demo)
        if not demo:
            for reading in (*batch.readings, *batch.last_known):
                self._register(reading)
        if batch.readings:
            self.readings_drained.emit(len(batch.readings))

    def _register(self, reading: Reading) -> None:
        source = self._live or self._injected
        fmt = source.parser.format_of(reading.topic) if source is not None else None
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
        self._update_recording_status()

    def _handle_alarms(
        self, events: list[AlarmEvent], raised: list[AlarmItem], *, demo: bool | None = None
    ) -> None:
        if not events:
            return
        if demo is None:
            demo = self.source == "demo"
        by_event = {id(item.event): item for item in raised}
        for event in events:
            item = by_event.get(id(event))
            if item is not None:
                self._persist_raise(item, demo)
                self.alarm_raised.emit(item)
            else:
                self._persist_clear(event, demo)
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

    def _load_open_alarms(self) -> None:
        alarm_log = self._database_alarm_log()
        if alarm_log is None or self._alarms_loaded:
            return
        self._alarms_loaded = True
        load = getattr(alarm_log, "needing_attention", None)
        if load is not None:
            self.ctx.runner.submit(load, self.on_open_alarms_loaded, _log_error)

    def _database_alarm_log(self) -> AlarmLog | None:
        """The alarm log: the one handed in, else the database's once the store is open."""
        if self.alarm_log is not None:
            return self.alarm_log
        store = self.ctx.store
        engine = getattr(store, "engine", None)
        if not self.record or engine is None or self._injected is not None:
            return None
        from compost_desktop.monitoring.recording import DatabaseAlarmLog

        self.alarm_log = DatabaseAlarmLog(engine)
        return self.alarm_log

    def _open_recording(self) -> None:
        store = self.ctx.store
        if not self.record or store is None or self._injected is not None:
            return
        engine = getattr(store, "engine", None)
        if engine is None:
            return
        from compost_desktop.monitoring.recording import ReadingWriter

        self._database_alarm_log()
        if self.session.sink is None:
            writer = ReadingWriter(engine)
            writer.start()
            self.session.sink = self._owned_writer = writer

    def _rate_per_minute(self) -> float:
        samples = self._written_samples
        if len(samples) < 2:
            return 0.0
        (t0, n0), (t1, n1) = samples[0], samples[-1]
        return (n1 - n0) / max(t1 - t0, 1.0) * 60.0

    def _update_recording_status(self) -> None:
        writer = self.session.sink
        written = getattr(writer, "written", None)
        if isinstance(written, int):
            now = time.monotonic()
            samples = self._written_samples
            if (samples and written > samples[-1][1]) or (not samples and written):
                self.last_written = self.now()
            samples.append((now, written))
            while len(samples) > 2 and now - samples[1][0] >= RATE_WINDOW_S:
                samples.popleft()
        status = self.recording_status()
        if status != self._recording_text:
            self._recording_text = status
            self.recording_changed.emit(*status)

    def _start_demo(self) -> None:
        from compost_desktop.monitoring.demo import Demo

        self._demo_generation += 1
        generation = self._demo_generation
        demo = self._demo = Demo()
        self.demo_kind = demo.kind
        self.demo_error = ""

        # Starting a broker and a simulator waits on processes and sockets: the io runner's.
        self.ctx.io.submit(
            demo.start,
            lambda endpoint: self.on_demo_finished(endpoint, None, generation),
            lambda exc: self.on_demo_finished(None, exc, generation),  # shown in the window
        )

    def _stop_demo(self) -> None:
        self._demo_generation += 1
        client, self._demo_client = self._demo_client, None
        demo, self._demo = self._demo, None
        if client is not None:
            client.disconnect()
        if client is None and demo is None:
            return

        def stop_both() -> None:  # the client before its broker, both joining threads
            if client is not None:
                client.stop()
            if demo is not None:
                demo.stop()

        self._in_background(stop_both, "demo-stop")

    def _start_live(self, mqtt: MqttSettings) -> None:
        """Connect to the configured broker; a password is looked up off the GUI thread."""
        self._set_source("live")
        if self.demo_enabled:
            self._fallback_timer.start()
        self._live_generation += 1
        if not mqtt.username:
            self._connect_live(mqtt, None)
            return
        generation = self._live_generation

        def look_up() -> str | None:
            from compost_desktop.secrets import get_password

            return get_password(mqtt.secret_key)

        def failed(exc: BaseException) -> None:
            log.error("Could not read the broker password from the keyring", exc_info=exc)
            self.on_password_found(mqtt, None, generation)

        self.ctx.io.submit(look_up, lambda pw: self.on_password_found(mqtt, pw, generation), failed)

    def _connect_live(self, mqtt: MqttSettings, password: str | None) -> None:
        from compost_desktop.monitoring.client import BrokerConfig, SensorClient

        config = BrokerConfig(
            host=mqtt.host.strip(),
            port=mqtt.port,
            username=mqtt.username or None,
            password=password,
            tls=mqtt.tls,
            client_id=mqtt.client_id or None,
            ca_file=mqtt.ca_file or None,
        )
        parser = self._parser()
        self._live = SensorClient(config, parser.patterns, parser)
        self._live.start()

    def _patterns(self) -> TopicPatterns:
        try:
            return farm_config.patterns_from(self.ctx.settings.mqtt)
        except FarmConfigError as exc:
            log.warning("%s Using the default topics.", exc)
            return TopicPatterns()

    def _parser(self) -> MessageParser:
        """A parser with the farm's topics and the farm's zone for clocks without offset."""
        try:
            zone = farm_config.zone(self.ctx.settings.mqtt.timezone)
        except FarmConfigError as exc:
            log.warning("%s Reading device clocks in this PC's zone.", exc)
            zone = farm_config.zone("")
        return MessageParser(
            self._patterns(),
            naive_timezone=zone,
            device_timezones=self.registry_keeper.registry.timezones(),
        )

    def _load_farm_config(self) -> None:
        """Ask the database thread for the farm-wide settings (another PC may have changed them)."""
        engine = getattr(self.ctx.store, "engine", None)
        if engine is not None:
            self.ctx.runner.submit(
                lambda: farm_config.load(engine), self.on_farm_config_loaded, _log_farm_error
            )

    def on_farm_config_loaded(self, config: object) -> None:
        """The farm's thresholds, topics, time zone and units win over this PC's copies."""
        if not isinstance(config, FarmConfig):
            return
        merged = farm_config.merged_into(self.ctx.settings, config)
        if merged != self.ctx.settings:
            log.info("Applying the farm-wide monitoring settings from the database")
            self.ctx.apply_settings(merged)

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


def _log_farm_error(error: BaseException) -> None:
    log.warning("Could not read the farm-wide settings: %s", error)
