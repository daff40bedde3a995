"""The MQTT client and the recorder against a real Mosquitto and both database backends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.monitoring.client import (
    BrokerConfig,
    Delivery,
    LinkEvent,
    LinkState,
    SensorClient,
)
from compost_desktop.monitoring.parsing import DeviceStatus, LastKnown, Reading
from compost_desktop.monitoring.recording import DatabaseAlarmLog, ReadingWriter
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft
from tests.support.recorder import record_command
from tests.support.servers import MosquittoServer, PostgresServer
from tests.support.waiting import wait_until

pytestmark = pytest.mark.mqtt

T0 = datetime(2026, 6, 11, tzinfo=UTC)
# What the client hands over besides its link events.
Received = Reading | DeviceStatus | LastKnown | Delivery


class Publisher:
    """A plain paho publisher standing in for the farm's sensor nodes."""

    def __init__(self, broker: MosquittoServer) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-publisher")
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def send(self, topic: str, payload: bytes | str, qos: int = 1) -> None:
        info = self.client.publish(topic, payload, qos=qos)
        info.wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(mqtt_broker: MosquittoServer) -> Iterator[Publisher]:
    p = Publisher(mqtt_broker)
    yield p
    p.close()


def _connected_client(broker: MosquittoServer, client_id: str | None = None) -> SensorClient:
    client = SensorClient(BrokerConfig(broker.host, broker.port, client_id=client_id))
    client.start()
    wait_until(lambda: client.state is LinkState.CONNECTED, 10)
    return client


def _collect(client: SensorClient, count: int, timeout: float = 10) -> list[Received]:
    got: list[Received] = []

    def enough() -> bool:
        got.extend(i for i in client.drain() if not isinstance(i, LinkEvent | tuple))
        return len(got) >= count

    wait_until(enough, timeout)
    return got


def _collect_until(
    client: SensorClient, wanted: Callable[[Reading], bool], timeout: float = 20
) -> list[Received]:
    """Everything drained until a reading matching `wanted` has arrived."""
    got: list[Received] = []

    def arrived() -> bool:
        got.extend(i for i in client.drain() if not isinstance(i, LinkEvent | tuple))
        return any(isinstance(i, Reading) and wanted(i) for i in got)

    wait_until(arrived, timeout)
    return got


def farm_json(device: str, when: datetime, temperature: float = 55.4) -> str:
    return json.dumps(
        {
            "device_id": device,
            "temperature": temperature,
            "moisture": 48.2,
            "timestamp": when.isoformat().replace("+00:00", "Z"),
        }
    )


def test_every_format_arrives(mqtt_broker: MosquittoServer, publisher: Publisher) -> None:
    client = _connected_client(mqtt_broker)
    try:
        publisher.send("compost/sensor/data", farm_json("node-1", T0))
        publisher.send("esp-pile/sensor/compost_temperature/state", "61.5")
        publisher.send(
            "tele/tasmota-3/SENSOR",
            json.dumps(
                {"Time": "2026-06-11T00:00:00", "DS18B20": {"Temperature": 131.0}, "TempUnit": "F"}
            ),
        )
        publisher.send("compost/status/node-1", "offline")
        items = _collect(client, 5)
    finally:
        client.stop()
    readings = {(r.device_id, r.quantity): r.value for r in items if isinstance(r, Reading)}
    assert readings[("node-1", "temperature")] == 55.4
    assert readings[("node-1", "moisture")] == 48.2
    assert 61.5 in readings.values()
    assert any(abs(v - 55.0) < 0.01 for v in readings.values())  # 131 °F
    statuses = [i for i in items if isinstance(i, DeviceStatus)]
    assert statuses and statuses[0].online is False


@pytest.mark.log_allowed("^Rejected MQTT message")
def test_garbage_is_counted_and_the_client_keeps_running(
    mqtt_broker: MosquittoServer, publisher: Publisher
) -> None:
    client = _connected_client(mqtt_broker)
    try:
        for payload in (
            os.urandom(200),
            b"{" * 10,
            json.dumps({"device_id": "x", "temperature": float("nan")}).encode(),
            b'{"device_id": "x", "temperature": ' + b"9" * 100_000 + b"}",
            b"[1, 2, 3]",
        ):
            publisher.send("compost/sensor/data", payload)
        publisher.send("compost/sensor/data", farm_json("node-ok", T0))
        items = _collect(client, 1)
    finally:
        client.stop()
    assert next(r.device_id for r in items if isinstance(r, Reading)) == "node-ok"
    assert client.parser.rejected >= 5
    assert client.callback_errors == 0


def test_broker_restart_mid_stream_and_the_client_keeps_receiving(
    fresh_mqtt_broker: MosquittoServer,
) -> None:
    client = _connected_client(fresh_mqtt_broker, client_id="restart-test")
    pub = Publisher(fresh_mqtt_broker)
    try:
        pub.send("compost/sensor/data", farm_json("node-1", T0))
        pub.close()
        fresh_mqtt_broker.restart()
        wait_until(lambda: client.state is not LinkState.CONNECTED or client.pending > 0, 5)
        wait_until(lambda: client.state is LinkState.CONNECTED, 30)
        pub = Publisher(fresh_mqtt_broker)
        pub.send("compost/sensor/data", farm_json("node-1", T0 + timedelta(minutes=1)))
        # QoS 1 may deliver the first message again after the restart, so counting items
        # proves nothing: wait for the reading sent after the restart itself.
        items = _collect_until(client, lambda r: r.measured_at == T0 + timedelta(minutes=1))
    finally:
        pub.close()
        client.stop()
    times = {r.measured_at for r in items if isinstance(r, Reading)}
    assert times == {T0, T0 + timedelta(minutes=1)}


def test_qos1_messages_sent_while_away_arrive_after_reconnect(
    fresh_mqtt_broker: MosquittoServer,
) -> None:
    """The persistent session: the broker holds QoS 1 messages for our client id."""
    first = _connected_client(fresh_mqtt_broker, client_id="pc-office-1")
    first.stop()
    pub = Publisher(fresh_mqtt_broker)
    for minute in range(5):
        pub.send("compost/sensor/data", farm_json("node-1", T0 + timedelta(minutes=minute)))
    pub.close()
    again = _connected_client(fresh_mqtt_broker, client_id="pc-office-1")
    try:
        items = _collect(again, 10)
    finally:
        again.stop()
    assert len({r.measured_at for r in items if isinstance(r, Reading)}) == 5


@pytest.fixture
def migrated(any_engine: sa.Engine) -> sa.Engine:
    return any_engine


def _count(engine: sa.Engine, where: str = "1=1") -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(sa.text(f"SELECT count(*) FROM sensor_reading WHERE {where}")).scalar_one()
        )


def _reading(device: str, when: datetime, value: float = 55.0) -> Reading:
    return Reading(device, "temperature", value, when, when, "compost/sensor/data")


def test_writer_stores_each_reading_once_even_from_two_pcs(migrated: sa.Engine) -> None:
    batch = [_reading(f"node-{d}", T0 + timedelta(seconds=s)) for d in range(3) for s in range(500)]
    pcs = [ReadingWriter(migrated, batch_size=300), ReadingWriter(migrated, batch_size=700)]
    for writer in pcs:
        writer.add(batch)
        writer.flush()
    assert _count(migrated) == 1500
    assert pcs[0].written + pcs[1].written == 1500
    assert pcs[1].duplicates == 1500


def test_readings_belong_to_the_cycle_active_when_measured(migrated: sa.Engine) -> None:
    store = Store(migrated)
    first = store.save_cycle(CycleDraft("First", date(2026, 6, 1))).id
    second = store.save_cycle(CycleDraft("Second", date(2026, 6, 1))).id
    store.activate(first)
    writer = ReadingWriter(migrated)
    writer.add([_reading("n", datetime.now(UTC))])
    writer.flush()
    time.sleep(0.01)
    store.activate(second, switch=True)
    writer.invalidate_cycles()
    writer.add([_reading("n", datetime.now(UTC) + timedelta(seconds=1))])
    writer.add([_reading("n", datetime(2020, 1, 1, tzinfo=UTC))])  # before any cycle
    writer.flush()
    assert _count(migrated, f"batch_id = {first}") == 1
    assert _count(migrated, f"batch_id = {second}") == 1
    assert _count(migrated, "batch_id IS NULL") == 1


def test_alarm_log_raise_clear_acknowledge(migrated: sa.Engine) -> None:
    log = DatabaseAlarmLog(migrated)
    alarm_id = log.raised("node-1", "temperature", "too_hot", "Too hot: 72 °C", 72.0, 70.0, T0)
    log.cleared("node-1", "too_hot", "temperature", T0 + timedelta(minutes=5))
    log.acknowledge(alarm_id, "Sam")
    (entry,) = log.recent()
    assert entry.cleared_at == T0 + timedelta(minutes=5)
    assert entry.acknowledged_by == "Sam"


@pytest.mark.log_allowed("^Readings kept in memory, database unavailable")
@pytest.mark.postgres
def test_writer_buffers_while_postgres_is_down_and_catches_up(
    pg_server: PostgresServer, pg_url: str
) -> None:
    url = resolve_url(pg_url)
    migrate.upgrade(url)
    engine = make_engine(url)
    writer = ReadingWriter(engine, interval_s=0.1)
    writer.start()
    try:
        writer.add([_reading("n", T0 + timedelta(seconds=s)) for s in range(100)])
        wait_until(lambda: writer.written == 100, 10)
        pg_server.stop()
        writer.add([_reading("n", T0 + timedelta(seconds=100 + s)) for s in range(100)])
        wait_until(lambda: writer.last_error is not None, 10)
        assert writer.pending == 100
        pg_server.start()
        wait_until(lambda: writer.written == 200, 60)
    finally:
        writer.stop()
        engine.dispose()
    assert writer.pending == 0


def _recorder(database_url: str, broker: MosquittoServer) -> subprocess.Popen[str]:
    return subprocess.Popen(
        record_command(database_url, broker.url, "recorder-under-test"),
        stderr=subprocess.PIPE,
        text=True,
    )


def test_headless_recorder_records_every_qos1_reading_once_and_stops_cleanly(
    any_url: str, fresh_mqtt_broker: MosquittoServer
) -> None:
    proc = _recorder(any_url, fresh_mqtt_broker)
    engine = None
    try:
        pub = Publisher(fresh_mqtt_broker)
        url = resolve_url(any_url)
        wait_until(lambda: migrate.status(url).state is migrate.SchemaState.CURRENT, 30)
        engine = make_engine(url)
        # Wait until the recorder is subscribed: a probe message gets stored.
        deadline = time.monotonic() + 30
        while _count(engine) == 0:
            pub.send("compost/sensor/data", farm_json("probe", datetime.now(UTC)))
            time.sleep(0.2)
            assert time.monotonic() < deadline, "recorder never stored a reading"
        probes = _count(engine)
        for second in range(300):
            when = T0 + timedelta(seconds=second)
            pub.send("compost/sensor/data", farm_json("node-1", when), qos=1)
        # The same readings again, as a second node re-sending or a retried publish.
        for second in range(0, 300, 3):
            pub.send("compost/sensor/data", farm_json("node-1", T0 + timedelta(seconds=second)))
        pub.close()
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 0, stderr
        assert "Stopped:" in stderr
        # Messages not yet stored at SIGTERM were not acknowledged: the broker kept them
        # for the persistent session and hands them to the next start.
        proc = _recorder(any_url, fresh_mqtt_broker)
        pub = Publisher(fresh_mqtt_broker)
        pub.send("compost/sensor/data", farm_json("probe-2", datetime.now(UTC)), qos=1)
        pub.close()
        wait_until(lambda: _count(engine) >= 602 + probes, 30)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert "Stopped:" in stderr
    assert engine is not None
    assert _count(engine, "device_id = 'node-1' AND quantity = 'temperature'") == 300
    assert _count(engine, "device_id = 'node-1' AND quantity = 'moisture'") == 300
    assert _count(engine) == 602 + probes
    engine.dispose()


def test_simulate_command_publishes_farm_json(mqtt_broker: MosquittoServer) -> None:
    received: list[bytes] = []
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="sim-watch")
    sub.on_message = lambda _c, _u, m: received.append(bytes(m.payload))
    sub.connect(mqtt_broker.host, mqtt_broker.port)
    sub.subscribe("compost/sensor/data", qos=1)
    sub.loop_start()
    try:
        time.sleep(0.3)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "compost_desktop",
                "simulate",
                "--broker",
                mqtt_broker.url,
                "--devices",
                "2",
                "--rate",
                "20",
                "--speed",
                "600",
                "--count",
                "20",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        wait_until(lambda: len(received) >= 20, 10)
    finally:
        sub.disconnect()
        sub.loop_stop()
    messages = [json.loads(p) for p in received]
    assert {m["device_id"] for m in messages} == {"node-1", "node-2"}
    assert all(10 < m["temperature"] < 80 for m in messages)
