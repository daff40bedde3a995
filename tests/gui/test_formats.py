"""One way of writing dates and times on screen, in every locale."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from PySide6.QtCore import QLocale

from compost_desktop.presentation.formats import (
    clock_text,
    day_text,
    moment_seconds_text,
    moment_text,
)
from compost_desktop.presentation.words import counted

MOMENT = datetime(2026, 11, 24, 9, 5, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "day", "clock"),
    [
        ("en_GB", "24/11/2026", "09:05"),
        ("en_US", "11/24/2026", "9:05\u202fAM"),  # CLDR puts a narrow space before AM
        ("de_DE", "24.11.2026", "09:05"),
    ],
)
def test_dates_and_times_follow_the_locale_with_the_year_in_full(
    name: str, day: str, clock: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "UTC")
    import time

    time.tzset()
    try:
        loc = QLocale(name)
        assert day_text(date(2026, 11, 24), loc) == day
        assert clock_text(MOMENT, loc) == clock
        assert moment_text(MOMENT, loc).startswith(day)
        assert clock in moment_text(MOMENT, loc)
        assert ":07" in clock_text(MOMENT, loc, seconds=True)
        assert moment_seconds_text(MOMENT, loc).startswith(day)
        assert day_text(None, loc) == moment_text(None, loc) == "—"
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [
        (1, "delivery", "1 delivery"),
        (2, "delivery", "2 deliveries"),
        (0, "alarm", "0 alarms"),
        (3, "day", "3 days"),
    ],
)
def test_a_count_takes_the_plural_it_needs(count: int, noun: str, expected: str) -> None:
    assert counted(count, noun) == expected
