"""Composting phases read off a pile-temperature curve, for shading history charts.

The brief names the phases (mesophilic to ~45 °C, thermophilic ~45–65 °C, cooling, curing)
but not where one ends; the thresholds here are a display aid, not a judgement, and short
dips are bridged so one cold reading does not split the thermophilic phase in two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

THERMOPHILIC_C = 45.0
CURING_BELOW_C = 30.0
BRIDGE_SECONDS = 12 * 3600.0


class Phase(Enum):
    MESOPHILIC = "mesophilic"
    THERMOPHILIC = "thermophilic"
    COOLING = "cooling"
    CURING = "curing"

    @property
    def label(self) -> str:
        return self.value.capitalize()


@dataclass(frozen=True, slots=True)
class PhaseSpan:
    """One phase from `start` to `end`, in seconds since the epoch (UTC)."""

    phase: Phase
    start: float
    end: float


def phase_spans(
    times: Sequence[float],
    temperatures: Sequence[float],
    thermophilic_c: float = THERMOPHILIC_C,
    curing_below_c: float = CURING_BELOW_C,
    bridge_seconds: float = BRIDGE_SECONDS,
) -> list[PhaseSpan]:
    """Split a time-ordered pile-temperature curve into phase spans covering its whole range.

    Thermophilic runs from the first reading at or above `thermophilic_c` to the last one,
    cooling from there until the pile stays below `curing_below_c`, curing after that.
    Dips shorter than `bridge_seconds` never end a phase.
    """
    if len(times) != len(temperatures):
        raise ValueError("times and temperatures differ in length")
    if not times:
        return []
    first, last = times[0], times[-1]
    hot = [t for t, v in zip(times, temperatures, strict=True) if v >= thermophilic_c]
    if not hot:
        return [PhaseSpan(Phase.MESOPHILIC, first, last)]
    hot_start, hot_end = hot[0], hot[-1]
    spans: list[PhaseSpan] = []
    if hot_start > first:
        spans.append(PhaseSpan(Phase.MESOPHILIC, first, hot_start))
    spans.append(PhaseSpan(Phase.THERMOPHILIC, hot_start, hot_end))
    if hot_end >= last:
        return spans
    curing_start = _stays_below(times, temperatures, hot_end, curing_below_c, bridge_seconds)
    if curing_start is None:
        spans.append(PhaseSpan(Phase.COOLING, hot_end, last))
        return spans
    if curing_start > hot_end:
        spans.append(PhaseSpan(Phase.COOLING, hot_end, curing_start))
    spans.append(PhaseSpan(Phase.CURING, curing_start, last))
    return spans


def _stays_below(
    times: Sequence[float],
    temperatures: Sequence[float],
    after: float,
    limit: float,
    bridge_seconds: float,
) -> float | None:
    """The first time after `after` from which the curve never again rises above `limit`
    for longer than `bridge_seconds`; None while it is still warm at the end."""
    candidate: float | None = None
    warm_since: float | None = None
    for t, v in zip(times, temperatures, strict=True):
        if t <= after:
            continue
        if v < limit:
            warm_since = None
            if candidate is None:
                candidate = t
        else:
            if warm_since is None:
                warm_since = t
            if t - warm_since >= bridge_seconds or candidate is None:
                candidate = None
    return candidate
