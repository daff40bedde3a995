"""Loader units: kg, t, L, m³, yd³ and the site's own units, through bulk density."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compost_desktop.domain.units import (
    STANDARD_UNITS,
    AmountUnit,
    find_unit,
    format_farm_units,
    parse_farm_unit,
    parse_farm_units,
)
from compost_desktop.domain.validation import ValidationError

STRAW = 0.12  # kg/L (120 kg/m³)


def unit(name: str, farm: tuple[AmountUnit, ...] = ()) -> AmountUnit:
    found = find_unit(name, farm)
    assert found is not None, name
    return found


def test_standard_units_by_mass_and_by_volume() -> None:
    assert unit("t").to_kg(2, None) == 2000
    assert unit("tonnes").to_kg(1, STRAW) == 1000  # a mass needs no density
    assert unit("kg").to_kg(3.5, None) == 3.5
    assert unit("m3").to_kg(1, STRAW) == pytest.approx(120)
    assert unit("L").to_kg(500, STRAW) == pytest.approx(60)
    assert unit("yd³").to_kg(1, STRAW) == pytest.approx(0.764554857984 * 120)  # 1 yd³ exactly
    assert unit("lb").to_kg(1, None) == pytest.approx(0.45359237)


def test_a_volume_without_a_density_is_explained() -> None:
    with pytest.raises(ValidationError, match="Straw has no bulk density"):
        unit("m³").to_kg(1, None, "Straw")
    assert unit("m³").from_kg(120, None) is None


def test_farm_units_are_volumes_or_masses_the_site_names() -> None:
    farm = tuple(parse_farm_units("loader bucket = 1.5 m³; wheelbarrow = 80 L; bag = 25 kg"))
    assert unit("Loader Bucket", farm).to_kg(2, 0.42) == pytest.approx(2 * 1500 * 0.42)
    assert unit("wheelbarrow", farm).to_kg(10, STRAW) == pytest.approx(96)
    assert unit("bag", farm).to_kg(4, None) == 100
    assert format_farm_units(farm) == "loader bucket = 1.5 m³; wheelbarrow = 80 L; bag = 25 kg"
    assert parse_farm_units(format_farm_units(farm)) == list(farm)
    assert parse_farm_units("") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bucket 1.5 m3", "name = size"),
        ("bucket = lots", "not a size"),
        ("bucket = 1.5 barrels", "not a unit"),
        ("bucket = 0 m3", "more than zero"),
        ("= 2 L", "name = size"),
    ],
)
def test_bad_farm_units_are_explained(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_farm_units(text)


def test_a_unit_is_a_mass_or_a_volume_not_both() -> None:
    with pytest.raises(ValidationError):
        AmountUnit("odd", kg=1, litres=1)
    with pytest.raises(ValidationError):
        AmountUnit("none")
    with pytest.raises(ValidationError):
        parse_farm_unit("bucket", -1, "m3")


@given(
    st.sampled_from(STANDARD_UNITS),
    st.floats(0.001, 1e6),
    st.floats(0.01, 2.0),
)
def test_to_kg_and_back_round_trip(u: AmountUnit, value: float, density: float) -> None:
    back = u.from_kg(u.to_kg(value, density), density)
    assert back == pytest.approx(value, rel=1e-9)
