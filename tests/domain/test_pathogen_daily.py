"""Rules state the reading interval they accept: daily hand readings or a continuous logger."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from compost_desktop.domain.pathogen import (
    EPA_PFRP_IN_VESSEL,
    EPA_PFRP_IN_VESSEL_DAILY,
    PAS_100_DAILY,
    PRESETS,
    PathogenRule,
    ReadingInterval,
    evaluate,
    rules_from_json,
    rules_to_json,
)
from compost_desktop.domain.states import PathogenStatus
from compost_desktop.domain.validation import ValidationError

START = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def daily(
    temps: list[float | None], probes: tuple[str, ...] = ("hand-1",)
) -> list[tuple[str, datetime, float]]:
    """One reading per position per morning; None is a day nobody went out."""
    return [
        (probe, START + timedelta(days=i, minutes=5 * n), temp)
        for i, temp in enumerate(temps)
        if temp is not None
        for n, probe in enumerate(probes)
    ]


def test_five_daily_readings_meet_a_daily_rule_and_not_the_continuous_one() -> None:
    readings = daily([56.0, 57.5, 59.0, 58.0, 56.5])
    now = START + timedelta(days=4, hours=2)
    daily_result = evaluate(EPA_PFRP_IN_VESSEL_DAILY, readings, [], now)
    assert daily_result.status is PathogenStatus.MET
    # Met on the third day, at that day's reading.
    assert daily_result.met_at == START + timedelta(days=2)
    assert daily_result.best_run_duration == timedelta(days=5)

    continuous = evaluate(EPA_PFRP_IN_VESSEL, readings, [], now)
    assert continuous.status is PathogenStatus.NOT_YET
    assert continuous.too_sparse is not None
    assert "too sparse" in continuous.too_sparse
    assert "daily readings" in continuous.too_sparse


def test_a_day_without_a_reading_breaks_the_count() -> None:
    readings = daily([56.0, 57.0, None, 58.0, 59.0])
    result = evaluate(EPA_PFRP_IN_VESSEL_DAILY, readings, [], START + timedelta(days=4, hours=1))
    assert result.status is PathogenStatus.NOT_YET
    assert result.current_run_duration == timedelta(days=2)
    assert any("No reading on 2026-05-06" in r for r in result.reasons)


def test_the_lowest_position_of_the_day_decides() -> None:
    readings = daily([60.0, 60.0, 60.0], probes=("top", "core"))
    readings[-1] = ("core", readings[-1][1], 54.0)  # day 3, one position cool
    result = evaluate(EPA_PFRP_IN_VESSEL_DAILY, readings, [], START + timedelta(days=3))
    assert result.status is PathogenStatus.NOT_YET
    assert result.longest_run_duration == timedelta(days=2)


def test_finished_cycle_fails_and_moisture_counts_per_day() -> None:
    readings = daily([66.0] * 7)
    moisture = [("lab", START + timedelta(days=i), 55.0 if i != 3 else 40.0) for i in range(7)]
    now = START + timedelta(days=7)
    result = evaluate(PAS_100_DAILY, readings, [], now, moisture=moisture, cycle_finished=True)
    assert result.status is PathogenStatus.FAILED
    moisture[3] = ("lab", START + timedelta(days=3), 52.0)
    assert evaluate(PAS_100_DAILY, readings, [], now, moisture=moisture).met


def test_dense_logger_data_is_not_called_sparse() -> None:
    readings = [("p1", START + timedelta(minutes=10 * i), 40.0) for i in range(50)]
    result = evaluate(EPA_PFRP_IN_VESSEL, readings, [], START + timedelta(hours=9))
    assert result.too_sparse is None


def test_presets_say_which_interval_they_accept_and_rules_round_trip() -> None:
    intervals = {rule.key: rule.reading_interval for rule in PRESETS.values()}
    assert intervals["epa-pfrp-in-vessel"] is ReadingInterval.CONTINUOUS
    assert intervals["epa-pfrp-windrow-daily"] is ReadingInterval.DAILY
    assert intervals["uk-pas-100-daily"] is ReadingInterval.DAILY
    assert "daily readings" in PAS_100_DAILY.summary
    mine = PathogenRule(
        "mine", "Mine", 55.0, timedelta(days=3), reading_interval=ReadingInterval.DAILY
    )
    assert rules_from_json(rules_to_json([mine])) == [mine]
    old = {k: v for k, v in mine.to_dict().items() if k != "reading_interval"}
    assert PathogenRule.from_dict(old).reading_interval is ReadingInterval.CONTINUOUS
    with pytest.raises(ValidationError, match="continuous' or 'daily"):
        PathogenRule.from_dict({**mine.to_dict(), "reading_interval": "hourly"})
    with pytest.raises(ValidationError, match="at least 1 day"):
        PathogenRule("x", "X", 55.0, timedelta(hours=5), reading_interval=ReadingInterval.DAILY)
    assert json.loads(rules_to_json([mine]))[0]["reading_interval"] == "daily"
