"""Sustained readings/s through the recording pipelines, against a bare paho subscriber.

Three subscribers meet the same throwaway Mosquitto in the same run, in the same way: a
persistent session (fixed client id, clean_session=False, MQTT 3.1.1) subscribes at QoS 1 and
goes away, N farm-JSON messages are published while all are away so the broker queues them
for each, and then each reconnects in turn. From the connect call we time until

* the bare subscriber has counted N messages;
* the in-process pipeline (paho -> MessageParser on paho's thread -> SensorClient queue ->
  ReadingWriter's thread into a temp SQLite, acknowledging after commit: the GUI's way, and
  the headless recorder's until issue 16) has written all 2N readings;
* the headless recorder (issue 16, item 2: paho in this process only queues raw messages,
  recorder.WorkerLink hands them in batches to the worker process, which parses, runs the
  session and alarms and writes with the ReadingWriter) has had all N messages acknowledged,
  which it does only once their readings are committed.

The publisher is not timed. Parse-only and writer-only rates on the same data, and the CPU
seconds each process used during the recorder's run (Linux /proc), show where the time goes.
The writer is also timed with SQLAlchemy Core's insert in its place (its former path, the
baseline for ours), on SQLite and on a throwaway PostgreSQL.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.db.models import SensorReading
from compost_desktop.monitoring.client import BrokerConfig, Delivery, SensorClient
from compost_desktop.monitoring.farm_config import FarmConfig
from compost_desktop.monitoring.parsing import (
    DeviceStatus,
    MessageParser,
    Reading,
    TopicPatterns,
)
from compost_desktop.monitoring.recorder import WorkerLink
from compost_desktop.monitoring.recorder_worker import Report, WorkerSetup
from compost_desktop.monitoring.recording import CycleWindows, ReadingWriter
from compost_desktop.monitoring.simulator import FARM_TOPIC, PileModel
from tests.support.servers import MosquittoServer, PostgresServer

N_MESSAGES = 40_000  # the broker queues at most 100,000 per session
DEVICES = 8
INFLIGHT = 100  # what SensorClient sets; the bare subscriber gets the same
BARE_ID = "bench-bare"
OURS_ID = "bench-ours"
PROCESS_ID = "bench-recorder"
PG_PROCESS_ID = "bench-recorder-pg"
WARMUP_TOPIC = "compost/status/bench-warmup"
SETUP_TIMEOUT_S = 10.0
PUBLISH_TIMEOUT_S = 60.0
RECEIVE_TIMEOUT_S = 60.0


def _payloads(n: int) -> list[bytes]:
    """Farm JSON, two readings each, every message with its own timestamp (1 s apart).

    Values are PileModel samples per device and minute (its noise is per minute anyway),
    which keeps generating 40,000 messages to a fraction of a second.
    """
    model = PileModel(seed=7, gases=False)
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=n + 60)
    age0 = 3 * 86_400.0  # thermophilic phase
    samples: dict[tuple[int, int], tuple[float, float]] = {}
    out: list[bytes] = []
    for i in range(n):
        device = i % DEVICES
        key = (device, i // 60)
        if key not in samples:
            values = model.sample(device, age0 + i)
            samples[key] = (round(values["temperature"], 2), round(values["moisture"], 1))
        temperature, moisture = samples[key]
        message = {
            "device_id": f"node-{device + 1}",
            "temperature": temperature,
            "moisture": moisture,
            "timestamp": (base + timedelta(seconds=i)).isoformat().replace("+00:00", "Z"),
        }
        out.append(json.dumps(message).encode())
    return out


def _wait(predicate: Callable[[], bool], timeout: float, poll: float = 0.005) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(poll)
    return True


class _Publisher:
    """QoS 1 publisher driven from the calling thread (no paho loop thread to wake per
    message, no inflight limit): about twice as fast as loop_start() here, and untimed."""

    def __init__(self, broker: MosquittoServer) -> None:
        self.acked = 0
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id="bench-publisher",
            clean_session=True,
            protocol=mqtt.MQTTv311,
        )
        self._client.max_inflight_messages_set(0)
        self._client.max_queued_messages_set(0)
        self._client.on_publish = self._on_publish
        self._client.connect(broker.host, broker.port, keepalive=600)

    def _on_publish(self, *_args: Any) -> None:
        self.acked += 1

    def publish_qos0(self, topic: str, payload: bytes) -> None:
        self._client.publish(topic, payload, qos=0)
        self._client.loop(0)

    def publish_all(self, payloads: list[bytes]) -> float:
        """Publish at QoS 1 and wait for every acknowledgement; returns the seconds taken."""
        start = time.perf_counter()
        target = self.acked + len(payloads)
        for i, payload in enumerate(payloads):
            self._client.publish(FARM_TOPIC, payload, qos=1)
            if i % 200 == 0:
                self._client.loop(0)
        deadline = time.monotonic() + PUBLISH_TIMEOUT_S
        while self.acked < target:
            if time.monotonic() > deadline:
                raise RuntimeError(f"broker acknowledged {len(payloads) - target + self.acked}")
            self._client.loop(0.01)
        return time.perf_counter() - start

    def close(self) -> None:
        self._client.disconnect()


class _BareSubscriber:
    """paho with the same session settings as SensorClient; on_message only counts."""

    def __init__(self, broker: MosquittoServer, target: int = -1, client_id: str = BARE_ID) -> None:
        self.count = 0
        self.target = target
        self.done = threading.Event()
        self._topics = [(t, 1) for t in TopicPatterns().subscriptions()]
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
        )
        self._client.max_inflight_messages_set(INFLIGHT)
        self._client.max_queued_messages_set(0)
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._broker = broker

    def _on_connect(self, client: mqtt.Client, *_args: Any) -> None:
        client.subscribe(self._topics)

    def _on_message(self, *_args: Any) -> None:
        self.count += 1
        if self.count == self.target:
            self.done.set()

    def start(self) -> None:
        self._client.connect_async(self._broker.host, self._broker.port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def _warm_up(publisher: _Publisher, received: Callable[[], bool]) -> None:
    """Republish a status message until the subscriber sees it: its subscription is live.

    QoS 0, so the broker never queues a spare copy for the session while it is away.
    """
    deadline = time.monotonic() + SETUP_TIMEOUT_S
    while time.monotonic() < deadline:
        publisher.publish_qos0(WARMUP_TOPIC, b"online")
        if _wait(received, 0.2):
            return
    raise RuntimeError("subscriber never received the warm-up message")


def _make_sessions(broker: MosquittoServer, publisher: _Publisher) -> None:
    """Connect each subscriber once so the broker keeps a session and its subscriptions."""
    bare = _BareSubscriber(broker)
    bare.start()
    try:
        _warm_up(publisher, lambda: bare.count > 0)
    finally:
        bare.stop()
    ours = SensorClient(BrokerConfig(broker.host, broker.port, client_id=OURS_ID))
    seen: list[object] = []

    def got_status() -> bool:
        seen.extend(ours.drain())
        return any(isinstance(i, DeviceStatus) for i in seen)

    ours.start()
    try:
        _warm_up(publisher, got_status)
    finally:
        ours.stop()
    for client_id in (PROCESS_ID, PG_PROCESS_ID):
        proto = _BareSubscriber(broker, client_id=client_id)
        proto.start()
        try:
            _warm_up(publisher, lambda: proto.count > 0)  # noqa: B023 (waited on at once)
        finally:
            proto.stop()


def _bare_run(broker: MosquittoServer, n: int) -> float:
    """Seconds from connect until the queued messages all arrived."""
    sub = _BareSubscriber(broker, target=n)
    start = time.perf_counter()
    sub.start()
    try:
        if not sub.done.wait(RECEIVE_TIMEOUT_S):
            raise RuntimeError(f"bare subscriber got {sub.count}/{n} messages")
        return time.perf_counter() - start
    finally:
        sub.stop()


def _ours_run(broker: MosquittoServer, n: int, engine: Engine) -> tuple[float, float, SensorClient]:
    """Seconds from connect until all readings were handed to the writer, and until written."""
    expected = 2 * n
    # As recorder.run: QoS 1 acknowledged only once the readings are committed.
    client = SensorClient(
        BrokerConfig(broker.host, broker.port, client_id=OURS_ID), manual_ack=True
    )
    writer = ReadingWriter(engine, on_settled=client.acknowledge)
    handed = 0
    handed_at = float("nan")
    writer.start()
    try:
        start = time.perf_counter()
        client.start()
        deadline = time.monotonic() + RECEIVE_TIMEOUT_S
        # The loop of recorder.run, ending when every reading is in the database.
        while writer.written < expected:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"pipeline wrote {writer.written}/{expected} readings (handed {handed}, "
                    f"dropped {client.dropped}, queued {client.pending}, "
                    f"rejected {client.parser.rejected})"
                )
            items = client.drain()
            if items:
                writer.add([i for i in items if type(i) is Reading or type(i) is Delivery])
                handed += sum(1 for i in items if type(i) is Reading)
                if handed >= expected and handed_at != handed_at:
                    handed_at = time.perf_counter() - start
            else:
                client.wait(0.05)
        written_at = time.perf_counter() - start
    finally:
        client.stop()
        writer.stop()
    if writer.duplicates:
        raise RuntimeError(f"{writer.duplicates} duplicates: timestamps were not unique")
    return handed_at, written_at, client


# --- the headless recorder: paho here, parse and write in the worker process ---------------


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; NaN where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pid(broker: MosquittoServer) -> int:
    proc = broker._proc
    return proc.pid if proc is not None else 0


def _recorder_run(
    broker: MosquittoServer,
    n: int,
    url: str,
    client_id: str = PROCESS_ID,
    postgres: PostgresServer | None = None,
) -> tuple[float, dict[str, float], int, Report | None]:
    """The loop of recorder.run with its real parts: a raw SensorClient in this process, the
    worker process (parser, session and alarms, ReadingWriter) behind a WorkerLink. Seconds
    from connect until every message was acknowledged (so all its readings committed), the
    CPU seconds each process used meanwhile, and the most messages received and not yet
    acknowledged at once."""
    config = BrokerConfig(broker.host, broker.port, client_id=client_id)
    setup = WorkerSetup(url, config, TopicPatterns(), UTC, FarmConfig(), logging.WARNING)
    client = SensorClient(config, manual_ack=True, raw=True)
    link = WorkerLink(setup, on_settled=client.acknowledge)
    link.start()
    report: Report | None = None
    try:
        if not link.wait_ready(threading.Event()):
            raise RuntimeError("the worker process did not start")
        pids = {"main": os.getpid(), "worker": link.process.pid or 0, "mosquitto": _pid(broker)}
        before = {name: _cpu_s(pid) for name, pid in pids.items()}
        if postgres is not None:  # its backends live as long as the worker's connections
            before["postgres"] = _postgres_cpu(postgres)
        received = most_unacked = 0
        start = time.perf_counter()
        client.start()
        deadline = time.monotonic() + RECEIVE_TIMEOUT_S
        while link.acknowledged < n:
            if time.monotonic() > deadline or link.lost.is_set():
                raise RuntimeError(f"recorder acknowledged {link.acknowledged}/{n} messages")
            items = client.drain()
            if items:
                received += sum(1 for i in items if type(i) is Delivery)
                most_unacked = max(most_unacked, received - link.acknowledged)
                link.forward(items)
            else:
                client.wait(0.05)
        elapsed = time.perf_counter() - start
        cpu = {name: _cpu_s(pid) - before[name] for name, pid in pids.items()}
        if postgres is not None:
            cpu["postgres"] = _postgres_cpu(postgres) - before["postgres"]
    finally:
        report = link.stop(10.0)
        client.stop()
    return elapsed, cpu, most_unacked, report


def _parse_only(payloads: list[bytes]) -> tuple[float, list[Reading]]:
    parser = MessageParser()
    for payload in payloads[:1000]:  # warm caches as a running client would have
        parser.parse(FARM_TOPIC, payload)
    readings: list[Reading] = []
    start = time.perf_counter()
    for payload in payloads:
        readings.extend(parser.parse(FARM_TOPIC, payload))  # type: ignore[arg-type]
    return time.perf_counter() - start, readings


class _CoreInsert:
    """The writer's former insert, the baseline for its own: SQLAlchemy Core's INSERT … ON
    CONFLICT DO NOTHING RETURNING id with a parameter dict per row."""

    def __init__(self, dialect: str) -> None:
        table: Any = SensorReading.__table__
        if dialect == "postgresql":
            stmt: Any = postgresql.insert(table).on_conflict_do_nothing(
                constraint="uq_sensor_reading_identity"
            )
        else:
            stmt = sqlite.insert(table).on_conflict_do_nothing()
        self._stmt = stmt.returning(table.c.id)

    def __call__(
        self, conn: Connection, readings: list[Reading], windows: CycleWindows
    ) -> list[int]:
        rows = [
            {
                "batch_id": windows.cycle_at(r.measured_at),
                "device_id": r.device_id,
                "quantity": r.quantity,
                "value": r.value,
                "measured_at": r.measured_at,
                "received_at": r.received_at,
                "source": "mqtt",
            }
            for r in readings
        ]
        return list(conn.execute(self._stmt, rows).scalars().all())


def _writer_only(engine: Engine, readings: list[Reading], core: bool = False) -> float:
    writer = ReadingWriter(engine)
    if core:
        writer._insert = _CoreInsert(engine.dialect.name)  # type: ignore[assignment]
    writer.add(readings)
    start = time.perf_counter()
    writer.flush()
    elapsed = time.perf_counter() - start
    if writer.written != len(readings):
        raise RuntimeError(f"writer wrote {writer.written}/{len(readings)}")
    return elapsed


def _postgres_cpu(server: PostgresServer) -> float:
    """CPU seconds the PostgreSQL server's live processes (postmaster and its backends) have
    used so far (Linux /proc); NaN elsewhere."""
    try:
        root = int((server.data_dir / "postmaster.pid").read_text().split()[0])
        stats = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stats.append((int(entry.name), (entry / "stat").read_text()))
                except OSError:
                    continue  # gone meanwhile
    except OSError:
        return float("nan")
    total = 0
    for pid, stat in stats:
        fields = stat.rsplit(")", 1)[1].split()
        if pid == root or int(fields[1]) == root:  # fields[1]: the parent's pid
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _postgres_db(server: PostgresServer, name: str) -> Engine:
    url = resolve_url(server.create_database(name))
    migrate.upgrade(url)
    return make_engine(url)


def _postgres_writer(server: PostgresServer, readings: list[Reading]) -> tuple[float, float]:
    """Writer-only seconds on PostgreSQL, ours and the Core insert's, each into a fresh
    database."""
    seconds = []
    for core in (False, True):
        engine = _postgres_db(server, "core" if core else "ours")
        try:
            seconds.append(_writer_only(engine, readings, core=core))
        finally:
            engine.dispose()
    return seconds[0], seconds[1]


def _temp_db(directory: str, name: str) -> Engine:
    url = resolve_url(f"sqlite:///{Path(directory) / name}")
    migrate.upgrade(url)
    return make_engine(url)


def _count_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(SensorReading)).scalar_one())


def main() -> None:
    began = time.perf_counter()
    n = N_MESSAGES
    r = 2 * n
    payloads = _payloads(n)
    engines: list[Engine] = []
    publisher: _Publisher | None = None
    broker = MosquittoServer()
    postgres = PostgresServer()  # the farm server's case
    with tempfile.TemporaryDirectory(prefix="compost-bench-") as tmp:
        try:
            broker.start()
            postgres.start()
            pg_process_db = _postgres_db(postgres, "recorder")
            engines.append(pg_process_db)
            pipeline_db = _temp_db(tmp, "pipeline.db")
            writer_db = _temp_db(tmp, "writer.db")
            process_db = _temp_db(tmp, "process.db")
            core_db = _temp_db(tmp, "core.db")
            engines += [pipeline_db, writer_db, process_db, core_db]
            publisher = _Publisher(broker)
            _make_sessions(broker, publisher)
            publish_s = publisher.publish_all(payloads)  # queued once for each session
            publisher.close()
            publisher = None

            load = os.getloadavg()
            bare_cpu = _cpu_s(os.getpid()), _cpu_s(_pid(broker))
            bare_s = _bare_run(broker, n)
            bare_cpu = _cpu_s(os.getpid()) - bare_cpu[0], _cpu_s(_pid(broker)) - bare_cpu[1]
            handed_s, ours_s, client = _ours_run(broker, n, pipeline_db)
            rows = _count_rows(pipeline_db)
            url = process_db.url.render_as_string(hide_password=False)
            process_s, cpu, most_unacked, report = _recorder_run(broker, n, url)
            process_rows = _count_rows(process_db)
            pg_url = pg_process_db.url.render_as_string(hide_password=False)
            pg_process_s, pg_cpu, _, _ = _recorder_run(broker, n, pg_url, PG_PROCESS_ID, postgres)
            pg_process_rows = _count_rows(pg_process_db)
            parse_s, readings = _parse_only(payloads)
            write_s = _writer_only(writer_db, readings)
            core_s = _writer_only(core_db, readings, core=True)
            pg_s, pg_core_s = _postgres_writer(postgres, readings)
        finally:
            if publisher is not None:
                publisher.close()
            for engine in engines:
                engine.dispose()
            broker.cleanup()
            postgres.cleanup()

    print(
        f"{n} QoS 1 messages ({r} readings, {DEVICES} devices) queued by Mosquitto for an "
        "offline persistent session, timed from reconnect"
    )
    print(
        f"bare paho subscriber (baseline):  {bare_s:6.2f} s  "
        f"{n / bare_s:7.0f} messages/s  {r / bare_s:7.0f} readings/s"
    )
    print(
        f"our pipeline, all rows written:   {ours_s:6.2f} s  "
        f"{n / ours_s:7.0f} messages/s  {r / ours_s:7.0f} readings/s  "
        f"({rows} rows in the database)"
    )
    print(
        f"  all readings received, parsed and handed to the writer after {handed_s:.2f} s; "
        f"queue drops {client.dropped}, callback errors {client.callback_errors}, "
        f"rejected {client.parser.rejected}"
    )
    print(
        f"headless recorder, all acked:     {process_s:6.2f} s  "
        f"{n / process_s:7.0f} messages/s  {r / process_s:7.0f} readings/s  "
        f"({process_rows} rows in the database)"
    )
    print(
        "  CPU seconds meanwhile: "
        + ", ".join(f"{name} {seconds:.2f}" for name, seconds in cpu.items())
        + f" (the bare subscriber's run: itself {bare_cpu[0]:.2f}, mosquitto {bare_cpu[1]:.2f})"
    )
    print(
        f"  at most {most_unacked} messages were received and not yet acknowledged; the worker "
        f"reported {report.written if report else '?'} readings written"
    )
    # The floor: the worker cannot go faster than its CPU time, nor the three processes
    # faster than this machine's cores can run them all.
    cores = os.cpu_count() or 1
    total = sum(cpu.values())
    bound_s = max(cpu["worker"], cpu["main"], total / cores)
    print(
        f"  bounds: the worker alone {n / cpu['worker']:.0f} messages/s; all three processes "
        f"({total:.2f} CPU s) on {cores} cores {n * cores / total:.0f} messages/s; so at most "
        f"{bare_s / bound_s:.2f}x of bare paho in this run"
    )
    print(
        f"headless recorder on PostgreSQL:  {pg_process_s:6.2f} s  "
        f"{n / pg_process_s:7.0f} messages/s  {r / pg_process_s:7.0f} readings/s  "
        f"({pg_process_rows} rows; CPU s: "
        + ", ".join(f"{name} {seconds:.2f}" for name, seconds in pg_cpu.items())
        + ")"
    )
    pg_total = sum(pg_cpu.values())
    print(
        f"  bounds: all four processes ({pg_total:.2f} CPU s, the PostgreSQL server's "
        f"included) on {cores} cores {n * cores / pg_total:.0f} messages/s; so at most "
        f"{bare_s / max(pg_total / cores, *pg_cpu.values()):.2f}x of bare paho in this run"
    )
    print(
        f"parse only (MessageParser.parse):           {n / parse_s:7.0f} messages/s  "
        f"{r / parse_s:7.0f} readings/s"
    )
    print(
        f"writer only (ReadingWriter.flush, {r} rows):                "
        f"{r / write_s:7.0f} readings/s  ({write_s:.2f} s)"
    )
    print(
        f"  the same rows through SQLAlchemy Core's insert (the former path, baseline): "
        f"{r / core_s:7.0f} readings/s ({core_s:.2f} s); ratio {core_s / write_s:.2f}x"
    )
    print(
        f"writer only on PostgreSQL (throwaway server, the farm's case): {r / pg_s:7.0f} "
        f"readings/s ({pg_s:.2f} s); SQLAlchemy Core's insert {r / pg_core_s:7.0f} readings/s "
        f"({pg_core_s:.2f} s); ratio {pg_core_s / pg_s:.2f}x"
    )
    # If paho, the parser and the writer simply take turns on one GIL, the costs add up.
    serial_s = bare_s + parse_s + write_s
    print(
        f"sum of bare + parse + write times: {serial_s:.2f} s "
        f"({n / serial_s:.0f} messages/s if the stages ran one after another)"
    )
    print(f"ratio ours / bare (messages/s): {bare_s / ours_s:.2f}")
    print(f"ratio headless recorder / bare (messages/s): {bare_s / process_s:.2f}")
    print(f"ratio headless recorder on PostgreSQL / bare (messages/s): {bare_s / pg_process_s:.2f}")
    print(f"load average before the timed runs: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        f"fairness: both subscribers use MQTT 3.1.1, clean_session=False, QoS 1, the same "
        f"{len(TopicPatterns().subscriptions())} topic filters and max_inflight_messages_set"
        f"({INFLIGHT}) as SensorClient. paho's max_inflight only limits what a client "
        "publishes; the incoming QoS 1 window is the broker's max_inflight_messages (not set "
        "in the test broker's config, so Mosquitto's default 20), the same for both; for a "
        "resumed session's backlog Mosquitto 2.0 sends past it (see 'not yet acknowledged')."
    )
    print(
        f"publisher (untimed): {n / publish_s:.0f} messages/s acked; "
        f"whole benchmark {time.perf_counter() - began:.0f} s"
    )
