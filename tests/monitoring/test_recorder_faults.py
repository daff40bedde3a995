"""Hostile readings and two recorders on one broker: recording goes on, each reading once.

Against a real PostgreSQL (its column widths and its refusal of NUL are what broke the
recorder) and the embedded SQLite where it matters.
"""

from __future__ import annotations

import json
import math
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.exc import OperationalError

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.monitoring.client import BrokerConfig, Delivery, LinkState, SensorClient
from compost_desktop.monitoring.parsing import LastKnown, MessageParser, Reading, RejectReason
from compost_desktop.monitoring.recording import ReadingWriter, content_refused
from compost_desktop.monitoring.validation import printable, reading_problem
from tests.support.recorder import record_command
from tests.support.servers import MosquittoServer, PostgresServer
from tests.support.waiting import wait_until

T0 = datetime(2026, 6, 11, tzinfo=UTC)


# Faults on purpose: the parser logs each message it turns away.
pytestmark = pytest.mark.log_allowed("^Rejected MQTT message")


def _reading(
    device: str = "node-1",
    at: datetime = T0,
    quantity: str = "temperature",
    value: float = 55.0,
    received: datetime | None = None,
) -> Reading:
    return Reading(device, quantity, value, at, received or at + timedelta(seconds=1), "t")


def _rows(engine: sa.Engine, sql: str) -> list[sa.Row[*tuple[Any, ...]]]:
    """The rows of raw SQL: their column types are whatever the database returns."""
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql)).all())


# --- at the parser: every new reason ---------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"device_id": "n" * 121, "temperature": 50.0}, RejectReason.DEVICE_ID_TOO_LONG),
        ({"device_id": "node\x00one", "temperature": 50.0}, RejectReason.CONTROL_CHARACTER),
        ({"device_id": "node\x1bone", "temperature": 50.0}, RejectReason.CONTROL_CHARACTER),
        ({"device_id": "node\ud800", "temperature": 50.0}, RejectReason.UNENCODABLE_TEXT),
        ({"device_id": "node-1", "x" * 61: 50.0}, RejectReason.QUANTITY_TOO_LONG),
    ],
)
def test_parser_turns_away_what_the_schema_cannot_hold(
    payload: dict[str, object], reason: RejectReason
) -> None:
    parser = MessageParser()
    good = {"device_id": "node-2", "temperature": 51.0}
    assert parser.parse("compost/sensor/data", json.dumps(payload).encode()) == []
    assert parser.rejected_by_reason[reason.value] == 1
    # The next reading is unaffected.
    [kept] = parser.parse("compost/sensor/data", json.dumps(good).encode())
    assert isinstance(kept, Reading) and kept.device_id == "node-2"


def test_a_long_esphome_node_and_tasmota_probe_ids_are_rejected_with_the_reason() -> None:
    parser = MessageParser()
    assert parser.parse(f"{'n' * 121}/sensor/temp/state", b"50") == []
    # 118 + "/DS18B20-1" exceeds 120 only once the sensor name is appended.
    tasmota = json.dumps({"DS18B20-1": {"Temperature": 50.0}}).encode()
    assert parser.parse(f"tele/{'t' * 118}/SENSOR", tasmota) == []
    assert parser.rejected_by_reason[RejectReason.DEVICE_ID_TOO_LONG.value] == 2
    assert parser.parse("node/sensor/temp/state", b"50")  # a fitting one still passes


def test_reading_problem_covers_values_and_times() -> None:
    assert reading_problem(_reading()) is None
    assert reading_problem(_reading(value=math.nan)) is RejectReason.NON_FINITE
    naive = Reading("n", "temperature", 1.0, datetime(2026, 1, 1), T0, "t")
    assert reading_problem(naive) is RejectReason.TIMESTAMP_OUT_OF_RANGE
    assert reading_problem(_reading(device="é" * 120)) is None  # characters, not bytes
    assert printable("a\x00b\ud800") == "a\\u0000b\\ud800"


# --- at the database: bisect and quarantine ---------------------------------------------------


@pytest.mark.log_allowed("refused by the database")
@pytest.mark.postgres
def test_refused_readings_are_quarantined_and_the_rest_stored(pg_url: str) -> None:
    """Readings that slipped past the parser (any other source) never block the batch."""
    url = resolve_url(pg_url)
    migrate.upgrade(url)
    engine = make_engine(url)
    writer = ReadingWriter(engine)
    good = [_reading(at=T0 + timedelta(seconds=s)) for s in range(500)]
    bad = [
        _reading(device="d" * 200, at=T0),
        _reading(device="nul\x00id", at=T0),
        _reading(quantity="q" * 70, at=T0),
        _reading(device="lone\ud800", at=T0),
    ]
    batch = good[:100] + bad[:2] + good[100:300] + bad[2:] + good[300:]
    writer.add(batch)
    writer.flush()
    assert writer.pending == 0
    assert writer.last_error is None
    assert writer.written == 500
    assert writer.quarantined == 4
    reasons: dict[str, str] = dict(
        _rows(
            engine,
            "SELECT substr(device_id, 1, 12) || '/' || substr(quantity, 1, 3), reason "
            "FROM rejected_reading",
        )
    )
    assert reasons == {
        "dddddddddddd/tem": "value_too_long",
        "nul\\u0000id/tem": "nul_character",
        "node-1/qqq": "value_too_long",
        "lone\\ud800/tem": reasons["lone\\ud800/tem"],
    }
    assert reasons["lone\\ud800/tem"].startswith("refused") or "encod" in reasons["lone\\ud800/tem"]
    [(count,)] = _rows(engine, "SELECT count(*) FROM sensor_reading")
    assert count == 500
    # Recording goes on.
    writer.add([_reading(at=T0 + timedelta(hours=1))])
    writer.flush()
    assert writer.written == 501
    engine.dispose()


@pytest.mark.log_allowed("^Readings kept in memory, database unavailable")
@pytest.mark.postgres
def test_an_unavailable_database_is_retried_never_quarantined(
    pg_server: PostgresServer, pg_url: str
) -> None:
    url = resolve_url(pg_url)
    migrate.upgrade(url)
    engine = make_engine(url)
    writer = ReadingWriter(engine, interval_s=0.05)
    writer.add([_reading(at=T0)])
    writer.flush()
    pg_server.stop()
    try:
        writer.add([_reading(at=T0 + timedelta(seconds=s)) for s in range(1, 50)])
        assert writer.flush() == 0
        assert writer.pending == 49 and writer.quarantined == 0
        assert writer.last_error
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except OperationalError as exc:
            assert not content_refused(exc)
    finally:
        pg_server.start()
    writer.flush()
    assert writer.pending == 0 and writer.written == 50 and writer.quarantined == 0
    engine.dispose()


def test_receipts_are_settled_in_order_only_after_their_readings_are_stored(
    sqlite_url: str,
) -> None:
    url = resolve_url(sqlite_url)
    migrate.upgrade(url)
    engine = make_engine(url)
    settled: list[object] = []
    writer = ReadingWriter(engine, batch_size=3, on_settled=settled.extend)
    items: list[object] = []
    for i in range(10):
        items += [_reading(at=T0 + timedelta(seconds=i)), _reading("x" * 200, T0), f"m{i}"]
    writer.add(items)
    assert writer.pending == 20
    writer.flush()
    assert settled == [f"m{i}" for i in range(10)]
    # SQLite has no column widths: the long id is stored (once; the rest are the same reading).
    assert writer.pending == 0 and writer.written == 11 and writer.duplicates == 9
    engine.dispose()


@pytest.mark.log_allowed("^Readings kept in memory, database unavailable")
@pytest.mark.postgres
def test_receipts_wait_while_the_database_is_down(pg_server: PostgresServer, pg_url: str) -> None:
    url = resolve_url(pg_url)
    migrate.upgrade(url)
    engine = make_engine(url)
    settled: list[object] = []
    writer = ReadingWriter(engine, on_settled=settled.extend)
    writer.flush()  # loads the cycle windows while the server is up
    pg_server.stop()
    try:
        writer.add([_reading(at=T0), "m1"])
        writer.flush()
        assert settled == []
        assert writer.pending == 1
    finally:
        pg_server.start()
    writer.flush()
    assert settled == ["m1"]
    engine.dispose()


# --- identity without device time --------------------------------------------------------------


def _unstamped(at: datetime, value: float, device: str = "esp-1") -> Reading:
    return Reading(device, "temperature", value, at, at, f"{device}/sensor/temperature/state")


@pytest.mark.postgres
def test_two_writers_store_each_timestampless_reading_once(pg_url: str) -> None:
    url = resolve_url(pg_url)
    migrate.upgrade(url)
    engines = [make_engine(url), make_engine(url)]
    writers = [ReadingWriter(e, batch_size=7) for e in engines]
    # A 1 Hz sensor whose value often repeats; the second recorder hears each 1-40 ms later.
    values = [50.0 + (i // 4) * 0.5 for i in range(50)]
    base = datetime.now(UTC).replace(microsecond=0)
    streams = [
        [_unstamped(base + timedelta(seconds=i), v) for i, v in enumerate(values)],
        [
            _unstamped(base + timedelta(seconds=i, milliseconds=1 + (i * 7) % 40), v)
            for i, v in enumerate(values)
        ],
    ]

    def record(k: int) -> None:
        for i in range(0, 50, 5):
            writers[k].add(streams[k][i : i + 5])
            writers[k].flush()

    threads = [threading.Thread(target=record, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [w.pending for w in writers] == [0, 0]
    [(count,)] = _rows(engines[0], "SELECT count(*) FROM sensor_reading")
    assert count == 50
    assert writers[0].written + writers[1].written == 50
    for e in engines:
        e.dispose()


@pytest.mark.parametrize("second_recorder", [False, True])
def test_equal_readings_in_quick_succession_are_never_merged(
    any_url: str, second_recorder: bool
) -> None:
    """A stalled link can deliver two equal readings of one sensor milliseconds apart."""
    url = resolve_url(any_url)
    migrate.upgrade(url)
    engine = make_engine(url)
    writer = ReadingWriter(engine)
    base = datetime.now(UTC).replace(microsecond=0)
    burst = [_unstamped(base + timedelta(milliseconds=2 * i), 55.0) for i in range(3)]
    for reading in burst:  # one batch each: the writer must know its own rows
        writer.add([reading])
        writer.flush()
    assert writer.written == 3
    if second_recorder:
        other = ReadingWriter(engine)
        other.add([_unstamped(r.measured_at + timedelta(milliseconds=5), 55.0) for r in burst])
        other.flush()
        assert other.written == 0 and other.duplicates == 3
    # A different value, or the same value a second later, is a new reading.
    other = ReadingWriter(engine)
    other.add(
        [
            _unstamped(base + timedelta(seconds=1), 55.0),
            _unstamped(base + timedelta(milliseconds=1), 56.0),
        ]
    )
    other.flush()
    assert other.written == 2
    [(count,)] = _rows(engine, "SELECT count(*) FROM sensor_reading")
    assert count == 5
    engine.dispose()


def _recorder(url: str, broker: MosquittoServer, client_id: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        record_command(url, broker.url, client_id),
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.postgres
def test_two_recorders_on_one_broker_store_each_reading_once(
    pg_url: str, fresh_mqtt_broker: MosquittoServer
) -> None:
    """The issue's case: 50 ESPHome states and 50 timestamp-less JSON readings, twice heard."""
    url = resolve_url(pg_url)
    migrate.upgrade(url)
    procs = [_recorder(pg_url, fresh_mqtt_broker, f"recorder-{k}") for k in "ab"]
    engine = make_engine(url)
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="two-recorders-publisher")
    pub.connect(fresh_mqtt_broker.host, fresh_mqtt_broker.port)
    pub.loop_start()
    try:
        # Both subscribed: each stores a probe with its own device time.
        def probes() -> int:
            rows = _rows(engine, "SELECT count(*) FROM sensor_reading WHERE device_id = 'probe'")
            return int(rows[0][0])

        deadline = time.monotonic() + 60
        k = 0
        while probes() < 1 or "recorder-b" not in fresh_mqtt_broker.log_path.read_text():
            stamp = (T0 + timedelta(seconds=k)).isoformat()
            pub.publish(
                "compost/sensor/data",
                json.dumps({"device_id": "probe", "temperature": 20.0, "timestamp": stamp}),
                qos=1,
            )
            k += 1
            time.sleep(0.2)
            assert time.monotonic() < deadline, "recorders never subscribed"
        time.sleep(1.0)
        for i in range(50):
            value = f"{50 + (i // 3) * 0.25:.2f}"  # repeats, as a steady pile does
            pub.publish("esp-1/sensor/temperature/state", value, qos=1).wait_for_publish(5)
            body = {"device_id": "json-1", "temperature": float(value)}
            pub.publish("compost/sensor/data", json.dumps(body), qos=1).wait_for_publish(5)
            time.sleep(0.05)

        def stored() -> int:
            rows = _rows(
                engine, "SELECT count(*) FROM sensor_reading WHERE device_id IN ('esp-1', 'json-1')"
            )
            return int(rows[0][0])

        wait_until(lambda: stored() >= 100, 30)
        time.sleep(1.5)  # time for a late second copy to show up, if it were going to
        for p in procs:
            p.send_signal(signal.SIGTERM)
        errors = [p.communicate(timeout=60)[1] for p in procs]
        assert [p.returncode for p in procs] == [0, 0], errors
        per_device: dict[str, int] = dict(
            _rows(engine, "SELECT device_id, count(*) FROM sensor_reading GROUP BY device_id")
        )
        assert per_device["esp-1"] == 50
        assert per_device["json-1"] == 50
    finally:
        pub.loop_stop()
        pub.disconnect()
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()
        engine.dispose()


def test_manual_ack_frees_the_brokers_window_for_messages_that_yield_no_reading(
    sqlite_url: str, mqtt_broker: MosquittoServer
) -> None:
    """Mosquitto sends a client at most 20 unacknowledged messages: a malformed message or a
    status left unacknowledged would take a slot for good, and the 21st would stall all."""
    url = resolve_url(sqlite_url)
    migrate.upgrade(url)
    engine = make_engine(url)
    config = BrokerConfig(mqtt_broker.host, mqtt_broker.port, client_id="manual-ack-window")
    client = SensorClient(config, manual_ack=True)
    writer = ReadingWriter(engine, on_settled=client.acknowledge)
    writer.start()
    client.start()
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="manual-ack-publisher")
    pub.connect(mqtt_broker.host, mqtt_broker.port)
    pub.loop_start()
    try:
        wait_until(lambda: client.state is LinkState.CONNECTED, 10)
        time.sleep(0.3)  # subscribed
        for _ in range(30):
            pub.publish("compost/sensor/data", b"{not json", qos=1).wait_for_publish(5)
            pub.publish("compost/status/node-1", b"online", qos=1).wait_for_publish(5)
            body = {"device_id": "n" * 130, "temperature": 50.0}
            pub.publish("compost/sensor/data", json.dumps(body), qos=1).wait_for_publish(5)
        for i in range(30):
            body = {
                "device_id": "node-1",
                "temperature": 50.0 + i / 10,
                "timestamp": (T0 + timedelta(seconds=i)).isoformat(),
            }
            pub.publish("compost/sensor/data", json.dumps(body), qos=1).wait_for_publish(5)
        deadline = time.monotonic() + 20
        while writer.written < 30:
            items = client.drain()
            writer.add([i for i in items if type(i) is Reading or type(i) is Delivery])
            client.wait(0.05)
            assert time.monotonic() < deadline, f"stalled at {writer.written} readings"
    finally:
        pub.loop_stop()
        pub.disconnect()
        writer.stop()
        client.stop()
        engine.dispose()
    assert client.parser.rejected_by_reason["invalid_json"] == 30
    assert client.parser.rejected_by_reason["invalid_device_id"] == 30


@pytest.mark.postgres
def test_the_recorder_goes_on_through_hostile_payloads(
    pg_url: str, fresh_mqtt_broker: MosquittoServer
) -> None:
    """The issue's case: ids the parser accepted but the columns could not hold stopped the
    recorder for good. Now each is turned away or quarantined with its reason, and the good
    readings before and after are stored."""
    url = resolve_url(pg_url)
    migrate.upgrade(url)
    engine = make_engine(url)
    with engine.begin() as conn:  # a rule only the database knows, to reach the quarantine
        conn.execute(
            sa.text(
                "ALTER TABLE sensor_reading ADD CONSTRAINT test_value_cap "
                "CHECK (quantity <> 'pressure' OR value < 2000)"
            )
        )
    proc = _recorder(pg_url, fresh_mqtt_broker, "hostile-recorder")
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="hostile-publisher")
    pub.connect(fresh_mqtt_broker.host, fresh_mqtt_broker.port)
    pub.loop_start()

    def send(topic: str, payload: str | bytes) -> None:
        pub.publish(topic, payload, qos=1).wait_for_publish(5)

    def good(i: int, device: str = "good") -> str:
        stamp = (T0 + timedelta(seconds=i)).isoformat()
        return json.dumps({"device_id": device, "temperature": 50.0, "timestamp": stamp})

    hostile: list[tuple[str, str | bytes]] = [
        ("compost/sensor/data", json.dumps({"device_id": "n" * 125, "temperature": 50.0})),
        ("compost/sensor/data", json.dumps({"device_id": "nul\u0000id", "temperature": 50.0})),
        ("compost/sensor/data", json.dumps({"device_id": "esc\u001bid", "temperature": 50.0})),
        ("compost/sensor/data", '{"device_id": "bad\\ud800", "temperature": 50.0}'),
        ("compost/sensor/data", json.dumps({"device_id": "q", "x" * 62: 50.0})),
        ("compost/sensor/data", json.dumps({"device_id": "nan", "temperature": "NaN"})),
        ("compost/sensor/data", b"\xff\xfe not utf-8"),
        ("compost/sensor/data", json.dumps({"device_id": "big", "pressure": 5000.0})),
        (f"{'e' * 121}/sensor/temperature/state", "50"),
    ]
    try:
        deadline = time.monotonic() + 60
        i = 0
        while not _rows(engine, "SELECT 1 FROM sensor_reading WHERE device_id = 'probe'"):
            send("compost/sensor/data", good(i, "probe"))
            i += 1
            time.sleep(0.2)
            assert time.monotonic() < deadline, "recorder never stored a reading"
        for n, (topic, payload) in enumerate(hostile):
            send(topic, payload)
            send("compost/sensor/data", good(n))
        goods = "SELECT 1 FROM sensor_reading WHERE device_id = 'good'"
        wait_until(lambda: len(_rows(engine, goods)) == len(hostile), 30)
        wait_until(lambda: bool(_rows(engine, "SELECT 1 FROM rejected_reading")), 10)
        proc.send_signal(signal.SIGTERM)
        _, log = proc.communicate(timeout=60)
    finally:
        pub.loop_stop()
        pub.disconnect()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, log
    assert "Traceback" not in log
    for reason in (
        "device_id_too_long",
        "control_character",
        "unencodable_text",
        "quantity_too_long",
        "non_finite",
        "invalid_utf8",
    ):
        assert reason in log, reason
    [(device, quantity, value, why)] = _rows(
        engine, "SELECT device_id, quantity, value, reason FROM rejected_reading"
    )
    assert (device, quantity, value, why) == ("big", "pressure", 5000.0, "check_violation")
    stored = {d for (d,) in _rows(engine, "SELECT DISTINCT device_id FROM sensor_reading")}
    assert stored == {"good", "probe"}
    engine.dispose()


def test_a_retained_value_without_device_time_is_not_recorded_again_at_each_connect(
    mqtt_broker: MosquittoServer,
) -> None:
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="retained-publisher")
    pub.connect(mqtt_broker.host, mqtt_broker.port)
    pub.loop_start()
    state = "retained-node/sensor/temperature/state"
    stamped = json.dumps(
        {"device_id": "retained-json", "temperature": 40.0, "timestamp": T0.isoformat()}
    )
    pub.publish(state, "55.5", qos=1, retain=True).wait_for_publish(5)
    pub.publish("compost/sensor/data", stamped, qos=1, retain=True).wait_for_publish(5)
    got: dict[bool, list[Reading]] = {}
    last_known: dict[bool, list[float]] = {}
    try:
        for skip in (False, True):
            config = BrokerConfig(mqtt_broker.host, mqtt_broker.port, client_id=f"retained-{skip}")
            client = SensorClient(config, skip_retained_untimed=skip)
            client.start()

            def connected(c: SensorClient = client) -> bool:
                return c.state is LinkState.CONNECTED

            wait_until(connected, 10)
            time.sleep(0.5)
            pub.publish(state, "56.0", qos=1).wait_for_publish(5)  # a live, new state
            deadline = time.monotonic() + 10
            items: list[object] = []
            while not any(type(i) is Reading and i.device_id == "retained-node" for i in items):
                items += client.drain()
                time.sleep(0.05)
                assert time.monotonic() < deadline, items
            time.sleep(0.2)
            items += client.drain()
            client.stop()
            got[skip] = [i for i in items if type(i) is Reading]
            last_known[skip] = [i.reading.value for i in items if isinstance(i, LastKnown)]
    finally:
        pub.publish(state, b"", qos=1, retain=True).wait_for_publish(5)  # clear the retained
        pub.publish("compost/sensor/data", b"", qos=1, retain=True).wait_for_publish(5)
        pub.loop_stop()
        pub.disconnect()
    # The parser itself hands a retained, untimed state over as "last known" (shown, never
    # recorded), whether or not the client also screens retained readings.
    for skip in (False, True):
        assert [r.value for r in got[skip] if r.device_id == "retained-node"] == [56.0]
        assert last_known[skip] == [55.5]
    # A retained message with its own time is still recorded: its identity dedupes it.
    assert [r.value for r in got[True] if r.device_id == "retained-json"] == [40.0]
