"""Alarm rules for the live readings: raised once, cleared with hysteresis, in plain words.

Rules (thresholds from `AlarmSettings`, values always in °C and %):

* ``too_hot``: temperature above ``too_hot_c``; clears below ``too_hot_c - hysteresis_c``.
* ``too_cold``: temperature below ``too_cold_active_c`` while a cycle is active, but only once
  that probe has *been* at or above ``too_cold_active_c`` during the active cycle. A freshly
  built pile starts at ambient and needs a day or two to heat; alarming then would be noise, so
  the rule arms per probe when the pile has heated and then watches for a stall or a collapse.
  Clears above ``too_cold_active_c + hysteresis_c``. When no cycle is active the arming is
  forgotten and any raised ``too_cold`` clears (the sensors are not in a running pile).
* ``too_dry`` / ``too_wet``: moisture below ``too_dry_pct`` / above ``too_wet_pct``; clear
  ``hysteresis_pct`` inside the band.
* ``sensor_silent``: no reading from a device for ``silent_after_s``; raised by
  `AlarmEngine.check_silence`, cleared by the next reading of that device.

Pile rules (hot, cold, dry, wet) apply only to devices the engine's `is_pile_probe` accepts
(by default every device): an air sensor in the shed must not raise "too cold". The device
registry decides this once it exists; the engine only asks.

The engine keeps only which alarms are raised; it never persists anything (see `AlarmLog`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from compost_desktop.domain.quantities import MOISTURE, TEMPERATURE
from compost_desktop.domain.units import TemperatureUnit, celsius_to
from compost_desktop.monitoring.parsing import Reading
from compost_desktop.settings import AlarmSettings

SILENCE = "silence"  # the quantity of a sensor_silent alarm: it is about the device

PileProbePolicy = Callable[[str], bool]
"""Whether a device counts as a pile probe for the pile alarms (device id in)."""


def every_device(_device_id: str) -> bool:
    """The default policy until the device registry says otherwise: every device is in the pile."""
    return True


class AlarmKind(StrEnum):
    """What went wrong; stored as text in the alarm log."""

    TOO_HOT = "too_hot"
    TOO_COLD = "too_cold"
    TOO_DRY = "too_dry"
    TOO_WET = "too_wet"
    SENSOR_SILENT = "sensor_silent"


_TITLES: dict[AlarmKind, str] = {
    AlarmKind.TOO_HOT: "too hot",
    AlarmKind.TOO_COLD: "too cold",
    AlarmKind.TOO_DRY: "too dry",
    AlarmKind.TOO_WET: "too wet",
    AlarmKind.SENSOR_SILENT: "silent",
}


@dataclass(frozen=True, slots=True)
class AlarmEvent:
    """An alarm being raised (``raised=True``) or cleared; values in °C, % or seconds."""

    kind: AlarmKind
    device_id: str
    quantity: str
    value: float
    threshold: float
    raised: bool
    at: datetime
    message: str

    @property
    def key(self) -> tuple[str, AlarmKind]:
        """Identifies the condition, so a clear can be matched with its raise."""
        return self.device_id, self.kind

    @property
    def title(self) -> str:
        """Short name for lists and notifications."""
        return _TITLES[self.kind]


class AlarmLog(Protocol):
    """Where alarms are kept: `recording.DatabaseAlarmLog` (the alarm_event table) or memory in tests."""

    def raised(
        self,
        device_id: str,
        quantity: str | None,
        kind: str,
        message: str,
        value: float | None,
        threshold: float | None,
        at: datetime,
    ) -> int:
        """Store a new alarm; returns its id for acknowledging it later."""
        ...

    def cleared(self, device_id: str, kind: str, quantity: str | None, at: datetime) -> None:
        """Close the open alarm of that device and kind."""
        ...

    def acknowledge(self, alarm_id: int, who: str | None = None) -> None:
        """Mark an alarm as seen by someone."""
        ...


def record_event(log: AlarmLog, event: AlarmEvent) -> int | None:
    """Store a raise or a clear; returns the new alarm's id for a raise."""
    if event.raised:
        return log.raised(
            event.device_id,
            event.quantity,
            str(event.kind),
            event.message,
            event.value,
            event.threshold,
            event.at,
        )
    log.cleared(event.device_id, str(event.kind), event.quantity, event.at)
    return None


@dataclass
class MemoryAlarmLog:
    """An `AlarmLog` in memory, for tests and for a window with no database yet."""

    rows: list[dict[str, object]] = field(default_factory=list)

    def raised(
        self,
        device_id: str,
        quantity: str | None,
        kind: str,
        message: str,
        value: float | None,
        threshold: float | None,
        at: datetime,
    ) -> int:
        """Append a row; ids count from 1."""
        self.rows.append(
            {
                "id": len(self.rows) + 1,
                "device_id": device_id,
                "quantity": quantity,
                "kind": kind,
                "message": message,
                "value": value,
                "threshold": threshold,
                "raised_at": at,
                "cleared_at": None,
                "acknowledged_by": None,
            }
        )
        return len(self.rows)

    def cleared(self, device_id: str, kind: str, quantity: str | None, at: datetime) -> None:
        """Close every open row of that device, kind and quantity."""
        for row in self.rows:
            same = (row["device_id"], row["kind"], row["quantity"]) == (device_id, kind, quantity)
            if same and row["cleared_at"] is None:
                row["cleared_at"] = at

    def acknowledge(self, alarm_id: int, who: str | None = None) -> None:
        """Remember who acknowledged the alarm."""
        self.rows[alarm_id - 1]["acknowledged_by"] = who or ""


def _fmt(value: float, quantity: str, unit: TemperatureUnit = TemperatureUnit.CELSIUS) -> str:
    """A value as the message shows it: temperatures in the farm's unit (stored in °C)."""
    if quantity == TEMPERATURE:
        return f"{celsius_to(value, unit):.1f} {unit.value}"
    if quantity == MOISTURE:
        return f"{value:.1f} %"
    return f"{value:g}"


class AlarmEngine:
    """Turns readings into alarm raises and clears; not thread-safe (use on one thread)."""

    def __init__(
        self, settings: AlarmSettings, is_pile_probe: PileProbePolicy = every_device
    ) -> None:
        """Thresholds are read on every reading, so replacing `settings` takes effect at once."""
        self.settings = settings
        self.is_pile_probe = is_pile_probe
        # Messages are written once and stored, so they use the farm's unit at raise time.
        self.temperature_unit = TemperatureUnit.CELSIUS
        self._raised: dict[tuple[str, AlarmKind], AlarmEvent] = {}
        self._heated: set[str] = set()

    @property
    def active(self) -> list[AlarmEvent]:
        """The raise events of every alarm that is currently raised, oldest first."""
        return sorted(self._raised.values(), key=lambda e: e.at)

    def is_raised(self, device_id: str, kind: AlarmKind) -> bool:
        """Whether this condition is currently alarmed."""
        return (device_id, kind) in self._raised

    def observe(self, reading: Reading, cycle_active: bool) -> list[AlarmEvent]:
        """Check one reading against the rules; returns the raises and clears it causes."""
        events: list[AlarmEvent] = []
        device = reading.device_id
        at = reading.received_at
        silent = self._raised.get((device, AlarmKind.SENSOR_SILENT))
        if silent is not None:
            events.append(self._clear(silent, reading.value, at, f"{device} is reporting again."))
        if not cycle_active:
            self._heated.clear()
        if not self.is_pile_probe(device):
            return events
        s = self.settings
        value = reading.value
        if reading.quantity == TEMPERATURE:
            self._check_high(
                events,
                reading,
                AlarmKind.TOO_HOT,
                s.too_hot_c,
                s.hysteresis_c,
                "Turn or split the pile: above 65 °C the useful microbes die, and a hot dry "
                "pile can catch fire.",
            )
            if cycle_active and value >= s.too_cold_active_c:
                self._heated.add(device)
            if cycle_active and device in self._heated:
                self._check_low(
                    events,
                    reading,
                    AlarmKind.TOO_COLD,
                    s.too_cold_active_c,
                    s.hysteresis_c,
                    "The active pile has cooled: check moisture and aeration, or turn it.",
                )
            else:
                cold = self._raised.get((device, AlarmKind.TOO_COLD))
                if cold is not None:
                    events.append(self._clear(cold, value, at, "No cycle is active any more."))
        elif reading.quantity == MOISTURE:
            self._check_low(
                events,
                reading,
                AlarmKind.TOO_DRY,
                s.too_dry_pct,
                s.hysteresis_pct,
                "Water the pile: below 40 % moisture composting slows down.",
            )
            self._check_high(
                events,
                reading,
                AlarmKind.TOO_WET,
                s.too_wet_pct,
                s.hysteresis_pct,
                "Add dry brown material or turn the pile: above 65 % it goes anaerobic.",
            )
        return events

    def check_silence(self, now: datetime, last_seen: dict[str, datetime]) -> list[AlarmEvent]:
        """Raise `sensor_silent` for devices quiet for `silent_after_s`, once per silence."""
        events: list[AlarmEvent] = []
        limit = float(self.settings.silent_after_s)
        for device, seen in last_seen.items():
            quiet = (now - seen).total_seconds()
            key = (device, AlarmKind.SENSOR_SILENT)
            if quiet > limit and key not in self._raised:
                minutes = quiet / 60.0
                event = AlarmEvent(
                    AlarmKind.SENSOR_SILENT,
                    device,
                    SILENCE,
                    quiet,
                    limit,
                    True,
                    now,
                    f"{device} has sent nothing for {minutes:.0f} min "
                    f"(last reading {seen.astimezone():%H:%M}). Check its battery and link.",
                )
                self._raised[key] = event
                events.append(event)
            elif quiet <= limit and key in self._raised:
                events.append(
                    self._clear(self._raised[key], quiet, now, f"{device} is reporting again.")
                )
        return events

    def restore(self, event: AlarmEvent) -> None:
        """Take back an alarm left raised before a restart, so the next good reading clears
        it (and a reading still beyond the threshold does not raise it twice)."""
        if not event.raised:
            return
        self._raised[event.key] = event
        if event.kind is AlarmKind.TOO_COLD:
            self._heated.add(event.device_id)

    def forget(self, device_id: str | None = None) -> None:
        """Drop alarm state (all, or one device's), e.g. when switching to another broker."""
        if device_id is None:
            self._raised.clear()
            self._heated.clear()
            return
        for key in [k for k in self._raised if k[0] == device_id]:
            del self._raised[key]
        self._heated.discard(device_id)

    # -- rules --

    def _check_high(
        self,
        events: list[AlarmEvent],
        reading: Reading,
        kind: AlarmKind,
        threshold: float,
        hysteresis: float,
        advice: str,
    ) -> None:
        self._check(events, reading, kind, threshold, hysteresis, advice, above=True)

    def _check_low(
        self,
        events: list[AlarmEvent],
        reading: Reading,
        kind: AlarmKind,
        threshold: float,
        hysteresis: float,
        advice: str,
    ) -> None:
        self._check(events, reading, kind, threshold, hysteresis, advice, above=False)

    def _check(
        self,
        events: list[AlarmEvent],
        reading: Reading,
        kind: AlarmKind,
        threshold: float,
        hysteresis: float,
        advice: str,
        above: bool,
    ) -> None:
        """Raise past the threshold; clear only once back beyond it by the hysteresis."""
        key = (reading.device_id, kind)
        raised = self._raised.get(key)
        q = reading.quantity
        unit = self.temperature_unit
        sign = 1.0 if above else -1.0
        beyond = sign * (reading.value - threshold)
        if raised is None and beyond > 0:
            events.append(
                self._raise(
                    reading,
                    kind,
                    threshold,
                    f"{reading.device_id} is {_TITLES[kind]}: {_fmt(reading.value, q, unit)} "
                    f"({'above' if above else 'below'} {_fmt(threshold, q, unit)}). {advice}",
                )
            )
        elif raised is not None and beyond < -hysteresis:
            events.append(
                self._clear(
                    raised,
                    reading.value,
                    reading.received_at,
                    f"{reading.device_id} is back to {_fmt(reading.value, q, unit)}.",
                )
            )

    def _raise(
        self, reading: Reading, kind: AlarmKind, threshold: float, message: str
    ) -> AlarmEvent:
        event = AlarmEvent(
            kind,
            reading.device_id,
            reading.quantity,
            reading.value,
            threshold,
            True,
            reading.received_at,
            message,
        )
        self._raised[event.key] = event
        return event

    def _clear(self, raised: AlarmEvent, value: float, at: datetime, message: str) -> AlarmEvent:
        del self._raised[raised.key]
        return AlarmEvent(
            raised.kind,
            raised.device_id,
            raised.quantity,
            value,
            raised.threshold,
            False,
            at,
            message,
        )
