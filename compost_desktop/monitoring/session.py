"""One monitoring session, Qt-free: parsed items in; device state, alarms, phase, recording out.

The GUI hub (`gui.monitoring.hub`) and the headless recorder (`monitoring.recorder`) both feed
their drained MQTT items to a `MonitoringSession`, so the window and the farm server apply the
same rules with the same thresholds: the same readings raise the same alarms whichever of them
is running. The adapters only add what differs: timers and signals in the window, a loop and
the alarm topic on the server.

Ring buffers: one `RingSeries` per (device, quantity), numpy float64 time/value arrays that grow
by doubling up to `SERIES_CAPACITY` = 86,400 points (24 h at one reading per second, ~1.4 MB
per series when full) and then overwrite the oldest. A faster sensor keeps a shorter history;
memory stays bounded whatever the broker sends.

Pile probes: which devices count for the pile alarms and the phase is one policy
(`is_pile_probe`, default every device); the adapters hand in the device registry's
`DeviceRegistry.is_pile_probe`, so an air sensor in the shed neither alarms nor sets the phase.

Last-known values (`parsing.LastKnown`, a retained ESPHome state replayed by the broker on
connect): shown as the device's latest value with `DeviceInfo.last_known`, but never buffered,
recorded or alarmed on, and they do not count as the device being seen (silence).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt

from compost_desktop.domain.phases import Phase, phase_spans
from compost_desktop.domain.quantities import TEMPERATURE
from compost_desktop.domain.units import TemperatureUnit
from compost_desktop.monitoring.alarms import (
    AlarmEngine,
    AlarmEvent,
    AlarmLog,
    PileProbePolicy,
    every_device,
    record_event,
)
from compost_desktop.monitoring.parsing import DeviceStatus, LastKnown, Reading
from compost_desktop.settings import AlarmSettings

log = logging.getLogger(__name__)

SERIES_CAPACITY: Final = 86_400
_INITIAL_CAPACITY: Final = 256
MAX_ALARMS_SHOWN: Final = 500
PHASE_BUCKET_S: Final = 60.0
SAME_ALARM_WITHIN_S: Final = 15 * 60.0  # as recording.SAME_ALARM_WITHIN
PHASE_REFRESH_S: Final = 30.0  # phases last days; the curve costs ~10 ms per day of 8 probes


class ReadingSink(Protocol):
    """What records readings (`recording.ReadingWriter`); `add` must not block."""

    def add(self, readings: list[Reading]) -> None: ...


class RingSeries:
    """A growing, then wrapping, ring buffer of (epoch seconds, value) for one sensor."""

    __slots__ = ("_count", "_start", "capacity", "times", "values")

    def __init__(self, capacity: int = SERIES_CAPACITY) -> None:
        """Starts small so a hundred idle series cost little."""
        self.capacity = capacity
        size = min(_INITIAL_CAPACITY, capacity)
        self.times: npt.NDArray[np.float64] = np.empty(size)
        self.values: npt.NDArray[np.float64] = np.empty(size)
        self._start = 0
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def append(self, t: float, value: float) -> None:
        """Add one point, overwriting the oldest when full."""
        size = len(self.times)
        if self._count == size and size < self.capacity:
            grown = min(size * 2, self.capacity)
            times, values = self.arrays()
            self.times = np.empty(grown)
            self.values = np.empty(grown)
            self.times[:size] = times
            self.values[:size] = values
            self._start = 0
            size = grown
        if self._count < size:
            i = (self._start + self._count) % size
            self._count += 1
        else:
            i = self._start
            self._start = (self._start + 1) % size
        self.times[i] = t
        self.values[i] = value

    def arrays(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Times and values, oldest first (copies only when the ring has wrapped)."""
        end = self._start + self._count
        size = len(self.times)
        if end <= size:
            return self.times[self._start : end], self.values[self._start : end]
        split = end - size
        return (
            np.concatenate((self.times[self._start :], self.times[:split])),
            np.concatenate((self.values[self._start :], self.values[:split])),
        )

    def since(self, t0: float) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Points at or after `t0` (assumes mostly time-ordered arrival)."""
        times, values = self.arrays()
        i = int(np.searchsorted(times, t0, side="left"))
        return times[i:], values[i:]

    def last_time(self) -> float | None:
        """Time of the newest point."""
        if not self._count:
            return None
        return float(self.times[(self._start + self._count - 1) % len(self.times)])


@dataclass
class DeviceInfo:
    """What the session knows about one device or probe."""

    device_id: str
    last_seen: datetime | None = None
    online: bool | None = None
    status_at: datetime | None = None
    last_known: bool = False  # only a retained value so far: shown, not current


@dataclass
class AlarmItem:
    """One alarm as listed: its raise, its clear and who acknowledged it."""

    event: AlarmEvent
    alarm_id: int | None = None
    cleared_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    persisted: bool = False

    @property
    def unseen(self) -> bool:
        """Nobody has acknowledged it yet."""
        return self.acknowledged_at is None and self.acknowledged_by is None

    @property
    def active(self) -> bool:
        """Still raised."""
        return self.cleared_at is None


@dataclass
class Batch:
    """What one drained batch changed."""

    readings: list[Reading] = field(default_factory=list)
    last_known: list[Reading] = field(default_factory=list)  # retained: shown, never recorded
    events: list[AlarmEvent] = field(default_factory=list)
    raised: list[AlarmItem] = field(default_factory=list)
    links: list[Any] = field(default_factory=list)  # client.LinkEvent, in arrival order
    statuses: int = 0


class MonitoringSession:
    """Live state of the pile from parsed items; use from one thread only."""

    def __init__(
        self,
        alarm_settings: AlarmSettings,
        *,
        is_pile_probe: PileProbePolicy = every_device,
        sink: ReadingSink | None = None,
    ) -> None:
        """`sink` records live readings; `is_pile_probe` is the device registry's seam."""
        self.engine = AlarmEngine(alarm_settings, is_pile_probe)
        self.sink = sink
        self.cycle_active = False
        self.series: dict[tuple[str, str], RingSeries] = {}
        self.latest: dict[tuple[str, str], Reading] = {}
        self.devices: dict[str, DeviceInfo] = {}
        self.alarms: list[AlarmItem] = []
        self.readings_seen = 0
        self._phase: Phase | None = None
        self._phase_key: tuple[int, float] | None = None

    # -- configuration --

    @property
    def is_pile_probe(self) -> PileProbePolicy:
        """Which devices count for pile alarms and the phase."""
        return self.engine.is_pile_probe

    @is_pile_probe.setter
    def is_pile_probe(self, policy: PileProbePolicy) -> None:
        self.engine.is_pile_probe = policy
        self._phase_key = None

    def set_thresholds(self, settings: AlarmSettings) -> None:
        """New thresholds apply from the next reading on."""
        self.engine.settings = settings

    def set_temperature_unit(self, unit: TemperatureUnit) -> None:
        """Alarm messages from now on state temperatures in `unit` (the farm's setting)."""
        self.engine.temperature_unit = unit

    # -- input --

    def apply(self, items: Iterable[Any], *, record: bool = True) -> Batch:
        """Apply drained client items: buffers, devices, alarms, and the sink when `record`."""
        batch = Batch()
        engine = self.engine
        cycle_active = self.cycle_active
        for item in items:
            if isinstance(item, Reading):
                key = (item.device_id, item.quantity)
                series = self.series.get(key)
                if series is None:
                    series = self.series[key] = RingSeries()
                series.append(item.measured_at.timestamp(), item.value)
                self.latest[key] = item
                info = self._device(item.device_id)
                if info.last_seen is None or item.received_at > info.last_seen:
                    info.last_seen = item.received_at
                info.last_known = False
                batch.events.extend(engine.observe(item, cycle_active))
                batch.readings.append(item)
            elif isinstance(item, LastKnown):
                # The broker's memory of a value: shown until a live one comes, never recorded
                # or alarmed on (its time is the connect, not the measurement).
                reading = item.reading
                key = (reading.device_id, reading.quantity)
                if key not in self.latest:
                    self.latest[key] = reading
                if reading.device_id not in self.devices:
                    self._device(reading.device_id).last_known = True
                batch.last_known.append(reading)
            elif isinstance(item, DeviceStatus):
                info = self._device(item.device_id)
                info.online = item.online
                info.status_at = item.received_at
                batch.statuses += 1
            elif hasattr(item, "state"):
                batch.links.append(item)
        self.readings_seen += len(batch.readings)
        if batch.readings and record and self.sink is not None:
            self.sink.add(batch.readings)
        batch.raised = self.note(batch.events)
        return batch

    def check_silence(self, now: datetime) -> Batch:
        """Raise or clear `sensor_silent` for quiet devices (call about once a second)."""
        last_seen = {d.device_id: d.last_seen for d in self.devices.values() if d.last_seen}
        events = self.engine.check_silence(now, last_seen)
        return Batch(events=events, raised=self.note(events))

    def note(self, events: list[AlarmEvent]) -> list[AlarmItem]:
        """Put raises on top of the alarm list and mark clears; returns the new items."""
        raised: list[AlarmItem] = []
        for event in events:
            if event.raised:
                item = AlarmItem(event)
                self.alarms.insert(0, item)
                raised.append(item)
            else:
                for item in self.alarms:
                    if item.event.key == event.key and item.cleared_at is None:
                        item.cleared_at = event.at
                        break
        del self.alarms[MAX_ALARMS_SHOWN:]
        return raised

    def restore_alarms(self, items: list[AlarmItem]) -> None:
        """Alarms from the log after a restart: listed, and the still-raised ones re-armed.

        Items already listed (same alarm id) are skipped, so loading twice is harmless.
        """
        known = {i.alarm_id for i in self.alarms if i.alarm_id is not None}
        fresh: list[AlarmItem] = []
        for item in sorted(items, key=lambda i: i.event.at):
            if item.alarm_id is not None and item.alarm_id in known:
                continue
            if any(_same_condition(item, other) for other in (*self.alarms, *fresh)):
                continue  # the same hot spell logged by another PC or the recorder
            fresh.append(item)
        for item in fresh:
            if item.cleared_at is None and not self.engine.is_raised(*item.event.key):
                self.engine.restore(item.event)
        self.alarms.extend(fresh)
        self.alarms.sort(key=lambda i: i.event.at, reverse=True)
        del self.alarms[MAX_ALARMS_SHOWN:]

    def acknowledge(self, item: AlarmItem, who: str, at: datetime) -> bool:
        """Mark an alarm as seen; False when it already was."""
        if item.acknowledged_at is not None:
            return False
        item.acknowledged_by = who
        item.acknowledged_at = at
        return True

    def clear(self) -> None:
        """Forget buffered readings, devices and raised alarm state (keeps the alarm list)."""
        self.series.clear()
        self.latest.clear()
        self.devices.clear()
        self.engine.forget()
        self.readings_seen = 0
        self._phase_key = None

    # -- what the adapters show --

    @property
    def unseen_alarms(self) -> list[AlarmItem]:
        """Alarms nobody acknowledged yet, newest first."""
        return [i for i in self.alarms if i.unseen]

    @property
    def active_alarms(self) -> list[AlarmItem]:
        """Alarms still raised, newest first."""
        return [i for i in self.alarms if i.active]

    def phase(self) -> Phase | None:
        """The pile's current phase by the rule of `domain.phases`, on the pile probes.

        The pile curve is the mean over pile probes per minute, as the history chart uses
        per bucket; recomputed at most every `PHASE_REFRESH_S` while readings arrive.
        """
        now = time.monotonic()
        if self._phase_key is not None:
            seen, at = self._phase_key
            fresh = now - at < PHASE_REFRESH_S and self._phase is not None
            if seen == self.readings_seen or fresh:
                return self._phase
        self._phase_key = (self.readings_seen, now)
        times, values = self.pile_curve()
        spans = phase_spans(times.tolist(), values.tolist())
        self._phase = spans[-1].phase if spans else None
        return self._phase

    def pile_curve(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Per minute, the mean over pile probes of each probe's mean, as `chart_data` does
        per bucket for the history chart (so live and history agree on the phase).

        One pass per series (readings arrive in time order; a late one costs a sort), so a
        day of eight probes at one reading a second takes a few milliseconds.
        """
        parts: list[tuple[npt.NDArray[np.float64], ...]] = []
        for (device, quantity), series in self.series.items():
            if quantity != TEMPERATURE or not len(series) or not self.is_pile_probe(device):
                continue
            times, values = series.arrays()
            buckets = np.floor(times / PHASE_BUCKET_S)
            if len(buckets) > 1 and bool(np.any(np.diff(buckets) < 0)):
                order = np.argsort(times, kind="stable")
                times, values, buckets = times[order], values[order], buckets[order]
            starts = np.flatnonzero(np.concatenate(([True], np.diff(buckets) != 0)))
            counts = np.diff(np.append(starts, len(buckets)))
            parts.append(
                (
                    buckets[starts],
                    np.add.reduceat(times, starts) / counts,
                    np.add.reduceat(values, starts) / counts,
                )
            )
        if not parts:
            return np.empty(0), np.empty(0)
        # Then the mean over probes of those per-probe means, bucket by bucket.
        buckets, index = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
        probes = np.bincount(index, minlength=len(buckets)).astype(np.float64)
        sum_t = np.bincount(index, np.concatenate([p[1] for p in parts]), len(buckets))
        sum_v = np.bincount(index, np.concatenate([p[2] for p in parts]), len(buckets))
        return sum_t.astype(np.float64) / probes, sum_v.astype(np.float64) / probes

    def newest_time(self) -> float | None:
        """Measurement time of the newest buffered reading (epoch s)."""
        times = [t for s in self.series.values() if (t := s.last_time()) is not None]
        return max(times) if times else None

    def _device(self, device_id: str) -> DeviceInfo:
        info = self.devices.get(device_id)
        if info is None:
            info = self.devices[device_id] = DeviceInfo(device_id)
        return info


class AlarmWriter:
    """Alarm raises, clears and acknowledgements kept in order until the alarm log takes them.

    For a loop without a task runner (the headless recorder): `add` never blocks; `flush`
    writes what is queued and stops at the first failure, keeping the rest for the next try,
    so a database outage delays the alarm log but loses nothing and keeps the order.
    """

    def __init__(self, alarm_log: AlarmLog, max_pending: int = 10_000) -> None:
        self.alarm_log = alarm_log
        self.max_pending = max_pending
        self.written = 0
        self.last_error: str | None = None
        self._pending: deque[AlarmEvent] = deque()
        self._retry_at = 0.0
        self._backoff = 1.0

    @property
    def pending(self) -> int:
        return len(self._pending)

    def add(self, events: Iterable[AlarmEvent]) -> None:
        self._pending.extend(events)
        while len(self._pending) > self.max_pending:
            self._pending.popleft()

    def flush(self, *, force: bool = False) -> bool:
        """Write what is queued; False when the log is unavailable (the rest stays queued).

        After a failure the next attempts back off (1 s doubling to 30 s), so a database that
        hangs on connect does not stall the loop that calls this every second.
        """
        if not force and self._pending and time.monotonic() < self._retry_at:
            return False
        while self._pending:
            event = self._pending[0]
            try:
                record_event(self.alarm_log, event)
            except Exception as exc:  # any database error: retry later, in order
                message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                if message != self.last_error:
                    log.warning("Alarms kept in memory, alarm log unavailable: %s", message)
                self.last_error = message
                self._retry_at = time.monotonic() + self._backoff
                self._backoff = min(self._backoff * 2, 30.0)
                return False
            self._pending.popleft()
            self.written += 1
        self.last_error = None
        self._backoff = 1.0
        return True


def _same_condition(a: AlarmItem, b: AlarmItem) -> bool:
    """Two rows for one condition: same device and kind, raised close together."""
    close = abs((a.event.at - b.event.at).total_seconds()) <= SAME_ALARM_WITHIN_S
    return a.event.key == b.event.key and close


def items_from_entries(entries: Iterable[Any]) -> list[AlarmItem]:
    """`recording.AlarmEntry` rows back into listed alarms (their raise event rebuilt)."""
    from compost_desktop.monitoring.alarms import AlarmKind

    items: list[AlarmItem] = []
    for e in entries:
        try:
            kind = AlarmKind(e.kind)
        except ValueError:
            continue  # a kind from a newer version: shown in the report, not here
        event = AlarmEvent(
            kind,
            e.device_id,
            e.quantity or "",
            e.value if e.value is not None else float("nan"),
            e.threshold if e.threshold is not None else float("nan"),
            True,
            e.raised_at,
            e.message,
        )
        items.append(
            AlarmItem(
                event,
                alarm_id=e.id,
                cleared_at=e.cleared_at,
                acknowledged_by=e.acknowledged_by,
                acknowledged_at=e.acknowledged_at,
                persisted=True,
            )
        )
    return items
