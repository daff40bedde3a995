"""Behaviour of the MQTT message parser: every format, every timestamp form, every rejection."""

from __future__ import annotations

import json
import logging
import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compost_desktop.monitoring.parsing import (
    MAX_PAYLOAD_BYTES,
    DeviceStatus,
    MessageParser,
    ParsedMessage,
    Reading,
    RejectReason,
    TopicPatterns,
    classify_quantity,
)

# These tests feed bad messages on purpose; the parser logs each rejection.
pytestmark = pytest.mark.log_allowed("^Rejected MQTT message")


FARM = "compost/sensor/data"
RECEIVED = datetime(2026, 6, 11, 0, 5, tzinfo=UTC)
MEASURED = datetime(2026, 6, 11, tzinfo=UTC)
MEASURED_EPOCH = 1781136000  # 2026-06-11T00:00:00Z


def farm(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def readings(items: list[ParsedMessage]) -> dict[tuple[str, str], float]:
    assert all(isinstance(item, Reading) for item in items)
    return {(r.device_id, r.quantity): r.value for r in items if isinstance(r, Reading)}


def assert_counters_consistent(parser: MessageParser) -> None:
    assert sum(parser.rejected_by_reason.values()) == parser.rejected


@pytest.fixture
def parser() -> MessageParser:
    # Offset-less times in UTC, so the results do not depend on the test machine's zone.
    return MessageParser(naive_timezone=UTC)


# --- farm JSON ----------------------------------------------------------------------------------


def test_farm_message_from_the_brief_yields_one_reading_per_value(parser: MessageParser) -> None:
    payload = (
        b'{"device_id": "node-1", "temperature": 55.4, "humidity": 61.0, "moisture": 48.2,'
        b' "timestamp": "2026-06-11T00:00:00Z"}'
    )
    items = parser.parse(FARM, payload, RECEIVED)

    assert items == [
        Reading("node-1", "temperature", 55.4, MEASURED, RECEIVED, FARM),
        Reading("node-1", "humidity", 61.0, MEASURED, RECEIVED, FARM),
        Reading("node-1", "moisture", 48.2, MEASURED, RECEIVED, FARM),
    ]
    assert (parser.accepted, parser.rejected) == (3, 0)


def test_farm_missing_keys_and_timestamp_use_received_time(parser: MessageParser) -> None:
    items = parser.parse(FARM, farm(device_id="node-2", moisture=50.5), RECEIVED)

    assert items == [Reading("node-2", "moisture", 50.5, RECEIVED, RECEIVED, FARM)]


def test_farm_without_received_time_stamps_now_in_utc(parser: MessageParser) -> None:
    before = datetime.now(UTC)
    [item] = parser.parse(FARM, farm(device_id="n", temperature=40.0))
    after = datetime.now(UTC)

    assert isinstance(item, Reading)
    assert item.received_at.tzinfo is UTC
    assert before <= item.measured_at == item.received_at <= after


def test_naive_received_time_is_taken_as_utc(parser: MessageParser) -> None:
    [item] = parser.parse(FARM, farm(device_id="n", o2=12.0), datetime(2026, 6, 11, 0, 5))

    assert isinstance(item, Reading)
    assert item.received_at == RECEIVED
    assert item.received_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        ("2026-06-11T00:00:00Z", MEASURED),
        ("2026-06-11T02:00:00+02:00", MEASURED),
        ("2026-06-10T20:00:00-04:00", MEASURED),
        ("2026-06-11T00:00:00", MEASURED),
        ("2026-06-11 00:00:00.250Z", MEASURED + timedelta(milliseconds=250)),
        (MEASURED_EPOCH, MEASURED),
        (MEASURED_EPOCH + 0.5, MEASURED + timedelta(milliseconds=500)),
        (str(MEASURED_EPOCH), MEASURED),
        (f" {MEASURED_EPOCH}.25 ", MEASURED + timedelta(milliseconds=250)),
        (MEASURED_EPOCH * 1000 + 123, MEASURED + timedelta(milliseconds=123)),
        (None, RECEIVED),
    ],
)
def test_farm_timestamp_forms(parser: MessageParser, timestamp: object, expected: datetime) -> None:
    [item] = parser.parse(
        FARM, farm(device_id="n", temperature=50.0, timestamp=timestamp), RECEIVED
    )

    assert isinstance(item, Reading)
    assert item.measured_at == expected
    assert item.measured_at.utcoffset() == timedelta(0)


def test_farm_time_and_ts_keys_are_timestamps_not_values(parser: MessageParser) -> None:
    items = parser.parse(FARM, farm(device_id="n", temperature=50.0, ts=MEASURED_EPOCH), RECEIVED)

    assert [(r.quantity, r.measured_at) for r in items if isinstance(r, Reading)] == [
        ("temperature", MEASURED)
    ]


def test_naive_timestamps_follow_the_configured_zone() -> None:
    parser = MessageParser(naive_timezone=timezone(timedelta(hours=2)))
    payload = farm(device_id="n", temperature=50.0, timestamp="2026-06-11T02:00:00")

    [item] = parser.parse(FARM, payload, RECEIVED)

    assert isinstance(item, Reading)
    assert item.measured_at == MEASURED


@pytest.mark.parametrize(
    ("timestamp", "reason"),
    [
        (946684799, RejectReason.TIMESTAMP_OUT_OF_RANGE),  # one second before 2000
        (0, RejectReason.TIMESTAMP_OUT_OF_RANGE),
        (-5, RejectReason.TIMESTAMP_OUT_OF_RANGE),
        ("1999-12-31T23:59:59Z", RejectReason.TIMESTAMP_OUT_OF_RANGE),
        ("0001-01-01T00:00:00+01:00", RejectReason.TIMESTAMP_OUT_OF_RANGE),
        (int((RECEIVED + timedelta(minutes=5, seconds=1)).timestamp()), "timestamp_in_future"),
        ((RECEIVED + timedelta(hours=3)).isoformat(), RejectReason.TIMESTAMP_IN_FUTURE),
        (1e300, RejectReason.TIMESTAMP_IN_FUTURE),
        (10**400, RejectReason.BAD_TIMESTAMP),
        ("yesterday", RejectReason.BAD_TIMESTAMP),
        ("2026-13-01T00:00:00Z", RejectReason.BAD_TIMESTAMP),
        (True, RejectReason.BAD_TIMESTAMP),
        ([MEASURED_EPOCH], RejectReason.BAD_TIMESTAMP),
        ("2026-06-11T00:00:00." + "0" * 60 + "Z", RejectReason.BAD_TIMESTAMP),
    ],
)
def test_absurd_or_malformed_timestamps_reject_the_message(
    parser: MessageParser, timestamp: object, reason: str
) -> None:
    items = parser.parse(FARM, farm(device_id="n", temperature=50.0, timestamp=timestamp), RECEIVED)

    assert items == []
    assert parser.rejected_by_reason == {reason: 1}


def test_clock_slightly_ahead_is_still_accepted(parser: MessageParser) -> None:
    ahead = RECEIVED + timedelta(minutes=4, seconds=59)
    payload = farm(device_id="n", temperature=50.0, timestamp=ahead.timestamp())

    [item] = parser.parse(FARM, payload, RECEIVED)

    assert isinstance(item, Reading)
    assert item.measured_at == ahead


def test_farm_value_types(parser: MessageParser) -> None:
    payload = farm(device_id="n", co2=1200, temperature="55.5", moisture=" 48 ")

    items = parser.parse(FARM, payload, RECEIVED)

    assert readings(items) == {
        ("n", "co2"): 1200.0,
        ("n", "temperature"): 55.5,
        ("n", "moisture"): 48,
    }
    assert all(type(r.value) is float for r in items if isinstance(r, Reading))


def test_numeric_device_id_is_kept_as_text(parser: MessageParser) -> None:
    [item] = parser.parse(FARM, farm(device_id=8266001, temperature=50.0), RECEIVED)

    assert isinstance(item, Reading)
    assert item.device_id == "8266001"


def test_other_numeric_keys_pass_through_lower_cased(parser: MessageParser) -> None:
    items = parser.parse(FARM, farm(device_id="n", Battery_Voltage=3.7, RSSI=-71), RECEIVED)

    assert readings(items) == {("n", "battery_voltage"): 3.7, ("n", "rssi"): -71.0}


def test_probe_keys_become_probe_devices_of_the_same_quantity(parser: MessageParser) -> None:
    payload = farm(device_id="node-1", temperature=60.0, temperature_2=57.0, temp_core=63.5)

    items = parser.parse(FARM, payload, RECEIVED)

    assert readings(items) == {
        ("node-1", "temperature"): 60.0,
        ("node-1/probe-2", "temperature"): 57.0,
        ("node-1/probe-core", "temperature"): 63.5,
    }


def test_non_pile_temperatures_are_never_pile_temperature(parser: MessageParser) -> None:
    payload = farm(device_id="n", air_temperature=18.0, internal_temperature=45.0)

    items = parser.parse(FARM, payload, RECEIVED)

    assert readings(items) == {("n", "air_temperature"): 18.0, ("n", "internal_temperature"): 45.0}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("temperature", ("temperature", None)),
        ("Temp", ("temperature", None)),
        ("compost_temperature", ("temperature", None)),
        ("probe_1_temperature", ("temperature", "1")),
        ("temperature_probe_2", ("temperature", "2")),
        ("temp2", ("temperature", "2")),
        ("core_temperature", ("temperature", "core")),
        ("soil_moisture", ("moisture", None)),
        ("relative_humidity", ("humidity", None)),
        ("RH", ("humidity", None)),
        ("oxygen", ("o2", None)),
        ("CarbonDioxide", ("co2", None)),
        ("co2_ppm", ("co2", None)),
        ("eCO2", ("eco2", None)),
        ("ambient_temperature", ("ambient_temperature", None)),
        ("temperature_avg", ("temperature_avg", None)),
        ("temp_f", ("temp_f", None)),
        ("temperature_humidity", ("temperature_humidity", None)),
        ("Wifi Signal", ("wifi_signal", None)),
        ("", None),
        ("--", None),
        ("x" * 65, None),
    ],
)
def test_classify_quantity(name: str, expected: tuple[str, str | None] | None) -> None:
    assert classify_quantity(name) == expected


# --- rejections ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        (FARM, b"", RejectReason.EMPTY_PAYLOAD),
        (FARM, b'{"device_id": "n", "temperature": 5\xff0}', RejectReason.INVALID_UTF8),
        (FARM, b'{"device_id": "n", "temperature":', RejectReason.INVALID_JSON),
        (FARM, b'{"device_id": "n"} trailing', RejectReason.INVALID_JSON),
        (FARM, b"[" * 60_000, RejectReason.INVALID_JSON),
        (FARM, b"[55.4, 61.0]", RejectReason.NOT_AN_OBJECT),
        (FARM, b'"node-1"', RejectReason.NOT_AN_OBJECT),
        (FARM, b"null", RejectReason.NOT_AN_OBJECT),
        (FARM, b'{"temperature": 55.4}', RejectReason.MISSING_DEVICE_ID),
        (FARM, b'{"device_id": "  ", "temperature": 55.4}', RejectReason.MISSING_DEVICE_ID),
        (FARM, b'{"device_id": null, "temperature": 55.4}', RejectReason.MISSING_DEVICE_ID),
        (FARM, b'{"device_id": ["n"], "temperature": 55.4}', RejectReason.INVALID_DEVICE_ID),
        (FARM, b'{"device_id": true, "temperature": 55.4}', RejectReason.INVALID_DEVICE_ID),
        (FARM, farm(device_id="n" * 129, temperature=1.0), RejectReason.INVALID_DEVICE_ID),
        (FARM, b'{"device_id": "n"}', RejectReason.NO_VALUES),
        (FARM, b'{"device_id": "n", "temperature": NaN}', RejectReason.NON_FINITE),
        (FARM, b'{"device_id": "n", "temperature": Infinity}', RejectReason.NON_FINITE),
        (FARM, b'{"device_id": "n", "temperature": -Infinity}', RejectReason.NON_FINITE),
        (FARM, b'{"device_id": "n", "temperature": 1e999}', RejectReason.NON_FINITE),
        (FARM, b'{"device_id": "n", "rssi": 1' + b"0" * 400 + b"}", RejectReason.NON_FINITE),
        (FARM, b'{"device_id": "n", "temperature": "nan"}', RejectReason.NON_FINITE),
        (FARM, b'{"device_id": "n", "temperature": "warm"}', RejectReason.NON_NUMERIC),
        (FARM, b'{"device_id": "n", "temperature": "1_000"}', RejectReason.NON_NUMERIC),
        (FARM, b'{"device_id": "n", "temperature": [55.4]}', RejectReason.NON_NUMERIC),
        (FARM, b'{"device_id": "n", "temperature": {"v": 55.4}}', RejectReason.NON_NUMERIC),
        (FARM, b'{"device_id": "n", "temperature": true}', RejectReason.BOOLEAN_VALUE),
        (FARM, b'{"device_id": "n", "pump": false}', RejectReason.BOOLEAN_VALUE),
        (FARM, b'{"device_id": "n", "temperature": null}', RejectReason.NULL_VALUE),
        (FARM, b'{"device_id": "n", "temperature": 150.1}', RejectReason.OUT_OF_RANGE),
        (FARM, b'{"device_id": "n", "temperature": -50.1}', RejectReason.OUT_OF_RANGE),
        (FARM, b'{"device_id": "n", "temperature_3": 151}', RejectReason.OUT_OF_RANGE),
        (FARM, b'{"device_id": "n", "moisture": 100.01}', RejectReason.OUT_OF_RANGE),
        (FARM, b'{"device_id": "n", "humidity": -0.5}', RejectReason.OUT_OF_RANGE),
        (FARM, b'{"device_id": "n", "o2": 101}', RejectReason.OUT_OF_RANGE),
        (FARM, b'{"device_id": "n", "co2": -1}', RejectReason.OUT_OF_RANGE),
        (FARM, b'{"device_id": "n", "": 1.0}', RejectReason.BAD_QUANTITY_NAME),
        ("compost/sensor/other", farm(device_id="n", temperature=1.0), RejectReason.UNKNOWN_TOPIC),
        ("compost/status/bay/2", b"online", RejectReason.UNKNOWN_TOPIC),
        ("$SYS/status", b"online", RejectReason.UNKNOWN_TOPIC),
    ],
)
def test_each_rejection_is_counted_by_reason(
    parser: MessageParser, topic: str, payload: bytes, reason: str
) -> None:
    assert parser.parse(topic, payload, RECEIVED) == []
    assert parser.rejected_by_reason == {reason: 1}
    assert (parser.accepted, parser.rejected) == (0, 1)


def test_payload_size_limit_is_exactly_64_kib(parser: MessageParser) -> None:
    message = farm(device_id="n", temperature=50.0)
    at_limit = message + b" " * (MAX_PAYLOAD_BYTES - len(message))

    assert len(parser.parse(FARM, at_limit, RECEIVED)) == 1
    assert parser.parse(FARM, at_limit + b" ", RECEIVED) == []
    assert parser.rejected_by_reason == {"payload_too_large": 1}


def test_boundaries_of_plausible_ranges_are_accepted(parser: MessageParser) -> None:
    payload = farm(device_id="n", temperature=-50.0, moisture=100.0, humidity=0.0, co2=0)

    assert len(parser.parse(FARM, payload, RECEIVED)) == 4
    assert parser.rejected == 0


def test_mixed_message_keeps_good_values_and_counts_bad_ones(parser: MessageParser) -> None:
    payload = (
        b'{"device_id": "node-3", "temperature": 61.5, "moisture": "wet", "humidity": NaN,'
        b' "o2": 12, "co2": 2e6, "fw": "1.2.0", "timestamp": 1781136000}'
    )

    items = parser.parse(FARM, payload, RECEIVED)

    assert readings(items) == {("node-3", "temperature"): 61.5, ("node-3", "o2"): 12.0}
    assert parser.rejected_by_reason == {"non_numeric": 2, "non_finite": 1, "out_of_range": 1}
    assert (parser.accepted, parser.rejected) == (2, 4)


def test_counters_accumulate_and_reset(parser: MessageParser) -> None:
    parser.parse(FARM, farm(device_id="n", temperature=50.0, moisture=50.0), RECEIVED)
    parser.parse(FARM, b"garbage", RECEIVED)
    parser.parse(FARM, b"garbage", RECEIVED)
    assert (parser.accepted, parser.rejected) == (2, 2)
    assert parser.rejected_by_reason["invalid_json"] == 2

    parser.reset_counters()

    assert (parser.accepted, parser.rejected, dict(parser.rejected_by_reason)) == (0, 0, {})


def test_rejections_warn_with_rate_limiting(caplog: pytest.LogCaptureFixture) -> None:
    parser = MessageParser(warn_interval_s=3600)
    with caplog.at_level(logging.WARNING, logger="compost_desktop.monitoring.parsing"):
        for _ in range(50):
            parser.parse(FARM, b"{", RECEIVED)
        parser.parse(FARM, b"[]", RECEIVED)

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2  # one per reason, not one per message
    assert "invalid_json" in warnings[0].getMessage()
    assert parser.rejected == 51


def test_rate_limit_interval_zero_warns_every_time(caplog: pytest.LogCaptureFixture) -> None:
    parser = MessageParser(warn_interval_s=0)
    with caplog.at_level(logging.WARNING, logger="compost_desktop.monitoring.parsing"):
        for _ in range(5):
            parser.parse(FARM, b"{", RECEIVED)

    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 5


def test_many_distinct_topics_do_not_break_routing(parser: MessageParser) -> None:
    for i in range(5000):
        parser.parse(f"noise/{i}", b"1", RECEIVED)
    items = parser.parse(FARM, farm(device_id="n", temperature=50.0), RECEIVED)

    assert len(items) == 1
    assert parser.rejected_by_reason == {"unknown_topic": 5000}


# --- status -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "online", "detail"),
    [
        (b"online", True, {"status": "online"}),
        (b"OFFLINE", False, {"status": "OFFLINE"}),
        (b" Online\n", True, {"status": "Online"}),
        (b'"offline"', False, {"status": "offline"}),
        (b"rebooting", None, {"status": "rebooting"}),
        (b'{"status": "offline", "rssi": -70}', False, {"status": "offline", "rssi": -70}),
        (b'{"state": "ON", "pump": true}', True, {"state": "ON", "pump": True}),
        (b'{"online": false}', False, {"online": False}),
        (b'{"online": 1}', True, {"online": 1}),
        (b'{"fan": "on"}', None, {"fan": "on"}),
    ],
)
def test_status_messages(
    parser: MessageParser, payload: bytes, online: bool | None, detail: dict[str, object]
) -> None:
    items = parser.parse("compost/status/node-7", payload, RECEIVED)

    assert items == [DeviceStatus("node-7", online, detail, RECEIVED)]
    assert parser.accepted == 1


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"   ", RejectReason.EMPTY_PAYLOAD),
        (b"{nope", RejectReason.INVALID_JSON),
        (b"[1, 2]", RejectReason.NOT_AN_OBJECT),
        (b"\xc3\x28", RejectReason.INVALID_UTF8),
    ],
)
def test_bad_status_messages(parser: MessageParser, payload: bytes, reason: str) -> None:
    assert parser.parse("compost/status/node-7", payload, RECEIVED) == []
    assert parser.rejected_by_reason == {reason: 1}


def test_esphome_and_tasmota_availability_are_statuses(parser: MessageParser) -> None:
    esphome = parser.parse("pile-node/status", b"online", RECEIVED)
    tasmota = parser.parse("tele/barn-probe/LWT", b"Offline", RECEIVED)

    assert [(s.device_id, s.online) for s in esphome + tasmota if isinstance(s, DeviceStatus)] == [
        ("pile-node", True),
        ("barn-probe", False),
    ]


# --- ESPHome ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "payload", "device", "quantity", "value"),
    [
        ("temperature", b"55.3", "pile-node", "temperature", 55.3),
        ("compost_temperature", b"61", "pile-node", "temperature", 61.0),
        ("probe_1_temperature", b" 58.25\n", "pile-node/probe-1", "temperature", 58.25),
        ("soil_moisture", b"47.5", "pile-node", "moisture", 47.5),
        ("wifi_signal", b"-67", "pile-node", "wifi_signal", -67.0),
    ],
)
def test_esphome_plain_numbers(
    parser: MessageParser, name: str, payload: bytes, device: str, quantity: str, value: float
) -> None:
    topic = f"pile-node/sensor/{name}/state"

    items = parser.parse(topic, payload, RECEIVED)

    assert items == [Reading(device, quantity, value, RECEIVED, RECEIVED, topic)]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"nan", RejectReason.NON_FINITE),
        (b"NaN", RejectReason.NON_FINITE),
        (b"-inf", RejectReason.NON_FINITE),
        (b"unknown", RejectReason.NON_NUMERIC),
        (b"55.3 C", RejectReason.NON_NUMERIC),
        (b"true", RejectReason.NON_NUMERIC),
        (b"212", RejectReason.OUT_OF_RANGE),
        (b"", RejectReason.EMPTY_PAYLOAD),
        (b"\xff\xfe", RejectReason.INVALID_UTF8),
    ],
)
def test_esphome_rejections(parser: MessageParser, payload: bytes, reason: str) -> None:
    assert parser.parse("pile-node/sensor/temperature/state", payload, RECEIVED) == []
    assert parser.rejected_by_reason == {reason: 1}


# --- Tasmota ------------------------------------------------------------------------------------

TASMOTA_EXAMPLE = (
    b'{"Time":"2026-06-11T00:00:00","DS18B20":{"Id":"0316A279","Temperature":55.1},'
    b'"SHT3X":{"Temperature":21.0,"Humidity":60.2},"TempUnit":"C"}'
)


def test_tasmota_one_reading_per_sensor(parser: MessageParser) -> None:
    topic = "tele/barn/SENSOR"

    items = parser.parse(topic, TASMOTA_EXAMPLE, RECEIVED)

    assert items == [
        Reading("barn/DS18B20-0316A279", "temperature", 55.1, MEASURED, RECEIVED, topic),
        Reading("barn/SHT3X", "temperature", 21.0, MEASURED, RECEIVED, topic),
        Reading("barn/SHT3X", "humidity", 60.2, MEASURED, RECEIVED, topic),
    ]
    assert parser.rejected == 0


def test_tasmota_multiple_probes_are_separate_devices(parser: MessageParser) -> None:
    payload = (
        b'{"Time":"2026-06-11T00:00:00","DS18B20-1":{"Id":"01","Temperature":62.5},'
        b'"DS18B20-2":{"Id":"02","Temperature":58.0},"DS18B20-3":{"Id":"03","Temperature":49.9},'
        b'"TempUnit":"C"}'
    )

    items = parser.parse("tele/windrow-a/SENSOR", payload, RECEIVED)

    assert readings(items) == {
        ("windrow-a/DS18B20-1", "temperature"): 62.5,
        ("windrow-a/DS18B20-2", "temperature"): 58.0,
        ("windrow-a/DS18B20-3", "temperature"): 49.9,
    }


def test_tasmota_fahrenheit_is_converted_to_celsius(parser: MessageParser) -> None:
    payload = (
        b'{"Time":"2026-06-11T00:00:00","DS18B20":{"Temperature":131.0},'
        b'"SHT3X":{"Temperature":-4.0,"Humidity":60.2,"DewPoint":50.0},"TempUnit":"F"}'
    )

    got = readings(parser.parse("tele/barn/SENSOR", payload, RECEIVED))

    assert got[("barn/DS18B20", "temperature")] == pytest.approx(55.0)
    assert got[("barn/SHT3X", "temperature")] == pytest.approx(-20.0)
    assert got[("barn/SHT3X", "dewpoint")] == pytest.approx(10.0)
    assert got[("barn/SHT3X", "humidity")] == 60.2


def test_tasmota_plausibility_applies_after_conversion(parser: MessageParser) -> None:
    # 300 °F is 148.9 °C (plausible); 310 °F is 154.4 °C (not).
    payload = b'{"A":{"Temperature":300},"B":{"Temperature":310},"TempUnit":"F"}'

    got = readings(parser.parse("tele/barn/SENSOR", payload, RECEIVED))

    assert list(got) == [("barn/A", "temperature")]
    assert parser.rejected_by_reason == {"out_of_range": 1}


def test_tasmota_unknown_temperature_unit_rejects_only_temperatures(
    parser: MessageParser,
) -> None:
    payload = b'{"SHT3X":{"Temperature":300.0,"Humidity":60.2},"TempUnit":"K"}'

    items = parser.parse("tele/barn/SENSOR", payload, RECEIVED)

    assert readings(items) == {("barn/SHT3X", "humidity"): 60.2}
    assert parser.rejected_by_reason == {"unknown_unit": 1}


def test_tasmota_without_time_uses_received_time_and_chip_is_not_a_probe(
    parser: MessageParser,
) -> None:
    payload = b'{"ESP32":{"Temperature":48.3},"DS18B20":{"Temperature":60.0}}'

    items = parser.parse("tele/barn/SENSOR", payload, RECEIVED)

    assert readings(items) == {
        ("barn/ESP32", "chip_temperature"): 48.3,
        ("barn/DS18B20", "temperature"): 60.0,
    }
    assert all(r.measured_at == RECEIVED for r in items if isinstance(r, Reading))


def test_tasmota_without_sensors_counts_no_values(parser: MessageParser) -> None:
    payload = b'{"Time":"2026-06-11T00:00:00","Switch1":"ON","TempUnit":"C"}'

    assert parser.parse("tele/barn/SENSOR", payload, RECEIVED) == []
    assert parser.rejected_by_reason == {"no_values": 1}


# --- topic patterns -----------------------------------------------------------------------------


def test_default_subscriptions() -> None:
    assert TopicPatterns().subscriptions() == [
        "homeassistant/sensor/+/+/config",
        "compost/sensor/data",
        "compost/status/+",
        "+/sensor/+/state",
        "+/+/sensor/+/state",
        "+/+/+/sensor/+/state",
        "+/+/+/+/sensor/+/state",
        "tele/+/SENSOR",
        "+/status",
        "+/+/status",
        "+/+/+/status",
        "+/+/+/+/status",
        "tele/+/LWT",
    ]


def test_custom_patterns_route_and_disabled_formats_are_unknown() -> None:
    patterns = TopicPatterns(
        farm_json="farm1/compost/data",
        status="farm1/status/#",
        esphome="farm1/+/sensor/+/state",
        tasmota=None,
        esphome_status=None,
        tasmota_lwt=None,
        discovery=None,
    )
    parser = MessageParser(patterns)

    data = parser.parse("farm1/compost/data", farm(device_id="n", temperature=50.0), RECEIVED)
    status = parser.parse("farm1/status/bay/2", b"online", RECEIVED)
    esphome = parser.parse("farm1/pile-node/sensor/temperature/state", b"50", RECEIVED)
    tasmota = parser.parse("tele/barn/SENSOR", TASMOTA_EXAMPLE, RECEIVED)

    assert patterns.subscriptions() == [
        "farm1/compost/data",
        "farm1/status/#",
        "farm1/+/sensor/+/state",
        "farm1/+/+/sensor/+/state",
        "farm1/+/+/+/sensor/+/state",
        "farm1/+/+/+/+/sensor/+/state",
    ]
    assert readings(data) == {("n", "temperature"): 50.0}
    assert status == [DeviceStatus("bay/2", True, {"status": "online"}, RECEIVED)]
    assert readings(esphome) == {("pile-node", "temperature"): 50.0}
    assert tasmota == []
    assert parser.rejected_by_reason == {"unknown_topic": 1}


@pytest.mark.parametrize(
    "changes",
    [
        {"farm_json": "a/#/b"},
        {"farm_json": "a/b+"},
        {"farm_json": ""},
        {"status": "compost/status"},
        {"esphome": "+/sensor/temperature/state"},
        {"tasmota": "tele/barn/SENSOR"},
    ],
)
def test_invalid_patterns_fail_at_configuration(changes: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        TopicPatterns(**changes)


# --- robustness ---------------------------------------------------------------------------------

TOPICS = [
    FARM,
    "compost/status/node-1",
    "node/sensor/temperature/state",
    "tele/barn/SENSOR",
    "tele/barn/LWT",
    "unknown/topic",
]


def _check_output(parser: MessageParser, items: list[ParsedMessage]) -> None:
    assert parser.rejected_by_reason["internal_error"] == 0
    assert_counters_consistent(parser)
    for item in items:
        assert item.received_at.utcoffset() == timedelta(0)
        if isinstance(item, Reading):
            assert math.isfinite(item.value)
            assert type(item.value) is float
            assert item.device_id
            assert item.measured_at.utcoffset() == timedelta(0)


def test_a_number_wrapped_in_separator_characters_is_rejected_not_an_error() -> None:
    """\\s matches the ASCII separators \\x1c-\\x1f but float() does not strip them."""
    parser = MessageParser()
    for payload in (b"\x1c0", b"0\x1f", b" 55.5\x1d"):
        assert parser.parse("node/sensor/temperature/state", payload, RECEIVED) == []
    first = parser.parse("node/sensor/temperature/state", b" 55.5\t", RECEIVED)[0]
    assert isinstance(first, Reading) and first.value == 55.5
    assert parser.rejected_by_reason["internal_error"] == 0


@settings(max_examples=300, database=None)
@given(topic=st.sampled_from(TOPICS), payload=st.binary(max_size=512))
def test_random_bytes_never_raise(topic: str, payload: bytes) -> None:
    parser = MessageParser()

    items = parser.parse(topic, payload, RECEIVED)

    _check_output(parser, items)
    assert parser.accepted == len(items)


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
    | st.sampled_from(["55.5", "nan", "2026-06-11T00:00:00Z", "1781136000", "online", "F"])
)
KEYS = st.sampled_from(
    ["device_id", "timestamp", "temperature", "moisture", "Time", "TempUnit", "DS18B20", "status"]
) | st.text(max_size=8)
# One level of nesting is what Tasmota sensor objects need; deeper recursion only costs time.
JSON_VALUES = (
    JSON_SCALARS
    | st.lists(JSON_SCALARS, max_size=3)
    | st.dictionaries(KEYS, JSON_SCALARS, max_size=4)
)


@settings(max_examples=200, database=None)
@given(topic=st.sampled_from(TOPICS), obj=st.dictionaries(KEYS, JSON_VALUES, max_size=6))
def test_random_json_objects_never_raise(topic: str, obj: dict[str, object]) -> None:
    parser = MessageParser()
    payload = json.dumps(obj).encode()

    items = parser.parse(topic, payload, RECEIVED)

    _check_output(parser, items)
    for item in items:
        if isinstance(item, Reading) and item.quantity == "temperature":
            assert -50.0 <= item.value <= 150.0
