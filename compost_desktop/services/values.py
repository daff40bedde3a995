"""Plain values services hand out and take in: records of what is stored, drafts of what a
person fills in. No session or ORM object leaks out; named apart from the `records` package
(exports and backups)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from compost_desktop.domain.lifecycle import CycleStatus, MaterialKind
from compost_desktop.domain.mix import AdditionMaterial, MixComponent


@dataclass(frozen=True, slots=True)
class MaterialRecord:
    id: int
    name: str
    kind: MaterialKind
    cn_ratio: float
    nitrogen_pct: float | None
    moisture_pct: float | None
    density_kg_per_l: float | None
    source: str | None = None
    description: str | None = None
    # In the yard now: the last count less deliveries logged since; None when not counted.
    stock_kg: float | None = None

    def as_addition(self) -> AdditionMaterial:
        return AdditionMaterial(
            self.name, self.cn_ratio, self.nitrogen_pct, self.moisture_pct, self.kind
        )


@dataclass(frozen=True, slots=True)
class InputRecord:
    id: int
    cycle_id: int
    material_id: int | None
    material_name: str
    kind: MaterialKind
    mass_kg: float
    volume_l: float | None
    cn_ratio: float | None  # the values it was mixed with, stored with the delivery
    nitrogen_pct: float | None
    moisture_pct: float | None
    added_at: datetime | None
    notes: str | None = None
    density_kg_per_l: float | None = None
    overridden: tuple[str, ...] = ()  # of "cn", "n", "moisture": typed for this delivery

    def as_component(self) -> MixComponent | None:
        """None when nothing says what the C:N of this delivery is (or it has no mass)."""
        if self.cn_ratio is None or self.mass_kg <= 0:
            return None
        return MixComponent(
            self.material_name, self.mass_kg, self.cn_ratio, self.nitrogen_pct, self.moisture_pct
        )


@dataclass(frozen=True, slots=True)
class TurningRecord:
    id: int
    cycle_id: int
    turned_at: datetime
    operator: str | None
    notes: str | None


@dataclass(frozen=True, slots=True)
class CycleRecord:
    id: int
    uuid: str
    name: str
    status: CycleStatus
    start_date: date | None
    projected_end_date: date | None
    green_kg: float
    brown_kg: float
    cn_ratio: float | None
    initial_volume_l: float | None
    current_volume_l: float | None
    capacity_l: float | None
    estimated_volume_l: float | None
    notes: str | None
    activated_at: datetime | None
    completed_at: datetime | None
    inputs: tuple[InputRecord, ...] = field(default=())
    turnings: tuple[TurningRecord, ...] = field(default=())

    def mix_components(self) -> list[MixComponent]:
        return [c for c in (i.as_component() for i in self.inputs) if c is not None]


@dataclass(frozen=True, slots=True)
class CycleDraft:
    """What a person fills in to create or edit a cycle."""

    name: str | None
    start_date: date
    projected_end_date: date | None = None
    notes: str | None = None
    capacity_l: float | None = None
    initial_volume_l: float | None = None
    current_volume_l: float | None = None


@dataclass(frozen=True, slots=True)
class InputDraft:
    """A delivery as entered: by mass, or by volume converted with the bulk density."""

    material_id: int
    mass_kg: float | None = None
    volume_l: float | None = None
    nitrogen_pct_override: float | None = None
    moisture_pct_override: float | None = None
    cn_override: float | None = None
    added_at: datetime | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class MaterialDraft:
    name: str
    kind: MaterialKind
    cn_ratio: float
    nitrogen_pct: float | None = None
    moisture_pct: float | None = None
    density_kg_per_l: float | None = None
    source: str | None = None
    description: str | None = None


def match_material(name: str, records: Iterable[MaterialRecord]) -> MaterialRecord | None:
    """Exact name (any case), else the only material whose name starts with what was typed."""
    wanted = name.strip().lower()
    candidates = list(records)
    for m in candidates:
        if m.name.lower() == wanted:
            return m
    prefixed = [m for m in candidates if m.name.lower().startswith(wanted)]
    return prefixed[0] if len(prefixed) == 1 else None
