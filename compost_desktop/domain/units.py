"""Unit conversions; the database always keeps metric."""

from __future__ import annotations

from enum import StrEnum

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


def celsius_to(value_c: float, unit: TemperatureUnit) -> float:
    return value_c * 9 / 5 + 32 if unit is TemperatureUnit.FAHRENHEIT else value_c


def to_celsius(value: float, unit: TemperatureUnit) -> float:
    return (value - 32) * 5 / 9 if unit is TemperatureUnit.FAHRENHEIT else value


def litres_to(value_l: float, unit: VolumeUnit) -> float:
    return value_l / _LITRES_PER[unit]


def to_litres(value: float, unit: VolumeUnit) -> float:
    return value * _LITRES_PER[unit]


def litres_to_kg(litres: float, density_kg_per_l: float) -> float:
    """Mass of a volume of material at its bulk density."""
    return litres * density_kg_per_l


def kg_to_litres(kg: float, density_kg_per_l: float) -> float:
    return kg / density_kg_per_l
