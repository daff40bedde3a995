"""The recorder's worker process (issue 16, item 2): the main process holds the subscription,
the worker parses and writes; a QoS 1 message is acknowledged only once the worker reports
its readings committed. Here the worker dies while it holds unwritten readings: the main
process acknowledges none of them, reconnects, starts a new worker, and the broker's
redelivery leaves every reading stored exactly once.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.monitoring.client import BrokerConfig, Delivery, LinkEvent, LinkState
from compost_desktop.monitoring.farm_config import FarmConfig
from compost_desktop.monitoring.parsing import Reading, TopicPatterns
from compost_desktop.monitoring.recorder import WorkerLink
from compost_desktop.monitoring.recorder_worker import WorkerSetup
from compost_desktop.monitoring.recording import ReadingWriter
from tests.support.recorder import record_command
from tests.support.servers import MosquittoServer
from tests.support.waiting import wait_until

T0 = datetime(2026, 7, 1, tzinfo=UTC)


def _count(db: Path, where: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM sensor_reading WHERE {where}").fetchone()[0])


class _Stream:
    """A sensor node publishing timestamped farm JSON at QoS 1, one reading a second."""

    def __init__(self, broker: MosquittoServer) -> None:
        self.sent = 0
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="worker-test-node")
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def send(self, n: int, device: str = "node-w") -> None:
        for _ in range(n):
            body = {
                "device_id": device,
                "temperature": 50.0 + self.sent % 10,
                "moisture": 55.0,
                "timestamp": (T0 + timedelta(seconds=self.sent)).isoformat(),
            }
            self.client.publish("compost/sensor/data", json.dumps(body), qos=1).wait_for_publish(10)
            self.sent += 1

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.mark.mqtt
def test_a_killed_worker_loses_nothing_the_broker_sends_it_again(
    fresh_mqtt_broker: MosquittoServer, tmp_path: Path
) -> None:
    db = tmp_path / "farm.db"
    migrate.upgrade(resolve_url(f"sqlite:///{db}"))
    log_path = tmp_path / "recorder.log"

    def log() -> str:
        return log_path.read_text(errors="replace")

    def workers() -> list[int]:
        return [int(pid) for pid in re.findall(r"Worker process (\d+) started", log())]

    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            record_command(f"sqlite:///{db}", fresh_mqtt_broker.url, "recorder-worker-test"),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    stream = _Stream(fresh_mqtt_broker)
    lock: sqlite3.Connection | None = None
    try:
        wait_until(lambda: bool(workers()), 30, f"worker started\n{log()}")
        stream.send(1, device="probe")  # subscribed once the probe is stored
        deadline = time.monotonic() + 30
        while _count(db, "device_id = 'probe'") == 0:
            assert time.monotonic() < deadline, log()
            stream.send(1, device="probe")
            time.sleep(0.2)
        probes = stream.sent

        # The database takes nothing for now: the worker holds what it receives, unacked.
        lock = sqlite3.connect(db, isolation_level=None, timeout=0)
        lock.execute("BEGIN EXCLUSIVE")
        stream.send(150)
        time.sleep(1.0)  # the first of them received and parsed by the worker, not written
        [first] = workers()
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: "ended unexpectedly" in log(), 10, f"worker loss noticed\n{log()}")
        # As many as the broker lets go unacknowledged (Mosquitto's window: 20 by default).
        held = re.search(r"its (\d+) unacknowledged messages", log())
        assert held is not None and 0 < int(held.group(1)) <= 150, log()
        lock.rollback()
        lock.close()
        lock = None

        wait_until(lambda: len(workers()) == 2, 30, f"a new worker\n{log()}")
        assert proc.poll() is None, log()  # the main process kept running
        stream.send(50)
        sent = stream.sent - probes
        wait_until(
            lambda: _count(db, "device_id = 'node-w'") == 2 * sent, 60, f"all stored\n{log()}"
        )
        time.sleep(1.0)  # a late second copy would show now
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0, log()
    finally:
        if lock is not None:
            lock.close()
        stream.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    text = log()
    assert "Stopped:" in text and "Traceback" not in text, text
    assert _count(db, "device_id = 'node-w' AND quantity = 'temperature'") == sent
    with sqlite3.connect(db) as conn:
        distinct = conn.execute(
            "SELECT count(DISTINCT measured_at) FROM sensor_reading WHERE device_id = 'node-w'"
        ).fetchone()[0]
    assert distinct == sent


def test_a_settled_batch_acknowledges_its_messages_and_forgets_older_dropped_ones() -> None:
    """The writer settles in order: an older batch still waiting when a newer one settles
    was dropped from the worker's full buffer, and is never acknowledged."""
    acked: list[Delivery] = []
    setup = WorkerSetup("sqlite://", BrokerConfig("localhost"), TopicPatterns(), UTC, FarmConfig())
    link = WorkerLink(setup, on_settled=acked.extend)
    link.lost.set()  # no worker process: forward keeps the batches without sending them
    batches = [[Delivery(mid, 1, 1) for mid in (3 * b, 3 * b + 1, 3 * b + 2)] for b in range(3)]
    raw = ("compost/sensor/data", b"{}", 0.0, False)
    up = LinkEvent(LinkState.CONNECTED, T0)
    events = [link.forward([raw, *deliveries, up]) for deliveries in batches]
    assert events == [[up]] * 3
    assert link.unacknowledged == 9
    link.settled([1])
    assert acked == batches[1]
    assert (link.acknowledged, link.dropped, link.unacknowledged) == (3, 3, 3)
    link.settled([2])
    assert acked == batches[1] + batches[2]
    assert link.unacknowledged == 0


@pytest.mark.log_allowed("^Readings kept in memory, database unavailable")
def test_the_worker_waits_for_the_writer_only_while_the_database_answers(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Parse and write take turns in the worker (`ReadingWriter.wait_idle`); a database that
    is away must not hold the turn: the wait ends, the readings stay in the buffer."""
    readings = [
        Reading("node-1", "temperature", 50.0, at, at + timedelta(seconds=1), "t")
        for at in (T0 + timedelta(seconds=s) for s in range(3000))
    ]
    url = resolve_url(sqlite_url)
    migrate.upgrade(url)
    for engine, stored in (
        (make_engine(url), True),
        (make_engine(f"sqlite:///{tmp_path}/empty.db"), False),
    ):
        writer = ReadingWriter(engine)
        writer.start()
        try:
            assert writer.wait_idle(0)  # nothing given yet
            writer.add(readings)
            started = time.monotonic()
            assert writer.wait_idle(2.0) is stored
            assert time.monotonic() - started < 3.0
            if stored:
                assert (writer.written, writer.pending) == (3000, 0)
            else:  # no tables: unavailable, kept and retried, never quarantined
                assert writer.last_error is not None and writer.pending == 3000
        finally:
            writer.stop(1.0)
            engine.dispose()
