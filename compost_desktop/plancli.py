"""`compost-desktop plan`: a pile plan as JSON on stdin, the recipe as JSON on stdout.

Feedstocks name library materials the way `mix` inputs do (same matcher, same library);
values given inline beat the library's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from compost_desktop.domain.planner import (
    DEFAULT_MOISTURE_PCT,
    DEFAULT_TARGET_CN,
    Feedstock,
    Plan,
    PlanRequest,
    plan,
)
from compost_desktop.domain.units import AmountUnit, find_unit, parse_farm_unit
from compost_desktop.domain.validation import ValidationError, require_number
from compost_desktop.mixcli import Library, RecipeError, builtin_library

PlanInputError = RecipeError  # one "bad input" error for both commands: exit 2


def run(text: str, library: Library = builtin_library) -> dict[str, Any]:
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise PlanInputError(f"The plan is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise PlanInputError('The plan must be a JSON object with a "feedstocks" list.')
    items = data.get("feedstocks")
    if not isinstance(items, list) or not items:
        raise PlanInputError('The plan needs a non-empty "feedstocks" list.')
    try:
        units = _farm_units(data.get("units"))
        target = data.get("target", {})
        if not isinstance(target, dict):
            raise PlanInputError('"target" must be an object like {"cn": 30, "moisture_pct": 55}.')
        water = data.get("water", True)
        if not isinstance(water, bool):
            raise PlanInputError('"water" must be true or false.')
        capacity = data.get("capacity_l")
        request = PlanRequest(
            tuple(_feedstock(i, item, library, units) for i, item in enumerate(items, start=1)),
            target_cn=_number(target, "cn", DEFAULT_TARGET_CN, "target cn"),
            target_moisture_pct=_number(
                target, "moisture_pct", DEFAULT_MOISTURE_PCT, "target moisture_pct"
            ),
            capacity_l=None
            if capacity is None
            else require_number("capacity_l", "capacity_l", capacity),
            water=water,
        )
        return plan_json(plan(request))
    except ValidationError as exc:
        raise PlanInputError(str(exc)) from exc


def plan_json(p: Plan) -> dict[str, Any]:
    """The recipe in the shape the issue (and README) documents."""
    out: dict[str, Any] = {
        "feasible": p.feasible,
        "amounts": [
            {
                "name": a.name,
                "kg": round(a.kg, 2),
                "litres": None if a.litres is None else round(a.litres, 1),
            }
            for a in p.amounts
        ],
        "water_l": round(p.water_kg, 1),  # a litre of water weighs a kilogram
        "cn_ratio": None if p.cn_ratio is None else round(p.cn_ratio, 2),
        "moisture_pct": None if p.moisture_pct is None else round(p.moisture_pct, 2),
        "volume_l": None if p.volume_l is None else round(p.volume_l, 1),
        "binding": [
            {"limit": b.limit.value, **({"feedstock": b.feedstock} if b.feedstock else {})}
            for b in p.binding
        ],
    }
    if not p.feasible:
        out["reason"] = p.reason
    return out


def _reject_constant(token: str) -> float:
    raise PlanInputError(f"{token} is not a number a plan can use.")


def _number(obj: dict[str, Any], key: str, default: float, label: str) -> float:
    value = obj.get(key)
    return default if value is None else require_number(key, label, value)


def _farm_units(raw: object) -> list[AmountUnit]:
    """{"loader bucket": {"m3": 1.5}, "wheelbarrow": {"L": 80}}: the site's own units."""
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise PlanInputError(
            '"units" must map a unit name to its size, e.g. {"bucket": {"m3": 1.5}}.'
        )
    units = []
    for name, size in raw.items():
        if not isinstance(size, dict) or len(size) != 1:
            raise PlanInputError(f'Unit "{name}" needs one size, e.g. {{"m3": 1.5}}.')
        ((base, value),) = size.items()
        units.append(parse_farm_unit(name, require_number("units", f"size of {name}", value), base))
    return units


def _amount(
    item: dict[str, Any],
    key: str,
    index: int,
    name: str,
    density: float | None,
    units: Sequence[AmountUnit],
) -> float | None:
    """kg from "kg"/"max_kg", or from "amount"/"max" with a "unit" (t, m³, yd³, farm units)."""
    kg_key = "kg" if key == "amount" else "max_kg"
    if kg_key in item:
        return require_number(kg_key, f"{kg_key} of feedstock {index}", item[kg_key])
    if key not in item:
        return None
    unit_name = item.get("unit")
    if not isinstance(unit_name, str):
        raise PlanInputError(f'Feedstock {index} ("{name}") gives "{key}" without a "unit".')
    unit = find_unit(unit_name, units)
    if unit is None:
        raise PlanInputError(
            f'Feedstock {index} ("{name}"): "{unit_name}" is not a unit (kg, t, L, m³, yd³ or '
            'one defined in "units").'
        )
    value = require_number(key, f"{key} of feedstock {index}", item[key])
    return unit.to_kg(value, density, name)


def _feedstock(
    index: int, item: object, library: Library, units: Sequence[AmountUnit]
) -> Feedstock:
    if not isinstance(item, dict):
        raise PlanInputError(f"Feedstock {index} must be an object with a name.")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise PlanInputError(f'Feedstock {index} needs a "name".')
    cn, n_pct, moisture = item.get("cn"), item.get("n_pct"), item.get("moisture_pct")
    density_m3 = item.get("density_kg_m3")
    density = (
        None
        if density_m3 is None
        else require_number("density_kg_m3", f"density_kg_m3 of feedstock {index}", density_m3)
        / 1000
    )
    record = library(name) if cn is None or n_pct is None or moisture is None else None
    if record is not None:
        cn = record.cn_ratio if cn is None else cn
        n_pct = record.nitrogen_pct if n_pct is None else n_pct
        moisture = record.moisture_pct if moisture is None else moisture
        density = record.density_kg_per_l if density is None else density
    missing = [
        k for k, v in (("cn", cn), ("n_pct", n_pct), ("moisture_pct", moisture)) if v is None
    ]
    if missing:
        where = "the library has no value for it" if record else "it is not a library material"
        raise PlanInputError(f'Feedstock {index} ("{name}") needs {", ".join(missing)}: {where}.')
    maximize = item.get("maximize", False)
    if not isinstance(maximize, bool):
        raise PlanInputError(f'Feedstock {index} ("{name}"): "maximize" must be true or false.')
    return Feedstock(
        name.strip(),
        require_number("cn", f"cn of feedstock {index}", cn),
        require_number("n_pct", f"n_pct of feedstock {index}", n_pct),
        require_number("moisture_pct", f"moisture_pct of feedstock {index}", moisture),
        density,
        fixed_kg=_amount(item, "amount", index, name, density, units),
        max_kg=_amount(item, "max", index, name, density, units),
        maximize=maximize,
    )
