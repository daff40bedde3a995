"""The headless recorder for the farm server: broker in, database out, until told to stop.

It runs the same `MonitoringSession` as the window, with the farm-wide thresholds, topics
and time zone from the database (`farm_config`), so it raises the alarms a PC would: they go
to `alarm_event` (synced to the PCs) and to a retained MQTT topic for the farm's phones
(`alarm_publisher`). Alarms left open by its last run are taken back at start, so a restart
neither forgets nor repeats them.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from types import FrameType

from sqlalchemy import Engine, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from compost_desktop.db import migrate
from compost_desktop.db.engine import describe, make_engine, resolve_url
from compost_desktop.db.models import Cycle
from compost_desktop.monitoring import farm_config
from compost_desktop.monitoring.alarm_publisher import AlarmPublisher
from compost_desktop.monitoring.alarms import AlarmEvent
from compost_desktop.monitoring.client import BrokerConfig, Delivery, LinkEvent, SensorClient
from compost_desktop.monitoring.farm_config import FarmConfig
from compost_desktop.monitoring.parsing import MessageParser, Reading, TopicPatterns
from compost_desktop.monitoring.recording import DatabaseAlarmLog, ReadingWriter
from compost_desktop.monitoring.registry import RegistryFollower
from compost_desktop.monitoring.session import AlarmWriter, MonitoringSession, items_from_entries

log = logging.getLogger(__name__)

STATS_EVERY_S = 60.0
ALARM_TICK_S = 1.0  # silence checks and alarm-log retries
FARM_REFRESH_S = 30.0  # thresholds and the active cycle, as PCs change them
# At SIGTERM, how long the last write may take: a hung database must not hold the service.
STOP_WRITE_TIMEOUT_S = 10.0


def run(
    database_url: str | None,
    broker_url: str,
    client_id: str | None = None,
    stop: threading.Event | None = None,
    patterns: TopicPatterns | None = None,
    *,
    topics: dict[str, str | None] | None = None,
    timezone: str | None = None,
) -> int:
    """Record until SIGTERM/SIGINT (or `stop`); flushes what it holds before returning.

    `topics` and `timezone` override the farm's stored values for this run only; `patterns`
    replaces the topic patterns entirely (tests, benchmarks).
    """
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        _install_signal_handlers(stop)
    url = resolve_url(database_url)
    config = BrokerConfig.from_url(broker_url, client_id=client_id or "compost-desktop-recorder")
    if timezone is not None:
        farm_config.zone(timezone)  # an unknown zone fails before anything starts
    engine = make_engine(url)
    _wait_for_schema(url, stop)
    # Each start-up read waits up to the connect timeout on a hung database: after SIGTERM
    # the rest are skipped, so the service stops in seconds, not a timeout per read.
    farm = (None if stop.is_set() else _load_farm(engine)) or FarmConfig()
    if patterns is None:
        patterns = with_overrides(farm.patterns(), topics)
    zone = farm_config.zone(timezone if timezone is not None else farm.timezone or "")
    # QoS 1 messages are acknowledged only once their readings are committed (or refused
    # for good), so a crash or kill at any moment leaves the rest with the broker.
    parser = MessageParser(patterns, naive_timezone=zone)
    devices = RegistryFollower(engine, parser)
    if not stop.is_set():
        devices.tick()  # the devices' clock zones and roles before the first message
    client = SensorClient(config, patterns, parser, manual_ack=True, skip_retained_untimed=True)
    writer = ReadingWriter(engine, on_settled=client.acknowledge)
    session = MonitoringSession(farm.alarm_settings(), is_pile_probe=devices.registry.is_pile_probe)
    session.set_temperature_unit(farm.temperature_unit())
    alarm_log = DatabaseAlarmLog(engine)
    alarms = AlarmWriter(alarm_log)
    publisher = AlarmPublisher(config, farm.alarm_topic or farm_config.DEFAULT_ALARM_TOPIC)
    if not stop.is_set():
        _restore_open_alarms(session, alarm_log)
    if not stop.is_set():
        _refresh(engine, session)
    log.info("Recording %s into %s", config.describe(), describe(url))
    log.info(
        "Topics %s; device clocks without offset read as %s; alarms on %s/#",
        ", ".join(patterns.subscriptions()),
        zone,
        publisher.prefix,
    )
    chores = _Housekeeper(engine, alarms)
    writer.start()
    devices.start()
    client.start()
    publisher.start()
    chores.start()
    last_stats = last_tick = time.monotonic()
    try:
        while not stop.is_set():
            items = client.drain()
            batch = session.apply(items, record=False)
            if items:
                writer.add(_for_writer(items))
            if batch.readings or batch.last_known:
                devices.seen([*batch.readings, *batch.last_known])
            for change in batch.events:
                _alarm(change, alarms, publisher)
            for event in (i for i in items if isinstance(i, LinkEvent)):
                log.info("Broker %s %s", event.state.value, event.detail)
            now = time.monotonic()
            if now - last_tick >= ALARM_TICK_S:
                last_tick = now
                for change in session.check_silence(datetime.now(UTC)).events:
                    _alarm(change, alarms, publisher)
            while not chores.farm_states.empty():
                _apply_farm_state(session, *chores.farm_states.get_nowait())
            if now - last_stats > STATS_EVERY_S:
                last_stats = now
                log.info(
                    "Stats: %d written, %d duplicates, %d pending, %d rejected messages, "
                    "%d readings quarantined, %d alarms raised or cleared",
                    writer.written,
                    writer.duplicates,
                    writer.pending,
                    client.parser.rejected,
                    writer.quarantined,
                    alarms.written,
                )
            if not items:
                client.wait(0.05)
    finally:
        log.info("Stopping: writing %d readings", writer.pending)
        last_items = client.drain()
        last = session.apply(last_items, record=False)
        writer.add(_for_writer(last_items))
        devices.seen([*last.readings, *last.last_known])
        for change in last.events:
            _alarm(change, alarms, publisher)
        # Write (and acknowledge) while still connected; what arrives meanwhile stays unacked.
        writer.stop(STOP_WRITE_TIMEOUT_S)
        unwritten = writer.pending
        # A database that did not take the last readings will not take more: nothing else may
        # wait on it (the service manager kills a recorder that takes too long to stop).
        answering = not unwritten and writer.last_error is None
        client.stop()
        if chores.stop(5.0 if answering else 0.5) and answering:
            alarms.flush(force=True)
        publisher.stop()
        devices.stop(save=answering)
        engine.dispose()
        if unwritten:
            log.error(
                "Stopped with %d readings unwritten (%s); they were not acknowledged, so the "
                "broker delivers them again at the next start",
                unwritten,
                writer.last_error or "database not answering",
            )
        if alarms.pending:
            log.error("%d alarm changes could not be written before stopping", alarms.pending)
    log.info(
        "Stopped: %d readings written, %d duplicates, %d quarantined",
        writer.written,
        writer.duplicates,
        writer.quarantined,
    )
    return 0 if not unwritten else 1


def _for_writer(items: Sequence[object]) -> list[object]:
    """Readings, and the deliveries the writer hands back for acknowledgement once stored."""
    return [i for i in items if type(i) is Reading or type(i) is Delivery]


def with_overrides(base: TopicPatterns, topics: dict[str, str | None] | None) -> TopicPatterns:
    """The farm's topic patterns with `--topics` applied."""
    return farm_config.with_topics(base, topics) if topics else base


def _alarm(event: AlarmEvent, alarms: AlarmWriter, publisher: AlarmPublisher) -> None:
    log.warning("Alarm %s: %s", "raised" if event.raised else "cleared", event.message)
    alarms.add([event])
    publisher.publish(event)


def _load_farm(engine: Engine) -> FarmConfig | None:
    try:
        return farm_config.load(engine)
    except SQLAlchemyError as exc:
        log.warning("Farm settings not readable, using the defaults: %s", _first_line(exc))
        return None


def _active_cycle(engine: Engine) -> int | None:
    with engine.connect() as conn:
        return conn.execute(select(Cycle.id).where(Cycle.status == "active")).scalar()


def _restore_open_alarms(session: MonitoringSession, alarm_log: DatabaseAlarmLog) -> None:
    try:
        session.restore_alarms(items_from_entries(alarm_log.needing_attention()))
    except SQLAlchemyError as exc:
        log.warning("Open alarms not readable: %s", _first_line(exc))


def _refresh(engine: Engine, session: MonitoringSession) -> None:
    """Thresholds saved on a PC and the cycle activated there apply here within a minute."""
    loaded = _load_farm_state(engine)
    if loaded is not None:
        _apply_farm_state(session, *loaded)


def _load_farm_state(engine: Engine) -> tuple[FarmConfig, bool] | None:
    try:
        return farm_config.load(engine), _active_cycle(engine) is not None
    except SQLAlchemyError as exc:
        log.debug("Farm settings not refreshed: %s", _first_line(exc))
        return None


def _apply_farm_state(session: MonitoringSession, farm: FarmConfig, active: bool) -> None:
    session.cycle_active = active
    if farm.alarms is not None and farm.alarms != session.engine.settings:
        log.info("Alarm thresholds changed: %s", farm.alarms)
        session.set_thresholds(farm.alarms)
    session.set_temperature_unit(farm.temperature_unit())


class _Housekeeper:
    """The recorder's periodic database chores (alarm log, farm settings) on their own thread:
    a database that hangs must never hold the loop that reads the broker and hears SIGTERM."""

    def __init__(self, engine: Engine, alarms: AlarmWriter) -> None:
        self.engine = engine
        self.alarms = alarms
        self.farm_states: queue.SimpleQueue[tuple[FarmConfig, bool]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="recorder-chores", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float) -> bool:
        """True when the thread ended (then nothing else is writing the alarm log)."""
        self._stop.set()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        last_refresh = time.monotonic()  # run() refreshed once before starting us
        while not self._stop.wait(ALARM_TICK_S):
            self.alarms.flush()
            if time.monotonic() - last_refresh >= FARM_REFRESH_S:
                last_refresh = time.monotonic()
                loaded = _load_farm_state(self.engine)
                if loaded is not None:
                    self.farm_states.put(loaded)


def _first_line(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]


def _wait_for_schema(url: URL, stop: threading.Event) -> None:
    """A server restarting with the database is normal: wait for it rather than exit."""
    delay = 1.0
    while not stop.is_set():
        try:
            migrate.ensure_current(url)
            return
        except migrate.DatabaseUnreachableError as exc:
            log.warning("%s Retrying in %.0f s.", exc, delay)
            stop.wait(delay)
            delay = min(delay * 2, 30)


def _install_signal_handlers(stop: threading.Event) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("Received %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
