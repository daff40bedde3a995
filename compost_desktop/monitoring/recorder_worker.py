"""The headless recorder's worker process: parse, judge, write; the main process only listens.

`recorder.run` keeps paho's subscription in its own process and hands the raw messages (topic,
payload, receive time, retain flag) over a pipe in batches. This process does everything that
needs a parsed reading: the `MessageParser` (with the devices' clock zones from the registry),
the `MonitoringSession` (device state, alarms, silence), the alarm log and the retained alarm
topic (`AlarmPublisher`, its own MQTT connection), the farm settings refresh, and the
`ReadingWriter`. It reports each batch once everything it carried is committed or quarantined,
and only then does the main process acknowledge the batch's QoS 1 messages to the broker.

Why two processes: on one GIL, paho's thread, the parser and the writer took turns, and the
recorder kept up with about a third of what a bare paho subscriber receives. Split, paho has a
process and a core to itself (bench_mqtt_pipeline measures both).

The pipe, main to worker: ``("batch", id, [(topic, payload, received epoch s, retained), ...])``
and, once, ``("stop", timeout_s)``. Worker to main: ``("ready",)``, ``("settled", [ids])``,
``("log", LogRecord)`` (this process logs through the main one's handlers) and, last,
``("stopped", Report)``.

The worker ignores SIGINT and SIGTERM (a terminal or a service manager signals the whole
group): the main process decides when it stops, after it has written what it holds. On Linux
the kernel kills it the moment the main process dies, kill -9 included, so it never writes a
store whose writer lock (held by the main process) is gone; elsewhere the closed pipe ends it
at its next read. Either way, what it held was not acknowledged and comes again.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from multiprocessing.connection import Connection
from typing import Any, Final

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.db.errors import first_line
from compost_desktop.db.models import Cycle
from compost_desktop.monitoring import farm_config
from compost_desktop.monitoring.alarm_publisher import AlarmPublisher
from compost_desktop.monitoring.alarms import AlarmEvent
from compost_desktop.monitoring.client import BrokerConfig
from compost_desktop.monitoring.farm_config import FarmConfig
from compost_desktop.monitoring.parsing import MessageParser, Reading, TopicPatterns
from compost_desktop.monitoring.recording import DatabaseAlarmLog, ReadingWriter
from compost_desktop.monitoring.registry import RegistryFollower
from compost_desktop.monitoring.session import AlarmWriter, MonitoringSession, items_from_entries

log = logging.getLogger(__name__)

STATS_EVERY_S: Final = 60.0
ALARM_TICK_S: Final = 1.0  # silence checks and alarm-log retries
FARM_REFRESH_S: Final = 30.0  # thresholds and the active cycle, as PCs change them
# Messages parsed per turn of the loop at most: a backlog must not hold the alarm ticks.
TURN_MESSAGES: Final = 10_000
# How long a turn waits for the writer to store what it was given (see `Worker._loop`).
WRITE_TURN_S: Final = 0.5

RawMessage = tuple[str, bytes, float, bool]  # topic, payload, received (epoch s), retained


@dataclass(frozen=True)
class WorkerSetup:
    """What the worker needs from the main process (pickled once, at spawn)."""

    database_url: str  # with its password: it travels over the spawn pipe, never argv
    broker: BrokerConfig  # for the alarm topic's own connection
    patterns: TopicPatterns
    zone: tzinfo  # for device clocks without offset
    farm: FarmConfig  # as loaded at start; refreshed from the database while running
    log_level: int = logging.INFO


@dataclass(frozen=True)
class Report:
    """The worker's last word: what it wrote, and what it could not."""

    written: int
    duplicates: int
    quarantined: int
    unwritten: int
    last_error: str | None
    alarms_unwritten: int


class MainGone(Exception):
    """The pipe to the main process is closed: it died, so nothing can be acknowledged."""


def main(inbox: Connection, outbox: Connection, setup: WorkerSetup) -> None:
    """The worker process's entry point (multiprocessing, spawn)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent()
    out = Outbox(outbox)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(logging.handlers.QueueHandler(_LogPipe(out)))  # type: ignore[arg-type]
    root.setLevel(setup.log_level)
    try:
        Worker(inbox, out, setup).run()
    except MainGone:
        os._exit(0)  # no one to report to; threads may be mid-write: leave without them
    except Exception:
        log.exception("The recording worker failed")
        raise SystemExit(1) from None


def _die_with_parent() -> None:
    """On Linux, ask the kernel for SIGKILL when the main process dies (prctl PDEATHSIG)."""
    parent = multiprocessing.parent_process()
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        with contextlib.suppress(OSError, AttributeError):  # no libc, no prctl: the pipe does
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL))
    if parent is not None and parent.pid != os.getppid():
        os._exit(0)  # it died before the request took effect


class Outbox:
    """The pipe to the main process, shared by the loop, the writer and every logger."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()

    def send(self, message: tuple[Any, ...]) -> None:
        try:
            with self._lock:
                self._conn.send(message)
        except (OSError, ValueError) as exc:  # closed: the main process is gone
            raise MainGone from exc


class _LogPipe:
    """The queue a `QueueHandler` puts prepared records on: they go to the main process."""

    def __init__(self, out: Outbox) -> None:
        self._out = out

    def put_nowait(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(MainGone):  # the main process is gone: so is its log
            self._out.send(("log", record))


class Worker:
    """The recorder's session, writer and alarms, fed by the main process's batches."""

    def __init__(self, inbox: Connection, out: Outbox, setup: WorkerSetup) -> None:
        self.inbox = inbox
        self.out = out
        self.stop_timeout: float | None = None  # set by the main process's "stop"
        farm = setup.farm
        self.engine = make_engine(resolve_url(setup.database_url))
        self.parser = MessageParser(setup.patterns, naive_timezone=setup.zone)
        self.devices = RegistryFollower(self.engine, self.parser)
        self.writer = ReadingWriter(self.engine, on_settled=self._settled)
        self.session = MonitoringSession(
            farm.alarm_settings(), is_pile_probe=self.devices.registry.is_pile_probe
        )
        self.session.set_temperature_unit(farm.temperature_unit())
        self.alarm_log = DatabaseAlarmLog(self.engine)
        self.alarms = AlarmWriter(self.alarm_log)
        self.publisher = AlarmPublisher(
            setup.broker, farm.alarm_topic or farm_config.DEFAULT_ALARM_TOPIC
        )
        self.chores = _Housekeeper(self.engine, self.alarms)
        self.retained_skipped = 0

    # -- the pipe --

    def _settled(self, receipts: list[Any]) -> None:
        """The writer's callback: these batches are stored; the main process acknowledges."""
        self.out.send(("settled", receipts))

    def _receive(self, timeout: float) -> list[tuple[int, list[RawMessage]]]:
        """The batches that have arrived (waiting up to `timeout` for the first)."""
        batches: list[tuple[int, list[RawMessage]]] = []
        count = 0
        try:
            ready = self.inbox.poll(timeout)
            while ready and self.stop_timeout is None and count < TURN_MESSAGES:
                message = self.inbox.recv()
                if message[0] == "batch":
                    batches.append((message[1], message[2]))
                    count += len(message[2])
                elif message[0] == "stop":
                    self.stop_timeout = float(message[1])
                ready = self.inbox.poll(0)
        except (EOFError, OSError) as exc:
            raise MainGone from exc
        return batches

    def _stop_asked(self) -> bool:
        """Between start-up steps: has the main process asked us to stop? (Nothing else
        comes before "ready".)"""
        if self.stop_timeout is None:
            self._receive(0)
        return self.stop_timeout is not None

    # -- the work --

    def run(self) -> None:
        # Each start-up read waits up to the connect timeout on a hung database: after a stop
        # the rest are skipped, so the service stops in seconds, not a timeout per read.
        if not self._stop_asked():
            self.devices.tick()  # the devices' clock zones and roles before the first message
        if not self._stop_asked():
            _restore_open_alarms(self.session, self.alarm_log)
        if not self._stop_asked():
            _refresh(self.engine, self.session)
        self.writer.start()
        self.devices.start()
        self.publisher.start()
        self.chores.start()
        self.out.send(("ready",))
        # An error escaping the loop ends this process unflushed: nothing it held was
        # acknowledged, so the main process reconnects and the broker sends it again.
        self._loop()
        self.out.send(("stopped", self._stop(self.stop_timeout or 0.0)))

    def _loop(self) -> None:
        last_stats = last_tick = time.monotonic()
        while self.stop_timeout is None:
            batches = self._receive(0.05)
            self._apply(batches)
            if batches and self.writer.last_error is None:
                # Parse and write take turns while the database answers: parsing on during
                # a write starves the writer's thread of the GIL (see wait_idle). A slow or
                # absent database only shortens the wait: the loop goes on, the writer's
                # buffer holds the readings, alarms are still raised.
                self.writer.wait_idle(WRITE_TURN_S)
            now = time.monotonic()
            if now - last_tick >= ALARM_TICK_S:
                last_tick = now
                for change in self.session.check_silence(datetime.now(UTC)).events:
                    self._alarm(change)
            while not self.chores.farm_states.empty():
                _apply_farm_state(self.session, *self.chores.farm_states.get_nowait())
            if now - last_stats > STATS_EVERY_S:
                last_stats = now
                self._log_stats()

    def _apply(self, batches: list[tuple[int, list[RawMessage]]]) -> None:
        """Parse, update the session, queue for the writer (each batch's id after its
        readings: the writer settles it once they are stored), raise and clear alarms."""
        if not batches:
            return
        parse = self.parser.parse
        parsed: list[Any] = []
        for_writer: list[Any] = []
        for batch_id, messages in batches:
            for topic, payload, received, retained in messages:
                items = parse(
                    topic, payload, datetime.fromtimestamp(received, UTC), retained=retained
                )
                if retained and items:
                    items = self._without_retained_untimed(items)
                parsed.extend(items)
                for item in items:
                    if type(item) is Reading:
                        for_writer.append(item)
            for_writer.append(batch_id)
        batch = self.session.apply(parsed, record=False)
        self.writer.add(for_writer)
        if batch.readings or batch.last_known:
            self.devices.seen([*batch.readings, *batch.last_known])
        for change in batch.events:
            self._alarm(change)

    def _without_retained_untimed(self, items: list[Any]) -> list[Any]:
        """A retained value replayed at (re)subscribe without a device time is no new
        measurement: recording it would invent one per connect. (The parser turns most into
        LastKnown; this catches any other retained reading without a time of its own.)"""
        kept = [i for i in items if type(i) is not Reading or i.measured_at != i.received_at]
        self.retained_skipped += len(items) - len(kept)
        return kept

    def _alarm(self, event: AlarmEvent) -> None:
        log.warning("Alarm %s: %s", "raised" if event.raised else "cleared", event.message)
        self.alarms.add([event])
        self.publisher.publish(event)

    def _log_stats(self) -> None:
        log.info(
            "Stats: %d written, %d duplicates, %d pending, %d rejected messages, "
            "%d readings quarantined, %d alarms raised or cleared",
            self.writer.written,
            self.writer.duplicates,
            self.writer.pending,
            self.parser.rejected,
            self.writer.quarantined,
            self.alarms.written,
        )

    def _stop(self, timeout: float) -> Report:
        """Write what is held (at most `timeout` s for the readings), then close down."""
        writer = self.writer
        log.info("Stopping: writing %d readings", writer.pending)
        # The writer settles what it stores while the main process is still connected, so
        # those messages are acknowledged; the rest stay with the broker.
        writer.stop(timeout)
        unwritten = writer.pending
        # A database that did not take the last readings will not take more: nothing else
        # may wait on it (the service manager kills a recorder that takes too long to stop).
        answering = not unwritten and writer.last_error is None
        if self.chores.stop(5.0 if answering else 0.5) and answering:
            self.alarms.flush(force=True)
        self.publisher.stop()
        self.devices.stop(save=answering)
        self.engine.dispose()
        if unwritten:
            log.error(
                "Stopped with %d readings unwritten (%s); they were not acknowledged, so the "
                "broker delivers them again at the next start",
                unwritten,
                writer.last_error or "database not answering",
            )
        if self.alarms.pending:
            log.error("%d alarm changes could not be written before stopping", self.alarms.pending)
        return Report(
            written=writer.written,
            duplicates=writer.duplicates,
            quarantined=writer.quarantined,
            unwritten=unwritten,
            last_error=writer.last_error,
            alarms_unwritten=self.alarms.pending,
        )


def _active_cycle(engine: Engine) -> int | None:
    with engine.connect() as conn:
        return conn.execute(select(Cycle.id).where(Cycle.status == "active")).scalar()


def _restore_open_alarms(session: MonitoringSession, alarm_log: DatabaseAlarmLog) -> None:
    """Alarms left open by the last run are taken back, so a restart neither forgets nor
    repeats them."""
    try:
        session.restore_alarms(items_from_entries(alarm_log.needing_attention()))
    except SQLAlchemyError as exc:
        log.warning("Open alarms not readable: %s", first_line(exc))


def _refresh(engine: Engine, session: MonitoringSession) -> None:
    """Thresholds saved on a PC and the cycle activated there apply here within a minute."""
    loaded = _load_farm_state(engine)
    if loaded is not None:
        _apply_farm_state(session, *loaded)


def _load_farm_state(engine: Engine) -> tuple[FarmConfig, bool] | None:
    try:
        return farm_config.load(engine), _active_cycle(engine) is not None
    except SQLAlchemyError as exc:
        log.debug("Farm settings not refreshed: %s", first_line(exc))
        return None


def _apply_farm_state(session: MonitoringSession, farm: FarmConfig, active: bool) -> None:
    session.cycle_active = active
    if farm.alarms is not None and farm.alarms != session.engine.settings:
        log.info("Alarm thresholds changed: %s", farm.alarms)
        session.set_thresholds(farm.alarms)
    session.set_temperature_unit(farm.temperature_unit())


class _Housekeeper:
    """The periodic database chores (alarm log, farm settings) on their own thread: a
    database that hangs must never hold the loop that reads the batches."""

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
        if self._thread.ident is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        last_refresh = time.monotonic()  # the worker refreshed once before starting us
        while not self._stop.wait(ALARM_TICK_S):
            self.alarms.flush()
            if time.monotonic() - last_refresh >= FARM_REFRESH_S:
                last_refresh = time.monotonic()
                loaded = _load_farm_state(self.engine)
                if loaded is not None:
                    self.farm_states.put(loaded)
