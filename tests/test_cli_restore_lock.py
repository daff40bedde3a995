"""`db restore` and the processes that write a local store exclude each other (issue 17, item 4).

Real processes: a `record` process storing a stream from a real Mosquitto into a SQLite
store while `db restore` is tried on that store.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from compost_desktop.db import lock
from tests.records.test_export import make_db, populate
from tests.support.servers import MosquittoServer
from tests.support.waiting import wait_until
from tests.test_cli import _exe, run


def _count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM sensor_reading").fetchone()[0])


def _integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def _writer_notes(db: Path) -> list[dict[str, object]]:
    folder = lock.lock_folder(db.resolve())
    notes = []
    for path in folder.glob("writer-*.json") if folder.exists() else []:
        with contextlib.suppress(OSError, ValueError):
            notes.append(json.loads(path.read_text()))
    return notes


@pytest.fixture
def store(tmp_path: Path) -> tuple[str, Path, Path]:
    """A store with data, and a good backup of it."""
    db = tmp_path / "farm.db"
    url = f"sqlite:///{db}"
    engine = make_db(url)
    populate(engine)
    engine.dispose()
    backup = tmp_path / "good.sqlite"
    made = run("db", "backup", "--database", url, "--out", str(backup))
    assert made.returncode == 0, made.stderr
    return url, db, backup


@pytest.fixture
def recorder(
    store: tuple[str, Path, Path], mqtt_broker: MosquittoServer, tmp_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    url, db, _backup = store
    command = [*_exe(), "record", "--database", url, "--broker", mqtt_broker.url]
    with (tmp_path / "recorder.log").open("wb") as log:
        proc = subprocess.Popen(
            [*command, "--client-id", f"lock-test-{tmp_path.name}"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until(lambda: any(n["pid"] == proc.pid for n in _writer_notes(db)), 30, "lock")
            # Subscribed: from now on the broker keeps what it is sent for the recorder.
            logged = tmp_path / "recorder.log"
            wait_until(lambda: "MQTT connected" in logged.read_text(), 30, "recorder subscribed")
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)


class Stream:
    """Sensor messages at a steady pace on a thread, each with its own time stamp."""

    def __init__(self, broker: MosquittoServer) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="lock-test-publisher")
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        self.sent = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.start_at = datetime.now(UTC) - timedelta(hours=2)

    def _run(self) -> None:
        while not self.stop.is_set():
            at = self.start_at + timedelta(seconds=self.sent)
            payload = {"device_id": "probe-1", "temperature": 55.0, "timestamp": at.isoformat()}
            self.client.publish("compost/sensor/data", json.dumps(payload), qos=1).wait_for_publish(
                10
            )
            self.sent += 1
            time.sleep(0.005)

    def __enter__(self) -> Stream:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join(10)
        self.client.disconnect()
        self.client.loop_stop()


@pytest.mark.mqtt
def test_restore_while_a_recorder_writes_is_refused_and_the_store_stays_intact(
    store: tuple[str, Path, Path],
    recorder: subprocess.Popen[bytes],
    mqtt_broker: MosquittoServer,
) -> None:
    url, db, backup = store
    before = _count(db)
    with Stream(mqtt_broker) as stream:
        wait_until(lambda: _count(db) > before + 50, 30, "readings being recorded")
        refused = run("db", "restore", "--database", url, str(backup))
        during = stream.sent
        wait_until(lambda: stream.sent > during + 200, 30, "more readings sent after the refusal")
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert "in use by the recorder" in refused.stderr
    assert f"process {recorder.pid}" in refused.stderr
    assert "`compost-desktop record" in refused.stderr
    assert "Nothing was changed" in refused.stderr
    assert not list(db.parent.glob("farm.db.before-restore-*"))

    wait_until(lambda: _count(db) >= before + stream.sent, 30, "every reading sent stored")
    recorder.send_signal(signal.SIGTERM)
    assert recorder.wait(30) == 0
    assert _integrity(db) == "ok"
    assert _count(db) == before + stream.sent  # nothing lost, nothing doubled

    # With the recorder stopped, the same restore goes through.
    restored = run("db", "restore", "--database", url, str(backup))
    assert restored.returncode == 0, restored.stderr
    assert _count(db) == before and _integrity(db) == "ok"


@pytest.mark.mqtt
def test_a_recorder_killed_with_sigkill_does_not_block_a_restore(
    store: tuple[str, Path, Path], recorder: subprocess.Popen[bytes]
) -> None:
    url, _db, backup = store
    recorder.kill()  # no chance to release anything: the OS drops its file lock
    recorder.wait(10)
    restored = run("db", "restore", "--database", url, str(backup))
    assert restored.returncode == 0, restored.stderr


def test_writers_refuse_to_start_while_a_restore_runs(store: tuple[str, Path, Path]) -> None:
    url, db, _backup = store
    with lock.exclusive(db.resolve(), "a restore"):
        upgrade = run("db", "upgrade", "--database", url)
        second = run("db", "restore", "--database", url, str(_backup))
    assert upgrade.returncode == 1
    assert "is being restored from a backup" in upgrade.stderr
    assert "Traceback" not in upgrade.stderr
    assert second.returncode == 1 and "already being restored" in second.stderr
    assert run("db", "upgrade", "--database", url).returncode == 0  # once it has finished


def test_a_process_restoring_its_own_store_is_not_blocked_by_its_own_lock(
    store: tuple[str, Path, Path],
) -> None:
    """The app holds a writer lock all day and restores from its File menu."""
    from compost_desktop.db.engine import resolve_url
    from compost_desktop.records.backup import restore

    url, db, backup = store
    held = lock.writer_lock(resolve_url(url), "the Compost Desktop app")
    assert held is not None
    try:
        restore(backup, url)
        assert _integrity(db) == "ok"
    finally:
        held.release()
