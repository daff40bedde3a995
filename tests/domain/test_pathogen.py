"""The pathogen-reduction tracker on constructed reading series, and its rules as data."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compost_desktop.domain.pathogen import (
    DEFAULT_MAX_GAP,
    DISCLAIMER,
    EPA_PFRP_IN_VESSEL,
    EPA_PFRP_WINDROW,
    PAS_100,
    PRESETS,
    UK_ABPR_HOUSED_WINDROW,
    MoistureSample,
    PathogenRule,
    TemperatureReading,
    evaluate,
    format_duration,
)
from compost_desktop.domain.states import PathogenStatus
from compost_desktop.domain.validation import ValidationError

T0 = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


def series(
    start: datetime,
    length: timedelta,
    temps: dict[str, float],
    step: timedelta = MINUTE,
    skip: Callable[[datetime], bool] | None = None,
) -> list[TemperatureReading]:
    """A reading from every probe at start, start + step, … up to and including start + length."""
    out: list[TemperatureReading] = []
    at = start
    while at <= start + length:
        if skip is None or not skip(at):
            out.extend(TemperatureReading(probe, at, temp) for probe, temp in temps.items())
        at += step
    return out


def joined(*parts: Sequence[TemperatureReading]) -> list[TemperatureReading]:
    return [reading for part in parts for reading in part]


def has_reason(result_reasons: Sequence[str], *fragments: str) -> bool:
    return any(all(f in reason for f in fragments) for reason in result_reasons)


# --- EPA PFRP aerated static pile / in-vessel: ≥ 55 °C for 3 days ----------------------------


def test_exactly_three_days_at_55_meets_the_aerated_rule() -> None:
    readings = series(T0, 3 * DAY, {"A": 55.0, "B": 55.0})
    result = evaluate(EPA_PFRP_IN_VESSEL, readings, [], now=T0 + 4 * DAY)
    assert result.status is PathogenStatus.MET
    assert result.met_at == T0 + 3 * DAY
    assert result.run_start == T0
    assert result.best_run_duration == 3 * DAY
    assert has_reason(result.reasons, "Met on", "≥ 55 °C", "3 d needed")


def test_three_days_minus_two_minutes_does_not_meet_it() -> None:
    readings = series(T0, 3 * DAY - 2 * MINUTE, {"A": 55.0, "B": 55.0})
    result = evaluate(EPA_PFRP_IN_VESSEL, readings, [], now=T0 + 3 * DAY - 2 * MINUTE)
    assert result.status is PathogenStatus.NOT_YET
    assert result.met_at is None
    assert result.best_run_duration == 3 * DAY - 2 * MINUTE
    assert result.current_run_duration == 3 * DAY - 2 * MINUTE
    assert "Lowest probe stayed ≥ 55 °C for 2 d 23 h so far" in result.reasons[0]
    assert "3 d needed" in result.reasons[0]


def test_a_reading_just_below_55_does_not_qualify() -> None:
    readings = series(T0, 3 * DAY, {"A": 55.0, "B": 54.99})
    result = evaluate(EPA_PFRP_IN_VESSEL, readings, [], now=T0 + 3 * DAY, cycle_finished=True)
    assert result.status is PathogenStatus.FAILED
    assert result.best_run_duration == timedelta(0)


def test_a_one_hour_gap_inside_the_three_days_breaks_the_run() -> None:
    gap_from, gap_to = T0 + DAY + 12 * timedelta(hours=1), T0 + DAY + 13 * timedelta(hours=1)
    readings = series(T0, 3 * DAY, {"A": 60.0, "B": 58.0}, skip=lambda at: gap_from < at < gap_to)
    result = evaluate(EPA_PFRP_IN_VESSEL, readings, [], now=T0 + 3 * DAY)
    assert result.status is PathogenStatus.NOT_YET
    assert result.best_run_duration == T0 + 3 * DAY - gap_to
    assert result.total_at_temperature == 3 * DAY - timedelta(hours=1)
    assert has_reason(
        result.reasons, "Gap in readings from 2024-05-02 18:00 to 2024-05-02 19:00 (1 h)", "broke"
    )


def test_a_gap_no_longer_than_max_gap_is_bridged() -> None:
    gap_from, gap_to = T0 + DAY, T0 + DAY + DEFAULT_MAX_GAP
    readings = series(T0, 3 * DAY, {"A": 60.0, "B": 58.0}, skip=lambda at: gap_from < at < gap_to)
    assert evaluate(EPA_PFRP_IN_VESSEL, readings, [], now=T0 + 3 * DAY).met
    # The same gap is too long when the allowance is shorter.
    shorter = evaluate(EPA_PFRP_IN_VESSEL, readings, [], T0 + 3 * DAY, timedelta(minutes=29))
    assert not shorter.met


def test_a_hot_peak_probe_does_not_hide_a_cold_one() -> None:
    readings = series(T0, 4 * DAY, {"core": 70.0, "edge": 50.0})
    result = evaluate(EPA_PFRP_IN_VESSEL, readings, [], now=T0 + 4 * DAY, cycle_finished=True)
    assert result.status is PathogenStatus.FAILED
    assert result.best_run_duration == timedelta(0)
    assert result.runs == ()
    assert has_reason(result.reasons, "never reached 55 °C", "50.0 °C", "edge")


def test_one_cold_reading_ends_the_run_until_that_probe_reads_again() -> None:
    step = timedelta(minutes=10)
    dip = T0 + DAY
    readings = [
        r._replace(temp_c=50.0) if (r.probe == "edge" and r.measured_at == dip) else r
        for r in series(T0, 4 * DAY, {"core": 70.0, "edge": 60.0}, step)
    ]
    result = evaluate(EPA_PFRP_IN_VESSEL, readings, [], now=T0 + 4 * DAY)
    [before, after] = result.runs
    assert before.end == dip - step
    assert after.start == dip + step
    assert has_reason(result.reasons, "probe edge read 50.0 °C (55 °C needed)")
    assert has_reason(result.reasons, "Lowest probe stayed ≥ 55 °C for 2 d 23 h so far")


def test_a_cold_reading_stays_current_for_max_gap_when_its_probe_goes_quiet() -> None:
    dip = T0 + DAY
    hot = series(T0, 4 * DAY, {"core": 70.0})
    edge = series(T0, 4 * DAY, {"edge": 60.0}, skip=lambda at: dip < at < dip + timedelta(hours=2))
    edge = [r._replace(temp_c=50.0) if r.measured_at == dip else r for r in edge]
    result = evaluate(EPA_PFRP_IN_VESSEL, joined(hot, edge), [], now=T0 + 4 * DAY)
    assert [run.start for run in result.runs] == [T0, dip + DEFAULT_MAX_GAP + MINUTE]
    assert has_reason(
        result.reasons,
        "Probe edge had no current reading from 2024-05-02 06:31 to 2024-05-02 08:00",
    )


def test_a_probe_silent_for_longer_than_max_gap_drops_out_of_the_minimum() -> None:
    hot = series(T0, 4 * DAY, {"core": 70.0})
    cold_until = T0 + timedelta(hours=5)
    cold = series(T0, cold_until - T0, {"edge": 50.0})
    result = evaluate(EPA_PFRP_IN_VESSEL, joined(hot, cold), [], now=T0 + 4 * DAY)
    assert result.met
    # The run starts at the first reading after the edge's last reading stopped being current.
    assert result.run_start == cold_until + DEFAULT_MAX_GAP + MINUTE
    assert has_reason(result.reasons, "Probe edge had no current reading", "other probes")


def test_readings_dated_after_now_are_ignored() -> None:
    readings = series(T0, 4 * DAY, {"A": 60.0})
    result = evaluate(EPA_PFRP_IN_VESSEL, readings, [], now=T0 + 2 * DAY)
    assert result.status is PathogenStatus.NOT_YET
    assert result.current_run_duration == 2 * DAY


def test_not_a_number_never_qualifies() -> None:
    readings = series(T0, 4 * DAY, {"A": 60.0, "B": math.nan})
    result = evaluate(EPA_PFRP_IN_VESSEL, readings, [], now=T0 + 4 * DAY)
    assert not result.met
    assert has_reason(result.reasons, "not a number")


def test_readings_in_any_order_and_time_zone_give_the_same_result() -> None:
    readings = series(T0, 3 * DAY, {"A": 60.0, "B": 57.0}, step=timedelta(minutes=5))
    paris = ZoneInfo("Europe/Paris")
    shuffled = [r._replace(measured_at=r.measured_at.astimezone(paris)) for r in readings[::-1]]
    a = evaluate(EPA_PFRP_IN_VESSEL, readings, [], now=T0 + 3 * DAY)
    b = evaluate(EPA_PFRP_IN_VESSEL, shuffled, [], now=T0 + 3 * DAY)
    assert (a.status, a.met_at, a.runs) == (b.status, b.met_at, b.runs)


def test_durations_are_real_time_across_a_daylight_saving_change() -> None:
    # Spring forward: 2024-03-31 01:00 GMT becomes 02:00 BST, so the wall clock gains an hour.
    london = ZoneInfo("Europe/London")
    start = datetime(2024, 3, 29, 12, 0, tzinfo=UTC)
    readings = [
        r._replace(measured_at=r.measured_at.astimezone(london))
        for r in series(start, 3 * DAY - timedelta(minutes=30), {"A": 60.0})
    ]
    now = (start + 4 * DAY).astimezone(london)
    result = evaluate(EPA_PFRP_IN_VESSEL, readings, [], now=now)
    assert not result.met
    assert result.best_run_duration == 3 * DAY - timedelta(minutes=30)
    assert result.run_start is not None and result.run_start.tzinfo is london


# --- EPA PFRP windrow: ≥ 55 °C for 15 days with 5 turnings in that period --------------------

WARM_UP = 2 * DAY
WINDROW_RUN_START = T0 + WARM_UP
WINDROW_RUN_END = WINDROW_RUN_START + 16 * DAY


def windrow_readings() -> list[TemperatureReading]:
    step = timedelta(minutes=5)
    return joined(
        series(T0, WARM_UP - step, {"A": 40.0, "B": 45.0}, step),
        series(WINDROW_RUN_START, WINDROW_RUN_END - WINDROW_RUN_START, {"A": 60, "B": 62}, step),
        series(WINDROW_RUN_END + step, 2 * DAY, {"A": 40.0, "B": 45.0}, step),
    )


@pytest.mark.parametrize(("inside", "met"), [(4, False), (5, True)])
def test_windrow_needs_five_turnings_inside_the_run(inside: int, met: bool) -> None:
    turnings = [WINDROW_RUN_START + (i + 1) * 2 * DAY for i in range(inside)]
    result = evaluate(EPA_PFRP_WINDROW, windrow_readings(), turnings, now=T0 + 21 * DAY)
    assert result.met is met
    assert result.turnings_in_best_run == inside
    if met:
        assert result.met_at == WINDROW_RUN_START + 15 * DAY
    else:
        assert result.status is PathogenStatus.NOT_YET
        assert has_reason(result.reasons, "Only 4 of 5 turnings in the window")


def test_windrow_turnings_outside_the_run_do_not_count() -> None:
    inside = [WINDROW_RUN_START + d * DAY for d in (3, 6, 9)]
    outside = [T0 + DAY, WINDROW_RUN_END + DAY]  # during the warm-up and the cooling
    result = evaluate(EPA_PFRP_WINDROW, windrow_readings(), inside + outside, T0 + 21 * DAY)
    assert not result.met
    assert result.turnings_in_best_run == 3
    assert has_reason(result.reasons, "Only 3 of 5 turnings")


def test_windrow_is_met_when_the_fifth_turning_comes_after_fifteen_days() -> None:
    turnings = [WINDROW_RUN_START + d * DAY for d in (1, 2, 3, 4)] + [
        WINDROW_RUN_START + 15 * DAY + timedelta(hours=6)
    ]
    result = evaluate(EPA_PFRP_WINDROW, windrow_readings(), turnings, T0 + 21 * DAY)
    assert result.met_at == WINDROW_RUN_START + 15 * DAY + timedelta(hours=6)


# --- UK ABPR housed windrow: 60 °C for 8 days, 3 turnings ≥ 2 days apart ----------------------


@pytest.mark.parametrize(
    ("turning_days", "met", "counted"),
    [((1, 2, 4), False, 2), ((1, 3, 5), True, 3), ((1, 1.5, 2, 3), False, 2)],
)
def test_abpr_counts_only_turnings_two_days_apart(
    turning_days: tuple[float, ...], met: bool, counted: int
) -> None:
    readings = series(T0, 9 * DAY, {"A": 62.0, "B": 61.0}, step=timedelta(minutes=5))
    turnings = [T0 + d * DAY for d in turning_days]
    result = evaluate(UK_ABPR_HOUSED_WINDROW, readings, turnings, now=T0 + 9 * DAY)
    assert result.met is met
    assert result.turnings_in_best_run == counted
    if not met:
        assert has_reason(
            result.reasons,
            f"Only {counted} of 3 turnings at least 2 d apart",
            f"({len(turning_days)} logged in it)",
        )


# --- UK PAS 100: 65 °C for 7 days with moisture ≥ 51 % ----------------------------------------


def pas_readings() -> list[TemperatureReading]:
    return series(T0, 8 * DAY, {"A": 67.0, "B": 66.0}, step=timedelta(minutes=5))


def daily_moisture(pct: float, days: int = 9) -> list[MoistureSample]:
    return [MoistureSample("hand", T0 + d * DAY, pct) for d in range(days)]


def test_pas100_with_moisture_at_50_is_not_met_and_says_why() -> None:
    result = evaluate(PAS_100, pas_readings(), [], T0 + 8 * DAY, moisture=daily_moisture(50.0))
    assert not result.met
    assert has_reason(result.reasons, "Moisture fell to 50.0 % (51 % needed)")
    assert has_reason(result.reasons, "Ignoring moisture", "for 8 d")


def test_pas100_with_moisture_at_55_is_met() -> None:
    result = evaluate(PAS_100, pas_readings(), [], T0 + 8 * DAY, moisture=daily_moisture(55.0))
    assert result.met
    assert result.met_at == T0 + 7 * DAY


def test_pas100_without_moisture_readings_is_not_met() -> None:
    result = evaluate(PAS_100, pas_readings(), [], T0 + 8 * DAY)
    assert not result.met
    assert has_reason(result.reasons, "No current moisture reading", "does not qualify")


def test_pas100_moisture_dipping_midway_splits_the_run() -> None:
    samples = daily_moisture(55.0)
    samples[4] = samples[4]._replace(moisture_pct=48.0)  # day 4 to day 5 below the minimum
    result = evaluate(PAS_100, pas_readings(), [], T0 + 8 * DAY, moisture=samples)
    assert not result.met
    assert has_reason(result.reasons, "moisture fell to 48.0 % (51 % needed)")


def test_pas100_moisture_samples_further_apart_than_allowed_do_not_cover_the_run() -> None:
    samples = [MoistureSample("hand", T0 + d * DAY, 55.0) for d in (0, 3, 6)]
    assert not evaluate(PAS_100, pas_readings(), [], T0 + 8 * DAY, moisture=samples).met
    met = evaluate(
        PAS_100,
        pas_readings(),
        [],
        T0 + 8 * DAY,
        moisture=samples,
        moisture_max_gap=timedelta(days=3),
    )
    assert met.met


# --- Status -----------------------------------------------------------------------------------


def test_failed_only_once_the_cycle_is_finished() -> None:
    readings = series(T0, 2 * DAY, {"A": 60.0})
    running = evaluate(EPA_PFRP_IN_VESSEL, readings, [], now=T0 + 2 * DAY)
    finished = evaluate(EPA_PFRP_IN_VESSEL, readings, [], T0 + 2 * DAY, cycle_finished=True)
    assert running.status is PathogenStatus.NOT_YET
    assert running.current_run_duration == 2 * DAY
    assert finished.status is PathogenStatus.FAILED
    assert finished.current_run_duration is None
    assert finished.best_run_duration == 2 * DAY


def test_met_stays_met_when_the_cycle_is_finished() -> None:
    readings = series(T0, 3 * DAY, {"A": 60.0})
    result = evaluate(EPA_PFRP_IN_VESSEL, readings, [], T0 + 30 * DAY, cycle_finished=True)
    assert result.status is PathogenStatus.MET


def test_silence_at_the_end_is_not_a_current_run() -> None:
    readings = series(T0, 2 * DAY, {"A": 60.0})
    result = evaluate(EPA_PFRP_IN_VESSEL, readings, [], now=T0 + 2 * DAY + timedelta(hours=3))
    assert result.status is PathogenStatus.NOT_YET
    assert result.current_run_duration is None
    assert result.best_run_duration == 2 * DAY
    assert has_reason(result.reasons, "No readings since 2024-05-03 06:00 (3 h)")


def test_no_readings_at_all() -> None:
    result = evaluate(EPA_PFRP_IN_VESSEL, [], [], now=T0)
    assert result.status is PathogenStatus.NOT_YET
    assert result.reasons == ["No temperature readings yet."]
    assert result.disclaimer == DISCLAIMER
    assert "not a legal determination" in DISCLAIMER


def test_times_without_a_zone_are_refused() -> None:
    naive = [("A", datetime(2024, 5, 1, 6, 0), 60.0)]
    with pytest.raises(ValidationError, match="time zone"):
        evaluate(EPA_PFRP_IN_VESSEL, naive, [], now=T0)
    with pytest.raises(ValidationError, match="time zone"):
        evaluate(EPA_PFRP_IN_VESSEL, [], [datetime(2024, 5, 1)], now=T0)
    with pytest.raises(ValidationError, match="time zone"):
        evaluate(EPA_PFRP_IN_VESSEL, [], [], now=datetime(2024, 5, 1))


# --- Rules as data ----------------------------------------------------------------------------


def test_presets_say_what_the_brief_says() -> None:
    assert set(PRESETS) == {
        "epa-pfrp-in-vessel",
        "epa-pfrp-windrow",
        "uk-pas-100",
        "uk-abpr-housed-windrow",
        # The same requirements judged on daily hand readings (issue 12).
        "epa-pfrp-in-vessel-daily",
        "epa-pfrp-windrow-daily",
        "uk-pas-100-daily",
    }
    assert EPA_PFRP_IN_VESSEL.summary == "lowest probe ≥ 55 °C for 3 d"
    assert EPA_PFRP_WINDROW.summary == (
        "lowest probe ≥ 55 °C for 15 d, at least 5 turnings in that period"
    )
    assert PAS_100.summary == "lowest probe ≥ 65 °C for 7 d, moisture ≥ 51 % throughout"
    assert UK_ABPR_HOUSED_WINDROW.summary == (
        "lowest probe ≥ 60 °C for 8 d, at least 3 turnings 2 d or more apart in that period"
    )
    assert all(rule.is_preset and rule.notes for rule in PRESETS.values())


@pytest.mark.parametrize("rule", list(PRESETS.values()), ids=list(PRESETS))
def test_presets_round_trip_through_json(rule: PathogenRule) -> None:
    assert PathogenRule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule


def test_custom_rule_round_trip() -> None:
    rule = PathogenRule(
        key="farm-hot-box",
        name="Our hot box",
        min_temp_c=57.5,
        duration=timedelta(days=4, hours=12),
        min_turnings=2,
        min_turning_interval=timedelta(hours=36),
        min_moisture_pct=45.0,
        notes="Agreed with the county inspector, 2024.",
    )
    stored = json.dumps(rule.to_dict())
    assert json.loads(stored)["duration_s"] == 4.5 * 86400
    back = PathogenRule.from_dict(json.loads(stored))
    assert back == rule
    assert not back.is_preset


@st.composite
def custom_rules(draw: st.DrawFn) -> PathogenRule:
    turnings = draw(st.integers(0, 10))
    return PathogenRule(
        key=draw(st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True)),
        name=draw(st.text(min_size=1, max_size=40).filter(lambda s: s.strip() == s and s)),
        min_temp_c=draw(st.floats(1, 99)),
        duration=timedelta(seconds=draw(st.integers(1, 300 * 86400))),
        min_turnings=turnings,
        min_turning_interval=(
            timedelta(seconds=draw(st.integers(1, 10 * 86400)))
            if turnings >= 2 and draw(st.booleans())
            else None
        ),
        min_moisture_pct=draw(st.none() | st.floats(1, 99)),
        notes=draw(st.text(max_size=100)),
    )


@given(custom_rules())
def test_any_valid_rule_round_trips(rule: PathogenRule) -> None:
    assert PathogenRule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule


VALID: dict[str, object] = {
    "key": "custom",
    "name": "Custom",
    "min_temp_c": 55.0,
    "duration": timedelta(days=3),
}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"key": "Has Spaces"}, "key", "lower-case letters, digits"),
        ({"key": ""}, "key", "lower-case letters, digits"),
        ({"name": "   "}, "name", "The rule's name must not be empty."),
        ({"min_temp_c": 0}, "min_temp_c", "above 0 and below 100 °C (got 0 °C)"),
        ({"min_temp_c": 130}, "min_temp_c", "above 0 and below 100 °C (got 130 °C)"),
        ({"min_temp_c": "hot"}, "min_temp_c", "must be a number, not 'hot'"),
        ({"min_temp_c": math.nan}, "min_temp_c", "finite number"),
        ({"duration": timedelta(0)}, "duration", "The time at temperature must be longer than"),
        ({"duration": 3}, "duration", "must be a length of time, not 3"),
        ({"duration": timedelta(days=400)}, "duration", "at most 365 days (got 400 d)"),
        ({"min_turnings": -1}, "min_turnings", "from 0 to 100 (got -1)"),
        ({"min_turnings": 2.5}, "min_turnings", "whole number, not 2.5"),
        ({"min_turnings": True}, "min_turnings", "whole number, not True"),
        (
            {"min_turnings": 1, "min_turning_interval": timedelta(days=2)},
            "min_turning_interval",
            "needs at least 2 turnings",
        ),
        (
            {"min_turnings": 3, "min_turning_interval": timedelta(0)},
            "min_turning_interval",
            "The time between turnings must be longer than zero.",
        ),
        ({"min_moisture_pct": 0}, "min_moisture_pct", "more than 0 %"),
        ({"min_moisture_pct": 100}, "min_moisture_pct", "from 0 to below 100 % (got 100)"),
        ({"notes": "x" * 2001}, "notes", "at most 2000 characters"),
    ],
)
def test_invalid_custom_rules_say_what_is_wrong(
    changes: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        PathogenRule(**{**VALID, **changes})  # type: ignore[arg-type]
    assert caught.value.field == field
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("stored", "field", "message"),
    [
        ({"format": 2}, "format", "format 2, which this version cannot read"),
        ({"duration_s": None}, "duration_s", "The stored rule has no 'duration_s'."),
        ({"duration_s": "3 days"}, "duration_s", "must be a number, not '3 days'"),
        ({"duration_s": -5}, "duration_s", "must be longer than zero"),
        ({"min_turnings": "five"}, "min_turnings", "whole number, not 'five'"),
        ({"name": 7}, "name", "must be text, not 7"),
    ],
)
def test_invalid_stored_rules_say_what_is_wrong(
    stored: dict[str, object], field: str, message: str
) -> None:
    data = {**EPA_PFRP_IN_VESSEL.to_dict(), **stored}
    with pytest.raises(ValidationError) as caught:
        PathogenRule.from_dict(data)
    assert caught.value.field == field
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(0), "0 s"),
        (timedelta(seconds=59), "59 s"),
        (timedelta(minutes=45), "45 min"),
        (timedelta(hours=1), "1 h"),
        (timedelta(hours=1, minutes=2, seconds=59), "1 h 2 min"),
        (timedelta(days=3), "3 d"),
        (timedelta(days=2, hours=4, minutes=59), "2 d 4 h"),
        (timedelta(days=3) - timedelta(minutes=2), "2 d 23 h"),  # never rounded up to 3 d
    ],
)
def test_format_duration(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


# --- Against a brute-force reference ------------------------------------------------------------


def reference_runs(
    readings: Sequence[tuple[str, datetime, float]], threshold: float, max_gap: timedelta
) -> list[tuple[datetime, datetime]]:
    """The documented semantics, computed the slow and obvious way."""
    times = sorted({at for _p, at, _v in readings})
    runs: list[tuple[datetime, datetime]] = []
    previous: datetime | None = None
    previous_ok = False
    for moment in times:
        latest: dict[str, tuple[datetime, float]] = {}
        for probe, at, value in readings:
            if at <= moment and (probe not in latest or at >= latest[probe][0]):
                latest[probe] = (at, value)
        current = [value for at, value in latest.values() if moment - at <= max_gap]
        ok = bool(current) and min(current) >= threshold
        if ok:
            if previous_ok and previous is not None and moment - previous <= max_gap:
                runs[-1] = (runs[-1][0], moment)
            else:
                runs.append((moment, moment))
        previous, previous_ok = moment, ok
    return runs


readings_strategy = st.lists(
    st.tuples(
        st.sampled_from(["A", "B", "C"]),
        st.integers(0, 600).map(lambda m: T0 + timedelta(minutes=m)),
        st.sampled_from([50.0, 54.9, 55.0, 60.0, 70.0]),
    ),
    max_size=60,
    unique_by=lambda r: (r[0], r[1]),
)


@settings(max_examples=300, deadline=None)
@given(readings_strategy, st.integers(1, 90).map(lambda m: timedelta(minutes=m)))
def test_sweep_agrees_with_the_brute_force_reference(
    readings: list[tuple[str, datetime, float]], max_gap: timedelta
) -> None:
    rule = PathogenRule("r", "Reference", 55.0, timedelta(hours=2))
    result = evaluate(rule, readings, [], T0 + DAY, max_gap)
    expected = reference_runs(readings, 55.0, max_gap)
    longest = max((end - start for start, end in expected), default=timedelta(0))
    assert result.longest_run_duration == longest
    assert result.total_at_temperature == sum(
        (end - start for start, end in expected), timedelta(0)
    )
    assert [(r.start, r.end) for r in result.runs] == [(s, e) for s, e in expected if e > s]
    assert result.met is (longest >= rule.duration)


@settings(max_examples=100, deadline=None)
@given(readings_strategy, st.floats(0, 20))
def test_warmer_readings_never_shorten_the_longest_run(
    readings: list[tuple[str, datetime, float]], warmer_by: float
) -> None:
    rule = PathogenRule("r", "Reference", 55.0, timedelta(hours=2))
    base = evaluate(rule, readings, [], T0 + DAY)
    warmer = evaluate(rule, [(p, at, v + warmer_by) for p, at, v in readings], [], T0 + DAY)
    assert warmer.longest_run_duration >= base.longest_run_duration


# --- Size -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_million_points_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    """90 days × 8 probes × 1-minute readings, probes a few seconds apart (no shared times)."""
    offsets = [timedelta(seconds=7 * k) for k in range(8)]
    readings: list[tuple[str, datetime, float]] = []
    for minute in range(90 * 24 * 60):
        at = T0 + minute * MINUTE
        temp = 40.0 + 25.0 * math.sin(minute / 20_000) + (minute % 7) * 0.3
        readings.extend((f"probe-{k}", at + offsets[k], temp + k) for k in range(8))
    turnings = [T0 + d * DAY for d in range(0, 90, 3)]
    started = time.perf_counter()
    result = evaluate(EPA_PFRP_WINDROW, readings, turnings, now=T0 + 91 * DAY)
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n{len(readings):,} readings evaluated in {elapsed:.2f} s: {result.status}")
    assert len(readings) > 1_000_000
    assert result.status in set(PathogenStatus)


def test_rule_sets_round_trip_and_bad_files_name_the_rule() -> None:
    from compost_desktop.domain.pathogen import (
        available_rules,
        rules_from_json,
        rules_to_json,
        unique_key,
    )

    mine = PathogenRule("qa-1", "QA one", 50.0, timedelta(days=2), min_moisture_pct=45.0)
    assert rules_from_json(rules_to_json([mine])) == [mine]
    assert rules_from_json("") == []
    with pytest.raises(ValidationError, match="not valid JSON"):
        rules_from_json("{")
    with pytest.raises(ValidationError, match="appear twice: qa-1"):
        rules_from_json(rules_to_json([mine, mine]))
    bad = {"key": "b", "name": "B", "min_temp_c": 50, "duration_s": -1}
    with pytest.raises(ValidationError, match=r"^Rule 2: "):
        rules_from_json(json.dumps([mine.to_dict(), bad]))
    impostor = PathogenRule("uk-pas-100", "Not PAS", 40.0, timedelta(days=1))
    assert available_rules([impostor])["uk-pas-100"].name != "Not PAS"
    assert unique_key("UK PAS 100", []) == "uk-pas-100-2"
    assert unique_key("   ", ["rule"]) == "rule-2"
