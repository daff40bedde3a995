"""How the app writes dates and times, on screen and in the report: one format everywhere,
exports aside.

The locale's short formats with the year in full. Aware times are shown in the PC's local
time. Screens call these instead of strftime, which ignored the locale (24-hour clocks and
"%d %b" day names on a US PC) and differed page to page.
"""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QDate, QDateTime, QLocale, QTime, QTimeZone

from compost_desktop.domain.units import celsius_to, kg_to, litres_to
from compost_desktop.settings import UnitSettings

NONE = "—"


def date_format(loc: QLocale | None = None) -> str:
    """The app's date format: the locale's short date with the year in full."""
    fmt = (loc or QLocale()).dateFormat(QLocale.FormatType.ShortFormat)
    return fmt if "yyyy" in fmt else fmt.replace("yy", "yyyy")


def datetime_format(loc: QLocale | None = None) -> str:
    """The app's date-and-time format, with `date_format`'s date part."""
    loc = loc or QLocale()
    fmt = loc.dateTimeFormat(QLocale.FormatType.ShortFormat)
    return fmt if "yyyy" in fmt else fmt.replace("yy", "yyyy")


def to_qdatetime(value: datetime) -> QDateTime:
    """The wall-clock time as written (local time spec, any tzinfo ignored, milliseconds).

    What PySide's implicit datetime conversion builds, spelled out because its stubs have
    no `QDateTime(datetime)` overload.
    """
    return QDateTime(
        QDate(value.year, value.month, value.day),
        QTime(value.hour, value.minute, value.second, value.microsecond // 1000),
    )


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


class UnitFormat:
    """Numbers, dates and units in the reader's locale, local time with the zone shown."""

    def __init__(self, locale: QLocale | None = None, units: UnitSettings | None = None) -> None:
        self.loc = locale or QLocale()
        self.units = units or UnitSettings()

    def num(self, value: float, decimals: int = 1) -> str:
        return self.loc.toString(float(value), "f", decimals)

    def local(self, value: datetime) -> QDateTime:
        return QDateTime.fromMSecsSinceEpoch(round(value.timestamp() * 1000)).toLocalTime()

    def when(self, value: datetime | None, zone: bool = True) -> str:
        if value is None:
            return "—"
        moment = self.local(value)
        text = self.loc.toString(moment, datetime_format(self.loc))
        return f"{text} {moment.timeZoneAbbreviation()}" if zone else text

    def day(self, value: date | QDate | None) -> str:
        if value is None:
            return "—"
        qdate = value if isinstance(value, QDate) else QDate(value.year, value.month, value.day)
        return self.loc.toString(qdate, date_format(self.loc))

    def zone(self, value: datetime) -> str:
        """The system's zone by name where it has one, else its offset at `value`."""
        name = bytes(QTimeZone.systemTimeZoneId().data()).decode(errors="ignore")
        if "/" in name:
            return name
        offset = self.local(value).offsetFromUtc()
        sign = "+" if offset >= 0 else "−"
        hours, minutes = divmod(abs(offset) // 60, 60)
        return f"UTC{sign}{hours:02d}:{minutes:02d}"

    def mass(self, kg: float | None, decimals: int = 1) -> str:
        if kg is None:
            return "—"
        return f"{self.num(kg_to(kg, self.units.mass), decimals)} {self.units.mass.value}"

    def volume(self, litres: float | None) -> str:
        if litres is None:
            return "—"
        unit = self.units.volume
        return f"{self.num(litres_to(litres, unit), unit.decimals)} {unit.value}"

    def temp(self, celsius: float, decimals: int = 1) -> str:
        unit = self.units.temperature
        return f"{self.num(celsius_to(celsius, unit), decimals)} {unit.value}"

    def pct(self, value: float | None, decimals: int = 1) -> str:
        return "—" if value is None else f"{self.num(value, decimals)} %"

    def ratio(self, value: float | None) -> str:
        return "—" if value is None else f"{self.num(value, 1)}:1"
