"""The headless recorder raises the window's alarms: farm thresholds, alarm_event, a retained topic."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.monitoring import farm_config
from compost_desktop.monitoring.farm_config import FarmConfig
from compost_desktop.settings import AlarmSettings
from tests.support.recorder import record_command
from tests.support.servers import MosquittoServer
from tests.support.waiting import wait_until

pytestmark = pytest.mark.mqtt


class Watcher:
    """A phone subscribed to the alarm topic."""

    def __init__(self, broker: MosquittoServer, name: str) -> None:
        self.messages: list[tuple[str, dict[str, object], bool]] = []
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=name)
        self.client.on_message = lambda _c, _u, m: self.messages.append(
            (m.topic, json.loads(m.payload), bool(m.retain))
        )
        self.client.connect(broker.host, broker.port)
        self.client.subscribe("compost/alarm/#", qos=1)
        self.client.loop_start()

    def states(self) -> list[str]:
        return [str(p["state"]) for _, p, _ in self.messages]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _rows(engine: sa.Engine, sql: str) -> list[tuple[Any, ...]]:
    """The rows of raw SQL: their column types are whatever the database returns."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


def test_headless_recorder_raises_an_alarm_and_clears_it_with_hysteresis(
    any_url: str, fresh_mqtt_broker: MosquittoServer
) -> None:
    url = resolve_url(any_url)
    migrate.upgrade(url)
    engine = make_engine(url)
    # Farm-wide thresholds saved on a PC: the recorder must judge by them, not its defaults.
    farm_config.save(engine, FarmConfig(alarms=AlarmSettings(too_hot_c=75.0, hysteresis_c=3.0)))
    phone = Watcher(fresh_mqtt_broker, "phone-1")
    proc = subprocess.Popen(
        record_command(
            any_url, fresh_mqtt_broker.url, "recorder-alarms", "--timezone", "Asia/Singapore"
        ),
        stderr=subprocess.PIPE,
        text=True,
    )
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="sensor-node")
    publisher.connect(fresh_mqtt_broker.host, fresh_mqtt_broker.port)
    publisher.loop_start()

    def send(device: str, temperature: float, topic: str = "compost/sensor/data") -> None:
        payload = {"device_id": device, "temperature": temperature}
        publisher.publish(topic, json.dumps(payload), qos=1).wait_for_publish(10)

    def count(where: str) -> int:
        return int(_rows(engine, f"SELECT count(*) FROM sensor_reading WHERE {where}")[0][0])

    try:
        deadline = time.monotonic() + 30
        while count("device_id = 'probe'") == 0:  # until the recorder is subscribed
            send("probe", 50.0)
            time.sleep(0.2)
            assert time.monotonic() < deadline, "recorder never stored a reading"

        send("node-hot", 80.0)
        wait_until(
            lambda: _rows(engine, "SELECT count(*) FROM alarm_event")[0][0] == 1, 20, "raise"
        )
        [(kind, device, value, threshold, cleared)] = _rows(
            engine, "SELECT kind, device_id, value, threshold, cleared_at FROM alarm_event"
        )
        assert (kind, device, value, threshold, cleared) == (
            "too_hot",
            "node-hot",
            80.0,
            75.0,
            None,
        )
        wait_until(lambda: "raised" in phone.states(), 10, "raise on the alarm topic")

        send("node-hot", 73.0)  # below 75 but inside the 3 °C hysteresis: still raised
        wait_until(lambda: count("device_id = 'node-hot'") == 2, 10, "second reading stored")
        time.sleep(1.5)  # an alarm tick has passed
        assert _rows(engine, "SELECT cleared_at FROM alarm_event") == [(None,)]

        send("node-hot", 71.5)  # beyond the hysteresis: cleared
        wait_until(
            lambda: (
                _rows(engine, "SELECT cleared_at IS NOT NULL FROM alarm_event")[0][0] in (True, 1)
            ),
            20,
            "clear",
        )
        wait_until(lambda: phone.states()[-1:] == ["cleared"], 10, "clear on the alarm topic")

        # --timezone: a Tasmota clock at factory settings sends local time with no offset.
        publisher.publish(
            "tele/shed/SENSOR",
            json.dumps({"Time": "2026-06-11T12:00:00", "DS18B20": {"Temperature": 55.0}}),
            qos=1,
        ).wait_for_publish(10)
        wait_until(lambda: count("device_id LIKE 'shed%'") == 1, 10, "tasmota reading")
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        publisher.disconnect()
        publisher.loop_stop()
        phone.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert "Alarm raised: node-hot is too hot: 80.0 °C (above 75.0 °C)" in stderr
    [(measured,)] = _rows(
        engine, "SELECT measured_at FROM sensor_reading WHERE device_id LIKE 'shed%'"
    )
    stamp = measured if isinstance(measured, datetime) else datetime.fromisoformat(str(measured))
    assert stamp.replace(tzinfo=stamp.tzinfo or UTC) == datetime(2026, 6, 11, 4, 0, tzinfo=UTC)

    # A phone that subscribes later still gets the condition's latest state (retained).
    late = Watcher(fresh_mqtt_broker, "phone-2")
    try:
        wait_until(lambda: bool(late.messages), 10, "retained alarm state")
    finally:
        late.close()
    topic, payload, retained = late.messages[0]
    assert topic == "compost/alarm/node-hot/too_hot" and retained
    assert payload["state"] == "cleared" and payload["kind"] == "too_hot"
    assert payload["value"] == 71.5 and payload["threshold"] == 75.0
    engine.dispose()


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (["--topics", "weather=x/+"], "--topics takes NAME=PATTERN pairs"),
        (["--topics", "data=farm/#/x"], "Unusable topic pattern"),
        (["--timezone", "Mars/Olympus"], "Unknown time zone 'Mars/Olympus'"),
    ],
)
def test_record_refuses_bad_topics_and_zones_in_plain_words(
    sqlite_url: str, option: list[str], expected: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "compost_desktop", "record", "--database", sqlite_url, *option],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert expected in result.stderr and "Traceback" not in result.stderr
