"""Hand-probe readings: stored as sensor readings so charts, the tracker and exports see them.

An operator walks the pile with a hand probe and notes, per spot, the temperature and/or the
moisture. Each value becomes one ``sensor_reading`` row with ``source = 'manual'`` and the
device ``hand:<position>``, so every probe position is its own series (the pathogen tracker
judges on the lowest probe, and a cold corner must count like a cold sensor). Hand readings
are taken to the minute: the time is stored truncated to the minute, which makes a second
reading of the same spot in the same minute a duplicate the user is told about.

No Qt here; the GUI calls these on its database thread. Writes need an engine made by
``compost_desktop.db.engine.make_engine`` (on SQLite it takes the write lock up front).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from compost_desktop.db.models import Base, Cycle
from compost_desktop.domain.lifecycle import CycleStatus
from compost_desktop.domain.quantities import MOISTURE, TEMPERATURE
from compost_desktop.domain.validation import ValidationError, require_number

SOURCE = "manual"
DEVICE_PREFIX = "hand:"
MAX_POSITION_LENGTH = 100
MIN_TEMPERATURE_C = -30.0
MAX_TEMPERATURE_C = 100.0
MIN_MOISTURE_PCT = 0.0
MAX_MOISTURE_PCT = 100.0
# The office PC's clock and the operator's watch rarely agree to the second.
CLOCK_SKEW = timedelta(minutes=5)

_readings = Base.metadata.tables["sensor_reading"]


@dataclass(frozen=True, slots=True)
class ManualReadingDraft:
    """What the operator typed for one spot; either value may be missing, not both."""

    cycle_id: int
    measured_at: datetime
    position: str
    temperature_c: float | None = None
    moisture_pct: float | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class ManualReadingRecord:
    """One hand reading as the operator took it: both values of a spot at one time."""

    cycle_id: int
    measured_at: datetime  # UTC, to the minute
    position: str
    temperature_c: float | None
    moisture_pct: float | None
    notes: str | None


@dataclass(frozen=True, slots=True)
class ManualReadingSetup:
    """What the form needs to check a reading as the user types, loaded once."""

    cycle_id: int
    cycle_name: str
    status: CycleStatus
    start_date: date | None
    positions: tuple[str, ...]  # used in this cycle, most recent first
    taken: frozenset[tuple[str, datetime]]  # (position, UTC minute) already stored


def device_for(position: str) -> str:
    return DEVICE_PREFIX + position.strip()


def position_of(device_id: str) -> str:
    return device_id.removeprefix(DEVICE_PREFIX)


def to_minute(at: datetime) -> datetime:
    """The stored time of a hand reading: UTC, seconds dropped."""
    return at.astimezone(UTC).replace(second=0, microsecond=0)


def _local_text(at: datetime) -> str:
    return at.astimezone().strftime("%Y-%m-%d %H:%M")


def check_draft(
    draft: ManualReadingDraft,
    now: datetime,
    *,
    start_date: date | None = None,
    status: CycleStatus | None = None,
) -> ManualReadingDraft:
    """Check what can be checked without the database; hand back the draft as it is stored."""
    if status is CycleStatus.ARCHIVED:
        raise ValidationError(
            "cycle", "This cycle is archived; hand readings can no longer be added to it."
        )
    if not isinstance(draft.position, str) or not draft.position.strip():
        raise ValidationError(
            "position", "Position must not be empty (where the probe was, e.g. North, 1 m deep)."
        )
    position = draft.position.strip()
    if len(position) > MAX_POSITION_LENGTH:
        raise ValidationError(
            "position", f"Position must be at most {MAX_POSITION_LENGTH} characters."
        )
    if draft.temperature_c is None and draft.moisture_pct is None:
        raise ValidationError(
            "temperature_c", "Enter a temperature, a moisture, or both: nothing was measured."
        )
    temperature = None
    if draft.temperature_c is not None:
        temperature = require_number("temperature_c", "Temperature", draft.temperature_c)
        if not MIN_TEMPERATURE_C <= temperature <= MAX_TEMPERATURE_C:
            raise ValidationError(
                "temperature_c",
                f"Temperature must be from {MIN_TEMPERATURE_C:g} to {MAX_TEMPERATURE_C:g} °C "
                f"(got {temperature:g} °C); check the probe and the unit.",
            )
    moisture = None
    if draft.moisture_pct is not None:
        moisture = require_number("moisture_pct", "Moisture", draft.moisture_pct)
        if not MIN_MOISTURE_PCT <= moisture <= MAX_MOISTURE_PCT:
            raise ValidationError(
                "moisture_pct",
                f"Moisture must be from {MIN_MOISTURE_PCT:g} to {MAX_MOISTURE_PCT:g} % "
                f"(got {moisture:g} %).",
            )
    if not isinstance(draft.measured_at, datetime) or draft.measured_at.tzinfo is None:
        raise ValidationError("measured_at", "The reading time needs a time zone.")
    if draft.measured_at > now + CLOCK_SKEW:
        raise ValidationError(
            "measured_at",
            f"The reading time {_local_text(draft.measured_at)} is in the future; "
            "enter when the probe was read.",
        )
    if start_date is not None and draft.measured_at.astimezone().date() < start_date:
        raise ValidationError(
            "measured_at",
            f"The reading time {_local_text(draft.measured_at)} is before the cycle started "
            f"({start_date.isoformat()}).",
        )
    notes = draft.notes.strip() if draft.notes else None
    return replace(
        draft,
        measured_at=to_minute(draft.measured_at),
        position=position,
        temperature_c=temperature,
        moisture_pct=moisture,
        notes=notes or None,
    )


def _cycle(conn: Connection, cycle_id: int) -> tuple[str, CycleStatus, date | None]:
    row = conn.execute(
        sa.select(Cycle.name, Cycle.status, Cycle.start_date).where(Cycle.id == cycle_id)
    ).one_or_none()
    if row is None:
        raise ValidationError(
            "cycle", "This cycle no longer exists; it may have been deleted on another PC."
        )
    name, status, start = row
    return name or f"Cycle #{cycle_id}", CycleStatus(status), start


def _manual(cycle_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(_readings.c.batch_id == cycle_id, _readings.c.source == SOURCE)


def manual_reading_setup(engine: Engine, cycle_id: int) -> ManualReadingSetup:
    """The cycle's start, status and the hand positions and times it already has."""
    with engine.connect() as conn, conn.begin():
        name, status, start = _cycle(conn, cycle_id)
        rows = conn.execute(
            sa.select(_readings.c.device_id, _readings.c.measured_at)
            .where(_manual(cycle_id))
            .order_by(_readings.c.measured_at.desc())
        ).all()
    positions: dict[str, None] = {}
    for device, _at in rows:
        positions.setdefault(position_of(device), None)
    return ManualReadingSetup(
        cycle_id=cycle_id,
        cycle_name=name,
        status=status,
        start_date=start,
        positions=tuple(positions),
        taken=frozenset((position_of(device), at) for device, at in rows),
    )


def _duplicate(draft: ManualReadingDraft) -> ValidationError:
    return ValidationError(
        "measured_at",
        f"A hand reading at '{draft.position}' for {_local_text(draft.measured_at)} is already "
        "saved. Change the time or the position, or delete the saved reading first.",
    )


def add_manual_reading(
    engine: Engine, draft: ManualReadingDraft, *, now: datetime | None = None
) -> list[int]:
    """Store one row per value given, in one transaction; hand back their ids."""
    now = now or datetime.now(UTC)
    with engine.connect() as conn:
        try:
            with conn.begin():
                _name, status, start = _cycle(conn, draft.cycle_id)
                clean = check_draft(draft, now, start_date=start, status=status)
                device = device_for(clean.position)
                exists = conn.execute(
                    sa.select(sa.func.count())
                    .select_from(_readings)
                    .where(
                        _readings.c.device_id == device,
                        _readings.c.measured_at == clean.measured_at,
                    )
                ).scalar_one()
                if exists:
                    raise _duplicate(clean)
                values = ((TEMPERATURE, clean.temperature_c), (MOISTURE, clean.moisture_pct))
                ids: list[int] = []
                for quantity, value in values:
                    if value is None:
                        continue
                    result = conn.execute(
                        sa.insert(_readings).values(
                            batch_id=clean.cycle_id,
                            device_id=device,
                            quantity=quantity,
                            value=value,
                            measured_at=clean.measured_at,
                            received_at=now.astimezone(UTC),
                            source=SOURCE,
                            notes=clean.notes,
                        )
                    )
                    key = result.inserted_primary_key
                    assert key is not None
                    ids.append(int(key[0]))
        except IntegrityError as exc:
            # Another writer stored the same spot and minute between our check and insert.
            text = str(exc.orig)
            if "uq_sensor_reading_identity" in text or "UNIQUE constraint failed" in text:
                raise _duplicate(check_draft(draft, now)) from exc
            raise
    return ids


def manual_readings(engine: Engine, cycle_id: int) -> list[ManualReadingRecord]:
    """The cycle's hand readings, one record per spot and time, oldest first."""
    r = _readings.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(r.device_id, r.measured_at, r.quantity, r.value, r.notes)
            .where(_manual(cycle_id))
            .order_by(r.measured_at, r.device_id, r.quantity)
        ).all()
    values: dict[tuple[datetime, str], dict[str, float]] = {}
    notes: dict[tuple[datetime, str], str | None] = {}
    for device, at, quantity, value, note in rows:
        values.setdefault((at, device), {})[quantity] = float(value)
        notes[(at, device)] = notes.get((at, device)) or note
    return [
        ManualReadingRecord(
            cycle_id=cycle_id,
            measured_at=at,
            position=position_of(device),
            temperature_c=found.get(TEMPERATURE),
            moisture_pct=found.get(MOISTURE),
            notes=notes[(at, device)],
        )
        for (at, device), found in values.items()
    ]


def delete_manual_reading(
    engine: Engine, cycle_id: int, measured_at: datetime, position: str
) -> ManualReadingRecord:
    """Delete one hand reading (both values) and hand back what it was, for undo."""
    at = to_minute(measured_at)
    device = device_for(position)
    r = _readings.c
    with engine.connect() as conn, conn.begin():
        _name, status, _start = _cycle(conn, cycle_id)
        if status is CycleStatus.ARCHIVED:
            raise ValidationError(
                "cycle", "This cycle is archived; its hand readings can no longer be changed."
            )
        where = sa.and_(_manual(cycle_id), r.device_id == device, r.measured_at == at)
        rows = conn.execute(sa.select(r.id, r.quantity, r.value, r.notes).where(where)).all()
        if not rows:
            raise ValidationError(
                "measured_at",
                f"There is no hand reading at '{position.strip()}' for {_local_text(at)}; "
                "it may have been deleted already.",
            )
        # A reading already sent leaves a tombstone (a trigger), so the sync deletes it on
        # the server and on every other PC too.
        conn.execute(sa.delete(_readings).where(where))
    values = {row.quantity: float(row.value) for row in rows}
    return ManualReadingRecord(
        cycle_id=cycle_id,
        measured_at=at,
        position=position_of(device),
        temperature_c=values.get(TEMPERATURE),
        moisture_pct=values.get(MOISTURE),
        notes=next((row.notes for row in rows if row.notes), None),
    )
