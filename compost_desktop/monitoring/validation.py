"""The database's limits, checked on every reading before it is queued for writing.

One reading the database refuses must never block the others, so whatever the schema cannot
store (an id longer than its column, a NUL byte PostgreSQL text cannot hold, a lone surrogate
UTF-8 cannot encode, a value or time out of range) is turned away here, at the parser, with a
counted reason. Readings that still fail at the database are quarantined by the writer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from compost_desktop.monitoring.parsing import ParsedMessage, Reading, RejectReason

# The widths of sensor_reading's columns (compost_desktop/db/models.py: SensorReading).
MAX_DEVICE_ID: Final = 120
MAX_QUANTITY: Final = 60
# PostgreSQL stores years 4713 BC to 294276 AD; SQLite text sorts only 4-digit years.
EARLIEST: Final = datetime(1, 1, 2, tzinfo=UTC)
LATEST: Final = datetime(9999, 12, 30, tzinfo=UTC)

# C0 and C1 control characters (NUL included), DEL, and lone surrogates.
_BAD_CHARACTER: Final = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_KNOWN_GOOD_LIMIT: Final = 4096

CountReject = Callable[[RejectReason, str, str], None]


def text_problem(text: str, limit: int, too_long: RejectReason) -> RejectReason | None:
    """Why `text` cannot be stored in a column of `limit` characters, or None."""
    if len(text) > limit:
        return too_long
    match = _BAD_CHARACTER.search(text)
    if match is None:
        return None
    if _SURROGATE.match(match.group()):
        return RejectReason.UNENCODABLE_TEXT
    return RejectReason.CONTROL_CHARACTER


def reading_problem(reading: Reading) -> RejectReason | None:
    """Why the database would refuse this reading, or None when it fits the schema."""
    problem = text_problem(reading.device_id, MAX_DEVICE_ID, RejectReason.DEVICE_ID_TOO_LONG)
    if problem is None:
        problem = text_problem(reading.quantity, MAX_QUANTITY, RejectReason.QUANTITY_TOO_LONG)
    if problem is not None:
        return problem
    if type(reading.value) is not float or not math.isfinite(reading.value):
        return RejectReason.NON_FINITE
    for when in (reading.measured_at, reading.received_at):
        if when.tzinfo is None or not EARLIEST <= when <= LATEST:
            return RejectReason.TIMESTAMP_OUT_OF_RANGE
    return None


class ReadingScreen:
    """Drops readings the schema cannot hold; remembers names already checked (hot path)."""

    def __init__(self) -> None:
        self._good_names: set[tuple[str, str]] = set()

    def __call__(self, items: list[ParsedMessage], count: CountReject) -> list[ParsedMessage]:
        good = self._good_names
        kept: list[ParsedMessage] | None = None
        for i, item in enumerate(items):
            if type(item) is Reading:
                key = (item.device_id, item.quantity)
                if key in good and math.isfinite(item.value):
                    problem = None
                else:
                    problem = reading_problem(item)
                    if problem is None and len(good) < _KNOWN_GOOD_LIMIT:
                        good.add(key)
                if problem is not None:
                    if kept is None:
                        kept = list(items[:i])
                    count(problem, item.topic, f"{item.device_id[:64]!r}/{item.quantity[:64]!r}")
                    continue
            if kept is not None:
                kept.append(item)
        return items if kept is None else kept


def printable(text: str, limit: int = 2000) -> str:
    """Text any database column can hold: control characters and surrogates escaped."""
    escaped = _BAD_CHARACTER.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return escaped if len(escaped) <= limit else escaped[:limit] + "…"
