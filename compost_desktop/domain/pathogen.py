"""Pathogen-reduction tracking: time-at-temperature rules as data, judged on the lowest probe.

How readings are judged (the decisions an inspector may ask about):

* The pile's temperature at a moment is the **lowest** of the probes that have a *current*
  reading then, never the peak. A probe's reading stays current until that probe's next
  reading, and for at most ``max_gap`` (default 30 minutes) after it was measured. A probe
  that is silent for longer than ``max_gap`` is left out of the minimum rather than assumed
  cold; the reasons say so when this happened during the run that counts.
* The state is sampled at every reading time. The time between two consecutive reading times
  counts as time at temperature only when the pile qualified at *both* of them and they are at
  most ``max_gap`` apart. A longer gap means no probe was current, which does not count and
  breaks the run; a run is measured from its first to its last qualifying reading, so the
  last reading earns no extra time.
* A rule's "maintained for N days" is read as one **continuous** run (40 CFR 503 PFRP:
  "maintained at 55 °C or higher for three days"); separate shorter runs are not added up.
  A dip below the threshold after a turning therefore breaks the run too.
* Turnings count when they fall within the run (ends included), up to the moment the rule is
  completed. With a minimum interval, only turnings spaced by at least that interval count,
  picked greedily from the earliest, which gives the largest possible count.
* Moisture rules need a current moisture reading ≥ the minimum at every moment of the run;
  missing moisture does not qualify. Moisture samples are usually sparser than temperatures,
  so one stays current for ``moisture_max_gap`` (default 1 day); with several moisture
  devices the lowest current one counts.
* "At or above": a reading exactly at the minimum (55.0 °C for 55 °C) qualifies.
* The rule is met at the earliest moment both hold within one run: ``duration`` has passed
  since the run started, and the required turnings have been made. Runs count in real time
  (everything is compared in UTC, so a daylight-saving change does not add or lose an hour).
* Readings, moisture samples and turnings dated after ``now`` are ignored. A temperature that
  is not a number (NaN) never qualifies.
* A rule states the records it accepts (``reading_interval``). A **continuous** rule is
  judged as above, for loggers; when the readings are mostly further apart than ``max_gap``
  the result says the data is too sparse for it (``too_sparse``) instead of reporting "0 s".
  A **daily** rule is for hand readings, one per position per day: each calendar day (in
  ``now``'s zone) counts as one day at temperature when the lowest of that day's readings
  qualifies (and, with a moisture rule, the day's lowest moisture, or the previous day's when
  none was taken that day); a day without a reading breaks the run. The rule is met on the
  day that completes the required number of consecutive days, at that day's last reading.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from itertools import chain, islice, pairwise
from operator import itemgetter
from typing import NamedTuple

from compost_desktop.domain.states import PathogenStatus
from compost_desktop.domain.validation import (
    ValidationError,
    check_moisture_pct,
    check_name,
    require_number,
)

DISCLAIMER = "This record helps the operator; it is not a legal determination of compliance."

# One-minute sensors: 30 minutes bridges a broker restart or a short Wi-Fi drop, not an
# afternoon without data. Cycles logged only with a hand probe need a larger value.
DEFAULT_MAX_GAP = timedelta(minutes=30)
# Moisture is often a daily hand or lab test and changes over hours to days.
DEFAULT_MOISTURE_MAX_GAP = timedelta(days=1)

RULE_FORMAT = 1  # version of the dict produced by PathogenRule.to_dict
MAX_RULE_DURATION = timedelta(days=365)
MAX_TURNINGS = 100
MAX_NOTES_CHARS = 2000
_KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,49}")
_MAX_LISTED_GAPS = 3
_MIN_ABSENCE = timedelta(minutes=5)
_END = datetime.max.replace(tzinfo=UTC)
_SENTINEL = (("", _END, math.nan),)  # closes the sweep so the last reading time is judged


class ReadingInterval(StrEnum):
    """The kind of record a rule accepts: a logger's stream, or one hand reading a day."""

    CONTINUOUS = "continuous"
    DAILY = "daily"

    @property
    def label(self) -> str:
        return {"continuous": "continuous logger", "daily": "daily hand readings"}[self.value]


class TemperatureReading(NamedTuple):
    """One temperature from one probe; plain (probe, measured_at, temp_c) tuples work too."""

    probe: str
    measured_at: datetime
    temp_c: float


class MoistureSample(NamedTuple):
    """One moisture value (% of wet mass); plain (device, measured_at, pct) tuples work too."""

    device: str
    measured_at: datetime
    moisture_pct: float


@dataclass(frozen=True, slots=True)
class PathogenRule:
    """A time-at-temperature requirement; presets and user-defined rules share this shape."""

    key: str
    name: str
    min_temp_c: float
    duration: timedelta
    min_turnings: int = 0
    min_turning_interval: timedelta | None = None
    min_moisture_pct: float | None = None
    notes: str = ""
    reading_interval: ReadingInterval = ReadingInterval.CONTINUOUS

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not _KEY_PATTERN.fullmatch(self.key):
            raise ValidationError(
                "key",
                "The rule's key must be 1–50 lower-case letters, digits, '-' or '_', "
                f"starting with a letter or digit (got {self.key!r}).",
            )
        check_name(self.name, "name", "The rule's name")
        temp = require_number("min_temp_c", "The minimum temperature", self.min_temp_c)
        if not 0 < temp < 100:
            raise ValidationError(
                "min_temp_c",
                f"The minimum temperature must be above 0 and below 100 °C (got {temp:g} °C).",
            )
        _check_timedelta(self.duration, "duration", "The time at temperature")
        if self.duration > MAX_RULE_DURATION:
            raise ValidationError(
                "duration",
                f"The time at temperature must be at most {MAX_RULE_DURATION.days} days "
                f"(got {format_duration(self.duration)}).",
            )
        turnings = self.min_turnings
        if isinstance(turnings, bool) or not isinstance(turnings, int):
            raise ValidationError(
                "min_turnings", f"The number of turnings must be a whole number, not {turnings!r}."
            )
        if not 0 <= turnings <= MAX_TURNINGS:
            raise ValidationError(
                "min_turnings",
                f"The number of turnings must be from 0 to {MAX_TURNINGS} (got {turnings}).",
            )
        if self.min_turning_interval is not None:
            _check_timedelta(
                self.min_turning_interval, "min_turning_interval", "The time between turnings"
            )
            if turnings < 2:
                raise ValidationError(
                    "min_turning_interval",
                    "A minimum time between turnings needs at least 2 turnings; "
                    "raise the number of turnings or clear the interval.",
                )
        if self.min_moisture_pct is not None:
            pct = check_moisture_pct(self.min_moisture_pct, "min_moisture_pct", "Minimum moisture")
            if pct <= 0:
                raise ValidationError(
                    "min_moisture_pct",
                    "Minimum moisture must be more than 0 %; clear it if the rule has none.",
                )
        if not isinstance(self.reading_interval, ReadingInterval):
            try:
                interval = ReadingInterval(str(self.reading_interval))
            except ValueError:
                raise ValidationError(
                    "reading_interval",
                    "The reading interval must be 'continuous' or 'daily' "
                    f"(got {self.reading_interval!r}).",
                ) from None
            object.__setattr__(self, "reading_interval", interval)
        if self.reading_interval is ReadingInterval.DAILY and self.duration < timedelta(days=1):
            raise ValidationError(
                "duration",
                "A rule judged on daily readings needs at least 1 day at temperature.",
            )
        if not isinstance(self.notes, str):
            raise ValidationError("notes", "The notes must be text.")
        if len(self.notes) > MAX_NOTES_CHARS:
            raise ValidationError(
                "notes", f"The notes must be at most {MAX_NOTES_CHARS} characters."
            )

    @property
    def is_preset(self) -> bool:
        return PRESETS.get(self.key) == self

    @property
    def summary(self) -> str:
        """The requirement in one line for the detail view and the report."""
        return self.describe()

    def describe(self, temp: Callable[[float], str] | None = None) -> str:
        """`summary` with the temperature written by `temp` (°F for a user who works in °F)."""
        shown = temp(self.min_temp_c) if temp else f"{self.min_temp_c:g} °C"
        parts = [f"lowest probe ≥ {shown} for {format_duration(self.duration)}"]
        if self.min_turnings:
            turns = f"at least {self.min_turnings} turning{'s' if self.min_turnings != 1 else ''}"
            if self.min_turning_interval is not None:
                turns += f" {format_duration(self.min_turning_interval)} or more apart"
            parts.append(turns + " in that period")
        if self.min_moisture_pct is not None:
            parts.append(f"moisture ≥ {self.min_moisture_pct:g} % throughout")
        if self.reading_interval is ReadingInterval.DAILY:
            parts.append("judged on daily readings")
        return ", ".join(parts)

    @property
    def days_needed(self) -> int:
        """Whole days a daily rule needs (a part day is a whole one: a reading covers a day)."""
        return max(1, math.ceil(self.duration / timedelta(days=1)))

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict; durations in seconds so nothing is lost to rounding."""
        return {
            "format": RULE_FORMAT,
            "key": self.key,
            "name": self.name,
            "min_temp_c": self.min_temp_c,
            "duration_s": _seconds(self.duration),
            "min_turnings": self.min_turnings,
            "min_turning_interval_s": (
                None if self.min_turning_interval is None else _seconds(self.min_turning_interval)
            ),
            "min_moisture_pct": self.min_moisture_pct,
            "notes": self.notes,
            "reading_interval": self.reading_interval.value,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> PathogenRule:
        """Rebuild a stored rule, validating it as if it were typed in again."""
        fmt = data.get("format", RULE_FORMAT)
        if fmt != RULE_FORMAT:
            raise ValidationError(
                "format",
                f"This rule was saved in format {fmt!r}, which this version cannot read "
                f"(it reads format {RULE_FORMAT}).",
            )
        for required in ("key", "name", "min_temp_c", "duration_s"):
            if data.get(required) is None:
                raise ValidationError(required, f"The stored rule has no {required!r}.")
        interval = data.get("min_turning_interval_s")
        moisture = data.get("min_moisture_pct")
        notes = data.get("notes", "")
        return cls(
            key=_as_str(data["key"], "key"),
            name=_as_str(data["name"], "name"),
            min_temp_c=require_number("min_temp_c", "The minimum temperature", data["min_temp_c"]),
            duration=_duration_from(data["duration_s"], "duration_s", "The time at temperature"),
            min_turnings=_as_int(data.get("min_turnings", 0), "min_turnings"),
            min_turning_interval=(
                None
                if interval is None
                else _duration_from(interval, "min_turning_interval_s", "The time between turnings")
            ),
            min_moisture_pct=(
                None
                if moisture is None
                else require_number("min_moisture_pct", "Minimum moisture", moisture)
            ),
            notes=_as_str("" if notes is None else notes, "notes"),
            reading_interval=_interval_from(data.get("reading_interval")),
        )


@dataclass(frozen=True, slots=True)
class QualifyingRun:
    """A continuous stretch with the lowest probe at temperature (and moisture, if needed)."""

    start: datetime
    end: datetime
    turnings: int  # turnings that count in the whole run (spaced, if the rule says so)

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class PathogenResult:
    """Where a cycle stands against one rule, with the reasons in plain words.

    ``run_start``/``run_end``/``best_run_duration``/``turnings_in_best_run`` describe the
    *best run*: the run that met the rule if it was met, otherwise the current run if the
    pile is in one (the run still growing), otherwise the longest run.
    """

    rule: PathogenRule
    status: PathogenStatus
    met_at: datetime | None
    run_start: datetime | None
    run_end: datetime | None
    best_run_duration: timedelta
    current_run_duration: timedelta | None
    turnings_in_best_run: int
    longest_run_duration: timedelta
    total_at_temperature: timedelta
    runs: tuple[QualifyingRun, ...]
    reasons: list[str] = field(default_factory=list)
    # Set when the readings are too far apart for the rule's interval to judge them at all.
    too_sparse: str | None = None

    @property
    def met(self) -> bool:
        return self.status is PathogenStatus.MET

    @property
    def disclaimer(self) -> str:
        return DISCLAIMER


class _Break(NamedTuple):
    """Why a run ended: kind is 'gap', 'temperature', 'moisture' or 'no_moisture'."""

    kind: str
    at: datetime
    until: datetime | None = None
    who: str = ""
    value: float = math.nan


@dataclass(slots=True)
class _Run:
    start: datetime
    end: datetime
    ended_by: _Break | None = None


@dataclass(slots=True)
class _Swept:
    """What one sweep over the reading times found, for judging and explaining."""

    runs: list[_Run]
    open_run: _Run | None  # the run still going at the last reading time
    last_at: datetime | None  # the last reading time judged
    gap_breaks: list[_Break]  # gaps with the pile qualifying on both sides
    temp_ever_ok: bool
    warmest_cold: tuple[float, str] | None
    longest_temp_only: timedelta
    low_moisture: tuple[float, datetime] | None
    missing_moisture_at: datetime | None


def _sweep(
    points: Sequence[tuple[str, datetime, float]],
    m_points: Sequence[tuple[str, datetime, float]],
    now_utc: datetime,
    *,
    threshold: float,
    max_gap: timedelta,
    min_moisture: float | None,
    moisture_max_gap: timedelta,
) -> _Swept:
    """One pass over the sorted reading times: the runs at temperature (and moisture), and
    what broke each. All state is local: this loop runs once per reading time."""
    need_moisture = min_moisture is not None
    min_moisture = 0.0 if min_moisture is None else min_moisture
    runs: list[_Run] = []
    gap_breaks: list[_Break] = []  # gaps with the pile qualifying on both sides
    temp_ever_ok = False
    warmest_cold: tuple[float, str] | None = None  # best lowest-probe value while never at temp
    # The lowest probe can only rise above `warmest_cold` when a reading above it arrives or a
    # reading expires; only then is it worth recomputing.
    warmest_value = -math.inf
    maybe_warmer = False
    longest_temp_only = timedelta(0)  # ignoring moisture, to say when moisture was the blocker
    temp_run_start = temp_run_end = now_utc
    in_temp_run = False
    low_moisture: tuple[float, datetime] | None = None
    missing_moisture_at: datetime | None = None

    # Probes whose current reading is below the minimum: value, and until when it is current.
    # `next_expiry` is never later than the earliest `until`, so the dicts are only combed for
    # expired entries when one may have expired. Moisture devices below their minimum likewise.
    cold_value: dict[str, float] = {}
    cold_until: dict[str, datetime] = {}
    next_expiry = _END
    low_value: dict[str, float] = {}
    low_until: dict[str, datetime] = {}
    m_current_until: datetime | None = None  # the latest moisture sample + moisture_max_gap
    mi = 0
    m_count = len(m_points)

    run: _Run | None = None
    moment: datetime | None = None  # the reading time being gathered, judged when it is complete
    prev: datetime | None = None  # the previous judged reading time
    contiguous_until = now_utc  # prev + max_gap; only read once prev is set

    for probe, at, value in chain(points, _SENTINEL):
        if at != moment:
            if moment is not None:
                # Every reading taken at `moment` is in: judge the pile at that moment.
                if cold_value and moment > next_expiry:
                    for name, until in list(cold_until.items()):
                        if until < moment:
                            del cold_until[name], cold_value[name]
                    next_expiry = min(cold_until.values(), default=_END)
                    maybe_warmer = True
                temp_ok = not cold_value
                contiguous = prev is not None and moment <= contiguous_until
                if temp_ok:
                    temp_ever_ok = True
                elif maybe_warmer and not temp_ever_ok:
                    maybe_warmer = False
                    lowest = min(cold_value.values())
                    if warmest_cold is None or lowest > warmest_value:
                        warmest_value = lowest
                        warmest_cold = (lowest, _holder(cold_value, lowest))
                ok = temp_ok
                moisture_break: _Break | None = None
                if need_moisture:
                    while mi < m_count and m_points[mi][1] <= moment:
                        device, m_at, pct = m_points[mi]
                        m_current_until = m_at + moisture_max_gap
                        if pct >= min_moisture:
                            if low_value.pop(device, None) is not None:
                                del low_until[device]
                        else:
                            low_value[device] = pct if pct == pct else -math.inf
                            low_until[device] = m_current_until
                        mi += 1
                    if low_value:
                        for name, until in list(low_until.items()):
                            if until < moment:
                                del low_until[name], low_value[name]
                    if m_current_until is None or moment > m_current_until:
                        ok = False
                        moisture_break = _Break("no_moisture", moment)
                        if temp_ok and missing_moisture_at is None:
                            missing_moisture_at = moment
                    elif low_value:
                        ok = False
                        pct = min(low_value.values())
                        moisture_break = _Break(
                            "moisture", moment, who=_holder(low_value, pct), value=pct
                        )
                        if temp_ok and (low_moisture is None or pct < low_moisture[0]):
                            low_moisture = (pct, moment)
                    if temp_ok:
                        if not (in_temp_run and contiguous):
                            longest_temp_only = max(
                                longest_temp_only, temp_run_end - temp_run_start
                            )
                            temp_run_start = moment
                        temp_run_end = moment
                    in_temp_run = temp_ok

                if run is not None and not (ok and contiguous):
                    # The run that was open at the previous reading time ends there.
                    assert prev is not None
                    if not contiguous:
                        run.ended_by = _Break("gap", prev, until=moment)
                        if ok:
                            gap_breaks.append(run.ended_by)
                    elif not temp_ok:
                        lowest = min(cold_value.values())
                        run.ended_by = _Break(
                            "temperature", moment, who=_holder(cold_value, lowest), value=lowest
                        )
                    else:
                        run.ended_by = moisture_break
                    run = None
                if ok:
                    if run is None:
                        run = _Run(moment, moment)
                        runs.append(run)
                    else:
                        run.end = moment
                prev = moment
                contiguous_until = moment + max_gap
            if at is _END:
                break
            moment = at
        if value >= threshold:
            if cold_value and cold_value.pop(probe, None) is not None:
                del cold_until[probe]
                maybe_warmer = True
        else:
            until = at + max_gap
            if value > warmest_value:
                maybe_warmer = True
            cold_value[probe] = value if value == value else -math.inf  # NaN never qualifies
            cold_until[probe] = until
            if until < next_expiry:
                next_expiry = until
    longest_temp_only = max(longest_temp_only, temp_run_end - temp_run_start)
    return _Swept(
        runs,
        run,
        prev,
        gap_breaks,
        temp_ever_ok,
        warmest_cold,
        longest_temp_only,
        low_moisture,
        missing_moisture_at,
    )


def _first_met(
    runs: Sequence[_Run], turn_times: Sequence[datetime], rule: PathogenRule
) -> tuple[_Run | None, datetime | None]:
    """The earliest run that met the rule, and when (runs are in time order)."""
    interval = rule.min_turning_interval
    for candidate in runs:
        if candidate.end - candidate.start < rule.duration:
            continue
        picks = _spaced(turn_times, candidate.start, candidate.end, interval)
        if len(picks) < rule.min_turnings:
            continue
        done = candidate.start + rule.duration
        if rule.min_turnings:
            done = max(done, picks[rule.min_turnings - 1])
        return candidate, done
    return None, None


def evaluate(
    rule: PathogenRule,
    readings: Iterable[tuple[str, datetime, float]],
    turnings: Iterable[datetime],
    now: datetime,
    max_gap: timedelta = DEFAULT_MAX_GAP,
    *,
    moisture: Iterable[tuple[str, datetime, float]] = (),
    moisture_max_gap: timedelta = DEFAULT_MOISTURE_MAX_GAP,
    cycle_finished: bool = False,
) -> PathogenResult:
    """Judge a cycle's readings against a rule: one sort, then one sweep over reading times.

    Result datetimes are given in ``now``'s time zone; ``now`` and every input time must be
    time-zone aware. FAILED means ``cycle_finished`` and never met; NOT_YET means still running.
    """
    _require_aware(now, "now")
    if rule.reading_interval is ReadingInterval.DAILY:
        return _evaluate_daily(
            rule, readings, turnings, now, moisture=moisture, cycle_finished=cycle_finished
        )
    _check_timedelta(max_gap, "max_gap", "The longest gap between readings")
    _check_timedelta(
        moisture_max_gap, "moisture_max_gap", "The longest gap between moisture samples"
    )
    tz = now.tzinfo
    assert tz is not None
    now_utc = now.astimezone(UTC)
    points = _sorted_utc(readings, now_utc, "reading")
    need_moisture = rule.min_moisture_pct is not None
    m_points = _sorted_utc(moisture, now_utc, "moisture sample") if need_moisture else []
    turn_times = sorted(_utc_turnings(turnings, now_utc))

    swept = _sweep(
        points,
        m_points,
        now_utc,
        threshold=float(rule.min_temp_c),
        max_gap=max_gap,
        min_moisture=None if rule.min_moisture_pct is None else float(rule.min_moisture_pct),
        moisture_max_gap=moisture_max_gap,
    )
    runs, run, prev = swept.runs, swept.open_run, swept.last_at

    silent = prev is not None and now_utc - prev > max_gap
    in_run_now = run is not None and not cycle_finished and not silent

    interval = rule.min_turning_interval
    met_run, met_at = _first_met(runs, turn_times, rule)

    longest = max(runs, key=_run_length, default=None)
    current = run if in_run_now else None
    best = met_run or current or longest
    best_turnings = 0 if best is None else len(_spaced(turn_times, best.start, best.end, interval))

    if met_run is not None:
        status = PathogenStatus.MET
    elif cycle_finished:
        status = PathogenStatus.FAILED
    else:
        status = PathogenStatus.NOT_YET

    public_runs = tuple(
        QualifyingRun(
            r.start.astimezone(tz),
            r.end.astimezone(tz),
            len(_spaced(turn_times, r.start, r.end, interval)),
        )
        for r in runs
        if r.end > r.start
    )
    explainer = _Explainer(rule, tz, max_gap, moisture_max_gap)
    reasons = explainer.reasons(
        status=status,
        has_readings=bool(points),
        met_run=met_run,
        met_at=met_at,
        current=current,
        restarted_by=runs[-2].ended_by if current is not None and len(runs) > 1 else None,
        longest=longest,
        best=best,
        best_turnings=best_turnings,
        logged_in_best=0 if best is None else len(_spaced(turn_times, best.start, best.end, None)),
        gap_breaks=swept.gap_breaks,
        silent_since=prev if silent and not cycle_finished else None,
        now=now_utc,
        temp_ever_ok=swept.temp_ever_ok,
        warmest_cold=swept.warmest_cold,
        longest_temp_only=swept.longest_temp_only,
        low_moisture=swept.low_moisture,
        missing_moisture_at=swept.missing_moisture_at,
        absent_probes=_absent_probes(best, points, max_gap),
    )
    too_sparse = _too_sparse(points, max_gap) if met_run is None else None
    if too_sparse is not None:
        reasons.insert(0, too_sparse)
    return PathogenResult(
        rule=rule,
        status=status,
        met_at=None if met_at is None else met_at.astimezone(tz),
        run_start=None if best is None else best.start.astimezone(tz),
        run_end=None if best is None else best.end.astimezone(tz),
        best_run_duration=timedelta(0) if best is None else best.end - best.start,
        current_run_duration=None if current is None else current.end - current.start,
        turnings_in_best_run=best_turnings,
        longest_run_duration=timedelta(0) if longest is None else longest.end - longest.start,
        total_at_temperature=sum((r.end - r.start for r in runs), timedelta(0)),
        runs=public_runs,
        reasons=reasons,
        too_sparse=too_sparse,
    )


def _too_sparse(points: Sequence[tuple[str, datetime, float]], max_gap: timedelta) -> str | None:
    """Say so when most reading times are further apart than a continuous rule can bridge."""
    times = sorted({at for _probe, at, _value in points})
    if len(times) < 2:
        return None
    gaps = sorted(b - a for a, b in pairwise(times))
    median = gaps[len(gaps) // 2]
    if median <= max_gap:
        return None
    return (
        f"The readings are about {format_duration(median)} apart, too sparse for a rule "
        f"judged on a continuous logger (a gap over {format_duration(max_gap)} breaks a run). "
        "For hand readings choose a rule judged on daily readings."
    )


def _evaluate_daily(
    rule: PathogenRule,
    readings: Iterable[tuple[str, datetime, float]],
    turnings: Iterable[datetime],
    now: datetime,
    *,
    moisture: Iterable[tuple[str, datetime, float]],
    cycle_finished: bool,
) -> PathogenResult:
    """Judge one reading per position per day: each calendar day with the lowest reading at
    temperature counts as one day; a day without a reading breaks the run."""
    tz = now.tzinfo
    assert tz is not None
    now_utc = now.astimezone(UTC)
    threshold = float(rule.min_temp_c)
    points = _sorted_utc(readings, now_utc, "reading")
    turn_times = sorted(_utc_turnings(turnings, now_utc))
    interval = rule.min_turning_interval

    lowest: dict[date, float] = {}
    last_at: dict[date, datetime] = {}
    for _probe, at, value in points:
        day = at.astimezone(tz).date()
        value = float(value)
        seen = lowest.get(day, math.inf)
        # A reading that is not a number makes the whole day unjudgeable (NaN never qualifies).
        lowest[day] = math.nan if math.isnan(value) or math.isnan(seen) else min(seen, value)
        last_at[day] = at
    wet: dict[date, float] = {}
    if rule.min_moisture_pct is not None:
        for _device, at, pct in _sorted_utc(moisture, now_utc, "moisture sample"):
            day = at.astimezone(tz).date()
            wet[day] = min(wet.get(day, math.inf), float(pct))

    def moist_enough(day: date) -> bool:
        if rule.min_moisture_pct is None:
            return True
        value = wet.get(day, wet.get(day - timedelta(days=1)))
        return value is not None and value >= rule.min_moisture_pct

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), tz).astimezone(UTC)

    days = sorted(lowest)
    good = [d for d in days if lowest[d] >= threshold and moist_enough(d)]
    runs: list[list[date]] = []
    for day in good:
        if runs and runs[-1][-1] + timedelta(days=1) == day:
            runs[-1].append(day)
        else:
            runs.append([day])

    def span(run: list[date]) -> tuple[datetime, datetime]:
        return midnight(run[0]), min(midnight(run[-1] + timedelta(days=1)), now_utc)

    needed = rule.days_needed
    met_run: list[date] | None = None
    met_at: datetime | None = None
    for run in runs:
        if len(run) < needed:
            continue
        start, end = span(run)
        picks = _spaced(turn_times, start, end, interval)
        if len(picks) < rule.min_turnings:
            continue
        done = last_at[run[needed - 1]]
        if rule.min_turnings:
            done = max(done, picks[rule.min_turnings - 1])
        met_run, met_at = run, done
        break

    today = now.astimezone(tz).date()
    current = (
        runs[-1]
        if runs and not cycle_finished and runs[-1][-1] >= today - timedelta(days=1)
        else None
    )
    longest = max(runs, key=len, default=None)
    best = met_run or current or longest
    if met_run is not None:
        status = PathogenStatus.MET
    elif cycle_finished:
        status = PathogenStatus.FAILED
    else:
        status = PathogenStatus.NOT_YET

    def length(run: list[date] | None) -> timedelta:
        return timedelta(days=len(run) if run else 0)

    def turned(run: list[date]) -> int:
        return len(_spaced(turn_times, *span(run), interval))

    reasons = _daily_reasons(rule, tz, days, lowest, good, met_run, met_at, best)
    best_span = span(best) if best else None
    return PathogenResult(
        rule=rule,
        status=status,
        met_at=None if met_at is None else met_at.astimezone(tz),
        run_start=None if best_span is None else best_span[0].astimezone(tz),
        run_end=None if best_span is None else best_span[1].astimezone(tz),
        best_run_duration=length(best),
        current_run_duration=None if current is None else length(current),
        turnings_in_best_run=0 if best is None else turned(best),
        longest_run_duration=length(longest),
        total_at_temperature=timedelta(days=len(good)),
        runs=tuple(
            QualifyingRun(span(r)[0].astimezone(tz), span(r)[1].astimezone(tz), turned(r))
            for r in runs
        ),
        reasons=reasons,
    )


def _daily_reasons(
    rule: PathogenRule,
    tz: tzinfo,
    days: list[date],
    lowest: Mapping[date, float],
    good: list[date],
    met_run: list[date] | None,
    met_at: datetime | None,
    best: list[date] | None,
) -> list[str]:
    needed = rule.days_needed
    temp = f"{rule.min_temp_c:g} °C"
    if not days:
        return ["No pile temperature readings yet."]
    out: list[str] = [
        f"Judged on daily readings: each day counts when the lowest of its readings is at "
        f"least {temp}; a day without a reading breaks the run."
    ]
    if met_run is not None and met_at is not None:
        out.append(
            f"{len(met_run)} consecutive day{'s' if len(met_run) != 1 else ''} at ≥ {temp} "
            f"from {met_run[0].isoformat()}; the {needed}th day was reached on "
            f"{met_at.astimezone(tz).date().isoformat()}."
        )
        return out
    if best is not None:
        out.append(
            f"{len(best)} of {needed} days at ≥ {temp} in a row so far "
            f"({best[0].isoformat()} to {best[-1].isoformat()})."
        )
        if len(best) >= needed and rule.min_turnings:
            out.append(f"The run needs at least {rule.min_turnings} turnings in it.")
    else:
        warmest = max((v for v in lowest.values() if not math.isnan(v)), default=math.nan)
        out.append(f"No day at ≥ {temp} yet; the warmest day's lowest reading was {warmest:g} °C.")
    missing = [
        prev + timedelta(days=1) for prev in days[:-1] if prev + timedelta(days=1) not in lowest
    ]
    if missing:
        out.append(f"No reading on {missing[-1].isoformat()}: that day broke the count.")
    cold = [d for d in days if d not in good]
    if cold and best is not None and cold[-1] > best[0]:
        out.append(f"{cold[-1].isoformat()}: the day's lowest reading did not qualify.")
    return out


def format_duration(value: timedelta) -> str:
    """'2 d 4 h', '3 h 15 min', '40 min': rounded down, so a run is never shown as longer."""
    total_min = int(value.total_seconds() // 60)
    if total_min < 0:
        return "-" + format_duration(-value)
    if value < timedelta(minutes=1):
        return f"{int(value.total_seconds())} s"
    days, rest = divmod(total_min, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


class _Explainer:
    """Turns the sweep's findings into the sentences the detail view and the report show."""

    def __init__(
        self, rule: PathogenRule, tz: tzinfo, max_gap: timedelta, moisture_max_gap: timedelta
    ) -> None:
        self.rule = rule
        self.tz = tz
        self.max_gap = max_gap
        self.moisture_max_gap = moisture_max_gap
        self.temp = f"{rule.min_temp_c:g} °C"
        self.needed = format_duration(rule.duration)

    def when(self, at: datetime) -> str:
        return at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")

    def reasons(
        self,
        *,
        status: PathogenStatus,
        has_readings: bool,
        met_run: _Run | None,
        met_at: datetime | None,
        current: _Run | None,
        restarted_by: _Break | None,
        longest: _Run | None,
        best: _Run | None,
        best_turnings: int,
        logged_in_best: int,
        gap_breaks: Sequence[_Break],
        silent_since: datetime | None,
        now: datetime,
        temp_ever_ok: bool,
        warmest_cold: tuple[float, str] | None,
        longest_temp_only: timedelta,
        low_moisture: tuple[float, datetime] | None,
        missing_moisture_at: datetime | None,
        absent_probes: Sequence[tuple[str, datetime, datetime]],
    ) -> list[str]:
        rule = self.rule
        if not has_readings:
            return [
                "No temperature readings were recorded."
                if status is PathogenStatus.FAILED
                else "No temperature readings yet."
            ]
        out: list[str] = []
        if met_run is not None and met_at is not None:
            out.append(
                f"Met on {self.when(met_at)}: the lowest probe stayed ≥ {self.temp} from "
                f"{self.when(met_run.start)} to {self.when(met_run.end)} "
                f"({format_duration(met_run.end - met_run.start)}; {self.needed} needed)."
            )
            if rule.min_turnings:
                out.append(
                    f"{best_turnings} turning{'s' if best_turnings != 1 else ''}"
                    f"{self._spacing()} in that run; {rule.min_turnings} needed."
                )
            if rule.min_moisture_pct is not None:
                out.append(f"Moisture stayed ≥ {rule.min_moisture_pct:g} % throughout the run.")
        else:
            if current is not None:
                out.append(
                    f"Lowest probe stayed ≥ {self.temp} for "
                    f"{format_duration(current.end - current.start)} so far (since "
                    f"{self.when(current.start)}); {self.needed} needed."
                )
                if restarted_by is not None and restarted_by not in gap_breaks:
                    out.append(self._break(restarted_by).replace("The run ended", "A run ended", 1))
            if longest is not None and longest is not current:
                out.append(
                    f"Longest run with the lowest probe ≥ {self.temp}: "
                    f"{format_duration(longest.end - longest.start)} "
                    f"({self.when(longest.start)} to {self.when(longest.end)}); "
                    f"{self.needed} needed."
                )
                if longest.ended_by is not None and longest.ended_by not in gap_breaks:
                    out.append(self._break(longest.ended_by))
            if not temp_ever_ok and warmest_cold is not None:
                value, probe = warmest_cold
                out.append(
                    f"Lowest probe never reached {self.temp}; the warmest it got was "
                    f"{_reading(value, '°C')} (probe {probe})."
                )
            if rule.min_turnings and best is not None and best_turnings < rule.min_turnings:
                logged = (
                    f" ({logged_in_best} logged in it)" if logged_in_best > best_turnings else ""
                )
                out.append(
                    f"Only {best_turnings} of {rule.min_turnings} turnings{self._spacing()} in "
                    f"the window{logged}."
                )
            if rule.min_moisture_pct is not None:
                if longest is None and temp_ever_ok:
                    out.append(
                        f"The lowest probe reached {self.temp}, but never with moisture "
                        f"≥ {rule.min_moisture_pct:g} % at the same time."
                    )
                run_so_far = timedelta(0) if longest is None else longest.end - longest.start
                if longest_temp_only > run_so_far:
                    out.append(
                        f"Ignoring moisture, the lowest probe stayed ≥ {self.temp} for "
                        f"{format_duration(longest_temp_only)}."
                    )
                if low_moisture is not None:
                    out.append(
                        f"Moisture fell to {_reading(low_moisture[0], '%')} "
                        f"({rule.min_moisture_pct:g} % "
                        f"needed) on {self.when(low_moisture[1])}."
                    )
                if missing_moisture_at is not None:
                    out.append(
                        f"No current moisture reading on {self.when(missing_moisture_at)} while "
                        "the pile was at temperature; a sample counts for "
                        f"{format_duration(self.moisture_max_gap)} and missing moisture does "
                        "not qualify."
                    )
            for gap in gap_breaks[:_MAX_LISTED_GAPS]:
                out.append(self._break(gap))
            if len(gap_breaks) > _MAX_LISTED_GAPS:
                out.append(f"… and {len(gap_breaks) - _MAX_LISTED_GAPS} more gaps broke runs.")
            if silent_since is not None:
                out.append(
                    f"No readings since {self.when(silent_since)} "
                    f"({format_duration(now - silent_since)})."
                )
        for probe, start, end in absent_probes[:_MAX_LISTED_GAPS]:
            out.append(
                f"Probe {probe} had no current reading from {self.when(start)} to "
                f"{self.when(end)}; that part of the run was judged on the other probes."
            )
        if len(absent_probes) > _MAX_LISTED_GAPS:
            out.append(
                f"… and {len(absent_probes) - _MAX_LISTED_GAPS} more stretches without a probe."
            )
        return out

    def _spacing(self) -> str:
        interval = self.rule.min_turning_interval
        return "" if interval is None else f" at least {format_duration(interval)} apart"

    def _break(self, brk: _Break) -> str:
        if brk.kind == "gap":
            assert brk.until is not None
            return (
                f"Gap in readings from {self.when(brk.at)} to {self.when(brk.until)} "
                f"({format_duration(brk.until - brk.at)}) broke the run; gaps over "
                f"{format_duration(self.max_gap)} do not count as time at temperature."
            )
        if brk.kind == "temperature":
            return (
                f"The run ended on {self.when(brk.at)}: probe {brk.who} read {_reading(brk.value, '°C')} "
                f"({self.temp} needed)."
            )
        if brk.kind == "moisture":
            return (
                f"The run ended on {self.when(brk.at)}: moisture fell to {_reading(brk.value, '%')} "
                f"({self.rule.min_moisture_pct:g} % needed)."
            )
        return f"The run ended on {self.when(brk.at)}: no current moisture reading."


def _reading(value: float, unit: str) -> str:
    """A measured value for a sentence; NaN readings are kept as -inf and said as such."""
    return f"{value:.1f} {unit}" if math.isfinite(value) else "a value that is not a number"


def _holder(values: Mapping[str, float], value: float) -> str:
    """The probe or device holding a value (the first, if several do)."""
    return next(name for name, held in values.items() if held == value)


def _run_length(run: _Run) -> timedelta:
    return run.end - run.start


def _sorted_utc(
    rows: Iterable[tuple[str, datetime, float]], now: datetime, label: str
) -> list[tuple[str, datetime, float]]:
    """Rows up to `now`, in UTC, sorted by time.

    UTC throughout keeps durations exact across daylight-saving changes: Python compares and
    subtracts two datetimes sharing one zone by wall clock.
    """
    rows = list(rows)
    try:
        kept = [row for row in rows if row[1] <= now]  # a time without a zone raises here
    except TypeError:
        for row in rows:
            _require_aware(row[1], "measured_at", f"The {label} time")
        raise
    if not all(row[1].tzinfo is UTC for row in kept):
        kept = [(who, at.astimezone(UTC), value) for who, at, value in kept]
    kept.sort(key=itemgetter(1))
    return kept


def _utc_turnings(turnings: Iterable[datetime], now: datetime) -> list[datetime]:
    out = []
    for at in turnings:
        _require_aware(at, "turned_at", "The turning time")
        at = at.astimezone(UTC)
        if at <= now:
            out.append(at)
    return out


def _spaced(
    turnings: Sequence[datetime], start: datetime, end: datetime, interval: timedelta | None
) -> list[datetime]:
    """Turnings within [start, end], each at least `interval` after the previous one counted."""
    i = bisect_left(turnings, start)
    stop = bisect_right(turnings, end)
    if interval is None:
        return list(turnings[i:stop])
    picks: list[datetime] = []
    while i < stop:
        picks.append(turnings[i])
        i = bisect_left(turnings, turnings[i] + interval, i + 1, stop)
    return picks


def _absent_probes(
    run: _Run | None, points: Sequence[tuple[str, datetime, float]], max_gap: timedelta
) -> list[tuple[str, datetime, datetime]]:
    """Stretches of a run in which a probe that reported during the cycle had no current reading.

    Stretches under five minutes are left out: probes on their own schedules start a few
    seconds apart, and that is not worth a line in the record.
    """
    if run is None or run.end <= run.start:
        return []
    lo = bisect_left(points, run.start - max_gap, key=itemgetter(1))
    hi = bisect_right(points, run.end, key=itemgetter(1))
    current_until: dict[str, datetime] = dict.fromkeys((row[0] for row in points), run.start)
    found: list[tuple[str, datetime, datetime]] = []
    for probe, at, _value in islice(points, lo, hi):
        until = current_until[probe]
        if at - until >= _MIN_ABSENCE:
            found.append((probe, until, at))
        current_until[probe] = at + max_gap
    for probe, until in current_until.items():
        if run.end - until >= _MIN_ABSENCE:
            found.append((probe, until, run.end))
    found.sort(key=itemgetter(1))
    return found


def _check_timedelta(value: object, field: str, label: str) -> timedelta:
    if not isinstance(value, timedelta):
        raise ValidationError(field, f"{label} must be a length of time, not {value!r}.")
    if value <= timedelta(0):
        raise ValidationError(field, f"{label} must be longer than zero.")
    return value


def _require_aware(at: object, field: str, label: str = "The time") -> None:
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise ValidationError(field, f"{label} {at!r} must be a date and time with a time zone.")


def _seconds(value: timedelta) -> int | float:
    seconds = value.total_seconds()
    return int(seconds) if seconds.is_integer() else seconds


def _duration_from(value: object, field: str, label: str) -> timedelta:
    seconds = require_number(field, label, value)
    if seconds <= 0:
        raise ValidationError(field, f"{label} must be longer than zero.")
    if seconds > MAX_RULE_DURATION.total_seconds():
        raise ValidationError(field, f"{label} must be at most {MAX_RULE_DURATION.days} days.")
    return timedelta(seconds=seconds)


def _interval_from(value: object) -> ReadingInterval:
    if value is None:
        return ReadingInterval.CONTINUOUS  # rules saved before intervals existed
    try:
        return ReadingInterval(str(value))
    except ValueError:
        raise ValidationError(
            "reading_interval",
            f"The stored rule's reading interval must be 'continuous' or 'daily', not {value!r}.",
        ) from None


def _as_str(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(field, f"The stored rule's {field!r} must be text, not {value!r}.")
    return value


def _as_int(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ValidationError(
            field, f"The stored rule's {field!r} must be a whole number, not {value!r}."
        )
    return value


# The presets, last so that the validation helpers above exist when they are built.
EPA_PFRP_IN_VESSEL = PathogenRule(
    key="epa-pfrp-in-vessel",
    name="US EPA PFRP – aerated static pile / in-vessel",
    min_temp_c=55.0,
    duration=timedelta(days=3),
    notes=(
        "40 CFR Part 503, Appendix B, PFRP: using the within-vessel or static aerated pile "
        "composting methods, the temperature of the sewage sludge is maintained at 55 °C or "
        "higher for three days."
    ),
)
EPA_PFRP_WINDROW = PathogenRule(
    key="epa-pfrp-windrow",
    name="US EPA PFRP – windrow",
    min_temp_c=55.0,
    duration=timedelta(days=15),
    min_turnings=5,
    notes=(
        "40 CFR Part 503, Appendix B, PFRP: using the windrow composting method, the "
        "temperature is maintained at 55 °C or higher for 15 days or longer, with a minimum "
        "of five turnings of the windrow during that period."
    ),
)
PAS_100 = PathogenRule(
    key="uk-pas-100",
    name="UK PAS 100 sanitisation",
    min_temp_c=65.0,
    duration=timedelta(days=7),
    min_moisture_pct=51.0,
    notes=(
        "BSI PAS 100 sanitisation step: 65 °C for 7 days with moisture of at least 51 %. "
        "Check the edition and your quality plan's own time-temperature parameters."
    ),
)
UK_ABPR_HOUSED_WINDROW = PathogenRule(
    key="uk-abpr-housed-windrow",
    name="UK animal by-products – housed windrow",
    min_temp_c=60.0,
    duration=timedelta(days=8),
    min_turnings=3,
    min_turning_interval=timedelta(days=2),
    notes=(
        "UK national standard for composting catering waste under the animal by-products "
        "rules, housed windrow: 60 °C for 8 days, turned at least 3 times at intervals of "
        "no less than 2 days."
    ),
)


# Many farms record EPA and PAS 100 piles with one hand reading per position per day.
def _daily(rule: PathogenRule, key: str) -> PathogenRule:
    """The same rule judged on daily hand readings (one per position per day)."""
    return replace(
        rule,
        key=key,
        name=f"{rule.name} (daily readings)",
        reading_interval=ReadingInterval.DAILY,
        notes=rule.notes + " Judged on daily hand readings: one reading per position per day.",
    )


EPA_PFRP_IN_VESSEL_DAILY = _daily(EPA_PFRP_IN_VESSEL, "epa-pfrp-in-vessel-daily")
EPA_PFRP_WINDROW_DAILY = _daily(EPA_PFRP_WINDROW, "epa-pfrp-windrow-daily")
PAS_100_DAILY = _daily(PAS_100, "uk-pas-100-daily")
PRESETS: dict[str, PathogenRule] = {
    rule.key: rule
    for rule in (
        EPA_PFRP_IN_VESSEL,
        EPA_PFRP_WINDROW,
        PAS_100,
        UK_ABPR_HOUSED_WINDROW,
        EPA_PFRP_IN_VESSEL_DAILY,
        EPA_PFRP_WINDROW_DAILY,
        PAS_100_DAILY,
    )
}


def rules_to_json(rules: Iterable[PathogenRule]) -> str:
    """User-defined rules as a JSON document, for the settings and for sharing between PCs."""
    return json.dumps([rule.to_dict() for rule in rules], ensure_ascii=False, indent=1)


def rules_from_json(text: str) -> list[PathogenRule]:
    """Rules from `rules_to_json` output; any bad entry fails the whole read, naming it."""
    try:
        data = json.loads(text or "[]")
    except json.JSONDecodeError as exc:
        raise ValidationError("rules", f"The rules file is not valid JSON ({exc.msg}).") from exc
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ValidationError("rules", "The rules file must hold a list of rules.")
    rules: list[PathogenRule] = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise ValidationError("rules", f"Rule {number} in the file is not a rule.")
        try:
            rules.append(PathogenRule.from_dict(item))
        except ValidationError as exc:
            raise ValidationError(exc.field, f"Rule {number}: {exc.message}") from exc
    keys = [rule.key for rule in rules]
    duplicated = sorted({key for key in keys if keys.count(key) > 1})
    if duplicated:
        raise ValidationError("rules", f"Rule keys appear twice: {', '.join(duplicated)}.")
    return rules


def available_rules(custom: Iterable[PathogenRule]) -> dict[str, PathogenRule]:
    """Presets first, then the user's rules; a custom rule never replaces a preset."""
    rules = dict(PRESETS)
    for rule in custom:
        rules.setdefault(rule.key, rule)
    return rules


def unique_key(name: str, taken: Iterable[str]) -> str:
    """A rule key made from its name that no other rule (or preset) uses yet."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "rule"
    used = set(taken) | set(PRESETS)
    key, n = base, 2
    while key in used:
        key, n = f"{base}-{n}", n + 1
    return key
