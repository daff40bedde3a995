"""Cycles side by side: temperature curves aligned on day 0 and the figures that tell recipes apart.

The farm learns which recipes work by laying finished piles over each other: how fast each got
hot, how hot, for how long, and what mix it started from. Readings are reduced in the database
by `chart_data` (hourly buckets by default), so comparing cycles of a million readings each
never loads the raw rows. No Qt here: the comparison dialog calls this through its runner.

Day 0 of a cycle is the moment it was activated: readings are recorded against the active
cycle, so that is when its curve can start. A cycle never activated (planned, or inherited
from the old system without an activation time) starts at 00:00 UTC of its start date, and a
cycle with neither starts at its first reading. Readings before day 0 (data from another tool,
a clock that was wrong) are kept on the curve at negative days rather than dropped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from enum import Enum
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from compost_desktop.db.models import Cycle
from compost_desktop.domain.lifecycle import CycleStatus
from compost_desktop.domain.mix import analyse
from compost_desktop.domain.quantities import TEMPERATURE
from compost_desktop.services import chart_data
from compost_desktop.services.store import NotFoundError, Store
from compost_desktop.services.values import CycleRecord, InputRecord

# The temperature every pathogen-reduction preset of the brief starts from.
THERMOPHILIC_TARGET_C: Final = 55.0
SECONDS_PER_DAY: Final = 86_400.0
# Deliveries made by the end of the first day still count as the starting mix.
START_MIX_GRACE: Final = timedelta(days=1)


class DayZero(Enum):
    """Where a cycle's day 0 came from; the dialog says it in a tooltip."""

    ACTIVATION = "activation"
    START_DATE = "start date"
    FIRST_READING = "first reading"
    UNKNOWN = "unknown"

    @property
    def explanation(self) -> str:
        return {
            DayZero.ACTIVATION: "when the cycle was activated",
            DayZero.START_DATE: "its start date at 00:00 UTC (it was never activated)",
            DayZero.FIRST_READING: "its first reading (it has no start date)",
            DayZero.UNKNOWN: "unknown: the cycle has no start date and no readings",
        }[self]


@dataclass(frozen=True, slots=True)
class Curve:
    """A temperature line: days since day 0 against °C, one point per bucket with readings."""

    days: list[float] = field(default_factory=list)
    celsius: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.days)


@dataclass(frozen=True, slots=True)
class CycleComparison:
    """One cycle's curves and figures, aligned on its day 0."""

    cycle_id: int
    label: str
    status: CycleStatus
    day0: datetime | None
    day0_source: DayZero
    lowest: Curve  # coldest probe's bucket mean: what pathogen rules are judged on
    pile_mean: Curve  # mean over probes: how the pile as a whole ran
    days_to_target: float | None  # None: never reached (or no readings)
    peak_c: float | None
    days_at_target: float | None  # total, not necessarily one stretch; None without readings
    cn_at_start: float | None
    moisture_at_start: float | None
    mix_estimate: bool  # some %N or moisture of the inputs was assumed
    mix_from_all_inputs: bool  # no input dated by day 1: the whole cycle's inputs were used
    readings: int  # probe temperature readings behind the curves
    threshold_c: float = THERMOPHILIC_TARGET_C
    buckets_per_day: int = 24


@dataclass(frozen=True, slots=True)
class CycleChoice:
    """A cycle that can be added to a comparison."""

    id: int
    name: str
    status: CycleStatus
    start: datetime | None


def compare_cycles(
    engine: Engine,
    cycle_ids: Iterable[int],
    buckets_per_day: int = 24,
    threshold_c: float = THERMOPHILIC_TARGET_C,
) -> list[CycleComparison]:
    """The comparison of each cycle, in the order asked; cycles deleted meanwhile are left out.

    The caller knows which ids it asked for, so it can say which ones are gone. Per cycle,
    with buckets of 1/`buckets_per_day` day (an hour by default) laid from day 0:

    - days to target: from day 0 to the first bucket whose coldest-probe mean is at or above
      `threshold_c`; None if that never happened;
    - days at target: the buckets at or above it, counted and divided by `buckets_per_day`:
      the total time, not necessarily one stretch, and buckets without readings do not count;
    - peak: the highest single probe reading (bucket maxima, not means);
    - start mix: C:N and moisture of the inputs added by day 0 + 1 day, or of all inputs
      (flagged) when none is dated by then;
    - readings: the probe temperature readings behind the curves.

    Hand readings are left out of curves and figures, as in `chart_data.lowest_probe`: a spot
    check every few days is not a probe that runs between visits.
    """
    if buckets_per_day < 1:
        raise ValueError("at least one bucket per day is needed")
    store = Store(engine)
    out: list[CycleComparison] = []
    for cycle_id in dict.fromkeys(cycle_ids):  # a cycle asked for twice is shown once
        try:
            record = store.cycle(cycle_id)
        except NotFoundError:
            continue
        out.append(_compare(engine, record, buckets_per_day, threshold_c))
    return out


def cycle_choices(engine: Engine) -> list[CycleChoice]:
    """Every cycle by name, newest start first: what the dialog offers to add."""
    c = Cycle.__table__.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(c.id, c.name, c.status, c.start_date).order_by(
                c.start_date.desc().nulls_last(), c.id.desc()
            )
        ).all()
    return [
        CycleChoice(
            int(row.id),
            row.name or f"Cycle #{row.id}",
            CycleStatus(row.status),
            None if row.start_date is None else datetime.combine(row.start_date, time(), UTC),
        )
        for row in rows
    ]


def day_zero(
    record: CycleRecord, first_reading: datetime | None
) -> tuple[datetime | None, DayZero]:
    """Activation, else the start date at midnight UTC, else the first reading."""
    if record.activated_at is not None:
        return record.activated_at, DayZero.ACTIVATION
    if record.start_date is not None:
        return datetime.combine(record.start_date, time(), UTC), DayZero.START_DATE
    if first_reading is not None:
        return first_reading, DayZero.FIRST_READING
    return None, DayZero.UNKNOWN


def starting_inputs(
    inputs: Iterable[InputRecord], day0: datetime | None
) -> tuple[list[InputRecord], bool]:
    """Inputs added up to day 0 + 1 day; when none is dated by then, all of them (flagged)."""
    everything = list(inputs)
    if day0 is not None:
        cutoff = day0 + START_MIX_GRACE
        early = [i for i in everything if i.added_at is not None and i.added_at <= cutoff]
        if early:
            return early, False
    return everything, bool(everything)


def _compare(
    engine: Engine, record: CycleRecord, buckets_per_day: int, threshold_c: float
) -> CycleComparison:
    span = chart_data.extent(engine, record.id)
    first, last = span.first, span.last
    day0, source = day_zero(record, first)
    chosen, from_all = starting_inputs(record.inputs, day0)
    components = [c for c in (i.as_component() for i in chosen) if c is not None]
    mix = analyse(components) if components else None
    base = CycleComparison(
        cycle_id=record.id,
        label=record.name,
        status=record.status,
        day0=day0,
        day0_source=source,
        lowest=Curve(),
        pile_mean=Curve(),
        days_to_target=None,
        peak_c=None,
        days_at_target=None,
        cn_at_start=None if mix is None else mix.cn_ratio,
        moisture_at_start=None if mix is None else mix.moisture_pct,
        mix_estimate=mix is not None and mix.estimate,
        mix_from_all_inputs=from_all and mix is not None,
        readings=0,
        threshold_c=threshold_c,
        buckets_per_day=buckets_per_day,
    )
    if day0 is None or first is None or last is None:
        return base

    # Buckets are laid on day 0 so that bucket k is exactly hour k of the cycle (or before it).
    width = SECONDS_PER_DAY / buckets_per_day
    t0 = chart_data.epoch(day0)
    before = max(0, math.ceil((t0 - chart_data.epoch(first)) / width - 1e-9))
    after = max(1, math.floor((chart_data.epoch(last) - t0) / width) + 1)
    window = chart_data.window(
        engine,
        record.id,
        chart_data.from_epoch(t0 - before * width),
        chart_data.from_epoch(t0 + after * width),
        buckets=before + after,
        quantities=[TEMPERATURE],
    )
    probes = [s for s in window.series if not s.manual and s.pile]
    lowest = chart_data.lowest_probe(probes)
    if lowest is None:
        return base
    pile_times, pile_values = chart_data.pile_temperature(probes)

    # Days since day 0 of each bucket the coldest probe spent at or above the threshold.
    hot = [
        (b - before) / buckets_per_day
        for b, mean in zip(lowest.bucket, lowest.mean, strict=True)
        if mean >= threshold_c
    ]
    return replace(
        base,
        lowest=Curve([(t - t0) / SECONDS_PER_DAY for t in lowest.times], list(lowest.mean)),
        pile_mean=Curve([(t - t0) / SECONDS_PER_DAY for t in pile_times], pile_values),
        days_to_target=max(0.0, hot[0]) if hot else None,
        peak_c=max(max(s.high) for s in probes),
        days_at_target=len(hot) / buckets_per_day,
        readings=sum(s.points for s in probes),
    )
