"""A cycle's recorded history read for judging it: readings, turnings, the pathogen rule result.

No Qt here: the GUI calls these through its runner, on the database thread. Readings are
streamed from the database in chunks (the ``(batch_id, measured_at)`` index serves the query),
so a cycle with a million readings never holds a million ORM objects at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from compost_desktop.db.devices import pile_probe_clause
from compost_desktop.db.models import Cycle, SensorReading, Turning
from compost_desktop.domain.lifecycle import CycleStatus
from compost_desktop.domain.pathogen import (
    DEFAULT_MAX_GAP,
    PathogenResult,
    PathogenRule,
    evaluate,
)
from compost_desktop.domain.quantities import MOISTURE, TEMPERATURE

_CHUNK = 10_000
_FINISHED = frozenset({CycleStatus.COMPLETED.value, CycleStatus.ARCHIVED.value})


class CycleNotFound(LookupError):
    """The cycle asked for is not in the store (deleted meanwhile, or a wrong id)."""


@dataclass(frozen=True, slots=True)
class CycleSeries:
    """What the tracker needs of one cycle, loaded in one read transaction."""

    cycle_id: int
    status: CycleStatus
    temperatures: list[tuple[str, datetime, float]]
    moisture: list[tuple[str, datetime, float]]
    turnings: list[datetime]

    @property
    def finished(self) -> bool:
        return self.status.value in _FINISHED


def _series(conn: Connection, cycle_id: int, quantity: str) -> list[tuple[str, datetime, float]]:
    """Pile probes only: an air sensor must never decide whether the pile was hot enough."""
    r = SensorReading
    query = (
        sa.select(r.device_id, r.measured_at, r.value)
        .where(r.cycle_id == cycle_id, r.quantity == quantity, pile_probe_clause(r.device_id))
        .order_by(r.measured_at, r.device_id)
    )
    result = conn.execution_options(stream_results=True, yield_per=_CHUNK).execute(query)
    out: list[tuple[str, datetime, float]] = []
    for chunk in result.partitions(_CHUNK):
        out.extend((device, at, float(value)) for device, at, value in chunk)
    return out


def _turnings(conn: Connection, cycle_id: int) -> list[datetime]:
    query = (
        sa.select(Turning.turned_at).where(Turning.cycle_id == cycle_id).order_by(Turning.turned_at)
    )
    return list(conn.execute(query).scalars())


def cycle_temperatures(engine: Engine, cycle_id: int) -> list[tuple[str, datetime, float]]:
    """The cycle's temperature readings as (probe, measured_at UTC, °C), oldest first."""
    with engine.connect() as conn:
        return _series(conn, cycle_id, TEMPERATURE)


def cycle_moisture(engine: Engine, cycle_id: int) -> list[tuple[str, datetime, float]]:
    """The cycle's moisture readings as (device, measured_at UTC, %), oldest first."""
    with engine.connect() as conn:
        return _series(conn, cycle_id, MOISTURE)


def cycle_turning_times(engine: Engine, cycle_id: int) -> list[datetime]:
    """When the cycle was turned (UTC), oldest first."""
    with engine.connect() as conn:
        return _turnings(conn, cycle_id)


def load_series(engine: Engine, cycle_id: int, *, moisture: bool = True) -> CycleSeries:
    """Status, temperatures, moisture (unless not wanted) and turnings of one cycle."""
    with engine.connect() as conn, conn.begin():
        status = conn.execute(sa.select(Cycle.status).where(Cycle.id == cycle_id)).scalar()
        if status is None:
            raise CycleNotFound(f"Cycle {cycle_id} is not in the database.")
        return CycleSeries(
            cycle_id=cycle_id,
            status=CycleStatus(status),
            temperatures=_series(conn, cycle_id, TEMPERATURE),
            moisture=_series(conn, cycle_id, MOISTURE) if moisture else [],
            turnings=_turnings(conn, cycle_id),
        )


def evaluate_series(
    series: CycleSeries,
    rule: PathogenRule,
    now: datetime,
    max_gap: timedelta = DEFAULT_MAX_GAP,
) -> PathogenResult:
    """Judge loaded readings against a rule; a completed or archived cycle can have failed."""
    return evaluate(
        rule,
        series.temperatures,
        series.turnings,
        now,
        max_gap,
        moisture=series.moisture,
        cycle_finished=series.finished,
    )


def evaluate_cycle(
    engine: Engine,
    cycle_id: int,
    rule: PathogenRule,
    now: datetime,
    max_gap: timedelta = DEFAULT_MAX_GAP,
) -> PathogenResult:
    """Load a cycle's readings and turnings and judge them against `rule` as of `now`."""
    series = load_series(engine, cycle_id, moisture=rule.min_moisture_pct is not None)
    return evaluate_series(series, rule, now, max_gap)
