"""The app's colours: chart series, and the states a cycle, a mix or a rule can be in.

Kept apart from the chart modules so a page that only needs a colour or the comparison's
size does not load pyqtgraph (a quarter of a second at start-up), and below the GUI so the
report prints the colours the screens show.
"""

from __future__ import annotations

from typing import Final

from compost_desktop.domain.lifecycle import CycleStatus
from compost_desktop.domain.mix import Closeness
from compost_desktop.domain.pathogen import PathogenStatus

COLORS: Final = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")
# The monitoring palette with the rest of its family: ten lines still tell apart.
PALETTE: Final = (*COLORS, "#17becf", "#bcbd22", "#7f7f7f")
MAX_CYCLES: Final = len(PALETTE)  # cycles in one comparison: one distinct colour each

STATUS_COLOURS: Final[dict[CycleStatus, str]] = {
    CycleStatus.ACTIVE: "#2e7d32",
    CycleStatus.PLANNING: "#1565c0",
    CycleStatus.COMPLETED: "#6d4c41",
    CycleStatus.ARCHIVED: "#757575",
}

CLOSENESS_COLOURS: Final[dict[Closeness, str]] = {
    Closeness.IN_BAND: "#2e7d32",
    Closeness.NEAR: "#c77700",
    Closeness.FAR: "#c62828",
}

PATHOGEN_COLOURS: Final[dict[PathogenStatus, str]] = {
    PathogenStatus.MET: "#2e7d32",
    PathogenStatus.NOT_YET: "#b26a00",
    PathogenStatus.FAILED: "#c62828",
}
