"""Everything a cycle report shows, gathered in one pass on the database thread as plain values.

No Qt here: the PDF renderer (`gui.report`), the print path and the command line all read the
same `ReportData`, so what an inspector sees on paper is what the screens were judged on.
Times stay aware UTC datetimes (or epoch seconds for the chart); the renderer shows them in
the reader's local time and locale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from compost_desktop import APP_NAME, __version__
from compost_desktop.db.models import AlarmRecord, SensorReading
from compost_desktop.domain.lifecycle import CycleStatus, MaterialKind
from compost_desktop.domain.mix import MixAnalysis, MixStatus, MoistureStatus, TargetBand, analyse
from compost_desktop.domain.pathogen import (
    DEFAULT_MAX_GAP,
    DISCLAIMER,
    PathogenResult,
    PathogenRule,
    format_duration,
)
from compost_desktop.domain.phases import PhaseSpan
from compost_desktop.domain.progress import bay_fill_l
from compost_desktop.domain.quantities import TEMPERATURE
from compost_desktop.domain.states import PathogenStatus
from compost_desktop.services import chart_data
from compost_desktop.services.chart_data import Marker, Series
from compost_desktop.services.history import CycleNotFound, evaluate_series, load_series
from compost_desktop.services.store import NotFoundError, Store
from compost_desktop.services.values import MaterialRecord

# A printed chart is about 17 cm wide: 600 points per line is finer than the printer's pen.
REPORT_BUCKETS = 600

MIX_STATUS_TEXT: dict[MixStatus, str] = {
    MixStatus.OPTIMAL: "in the target band",
    MixStatus.TOO_MUCH_GREEN: "below the target band: too much green (nitrogen-rich) material",
    MixStatus.TOO_MUCH_BROWN: "above the target band: too much brown (carbon-rich) material",
}
ESTIMATE_NOTE = (
    "Estimate: some %N or moisture values were not known and were assumed (equal carbon "
    "content of dry matter, equal moisture)."
)


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """The cycle as recorded: identity, status, dates, volumes and notes."""

    id: int
    uuid: str
    name: str
    status: CycleStatus
    start_date: date | None
    projected_end_date: date | None
    activated_at: datetime | None
    completed_at: datetime | None
    capacity_l: float | None
    initial_volume_l: float | None
    current_volume_l: float | None
    filled_volume_l: float | None  # what the inputs add up to, against the capacity
    green_kg: float
    brown_kg: float
    notes: str | None

    @property
    def fill_pct(self) -> float | None:
        """Fill against the bay capacity; shrinkage of the pile is not progress."""
        if not self.capacity_l or self.filled_volume_l is None:
            return None
        return 100.0 * self.filled_volume_l / self.capacity_l

    @property
    def shrinkage_pct(self) -> float | None:
        if not self.initial_volume_l or self.current_volume_l is None:
            return None
        return 100.0 * (self.initial_volume_l - self.current_volume_l) / self.initial_volume_l


@dataclass(frozen=True, slots=True)
class ReportInput:
    """One delivery with the values the mix was computed from (overrides already applied)."""

    added_at: datetime | None
    material: str
    kind: MaterialKind
    mass_kg: float
    volume_l: float | None
    moisture_pct: float | None
    nitrogen_pct: float | None
    cn_ratio: float | None
    notes: str | None


@dataclass(frozen=True, slots=True)
class ReportMix:
    """The mix analysis, its verdicts in words, and what the suggestion can draw on."""

    analysis: MixAnalysis
    cn_status_text: str
    moisture_status: MoistureStatus | None
    estimate: bool
    # The library and the names in the mix, so the renderer can word the suggestion with the
    # same choice the cycle screens make (gui.cycles.cn_indicator.propose).
    library: tuple[MaterialRecord, ...]
    in_mix: frozenset[str]
    left_out: tuple[str, ...]  # inputs with no C:N or no mass, which the ratio cannot use

    @property
    def band(self) -> TargetBand:
        return self.analysis.band


@dataclass(frozen=True, slots=True)
class ReportTurning:
    turned_at: datetime
    operator: str | None
    notes: str | None


@dataclass(frozen=True, slots=True)
class ReportChart:
    """The temperature history at print resolution; times are epoch seconds (UTC)."""

    start: float
    end: float
    probes: tuple[Series, ...]  # recorded probes, one line each
    manual: tuple[Series, ...]  # hand readings, drawn as points
    lowest: Series | None  # the coldest probe per bucket: what the rules judge
    phases: tuple[PhaseSpan, ...]
    turnings: tuple[Marker, ...]
    inputs: tuple[Marker, ...]
    bucket_seconds: float

    @property
    def empty(self) -> bool:
        return not self.probes and not self.manual


@dataclass(frozen=True, slots=True)
class ReportPathogen:
    """The rule used, in words, and where the cycle stands against it."""

    rule: PathogenRule
    result: PathogenResult
    headline: str  # without the date of "Met since …", which the renderer formats
    has_readings: bool
    disclaimer: str = DISCLAIMER

    @property
    def status(self) -> PathogenStatus:
        return self.result.status

    @property
    def reasons(self) -> list[str]:
        return list(self.result.reasons)


@dataclass(frozen=True, slots=True)
class ReportAlarm:
    raised_at: datetime
    cleared_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    device_id: str
    kind: str
    message: str

    @property
    def kind_text(self) -> str:
        return self.kind.replace("_", " ").capitalize()


@dataclass(frozen=True, slots=True)
class ProbeSummary:
    """One device's readings of one quantity in the cycle."""

    device_id: str
    quantity: str
    source: str
    count: int
    first: datetime | None
    last: datetime | None
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class ReadingsSummary:
    count: int
    first: datetime | None
    last: datetime | None
    devices: tuple[ProbeSummary, ...]

    @property
    def temperature_probes(self) -> list[str]:
        return sorted(
            {
                d.device_id
                for d in self.devices
                if d.quantity == TEMPERATURE and d.source != "manual"
            }
        )


@dataclass(frozen=True, slots=True)
class ReportData:
    """One cycle's report: what the renderer draws, nothing it has to look up."""

    facts: ReportFacts
    inputs: tuple[ReportInput, ...]
    mix: ReportMix | None
    turnings: tuple[ReportTurning, ...]
    chart: ReportChart | None
    pathogen: ReportPathogen
    alarms: tuple[ReportAlarm, ...]
    readings: ReadingsSummary
    generated_at: datetime
    app: str = field(default=f"{APP_NAME} {__version__}")

    @property
    def total_kg(self) -> float:
        return sum(i.mass_kg for i in self.inputs)


def gather_report(
    engine: Engine,
    cycle_id: int,
    rule: PathogenRule,
    now: datetime,
    *,
    band: TargetBand | None = None,
    max_gap: timedelta = DEFAULT_MAX_GAP,
    buckets: int = REPORT_BUCKETS,
) -> ReportData:
    """Read and judge one cycle for its report; raises CycleNotFound for an unknown id.

    `now` (aware) is the moment the report speaks for: later readings are ignored, and the
    pathogen reasons are worded in its time zone.
    """
    if now.tzinfo is None:
        raise ValueError("the report time needs a time zone")
    store = Store(engine)
    try:
        cycle = store.cycle(cycle_id)
    except NotFoundError as exc:
        raise CycleNotFound(f"Cycle {cycle_id} is not in the database.") from exc
    facts = ReportFacts(
        id=cycle.id,
        uuid=cycle.uuid,
        name=cycle.name,
        status=cycle.status,
        start_date=cycle.start_date,
        projected_end_date=cycle.projected_end_date,
        activated_at=cycle.activated_at,
        completed_at=cycle.completed_at,
        capacity_l=cycle.capacity_l,
        initial_volume_l=cycle.initial_volume_l,
        current_volume_l=cycle.current_volume_l,
        filled_volume_l=bay_fill_l(cycle.initial_volume_l, cycle.estimated_volume_l),
        green_kg=cycle.green_kg,
        brown_kg=cycle.brown_kg,
        notes=cycle.notes,
    )
    inputs = tuple(
        ReportInput(
            i.added_at,
            i.material_name,
            i.kind,
            i.mass_kg,
            i.volume_l,
            i.moisture_pct,
            i.nitrogen_pct,
            i.cn_ratio,
            i.notes,
        )
        for i in cycle.inputs
    )
    components = cycle.mix_components()
    mix = None
    if components:
        analysis = analyse(components, band)
        mix = ReportMix(
            analysis=analysis,
            cn_status_text=MIX_STATUS_TEXT[analysis.status],
            moisture_status=analysis.moisture_status,
            estimate=analysis.estimate,
            library=tuple(store.materials()),
            in_mix=frozenset(c.name for c in components),
            left_out=tuple(i.material_name for i in cycle.inputs if i.as_component() is None),
        )
    turnings = tuple(ReportTurning(t.turned_at, t.operator, t.notes) for t in cycle.turnings)

    series = load_series(engine, cycle_id, moisture=rule.min_moisture_pct is not None)
    result = evaluate_series(series, rule, now, max_gap)
    pathogen = ReportPathogen(
        rule=rule,
        result=result,
        headline=pathogen_headline(result, has_readings=bool(series.temperatures)),
        has_readings=bool(series.temperatures),
    )
    history = chart_data.cycle_history(engine, cycle_id, buckets)
    return ReportData(
        facts=facts,
        inputs=inputs,
        mix=mix,
        turnings=turnings,
        chart=_chart(history),
        pathogen=pathogen,
        alarms=_alarms(engine, cycle_id),
        readings=_readings(engine, cycle_id),
        generated_at=now,
    )


def pathogen_headline(
    result: PathogenResult,
    when: Callable[[datetime], str] | None = None,
    has_readings: bool = True,
    temp_text: Callable[[float], str] | None = None,
) -> str:
    """The status in one line, worded as the detail view's pathogen panel words it.

    `temp_text` writes a temperature in the user's unit (°F too); °C when not given.
    """
    rule = result.rule
    if not has_readings:
        if result.status is PathogenStatus.FAILED:
            return "Failed: no temperature readings were recorded"
        return "Not yet: no temperature readings recorded yet"
    needed = format_duration(rule.duration)
    temp = f"≥ {temp_text(rule.min_temp_c) if temp_text else f'{rule.min_temp_c:g} °C'}"
    if result.too_sparse is not None and result.status is not PathogenStatus.MET:
        verdict = "Failed" if result.status is PathogenStatus.FAILED else "Not yet"
        return f"{verdict}: readings too sparse for this rule (it needs a continuous logger)"
    if result.status is PathogenStatus.MET:
        if result.met_at is None or when is None:
            return "Met"
        return f"Met since {when(result.met_at)}"
    if result.status is PathogenStatus.NOT_YET:
        if result.current_run_duration is not None:
            so_far = format_duration(result.current_run_duration)
            return f"Not yet: {so_far} at {temp} so far of {needed} needed"
        return (
            f"Not yet: not at {temp} now; longest run "
            f"{format_duration(result.longest_run_duration)} of {needed} needed"
        )
    return (
        f"Failed: never met; longest run {format_duration(result.longest_run_duration)} "
        f"at {temp} of {needed} needed"
    )


def rule_parameters(
    rule: PathogenRule, temp_text: Callable[[float], str] | None = None
) -> list[tuple[str, str]]:
    """The rule's parameters as label/value pairs, for the report's rule table."""
    threshold = temp_text(rule.min_temp_c) if temp_text else f"{rule.min_temp_c:g} °C"
    judged = (
        "one day per day whose lowest reading qualifies"
        if rule.reading_interval.value == "daily"
        else "continuous"
    )
    rows = [
        ("Minimum temperature", f"{threshold}, on the lowest probe"),
        ("Time at temperature", f"{format_duration(rule.duration)}, {judged}"),
        ("Records", rule.reading_interval.label),
    ]
    if rule.min_turnings:
        turns = f"at least {rule.min_turnings} within the run"
        if rule.min_turning_interval is not None:
            turns += f", {format_duration(rule.min_turning_interval)} or more apart"
        rows.append(("Turnings", turns))
    if rule.min_moisture_pct is not None:
        rows.append(("Moisture", f"at least {rule.min_moisture_pct:g} % throughout the run"))
    return rows


def _chart(history: chart_data.CycleHistory) -> ReportChart | None:
    data = history.window
    if data is None:
        return None
    temperatures = data.of(TEMPERATURE)
    return ReportChart(
        start=data.start,
        end=data.end,
        probes=tuple(s for s in temperatures if not s.manual and s.pile),
        manual=tuple(s for s in temperatures if s.manual),
        lowest=history.lowest,
        phases=tuple(history.phases),
        turnings=tuple(history.turnings),
        inputs=tuple(history.inputs),
        bucket_seconds=data.bucket_seconds,
    )


def _alarms(engine: Engine, cycle_id: int) -> tuple[ReportAlarm, ...]:
    a = AlarmRecord
    query = (
        sa.select(
            a.raised_at,
            a.cleared_at,
            a.acknowledged_at,
            a.acknowledged_by,
            a.device_id,
            a.kind,
            a.message,
        )
        .where(a.cycle_id == cycle_id)
        .order_by(a.raised_at, a.id)
    )
    with engine.connect() as conn:
        return tuple(ReportAlarm(*row) for row in conn.execute(query))


def _readings(engine: Engine, cycle_id: int) -> ReadingsSummary:
    r = SensorReading.__table__.c
    query = (
        sa.select(
            r.device_id,
            r.quantity,
            r.source,
            sa.func.count(),
            sa.func.min(r.measured_at),
            sa.func.max(r.measured_at),
            sa.func.min(r.value),
            sa.func.max(r.value),
        )
        .where(r.batch_id == cycle_id)
        .group_by(r.device_id, r.quantity, r.source)
    )
    with engine.connect() as conn:
        devices = [
            ProbeSummary(
                device,
                quantity,
                source or "mqtt",
                int(count),
                _aware(first),
                _aware(last),
                float(low),
                float(high),
            )
            for device, quantity, source, count, first, last, low, high in conn.execute(query)
        ]
    devices.sort(key=lambda d: (d.quantity != TEMPERATURE, d.quantity, d.source, d.device_id))
    firsts = [d.first for d in devices if d.first is not None]
    lasts = [d.last for d in devices if d.last is not None]
    return ReadingsSummary(
        count=sum(d.count for d in devices),
        first=min(firsts, default=None),
        last=max(lasts, default=None),
        devices=tuple(devices),
    )


def _aware(value: object) -> datetime | None:
    """min()/max() come back as text on SQLite; make every time an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"expected a time, got {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
