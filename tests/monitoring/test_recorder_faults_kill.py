"""Fault injection: the real `compost-desktop record` process under a stream of QoS 1 readings,
killed with SIGKILL at random points, stopped with SIGTERM, and with its PostgreSQL stopped,
hung (SIGSTOP) and restarted. Afterwards every reading the broker accepted is stored once.

The CI run is short; the long run is
    COMPOST_FAULT_ROUNDS=200 .venv/bin/python -m pytest tests/monitoring/test_recorder_faults_kill.py
(COMPOST_FAULT_SEED picks another seed; the seed is printed on failure.)
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from tests.support.recorder import record_command
from tests.support.servers import MosquittoServer, PostgresServer

FAULTS = (
    "kill",
    "kill",
    "term",
    "pg_down",
    "pg_hung",
    "pg_down_kill",
    "pg_hung_kill",
    "pg_hung_term",
    "pg_down_term",
)
# The CI run meets each fault once; COMPOST_FAULT_ROUNDS=200 for the long run.
ROUNDS = int(os.environ.get("COMPOST_FAULT_ROUNDS", str(len(FAULTS))))
SEED = int(os.environ.get("COMPOST_FAULT_SEED", "20261203"))
CLIENT_ID = "recorder-under-fault"
T0 = datetime(2026, 6, 1, tzinfo=UTC)
# SIGTERM waits at most recorder.STOP_WRITE_TIMEOUT_S for the database, plus start-up time.
TERM_EXIT_LIMIT_S = 25.0

# About 3 s a round on a busy 2-core machine; the long run needs more than the default 300 s.
pytestmark = [pytest.mark.postgres, pytest.mark.mqtt, pytest.mark.timeout(max(300, 15 * ROUNDS))]


def _postgres_pids(server: PostgresServer) -> list[int]:
    """The postmaster and its children (backends, checkpointer, ...)."""
    master = int((server.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    pids = [master]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == master:
                pids.append(int(stat.parent.name))
    return pids


@contextlib.contextmanager
def _hung(server: PostgresServer) -> Iterator[None]:
    """PostgreSQL that accepts TCP but answers nothing, as a stalled disk or VM would."""
    pids = _postgres_pids(server)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


class _Recorder:
    """The real recorder as a service manager would run it."""

    def __init__(self, url: str, broker: MosquittoServer, log_dir: Path) -> None:
        self.url = url
        self.broker = broker
        self.log_dir = log_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = (self.log_dir / f"recorder-{self.starts}.log").open("wb")
        self.proc = subprocess.Popen(
            record_command(self.url, self.broker.url, CLIENT_ID),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def log(self) -> str:
        return (self.log_dir / f"recorder-{self.starts}.log").read_text(errors="replace")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until it handles SIGTERM (before that, the default action is right: nothing acked)."""
        deadline = time.monotonic() + timeout
        while not any(m in self.log() for m in ("Recording ", "Retrying in", "Stopping")):
            assert time.monotonic() < deadline, f"recorder never started:\n{self.log()}"
            time.sleep(0.05)

    def term(self) -> tuple[int, float]:
        """SIGTERM; returns the exit code and the seconds it took."""
        assert self.proc is not None
        self.wait_ready()
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(TERM_EXIT_LIMIT_S + 10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"recorder ignored SIGTERM:\n{self.log()[-3000:]}") from None
        return code, time.monotonic() - started

    def ensure_running(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.start()


class _Stream:
    """Sensor nodes publishing timestamped farm JSON at QoS 1; remembers what the broker took."""

    def __init__(self, broker: MosquittoServer) -> None:
        self.sent: set[tuple[str, datetime]] = set()
        self._seq = 0
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="fault-publisher")
        self._client.max_inflight_messages_set(0)
        self._client.connect(broker.host, broker.port)
        self._client.loop_start()

    def publish(self, n: int, rate: float) -> None:
        infos = []
        for _ in range(n):
            device = f"fi-{self._seq % 4}"
            when = T0 + timedelta(seconds=self._seq)
            self._seq += 1
            body = {
                "device_id": device,
                "temperature": 40 + (self._seq % 200) / 10,
                "moisture": 50.0,
                "timestamp": when.isoformat(),
            }
            infos.append(
                (device, when, self._client.publish("compost/sensor/data", json.dumps(body), qos=1))
            )
            time.sleep(1 / rate)
        for device, when, info in infos:
            info.wait_for_publish(30)
            assert info.is_published()
            self.sent.add((device, when))

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def _stored(engine: sa.Engine) -> list[tuple[str, datetime]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT device_id, measured_at FROM sensor_reading "
                "WHERE device_id LIKE 'fi-%' AND quantity = 'temperature'"
            )
        ).all()
    return [(d, t) for d, t in rows]


def _count(engine: sa.Engine, where: str = "TRUE") -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(sa.text(f"SELECT count(*) FROM sensor_reading WHERE {where}")).scalar_one()
        )


def _wait_stored(engine: sa.Engine, want: int, timeout: float, rec: _Recorder) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(sa.exc.OperationalError):
            if _count(engine, "device_id LIKE 'fi-%'") >= want:
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"stored fewer than {want}; recorder log:\n{rec.log()[-3000:]}")
        time.sleep(0.1)


def _fault(
    kind: str, rng: random.Random, rec: _Recorder, pg: PostgresServer, codes: list[str]
) -> None:
    """One fault, at whatever moment of the stream it is called."""
    if kind == "kill":
        rec.kill()
        time.sleep(rng.uniform(0, 0.5))
        rec.start()
    elif kind == "term":
        code, took = rec.term()
        assert code == 0, rec.log()[-3000:]
        rec.start()
    elif kind.startswith("pg_down"):
        pg.stop()
        time.sleep(rng.uniform(0.2, 1.5))
        if kind.endswith("kill"):
            rec.kill()
            rec.start()  # starts while the database is away
            time.sleep(rng.uniform(0, 1.0))
        elif kind.endswith("term"):
            code, took = rec.term()
            assert took < TERM_EXIT_LIMIT_S, f"SIGTERM took {took:.1f} s"
            codes.append(rec.log())
        pg.start()
        if kind.endswith("term"):
            rec.start()
    else:
        with _hung(pg):
            time.sleep(rng.uniform(0.2, 1.5))
            if kind.endswith("kill"):
                rec.kill()
            elif kind.endswith("term"):
                code, took = rec.term()
                assert took < TERM_EXIT_LIMIT_S, f"SIGTERM took {took:.1f} s"
                codes.append(rec.log())
            time.sleep(rng.uniform(0, 0.5))
        if kind.endswith(("kill", "term")):
            rec.start()


def test_recorder_loses_nothing_and_duplicates_nothing_under_faults(
    pg_server: PostgresServer, pg_url: str, fresh_mqtt_broker: MosquittoServer, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    url = resolve_url(pg_url)
    migrate.upgrade(url)
    engine = make_engine(url)
    rec = _Recorder(pg_url, fresh_mqtt_broker, tmp_path)
    stream = _Stream(fresh_mqtt_broker)
    term_logs: list[str] = []
    done: list[str] = []
    try:
        rec.start()
        # The persistent session exists once the recorder has subscribed: a probe is stored.
        deadline = time.monotonic() + 60
        while _count(engine, "device_id = 'probe'") == 0:
            stream._client.publish(
                "compost/sensor/data",
                json.dumps(
                    {
                        "device_id": "probe",
                        "temperature": 20.0,
                        "timestamp": datetime.now(UTC).isoformat(),
                    }
                ),
                qos=1,
            )
            time.sleep(0.3)
            assert time.monotonic() < deadline, rec.log()
        for round_no in range(ROUNDS):
            kind = FAULTS[round_no % len(FAULTS)] if round_no < len(FAULTS) else rng.choice(FAULTS)
            n = rng.randint(40, 250)
            rate = rng.choice((200.0, 1000.0))
            publisher = threading.Thread(target=stream.publish, args=(n, rate))
            publisher.start()
            time.sleep(rng.uniform(0, n / rate))  # a random point of the stream
            _fault(kind, rng, rec, pg_server, term_logs)
            publisher.join(120)
            assert not publisher.is_alive()
            done.append(kind)
        pg_server.start()
        rec.ensure_running()
        _wait_stored(engine, 2 * len(stream.sent), 90, rec)
        time.sleep(1.0)  # a late duplicate would show up now
        code, _ = rec.term()
        assert code == 0, rec.log()[-3000:]
    except BaseException:
        print(f"seed {SEED}, faults so far {done}, recorder starts {rec.starts}")
        engine.dispose()
        raise
    finally:
        with contextlib.suppress(Exception):
            pg_server.start()
        if rec.proc is not None and rec.proc.poll() is None:
            rec.kill()
        stream.close()
    stored = _stored(engine)
    assert len(stream.sent) > 0
    assert len(stored) == len(set(stored)), "duplicates stored"
    assert set(stored) == stream.sent, (
        f"lost {len(stream.sent - set(stored))}, unexpected {len(set(stored) - stream.sent)}"
    )
    assert _count(engine, "device_id LIKE 'fi-%'") == 2 * len(stream.sent)  # moisture too
    for log in term_logs:  # SIGTERM while the database hung: a prompt, plain exit
        assert "Stopped" in log and "Traceback" not in log, log[-3000:]
    engine.dispose()
