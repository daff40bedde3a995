"""Input checks that explain themselves to the person who typed the value."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

# Upper bounds catch typos (an extra zero, grams typed as kilograms) rather than physics.
MAX_INPUT_KG = 100_000.0
MAX_CN_RATIO = 1_000.0
MAX_NITROGEN_PCT = 20.0
MAX_DENSITY_KG_PER_L = 2.0


@dataclass
class ValidationError(ValueError):
    """A value a person entered is unusable; `field` says which one."""

    field: str
    message: str

    def __str__(self) -> str:
        return self.message


def require_number(field: str, label: str, value: object) -> float:
    """Turn a user value into a finite float or say why it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(field, f"{label} must be a number, not {value!r}.")
    number = float(value)
    if not math.isfinite(number):
        raise ValidationError(field, f"{label} must be a finite number.")
    return number


def check_mass_kg(value: object, field: str = "kg", label: str = "Mass") -> float:
    """A delivered mass: positive and not absurd."""
    kg = require_number(field, label, value)
    if kg <= 0:
        raise ValidationError(field, f"{label} must be more than 0 kg (got {kg:g}).")
    if kg > MAX_INPUT_KG:
        raise ValidationError(
            field,
            f"{label} of {kg:g} kg is more than {MAX_INPUT_KG:,.0f} kg in one delivery; "
            "check the unit (kg, not g).",
        )
    return kg


def check_volume_l(value: object, field: str = "litres", label: str = "Volume") -> float:
    """A delivered or measured volume in litres."""
    litres = require_number(field, label, value)
    if litres <= 0:
        raise ValidationError(field, f"{label} must be more than 0 litres (got {litres:g}).")
    if litres > 10_000_000:
        raise ValidationError(field, f"{label} of {litres:g} litres is implausibly large.")
    return litres


def check_cn_ratio(value: object, field: str = "cn", label: str = "C:N ratio") -> float:
    cn = require_number(field, label, value)
    if cn <= 0 or cn > MAX_CN_RATIO:
        raise ValidationError(
            field, f"{label} must be between 0 and {MAX_CN_RATIO:g} (got {cn:g})."
        )
    return cn


def check_nitrogen_pct(value: object, field: str = "n_pct", label: str = "Nitrogen") -> float:
    n = require_number(field, label, value)
    if n <= 0 or n > MAX_NITROGEN_PCT:
        raise ValidationError(
            field,
            f"{label} must be more than 0 and at most {MAX_NITROGEN_PCT:g} % of dry matter "
            f"(got {n:g}).",
        )
    return n


def check_moisture_pct(
    value: object, field: str = "moisture_pct", label: str = "Moisture"
) -> float:
    """Moisture of wet mass; 100 % would mean no dry matter at all."""
    m = require_number(field, label, value)
    if m < 0 or m >= 100:
        raise ValidationError(field, f"{label} must be from 0 to below 100 % (got {m:g}).")
    return m


def check_density(value: object, field: str = "density", label: str = "Bulk density") -> float:
    """Bulk density in kg per litre."""
    d = require_number(field, label, value)
    if d <= 0 or d > MAX_DENSITY_KG_PER_L:
        raise ValidationError(
            field,
            f"{label} must be more than 0 and at most {MAX_DENSITY_KG_PER_L * 1000:g} kg/m³ "
            f"(got {d * 1000:g} kg/m³).",
        )
    return d


def check_name(value: object, field: str = "name", label: str = "Name") -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, f"{label} must not be empty.")
    name = value.strip()
    if len(name) > 100:
        raise ValidationError(field, f"{label} must be at most 100 characters.")
    return name


# --- plausibility: warnings that never block ---------------------------------------------
# A value can be valid and still probably wrong: the user is told, and decides.

PLAUSIBLE_PILE_C = (-30.0, 95.0)  # a pile colder or hotter than this is a probe or typing error
FUTURE_TOLERANCE_S = 600  # PC clocks differ by minutes; more than this ahead is a typo
UNUSUAL_DELIVERY_FACTOR = 10.0  # ten times the cycle's usual delivery


def usual_delivery_kg(masses: Sequence[float]) -> float | None:
    """The cycle's usual delivery (median mass), or None before there is any."""
    values = sorted(m for m in masses if m > 0)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def delivery_warnings(
    mass_kg: float | None,
    volume_l: float | None,
    *,
    capacity_l: float | None = None,
    usual_kg: float | None = None,
    added_at: datetime | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Why one delivery looks wrong though it is valid; empty when it looks plausible."""
    out: list[str] = []
    if volume_l is not None and capacity_l and volume_l > capacity_l:
        out.append(
            f"This delivery alone ({volume_l / 1000:,.1f} m³) is more than the bay holds "
            f"({capacity_l / 1000:,.1f} m³); check the amount and the unit."
        )
    if mass_kg is not None and usual_kg and mass_kg > UNUSUAL_DELIVERY_FACTOR * usual_kg:
        out.append(
            f"{mass_kg:,.0f} kg is more than {UNUSUAL_DELIVERY_FACTOR:g} times this cycle's "
            f"usual delivery ({usual_kg:,.0f} kg); check the amount and the unit."
        )
    future = _future(added_at, now)
    if future:
        out.append(f"The delivery time is {future} in the future.")
    return out


def capacity_warning(total_volume_l: float | None, capacity_l: float | None) -> str | None:
    """The inputs together take more room than the bay has."""
    if total_volume_l is None or not capacity_l or total_volume_l <= capacity_l:
        return None
    return (
        f"The inputs come to about {total_volume_l / 1000:,.1f} m³, more than the bay's "
        f"capacity of {capacity_l / 1000:,.1f} m³ (piles settle, but check the amounts)."
    )


def reading_warnings(
    temp_c: float | None, measured_at: datetime | None = None, now: datetime | None = None
) -> list[str]:
    """A pile temperature outside what a pile reaches, or a time still to come."""
    out: list[str] = []
    low, high = PLAUSIBLE_PILE_C
    if temp_c is not None and not low <= temp_c <= high:
        out.append(
            f"{temp_c:g} °C is outside what a pile reaches ({low:g} to {high:g} °C); "
            "check the probe and the unit."
        )
    future = _future(measured_at, now)
    if future:
        out.append(f"The reading time is {future} in the future.")
    return out


def _future(at: datetime | None, now: datetime | None) -> str | None:
    if at is None:
        return None
    now = now or datetime.now(UTC)
    ahead = (at - now).total_seconds() if at.tzinfo else 0.0
    if ahead <= FUTURE_TOLERANCE_S:
        return None
    hours = ahead / 3600
    return f"{hours / 24:,.0f} days" if hours >= 48 else f"{hours:,.1f} h"
