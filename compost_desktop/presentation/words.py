"""Words the screens and the report use alike for a state."""

from __future__ import annotations

from typing import Final

from compost_desktop.domain.mix import MoistureStatus
from compost_desktop.domain.states import Closeness

MOISTURE_TEXT: Final[dict[MoistureStatus, tuple[str, Closeness]]] = {
    MoistureStatus.TOO_DRY: ("too dry (below 40 %)", Closeness.FAR),
    MoistureStatus.LOW: ("low (40–50 %)", Closeness.NEAR),
    MoistureStatus.IDEAL: ("ideal (50–60 %)", Closeness.IN_BAND),
    MoistureStatus.HIGH: ("high (60–65 %)", Closeness.NEAR),
    MoistureStatus.TOO_WET: ("too wet (above 65 %)", Closeness.FAR),
}
