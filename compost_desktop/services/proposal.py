"""What to add to a mix, in words, tied to the library row it names.

The policy is `domain.mix.suggest`, which the `mix` command uses too; this adds the
library material ("Add this" inserts it) and the sentence the dialog and the report show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from compost_desktop.domain.mix import ON_TARGET, MixAnalysis, MixStatus, Suggestion, suggest
from compost_desktop.services.values import MaterialRecord


@dataclass(frozen=True, slots=True)
class Proposal:
    """A suggestion tied to the library material it names, so "Add this" can insert it."""

    material: MaterialRecord | None
    suggestion: Suggestion | None
    message: str


def propose(
    mix: MixAnalysis,
    library: Sequence[MaterialRecord],
    chosen: MaterialRecord | None = None,
    in_mix: frozenset[str] = frozenset(),
) -> Proposal:
    """`domain.mix.suggest` (the policy `mix` uses too), tied to the library row it names."""
    goal = mix.band.target
    suggestion = suggest(
        mix,
        [m.as_addition() for m in library],
        chosen.as_addition() if chosen is not None else None,
        in_mix,
    )
    if suggestion is None:
        if abs(mix.cn_ratio - goal) < ON_TARGET:
            return Proposal(None, None, f"On target ({goal:g}:1): nothing to add.")
        if mix.status is MixStatus.OPTIMAL:
            return Proposal(
                None,
                None,
                f"In the band ({mix.band.low:g}–{mix.band.high:g}:1): nothing to add.",
            )
        raising = mix.cn_ratio < goal
        word = "brown with a C:N above" if raising else "green with a C:N below"
        return Proposal(
            None, None, f"No {word} {goal:g}:1 in the library; add one to get a suggestion."
        )
    if suggestion.kg == 0:
        return Proposal(None, None, f"On target ({goal:g}:1): nothing to add.")
    material = (
        chosen
        if chosen is not None
        else next((m for m in library if m.name == suggestion.material), None)
    )
    return Proposal(material if suggestion.reachable else None, suggestion, suggestion.reason or "")
