"""The mix engine against the brief's worked check and its mathematical properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from compost_desktop.domain.mix import (
    AdditionMaterial,
    MixComponent,
    MixStatus,
    MoistureStatus,
    TargetBand,
    analyse,
    moisture_status,
)
from compost_desktop.domain.states import Closeness
from compost_desktop.domain.validation import ValidationError

KITCHEN = MixComponent("Kitchen scraps", 10, 15, 2.4, 70)
LEAVES = MixComponent("Leaves", 5, 54, 0.9, 38)
LEAVES_ADD = AdditionMaterial("Leaves", 54, 0.9, 38)


def test_worked_check_from_the_brief() -> None:
    mix = analyse([KITCHEN, LEAVES])
    assert mix.cn_ratio == pytest.approx(25.9, abs=0.05)
    assert mix.moisture_pct == pytest.approx(59.3, abs=0.05)
    assert not mix.estimate
    suggestion = mix.amount_to_reach(LEAVES_ADD, 30)
    assert suggestion.kg == pytest.approx(3.06, abs=0.01)


def test_ratio_is_not_the_mass_weighted_average_of_ratios() -> None:
    # The old system's method gives (10·15 + 5·54) / 15 = 28.0 here.
    assert analyse([KITCHEN, LEAVES]).cn_ratio < 26.0


def test_unknown_nitrogen_and_moisture_give_harmonic_mean_estimate() -> None:
    mix = analyse([MixComponent("a", 1, 20), MixComponent("b", 1, 60)])
    assert mix.cn_ratio == pytest.approx(30.0)
    assert mix.estimate
    assert mix.moisture_pct is None


def test_partly_known_values_are_an_estimate() -> None:
    mix = analyse([KITCHEN, MixComponent("Old row", 5, 60)])
    assert mix.estimate
    assert mix.moisture_pct == pytest.approx(70.0)  # the unknown one assumed equal


def test_status_against_band() -> None:
    band = TargetBand()
    assert band.status_of(24.9) is MixStatus.TOO_MUCH_GREEN
    assert band.status_of(25) is MixStatus.OPTIMAL
    assert band.status_of(30.1) is MixStatus.TOO_MUCH_BROWN
    assert band.closeness_of(27) is Closeness.IN_BAND
    assert band.closeness_of(23) is Closeness.NEAR
    assert band.closeness_of(15) is Closeness.FAR


@pytest.mark.parametrize(
    ("moisture", "status"),
    [
        (39.9, MoistureStatus.TOO_DRY),
        (45, MoistureStatus.LOW),
        (55, MoistureStatus.IDEAL),
        (62, MoistureStatus.HIGH),
        (70, MoistureStatus.TOO_WET),
    ],
)
def test_moisture_bands(moisture: float, status: MoistureStatus) -> None:
    assert moisture_status(moisture) is status


def test_green_cannot_raise_a_low_ratio() -> None:
    mix = analyse([KITCHEN])
    s = mix.amount_to_reach(AdditionMaterial("Grass", 17, 4.0, 82), 27.5)
    assert s.kg is None and not s.reachable
    assert "not reachable with Grass" in (s.reason or "")


def test_brown_cannot_lower_a_high_ratio() -> None:
    mix = analyse([MixComponent("Straw", 10, 80, 0.7, 12)])
    assert mix.status is MixStatus.TOO_MUCH_BROWN
    s = mix.amount_to_reach(AdditionMaterial("Sawdust", 440, 0.2, 39))
    assert s.kg is None
    green = mix.amount_to_reach(AdditionMaterial("Chicken manure", 6, 8.0, 69))
    assert green.kg is not None and green.kg > 0


def test_material_at_the_target_ratio_cannot_move_it() -> None:
    s = analyse([KITCHEN]).amount_to_reach(AdditionMaterial("Mid", 27.5, 1.0, 50), 27.5)
    assert s.kg is None


def test_water_to_reach_goal() -> None:
    dry = analyse([MixComponent("Straw", 10, 80, 0.7, 12)])
    water = dry.water_to_reach(55)
    assert water is not None
    wet_total = dry.total_kg + water
    assert (dry.total_kg * 12 / 100 + water) / wet_total == pytest.approx(0.55)
    assert analyse([KITCHEN]).water_to_reach(55) is None  # already wetter


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"mass_kg": -1}, "kg"),
        ({"mass_kg": 0}, "kg"),
        ({"mass_kg": 5e6}, "kg"),
        ({"mass_kg": math.nan}, "kg"),
        ({"cn_ratio": 0}, "cn"),
        ({"nitrogen_pct": 0}, "n_pct"),
        ({"moisture_pct": 100}, "moisture_pct"),
        ({"moisture_pct": -3}, "moisture_pct"),
    ],
)
def test_bad_values_are_refused_with_a_message(kwargs: dict[str, float], field: str) -> None:
    values: dict[str, float | str | None] = {
        "name": "Straw",
        "mass_kg": 1,
        "cn_ratio": 80,
        "nitrogen_pct": 0.7,
        "moisture_pct": 12,
    }
    values.update(kwargs)
    with pytest.raises(ValidationError) as info:
        MixComponent(**values)  # type: ignore[arg-type]
    assert info.value.field == field
    assert "Straw" in str(info.value)


def test_empty_mix_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least one"):
        analyse([])


def test_band_must_be_ordered() -> None:
    with pytest.raises(ValidationError):
        TargetBand(30, 25, 27)
    with pytest.raises(ValidationError):
        TargetBand(25, 30, 35)


# --- properties ------------------------------------------------------------------------

components = st.builds(
    MixComponent,
    name=st.sampled_from(["a", "b", "c", "d"]),
    mass_kg=st.floats(0.1, 5000),
    cn_ratio=st.floats(5, 700),
    nitrogen_pct=st.none() | st.floats(0.05, 10),
    moisture_pct=st.none() | st.floats(0, 90),
)


@given(st.lists(components, min_size=1, max_size=8))
def test_mix_ratio_lies_between_smallest_and_largest_input_ratio(mix: list[MixComponent]) -> None:
    ratio = analyse(mix).cn_ratio
    assert (
        min(c.cn_ratio for c in mix) * (1 - 1e-9)
        <= ratio
        <= max(c.cn_ratio for c in mix) * (1 + 1e-9)
    )


@given(st.lists(components, min_size=1, max_size=8), st.randoms())
def test_order_of_inputs_does_not_matter(mix: list[MixComponent], rnd: object) -> None:
    shuffled = list(mix)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    a, b = analyse(mix), analyse(shuffled)
    assert a.cn_ratio == pytest.approx(b.cn_ratio, rel=1e-9)
    assert a.estimate == b.estimate


@given(
    st.lists(components, min_size=1, max_size=6),
    st.floats(5, 700),
    st.floats(0.05, 10),
    st.floats(0, 90),
    st.floats(15, 45),
)
def test_adding_the_suggested_amount_reaches_the_target(
    mix: list[MixComponent], cn: float, n: float, m: float, target: float
) -> None:
    # Fully known components, so the suggestion is exact rather than an estimate.
    mix = [
        MixComponent(c.name, c.mass_kg, c.cn_ratio, c.nitrogen_pct or 1.0, c.moisture_pct or 50)
        for c in mix
    ]
    analysis = analyse(mix)
    assume(abs(cn - target) > 0.5)
    s = analysis.amount_to_reach(AdditionMaterial("add", cn, n, m), target)
    if s.kg is None:
        # Only refused when the material pushes the wrong way.
        assert (analysis.cn_ratio < target) == (cn < target)
        return
    assert s.kg >= 0
    assume(0 < s.kg < 50_000)
    after = analyse([*mix, MixComponent("add", s.kg, cn, n, m)]) if s.kg > 0 else analysis
    assert after.cn_ratio == pytest.approx(target, rel=1e-6)


@given(st.lists(components, min_size=1, max_size=6), st.floats(5, 700), st.floats(10, 50))
def test_suggestion_is_never_negative(mix: list[MixComponent], cn: float, target: float) -> None:
    s = analyse(mix).amount_to_reach(AdditionMaterial("x", cn), target)
    assert s.kg is None or s.kg >= 0
    assert s.kg is not None or s.reason
