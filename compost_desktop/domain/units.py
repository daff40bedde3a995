"""Unit conversions; the database always keeps metric."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from compost_desktop.domain.validation import ValidationError

if TYPE_CHECKING:  # numpy only for the type: importing it costs start-up time
    import numpy as np
    import numpy.typing as npt

# One reading or a chart's whole array: the same rule converts both.
Temperatures = TypeVar("Temperatures", float, "npt.NDArray[np.float64]")

KG_PER_LB = 0.45359237
LITRES_PER_US_GALLON = 3.785411784
LITRES_PER_CUBIC_METRE = 1000.0
LITRES_PER_CUBIC_YARD = 764.554857984


class MassUnit(StrEnum):
    KG = "kg"
    LB = "lb"


class TemperatureUnit(StrEnum):
    CELSIUS = "°C"
    FAHRENHEIT = "°F"


class VolumeUnit(StrEnum):
    LITRE = "L"
    US_GALLON = "gal"
    CUBIC_METRE = "m³"  # bays and loader buckets are measured in cubic metres or yards
    CUBIC_YARD = "yd³"

    @property
    def decimals(self) -> int:
        """Decimals worth showing: a litre is small, a cubic metre is not."""
        return {"L": 0, "gal": 1, "m³": 2, "yd³": 2}[self.value]


_LITRES_PER = {
    VolumeUnit.LITRE: 1.0,
    VolumeUnit.US_GALLON: LITRES_PER_US_GALLON,
    VolumeUnit.CUBIC_METRE: LITRES_PER_CUBIC_METRE,
    VolumeUnit.CUBIC_YARD: LITRES_PER_CUBIC_YARD,
}


def kg_to(value_kg: float, unit: MassUnit) -> float:
    return value_kg / KG_PER_LB if unit is MassUnit.LB else value_kg


def to_kg(value: float, unit: MassUnit) -> float:
    return value * KG_PER_LB if unit is MassUnit.LB else value


def celsius_to(value_c: Temperatures, unit: TemperatureUnit) -> Temperatures:
    return value_c * 9 / 5 + 32 if unit is TemperatureUnit.FAHRENHEIT else value_c


def to_celsius(value: float, unit: TemperatureUnit) -> float:
    return (value - 32) * 5 / 9 if unit is TemperatureUnit.FAHRENHEIT else value


def celsius_delta_to(delta_c: float, unit: TemperatureUnit) -> float:
    """A difference of temperatures (a hysteresis, a rise): no offset, only the scale."""
    return delta_c * 9 / 5 if unit is TemperatureUnit.FAHRENHEIT else delta_c


def to_celsius_delta(delta: float, unit: TemperatureUnit) -> float:
    return delta * 5 / 9 if unit is TemperatureUnit.FAHRENHEIT else delta


def litres_to(value_l: float, unit: VolumeUnit) -> float:
    return value_l / _LITRES_PER[unit]


def to_litres(value: float, unit: VolumeUnit) -> float:
    return value * _LITRES_PER[unit]


def litres_to_kg(litres: float, density_kg_per_l: float) -> float:
    """Mass of a volume of material at its bulk density."""
    return litres * density_kg_per_l


def kg_to_litres(kg: float, density_kg_per_l: float) -> float:
    return kg / density_kg_per_l


# --- loader units: amounts of a material by mass, by volume, or in the site's own units ---

LITRES_PER_CUBIC_YARD = 764.554857984


@dataclass(frozen=True, slots=True)
class AmountUnit:
    """A unit a delivery or a stock can be counted in: a mass, or a volume via bulk density.

    Exactly one of `kg` and `litres` is set: how much one of this unit is. Farm units
    (a loader bucket of 1.5 m³, a wheelbarrow of 80 L) are volumes the site names itself.
    """

    name: str
    kg: float | None = None
    litres: float | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValidationError("unit", "A unit needs a name.")
        if (self.kg is None) == (self.litres is None):
            raise ValidationError("unit", f"The unit {self.name} must be a mass or a volume.")
        size = self.kg if self.kg is not None else self.litres
        if size is None or not math.isfinite(size) or size <= 0:
            raise ValidationError("unit", f"One {self.name} must be more than zero.")

    @property
    def is_volume(self) -> bool:
        return self.litres is not None

    def to_kg(self, value: float, density_kg_per_l: float | None, material: str = "") -> float:
        """Kilograms in `value` of this unit; a volume needs the material's bulk density."""
        if self.kg is not None:
            return value * self.kg
        assert self.litres is not None
        if not density_kg_per_l:
            raise ValidationError(
                "density",
                f"{material or 'This material'} has no bulk density, so an amount in "
                f"{self.name} cannot be turned into kilograms; give the density or use a mass.",
            )
        return value * self.litres * density_kg_per_l

    def from_kg(self, kg: float, density_kg_per_l: float | None) -> float | None:
        """`kg` in this unit; None when a volume unit meets a material without a density."""
        if self.kg is not None:
            return kg / self.kg
        assert self.litres is not None
        if not density_kg_per_l:
            return None
        return kg / density_kg_per_l / self.litres


STANDARD_UNITS: tuple[AmountUnit, ...] = (
    AmountUnit("kg", kg=1.0),
    AmountUnit("t", kg=1000.0),
    AmountUnit("lb", kg=KG_PER_LB),
    AmountUnit("L", litres=1.0),
    AmountUnit("m³", litres=1000.0),
    AmountUnit("yd³", litres=LITRES_PER_CUBIC_YARD),
    AmountUnit("gal", litres=LITRES_PER_US_GALLON),
)

# Spellings people type for the standard units (keyboard-friendly m3, yd3, tonnes…).
_ALIASES = {
    "kg": "kg",
    "kgs": "kg",
    "kilogram": "kg",
    "kilograms": "kg",
    "t": "t",
    "tonne": "t",
    "tonnes": "t",
    "lb": "lb",
    "lbs": "lb",
    "l": "L",
    "litre": "L",
    "litres": "L",
    "liter": "L",
    "liters": "L",
    "m3": "m³",
    "m³": "m³",
    "yd3": "yd³",
    "yd³": "yd³",
    "cu yd": "yd³",
    "gal": "gal",
}


def find_unit(name: str, farm_units: Sequence[AmountUnit] = ()) -> AmountUnit | None:
    """The standard unit or the site's own unit called `name` (any case)."""
    wanted = name.strip().lower()
    for unit in farm_units:
        if unit.name.strip().lower() == wanted:
            return unit
    standard = _ALIASES.get(wanted)
    return next((u for u in STANDARD_UNITS if u.name == standard), None)


def parse_farm_unit(name: str, size: float, size_unit: str) -> AmountUnit:
    """A site unit from "loader bucket", 1.5, "m³": its size in a standard unit."""
    base = find_unit(size_unit)
    if base is None:
        raise ValidationError("unit", f"'{size_unit}' is not a unit (kg, t, L, m³, yd³…).")
    if not math.isfinite(size) or size <= 0:
        raise ValidationError("unit", f"One {name} must be more than zero.")
    if base.kg is not None:
        return AmountUnit(name.strip(), kg=size * base.kg)
    assert base.litres is not None
    return AmountUnit(name.strip(), litres=size * base.litres)


def parse_farm_units(text: str) -> list[AmountUnit]:
    """ "loader bucket = 1.5 m³; wheelbarrow = 80 L" → the site's units (as people write them)."""
    units: list[AmountUnit] = []
    for part in text.replace("\n", ";").split(";"):
        if not part.strip():
            continue
        name, sep, size = part.partition("=")
        if not sep or not name.strip():
            raise ValidationError(
                "unit", f"Write each unit as name = size unit, not '{part.strip()}'."
            )
        number, _, unit = size.strip().partition(" ")
        try:
            value = float(number.replace(",", "."))
        except ValueError:
            raise ValidationError(
                "unit", f"'{size.strip()}' is not a size like 1.5 m³ (in {name.strip()})."
            ) from None
        units.append(parse_farm_unit(name, value, unit.strip() or "?"))
    return units


def format_farm_units(units: Sequence[AmountUnit]) -> str:
    def size(u: AmountUnit) -> str:
        if u.kg is not None:
            return f"{u.kg:g} kg"
        assert u.litres is not None
        return f"{u.litres / 1000:g} m³" if u.litres >= 1000 else f"{u.litres:g} L"

    return "; ".join(f"{u.name} = {size(u)}" for u in units)
