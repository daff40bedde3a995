from __future__ import annotations

import numpy as np

from compost_desktop.gui.monitoring.plots import decimate


def test_decimation_bounds_points_and_keeps_extremes_in_time_order() -> None:
    times = np.arange(86_400, dtype=np.float64)
    values = np.full(86_400, 55.0)
    values[40_000] = 71.0  # a short spike an operator must see
    values[60_000] = 30.0  # and a dip after turning
    t, v = decimate(times, values, 1500)
    assert len(t) <= 1500
    assert v.max() == 71.0 and v.min() == 30.0
    assert np.all(np.diff(t) >= 0)  # never back in time (flat buckets repeat a point)


def test_short_series_are_untouched() -> None:
    times = np.arange(10, dtype=np.float64)
    t, v = decimate(times, times * 2, 1500)
    assert t is times and list(v) == list(times * 2)
