"""Series colours shared by the live plots, the history chart and the comparison.

Kept apart from the chart modules so a page that only needs a colour or the comparison's
size does not load pyqtgraph (a quarter of a second at start-up).
"""

from __future__ import annotations

from typing import Final

COLORS: Final = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")
# The monitoring palette with the rest of its family: ten lines still tell apart.
PALETTE: Final = (*COLORS, "#17becf", "#bcbd22", "#7f7f7f")
MAX_CYCLES: Final = len(PALETTE)  # cycles in one comparison: one distinct colour each
