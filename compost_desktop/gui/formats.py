"""How the app writes dates and times on screen: one format everywhere, exports aside.

The locale's short formats with the year in full (`inputs.date_format`). Aware times are
shown in the PC's local time. Screens call these instead of strftime, which ignored the
locale (24-hour clocks and "%d %b" day names on a US PC) and differed page to page.
"""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QDate, QLocale, QTime

from compost_desktop.gui.inputs import date_format, datetime_format, to_qdatetime

NONE = "—"


def _local(value: datetime) -> datetime:
    return (value.astimezone() if value.tzinfo else value).replace(tzinfo=None)


def _clock_format(loc: QLocale, seconds: bool) -> str:
    fmt = loc.timeFormat(QLocale.FormatType.ShortFormat)
    if seconds and ":ss" not in fmt:
        fmt = fmt.replace(":mm", ":mm:ss")
    return fmt


def day_text(value: date | None, loc: QLocale | None = None) -> str:
    """A calendar day, e.g. 24/11/2026 (en_GB) or 11/24/2026 (en_US)."""
    if value is None:
        return NONE
    loc = loc or QLocale()
    return loc.toString(QDate(value.year, value.month, value.day), date_format(loc))


def moment_text(value: datetime | None, loc: QLocale | None = None) -> str:
    """A date and time of day, in local time."""
    if value is None:
        return NONE
    loc = loc or QLocale()
    return loc.toString(to_qdatetime(_local(value)), datetime_format(loc))


def clock_text(value: datetime | None, loc: QLocale | None = None, *, seconds: bool = False) -> str:
    """A time of day only, in local time and the locale's clock (9:05 AM or 09:05)."""
    if value is None:
        return NONE
    loc = loc or QLocale()
    local = _local(value)
    clock = QTime(local.hour, local.minute, local.second)
    return loc.toString(clock, _clock_format(loc, seconds))


def moment_seconds_text(value: datetime | None, loc: QLocale | None = None) -> str:
    """A date and time to the second: where a second matters, as in the rejects log."""
    if value is None:
        return NONE
    loc = loc or QLocale()
    fmt = date_format(loc) + " " + _clock_format(loc, seconds=True)
    return loc.toString(to_qdatetime(_local(value)), fmt)
