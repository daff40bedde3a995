from __future__ import annotations

from datetime import date

import pytest

from compost_desktop.domain.lifecycle import (
    CycleStatus,
    TransitionError,
    can_transition,
    check_dates,
    check_transition,
)
from compost_desktop.domain.progress import time_progress, volume_progress
from compost_desktop.domain.validation import ValidationError

P, A, C, X = CycleStatus.PLANNING, CycleStatus.ACTIVE, CycleStatus.COMPLETED, CycleStatus.ARCHIVED


@pytest.mark.parametrize(("old", "new"), [(P, A), (A, C), (C, X), (P, X)])
def test_forward_steps_are_allowed(old: CycleStatus, new: CycleStatus) -> None:
    assert can_transition(old, new)
    check_transition(old, new)


@pytest.mark.parametrize(("old", "new"), [(A, P), (C, A), (X, A), (X, C), (P, C), (A, X)])
def test_other_steps_are_refused_with_what_is_allowed(old: CycleStatus, new: CycleStatus) -> None:
    with pytest.raises(TransitionError) as info:
        check_transition(old, new)
    assert f"cannot become {new.value}" in str(info.value)


def test_end_must_come_after_start() -> None:
    check_dates(date(2026, 1, 1), date(2026, 2, 1))
    check_dates(date(2026, 1, 1), None)
    with pytest.raises(ValidationError) as info:
        check_dates(date(2026, 2, 1), date(2026, 1, 1))
    assert info.value.field == "projected_end_date"
    with pytest.raises(ValidationError):
        check_dates(date(2026, 2, 1), date(2026, 2, 1))


def test_progress_by_time_and_volume() -> None:
    assert time_progress(date(2026, 1, 1), date(2026, 1, 11), date(2026, 1, 6)) == 0.5
    assert time_progress(date(2026, 1, 1), date(2026, 1, 11), date(2027, 1, 1)) == 1.0
    assert time_progress(date(2026, 1, 1), None, date(2026, 1, 6)) is None
    v = volume_progress(initial_l=800, current_l=500, capacity_l=1000)
    assert v.fill_fraction == 0.8  # shrinkage does not reduce the fill
    assert v.shrinkage_fraction == pytest.approx(0.375)
