"""Input checks that explain themselves to the person who typed the value."""

from __future__ import annotations

import math
from dataclasses import dataclass

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
