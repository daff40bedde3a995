"""The Qt-free monitoring session shared by the window and the headless recorder."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import compost_desktop.monitoring.session as session_module
from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.domain.phases import Phase, phase_spans
from compost_desktop.monitoring.alarms import AlarmKind, MemoryAlarmLog
from compost_desktop.monitoring.parsing import DeviceStatus, LastKnown, Reading
from compost_desktop.monitoring.recording import AlarmEntry, DatabaseAlarmLog
from compost_desktop.monitoring.registry import DeviceRegistry
from compost_desktop.monitoring.session import AlarmWriter, MonitoringSession, items_from_entries
from compost_desktop.settings import AlarmSettings

T0 = datetime(2026, 6, 11, 8, 0, tzinfo=UTC)


def reading(
    value: float, device: str = "node-1", s: float = 0, quantity: str = "temperature"
) -> Reading:
    at = T0 + timedelta(seconds=s)
    return Reading(device, quantity, value, at, at, "compost/sensor/data")


class Sink:
    def __init__(self) -> None:
        self.readings: list[Reading] = []

    def add(self, readings: list[Reading]) -> None:
        self.readings.extend(readings)


def test_a_batch_updates_buffers_devices_alarms_and_the_sink() -> None:
    sink = Sink()
    session = MonitoringSession(AlarmSettings(), sink=sink)
    batch = session.apply(
        [reading(55.0), reading(80.0, "node-2", 1), DeviceStatus("node-3", False, {}, T0)]
    )
    assert [r.value for r in sink.readings] == [55.0, 80.0]
    assert [(e.device_id, e.kind, e.raised) for e in batch.events] == [
        ("node-2", AlarmKind.TOO_HOT, True)
    ]
    assert [i.event.device_id for i in session.alarms] == ["node-2"]
    assert session.devices["node-3"].online is False
    assert len(session.series[("node-1", "temperature")]) == 1
    session.apply([reading(81.0, "node-2", 2)], record=False)
    assert len(sink.readings) == 2  # demo batches are not recorded


def test_devices_that_are_not_pile_probes_raise_no_pile_alarm_and_set_no_phase() -> None:
    session = MonitoringSession(AlarmSettings())
    session.is_pile_probe = lambda device: not device.startswith("shed-air")
    session.cycle_active = True
    events = session.apply(
        [reading(60.0, s=i * 600) for i in range(3)]
        + [reading(75.0, "shed-air", i * 600) for i in range(3)]
    ).events
    assert events == []
    assert session.phase() is Phase.THERMOPHILIC
    session.apply([reading(30.0, "shed-air", 3000), reading(20.0, "shed-air", 3600)])
    assert session.alarms == []  # a cold air sensor is not a cold pile


def test_the_live_phase_is_the_history_rule_on_the_pile_curve() -> None:
    session = MonitoringSession(AlarmSettings())
    values = [20, 35, 50, 62, 58, 44, 36]
    session.apply([reading(v, s=i * 3600) for i, v in enumerate(values)])
    session.apply([reading(v + 2, "node-2", i * 3600) for i, v in enumerate(values)])
    times, pile = session.pile_curve()
    assert list(pile) == [v + 1 for v in values]  # mean over probes per minute
    expected = phase_spans(times.tolist(), pile.tolist())[-1].phase
    assert session.phase() is expected is Phase.COOLING


def test_restored_alarms_are_listed_and_clear_with_hysteresis() -> None:
    entry = AlarmEntry(
        7, "node-1", "temperature", "too_hot", "node-1 is too hot", 81.0, 70.0, T0, None, None, None
    )
    session = MonitoringSession(AlarmSettings())
    session.restore_alarms(items_from_entries([entry]))
    session.restore_alarms(items_from_entries([entry]))  # loading twice lists it once
    assert [(i.alarm_id, i.active, i.unseen) for i in session.alarms] == [(7, True, True)]
    assert session.apply([reading(75.0, s=60)]).events == []  # still hot: not raised again
    assert session.apply([reading(69.0, s=120)]).events == []  # inside the hysteresis band
    [cleared] = session.apply([reading(67.5, s=180)]).events
    assert (cleared.kind, cleared.raised) == (AlarmKind.TOO_HOT, False)
    assert session.alarms[0].cleared_at == T0 + timedelta(seconds=180)


class FlakyLog(MemoryAlarmLog):
    down = True

    def raised(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.down:
            raise OSError("database away")
        return super().raised(*args, **kwargs)


@pytest.mark.log_allowed("^Alarms kept in memory, alarm log unavailable")
def test_alarm_writer_keeps_order_through_an_outage() -> None:
    session = MonitoringSession(AlarmSettings())
    alarm_log = FlakyLog()
    writer = AlarmWriter(alarm_log)
    writer.add(session.apply([reading(80.0)]).events)
    writer.add(session.apply([reading(60.0, s=1)]).events)
    assert not writer.flush() and writer.pending == 2
    alarm_log.down = False
    assert not writer.flush()  # backing off: no new attempt within the first second
    assert writer.flush(force=True) and writer.pending == 0
    assert alarm_log.rows[0]["cleared_at"] == T0 + timedelta(seconds=1)


def test_one_hot_spell_logged_by_a_pc_and_the_recorder_is_listed_and_acknowledged_once(
    tmp_path: Path,
) -> None:
    url = resolve_url(f"sqlite:///{tmp_path / 'farm.db'}")
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        alarm_log = DatabaseAlarmLog(engine)
        pc = alarm_log.raised("node-1", "temperature", "too_hot", "hot", 81.0, 70.0, T0)
        alarm_log.raised(
            "node-1", "temperature", "too_hot", "hot", 81.0, 70.0, T0 + timedelta(seconds=40)
        )
        later = T0 + timedelta(hours=3)
        alarm_log.raised("node-1", "temperature", "too_hot", "hot again", 82.0, 70.0, later)
        session = MonitoringSession(AlarmSettings())
        session.restore_alarms(items_from_entries(alarm_log.needing_attention()))
        assert [i.event.at for i in session.alarms] == [later, T0]
        alarm_log.acknowledge(pc, "ana")
        seen = {e.raised_at: e.acknowledged_by for e in alarm_log.recent()}
        assert seen == {T0: "ana", T0 + timedelta(seconds=40): "ana", later: None}
    finally:
        engine.dispose()


def test_the_phase_is_recomputed_at_most_every_refresh_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    # The session reads the time module's clock (session_module.time is this same module).
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    session = MonitoringSession(AlarmSettings())
    session.apply([reading(60.0, s=i * 600) for i in range(3)])
    assert session.phase() is Phase.THERMOPHILIC
    session.apply([reading(20.0, s=3600 + i * 600) for i in range(40)])
    clock[0] += session_module.PHASE_REFRESH_S - 1
    assert session.phase() is Phase.THERMOPHILIC  # the window asks every second: cached
    clock[0] += 1
    assert session.phase() is Phase.CURING


def test_a_last_known_value_is_shown_but_never_recorded_alarmed_or_buffered() -> None:
    sink = Sink()
    session = MonitoringSession(AlarmSettings(), sink=sink)
    retained = reading(85.0, "farm/dead-node")  # too hot, but days old
    batch = session.apply([LastKnown(retained)])
    assert batch.readings == [] and batch.events == []
    assert batch.last_known == [retained]  # for the registry
    assert sink.readings == [] and session.alarms == []
    assert session.latest[("farm/dead-node", "temperature")] is retained
    info = session.devices["farm/dead-node"]
    assert info.last_known and info.last_seen is None  # not "seen": silence is not judged
    assert ("farm/dead-node", "temperature") not in session.series

    live = reading(55.0, "farm/dead-node", 60)
    session.apply([live, LastKnown(reading(85.0, "farm/dead-node", 61))])
    assert session.latest[("farm/dead-node", "temperature")] is live  # live wins
    assert not session.devices["farm/dead-node"].last_known
    assert [r.value for r in sink.readings] == [55.0]


def test_the_registry_decides_which_devices_count_for_the_pile() -> None:
    registry = DeviceRegistry(None)
    registry.observe("pile-a/SHT3X", "temperature", "tasmota")
    registry.observe("pile-a/DS18B20-0316A279AAAA", "temperature", "tasmota")
    session = MonitoringSession(AlarmSettings(), is_pile_probe=registry.is_pile_probe)
    session.cycle_active = True
    events = session.apply(
        [reading(81.0, "pile-a/SHT3X"), reading(82.0, "pile-a/DS18B20-0316A279AAAA")]
    ).events
    assert [e.device_id for e in events] == ["pile-a/DS18B20-0316A279AAAA"]
