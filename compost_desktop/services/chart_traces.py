"""The history chart's data model: curves as arrays, a zoom spliced into the whole cycle.

Kept apart from the widget so what a chart holds, where it breaks a line and when a zoom needs
a new query are plain functions, tested without a display; the widget only draws what this
module hands it. No Qt here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Final

import numpy as np
import numpy.typing as npt
from sqlalchemy.engine import Engine

from compost_desktop.domain.phases import PhaseSpan
from compost_desktop.services import chart_data
from compost_desktop.services.chart_data import Marker, Series

LOWEST: Final = "lowest probe"
# Read this much beyond each side of the visible range, so a short pan needs no new query.
MARGIN: Final = 0.5
MIN_BUCKETS: Final = 200
MAX_BUCKETS: Final = 4000
MIN_SPAN_S: Final = 3600.0

Array = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Trace:
    """One series as arrays for a curve; `key` is the device (or the lowest probe)."""

    key: str
    quantity: str
    manual: bool
    times: Array
    mean: Array
    low: Array
    high: Array
    gap_s: float  # a longer silence between two points is drawn as a break in the line
    pile: bool = True  # a pile probe; ambient and other sensors are drawn dashed, apart

    @property
    def ident(self) -> tuple[str, str]:
        return (self.key, self.quantity)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Bucketed readings of one cycle between `start` and `end`."""

    cycle_id: int
    start: float
    end: float
    bucket_seconds: float
    traces: list[Trace]


@dataclass(frozen=True, slots=True)
class Overview:
    """The whole cycle: the snapshot, its markers and phases, and how many readings it has."""

    snapshot: Snapshot | None
    readings: int
    turnings: list[Marker] = field(default_factory=list)
    inputs: list[Marker] = field(default_factory=list)
    phases: list[PhaseSpan] = field(default_factory=list)


def trace_of(series: Series, bucket_seconds: float, key: str | None = None) -> Trace:
    """Arrays for a curve, with a break wherever the series went silent."""
    times = np.asarray(series.times, dtype=np.float64)
    spacing = float(np.median(np.diff(times))) if len(times) > 2 else bucket_seconds
    gap_s = max(3.0 * spacing, 2.5 * bucket_seconds)
    values = [np.asarray(v, dtype=np.float64) for v in (series.mean, series.low, series.high)]
    if not series.manual:
        times, values = _with_breaks(times, values, gap_s)
    return Trace(
        key=key or series.device_id,
        quantity=series.quantity,
        manual=series.manual,
        times=times,
        mean=values[0],
        low=values[1],
        high=values[2],
        gap_s=gap_s,
        pile=series.pile,
    )


def snapshot_of(window: chart_data.Window, lowest: Series | None) -> Snapshot:
    traces = [trace_of(s, window.bucket_seconds) for s in window.series]
    if lowest is not None:
        traces.insert(0, trace_of(lowest, window.bucket_seconds, LOWEST))
    return Snapshot(window.cycle_id, window.start, window.end, window.bucket_seconds, traces)


def load_overview(engine: Engine, cycle_id: int, buckets: int) -> Overview:
    """The database-thread half of opening the chart."""
    history = chart_data.cycle_history(engine, cycle_id, buckets)
    window = history.window
    if window is None or not window.series:
        return Overview(None, history.extent.points, history.turnings, history.inputs)
    return Overview(
        snapshot_of(window, history.lowest),
        history.extent.points,
        history.turnings,
        history.inputs,
        history.phases,
    )


def load_snapshot(
    engine: Engine, cycle_id: int, start: float, end: float, buckets: int
) -> Snapshot:
    """The database-thread half of a zoom: the range at finer buckets, lowest probe included."""
    window = chart_data.window(
        engine,
        cycle_id,
        chart_data.from_epoch(start),
        chart_data.from_epoch(end),
        buckets,
    )
    return snapshot_of(window, chart_data.lowest_probe(window.series))


def _with_breaks(times: Array, values: list[Array], gap_s: float) -> tuple[Array, list[Array]]:
    """NaN between two points further apart than `gap_s`: a silent sensor is not a flat line."""
    if len(times) < 2:
        return times, values
    at = np.flatnonzero(np.diff(times) > gap_s) + 1
    if not len(at):
        return times, values
    middle = (times[at - 1] + times[at]) / 2.0
    return np.insert(times, at, middle), [np.insert(v, at, np.nan) for v in values]


def spliced(outer: Trace | None, inner: Trace | None, start: float, end: float) -> Trace | None:
    """`outer` outside [start, end], `inner` inside: a fine zoom inside a coarse whole cycle."""
    base = outer or inner
    if base is None:
        return None
    parts: list[tuple[Array, list[Array], float]] = []
    if outer is not None:
        parts.append(_part(outer, outer.times < start))
    if inner is not None:
        parts.append((inner.times, [inner.mean, inner.low, inner.high], inner.gap_s))
    if outer is not None:
        parts.append(_part(outer, outer.times > end))
    times_parts: list[Array] = []
    value_parts: list[list[Array]] = [[], [], []]
    last: float | None = None
    last_gap = 0.0
    for times, values, gap_s in parts:
        if not len(times):
            continue
        if not base.manual and last is not None and times[0] - last > max(gap_s, last_gap):
            times_parts.append(np.array([(last + times[0]) / 2.0]))
            for bucket in value_parts:
                bucket.append(np.array([np.nan]))
        times_parts.append(times)
        for bucket, v in zip(value_parts, values, strict=True):
            bucket.append(v)
        last, last_gap = float(times[-1]), gap_s
    empty = np.empty(0, dtype=np.float64)
    joined = [np.concatenate(p) if p else empty for p in value_parts]
    return Trace(
        key=base.key,
        quantity=base.quantity,
        manual=base.manual,
        times=np.concatenate(times_parts) if times_parts else empty,
        mean=joined[0],
        low=joined[1],
        high=joined[2],
        gap_s=base.gap_s,
        pile=base.pile,
    )


def _part(trace: Trace, where: npt.NDArray[np.bool_]) -> tuple[Array, list[Array], float]:
    return (
        trace.times[where],
        [trace.mean[where], trace.low[where], trace.high[where]],
        trace.gap_s,
    )


def spliced_all(whole: Snapshot, zoom: Snapshot) -> list[Trace]:
    """Every series of the whole cycle with the zoom's finer data inside the zoom's range."""
    outer = {t.ident: t for t in whole.traces}
    inner = {t.ident: t for t in zoom.traces}
    return [
        trace
        for ident in outer.keys() | inner.keys()
        if (trace := spliced(outer.get(ident), inner.get(ident), zoom.start, zoom.end)) is not None
    ]


def whole_range(snap: Snapshot) -> tuple[float, float]:
    """The whole cycle, or an hour around a cycle that has barely started."""
    if snap.end - snap.start >= MIN_SPAN_S:
        return (snap.start, snap.end)
    middle = (snap.start + snap.end) / 2.0
    return (middle - MIN_SPAN_S / 2.0, middle + MIN_SPAN_S / 2.0)


def quantities(traces: Iterable[Trace]) -> list[str]:
    """One plot per quantity the cycle measured, temperature first."""
    return sorted({t.quantity for t in traces}, key=chart_data.quantity_order)


def buckets_for(pixels: float) -> int:
    """About one bucket per device pixel, within what a query and a curve can afford."""
    return max(MIN_BUCKETS, min(MAX_BUCKETS, int(pixels)))


class Zoom(Enum):
    """What a settled view needs besides a new query."""

    KEEP = "keep"  # what the chart holds covers the view finely enough
    WHOLE = "whole"  # zoomed back out: the whole-cycle data is enough again


@dataclass(frozen=True, slots=True)
class Fetch:
    """Read this range again at these buckets (the view plus a margin for panning)."""

    start: float
    end: float
    buckets: int


def after_zoom(
    whole: Snapshot, held: Snapshot | None, x0: float, x1: float, pixels: int
) -> Zoom | Fetch:
    """Decide, once the user stops zooming, whether the visible range needs finer data."""
    x0, x1 = max(x0, whole.start), min(x1, whole.end)
    if x1 <= x0:
        return Zoom.KEEP
    visible = x1 - x0
    wanted = visible / pixels  # seconds per pixel
    if whole.bucket_seconds <= wanted * 1.5:
        return Zoom.KEEP if held is None else Zoom.WHOLE
    if (
        held is not None
        and held.start <= x0
        and held.end >= x1
        and wanted * 0.4 <= held.bucket_seconds <= max(wanted * 1.5, 1.0)
    ):
        return Zoom.KEEP
    start = max(whole.start, x0 - MARGIN * visible)
    end = min(whole.end, x1 + MARGIN * visible)
    buckets = max(MIN_BUCKETS, min(MAX_BUCKETS * 2, round((end - start) / wanted)))
    return Fetch(start, end, buckets)
