"""Firmware formats through a real Mosquitto: retained ESPHome states are not recorded, a
Tasmota clock in a UTC+8 farm is stored in UTC, an air sensor neither judges the pile nor
raises pile alarms, and the recorder registers what it sees."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion
from pytestqt.qtbot import QtBot

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.db.models import Cycle, SensorReading
from compost_desktop.domain.devices import Role
from compost_desktop.domain.pathogen import EPA_PFRP_IN_VESSEL
from compost_desktop.domain.states import PathogenStatus
from compost_desktop.gui.monitoring.hub import MonitoringHub
from compost_desktop.monitoring import recorder
from compost_desktop.monitoring.alarms import MemoryAlarmLog
from compost_desktop.monitoring.client import BrokerConfig, SensorClient
from compost_desktop.monitoring.registry import DeviceRegistry
from compost_desktop.services.history import evaluate_cycle
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft
from tests.gui.monitoring.support import FakeStore, make_ctx
from tests.support.servers import MosquittoServer
from tests.support.waiting import wait_until

pytestmark = [
    pytest.mark.log_allowed("^Rejected MQTT message"),
    pytest.mark.mqtt,
    pytest.mark.qt_log_ignore("propagateSizeHints"),
]


def _publish(broker: MosquittoServer, topic: str, payload: str, *, retain: bool = False) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"fw-{time.monotonic_ns()}")
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[str, sa.Engine]]:
    url = f"sqlite:///{tmp_path / 'farm.db'}"
    migrate.upgrade(resolve_url(url))
    engine = make_engine(resolve_url(url))
    yield url, engine
    engine.dispose()


class RunningRecorder:
    def __init__(self, url: str, broker: MosquittoServer) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=recorder.run,
            args=(url, broker.url, f"rec-{time.monotonic_ns()}", self.stop),
            daemon=True,
        )
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(30)


def _rows(engine: sa.Engine) -> list[tuple[str, str, float, datetime]]:
    r = SensorReading
    with engine.connect() as conn:
        return [
            tuple(row)  # type: ignore[misc]
            for row in conn.execute(
                sa.select(r.device_id, r.quantity, r.value, r.measured_at).order_by(r.id)
            )
        ]


def test_a_retained_esphome_value_is_not_recorded_on_connect(
    fresh_mqtt_broker: MosquittoServer, database: tuple[str, sa.Engine]
) -> None:
    url, engine = database
    # A node that died days ago left its last state retained on the broker.
    _publish(fresh_mqtt_broker, "farm/dead-node/sensor/temperature/state", "48.5", retain=True)
    _publish(fresh_mqtt_broker, "farm/live-node/status", "online", retain=True)
    running = RunningRecorder(url, fresh_mqtt_broker)
    try:
        time.sleep(1.5)  # connected, retained messages delivered
        _publish(fresh_mqtt_broker, "farm/live-node/sensor/temperature/state", "57.5", retain=True)
        wait_until(lambda: len(_rows(engine)) >= 1)
        time.sleep(0.5)
    finally:
        running.close()
    assert [(d, q, v) for d, q, v, _ in _rows(engine)] == [("farm/live-node", "temperature", 57.5)]
    registry = DeviceRegistry(engine)
    registry.load()
    assert "farm/live-node" in registry.entries


def test_tasmota_factory_settings_in_a_utc8_farm(
    fresh_mqtt_broker: MosquittoServer, database: tuple[str, sa.Engine]
) -> None:
    url, engine = database
    registry = DeviceRegistry(engine)
    registry.observe("pile-a", None, "tasmota")
    registry.update("pile-a", timezone="Asia/Shanghai")
    running = RunningRecorder(url, fresh_mqtt_broker)
    try:
        time.sleep(1.5)
        _publish(
            fresh_mqtt_broker,
            "tele/pile-a/SENSOR",
            '{"Time":"2026-06-11T12:00:00","DS18B20":{"Id":"01144A0CB6AA","Temperature":56.4},'
            '"TempUnit":"C"}',
        )
        wait_until(lambda: len(_rows(engine)) == 1)
    finally:
        running.close()
    [(device, _, value, measured_at)] = _rows(engine)
    assert (device, value) == ("pile-a/DS18B20-01144A0CB6AA", 56.4)
    assert measured_at == datetime(2026, 6, 11, 4, 0, tzinfo=UTC)


def test_an_air_sensor_does_not_affect_the_pathogen_result(
    fresh_mqtt_broker: MosquittoServer, database: tuple[str, sa.Engine]
) -> None:
    url, engine = database
    store = Store(engine)
    cycle_id = store.save_cycle(CycleDraft("Bay 1", date(2026, 6, 1))).id
    store.activate(cycle_id)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=4)
    with engine.begin() as conn:
        conn.execute(sa.update(Cycle).where(Cycle.id == cycle_id).values(activated_at=start))
    messages = [
        json.dumps(
            {
                "Time": "2000-01-01T00:00:00",  # wrong local clock: Epoch wins
                "Epoch": int((start + timedelta(minutes=20 * i + 1)).timestamp()),
                "DS18B20": {"Id": "0316A279AAAA", "Temperature": 61.0},
                "SHT3X": {"Temperature": 21.0, "Humidity": 60.0},
                "TempUnit": "C",
            }
        )
        for i in range(4 * 72)
    ]
    running = RunningRecorder(url, fresh_mqtt_broker)
    try:
        time.sleep(1.5)
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="fw-bulk")
        client.connect(fresh_mqtt_broker.host, fresh_mqtt_broker.port)
        client.loop_start()
        infos = [client.publish("tele/pile-a/SENSOR", payload, qos=1) for payload in messages]
        for info in infos:
            info.wait_for_publish(10)
        client.disconnect()
        client.loop_stop()
        wait_until(lambda: len(_rows(engine)) == 3 * len(messages), timeout=30)
        wait_until(lambda: DeviceRegistry(engine).load().keys() >= {"pile-a/SHT3X"}, timeout=15)
    finally:
        running.close()
    registry = DeviceRegistry(engine)
    registry.load()
    assert registry.entries["pile-a/SHT3X"].role is Role.AMBIENT
    assert registry.entries["pile-a/DS18B20-0316A279AAAA"].role is Role.PILE_PROBE

    result = evaluate_cycle(engine, cycle_id, EPA_PFRP_IN_VESSEL, datetime.now(UTC))

    assert result.status is PathogenStatus.MET


def test_an_air_sensor_raises_no_pile_alarm_through_the_broker(
    qtbot: QtBot, fresh_mqtt_broker: MosquittoServer
) -> None:
    ctx = make_ctx()
    ctx.set_store(FakeStore(), "test")  # type: ignore[arg-type]
    client = SensorClient(BrokerConfig(fresh_mqtt_broker.host, fresh_mqtt_broker.port))
    alarm_log = MemoryAlarmLog()
    hub = MonitoringHub(ctx, client=client, demo_enabled=False, alarm_log=alarm_log)
    hub.start()
    try:
        qtbot.waitUntil(lambda: hub.link_state == "connected", timeout=10_000)
        _publish(
            fresh_mqtt_broker,
            "tele/pile-a/SENSOR",
            '{"DS18B20":{"Id":"0316A279AAAA","Temperature":72.0},'
            '"SHT3X":{"Temperature":75.0,"Humidity":30.0},"TempUnit":"C"}',
        )
        qtbot.waitUntil(lambda: len(hub.devices) == 2, timeout=10_000)
        qtbot.waitUntil(lambda: len(alarm_log.rows) >= 1, timeout=5_000)
    finally:
        hub.stop()
    assert {row["device_id"] for row in alarm_log.rows} == {"pile-a/DS18B20-0316A279AAAA"}


@pytest.mark.log_allowed("^Alarm raised:")
def test_the_recorder_alarms_on_pile_probes_only_and_never_on_a_retained_value(
    fresh_mqtt_broker: MosquittoServer, database: tuple[str, sa.Engine]
) -> None:
    """The recorder's session asks the registry which devices are pile probes, and a retained
    ESPHome state is registered but neither recorded nor alarmed on."""
    url, engine = database
    # A node that died days ago left a hot value retained on the broker.
    _publish(fresh_mqtt_broker, "farm/dead-node/sensor/temperature/state", "85.0", retain=True)
    running = RunningRecorder(url, fresh_mqtt_broker)
    try:
        time.sleep(1.5)  # connected, retained messages delivered
        _publish(
            fresh_mqtt_broker,
            "tele/pile-a/SENSOR",
            '{"DS18B20":{"Id":"0316A279AAAA","Temperature":82.0},'
            '"SHT3X":{"Temperature":81.0,"Humidity":30.0},"TempUnit":"C"}',
        )
        wait_until(lambda: len(_rows(engine)) == 3)
        wait_until(lambda: _alarm_devices(engine) != [], timeout=15)
        time.sleep(1.0)  # a wrong alarm on the air sensor would be written by now
    finally:
        running.close()
    assert _alarm_devices(engine) == ["pile-a/DS18B20-0316A279AAAA"]
    assert "farm/dead-node" not in {d for d, *_ in _rows(engine)}
    registry = DeviceRegistry(engine)
    registry.load()
    assert registry.entries["pile-a/SHT3X"].role is Role.AMBIENT
    assert "farm/dead-node" in registry.entries  # seen (last known), so the user can name it


def _alarm_devices(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(sa.text("SELECT device_id FROM alarm_event"))]
