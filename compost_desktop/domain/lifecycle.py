"""Cycle lifecycle: planning → active → completed → archived."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from compost_desktop.domain.validation import ValidationError


class CycleStatus(StrEnum):
    PLANNING = "planning"
    ACTIVE = "active"
    COMPLETED = "completed"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return self.value.capitalize()


# The order cycles are listed in: what runs, then what is coming, then the record.
STATUS_RANK: dict[CycleStatus, int] = {
    CycleStatus.ACTIVE: 0,
    CycleStatus.PLANNING: 1,
    CycleStatus.COMPLETED: 2,
    CycleStatus.ARCHIVED: 3,
}


class MaterialKind(StrEnum):
    GREEN = "green"
    BROWN = "brown"


# A plan that never started may be archived directly; nothing goes backwards, because the
# readings recorded while a cycle was active must keep belonging to it.
ALLOWED_TRANSITIONS: dict[CycleStatus, frozenset[CycleStatus]] = {
    CycleStatus.PLANNING: frozenset({CycleStatus.ACTIVE, CycleStatus.ARCHIVED}),
    CycleStatus.ACTIVE: frozenset({CycleStatus.COMPLETED}),
    CycleStatus.COMPLETED: frozenset({CycleStatus.ARCHIVED}),
    CycleStatus.ARCHIVED: frozenset(),
}


class TransitionError(ValidationError):
    """A lifecycle step that the cycle's current status does not allow."""


def can_transition(current: CycleStatus, new: CycleStatus) -> bool:
    return new in ALLOWED_TRANSITIONS[current]


def check_transition(current: CycleStatus, new: CycleStatus) -> None:
    if not can_transition(current, new):
        allowed = ", ".join(sorted(s.value for s in ALLOWED_TRANSITIONS[current])) or "nothing"
        raise TransitionError(
            "status",
            f"A {current.value} cycle cannot become {new.value}; it can become: {allowed}.",
        )


def check_dates(start: date | None, projected_end: date | None) -> None:
    """The projected end must come after the start."""
    if start is None:
        raise ValidationError("start_date", "Choose a start date.")
    if projected_end is not None and projected_end <= start:
        raise ValidationError(
            "projected_end_date",
            f"The projected end ({projected_end.isoformat()}) must be after the start "
            f"({start.isoformat()}).",
        )
