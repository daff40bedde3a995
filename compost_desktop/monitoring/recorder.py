"""The headless recorder for the farm server: broker in, database out, until told to stop.

It runs the same `MonitoringSession` as the window, with the farm-wide thresholds, topics
and time zone from the database (`farm_config`), so it raises the alarms a PC would: they go
to `alarm_event` (synced to the PCs) and to a retained MQTT topic for the farm's phones
(`alarm_publisher`). Alarms left open by its last run are taken back at start, so a restart
neither forgets nor repeats them.

Two processes (measured in benchmarks/bench_mqtt_pipeline.py: on one GIL paho, the parser
and the writer kept up with about a third of a bare paho subscriber). This one holds the
MQTT subscription: paho queues each message unparsed, the loop here hands them over in
batches, and acknowledges a batch's QoS 1 messages once the worker reports everything it
carried committed. The worker process (`recorder_worker`) parses, runs the session and the
alarms, and writes. Should the worker die, nothing it held was acknowledged: this process
reconnects the persistent session, so the broker sends those messages again, and starts a
new worker (see `WorkerLink`).
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any, Final

from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from compost_desktop.db import migrate
from compost_desktop.db.engine import describe, make_engine, resolve_url
from compost_desktop.db.errors import first_line
from compost_desktop.monitoring import farm_config, recorder_worker
from compost_desktop.monitoring.client import (
    BrokerConfig,
    Delivery,
    LinkEvent,
    RawMessage,
    SensorClient,
)
from compost_desktop.monitoring.farm_config import FarmConfig
from compost_desktop.monitoring.parsing import TopicPatterns
from compost_desktop.monitoring.recorder_worker import Report, WorkerSetup

log = logging.getLogger(__name__)

# At SIGTERM, how long the last write may take: a hung database must not hold the service.
STOP_WRITE_TIMEOUT_S: Final = 10.0
# After its last write the worker closes the alarm log, the alarm topic and the registry
# (briefly when the database is not answering); beyond this it is killed.
STOP_CLOSE_MARGIN_S: Final = 12.0
RESTART_DELAY_MAX_S: Final = 30.0
STABLE_AFTER_S: Final = 60.0  # a worker that ran this long resets the restart delay


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
    # A start-up read waits up to the connect timeout on a hung database: after SIGTERM it
    # is skipped, so the service stops in seconds.
    farm = (None if stop.is_set() else _load_farm(engine)) or FarmConfig()
    engine.dispose()
    if patterns is None:
        patterns = with_overrides(farm.patterns(), topics)
    zone = farm_config.zone(timezone if timezone is not None else farm.timezone or "")
    setup = WorkerSetup(
        database_url=url.render_as_string(hide_password=False),
        broker=config,
        patterns=patterns,
        zone=zone,
        farm=farm,
        log_level=logging.getLogger().getEffectiveLevel(),
    )
    log.info("Recording %s into %s", config.describe(), describe(url))
    log.info(
        "Topics %s; device clocks without offset read as %s; alarms on %s/#",
        ", ".join(patterns.subscriptions()),
        zone,
        (farm.alarm_topic or farm_config.DEFAULT_ALARM_TOPIC).rstrip("/"),
    )
    return _Recorder(setup, stop).run()


def with_overrides(base: TopicPatterns, topics: dict[str, str | None] | None) -> TopicPatterns:
    """The farm's topic patterns with `--topics` applied."""
    return farm_config.with_topics(base, topics) if topics else base


class WorkerLink:
    """This process's side of one worker process: spawn it, hand it batches, acknowledge
    what it reports stored, notice when it dies.

    Every batch gets an id; its deliveries wait here until the worker reports the id
    settled, and are then handed to `on_settled` (the client's `acknowledge`). The writer
    settles in order, so a settled id also tells that any older one still waiting was
    dropped by the worker's full buffer: those are forgotten, unacknowledged.
    """

    def __init__(
        self, setup: WorkerSetup, on_settled: Callable[[list[Delivery]], None] | None = None
    ) -> None:
        self.setup = setup
        self.on_settled = on_settled
        self.report: Report | None = None
        self.acknowledged = 0  # messages handed to on_settled
        self.dropped = 0  # messages the worker dropped unstored (never acknowledged)
        self.ready = threading.Event()
        self.stopped = threading.Event()  # the worker sent its report
        self.lost = threading.Event()  # the pipe closed: the worker is gone
        self.started_at = 0.0
        self._waiting: dict[int, list[Delivery]] = {}
        self._lock = threading.Lock()
        self._next_id = 0
        context = multiprocessing.get_context("spawn")  # paho's threads make fork unsafe
        self._inbox, worker_out = context.Pipe(duplex=False)
        worker_in, self._outbox = context.Pipe(duplex=False)
        self._worker_ends = (worker_in, worker_out)
        self.process = context.Process(
            target=recorder_worker.main,
            args=(worker_in, worker_out, setup),
            name="recorder-worker",
            daemon=True,
        )
        self._listener = threading.Thread(target=self._listen, name="worker-link", daemon=True)

    @property
    def unacknowledged(self) -> int:
        """Messages handed to the worker and not yet reported stored."""
        with self._lock:
            return sum(len(d) for d in self._waiting.values())

    def start(self) -> None:
        self.started_at = time.monotonic()
        self.process.start()
        for end in self._worker_ends:
            end.close()  # the worker's now: its exit then closes the pipe for us
        self._listener.start()

    def wait_ready(self, stop: threading.Event) -> bool:
        """Until the worker is ready (True), or it died or `stop` was set. Its start-up reads
        may wait on a database that is away, as the recorder always has."""
        while not self.ready.wait(0.05):
            if self.lost.is_set() or stop.is_set():
                return False
        return True

    def forward(self, items: Sequence[Any]) -> list[LinkEvent]:
        """Hand the drained client items' messages to the worker as one batch; returns the
        link events among them. A dead worker's pipe only marks it lost."""
        messages: list[RawMessage] = []
        deliveries: list[Delivery] = []
        links: list[LinkEvent] = []
        for item in items:
            kind = type(item)
            if kind is tuple:
                messages.append(item)
            elif kind is Delivery:
                deliveries.append(item)
            elif kind is LinkEvent:
                links.append(item)
        if messages or deliveries:
            with self._lock:
                batch_id = self._next_id
                self._next_id += 1
                self._waiting[batch_id] = deliveries
            self._send(("batch", batch_id, messages))
        return links

    def stop(self, timeout: float) -> Report | None:
        """Ask the worker to write what it holds (acknowledging as it reports) and end;
        returns its report, None if it died or did not answer in time (then it is killed)."""
        self._send(("stop", timeout))
        deadline = time.monotonic() + timeout + STOP_CLOSE_MARGIN_S
        while not self.stopped.wait(0.05):
            if self.lost.is_set() or time.monotonic() > deadline:
                break
        self.close(wait=1.0 if self.stopped.is_set() else 0.0)
        return self.report

    def close(self, wait: float = 0.0) -> None:
        """End the worker process (killed if it does not exit within `wait` s)."""
        self.process.join(wait)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5.0)
        self._listener.join(2.0)  # what it still had to say (logs) after the pipe closed
        self._outbox.close()

    def _send(self, message: tuple[Any, ...]) -> None:
        if self.lost.is_set():
            return
        try:
            self._outbox.send(message)
        except (OSError, ValueError):  # BrokenPipeError: the worker is gone
            self.lost.set()

    def _listen(self) -> None:
        try:
            while True:
                message = self._inbox.recv()
                kind = message[0]
                if kind == "settled":
                    self.settled(message[1])
                elif kind == "log":
                    record: logging.LogRecord = message[1]
                    logging.getLogger(record.name).handle(record)
                elif kind == "ready":
                    self.ready.set()
                elif kind == "stopped":
                    self.report = message[1]
                    self.stopped.set()
        except (EOFError, OSError):
            pass
        except Exception:
            log.exception("Unreadable message from the recording worker")
        finally:
            self.lost.set()
            self._inbox.close()

    def settled(self, batch_ids: list[int]) -> None:
        """The worker stored these batches: acknowledge their messages (and forget older
        ones still waiting: the worker dropped them from a full buffer)."""
        deliveries: list[Delivery] = []
        with self._lock:
            for batch_id in batch_ids:
                while self._waiting:
                    oldest = next(iter(self._waiting))
                    if oldest > batch_id:
                        break
                    got = self._waiting.pop(oldest)
                    if oldest == batch_id:
                        deliveries.extend(got)
                    else:
                        self.dropped += len(got)
        if deliveries and self.on_settled is not None:
            try:
                self.on_settled(deliveries)
            except Exception:
                log.exception("Could not acknowledge %d stored messages", len(deliveries))
            self.acknowledged += len(deliveries)


class _Recorder:
    """The main process's loop: a client, a worker, and a new pair should the worker die."""

    def __init__(self, setup: WorkerSetup, stop: threading.Event) -> None:
        self.setup = setup
        self.stop = stop
        self.restart_delay = 1.0

    def run(self) -> int:
        while True:
            client = SensorClient(self.setup.broker, self.setup.patterns, manual_ack=True, raw=True)
            link = WorkerLink(self.setup, on_settled=client.acknowledge)
            link.start()
            log.info("Worker process %s started", link.process.pid)
            if link.wait_ready(self.stop):
                client.start()
                self._record(client, link)
            if not link.lost.is_set() or self.stop.is_set():
                return self._finish(client, link)
            self._lost(client, link)
            if self.stop.wait(self.restart_delay):
                log.info("Stopped before a new worker started; nothing is held here")
                return 0
            self.restart_delay = min(self.restart_delay * 2, RESTART_DELAY_MAX_S)

    def _record(self, client: SensorClient, link: WorkerLink) -> None:
        """Hand messages to the worker until told to stop or the worker dies."""
        while not self.stop.is_set() and not link.lost.is_set():
            items = client.drain()
            if items:
                for event in link.forward(items):
                    log.info("Broker %s %s", event.state.value, event.detail)
            else:
                client.wait(0.05)
            if time.monotonic() - link.started_at > STABLE_AFTER_S:
                self.restart_delay = 1.0

    def _finish(self, client: SensorClient, link: WorkerLink) -> int:
        """Stop: the worker writes what it holds while the client is still connected, so
        what it stores is acknowledged; what arrives meanwhile stays unacknowledged."""
        link.forward(client.drain())
        report = link.stop(STOP_WRITE_TIMEOUT_S)
        client.stop()
        if report is None:
            log.error(
                "Stopped without the worker's last report; %d messages were not acknowledged, "
                "so the broker delivers them again at the next start",
                link.unacknowledged,
            )
            return 1
        log.info(
            "Stopped: %d readings written, %d duplicates, %d quarantined",
            report.written,
            report.duplicates,
            report.quarantined,
        )
        return 0 if not report.unwritten else 1

    def _lost(self, client: SensorClient, link: WorkerLink) -> None:
        """The worker died: acknowledge nothing more, and disconnect, so that the broker
        sends again what it had not stored (a persistent session resends unacknowledged
        messages only on a new connection)."""
        link.close()
        client.stop()
        log.error(
            "The recording worker ended unexpectedly (exit code %s); its %d unacknowledged "
            "messages come again from the broker. Starting a new worker in %.0f s.",
            link.process.exitcode,
            link.unacknowledged,
            self.restart_delay,
        )


def _load_farm(engine: Engine) -> FarmConfig | None:
    try:
        return farm_config.load(engine)
    except SQLAlchemyError as exc:
        log.warning("Farm settings not readable, using the defaults: %s", first_line(exc))
        return None


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
