"""A cycle's history read for the pathogen tracker: readings, moisture, turnings, the verdict."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from compost_desktop.domain.pathogen import EPA_PFRP_IN_VESSEL, PAS_100, PathogenRule
from compost_desktop.domain.states import PathogenStatus
from compost_desktop.monitoring.parsing import Reading
from compost_desktop.monitoring.recording import ReadingWriter
from compost_desktop.services.history import (
    CycleNotFound,
    cycle_moisture,
    cycle_temperatures,
    cycle_turning_times,
    evaluate_cycle,
)
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft
from tests.support.readings import insert_readings

T0 = datetime(2026, 4, 2, tzinfo=UTC)
STEP = timedelta(minutes=10)


def new_cycle(store: Store, name: str = "Bay 1") -> int:
    return store.save_cycle(CycleDraft(name, date(2026, 4, 1), date(2026, 7, 1))).id


def series(
    probes: dict[str, float], start: datetime = T0, length: timedelta = timedelta(days=3)
) -> list[tuple[str, datetime, float]]:
    steps = int(length / STEP)
    return [
        (probe, start + i * STEP, temp) for i in range(steps + 1) for probe, temp in probes.items()
    ]


def test_temperatures_are_the_cycles_own_in_time_order(store: Store) -> None:
    cid, other = new_cycle(store), new_cycle(store, "Bay 2")
    insert_readings(
        store.engine, cid, [("b", T0 + STEP, 57.0), ("a", T0, 56.0), ("a", T0 + STEP, 58.0)]
    )
    insert_readings(store.engine, other, [("a", T0 + 2 * STEP, 20.0)])
    insert_readings(store.engine, None, [("a", T0 + 3 * STEP, 21.0)])
    insert_readings(store.engine, cid, [("a", T0, 50.0)], quantity="moisture")
    got = cycle_temperatures(store.engine, cid)
    assert got == [("a", T0, 56.0), ("a", T0 + STEP, 58.0), ("b", T0 + STEP, 57.0)]
    assert all(at.tzinfo is not None for _, at, _ in got)
    assert cycle_moisture(store.engine, cid) == [("a", T0, 50.0)]
    assert cycle_temperatures(store.engine, new_cycle(store, "Empty")) == []


def test_readings_written_by_the_recorder_belong_to_the_active_cycle(store: Store) -> None:
    cid = new_cycle(store)
    activated = store.activate(cid).activated_at
    assert activated is not None
    at = activated + timedelta(minutes=5)
    writer = ReadingWriter(store.engine)
    writer.add(
        [
            Reading("probe-1", "temperature", 61.5, at, at, "compost/probe-1"),
            Reading("probe-1", "moisture", 55.0, at, at, "compost/probe-1"),
        ]
    )
    writer.flush()
    assert cycle_temperatures(store.engine, cid) == [("probe-1", at, 61.5)]
    assert cycle_moisture(store.engine, cid) == [("probe-1", at, 55.0)]


def test_three_days_at_56_on_two_probes_meets_the_aerated_rule(store: Store) -> None:
    cid = new_cycle(store)
    insert_readings(store.engine, cid, series({"a": 56.0, "b": 56.5}))
    result = evaluate_cycle(store.engine, cid, EPA_PFRP_IN_VESSEL, T0 + timedelta(days=4))
    assert result.status is PathogenStatus.MET
    assert result.met_at == T0 + timedelta(days=3)
    assert result.best_run_duration == timedelta(days=3)


def test_one_cold_probe_holds_an_active_cycle_at_not_yet(store: Store) -> None:
    cid = new_cycle(store)
    store.activate(cid)
    insert_readings(store.engine, cid, series({"a": 62.0, "b": 41.0}))
    result = evaluate_cycle(store.engine, cid, EPA_PFRP_IN_VESSEL, T0 + timedelta(days=4))
    assert result.status is PathogenStatus.NOT_YET
    assert any("probe b" in reason for reason in result.reasons)


def test_a_finished_cycle_that_never_met_the_rule_failed(store: Store) -> None:
    cid = new_cycle(store)
    store.activate(cid)
    insert_readings(store.engine, cid, series({"a": 56.0}, length=timedelta(days=2)))
    store.complete(cid)
    result = evaluate_cycle(store.engine, cid, EPA_PFRP_IN_VESSEL, T0 + timedelta(days=4))
    assert result.status is PathogenStatus.FAILED
    store.archive(cid)
    again = evaluate_cycle(store.engine, cid, EPA_PFRP_IN_VESSEL, T0 + timedelta(days=4))
    assert again.status is PathogenStatus.FAILED


def test_the_turning_log_supplies_the_turn_count(store: Store) -> None:
    rule = PathogenRule("two-turns", "Two turns", 55.0, timedelta(days=1), min_turnings=2)
    cid = new_cycle(store)
    insert_readings(store.engine, cid, series({"a": 58.0}, length=timedelta(days=2)))
    now = T0 + timedelta(days=3)
    store.add_turning(cid, T0 + timedelta(hours=6), "Ann", None)
    assert evaluate_cycle(store.engine, cid, rule, now).status is PathogenStatus.NOT_YET
    store.add_turning(cid, T0 + timedelta(hours=30), "Ann", None)
    result = evaluate_cycle(store.engine, cid, rule, now)
    assert result.status is PathogenStatus.MET
    assert result.met_at == T0 + timedelta(hours=30)
    assert cycle_turning_times(store.engine, cid) == [
        T0 + timedelta(hours=6),
        T0 + timedelta(hours=30),
    ]


def test_moisture_rules_read_the_cycles_moisture(store: Store) -> None:
    cid = new_cycle(store)
    insert_readings(store.engine, cid, series({"a": 66.0}, length=timedelta(days=7)))
    days = [("m", T0 + timedelta(hours=12 * i), 55.0) for i in range(15)]
    now = T0 + timedelta(days=8)
    assert evaluate_cycle(store.engine, cid, PAS_100, now).status is PathogenStatus.NOT_YET
    insert_readings(store.engine, cid, days, quantity="moisture")
    assert evaluate_cycle(store.engine, cid, PAS_100, now).status is PathogenStatus.MET


def test_an_unknown_cycle_is_reported(store: Store) -> None:
    with pytest.raises(CycleNotFound):
        evaluate_cycle(store.engine, 9999, EPA_PFRP_IN_VESSEL, T0)
