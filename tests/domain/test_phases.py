"""Phases shaded on the history chart follow the pile's temperature curve."""

from __future__ import annotations

import pytest

from compost_desktop.domain.phases import Phase, phase_spans

H = 3600.0


def curve(*points: tuple[float, float]) -> tuple[list[float], list[float]]:
    return [t * H for t, _ in points], [v for _, v in points]


def test_a_pile_that_never_heats_is_mesophilic_throughout() -> None:
    spans = phase_spans(*curve((0, 20), (10, 38), (20, 44.9)))
    assert [(s.phase, s.start, s.end) for s in spans] == [(Phase.MESOPHILIC, 0, 20 * H)]


def test_a_full_cycle_has_all_four_phases_in_order() -> None:
    spans = phase_spans(
        *curve((0, 20), (24, 40), (48, 56), (200, 62), (300, 46), (320, 38), (400, 29), (500, 22))
    )
    assert [s.phase for s in spans] == [
        Phase.MESOPHILIC,
        Phase.THERMOPHILIC,
        Phase.COOLING,
        Phase.CURING,
    ]
    assert spans[1].start == 48 * H and spans[1].end == 300 * H
    assert spans[3].start == 400 * H and spans[3].end == 500 * H


def test_a_short_dip_does_not_split_the_thermophilic_phase() -> None:
    spans = phase_spans(*curve((0, 50), (10, 42), (11, 57), (30, 58)))
    assert [s.phase for s in spans] == [Phase.THERMOPHILIC]


def test_a_warm_spell_after_cooling_postpones_curing() -> None:
    spans = phase_spans(*curve((0, 50), (10, 28), (12, 33), (40, 34), (50, 25), (60, 24)))
    curing = [s for s in spans if s.phase is Phase.CURING]
    assert curing and curing[0].start == 50 * H


def test_still_warm_at_the_end_is_cooling_not_curing() -> None:
    spans = phase_spans(*curve((0, 50), (10, 40), (20, 35)))
    assert spans[-1].phase is Phase.COOLING and spans[-1].end == 20 * H


def test_empty_and_mismatched_input() -> None:
    assert phase_spans([], []) == []
    with pytest.raises(ValueError):
        phase_spans([1.0], [])
