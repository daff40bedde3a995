"""The history chart's data model without a display: breaks, splicing a zoom, when to re-read."""

from __future__ import annotations

import numpy as np
import pytest

from compost_desktop.domain.units import TemperatureUnit, celsius_to
from compost_desktop.services.chart_data import Series, Window
from compost_desktop.services.chart_traces import (
    LOWEST,
    Fetch,
    Snapshot,
    Trace,
    Zoom,
    after_zoom,
    quantities,
    snapshot_of,
    spliced_all,
    trace_of,
)

HOUR = 3600.0
DAY = 24 * HOUR


def series(device: str, times: list[float], values: list[float], source: str = "mqtt") -> Series:
    return Series(
        device_id=device,
        quantity="temperature",
        source=source,
        bucket=list(range(len(times))),
        times=times,
        mean=values,
        low=[v - 1 for v in values],
        high=[v + 1 for v in values],
        points=len(times),
    )


def trace(key: str, start: float, end: float, step: float, value: float) -> Trace:
    return trace_of(
        series(key, list(np.arange(start, end, step)), [value] * int((end - start) / step)), step
    )


def test_a_probe_silent_for_half_a_day_is_drawn_with_a_break() -> None:
    hours = [h * HOUR for h in range(6)] + [h * HOUR for h in range(18, 24)]
    drawn = trace_of(series("probe-a", hours, [55.0] * 12), HOUR)
    gaps = np.flatnonzero(np.isnan(drawn.mean))
    assert len(gaps) == 1 and 5 * HOUR < drawn.times[gaps[0]] < 18 * HOUR
    assert len(drawn.times) == 13


def test_hand_readings_days_apart_are_points_never_broken() -> None:
    drawn = trace_of(series("hand:centre", [0.0, 3 * DAY, 9 * DAY], [60, 58, 40], "manual"), HOUR)
    assert drawn.manual and not np.isnan(drawn.mean).any()


def test_a_zoom_replaces_the_coarse_data_inside_its_range_only() -> None:
    whole = Snapshot(1, 0.0, 10 * DAY, HOUR, [trace("probe-a", 0.0, 10 * DAY, HOUR, 50.0)])
    zoom = Snapshot(1, 4 * DAY, 5 * DAY, 60.0, [trace("probe-a", 4 * DAY, 5 * DAY, 60.0, 60.0)])
    (joined,) = spliced_all(whole, zoom)
    inside = (joined.times >= 4 * DAY) & (joined.times < 5 * DAY)
    assert set(joined.mean[inside]) == {60.0}
    assert set(joined.mean[~inside]) == {50.0}
    assert np.all(np.diff(joined.times) > 0)
    assert not np.isnan(joined.mean).any()  # the joins are no longer than the coarse spacing


def test_a_series_only_in_the_zoom_is_kept_and_one_only_outside_it_too() -> None:
    whole = Snapshot(1, 0.0, 10 * DAY, HOUR, [trace("probe-a", 0.0, 10 * DAY, HOUR, 50.0)])
    zoom = Snapshot(1, 4 * DAY, 5 * DAY, 60.0, [trace(LOWEST, 4 * DAY, 5 * DAY, 60.0, 45.0)])
    keys = {t.key for t in spliced_all(whole, zoom)}
    assert keys == {"probe-a", LOWEST}


WHOLE = Snapshot(1, 0.0, 90 * DAY, 90 * DAY / 1000, [])


def test_the_whole_cycle_on_screen_needs_no_new_query() -> None:
    assert after_zoom(WHOLE, None, 0.0, 90 * DAY, 1000) is Zoom.KEEP


def test_zooming_to_one_day_reads_that_day_and_half_a_day_each_side() -> None:
    plan = after_zoom(WHOLE, None, 40 * DAY, 41 * DAY, 1000)
    assert isinstance(plan, Fetch)
    assert (plan.start, plan.end) == (39.5 * DAY, 41.5 * DAY)
    assert plan.buckets == 2000  # one per pixel over the fetched range


def test_a_short_pan_inside_what_was_read_needs_no_new_query() -> None:
    plan = after_zoom(WHOLE, None, 40 * DAY, 41 * DAY, 1000)
    assert isinstance(plan, Fetch)
    held = Snapshot(1, plan.start, plan.end, (plan.end - plan.start) / plan.buckets, [])
    assert after_zoom(WHOLE, held, 40.2 * DAY, 41.2 * DAY, 1000) is Zoom.KEEP
    assert isinstance(after_zoom(WHOLE, held, 44 * DAY, 45 * DAY, 1000), Fetch)


def test_zooming_back_out_drops_the_fine_data() -> None:
    held = Snapshot(1, 39.5 * DAY, 41.5 * DAY, 86.4, [])
    assert after_zoom(WHOLE, held, 0.0, 90 * DAY, 1000) is Zoom.WHOLE


def test_a_view_beyond_the_cycle_is_left_alone() -> None:
    assert after_zoom(WHOLE, None, 91 * DAY, 92 * DAY, 1000) is Zoom.KEEP


def test_temperature_comes_first_then_moisture_then_what_else_was_measured() -> None:
    traces = [
        trace_of(Series("n", q, "mqtt", [0], [0.0], [1.0], [1.0], [1.0], 1), HOUR)
        for q in ("ph", "moisture", "o2", "temperature")
    ]
    assert quantities(traces) == ["temperature", "moisture", "o2", "ph"]


def test_the_lowest_probe_is_the_first_trace_of_a_snapshot() -> None:
    probe = series("probe-a", [0.0, HOUR], [50.0, 51.0])
    lowest = series("probe-a", [0.0, HOUR], [50.0, 51.0])
    snap = snapshot_of(Window(1, 0.0, HOUR, HOUR, [probe]), lowest)
    assert [t.key for t in snap.traces] == [LOWEST, "probe-a"]


@pytest.mark.parametrize(("unit", "expected"), [(TemperatureUnit.FAHRENHEIT, [131.0, 158.0])])
def test_a_whole_curve_converts_by_the_same_rule_as_one_reading(
    unit: TemperatureUnit, expected: list[float]
) -> None:
    curve = celsius_to(np.array([55.0, 70.0]), unit)
    assert list(curve) == expected == [celsius_to(55.0, unit), celsius_to(70.0, unit)]
