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


def counted(count: int, noun: str, text: str | None = None) -> str:
    """ "1 delivery", "3 deliveries": `text` is the count as shown (the locale's digits)."""
    shown = str(count) if text is None else text
    if count == 1:
        return f"{shown} {noun}"
    plural = noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"
    return f"{shown} {plural}"
