"""The headless recorder for the farm server: broker in, database out, until told to stop."""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import FrameType

from sqlalchemy.engine import URL

from compost_desktop.db import migrate
from compost_desktop.db.engine import describe, make_engine, resolve_url
from compost_desktop.monitoring.client import BrokerConfig, LinkEvent, SensorClient
from compost_desktop.monitoring.parsing import Reading, TopicPatterns
from compost_desktop.monitoring.recording import ReadingWriter
from compost_desktop.monitoring.registry import RegistryFollower

log = logging.getLogger(__name__)

STATS_EVERY_S = 60.0


def run(
    database_url: str | None,
    broker_url: str,
    client_id: str | None = None,
    stop: threading.Event | None = None,
    patterns: TopicPatterns | None = None,
) -> int:
    """Record until SIGTERM/SIGINT (or `stop`); flushes what it holds before returning."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        _install_signal_handlers(stop)
    url = resolve_url(database_url)
    config = BrokerConfig.from_url(broker_url, client_id=client_id or "compost-desktop-recorder")
    engine = make_engine(url)
    _wait_for_schema(url, stop)
    writer = ReadingWriter(engine)
    client = SensorClient(config, patterns)
    devices = RegistryFollower(engine, client.parser)
    log.info("Recording %s into %s", config.describe(), describe(url))
    writer.start()
    devices.start()
    client.start()
    last_stats = time.monotonic()
    try:
        while not stop.is_set():
            items = client.drain()
            readings = [i for i in items if isinstance(i, Reading)]
            if readings:
                writer.add(readings)
                devices.seen(readings)
            for event in (i for i in items if isinstance(i, LinkEvent)):
                log.info("Broker %s %s", event.state.value, event.detail)
            if time.monotonic() - last_stats > STATS_EVERY_S:
                last_stats = time.monotonic()
                log.info(
                    "Stats: %d written, %d duplicates, %d pending, %d rejected messages",
                    writer.written,
                    writer.duplicates,
                    writer.pending,
                    client.parser.rejected,
                )
            stop.wait(0.05 if not items else 0)
    finally:
        log.info("Stopping: flushing %d readings", writer.pending)
        client.stop()
        writer.add(i for i in client.drain() if isinstance(i, Reading))
        writer.stop()
        devices.stop()
        engine.dispose()
        if writer.pending:
            log.error("%d readings could not be written before stopping", writer.pending)
    log.info("Stopped: %d readings written, %d duplicates", writer.written, writer.duplicates)
    return 0 if not writer.pending else 1


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
