"""Payloads as Tasmota and ESPHome really send them (their source code's formats).

Tasmota (xsns_05_ds18x20, xsns_14_sht3x, xsns_09_bmp): ``tele/<topic>/SENSOR`` carries
``Time`` (local, no offset, at factory settings), optionally ``Epoch`` (UTC), one object per
sensor and ``TempUnit``; a single DS18B20 is ``"DS18B20"``, several are ``"DS18B20-1"`` ...
each with ``"Id"`` (six address bytes, hex). ``tele/<topic>/LWT`` is ``Online``/``Offline``.
ESPHome (mqtt_sensor.cpp, mqtt_const.h): ``<prefix>/sensor/<object_id>/state`` is the value
with the sensor's accuracy, ``nan`` when it has none, retained; ``<prefix>/status`` is
``online``/``offline``; discovery on ``homeassistant/sensor/<node>/<object_id>/config``
with abbreviated keys (``dev_cla``, ``unit_of_meas``, ``stat_t``) by default.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from compost_desktop.monitoring.parsing import (
    DeviceStatus,
    LastKnown,
    MessageParser,
    Reading,
    RejectReason,
)

# These tests feed bad messages on purpose; the parser logs each rejection.
pytestmark = pytest.mark.log_allowed("^Rejected MQTT message")


RECEIVED = datetime(2026, 6, 11, 4, 0, 30, tzinfo=UTC)
UTC8 = ZoneInfo("Asia/Shanghai")


def values(items: Sequence[object]) -> dict[tuple[str, str], float]:
    return {(r.device_id, r.quantity): r.value for r in items if isinstance(r, Reading)}


@pytest.fixture
def parser() -> MessageParser:
    return MessageParser(naive_timezone=UTC)


# --- Tasmota ------------------------------------------------------------------------------------


def test_tasmota_single_ds18b20_is_keyed_by_its_id(parser: MessageParser) -> None:
    payload = b'{"Time":"2026-06-11T04:00:00","DS18B20":{"Id":"01144A0CB6AA","Temperature":56.4},"TempUnit":"C"}'

    items = parser.parse("tele/pile-a/SENSOR", payload, RECEIVED)

    assert values(items) == {("pile-a/DS18B20-01144A0CB6AA", "temperature"): 56.4}


def test_tasmota_several_ds18b20_are_keyed_by_id_not_position(parser: MessageParser) -> None:
    before = (
        b'{"Time":"2026-06-11T04:00:00","DS18B20-1":{"Id":"0316A279AAAA","Temperature":61.2},'
        b'"DS18B20-2":{"Id":"0416B2C1BBBB","Temperature":57.9},"TempUnit":"C"}'
    )
    # After a reboot with probe 1 unplugged, the other probe becomes "DS18B20" (alone).
    after = b'{"Time":"2026-06-11T04:00:10","DS18B20":{"Id":"0416B2C1BBBB","Temperature":58.0},"TempUnit":"C"}'

    first = values(parser.parse("tele/pile-a/SENSOR", before, RECEIVED))
    second = values(parser.parse("tele/pile-a/SENSOR", after, RECEIVED))

    assert first == {
        ("pile-a/DS18B20-0316A279AAAA", "temperature"): 61.2,
        ("pile-a/DS18B20-0416B2C1BBBB", "temperature"): 57.9,
    }
    assert second == {("pile-a/DS18B20-0416B2C1BBBB", "temperature"): 58.0}


def test_tasmota_ds18b20_without_id_keeps_its_key(parser: MessageParser) -> None:
    payload = b'{"Time":"2026-06-11T04:00:00","DS18B20-1":{"Temperature":61.2},"DS18B20-2":{"Temperature":57.9},"TempUnit":"C"}'

    assert values(parser.parse("tele/pile-a/SENSOR", payload, RECEIVED)) == {
        ("pile-a/DS18B20-1", "temperature"): 61.2,
        ("pile-a/DS18B20-2", "temperature"): 57.9,
    }


def test_tasmota_sht3x_and_bme280(parser: MessageParser) -> None:
    payload = (
        b'{"Time":"2026-06-11T04:00:00","SHT3X":{"Temperature":21.4,"Humidity":63.1,'
        b'"DewPoint":14.1},"BME280":{"Temperature":20.9,"Humidity":64.0,"DewPoint":13.8,'
        b'"Pressure":1012.6},"PressureUnit":"hPa","TempUnit":"C"}'
    )

    got = values(parser.parse("tele/shed/SENSOR", payload, RECEIVED))

    assert got == {
        ("shed/SHT3X", "temperature"): 21.4,
        ("shed/SHT3X", "humidity"): 63.1,
        ("shed/SHT3X", "dewpoint"): 14.1,
        ("shed/BME280", "temperature"): 20.9,
        ("shed/BME280", "humidity"): 64.0,
        ("shed/BME280", "dewpoint"): 13.8,
        ("shed/BME280", "pressure"): 1012.6,
    }
    assert parser.rejected == 0


def test_tasmota_tempunit_f(parser: MessageParser) -> None:
    payload = b'{"Time":"2026-06-11T04:00:00","DS18B20":{"Id":"01144A0CB6AA","Temperature":140.0},"TempUnit":"F"}'

    got = values(parser.parse("tele/pile-a/SENSOR", payload, RECEIVED))

    assert got[("pile-a/DS18B20-01144A0CB6AA", "temperature")] == pytest.approx(60.0)


def test_tasmota_state_is_ignored_quietly(parser: MessageParser) -> None:
    payload = (
        b'{"Time":"2026-06-11T04:00:00","Uptime":"0T01:00:00","UptimeSec":3600,"Heap":25,'
        b'"SleepMode":"Dynamic","Sleep":50,"LoadAvg":19,"MqttCount":1,'
        b'"Wifi":{"AP":1,"SSId":"farm","RSSI":70,"Signal":-65,"LinkCount":1}}'
    )

    assert parser.parse("tele/pile-a/STATE", payload, RECEIVED) == []
    assert parser.rejected == 0
    assert parser.ignored == 1


def test_tasmota_lwt(parser: MessageParser) -> None:
    online = parser.parse("tele/pile-a/LWT", b"Online", RECEIVED)
    offline = parser.parse("tele/pile-a/LWT", b"Offline", RECEIVED)

    assert [(s.device_id, s.online) for s in online + offline if isinstance(s, DeviceStatus)] == [
        ("pile-a", True),
        ("pile-a", False),
    ]


def test_tasmota_factory_settings_in_a_utc8_farm_read_local_time() -> None:
    parser = MessageParser(naive_timezone=UTC8)
    payload = b'{"Time":"2026-06-11T12:00:00","DS18B20":{"Id":"01144A0CB6AA","Temperature":56.4},"TempUnit":"C"}'

    [reading] = parser.parse("tele/pile-a/SENSOR", payload, RECEIVED)

    assert isinstance(reading, Reading)
    assert reading.measured_at == datetime(2026, 6, 11, 4, 0, tzinfo=UTC)


def test_tasmota_per_device_zone_beats_the_farm_zone() -> None:
    parser = MessageParser(
        naive_timezone=UTC8, device_timezones={"pile-b": timezone(timedelta(hours=2))}
    )
    payload = b'{"Time":"2026-06-11T06:00:00","DS18B20":{"Temperature":56.4}}'

    [reading] = parser.parse("tele/pile-b/SENSOR", payload, RECEIVED)

    assert isinstance(reading, Reading)
    assert reading.measured_at == datetime(2026, 6, 11, 4, 0, tzinfo=UTC)
    assert parser.timezone_for("pile-b/DS18B20") == timezone(timedelta(hours=2))


def test_tasmota_epoch_wins_over_local_time() -> None:
    parser = MessageParser(naive_timezone=UTC8)
    epoch = int(datetime(2026, 6, 11, 4, 0, tzinfo=UTC).timestamp())
    payload = json.dumps(
        {"Time": "2026-06-11T12:00:00", "Epoch": epoch, "DS18B20": {"Temperature": 56.4}}
    ).encode()

    [reading] = MessageParser(naive_timezone=UTC).parse("tele/x/SENSOR", payload, RECEIVED)
    [same] = parser.parse("tele/x/SENSOR", payload, RECEIVED)

    assert isinstance(reading, Reading) and isinstance(same, Reading)
    assert reading.measured_at == same.measured_at == datetime(2026, 6, 11, 4, 0, tzinfo=UTC)


@pytest.fixture
def pc_in_utc8() -> Iterator[None]:
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


@pytest.mark.usefixtures("pc_in_utc8")
def test_without_any_zone_the_pc_zone_applies() -> None:
    payload = b'{"Time":"2026-06-11T12:00:00","DS18B20":{"Temperature":56.4}}'

    [reading] = MessageParser().parse("tele/pile-a/SENSOR", payload, RECEIVED)

    assert isinstance(reading, Reading)
    assert reading.measured_at == datetime(2026, 6, 11, 4, 0, tzinfo=UTC)


def test_tasmota_read_in_the_wrong_zone_lands_in_the_future_and_is_rejected(
    parser: MessageParser,
) -> None:
    # 12:00 local in a UTC+8 farm read as UTC is 8 h ahead of the receive time.
    payload = b'{"Time":"2026-06-11T12:00:00","DS18B20":{"Temperature":56.4}}'

    assert parser.parse("tele/pile-a/SENSOR", payload, RECEIVED) == []
    assert parser.rejected_by_reason == {RejectReason.TIMESTAMP_IN_FUTURE: 1}
    [record] = parser.recent_rejects()
    assert (record.topic, record.reason) == ("tele/pile-a/SENSOR", "timestamp_in_future")
    assert record.payload == payload[:200]


# --- ESPHome ------------------------------------------------------------------------------------


def test_esphome_state(parser: MessageParser) -> None:
    items = parser.parse("pile-node/sensor/core_temperature/state", b"58.4", RECEIVED)

    assert values(items) == {("pile-node/probe-core", "temperature"): 58.4}
    assert all(r.measured_at == RECEIVED for r in items if isinstance(r, Reading))


def test_esphome_nan_is_counted_not_recorded(parser: MessageParser) -> None:
    assert parser.parse("pile-node/sensor/temperature/state", b"nan", RECEIVED) == []
    assert parser.rejected_by_reason == {RejectReason.NON_FINITE: 1}


def test_esphome_status(parser: MessageParser) -> None:
    items = parser.parse("pile-node/status", b"online", RECEIVED) + parser.parse(
        "pile-node/status", b"offline", RECEIVED
    )

    assert [(s.device_id, s.online) for s in items if isinstance(s, DeviceStatus)] == [
        ("pile-node", True),
        ("pile-node", False),
    ]


def test_esphome_two_level_prefix(parser: MessageParser) -> None:
    state = parser.parse("farm/pile-node/sensor/temperature/state", b"55.5", RECEIVED)
    status = parser.parse("farm/pile-node/status", b"offline", RECEIVED)

    assert values(state) == {("farm/pile-node", "temperature"): 55.5}
    assert [(s.device_id, s.online) for s in status if isinstance(s, DeviceStatus)] == [
        ("farm/pile-node", False)
    ]


def discovery(node: str, object_id: str, name: str, unit: str, prefix: str) -> bytes:
    """As ESPHome sends it with abbreviations on (its default)."""
    return json.dumps(
        {
            "dev_cla": "temperature",
            "unit_of_meas": unit,
            "stat_cla": "measurement",
            "name": name,
            "stat_t": f"{prefix}/sensor/{object_id}/state",
            "avty_t": f"{prefix}/status",
            "uniq_id": f"ESPsensor{object_id}",
            "dev": {"ids": "a0b1c2d3e4f5", "name": node, "sw": "esphome v2025.1.0"},
        }
    ).encode()


def test_esphome_discovery_celsius_makes_probe_1_a_temperature(parser: MessageParser) -> None:
    config = discovery("pile-node", "probe_1", "Probe 1", "°C", "pile-node")

    before = parser.parse("pile-node/sensor/probe_1/state", b"57.2", RECEIVED)
    assert parser.parse("homeassistant/sensor/pile-node/probe_1/config", config, RECEIVED) == []
    after = parser.parse("pile-node/sensor/probe_1/state", b"57.2", RECEIVED)

    assert values(before) == {("pile-node", "probe_1"): 57.2}
    assert values(after) == {("pile-node/probe_1", "temperature"): 57.2}
    assert parser.rejected == 0


def test_esphome_discovery_fahrenheit_is_converted(parser: MessageParser) -> None:
    config = discovery("pile-node", "core", "Core", "°F", "farm/pile-node")
    parser.parse("homeassistant/sensor/pile-node/core/config", config, RECEIVED)

    items = parser.parse("farm/pile-node/sensor/core/state", b"140.0", RECEIVED)

    assert values(items) == {("farm/pile-node/core", "temperature"): pytest.approx(60.0)}


def test_esphome_discovery_with_full_keys_and_a_labelled_name(parser: MessageParser) -> None:
    config = json.dumps(
        {
            "device_class": "temperature",
            "unit_of_measurement": "°C",
            "name": "Temperature 2",
            "state_topic": "pile-node/sensor/temperature_2/state",
        }
    ).encode()
    parser.parse("homeassistant/sensor/pile-node/temperature_2/config", config, RECEIVED)

    items = parser.parse("pile-node/sensor/temperature_2/state", b"49", RECEIVED)

    assert values(items) == {("pile-node/probe-2", "temperature"): 49.0}


def test_esphome_discovery_without_state_topic_is_a_counted_reject(parser: MessageParser) -> None:
    parser.parse("homeassistant/sensor/n/x/config", b'{"dev_cla":"temperature"}', RECEIVED)

    assert parser.rejected_by_reason == {RejectReason.BAD_DISCOVERY: 1}


def test_esphome_retained_state_is_last_known_not_a_reading(parser: MessageParser) -> None:
    items = parser.parse("pile-node/sensor/temperature/state", b"55.0", RECEIVED, retained=True)

    assert len(items) == 1
    item = items[0]
    assert isinstance(item, LastKnown)
    assert (item.device_id, item.reading.quantity, item.reading.value) == (
        "pile-node",
        "temperature",
        55.0,
    )


def test_retained_message_with_its_own_time_is_a_reading(parser: MessageParser) -> None:
    payload = b'{"Time":"2026-06-11T04:00:00","DS18B20":{"Temperature":56.4}}'

    [item] = parser.parse("tele/pile-a/SENSOR", payload, RECEIVED, retained=True)

    assert isinstance(item, Reading)
    assert item.measured_at == datetime(2026, 6, 11, 4, 0, tzinfo=UTC)
