"""Readings reduced for charts in the database: right buckets, right extremes, both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from compost_desktop.domain.phases import Phase
from compost_desktop.services import chart_data
from compost_desktop.services.history import CycleNotFound
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft, InputDraft
from tests.support.readings import insert_readings

T0 = datetime(2026, 4, 2, tzinfo=UTC)


def new_cycle(store: Store) -> int:
    return store.save_cycle(CycleDraft("Bay 1", date(2026, 4, 1), date(2026, 7, 1))).id


def test_a_day_of_minute_readings_comes_back_as_the_requested_buckets(store: Store) -> None:
    cid = new_cycle(store)
    minutes = [T0 + timedelta(minutes=m) for m in range(24 * 60)]
    # A saw-tooth: each hour climbs from 40 to 40+59*0.1 so min/max per hour are known.
    insert_readings(
        store.engine, cid, [("probe-a", at, 40 + (i % 60) * 0.1) for i, at in enumerate(minutes)]
    )
    insert_readings(store.engine, cid, [("probe-b", at, 60.0) for at in minutes])
    win = chart_data.window(store.engine, cid, T0, T0 + timedelta(hours=24), buckets=24)
    assert win.points == 2 * 24 * 60
    a, _b = (next(s for s in win.series if s.device_id == d) for d in ("probe-a", "probe-b"))
    assert len(a.times) == 24 and a.bucket == list(range(24))
    assert a.low[5] == pytest.approx(40.0) and a.high[5] == pytest.approx(45.9)
    assert a.mean[5] == pytest.approx(42.95)
    # Bucket times are where the readings were, not the bucket edges.
    assert a.times[0] == pytest.approx(chart_data.epoch(T0) + 29.5 * 60)
    lowest = chart_data.lowest_probe(win.series)
    assert lowest is not None and lowest.mean[3] == pytest.approx(42.95)


def test_a_zoomed_window_reads_only_its_range(store: Store) -> None:
    cid = new_cycle(store)
    insert_readings(
        store.engine, cid, [("p", T0 + timedelta(hours=h), float(h)) for h in range(100)]
    )
    win = chart_data.window(
        store.engine, cid, T0 + timedelta(hours=10), T0 + timedelta(hours=19), buckets=1000
    )
    (series,) = win.series
    assert series.mean == [float(h) for h in range(10, 20)]
    assert win.bucket_seconds >= 1.0


def test_hand_readings_are_their_own_series_and_not_a_probe(store: Store) -> None:
    cid = new_cycle(store)
    insert_readings(store.engine, cid, [("p", T0 + timedelta(hours=h), 60.0) for h in range(10)])
    insert_readings(
        store.engine, cid, [("hand:north", T0 + timedelta(hours=5), 20.0)], source="manual"
    )
    win = chart_data.window(store.engine, cid, T0, T0 + timedelta(hours=10), buckets=10)
    hand = [s for s in win.series if s.manual]
    assert [s.device_id for s in hand] == ["hand:north"]
    lowest = chart_data.lowest_probe(win.series)
    assert lowest is not None and min(lowest.mean) == 60.0


def test_cycle_history_has_markers_phases_and_other_quantities(store: Store) -> None:
    cid = new_cycle(store)
    material = store.find_material("Leaves")
    assert material is not None
    store.add_input(cid, InputDraft(material.id, mass_kg=120, added_at=T0 - timedelta(hours=2)))
    store.add_turning(cid, T0 + timedelta(days=3), "Sam", None)
    temps = [20.0] * 24 + [58.0] * 96 + [35.0] * 24 + [25.0] * 48
    insert_readings(
        store.engine, cid, [("p", T0 + timedelta(hours=i), v) for i, v in enumerate(temps)]
    )
    insert_readings(
        store.engine,
        cid,
        [("m", T0 + timedelta(hours=i), 55.0) for i in range(0, len(temps), 6)],
        quantity="moisture",
    )
    history = chart_data.cycle_history(store.engine, cid, buckets=500)
    assert history.extent.points == len(temps) + len(range(0, len(temps), 6))
    assert history.window is not None
    assert history.window.quantities == ["temperature", "moisture"]
    # The axis reaches back to the delivery made before the first reading.
    assert history.window.start == pytest.approx(chart_data.epoch(T0 - timedelta(hours=2)))
    assert [m.label for m in history.inputs] == ["Leaves, shredded 120 kg"]
    assert [(m.at, m.label) for m in history.turnings] == [
        (chart_data.epoch(T0 + timedelta(days=3)), "Turned by Sam")
    ]
    assert [s.phase for s in history.phases] == [
        Phase.MESOPHILIC,
        Phase.THERMOPHILIC,
        Phase.COOLING,
        Phase.CURING,
    ]


def test_an_empty_cycle_and_a_missing_one(store: Store) -> None:
    cid = new_cycle(store)
    history = chart_data.cycle_history(store.engine, cid)
    assert history.window is None and history.extent.points == 0
    with pytest.raises(CycleNotFound):
        chart_data.cycle_history(store.engine, cid + 1000)
