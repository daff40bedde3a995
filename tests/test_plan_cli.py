"""`compost-desktop plan` as a real process, and its JSON contract."""

from __future__ import annotations

import json

import pytest

from compost_desktop import mixcli, plancli
from tests.test_cli import run

EXAMPLE = {
    "target": {"cn": 30, "moisture_pct": 55},
    "capacity_l": 300000,
    "water": True,
    "feedstocks": [
        {
            "name": "Food waste",
            "kg": 40000,
            "cn": 15,
            "n_pct": 2.4,
            "moisture_pct": 70,
            "density_kg_m3": 420,
        },
        {"name": "Wood chips", "max_kg": 15000},
        {
            "name": "Leaves",
            "max_kg": 8000,
            "cn": 54,
            "n_pct": 0.9,
            "moisture_pct": 38,
            "density_kg_m3": 150,
        },
        {"name": "Straw", "maximize": False},
    ],
}


def test_plan_example_prints_the_recipe_in_the_documented_shape() -> None:
    result = run("plan", stdin=json.dumps(EXAMPLE))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {
        "feasible",
        "amounts",
        "water_l",
        "cn_ratio",
        "moisture_pct",
        "volume_l",
        "binding",
    }
    assert out["feasible"] is True
    assert [a["name"] for a in out["amounts"]] == ["Food waste", "Wood chips", "Leaves", "Straw"]
    assert all(set(a) == {"name", "kg", "litres"} for a in out["amounts"])
    assert out["amounts"][0]["kg"] == 40000
    assert out["cn_ratio"] == pytest.approx(30, abs=0.01)
    assert out["moisture_pct"] == pytest.approx(55, abs=0.01)
    assert out["volume_l"] <= 300000
    # Wood chips came from the shipped library: 300 kg/m³
    chips = out["amounts"][1]
    assert chips["kg"] <= 15000
    if chips["kg"]:
        assert chips["litres"] == pytest.approx(chips["kg"] / 0.3, rel=1e-3)


def test_plan_infeasible_says_why_and_gives_the_closest_recipe() -> None:
    small = {**EXAMPLE, "capacity_l": 60000}  # the bay: 40 t of food waste alone is 95 m³
    out = plancli.run(json.dumps(small))
    assert out["feasible"] is False
    assert "bay holds 60,000 L" in out["reason"]
    assert {"limit": "capacity"} in out["binding"]
    assert {"limit": "fixed", "feedstock": "Food waste"} in out["binding"]
    assert out["cn_ratio"] is not None and out["moisture_pct"] is not None


def test_plan_accepts_loader_units_and_farm_units() -> None:
    text = json.dumps(
        {
            "units": {"loader bucket": {"m3": 1.5}, "wheelbarrow": {"L": 80}},
            "feedstocks": [
                {"name": "Kitchen scraps", "amount": 2, "unit": "loader bucket"},
                {"name": "Straw", "max": 40, "unit": "wheelbarrow"},
                {"name": "Sawdust", "max": 1, "unit": "yd3"},
                {"name": "Grass clippings", "max": 0.5, "unit": "t"},
            ],
        }
    )
    out = plancli.run(text)
    kitchen, straw, sawdust, grass = out["amounts"]
    assert kitchen["kg"] == pytest.approx(2 * 1500 * 0.42)  # 2 buckets of 1.5 m³ at 420 kg/m³
    assert straw["kg"] <= 40 * 80 * 0.12 + 1e-6
    assert sawdust["kg"] <= 764.554857984 * 0.24 + 1e-6
    assert grass["kg"] <= 500 + 1e-6


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"feedstocks": []}', "non-empty"),
        ('{"feedstocks": [{"name": "Nope", "kg": 3}]}', "not a library material"),
        ('{"feedstocks": [{"name": "Straw", "amount": 3, "unit": "bucket"}]}', "not a unit"),
        ('{"feedstocks": [{"name": "Straw", "kg": -3}]}', "negative"),
        ('{"feedstocks": [{"name": "Straw", "max_kg": 3}]}', "Nothing to plan"),
        ('{"feedstocks": [{"name": "Straw", "kg": 3}], "water": "yes"}', "true or false"),
        ('{"feedstocks": [{"name": "Straw", "kg": NaN}]}', "not a number"),
    ],
)
def test_bad_plans_are_refused_with_a_message(text: str, message: str) -> None:
    with pytest.raises(plancli.PlanInputError, match=message):
        plancli.run(text)


def test_bad_plan_exits_2_with_the_message_on_stderr() -> None:
    result = run("plan", stdin='{"feedstocks": [{"name": "Nope", "kg": 3}]}')
    assert result.returncode == 2
    assert "not a library material" in result.stderr
    assert result.stdout == ""


def test_plan_names_resolve_like_mix_does() -> None:
    """Same matcher: any case, unique prefix."""
    out = plancli.run('{"feedstocks": [{"name": "kitchen", "kg": 10}, {"name": "leaves, sh"}]}')
    assert mixcli.builtin_library("kitchen") is not None
    assert out["amounts"][1]["kg"] > 0
