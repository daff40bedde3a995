"""`compost-desktop mix`: a recipe as JSON on stdin, its analysis as JSON on stdout."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from compost_desktop.domain.defaults import DEFAULT_MATERIALS
from compost_desktop.domain.mix import (
    AdditionMaterial,
    MixAnalysis,
    MixComponent,
    TargetBand,
    analyse,
    suggest,
)
from compost_desktop.domain.validation import ValidationError, require_number
from compost_desktop.services.values import MaterialRecord, match_material

Library = Callable[[str], MaterialRecord | None]


class RecipeError(ValueError):
    """The recipe cannot be read; the message points at the offending part."""


@dataclass(frozen=True, slots=True)
class Catalogue:
    """A whole library: looks names up like the app, and lists candidates for suggestions."""

    materials: tuple[MaterialRecord, ...]

    def __call__(self, name: str) -> MaterialRecord | None:
        return match_material(name, self.materials)


# The shipped defaults, for scripts that name materials without a database.
builtin_library = Catalogue(
    tuple(
        MaterialRecord(
            i, d.name, d.kind, d.cn_ratio, d.nitrogen_pct, d.moisture_pct, d.density_kg_per_l
        )
        for i, d in enumerate(DEFAULT_MATERIALS, start=1)
    )
)


def run(text: str, library: Library = builtin_library) -> dict[str, Any]:
    try:
        recipe = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise RecipeError(f"The recipe is not valid JSON: {exc}") from exc
    if not isinstance(recipe, dict):
        raise RecipeError('The recipe must be a JSON object with an "inputs" list.')
    inputs = recipe.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise RecipeError('The recipe needs a non-empty "inputs" list.')
    try:
        band = _band(recipe.get("target"))
        components = [_component(i, item, library) for i, item in enumerate(inputs, start=1)]
        analysis = analyse(components, band)
        suggestion = _suggest(analysis, recipe.get("add"), components, inputs, library)
    except ValidationError as exc:
        raise RecipeError(str(exc)) from exc
    result: dict[str, Any] = {
        "cn_ratio": round(analysis.cn_ratio, 2),
        "moisture_pct": None if analysis.moisture_pct is None else round(analysis.moisture_pct, 2),
        "total_kg": round(analysis.total_kg, 3),
        "status": analysis.status.value,
        "estimate": analysis.estimate,
        "target": analysis.band.target,
        "suggestion": suggestion,
    }
    water = analysis.water_to_reach()
    if water is not None:
        result["water_kg_to_55_pct"] = round(water, 2)
    return result


def _reject_constant(token: str) -> float:
    raise RecipeError(f"{token} is not a number a recipe can use.")


def _band(target: object) -> TargetBand:
    if target is None:
        return TargetBand()
    goal = require_number("target", "target", target)
    default = TargetBand()
    # A target outside the default band carries its own ±2.5 band, so status stays meaningful.
    if default.low <= goal <= default.high:
        return TargetBand(default.low, default.high, goal)
    return TargetBand(max(goal - 2.5, 0.5), goal + 2.5, goal)


def _component(index: int, item: object, library: Library) -> MixComponent:
    if not isinstance(item, dict):
        raise RecipeError(f"Input {index} must be an object with a name and kg.")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RecipeError(f'Input {index} needs a "name".')
    if "kg" not in item:
        raise RecipeError(f'Input {index} ("{name}") needs "kg".')
    cn, n_pct, moisture = item.get("cn"), item.get("n_pct"), item.get("moisture_pct")
    if cn is None:
        material = library(name)
        if material is None:
            raise RecipeError(
                f'Input {index}: "{name}" gives no "cn" and is not a material in the library.'
            )
        cn = material.cn_ratio
        n_pct = material.nitrogen_pct if n_pct is None else n_pct
        moisture = material.moisture_pct if moisture is None else moisture
    return MixComponent(
        name,
        require_number("kg", f"kg of input {index}", item["kg"]),
        require_number("cn", f"cn of input {index}", cn),
        None if n_pct is None else require_number("n_pct", f"n_pct of input {index}", n_pct),
        None
        if moisture is None
        else require_number("moisture_pct", f"moisture_pct of input {index}", moisture),
    )


def _suggest(
    analysis: MixAnalysis,
    add: object,
    components: list[MixComponent],
    inputs: list[Any],
    library: Library,
) -> dict[str, Any] | None:
    if add is None:
        return _auto_suggestion(analysis, components, library)
    if not isinstance(add, str) or not add.strip():
        raise RecipeError('"add" must name a material.')
    material = _addition_named(add, components, library)
    if material is None:
        raise RecipeError(f'"add": "{add}" is neither one of the inputs nor a library material.')
    s = suggest(analysis, [], chosen=material)
    assert s is not None
    return _suggestion_json(analysis, s.material, s.kg, s.reason)


def _addition_named(
    name: str, components: list[MixComponent], library: Library
) -> AdditionMaterial | None:
    for c in components:
        if c.name.strip().lower() == name.strip().lower():
            return AdditionMaterial(c.name, c.cn_ratio, c.nitrogen_pct, c.moisture_pct)
    record = library(name)
    return None if record is None else record.as_addition()


def _auto_suggestion(
    analysis: MixAnalysis, components: list[MixComponent], library: Library
) -> dict[str, Any] | None:
    """`domain.mix.suggest` over the library and the inputs: the same answer as the app's."""
    known: Sequence[MaterialRecord] = library.materials if isinstance(library, Catalogue) else ()
    names = {m.name.lower() for m in known}
    candidates = [m.as_addition() for m in known] + [
        AdditionMaterial(c.name, c.cn_ratio, c.nitrogen_pct, c.moisture_pct)
        for c in components
        if c.name.lower() not in names
    ]
    s = suggest(analysis, candidates, in_mix=frozenset(c.name for c in components))
    return None if s is None else _suggestion_json(analysis, s.material, s.kg, s.reason)


def _suggestion_json(
    analysis: MixAnalysis, material: str, kg: float | None, reason: str | None
) -> dict[str, Any]:
    if kg is None:
        return {"material": material, "reachable": False, "reason": reason}
    assert math.isfinite(kg)
    return {"material": material, "kg": round(kg, 2)}
