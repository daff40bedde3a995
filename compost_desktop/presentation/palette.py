"""The app's colours, named by what they mean: states, text, chart series and marks.

Every widget and the report take their colours from here, so one meaning has one colour and
a change of shade is one edit (issue 15: four error reds, six ambers and a handful of greys
had grown apart in the modules). A colour text is written in keeps 4.5:1 contrast on white
(WCAG AA), and a state's colour keeps it on its own background too; `tests/test_palette.py`
checks that, and that no other module writes a #rrggbb literal.

Kept apart from the chart modules so a page that only needs a colour or the comparison's
size does not load pyqtgraph (a quarter of a second at start-up), and below the GUI so the
report prints the colours the screens show.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from compost_desktop.domain.lifecycle import CycleStatus, MaterialKind
from compost_desktop.domain.phases import Phase
from compost_desktop.domain.states import Closeness, PathogenStatus

# --- states: text, outlines and marks on white ----------------------------------------------
# A box tinted with a state's background is edged and written in the state's colour.

ERROR: Final = "#c62828"  # something failed or is invalid and blocks the user
ERROR_BACKGROUND: Final = "#fdecee"  # an invalid field, an error banner
# Worth a second look, never blocking. The #b06000 the forms used, a step darker so it keeps
# 4.5:1 on its own background as well as on white (#b06000 had 4.2:1 there, #b26a00 4.2:1
# and #c77700 3.5:1 even on white).
WARNING: Final = "#a05700"
WARNING_BACKGROUND: Final = "#fff3cd"  # a caution banner, the estimate badge
OK: Final = "#2e7d32"  # done, met, in band, connected
OK_BACKGROUND: Final = "#edf7ed"  # a banner saying something went well

# --- text and neutral lines -------------------------------------------------------------------

# Hints, captions, labels beside values: quieter than the text, still 5.7:1 on white.
MUTED_TEXT: Final = "#666666"
INACTIVE: Final = "#757575"  # out of play: an archived cycle, an ignored device
INK: Final = "#1f1f1f"  # the report's text, a shade off black
# A step softer than INK: a chart's axis labels and legend, the report's lead lines, hand
# readings' dots and the signature line.
SOFT_INK: Final = "#333333"
ON_FILL: Final = "#ffffff"  # text on a filled status badge; every status colour holds 4.5:1
PAPER: Final = "#ffffff"  # behind a chart or a page, and the plate that keeps a label legible
LINE: Final = "#999999"  # neutral lines: chart axes, the frame of a legend, a swatch, a page

# --- thin bars under a percentage in a table cell -------------------------------------------

BAR_TRACK: Final = "#e0e0e0"  # the part not yet reached
PROGRESS_BAR: Final = "#1565c0"  # time elapsed of a cycle's planned length
FILL_BAR: Final = "#6d4c41"  # how full the bay is, in compost brown

# --- the live gauges' bands: wide arcs, not text, so lighter than the state colours ---------

GAUGE_COLD: Final = "#5b8fd6"
GAUGE_GOOD: Final = "#3fa34d"
GAUGE_CAUTION: Final = "#e6a23c"
GAUGE_BAD: Final = "#d64545"
GAUGE_NEUTRAL: Final = "#9aa3ad"  # a quantity without bands (CO2, humidity)

# --- chart series and marks ---------------------------------------------------------------

COLORS: Final = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")
# The monitoring palette with the rest of its family: ten lines still tell apart.
PALETTE: Final = (*COLORS, "#17becf", "#bcbd22", "#7f7f7f")
MAX_CYCLES: Final = len(PALETTE)  # cycles in one comparison: one distinct colour each
# Live sensors: the family's ten and six more of its kin, sixteen lines before one repeats.
# The device registry hands them out (`DeviceRegistry.colours`); a colour the user pins wins.
DEVICE_COLOURS: Final = (*PALETTE, "#393b79", "#ad494a", "#637939", "#7b4173", "#e6550d", "#3182bd")
SERIES_FALLBACK: Final = PALETTE[-1]  # a device that has no colour of its own yet: grey
# A rule's minimum or target temperature across a chart: below the line, the rule is not met.
THRESHOLD_LINE: Final = ERROR
LOWEST_PROBE: Final = INK  # the lowest probe, which rules judge: dark above the coloured probes
TURNING_MARK: Final = "#6d4c41"  # a turning of the pile, in compost brown
DELIVERY_MARK: Final = "#6b8e23"  # a delivery, olive beside OK's green of a run that met the rule
# Probes on paper: the series family without its red and green, which would read as the rule
# line and the met run.
REPORT_SERIES: Final = (
    "#1f77b4", "#ff7f0e", "#9467bd", "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f",
)  # fmt: skip
# Soft bands behind the report's chart, the hues of the history chart's, so paper and screen
# read alike.
# The history chart's phase bands: see-through over its grid; `PHASE_BACKGROUNDS` is how
# they look on paper.
PHASE_TINTS: Final[dict[Phase, tuple[int, int, int, int]]] = {
    Phase.MESOPHILIC: (66, 165, 245, 26),
    Phase.THERMOPHILIC: (239, 83, 80, 26),
    Phase.COOLING: (255, 179, 0, 30),
    Phase.CURING: (102, 187, 106, 30),
}
# A phase's name over its band: warming in planning's blue, hot in red, cooling amber, cured green.
PHASE_COLOURS: Final[dict[Phase, str]] = {
    Phase.MESOPHILIC: "#1565c0",
    Phase.THERMOPHILIC: ERROR,
    Phase.COOLING: WARNING,
    Phase.CURING: OK,
}
PHASE_BACKGROUNDS: Final[dict[Phase, str]] = {
    Phase.MESOPHILIC: "#e2eef9",
    Phase.THERMOPHILIC: "#fde4df",
    Phase.COOLING: "#fff3dc",
    Phase.CURING: "#e6f3e6",
}

# --- the printed report: green-grey rules and tints on white paper ---------------------------

ACCENT: Final = "#2e5d34"  # section headings and the header's title, the farm's dark green
PAPER_RULE: Final = "#9aa79a"  # the header's and the footer's rules
PAPER_BORDER: Final = "#b9c2b9"  # table borders, the frames in the chart's legend
PAPER_GRID: Final = "#d5d9d5"  # the chart's grid, faint so the curves stand out
TABLE_HEADING: Final = "#e6ece6"
TABLE_TOTAL: Final = "#eef2ee"
TABLE_STRIPE: Final = "#f6f8f6"  # every other row

# --- what a cycle, a mix, a rule or a material is ---------------------------------------------

STATUS_COLOURS: Final[dict[CycleStatus, str]] = {
    CycleStatus.ACTIVE: OK,
    CycleStatus.PLANNING: "#1565c0",
    CycleStatus.COMPLETED: "#6d4c41",
    CycleStatus.ARCHIVED: INACTIVE,
}

CLOSENESS_COLOURS: Final[dict[Closeness, str]] = {
    Closeness.IN_BAND: OK,
    Closeness.NEAR: WARNING,
    Closeness.FAR: ERROR,
}

PATHOGEN_COLOURS: Final[dict[PathogenStatus, str]] = {
    PathogenStatus.MET: OK,
    PathogenStatus.NOT_YET: WARNING,
    PathogenStatus.FAILED: ERROR,
}

# Nitrogen-rich greens and carbon-rich browns by their everyday names (OK's green by shade only).
MATERIAL_KIND_COLOURS: Final[dict[MaterialKind, str]] = {
    MaterialKind.GREEN: "#2e7d32",
    MaterialKind.BROWN: "#795548",
}


# --- legibility -------------------------------------------------------------------------------

AA_TEXT: Final = 4.5  # WCAG 2 AA: the least contrast for normal text


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a #rrggbb colour."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@cache  # asked at every gauge repaint, for a handful of band colours
def legible(colour: str, on: str = PAPER) -> str:
    """`colour` darkened just enough to be read as text on `on`: a band's hue for its label."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    shade = colour
    while contrast(shade, on) < AA_TEXT and (r or g or b):
        r, g, b = (int(c * 0.92) for c in (r, g, b))
        shade = f"#{r:02x}{g:02x}{b:02x}"
    return shade
