"""The states a mix and a pathogen rule can be in, apart from the engines that reach them.

A screen or the palette can name or colour a state without loading the mix engine or the
rule presets (about 12 ms at start-up, before the window shows).
"""

from __future__ import annotations

from enum import StrEnum


class Closeness(StrEnum):
    """How far a value sits from its band; drives green/amber/red in the screens."""

    IN_BAND = "in_band"
    NEAR = "near"
    FAR = "far"


class PathogenStatus(StrEnum):
    MET = "met"
    NOT_YET = "not_yet"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {"met": "Met", "not_yet": "Not yet", "failed": "Failed"}[self.value]
