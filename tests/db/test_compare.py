"""Comparing cycles: curves aligned on day 0 and figures with known answers, on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from compost_desktop.db.models import Cycle
from compost_desktop.services.compare import DayZero, compare_cycles, cycle_choices
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft, InputDraft
from tests.support.readings import insert_readings

T0 = datetime(2026, 4, 2, 6, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def run_cycle(store: Store, name: str, day0: datetime) -> int:
    """A cycle that was activated at `day0` and is finished now."""
    cid = store.save_cycle(CycleDraft(name, day0.date(), day0.date() + timedelta(days=90))).id
    store.activate(cid)
    with store.engine.begin() as conn:
        conn.execute(sa.update(Cycle).where(Cycle.id == cid).values(activated_at=day0))
    store.complete(cid)
    return cid


def add(store: Store, cid: int, material: str, kg: float, at: datetime) -> None:
    found = store.find_material(material)
    assert found is not None, material
    store.add_input(cid, InputDraft(found.id, mass_kg=kg, added_at=at))


def lowest_profile(hour: int) -> float:
    """Cold two days, hot six, lukewarm, then a half-day back above 55 °C."""
    if hour < 48:
        return 30.0
    if hour < 192:
        return 60.0
    if 216 <= hour < 228:
        return 57.0
    return 40.0


@pytest.fixture
def hot_cycle(store: Store) -> int:
    cid = run_cycle(store, "Kitchen + leaves", T0)
    add(store, cid, "Kitchen scraps", 10, T0 + 2 * HOUR)
    add(store, cid, "Leaves, shredded", 5, T0 + 20 * HOUR)
    add(store, cid, "Straw", 100, T0 + timedelta(days=3))  # topped up later: not the start mix
    hours = range(240)
    insert_readings(store.engine, cid, [("core", T0 + h * HOUR, lowest_profile(h)) for h in hours])
    warmer = [("edge", T0 + h * HOUR, lowest_profile(h) + 5) for h in hours if h != 100]
    # One hot half hour: the peak is a reading, not an hourly mean.
    warmer += [("edge", T0 + 100 * HOUR, 64.0), ("edge", T0 + 100.5 * HOUR, 71.5)]
    insert_readings(store.engine, cid, warmer)
    # A hand thermometer is not a probe: neither its 90 °C nor its count show here.
    insert_readings(store.engine, cid, [("hand:north", T0 + 30 * HOUR, 90.0)], source="manual")
    return cid


def test_a_cycle_that_got_hot_on_day_two(store: Store, hot_cycle: int) -> None:
    (c,) = compare_cycles(store.engine, [hot_cycle])
    assert c.label == "Kitchen + leaves"
    assert c.day0 == T0 and c.day0_source is DayZero.ACTIVATION
    assert c.days_to_target == pytest.approx(2.0)
    # 144 hours in one stretch and 12 more later: a total, not the longest stretch.
    assert c.days_at_target == pytest.approx(6.5)
    assert c.peak_c == pytest.approx(71.5)
    assert c.readings == 240 + 241
    # The start mix is the worked check of the brief; the straw on day 3 is left out.
    assert c.cn_at_start == pytest.approx(25.89, abs=0.01)
    assert c.moisture_at_start == pytest.approx(59.33, abs=0.01)
    assert not c.mix_from_all_inputs and not c.mix_estimate
    # Curves are hourly, aligned on day 0: the coldest probe, and the mean of both.
    assert len(c.lowest) == 240
    assert c.lowest.days[:3] == pytest.approx([0.0, 1 / 24, 2 / 24])
    assert c.lowest.celsius[47:49] == [30.0, 60.0]
    assert c.lowest.days[-1] == pytest.approx(239 / 24)
    assert c.pile_mean.celsius[10] == pytest.approx(32.5)
    assert c.pile_mean.celsius[100] == pytest.approx((60.0 + (64.0 + 71.5) / 2) / 2)


def test_a_cycle_that_never_reached_55_and_one_without_readings(store: Store) -> None:
    day0 = datetime(2026, 5, 10, 6, 30, tzinfo=UTC)
    lukewarm = run_cycle(store, "Woody overs", day0)
    half_hours = [day0 + timedelta(minutes=30 * i) for i in range(96)]
    insert_readings(
        store.engine,
        lukewarm,
        [("core", at, 40 + 14.9 * i / 95) for i, at in enumerate(half_hours)],
    )
    # Its only delivery was logged on day 5: the start mix falls back to all inputs, flagged.
    add(store, lukewarm, "Horse manure", 700, day0 + timedelta(days=5))
    planned = store.save_cycle(CycleDraft("Next bay", date(2026, 6, 1), date(2026, 9, 1))).id

    warm, empty = compare_cycles(store.engine, [lukewarm, planned])
    assert warm.days_to_target is None
    assert warm.days_at_target == 0.0
    assert warm.peak_c == pytest.approx(54.9)
    assert warm.readings == 96 and len(warm.lowest) == 48
    assert warm.mix_from_all_inputs
    assert warm.cn_at_start == pytest.approx(30.0) and warm.moisture_at_start == pytest.approx(72.0)

    assert empty.label == "Next bay"
    assert empty.day0 == datetime(2026, 6, 1, tzinfo=UTC)
    assert empty.day0_source is DayZero.START_DATE
    assert (empty.days_to_target, empty.peak_c, empty.days_at_target) == (None, None, None)
    assert (empty.cn_at_start, empty.moisture_at_start) == (None, None)
    assert empty.readings == 0 and len(empty.lowest) == 0 and len(empty.pile_mean) == 0
    assert not empty.mix_from_all_inputs


def test_order_is_kept_duplicates_once_deleted_cycles_left_out(
    store: Store, hot_cycle: int
) -> None:
    other = run_cycle(store, "Second", T0 + timedelta(days=30))
    gone = run_cycle(store, "Deleted meanwhile", T0 + timedelta(days=60))
    store.delete_cycle(gone)
    found = compare_cycles(store.engine, [other, hot_cycle, gone, other])
    assert [c.cycle_id for c in found] == [other, hot_cycle]
    choices = cycle_choices(store.engine)
    assert [c.name for c in choices] == ["Second", "Kitchen + leaves"]  # newest start first


def test_readings_before_day_0_stay_on_the_curve_at_negative_days(store: Store) -> None:
    cid = run_cycle(store, "Early probe", T0)
    insert_readings(store.engine, cid, [("core", T0 + h * HOUR, 56.0) for h in range(-3, 5)])
    (c,) = compare_cycles(store.engine, [cid])
    assert c.lowest.days[0] == pytest.approx(-3 / 24)
    assert c.days_to_target == 0.0  # already hot when activated
    assert c.days_at_target == pytest.approx(8 / 24)


def test_coarser_buckets_count_the_same_days(store: Store, hot_cycle: int) -> None:
    (c,) = compare_cycles(store.engine, [hot_cycle], buckets_per_day=4)
    assert len(c.lowest) == 40
    assert c.days_to_target == pytest.approx(2.0)
    assert c.days_at_target == pytest.approx(6.5)
    with pytest.raises(ValueError):
        compare_cycles(store.engine, [hot_cycle], buckets_per_day=0)
