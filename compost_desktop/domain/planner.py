"""The pile planner: from the feedstocks on hand to a recipe that hits C:N and moisture together.

Both targets are linear in the wet amounts Qᵢ (brief, "Planning a pile"): C:N = R means
Σ Qᵢ·(1−Mᵢ/100)·Nᵢ/100·(rᵢ − R) = 0, and moisture = G means Σ Qᵢ·(Mᵢ − G) + W·(100 − G) = 0
with W kg of water. Fixed amounts, stock limits and the bay's volume (Σ Qᵢ/ρᵢ) are linear
too, so one small linear programme answers the question, solved in three lexicographic
stages on the same constraints:

1. get as close to both targets as the limits allow (zero when a recipe hits them);
2. at that closeness, process the most of the feedstocks marked "as much as possible";
3. at that, use the fewest kilograms of amendments and water.

Water soaks into the pore space of the feedstocks, so it adds mass but is not counted in
the bay's volume.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from compost_desktop.domain import simplex
from compost_desktop.domain.mix import MixComponent, analyse
from compost_desktop.domain.validation import (
    ValidationError,
    check_cn_ratio,
    check_density,
    check_moisture_pct,
    check_name,
    check_nitrogen_pct,
    check_volume_l,
    require_number,
)

DEFAULT_MOISTURE_PCT = 55.0
DEFAULT_TARGET_CN = 27.5
# A recipe within these of the targets counts as hitting them (the LP solves them exactly;
# these only absorb floating-point noise).
CN_TOLERANCE = 0.05
MOISTURE_TOLERANCE = 0.1


class Role(StrEnum):
    """What the planner may do with a feedstock."""

    FIXED = "fixed"  # exactly this much goes in ("all 40 t of food waste")
    MAXIMIZE = "maximize"  # as much as possible, within its stock
    AMENDMENT = "amendment"  # only as much as the targets need, within its stock


class Limit(StrEnum):
    STOCK = "stock"
    FIXED = "fixed"
    CAPACITY = "capacity"
    WATER = "water"  # water may not be added


@dataclass(frozen=True, slots=True)
class Feedstock:
    """A material on hand with its composition and how much of it the plan may use."""

    name: str
    cn_ratio: float
    nitrogen_pct: float
    moisture_pct: float
    density_kg_per_l: float | None = None
    fixed_kg: float | None = None
    max_kg: float | None = None  # the stock on hand; None means as much as needed
    maximize: bool = False

    def __post_init__(self) -> None:
        label = check_name(self.name, "name", "Feedstock name")
        check_cn_ratio(self.cn_ratio, "cn", f"C:N of {label}")
        check_nitrogen_pct(self.nitrogen_pct, "n_pct", f"Nitrogen of {label}")
        check_moisture_pct(self.moisture_pct, "moisture_pct", f"Moisture of {label}")
        if self.density_kg_per_l is not None:
            check_density(self.density_kg_per_l, "density", f"Bulk density of {label}")
        for field_name, value in (("kg", self.fixed_kg), ("max_kg", self.max_kg)):
            if value is not None and require_number(field_name, label, value) < 0:
                raise ValidationError(field_name, f"The amount of {label} cannot be negative.")
        if self.fixed_kg is not None and (self.max_kg is not None or self.maximize):
            raise ValidationError(
                "kg",
                f"{label} has a fixed amount; it cannot also have a stock limit or be used "
                "as much as possible.",
            )

    @property
    def role(self) -> Role:
        if self.fixed_kg is not None:
            return Role.FIXED
        return Role.MAXIMIZE if self.maximize else Role.AMENDMENT

    @property
    def carbon_factor(self) -> float:
        """kg of nitrogen per kg wet: k = (1 − M/100)·N/100."""
        return (1 - self.moisture_pct / 100) * self.nitrogen_pct / 100


@dataclass(frozen=True, slots=True)
class PlanRequest:
    feedstocks: tuple[Feedstock, ...]
    target_cn: float = DEFAULT_TARGET_CN
    target_moisture_pct: float = DEFAULT_MOISTURE_PCT
    capacity_l: float | None = None
    water: bool = True

    def __post_init__(self) -> None:
        if not self.feedstocks:
            raise ValidationError("feedstocks", "Add at least one feedstock to plan a pile.")
        check_cn_ratio(self.target_cn, "cn", "Target C:N")
        g = check_moisture_pct(self.target_moisture_pct, "moisture_pct", "Target moisture")
        if g <= 0:
            raise ValidationError("moisture_pct", "Target moisture must be above 0 %.")
        if self.capacity_l is not None:
            check_volume_l(self.capacity_l, "capacity_l", "Bay capacity")
            for f in self.feedstocks:
                if f.density_kg_per_l is None and f.fixed_kg != 0:
                    raise ValidationError(
                        "density",
                        f"{f.name} has no bulk density, so its volume in the bay cannot be "
                        "worked out; give its density or plan without a bay capacity.",
                    )
        if not any(f.role is not Role.AMENDMENT for f in self.feedstocks):
            raise ValidationError(
                "feedstocks",
                "Nothing to plan around: give at least one feedstock a fixed amount or mark "
                "one to be used as much as possible.",
            )
        for f in self.feedstocks:
            if f.role is Role.MAXIMIZE and f.max_kg is None and self.capacity_l is None:
                raise ValidationError(
                    "max_kg",
                    f"{f.name} is to be used as much as possible but has no stock limit and "
                    "there is no bay capacity, so there is no end to it; give its stock or "
                    "the bay's capacity.",
                )


@dataclass(frozen=True, slots=True)
class Binding:
    """A limit the recipe runs up against."""

    limit: Limit
    feedstock: str | None = None

    def describe(self) -> str:
        match self.limit:
            case Limit.STOCK:
                return f"the stock of {self.feedstock} is used up"
            case Limit.FIXED:
                return f"the amount of {self.feedstock} is fixed"
            case Limit.CAPACITY:
                return "the bay is full"
            case Limit.WATER:
                return "water may not be added"


@dataclass(frozen=True, slots=True)
class PlannedAmount:
    name: str
    kg: float
    litres: float | None


@dataclass(frozen=True, slots=True)
class Plan:
    """The recipe: feasible when it hits both targets; otherwise the closest one and why."""

    feasible: bool
    amounts: tuple[PlannedAmount, ...]
    water_kg: float
    cn_ratio: float | None
    moisture_pct: float | None
    volume_l: float | None
    binding: tuple[Binding, ...] = field(default=())
    reason: str | None = None

    @property
    def total_kg(self) -> float:
        return sum(a.kg for a in self.amounts) + self.water_kg


def plan(request: PlanRequest) -> Plan:
    """The recipe for `request` (see the module docstring for the order of preferences)."""
    return _Planner(request).solve()


class _Planner:
    def __init__(self, request: PlanRequest) -> None:
        self.request = request
        self.fixed = [f for f in request.feedstocks if f.role is Role.FIXED]
        self.free = [f for f in request.feedstocks if f.role is not Role.FIXED]
        sizes = [
            v for f in request.feedstocks for v in (f.fixed_kg, f.max_kg) if v is not None and v > 0
        ]
        # Variables are in units of the largest amount given, so the tableau is of order one.
        self.scale = max(max(sizes), 1.0) if sizes else 1000.0
        self.fixed_volume_l = sum(
            (f.fixed_kg or 0.0) / f.density_kg_per_l
            for f in self.fixed
            if f.density_kg_per_l is not None
        )
        cap = request.capacity_l
        self.capacity_overrun = cap is not None and self.fixed_volume_l > cap * (1 + 1e-9)

    # --- the programme ---------------------------------------------------------------

    def solve(self) -> Plan:
        r = self.request
        n = len(self.free)
        water = 1 if r.water else 0
        n_vars = n + water + 4  # q…, [w], d_cn+, d_cn−, d_m+, d_m−
        d0 = n + water
        R, G, s = r.target_cn, r.target_moisture_pct, self.scale

        cn_row = [f.carbon_factor * (f.cn_ratio - R) for f in self.free] + [0.0] * water
        m_row = [f.moisture_pct - G for f in self.free] + [100.0 - G] * water
        cn_rhs = -sum(f.carbon_factor * (f.cn_ratio - R) * (f.fixed_kg or 0.0) for f in self.fixed)
        m_rhs = -sum((f.moisture_pct - G) * (f.fixed_kg or 0.0) for f in self.fixed)
        a_eq = [
            [*cn_row, -1.0, 1.0, 0.0, 0.0],
            [*m_row, 0.0, 0.0, -1.0, 1.0],
        ]
        b_eq = [cn_rhs / s, m_rhs / s]

        a_ub: list[list[float]] = []
        b_ub: list[float] = []
        for j, f in enumerate(self.free):
            if f.max_kg is not None:
                row = [0.0] * n_vars
                row[j] = 1.0
                a_ub.append(row)
                b_ub.append(f.max_kg / s)
        if r.capacity_l is not None and not self.capacity_overrun:
            row = [0.0] * n_vars
            for j, f in enumerate(self.free):
                assert f.density_kg_per_l is not None
                row[j] = 1.0 / f.density_kg_per_l
            a_ub.append(row)
            b_ub.append((r.capacity_l - self.fixed_volume_l) / s)

        # Stage 1: closeness, in ratio points and moisture points (linearised about the
        # fixed part of the pile, which is what cannot move).
        fixed_n = sum(f.carbon_factor * (f.fixed_kg or 0.0) for f in self.fixed) / s
        fixed_q = sum(f.fixed_kg or 0.0 for f in self.fixed) / s
        w_cn = 1.0 / fixed_n if fixed_n > 0 else 1.0
        w_m = 1.0 / fixed_q if fixed_q > 0 else 1.0
        distance = [0.0] * n_vars
        distance[d0], distance[d0 + 1] = w_cn, w_cn
        distance[d0 + 2], distance[d0 + 3] = w_m, w_m
        first = simplex.minimize(distance, a_ub, b_ub, a_eq, b_eq)
        if first.status is not simplex.LpStatus.OPTIMAL:  # q = 0 always satisfies the limits
            raise AssertionError(f"stage 1 of the planner was {first.status}")
        a_ub.append(distance)
        b_ub.append(first.objective + 1e-10 * (1 + first.objective))
        x = first.x

        maximize = [0.0] * n_vars
        for j, f in enumerate(self.free):
            if f.role is Role.MAXIMIZE:
                maximize[j] = -1.0
        if any(maximize):
            second = simplex.minimize(maximize, a_ub, b_ub, a_eq, b_eq)
            if second.status is simplex.LpStatus.UNBOUNDED:  # PlanRequest rules this out
                raise AssertionError("as much as possible without a limit")
            if second.status is simplex.LpStatus.OPTIMAL:
                best = -second.objective
                a_ub.append(maximize)
                b_ub.append(-(best - 1e-10 * (1 + best)))
                x = second.x

        amendments = [0.0] * n_vars
        for j, f in enumerate(self.free):
            if f.role is Role.AMENDMENT:
                amendments[j] = 1.0
        if water:
            amendments[n] = 1.0
        third = simplex.minimize(amendments, a_ub, b_ub, a_eq, b_eq)
        if third.status is simplex.LpStatus.OPTIMAL:
            x = third.x
        return self._recipe(x, close=first.objective <= 1e-7)

    # --- the answer ------------------------------------------------------------------

    def _recipe(self, x: tuple[float, ...], close: bool) -> Plan:
        r, s = self.request, self.scale
        noise = max(1e-7 * s, 1e-6)  # kg: below this an amount is the solver's rounding
        free_kg = {id(f): (x[j] * s if x[j] * s > noise else 0.0) for j, f in enumerate(self.free)}
        amounts: list[PlannedAmount] = []
        for f in r.feedstocks:
            kg = f.fixed_kg if f.fixed_kg is not None else free_kg[id(f)]
            if f.max_kg is not None and f.fixed_kg is None:
                kg = min(kg, f.max_kg)  # the solver's last ulp never overdraws the stock
                kg = kg if kg > noise else 0.0
            litres = kg / f.density_kg_per_l if f.density_kg_per_l else None
            amounts.append(PlannedAmount(f.name, kg, litres))
        water_kg = x[len(self.free)] * s if r.water else 0.0
        water_kg = water_kg if water_kg > noise else 0.0
        used = [(f, a) for f, a in zip(r.feedstocks, amounts, strict=True) if a.kg > 0]
        volume = (
            sum(a.litres or 0.0 for a in amounts)
            if any(a.litres is not None for _, a in used)
            else None
        )
        if not used:
            return Plan(
                False,
                tuple(amounts),
                0.0,
                None,
                None,
                None,
                self._bindings(amounts, None, True),
                self._nothing_reason(),
            )
        # Ratios are scale-free: the mix engine sees the recipe per 100 kg of feedstock, so a
        # pile of hundreds of tonnes passes its per-delivery plausibility limit.
        feed_kg = sum(a.kg for _, a in used)
        mix = analyse(
            [
                MixComponent(
                    f.name, 100 * a.kg / feed_kg, f.cn_ratio, f.nitrogen_pct, f.moisture_pct
                )
                for f, a in used
            ]
        )
        assert mix.moisture_pct is not None
        moisture = (feed_kg * mix.moisture_pct + 100 * water_kg) / (feed_kg + water_kg)
        hits = (
            close
            and not self.capacity_overrun
            and abs(mix.cn_ratio - r.target_cn) <= CN_TOLERANCE
            and abs(moisture - r.target_moisture_pct) <= MOISTURE_TOLERANCE
        )
        bindings = self._bindings(amounts, volume, not hits, moisture)
        reason = None if hits else self._reason(mix.cn_ratio, moisture, bindings, volume)
        return Plan(
            hits, tuple(amounts), water_kg, mix.cn_ratio, moisture, volume, bindings, reason
        )

    def _bindings(
        self,
        amounts: list[PlannedAmount],
        volume: float | None,
        infeasible: bool,
        moisture: float | None = None,
    ) -> tuple[Binding, ...]:
        r = self.request
        out: list[Binding] = []
        for f, a in zip(r.feedstocks, amounts, strict=True):
            if f.max_kg is None:
                continue
            if (f.max_kg > 0 and a.kg >= f.max_kg - 1e-6 * self.scale) or (
                f.max_kg == 0 and infeasible
            ):
                out.append(Binding(Limit.STOCK, f.name))
        if r.capacity_l is not None and volume is not None and volume >= r.capacity_l * (1 - 1e-6):
            out.append(Binding(Limit.CAPACITY))
        if infeasible:
            out.extend(Binding(Limit.FIXED, f.name) for f in self.fixed)
            if (
                not r.water
                and moisture is not None
                and moisture < r.target_moisture_pct - MOISTURE_TOLERANCE
            ):
                out.append(Binding(Limit.WATER))
        return tuple(out)

    def _nothing_reason(self) -> str:
        r = self.request
        wanted = ", ".join(f.name for f in self.free if f.role is Role.MAXIMIZE)
        return (
            f"No recipe with {wanted} reaches C:N {r.target_cn:g} and moisture "
            f"{r.target_moisture_pct:g} % with what is on hand: the feedstocks that would "
            "balance it are missing or out of stock."
        )

    def _reason(
        self, cn: float, moisture: float, bindings: tuple[Binding, ...], volume: float | None
    ) -> str:
        r = self.request
        R, G = r.target_cn, r.target_moisture_pct
        used_up = {b.feedstock for b in bindings if b.limit is Limit.STOCK}
        # An overrun is its own reason; the bay then did not limit the amendments.
        bay_full = not self.capacity_overrun and any(b.limit is Limit.CAPACITY for b in bindings)
        parts: list[str] = []
        if self.capacity_overrun:
            parts.append(
                f"the fixed amounts alone take {self.fixed_volume_l:,.0f} L and the bay holds "
                f"{r.capacity_l:,.0f} L"
            )

        def why(helpers: list[Feedstock], missing: str) -> str:
            if not helpers:
                return missing
            causes = [f"{f.name} is used up" for f in helpers if f.name in used_up]
            if bay_full:
                causes.append("the bay is full")
            return (
                ", ".join(causes)
                if causes
                else "meeting the other target as well needs a feedstock that is not on hand"
            )

        if cn < R - CN_TOLERANCE:
            helpers = [f for f in self.free if f.cn_ratio > R]
            parts.append(
                f"not enough dry carbon to raise C:N from {cn:.1f} to {R:g} ("
                + why(helpers, f"no feedstock with a C:N above {R:g}")
                + ")"
            )
        elif cn > R + CN_TOLERANCE:
            helpers = [f for f in self.free if f.cn_ratio < R]
            parts.append(
                f"not enough nitrogen to lower C:N from {cn:.1f} to {R:g} ("
                + why(helpers, f"no feedstock with a C:N below {R:g}")
                + ")"
            )
        if moisture > G + MOISTURE_TOLERANCE:
            helpers = [f for f in self.free if f.moisture_pct < G]
            parts.append(
                f"too wet ({moisture:.1f} % against {G:g} %) "
                + (
                    "without a dry amendment"
                    if not helpers
                    else "for the dry amendments on hand (" + why(helpers, "") + ")"
                )
            )
        elif moisture < G - MOISTURE_TOLERANCE:
            if not r.water:
                parts.append(
                    f"too dry ({moisture:.1f} % against {G:g} %) and water may not be added"
                )
            else:
                parts.append(f"too dry ({moisture:.1f} % against {G:g} %)")
        if not parts:
            parts.append("the targets cannot both be met within the limits")
        text = "; ".join(parts)
        return text[0].upper() + text[1:] + "."
