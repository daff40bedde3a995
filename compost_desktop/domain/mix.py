"""The mix engine: C:N ratio and moisture of a pile on a dry-matter basis.

Ratios are not additive; carbon and nitrogen masses are (Cornell Waste Management
Institute; NRAES-54 ch. 3). Every figure here is computed from kilograms of carbon and
nitrogen in the dry matter, never by averaging ratios.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from compost_desktop.domain.lifecycle import MaterialKind
from compost_desktop.domain.states import Closeness
from compost_desktop.domain.validation import (
    ValidationError,
    check_cn_ratio,
    check_mass_kg,
    check_moisture_pct,
    check_nitrogen_pct,
)

# Stands in for "equal carbon content of dry matter" when no component has a %N;
# it cancels out of every ratio, so its value only shows in the kg of C and N.
TYPICAL_CARBON_PCT_OF_DRY = 45.0

# Closer than this to the target counts as on target: no suggestion to add grams.
ON_TARGET = 0.05


class MixStatus(StrEnum):
    OPTIMAL = "optimal"
    TOO_MUCH_GREEN = "too_much_green"
    TOO_MUCH_BROWN = "too_much_brown"


class MoistureStatus(StrEnum):
    TOO_DRY = "too_dry"
    LOW = "low"
    IDEAL = "ideal"
    HIGH = "high"
    TOO_WET = "too_wet"


@dataclass(frozen=True, slots=True)
class TargetBand:
    """The C:N band the pile should sit in, and the ratio suggestions aim for."""

    low: float = 25.0
    high: float = 30.0
    target: float = 27.5

    def __post_init__(self) -> None:
        for field, value in (("low", self.low), ("high", self.high), ("target", self.target)):
            check_cn_ratio(value, field, f"Target band {field}")
        if not self.low < self.high:
            raise ValidationError(
                "low", "The lower end of the C:N band must be below the upper end."
            )
        if not self.low <= self.target <= self.high:
            raise ValidationError(
                "target",
                f"The target C:N {self.target:g} must lie within {self.low:g}–{self.high:g}.",
            )

    def status_of(self, ratio: float) -> MixStatus:
        if ratio < self.low:
            return MixStatus.TOO_MUCH_GREEN
        if ratio > self.high:
            return MixStatus.TOO_MUCH_BROWN
        return MixStatus.OPTIMAL

    def closeness_of(self, ratio: float) -> Closeness:
        """Amber within 20 % of the band's width... or 3 ratio points, whichever is larger."""
        if self.low <= ratio <= self.high:
            return Closeness.IN_BAND
        margin = max(3.0, 0.2 * (self.high - self.low))
        distance = self.low - ratio if ratio < self.low else ratio - self.high
        return Closeness.NEAR if distance <= margin else Closeness.FAR


def moisture_status(moisture_pct: float) -> MoistureStatus:
    """The brief's moisture bands: <40 too dry, 40–50 low, 50–60 ideal, 60–65 high, >65 too wet."""
    if moisture_pct < 40:
        return MoistureStatus.TOO_DRY
    if moisture_pct < 50:
        return MoistureStatus.LOW
    if moisture_pct <= 60:
        return MoistureStatus.IDEAL
    if moisture_pct <= 65:
        return MoistureStatus.HIGH
    return MoistureStatus.TOO_WET


@dataclass(frozen=True, slots=True)
class MixComponent:
    """One material in the mix: wet mass plus what is known of its composition."""

    name: str
    mass_kg: float
    cn_ratio: float
    nitrogen_pct: float | None = None
    moisture_pct: float | None = None

    def __post_init__(self) -> None:
        label = self.name or "material"
        check_mass_kg(self.mass_kg, "kg", f"Mass of {label}")
        check_cn_ratio(self.cn_ratio, "cn", f"C:N of {label}")
        if self.nitrogen_pct is not None:
            check_nitrogen_pct(self.nitrogen_pct, "n_pct", f"Nitrogen of {label}")
        if self.moisture_pct is not None:
            check_moisture_pct(self.moisture_pct, "moisture_pct", f"Moisture of {label}")

    @property
    def fully_known(self) -> bool:
        return self.nitrogen_pct is not None and self.moisture_pct is not None


@dataclass(frozen=True, slots=True)
class AdditionMaterial:
    """A material that could be added to steer the ratio; mass is what we solve for."""

    name: str
    cn_ratio: float
    nitrogen_pct: float | None = None
    moisture_pct: float | None = None
    kind: MaterialKind | None = None  # None: any direction its C:N allows


@dataclass(frozen=True, slots=True)
class Suggestion:
    """How much of a material reaches the target, or why it cannot."""

    material: str
    kg: float | None
    reason: str | None = None

    @property
    def reachable(self) -> bool:
        return self.kg is not None


@dataclass(frozen=True, slots=True)
class _Assumptions:
    """Values that stand in for unknown %C of dry matter and moisture (the estimate rule)."""

    carbon_pct: float
    moisture_pct: float | None


@dataclass(frozen=True, slots=True)
class MixAnalysis:
    cn_ratio: float
    moisture_pct: float | None
    total_kg: float
    dry_kg: float
    carbon_kg: float
    nitrogen_kg: float
    estimate: bool
    status: MixStatus
    closeness: Closeness
    moisture_status: MoistureStatus | None
    band: TargetBand
    _assumed: _Assumptions

    def amount_to_reach(
        self, material: AdditionMaterial, target: float | None = None
    ) -> Suggestion:
        """Q_b = (R·N_tot − C_tot) / (k_b·(r_b − R)); refuses rather than go negative."""
        goal = self.band.target if target is None else target
        check_cn_ratio(goal, "target", "Target C:N")
        r_b = material.cn_ratio
        gap = goal * self.nitrogen_kg - self.carbon_kg
        if math.isclose(self.cn_ratio, goal, rel_tol=1e-9, abs_tol=1e-9):
            return Suggestion(material.name, 0.0)
        if math.isclose(r_b, goal, rel_tol=1e-9):
            return Suggestion(
                material.name,
                None,
                f"not reachable with {material.name}: its C:N of {r_b:g} equals the target, so "
                "adding it cannot move the ratio.",
            )
        raising = gap > 0  # the mix is below the goal and needs carbon
        if raising and r_b < goal:
            return Suggestion(
                material.name,
                None,
                f"not reachable with {material.name}: the mix ({self.cn_ratio:.1f}:1) is below "
                f"the target {goal:g}:1 and {material.name} ({r_b:g}:1) would lower it further; "
                "add a brown with a C:N above the target.",
            )
        if not raising and r_b > goal:
            return Suggestion(
                material.name,
                None,
                f"not reachable with {material.name}: the mix ({self.cn_ratio:.1f}:1) is above "
                f"the target {goal:g}:1 and {material.name} ({r_b:g}:1) would raise it further; "
                "add a green with a C:N below the target.",
            )
        n_b = self._nitrogen_pct_of(material)
        m_b = (
            material.moisture_pct
            if material.moisture_pct is not None
            else self._assumed.moisture_pct
        )
        k_b = (1 - (m_b or 0.0) / 100) * n_b / 100
        kg = gap / (k_b * (r_b - goal))
        return Suggestion(material.name, kg)

    def water_to_reach(self, goal_pct: float = 55.0) -> float | None:
        """Kg of water to reach a moisture goal; None when moisture is unknown or already above it."""
        check_moisture_pct(goal_pct, "goal", "Moisture goal")
        if self.moisture_pct is None or self.moisture_pct >= goal_pct:
            return None
        water_kg = self.total_kg * self.moisture_pct / 100
        return (goal_pct * self.total_kg - 100 * water_kg) / (100 - goal_pct)

    def _nitrogen_pct_of(self, material: AdditionMaterial) -> float:
        if material.nitrogen_pct is not None:
            return material.nitrogen_pct
        return self._assumed.carbon_pct / material.cn_ratio


def analyse(components: Sequence[MixComponent], band: TargetBand | None = None) -> MixAnalysis:
    """Dry-basis mix C:N and wet-basis mix moisture of the components.

    Missing %N assumes the mean carbon content of dry matter of the known components (or a
    typical value, which cancels out); missing moisture assumes the mean of the known ones.
    With nothing known this reduces to the mass-weighted harmonic mean of the ratios.
    """
    if not components:
        raise ValidationError("inputs", "Add at least one material to analyse a mix.")
    band = band or TargetBand()
    assumed = _assumptions(components)
    total_kg = dry_kg = carbon_kg = nitrogen_kg = 0.0
    for c in components:
        moisture = c.moisture_pct if c.moisture_pct is not None else (assumed.moisture_pct or 0.0)
        dry = c.mass_kg * (100 - moisture) / 100
        n_pct = c.nitrogen_pct if c.nitrogen_pct is not None else assumed.carbon_pct / c.cn_ratio
        total_kg += c.mass_kg
        dry_kg += dry
        nitrogen_kg += dry * n_pct / 100
        carbon_kg += dry * n_pct * c.cn_ratio / 100
    ratio = carbon_kg / nitrogen_kg
    mix_moisture = None if assumed.moisture_pct is None else 100 * (total_kg - dry_kg) / total_kg
    return MixAnalysis(
        cn_ratio=ratio,
        moisture_pct=mix_moisture,
        total_kg=total_kg,
        dry_kg=dry_kg,
        carbon_kg=carbon_kg,
        nitrogen_kg=nitrogen_kg,
        estimate=not all(c.fully_known for c in components),
        status=band.status_of(ratio),
        closeness=band.closeness_of(ratio),
        moisture_status=None if mix_moisture is None else moisture_status(mix_moisture),
        band=band,
        _assumed=assumed,
    )


def _assumptions(components: Sequence[MixComponent]) -> _Assumptions:
    known_c = [
        (c.mass_kg, c.nitrogen_pct * c.cn_ratio) for c in components if c.nitrogen_pct is not None
    ]
    carbon_pct = (
        sum(m * c for m, c in known_c) / sum(m for m, _ in known_c)
        if known_c
        else TYPICAL_CARBON_PCT_OF_DRY
    )
    known_m = [(c.mass_kg, c.moisture_pct) for c in components if c.moisture_pct is not None]
    moisture = sum(m * w for m, w in known_m) / sum(m for m, _ in known_m) if known_m else None
    return _Assumptions(carbon_pct=carbon_pct, moisture_pct=moisture)


def suggest(
    mix: MixAnalysis,
    candidates: Sequence[AdditionMaterial],
    chosen: AdditionMaterial | None = None,
    in_mix: frozenset[str] = frozenset(),
) -> Suggestion | None:
    """The one "what to add" policy, shared by the cycle dialog, the report and `mix`.

    A chosen material gets the amount that reaches the target (nothing within ON_TARGET of
    it). Otherwise a mix inside the band needs nothing; outside it, of the candidates that
    move the ratio toward the target (browns to raise it, greens to lower it; a candidate
    of unknown kind by its C:N alone), the one already in the mix wins, then the one that
    needs the fewest kilograms. None when nothing is needed or nothing fits.
    """
    goal = mix.band.target
    if chosen is not None:
        if abs(mix.cn_ratio - goal) < ON_TARGET:
            return Suggestion(chosen.name, 0.0)
        return mix.amount_to_reach(chosen)
    if mix.status is MixStatus.OPTIMAL:
        return None
    wanted = MaterialKind.BROWN if mix.cn_ratio < goal else MaterialKind.GREEN
    best: tuple[tuple[bool, float, str], Suggestion] | None = None
    for material in candidates:
        if material.kind is not None and material.kind is not wanted:
            continue
        s = mix.amount_to_reach(material)
        if s.kg is None or s.kg <= 0:
            continue
        key = (material.name not in in_mix, s.kg, material.name)
        if best is None or key < best[0]:
            best = (key, s)
    return None if best is None else best[1]
