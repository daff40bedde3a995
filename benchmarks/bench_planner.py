"""Pile planner: one solve of an 8-feedstock plan (the dialog re-plans on every keystroke).

Goal: ≤ 20 ms per solve. Three plans: one that hits both targets, one the bay is too small
for (closest recipe), one with two "as much as possible" feedstocks. Baseline, in the same
run: what the cycle dialog already does per keystroke — analyse the same 8 materials and
work out the suggestion over the shipped library (domain.mix.suggest).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from compost_desktop.domain.mix import AdditionMaterial, MixComponent, analyse, suggest
from compost_desktop.domain.planner import Feedstock, PlanRequest, plan
from compost_desktop.mixcli import builtin_library

ROUNDS = 300
GOAL_MS = 20.0


def _feedstocks(variant: str) -> tuple[Feedstock, ...]:
    maximize = variant == "maximize"
    return (
        Feedstock(
            "Food waste",
            15,
            2.4,
            70,
            0.42,
            fixed_kg=None if maximize else 40_000,
            max_kg=60_000 if maximize else None,
            maximize=maximize,
        ),
        Feedstock("Cattle manure", 19, 2.4, 81, 0.86, max_kg=20_000, maximize=maximize),
        Feedstock("Grass clippings", 17, 4.0, 82, 0.20, max_kg=5_000),
        Feedstock("Wood chips", 400, 0.15, 40, 0.30, max_kg=15_000),
        Feedstock("Leaves", 54, 0.9, 38, 0.15, max_kg=8_000),
        Feedstock("Straw", 80, 0.7, 12, 0.12),
        Feedstock("Sawdust", 440, 0.2, 39, 0.24, max_kg=6_000),
        Feedstock("Cardboard", 560, 0.1, 8, 0.06, max_kg=2_000),
    )


def _time(fn: Callable[[], object]) -> tuple[float, float, float]:
    for _ in range(10):
        fn()
    samples = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * len(samples))], samples[-1]


def main() -> None:
    requests = {
        "feasible (bay 300 m³)": PlanRequest(_feedstocks("fixed"), 30, capacity_l=300_000),
        "bay too small (closest)": PlanRequest(_feedstocks("fixed"), 30, capacity_l=110_000),
        "2 × as much as possible": PlanRequest(_feedstocks("maximize"), 30, capacity_l=250_000),
    }
    components = [
        MixComponent(f.name, 1000.0, f.cn_ratio, f.nitrogen_pct, f.moisture_pct)
        for f in _feedstocks("fixed")
    ]
    library: list[AdditionMaterial] = [m.as_addition() for m in builtin_library.materials]

    def baseline() -> object:
        mix = analyse(components)
        return suggest(mix, library, in_mix=frozenset(c.name for c in components))

    base = _time(baseline)
    print(f"baseline: mix analysis + suggestion of 8 materials: median {base[0]:.3f} ms")
    worst = 0.0
    for label, request in requests.items():
        p = plan(request)
        med, p95, top = _time(lambda r=request: plan(r))  # type: ignore[misc]
        worst = max(worst, p95)
        state = "feasible" if p.feasible else "closest"
        print(
            f"plan, 8 feedstocks, {label}: median {med:.2f} ms, p95 {p95:.2f} ms, "
            f"max {top:.2f} ms ({state}; {med / base[0]:.0f}× the baseline)"
        )
    verdict = "within" if worst <= GOAL_MS else "OVER"
    print(f"worst p95 {worst:.2f} ms: {verdict} the {GOAL_MS:g} ms goal")


if __name__ == "__main__":
    main()
