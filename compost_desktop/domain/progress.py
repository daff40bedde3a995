"""Progress of a cycle by time and by volume; shrinkage is reported, never counted as progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class VolumeProgress:
    fill_fraction: float | None  # loaded volume against the bay/bin capacity
    shrinkage_fraction: float | None  # how much the pile has shrunk since it was built


def time_progress(start: date, projected_end: date | None, today: date) -> float | None:
    """Fraction of the planned duration elapsed, clamped to 0–1; None without an end date."""
    if projected_end is None or projected_end <= start:
        return None
    fraction = (today - start).days / (projected_end - start).days
    return min(1.0, max(0.0, fraction))


def volume_progress(
    initial_l: float | None, current_l: float | None, capacity_l: float | None
) -> VolumeProgress:
    fill = initial_l / capacity_l if initial_l and capacity_l else None
    shrink = 1 - current_l / initial_l if initial_l and current_l is not None else None
    return VolumeProgress(fill_fraction=fill, shrinkage_fraction=shrink)


def bay_fill_l(initial_l: float | None, estimated_l: float | None) -> float | None:
    """What fills the bay: the pile's measured initial volume, else what the inputs add up to.

    One rule, so the detail view's "Fill of the bay" and the report say the same.
    """
    return initial_l if initial_l else estimated_l
