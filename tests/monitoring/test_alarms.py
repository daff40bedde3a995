"""Alarm rules: raised once, cleared with hysteresis, raised again after a clear."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from compost_desktop.domain.units import TemperatureUnit
from compost_desktop.monitoring.alarms import (
    AlarmEngine,
    AlarmEvent,
    AlarmKind,
    MemoryAlarmLog,
    record_event,
)
from compost_desktop.monitoring.parsing import Reading
from compost_desktop.settings import AlarmSettings

T0 = datetime(2026, 6, 11, 8, 0, tzinfo=UTC)


def reading(
    value: float, quantity: str = "temperature", device: str = "node-1", s: int = 0
) -> Reading:
    at = T0 + timedelta(seconds=s)
    return Reading(device, quantity, value, at, at, "compost/sensor/data")


def feed(
    engine: AlarmEngine, values: list[float], quantity: str = "temperature", *, active: bool = True
) -> list[tuple[AlarmKind, bool]]:
    """All events of a series of readings, as (kind, raised) pairs."""
    out: list[tuple[AlarmKind, bool]] = []
    for i, v in enumerate(values):
        out += [(e.kind, e.raised) for e in engine.observe(reading(v, quantity, s=i), active)]
    return out


@pytest.fixture
def engine() -> AlarmEngine:
    return AlarmEngine(AlarmSettings())


def test_too_hot_is_raised_once_while_it_stays_hot(engine: AlarmEngine) -> None:
    assert feed(engine, [60, 70, 70.5, 75, 72, 69]) == [(AlarmKind.TOO_HOT, True)]
    assert engine.is_raised("node-1", AlarmKind.TOO_HOT)


def test_too_hot_clears_only_below_the_hysteresis_band(engine: AlarmEngine) -> None:
    # Default 70 °C with 2 °C hysteresis: 68.5 is still "hot", 67.9 clears.
    assert feed(engine, [71, 69, 68.5, 68.0, 67.9]) == [
        (AlarmKind.TOO_HOT, True),
        (AlarmKind.TOO_HOT, False),
    ]
    assert not engine.is_raised("node-1", AlarmKind.TOO_HOT)


def test_too_hot_is_raised_again_after_a_clear(engine: AlarmEngine) -> None:
    assert feed(engine, [71, 60, 71, 72]) == [
        (AlarmKind.TOO_HOT, True),
        (AlarmKind.TOO_HOT, False),
        (AlarmKind.TOO_HOT, True),
    ]


def test_raise_event_carries_value_threshold_and_plain_words(engine: AlarmEngine) -> None:
    [event] = engine.observe(reading(72.25), cycle_active=True)
    assert isinstance(event, AlarmEvent)
    assert (event.device_id, event.quantity, event.value, event.threshold) == (
        "node-1",
        "temperature",
        72.25,
        70.0,
    )
    assert event.raised and event.at == T0
    assert event.message.startswith("node-1 is too hot: 72.2 °C (above 70.0 °C).")
    assert "Turn" in event.message


def test_a_fahrenheit_farm_reads_its_alarms_in_fahrenheit(engine: AlarmEngine) -> None:
    engine.temperature_unit = TemperatureUnit.FAHRENHEIT
    [raised] = engine.observe(reading(72.25), cycle_active=True)
    assert raised.message.startswith("node-1 is too hot: 162.1 °F (above 158.0 °F).")
    assert (raised.value, raised.threshold) == (72.25, 70.0)  # stored in °C, as every reading
    [cleared] = engine.observe(reading(60.0, s=1), cycle_active=True)
    assert cleared.message == "node-1 is back to 140.0 °F."
    [dry] = engine.observe(reading(30.0, "moisture", s=2), cycle_active=True)
    assert "30.0 %" in dry.message


def test_devices_alarm_independently(engine: AlarmEngine) -> None:
    assert len(engine.observe(reading(71, device="a"), True)) == 1
    assert len(engine.observe(reading(71, device="b"), True)) == 1
    assert engine.observe(reading(60, device="a"), True)[0].raised is False
    assert engine.is_raised("b", AlarmKind.TOO_HOT)


def test_cold_pile_before_heating_is_not_an_alarm(engine: AlarmEngine) -> None:
    # A new pile starts at ambient: below 40 °C is expected until it has heated.
    assert feed(engine, [15, 20, 30, 39]) == []


def test_too_cold_arms_once_the_probe_has_heated(engine: AlarmEngine) -> None:
    assert feed(engine, [30, 45, 55, 41, 39.5, 35, 41, 42.5]) == [
        (AlarmKind.TOO_COLD, True),
        (AlarmKind.TOO_COLD, False),  # above 40 + 2
    ]


def test_too_cold_needs_an_active_cycle(engine: AlarmEngine) -> None:
    assert feed(engine, [55, 30, 20], active=False) == []


def test_too_cold_clears_when_the_cycle_stops_being_active(engine: AlarmEngine) -> None:
    assert feed(engine, [55, 30]) == [(AlarmKind.TOO_COLD, True)]
    [event] = engine.observe(reading(30, s=5), cycle_active=False)
    assert (event.kind, event.raised) == (AlarmKind.TOO_COLD, False)
    # Arming is forgotten: the next cycle's cold start is not an alarm.
    assert feed(engine, [20, 25]) == []


def test_moisture_too_dry_and_too_wet_with_hysteresis(engine: AlarmEngine) -> None:
    assert feed(engine, [50, 39, 38, 41, 42.5], "moisture") == [
        (AlarmKind.TOO_DRY, True),
        (AlarmKind.TOO_DRY, False),
    ]
    assert feed(engine, [66, 70, 64, 62.9, 66], "moisture") == [
        (AlarmKind.TOO_WET, True),
        (AlarmKind.TOO_WET, False),
        (AlarmKind.TOO_WET, True),
    ]


def test_moisture_alarms_do_not_need_an_active_cycle(engine: AlarmEngine) -> None:
    assert feed(engine, [30], "moisture", active=False) == [(AlarmKind.TOO_DRY, True)]


def test_other_quantities_never_alarm(engine: AlarmEngine) -> None:
    assert feed(engine, [99, 0, 99], "humidity") == []
    assert feed(engine, [95], "air_temperature") == []


def test_thresholds_follow_the_settings(engine: AlarmEngine) -> None:
    engine.settings = AlarmSettings(too_hot_c=60.0)
    assert feed(engine, [61]) == [(AlarmKind.TOO_HOT, True)]


def test_silence_is_raised_once_and_cleared_by_a_reading(engine: AlarmEngine) -> None:
    last_seen = {"node-1": T0, "node-2": T0 + timedelta(seconds=500)}
    assert engine.check_silence(T0 + timedelta(seconds=600), last_seen) == []
    [event] = engine.check_silence(T0 + timedelta(seconds=601), last_seen)
    assert (event.kind, event.device_id, event.raised) == (AlarmKind.SENSOR_SILENT, "node-1", True)
    assert "has sent nothing for 10 min" in event.message
    assert engine.check_silence(T0 + timedelta(seconds=900), last_seen) == []
    events = engine.observe(reading(50, s=901), cycle_active=True)
    assert [(e.kind, e.raised) for e in events] == [(AlarmKind.SENSOR_SILENT, False)]
    assert "reporting again" in events[0].message


def test_silence_clears_when_last_seen_moves_on(engine: AlarmEngine) -> None:
    engine.check_silence(T0 + timedelta(hours=1), {"node-1": T0})
    [event] = engine.check_silence(T0 + timedelta(hours=1), {"node-1": T0 + timedelta(minutes=59)})
    assert (event.kind, event.raised) == (AlarmKind.SENSOR_SILENT, False)


def test_active_lists_raised_alarms_and_forget_drops_them(engine: AlarmEngine) -> None:
    engine.observe(reading(75), True)
    engine.observe(reading(30, "moisture", s=1), True)
    assert [e.kind for e in engine.active] == [AlarmKind.TOO_HOT, AlarmKind.TOO_DRY]
    engine.forget("node-1")
    assert engine.active == []
    assert feed(engine, [75]) == [(AlarmKind.TOO_HOT, True)]


def test_memory_log_keeps_raises_clears_and_acknowledgements(engine: AlarmEngine) -> None:
    log = MemoryAlarmLog()
    [raised] = engine.observe(reading(75), True)
    alarm_id = record_event(log, raised)
    assert alarm_id == 1
    [cleared] = engine.observe(reading(60, s=1), True)
    assert record_event(log, cleared) is None
    log.acknowledge(1, "ana")
    row = log.rows[0]
    assert (row["kind"], row["value"], row["threshold"]) == ("too_hot", 75, 70.0)
    assert row["cleared_at"] == T0 + timedelta(seconds=1)
    assert row["acknowledged_by"] == "ana"
