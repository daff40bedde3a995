"""The headless recorder for the farm server: broker in, database out, until told to stop."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Sequence
from types import FrameType

from sqlalchemy.engine import URL

from compost_desktop.db import migrate
from compost_desktop.db.engine import describe, make_engine, resolve_url
from compost_desktop.monitoring.client import BrokerConfig, Delivery, LinkEvent, SensorClient
from compost_desktop.monitoring.parsing import Reading, TopicPatterns
from compost_desktop.monitoring.recording import ReadingWriter

log = logging.getLogger(__name__)

STATS_EVERY_S = 60.0
# At SIGTERM, how long the last write may take: a hung database must not hold the service.
STOP_WRITE_TIMEOUT_S = 10.0


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
    # QoS 1 messages are acknowledged only once their readings are committed (or refused
    # for good), so a crash or kill at any moment leaves the rest with the broker.
    client = SensorClient(config, patterns, manual_ack=True, skip_retained_untimed=True)
    writer = ReadingWriter(engine, on_settled=client.acknowledge)
    log.info("Recording %s into %s", config.describe(), describe(url))
    writer.start()
    client.start()
    last_stats = time.monotonic()
    try:
        while not stop.is_set():
            items = client.drain()
            if items:
                writer.add(_for_writer(items))
            for event in (i for i in items if isinstance(i, LinkEvent)):
                log.info("Broker %s %s", event.state.value, event.detail)
            if time.monotonic() - last_stats > STATS_EVERY_S:
                last_stats = time.monotonic()
                log.info(
                    "Stats: %d written, %d duplicates, %d pending, %d rejected messages, "
                    "%d readings quarantined",
                    writer.written,
                    writer.duplicates,
                    writer.pending,
                    client.parser.rejected,
                    writer.quarantined,
                )
            if not items:
                client.wait(0.05)
    finally:
        log.info("Stopping: writing %d readings", writer.pending)
        writer.add(_for_writer(client.drain()))
        # Write (and acknowledge) while still connected; what arrives meanwhile stays unacked.
        writer.stop(STOP_WRITE_TIMEOUT_S)
        unwritten = writer.pending
        client.stop()
        engine.dispose()
        if unwritten:
            log.error(
                "Stopped with %d readings unwritten (%s); they were not acknowledged, so the "
                "broker delivers them again at the next start",
                unwritten,
                writer.last_error or "database not answering",
            )
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
