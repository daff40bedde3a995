"""The data services screens and commands call; they do not care which database is behind them.

Every method opens its own short transaction and returns plain records, so callers on
worker threads never share a session and Qt models never hold ORM objects.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Engine, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from compost_desktop.db.models import Cycle, Input, Material, Turning
from compost_desktop.domain import validation as v
from compost_desktop.domain.lifecycle import (
    STATUS_RANK,
    CycleStatus,
    MaterialKind,
    check_dates,
    check_transition,
)
from compost_desktop.domain.mix import MixAnalysis, TargetBand, analyse
from compost_desktop.domain.units import kg_to_litres, litres_to_kg
from compost_desktop.services import totals
from compost_desktop.services.values import (
    CycleDraft,
    CycleRecord,
    InputDraft,
    InputRecord,
    MaterialDraft,
    MaterialRecord,
    TurningRecord,
    match_material,
)


class NotFoundError(LookupError):
    pass


class ActiveCycleConflict(RuntimeError):
    """Another cycle is active; activating this one needs a confirmed switch."""

    def __init__(self, active_id: int, active_name: str) -> None:
        super().__init__(
            f"'{active_name}' is the active cycle. Switching makes it completed and this one "
            "active; confirm the switch to go on."
        )
        self.active_id = active_id
        self.active_name = active_name


class MaterialInUseError(RuntimeError):
    def __init__(self, material: str, cycles: list[str]) -> None:
        super().__init__(
            f"'{material}' cannot be deleted: it is used by {', '.join(cycles)}. "
            "Remove those inputs first, or keep the material."
        )
        self.cycles = cycles


_T = TypeVar("_T")


def _now() -> datetime:
    return datetime.now(UTC)


class Store:
    """The local store's reads and writes for screens and commands.

    `reader` (an engine from `make_engine(url, read_only=True)`) serves the lists and
    views: on SQLite its transactions begin deferred, a WAL snapshot, so a screen's load
    never waits for the write lock the recorder, sync and the screens' saves take.
    """

    def __init__(self, engine: Engine, reader: Engine | None = None) -> None:
        self.engine = engine
        self.reader = reader if reader is not None else engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.reader, expire_on_commit=False)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._read_sessions() as session:
            yield session

    def dispose(self) -> None:
        """Close every pooled connection (before a restore swaps the file)."""
        self.engine.dispose()
        if self.reader is not self.engine:
            self.reader.dispose()

    def ping(self) -> bool:
        """True when the database answers; screens use it for the reachability status."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False

    # --- materials -------------------------------------------------------------------

    def materials(self) -> list[MaterialRecord]:
        with self._read() as s:
            drawn = _drawn(s)
            return [
                _material(m, drawn.get(m.id, 0.0))
                for m in s.scalars(select(Material).order_by(Material.name))
            ]

    def material(self, material_id: int) -> MaterialRecord:
        with self._read() as s:
            drawn = _drawn(s, material_id).get(material_id, 0.0)
            return _material(_get(s, Material, material_id), drawn)

    def set_stock(self, material_id: int, stock_kg: float | None) -> MaterialRecord:
        """Record a count of the yard now; None stops tracking this material's stock."""
        if stock_kg is not None:
            stock_kg = v.require_number("stock_kg", "Stock", stock_kg)
            if stock_kg < 0:
                raise v.ValidationError("stock_kg", "Stock cannot be negative.")
        with self._session() as s:
            m = _get(s, Material, material_id)
            m.stock_kg = stock_kg
            m.stock_counted_at = None if stock_kg is None else _now()
            s.flush()
            return _material(m)  # just counted: nothing drawn since

    def find_material(self, name: str) -> MaterialRecord | None:
        return match_material(name, self.materials())

    def save_material(self, draft: MaterialDraft, material_id: int | None = None) -> MaterialRecord:
        name = v.check_name(draft.name)
        v.check_cn_ratio(draft.cn_ratio)
        if draft.nitrogen_pct is not None:
            v.check_nitrogen_pct(draft.nitrogen_pct)
        if draft.moisture_pct is not None:
            v.check_moisture_pct(draft.moisture_pct)
        if draft.density_kg_per_l is not None:
            v.check_density(draft.density_kg_per_l)
        try:
            with self._session() as s:
                clash = s.scalar(
                    select(Material.id).where(
                        func.lower(Material.name) == name.lower(),
                        Material.id != (material_id or -1),
                    )
                )
                if clash is not None:
                    raise v.ValidationError("name", f"A material called '{name}' already exists.")
                m = Material() if material_id is None else _get(s, Material, material_id)
                m.name = name
                m.kind = MaterialKind(draft.kind).value
                m.cn_ratio = draft.cn_ratio
                m.nitrogen_pct = draft.nitrogen_pct
                m.moisture_pct = draft.moisture_pct
                m.density_kg_per_l = draft.density_kg_per_l
                m.source = draft.source
                m.description = draft.description
                s.add(m)
                s.flush()
                return _material(m, _drawn(s, m.id).get(m.id, 0.0))
        except IntegrityError as exc:
            raise v.ValidationError("name", f"A material called '{name}' already exists.") from exc

    def delete_material(self, material_id: int) -> None:
        with self._session() as s:
            m = _get(s, Material, material_id)
            users = s.scalars(
                select(Cycle)
                .join(Input, Input.cycle_id == Cycle.id)
                .where(Input.material_id == material_id)
                .distinct()
            ).all()
            if users:
                raise MaterialInUseError(m.name, [c.display_name for c in users])
            s.delete(m)

    def cycles_to_reapply(self, material_id: int) -> list[CycleRecord]:
        """Planning and active cycles with a delivery whose values differ from the library's.

        Completed and archived cycles are a record and are never offered.
        """
        with self._session() as s:
            material = _get(s, Material, material_id)
            ids = sorted(
                {
                    row.cycle_id
                    for row in self._open_deliveries(s, material_id)
                    if row.cycle_id is not None and _differs(row, material)
                }
            )
        return [c for c in self.cycles() if c.id in ids]

    def reapply_material(self, material_id: int, cycle_ids: list[int] | None = None) -> list[str]:
        """Give the planning and active cycles' deliveries of a material its library values.

        Values typed for a delivery stay. Returns the names of the cycles changed.
        """
        changed: dict[int, Cycle] = {}
        with self._session() as s:
            material = _get(s, Material, material_id)
            for row in self._open_deliveries(s, material_id):
                if cycle_ids is not None and row.cycle_id not in cycle_ids:
                    continue
                if row.cycle is not None and _reapply(row, material):
                    changed[row.cycle.id] = row.cycle
            s.flush()
            for cycle in changed.values():
                _refresh_totals(s, cycle)
            return [c.display_name for c in sorted(changed.values(), key=lambda c: c.id)]

    @staticmethod
    def _open_deliveries(s: Session, material_id: int) -> list[Input]:
        return list(
            s.scalars(
                select(Input)
                .join(Cycle, Cycle.id == Input.cycle_id)
                .where(
                    Input.material_id == material_id,
                    Cycle.status.in_((CycleStatus.PLANNING.value, CycleStatus.ACTIVE.value)),
                )
                .order_by(Input.id)
            )
        )

    # --- cycles ----------------------------------------------------------------------

    def cycles(self) -> list[CycleRecord]:
        """All cycles with their inputs, for lists that show a C:N per row."""
        return self._load_cycles()

    def first_cycles(self, limit: int) -> tuple[list[CycleRecord], int]:
        """The first `limit` cycles in the list's order (by status, newest start first) and
        how many cycles there are: a long history's list shows these while the rest load."""
        with self.reader.connect() as conn:
            total = conn.execute(select(func.count()).select_from(Cycle)).scalar_one()
        return self._load_cycles(first=limit), int(total)

    def cycles_by_id(self, cycle_ids: Collection[int]) -> list[CycleRecord]:
        """Some cycles with their inputs: the rows a change touched, to refresh in a list."""
        return self._load_cycles(cycle_ids) if cycle_ids else []

    def _load_cycles(
        self,
        cycle_ids: Collection[int] | None = None,
        turnings_of: int | None = None,
        first: int | None = None,
    ) -> list[CycleRecord]:
        """Cycles (all, these, or the `first` in the list's order) with their inputs, and the
        turnings of `turnings_of`.

        Two plain queries rather than ORM loading: 10,000 cycles with 30,000 inputs load
        several times faster, and the list is what a user waits for at start.
        """
        i, m = Input.__table__.c, Material.__table__.c
        cycles_q = select(Cycle.__table__)
        inputs_where = []
        if cycle_ids is not None:
            cycles_q = cycles_q.where(Cycle.__table__.c.id.in_(list(cycle_ids)))
            inputs_where.append(i.batch_id.in_(list(cycle_ids)))
        if first is not None:
            rank = case(
                {status.value: rank for status, rank in STATUS_RANK.items()},
                value=Cycle.status,
                else_=len(STATUS_RANK),
            )
            firsts = (
                select(Cycle.id)
                .order_by(rank, Cycle.start_date.desc(), Cycle.id.desc())
                .limit(first)
                .scalar_subquery()
            )
            cycles_q = cycles_q.where(Cycle.__table__.c.id.in_(firsts))
            inputs_where.append(i.batch_id.in_(firsts))
        with self.reader.connect() as conn:
            cycle_rows = conn.execute(cycles_q).mappings().all()
            turnings = (
                conn.execute(
                    select(Turning)
                    .where(Turning.cycle_id == turnings_of)
                    .order_by(Turning.turned_at)
                ).all()
                if turnings_of is not None
                else []
            )
            input_rows = conn.execute(
                select(
                    i.id,
                    i.batch_id,
                    i.material_id,
                    i.material_name,
                    i.material_type,
                    i.amount_kg,
                    i.volume_liters,
                    i.carbon_nitrogen_ratio,
                    i.nitrogen_pct_override,
                    i.moisture_pct_override,
                    i.timestamp,
                    i.notes,
                    i.density_kg_per_liter,
                    i.value_overrides,
                    m.name.label("library_name"),
                    m.carbon_nitrogen_ratio.label("library_cn"),
                    m.nitrogen_pct.label("library_n"),
                    m.moisture_pct.label("library_m"),
                    m.density_kg_per_liter.label("library_d"),
                )
                .outerjoin(Material.__table__, m.id == i.material_id)
                .where(*inputs_where)
                .order_by(i.timestamp)
            ).all()
        by_cycle: dict[int, list[InputRecord]] = {}
        # Plain sequences to mypy: it cannot spread a Row of over ten columns (a tuple with a
        # variadic tail) into a call (python/mypy#19692).
        for row in cast("Sequence[Sequence[Any]]", input_rows):
            by_cycle.setdefault(row[1], []).append(_input_record(*row))
        turning_records = tuple(
            TurningRecord(t.id, t.batch_id, t.turned_at, t.operator, t.notes) for t in turnings
        )
        return [
            _cycle_from_row(row, tuple(by_cycle.get(row["id"], ())), turning_records)
            for row in cycle_rows
        ]

    def cycle(self, cycle_id: int) -> CycleRecord:
        found = self._load_cycles([cycle_id], turnings_of=cycle_id)
        if not found:
            raise NotFoundError(f"Cycle {cycle_id} no longer exists; it may have been deleted.")
        return found[0]

    def active_cycle(self) -> CycleRecord | None:
        with self.reader.connect() as conn:
            active = conn.execute(
                select(Cycle.id).where(Cycle.status == CycleStatus.ACTIVE.value)
            ).scalar()
        return None if active is None else self.cycle(active)

    def save_cycle(self, draft: CycleDraft, cycle_id: int | None = None) -> CycleRecord:
        check_dates(draft.start_date, draft.projected_end_date)
        for label, value in (
            ("Bay capacity", draft.capacity_l),
            ("Initial volume", draft.initial_volume_l),
            ("Current volume", draft.current_volume_l),
        ):
            if value is not None:
                v.check_volume_l(value, label=label)
        with self._session() as s:
            c = (
                Cycle(status=CycleStatus.PLANNING.value)
                if cycle_id is None
                else _get(s, Cycle, cycle_id)
            )
            c.name = (draft.name or "").strip() or None
            c.start_date = draft.start_date
            c.projected_end_date = draft.projected_end_date
            c.notes = draft.notes
            c.capacity_liters = draft.capacity_l
            c.initial_volume_liters = draft.initial_volume_l
            c.current_volume_liters = draft.current_volume_l
            s.add(c)
            s.flush()
            saved = c.id
        return self.cycle(saved)

    def delete_cycle(self, cycle_id: int) -> None:
        with self._session() as s:
            s.delete(_get(s, Cycle, cycle_id))

    def activate(self, cycle_id: int, switch: bool = False) -> CycleRecord:
        """Make a cycle the active one; with `switch`, the current active one is completed.

        The partial unique index decides races: of two PCs activating at once, one commit
        fails and that PC is told which cycle won.
        """
        try:
            with self._session() as s:
                c = _get(s, Cycle, cycle_id)
                check_transition(CycleStatus(c.status), CycleStatus.ACTIVE)
                other = s.scalar(
                    select(Cycle).where(
                        Cycle.status == CycleStatus.ACTIVE.value, Cycle.id != cycle_id
                    )
                )
                # One instant for both, so no reading falls between the two windows (the
                # database stamps these itself when a status changes without them).
                at = _now()
                if other is not None:
                    if not switch:
                        raise ActiveCycleConflict(other.id, other.display_name)
                    # Conditional so a concurrent switch that already moved it changes nothing.
                    s.execute(
                        update(Cycle)
                        .where(Cycle.id == other.id, Cycle.status == CycleStatus.ACTIVE.value)
                        .values(status=CycleStatus.COMPLETED.value, completed_at=at)
                    )
                done = s.execute(
                    update(Cycle)
                    .where(Cycle.id == cycle_id, Cycle.status == CycleStatus.PLANNING.value)
                    .values(status=CycleStatus.ACTIVE.value, activated_at=at)
                )
                if done.rowcount != 1:  # type: ignore[attr-defined]
                    raise ActiveCycleConflict(cycle_id, c.display_name)
        except IntegrityError as exc:
            winner = self.active_cycle()
            if winner is None:
                raise
            raise ActiveCycleConflict(winner.id, winner.name) from exc
        return self.cycle(cycle_id)

    def complete(self, cycle_id: int) -> CycleRecord:
        return self._transition(cycle_id, CycleStatus.COMPLETED)

    def archive(self, cycle_id: int) -> CycleRecord:
        return self._transition(cycle_id, CycleStatus.ARCHIVED)

    def _transition(self, cycle_id: int, new: CycleStatus) -> CycleRecord:
        with self._session() as s:
            c = _get(s, Cycle, cycle_id)
            check_transition(CycleStatus(c.status), new)
            c.status = new.value
            if new is CycleStatus.COMPLETED:
                c.completed_at = _now()
        return self.cycle(cycle_id)

    # --- inputs and turnings ---------------------------------------------------------

    def add_input(self, cycle_id: int, draft: InputDraft) -> InputRecord:
        return self._save_input(cycle_id, draft, None)

    def update_input(self, input_id: int, draft: InputDraft) -> InputRecord:
        with self._session() as s:
            cycle_id = _get(s, Input, input_id).cycle_id
        assert cycle_id is not None
        return self._save_input(cycle_id, draft, input_id)

    def _save_input(self, cycle_id: int, draft: InputDraft, input_id: int | None) -> InputRecord:
        if draft.nitrogen_pct_override is not None:
            v.check_nitrogen_pct(draft.nitrogen_pct_override, "n_pct", "Nitrogen override")
        if draft.moisture_pct_override is not None:
            v.check_moisture_pct(draft.moisture_pct_override, "moisture_pct", "Moisture override")
        if draft.cn_override is not None:
            v.check_cn_ratio(draft.cn_override, "cn", "C:N override")
        with self._session() as s:
            cycle = _get(s, Cycle, cycle_id)
            material = s.get(Material, draft.material_id)
            if material is None:
                raise v.ValidationError("material", "Choose a material from the library.")
            row = Input() if input_id is None else _get(s, Input, input_id)
            # An edit of the same delivery keeps the values it was mixed with.
            keep = input_id is not None and row.material_id == material.id
            if keep and row.density_kg_per_l is not None:
                mass, volume = _mass_and_volume(draft, material, row.density_kg_per_l)
            else:
                mass, volume = _mass_and_volume(draft, material)
            _store_values(row, draft, material, keep)
            row.cycle_id = cycle.id
            row.material_id = material.id
            row.material_name = material.name
            row.kind = material.kind
            row.mass_kg = mass
            row.volume_l = volume
            row.notes = draft.notes
            if draft.added_at is not None or row.added_at is None:
                row.added_at = draft.added_at or _now()
            row.material = material
            s.add(row)
            s.flush()
            _refresh_totals(s, cycle)
            return _input(row)

    def delete_input(self, input_id: int) -> InputRecord:
        """Delete and hand back what was deleted, so the screen can offer undo."""
        with self._session() as s:
            row = _get(s, Input, input_id)
            record = _input(row)
            cycle = row.cycle
            s.delete(row)
            s.flush()
            if cycle is not None:
                s.refresh(cycle)
                _refresh_totals(s, cycle)
            return record

    def add_turning(
        self, cycle_id: int, turned_at: datetime, operator: str | None, notes: str | None
    ) -> TurningRecord:
        if turned_at.tzinfo is None:
            raise v.ValidationError("turned_at", "The turning time needs a time zone.")
        with self._session() as s:
            _get(s, Cycle, cycle_id)
            t = Turning(cycle_id=cycle_id, turned_at=turned_at, operator=operator, notes=notes)
            s.add(t)
            s.flush()
            return _turning(t)

    def update_turning(
        self, turning_id: int, turned_at: datetime, operator: str | None, notes: str | None
    ) -> TurningRecord:
        """Correct a logged turning (a wrong time or name); it keeps its id."""
        if turned_at.tzinfo is None:
            raise v.ValidationError("turned_at", "The turning time needs a time zone.")
        with self._session() as s:
            t = _get(s, Turning, turning_id)
            t.turned_at, t.operator, t.notes = turned_at, operator, notes
            s.flush()
            return _turning(t)

    def delete_turning(self, turning_id: int) -> TurningRecord:
        """Delete and hand back what was deleted, so the screen can offer undo."""
        with self._session() as s:
            t = _get(s, Turning, turning_id)
            record = _turning(t)
            s.delete(t)
            return record

    def mix_of(self, cycle_id: int, band: TargetBand | None = None) -> MixAnalysis | None:
        components = self.cycle(cycle_id).mix_components()
        return analyse(components, band) if components else None


# --- conversions -----------------------------------------------------------------------


def _get(s: Session, model: type[_T], ident: int) -> _T:
    obj = s.get(model, ident)
    if obj is None:
        raise NotFoundError(f"{model.__name__} {ident} no longer exists; it may have been deleted.")
    return obj


# (stored column attribute, draft override attribute, library attribute, override key)
_VALUES = (
    ("cn_override", "cn_override", "cn_ratio", "cn"),
    ("nitrogen_pct_override", "nitrogen_pct_override", "nitrogen_pct", "n"),
    ("moisture_pct_override", "moisture_pct_override", "moisture_pct", "moisture"),
)


def _store_values(row: Input, draft: InputDraft, material: Material, keep: bool) -> None:
    """The C:N, %N, moisture and density this delivery is mixed with, kept with it."""
    before = set((row.value_overrides or "").split(",")) - {""}
    own: list[str] = []
    for column, typed_attr, library_attr, key in _VALUES:
        typed = getattr(draft, typed_attr)
        if typed is not None:
            setattr(row, column, typed)
            own.append(key)
        elif not (keep and row.value_overrides is not None and key not in before):
            setattr(row, column, getattr(material, library_attr))
    if not (keep and row.value_overrides is not None):
        row.density_kg_per_l = material.density_kg_per_l
    row.value_overrides = ",".join(own)


def _reapply(row: Input, material: Material) -> bool:
    """Library values into a delivery, except those typed for it; True when anything changed."""
    own = set((row.value_overrides or "").split(","))
    changed = False
    for column, _typed, library_attr, key in _VALUES:
        if key not in own and getattr(row, column) != getattr(material, library_attr):
            setattr(row, column, getattr(material, library_attr))
            changed = True
    if row.density_kg_per_l != material.density_kg_per_l:
        row.density_kg_per_l = material.density_kg_per_l
        changed = True
    if row.value_overrides is None:
        row.value_overrides = ""
        changed = True
    return changed


def _differs(row: Input, material: Material) -> bool:
    own = set((row.value_overrides or "").split(","))
    return (
        row.value_overrides is None
        or row.density_kg_per_l != material.density_kg_per_l
        or any(
            key not in own and getattr(row, column) != getattr(material, library_attr)
            for column, _typed, library_attr, key in _VALUES
        )
    )


def _mass_and_volume(
    draft: InputDraft, material: Material, density: float | None = None
) -> tuple[float, float | None]:
    density = density if density is not None else material.density_kg_per_l
    if draft.mass_kg is not None:
        mass = v.check_mass_kg(draft.mass_kg)
        volume = (
            v.check_volume_l(draft.volume_l)
            if draft.volume_l is not None
            else (kg_to_litres(mass, density) if density else None)
        )
        return mass, volume
    if draft.volume_l is None:
        raise v.ValidationError("kg", "Enter the amount, in kilograms or in litres.")
    volume = v.check_volume_l(draft.volume_l)
    if not density:
        raise v.ValidationError(
            "litres",
            f"'{material.name}' has no bulk density in the library, so litres cannot be "
            "converted to kilograms; enter kilograms or add the density to the material.",
        )
    return v.check_mass_kg(litres_to_kg(volume, density)), volume


def _refresh_totals(s: Session, cycle: Cycle) -> None:
    """Keep the old system's summary columns true for anything that still reads them."""
    s.flush()
    totals.refresh(s.connection(), cycle.id)
    s.refresh(cycle)


def _drawn(s: Session, material_id: int | None = None) -> dict[int, float]:
    """kg delivered from each counted stock since its count (planned cycles' inputs too)."""
    query = (
        select(Input.material_id, func.sum(Input.mass_kg))
        .join(Material, Material.id == Input.material_id)
        .where(Material.stock_kg.is_not(None), Input.added_at >= Material.stock_counted_at)
        .group_by(Input.material_id)
    )
    if material_id is not None:
        query = query.where(Input.material_id == material_id)
    return {mid: float(kg or 0.0) for mid, kg in s.execute(query) if mid is not None}


def _material(m: Material, drawn_kg: float = 0.0) -> MaterialRecord:
    return MaterialRecord(
        id=m.id,
        name=m.name,
        kind=MaterialKind(m.kind),
        cn_ratio=m.cn_ratio,
        nitrogen_pct=m.nitrogen_pct,
        moisture_pct=m.moisture_pct,
        density_kg_per_l=m.density_kg_per_l,
        source=m.source,
        description=m.description,
        stock_kg=None if m.stock_kg is None else max(0.0, m.stock_kg - drawn_kg),
    )


def _input(i: Input) -> InputRecord:
    m = i.material
    return _input_record(
        i.id, i.cycle_id, i.material_id, i.material_name, i.kind, i.mass_kg, i.volume_l,
        i.cn_override, i.nitrogen_pct_override, i.moisture_pct_override, i.added_at, i.notes,
        i.density_kg_per_l, i.value_overrides,
        m.name if m else None, m.cn_ratio if m else None,
        m.nitrogen_pct if m else None, m.moisture_pct if m else None,
        m.density_kg_per_l if m else None,
    )  # fmt: skip


_KINDS = {k.value: k for k in MaterialKind}


def _input_record(
    input_id: int,
    cycle_id: int | None,
    material_id: int | None,
    name: str | None,
    kind: str,
    mass_kg: float,
    volume_l: float | None,
    cn: float | None,
    n_pct: float | None,
    moisture_pct: float | None,
    added_at: datetime | None,
    notes: str | None,
    density: float | None,
    overrides: str | None,
    library_name: str | None,
    library_cn: float | None,
    library_n: float | None,
    library_m: float | None,
    library_d: float | None,
) -> InputRecord:
    """A delivery with the values it was mixed with (stored with it, not the library's now)."""
    return InputRecord(
        input_id,
        cycle_id or 0,
        material_id,
        name or library_name or "unknown material",
        _KINDS[kind],
        mass_kg,
        volume_l,
        totals.mixed_with(cn, overrides, library_cn),
        totals.mixed_with(n_pct, overrides, library_n),
        totals.mixed_with(moisture_pct, overrides, library_m),
        added_at,
        notes,
        totals.mixed_with(density, overrides, library_d),
        tuple(overrides.split(",")) if overrides else (),
    )


def _cycle_from_row(
    row: Any, inputs: tuple[InputRecord, ...], turnings: tuple[TurningRecord, ...] = ()
) -> CycleRecord:
    volumes = [i.volume_l for i in inputs if i.volume_l is not None]
    return CycleRecord(
        id=row["id"],
        uuid=row["uuid"],
        name=row["name"] or f"Cycle #{row['id']}",
        status=CycleStatus(row["status"]),
        start_date=row["start_date"],
        projected_end_date=row["projected_end_date"],
        green_kg=row["green_waste_kg"] or 0.0,
        brown_kg=row["brown_waste_kg"] or 0.0,
        cn_ratio=row["cn_ratio"],
        initial_volume_l=row["initial_volume_liters"],
        current_volume_l=row["current_volume_liters"],
        capacity_l=row["capacity_liters"],
        estimated_volume_l=sum(volumes) if volumes else row["total_volume_liters"],
        notes=row["notes"],
        activated_at=row["activated_at"],
        completed_at=row["completed_at"],
        inputs=inputs,
        turnings=turnings,
    )


def _turning(t: Turning) -> TurningRecord:
    return TurningRecord(t.id, t.cycle_id, t.turned_at, t.operator, t.notes)
