"""A cycle's readings reduced for charts: min, mean and max per time bucket, per series.

A cycle can hold a million readings; a chart a few thousand pixels wide needs no more than a
few thousand points per line. The reduction runs in the database (one GROUP BY over the
``(batch_id, measured_at)`` index), so neither Python nor the widget ever holds the raw rows.
Zooming in asks again for the visible range only, with buckets as fine as the screen needs.
No Qt here: the history chart, the report and the comparison all read through this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

from compost_desktop.db.devices import pile_probe_clause
from compost_desktop.db.models import Cycle, Input, SensorDevice, SensorReading, Turning
from compost_desktop.db.rollup import SLOT_SECONDS, reading_rollup
from compost_desktop.domain.phases import PhaseSpan, phase_spans
from compost_desktop.domain.quantities import CO2, HUMIDITY, MOISTURE, O2, TEMPERATURE
from compost_desktop.services.history import CycleNotFound

MANUAL = "manual"
QUANTITY_ORDER = (TEMPERATURE, MOISTURE, O2, CO2, HUMIDITY)
DEFAULT_BUCKETS = 1500
_JULIAN_UNIX_EPOCH = 2440587.5
_EDGE_NUDGE = 0.001  # seconds


@dataclass(frozen=True, slots=True)
class Series:
    """One device's quantity, bucketed; times are bucket means in seconds since the epoch."""

    device_id: str
    quantity: str
    source: str
    bucket: list[int]
    times: list[float]
    mean: list[float]
    low: list[float]
    high: list[float]
    points: int  # raw readings the buckets stand for
    pile: bool = True  # a pile probe per the device registry (ambient/other/ignored: False)

    @property
    def manual(self) -> bool:
        return self.source == MANUAL


@dataclass(frozen=True, slots=True)
class Marker:
    """Something that happened to the pile: a turning or a delivery."""

    at: float  # seconds since the epoch, UTC
    label: str


@dataclass(frozen=True, slots=True)
class Extent:
    """Where a cycle's readings start and end, and how many there are."""

    first: datetime | None
    last: datetime | None
    points: int


@dataclass(frozen=True, slots=True)
class Window:
    """Bucketed readings of one cycle between `start` and `end`."""

    cycle_id: int
    start: float
    end: float
    bucket_seconds: float
    series: list[Series]

    def of(self, quantity: str) -> list[Series]:
        return [s for s in self.series if s.quantity == quantity]

    @property
    def quantities(self) -> list[str]:
        return sorted({s.quantity for s in self.series}, key=quantity_order)

    @property
    def points(self) -> int:
        return sum(s.points for s in self.series)


@dataclass(frozen=True, slots=True)
class CycleHistory:
    """What the history chart shows first: the whole cycle, its markers and phases."""

    cycle_id: int
    extent: Extent
    window: Window | None
    turnings: list[Marker] = field(default_factory=list)
    inputs: list[Marker] = field(default_factory=list)
    lowest: Series | None = None
    phases: list[PhaseSpan] = field(default_factory=list)


def quantity_order(quantity: str) -> tuple[int, str]:
    """Temperature first (the pile is judged on it), moisture next, then the gases, then the rest."""
    known = QUANTITY_ORDER.index(quantity) if quantity in QUANTITY_ORDER else len(QUANTITY_ORDER)
    return (known, quantity)


def epoch(value: datetime) -> float:
    """Seconds since the epoch of an aware datetime."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given where a UTC time is expected")
    return value.timestamp()


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _epoch_sql(conn: Connection) -> ColumnElement[float]:
    """measured_at as seconds since the epoch, in the dialect's own arithmetic."""
    column = SensorReading.__table__.c.measured_at
    if conn.dialect.name == "sqlite":
        # Stored as naive UTC text; julianday() reads it, with or without fractions.
        return (sa.func.julianday(column) - _JULIAN_UNIX_EPOCH) * 86400.0
    return sa.cast(sa.extract("epoch", column), sa.Float)


def extent(engine: Engine, cycle_id: int) -> Extent:
    """First and last reading time of a cycle, and the number of readings."""
    with engine.connect() as conn:
        return _extent(conn, cycle_id)


def _extent(conn: Connection, cycle_id: int) -> Extent:
    """Two index look-ups and the rollup's counts: min, max and count(*) in one query would
    walk every reading of the cycle (a third of a second for a million)."""
    r = SensorReading
    times = sa.select(r.measured_at).where(r.cycle_id == cycle_id)
    first = conn.execute(times.order_by(r.measured_at.asc()).limit(1)).scalar()
    last = conn.execute(times.order_by(r.measured_at.desc()).limit(1)).scalar()
    rollup = reading_rollup.c
    count = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(rollup.n), 0)).where(rollup.batch_id == cycle_id)
    ).scalar_one()
    return Extent(first, last, int(count))


def window(
    engine: Engine,
    cycle_id: int,
    start: datetime,
    end: datetime,
    buckets: int = DEFAULT_BUCKETS,
    quantities: Sequence[str] | None = None,
) -> Window:
    """Readings of a cycle in [start, end] reduced to at most `buckets` buckets per series."""
    with engine.connect() as conn:
        return _window(conn, cycle_id, start, end, buckets, quantities)


def _window(
    conn: Connection,
    cycle_id: int,
    start: datetime,
    end: datetime,
    buckets: int,
    quantities: Sequence[str] | None,
) -> Window:
    if buckets < 1:
        raise ValueError("at least one bucket is needed")
    t0, t1 = epoch(start), epoch(end)
    if t1 < t0:
        raise ValueError("the window ends before it starts")
    width = max((t1 - t0) / buckets, 1.0)
    query = (
        _rollup_query(conn, cycle_id, t0, t1, width, quantities)
        if width >= SLOT_SECONDS
        else _raw_query(conn, cycle_id, start, end, t0, width, quantities)
    )
    grouped: dict[tuple[str, str, str], list[_Bucket]] = {}
    for device, quantity, source, b, at, mean, low, high, count in conn.execute(query):
        rows = grouped.setdefault((device, quantity, source or "mqtt"), [])
        row = (min(max(int(b), 0), buckets - 1), float(at), float(mean), low, high, int(count))
        if rows and rows[-1][0] == row[0]:
            rows[-1] = _merge(rows[-1], row)  # readings on the window's very edge
        else:
            rows.append(row)
    not_pile = _not_pile_devices(conn, {device for device, _, _ in grouped})
    series = [
        Series(
            device_id=device,
            quantity=quantity,
            source=source,
            bucket=[row[0] for row in rows],
            times=[row[1] for row in rows],
            mean=[row[2] for row in rows],
            low=[row[3] for row in rows],
            high=[row[4] for row in rows],
            points=sum(row[5] for row in rows),
            pile=device not in not_pile,
        )
        for (device, quantity, source), rows in grouped.items()
    ]
    series.sort(key=lambda s: (quantity_order(s.quantity), s.manual, s.device_id))
    return Window(cycle_id, t0, t1, width, series)


_Bucket = tuple[int, float, float, float, float, int]


def _not_pile_devices(conn: Connection, devices: set[str]) -> set[str]:
    """Of these devices, the ones the registry says are not counted pile probes."""
    if not devices:
        return set()
    d = SensorDevice.__table__.c
    rows = conn.execute(
        sa.select(d.device_id).where(
            d.device_id.in_(sorted(devices)), sa.not_(pile_probe_clause(d.device_id))
        )
    ).scalars()
    return set(rows)


def _merge(a: _Bucket, b: _Bucket) -> _Bucket:
    n = a[5] + b[5]
    return (
        a[0],
        (a[1] * a[5] + b[1] * b[5]) / n,
        (a[2] * a[5] + b[2] * b[5]) / n,
        min(a[3], b[3]),
        max(a[4], b[4]),
        n,
    )


def _index(conn: Connection, offset: ColumnElement[Any]) -> ColumnElement[int]:
    if conn.dialect.name == "sqlite":
        return sa.cast(offset, sa.Integer)
    return sa.cast(sa.func.floor(offset), sa.BigInteger)


def _raw_query(
    conn: Connection,
    cycle_id: int,
    start: datetime,
    end: datetime,
    t0: float,
    width: float,
    quantities: Sequence[str] | None,
) -> sa.Select[Any]:
    """Buckets straight from the readings: for windows narrower than a rollup slot allows."""
    r = SensorReading.__table__.c
    seconds = _epoch_sql(conn)
    # julianday() arithmetic is a few microseconds off; without the nudge a reading exactly on
    # a bucket edge lands on either side of it at random.
    bucket = _index(conn, (seconds - t0 + _EDGE_NUDGE) / width).label("bucket")
    conditions = [
        r.batch_id == cycle_id,
        SensorReading.measured_at >= start,
        SensorReading.measured_at <= end,
    ]
    if quantities is not None:
        conditions.append(r.quantity.in_(list(quantities)))
    return (
        sa.select(
            r.device_id,
            r.quantity,
            r.source,
            bucket,
            sa.func.avg(seconds),
            sa.func.avg(r.value),
            sa.func.min(r.value),
            sa.func.max(r.value),
            sa.func.count(),
        )
        .where(*conditions)
        .group_by(r.device_id, r.quantity, r.source, bucket)
        .order_by(r.device_id, r.quantity, r.source, bucket)
    )


def _rollup_query(
    conn: Connection,
    cycle_id: int,
    t0: float,
    t1: float,
    width: float,
    quantities: Sequence[str] | None,
) -> sa.Select[Any]:
    """Buckets from the ten-minute rollup; a bucket is at least one slot wide here."""
    r = reading_rollup.c
    # Slots are placed by their middle, so the window's edges are exact to half a slot.
    bucket = _index(conn, (r.slot + SLOT_SECONDS / 2 - t0) / width).label("bucket")
    conditions = [
        r.batch_id == cycle_id,
        r.slot >= int(t0 // SLOT_SECONDS) * SLOT_SECONDS,
        r.slot <= t1,
    ]
    if quantities is not None:
        conditions.append(r.quantity.in_(list(quantities)))
    n = sa.func.sum(r.n)
    return (
        sa.select(
            r.device_id,
            r.quantity,
            r.source,
            bucket,
            sa.func.sum(r.t_total) / n,
            sa.func.sum(r.total) / n,
            sa.func.min(r.low),
            sa.func.max(r.high),
            n,
        )
        .where(*conditions)
        .group_by(r.device_id, r.quantity, r.source, bucket)
        .order_by(r.device_id, r.quantity, r.source, bucket)
    )


def lowest_probe(series: Sequence[Series], quantity: str = TEMPERATURE) -> Series | None:
    """Per bucket, the coldest probe's mean: the curve pathogen rules are judged on.

    Hand readings are left out: a spot check every few days is not a probe that is "current"
    between visits, and would turn the line into a saw-tooth.
    """
    probes = [s for s in series if s.quantity == quantity and not s.manual and s.pile]
    if not probes:
        return None
    by_bucket: dict[int, tuple[float, float, float, float]] = {}
    for s in probes:
        for b, t, mean, low in zip(s.bucket, s.times, s.mean, s.low, strict=True):
            seen = by_bucket.get(b)
            if seen is None or mean < seen[1]:
                by_bucket[b] = (t, mean, low, mean)
    ordered = sorted(by_bucket.items())
    return Series(
        device_id="lowest probe",
        quantity=quantity,
        source="derived",
        bucket=[b for b, _ in ordered],
        times=[v[0] for _, v in ordered],
        mean=[v[1] for _, v in ordered],
        low=[v[2] for _, v in ordered],
        high=[v[3] for _, v in ordered],
        points=sum(s.points for s in probes),
    )


def pile_temperature(series: Sequence[Series]) -> tuple[list[float], list[float]]:
    """Per bucket, the mean over probes: the pile's temperature, for telling phases apart."""
    sums: dict[int, tuple[float, float, int]] = {}
    for s in series:
        if s.quantity != TEMPERATURE or s.manual or not s.pile:
            continue
        for b, t, mean in zip(s.bucket, s.times, s.mean, strict=True):
            ts, vs, n = sums.get(b, (0.0, 0.0, 0))
            sums[b] = (ts + t, vs + mean, n + 1)
    ordered = sorted(sums.items())
    return [v[0] / v[2] for _, v in ordered], [v[1] / v[2] for _, v in ordered]


def markers(engine: Engine, cycle_id: int) -> tuple[list[Marker], list[Marker]]:
    """The cycle's turnings and deliveries, oldest first."""
    with engine.connect() as conn:
        return _markers(conn, cycle_id)


def _markers(conn: Connection, cycle_id: int) -> tuple[list[Marker], list[Marker]]:
    turnings = [
        Marker(epoch(at), f"Turned{f' by {who}' if who else ''}")
        for at, who in conn.execute(
            sa.select(Turning.turned_at, Turning.operator)
            .where(Turning.cycle_id == cycle_id)
            .order_by(Turning.turned_at)
        )
    ]
    inputs = [
        Marker(epoch(at), f"{name or 'Material'} {mass:g} kg")
        for at, name, mass in conn.execute(
            sa.select(Input.added_at, Input.material_name, Input.mass_kg)
            .where(Input.cycle_id == cycle_id, Input.added_at.is_not(None))
            .order_by(Input.added_at)
        )
        if at is not None
    ]
    return turnings, inputs


def cycle_history(engine: Engine, cycle_id: int, buckets: int = DEFAULT_BUCKETS) -> CycleHistory:
    """The whole cycle at chart resolution, with turnings, deliveries and phases.

    The window spans the readings, widened to the cycle's start and the markers so that a
    delivery before the first reading is still on the axis.
    """
    with engine.connect() as conn, conn.begin():
        exists = conn.execute(sa.select(Cycle.id).where(Cycle.id == cycle_id)).scalar()
        if exists is None:
            raise CycleNotFound(f"Cycle {cycle_id} is not in the database.")
        span = _extent(conn, cycle_id)
        turnings, inputs = _markers(conn, cycle_id)
        times = [m.at for m in turnings + inputs]
        if span.first is not None and span.last is not None:
            times += [epoch(span.first), epoch(span.last)]
        if not times:
            return CycleHistory(cycle_id, span, None, turnings, inputs)
        start, end = from_epoch(min(times)), from_epoch(max(times))
        data = (
            _window(conn, cycle_id, start, end, buckets, None)
            if span.points
            else Window(cycle_id, epoch(start), epoch(end), 1.0, [])
        )
    lowest = lowest_probe(data.series)
    pile_times, pile_values = pile_temperature(data.series)
    return CycleHistory(
        cycle_id=cycle_id,
        extent=span,
        window=data,
        turnings=turnings,
        inputs=inputs,
        lowest=lowest,
        phases=phase_spans(pile_times, pile_values),
    )
