"""What a sensor is for: only pile probes count for the pile's temperature and its rules."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PILE_PROBE = "pile_probe"
    AMBIENT = "ambient"
    OTHER = "other"
