"""The database keeps the record: activation times, reading attribution and Phase 1 history.

On both backends, whoever writes: plain SQL stands in for the old server system's API,
explicit values for what sync carries from another PC.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.db.models import Cycle
from compost_desktop.db.rollup import reading_rollup
from compost_desktop.monitoring.parsing import Reading
from compost_desktop.monitoring.recording import CycleWindows, ReadingWriter, _Window
from compost_desktop.records import export
from compost_desktop.services import chart_data, report_data
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft
from tests.db import legacy
from tests.db.test_migrations import _run_sql


@pytest.fixture
def engine(any_engine: Engine) -> Engine:
    return any_engine


def _cycle(store: Store, name: str) -> int:
    return store.save_cycle(CycleDraft(name, date(2026, 6, 1))).id


def _times(engine: Engine, cycle_id: int) -> tuple[datetime | None, datetime | None]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(Cycle.activated_at, Cycle.completed_at).where(Cycle.id == cycle_id)
        ).one()
    return row[0], row[1]


def _sql(engine: Engine, sql: str, **params: object) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def _cycles_of(engine: Engine) -> list[int | None]:
    with engine.connect() as conn:
        return [
            b
            for (b,) in conn.execute(
                sa.text("SELECT batch_id FROM sensor_reading ORDER BY measured_at, device_id")
            )
        ]


def _reading(device: str, when: datetime, value: float = 55.0) -> Reading:
    return Reading(device, "temperature", value, when, when, "compost/sensor/data")


def _rollup_matches_readings(engine: Engine) -> None:
    r = reading_rollup.c
    with engine.connect() as conn:
        kept = dict(
            conn.execute(sa.select(r.batch_id, sa.func.sum(r.n)).group_by(r.batch_id)).all()
        )
        actual: dict[int, int] = dict(
            conn.execute(
                sa.text(
                    "SELECT batch_id, count(*) FROM sensor_reading WHERE batch_id IS NOT NULL "
                    "GROUP BY batch_id"
                )
            ).all()
        )
    assert {k: int(v) for k, v in kept.items()} == {k: int(v) for k, v in actual.items()}


# --- activation times ------------------------------------------------------------------


def test_plain_sql_status_changes_are_stamped(engine: Engine) -> None:
    store = Store(engine)
    cycle = _cycle(store, "Old API")
    before = datetime.now(UTC) - timedelta(seconds=5)

    _sql(engine, "UPDATE compost_batch SET status = 'active' WHERE id = :id", id=cycle)
    activated, completed = _times(engine, cycle)
    assert activated is not None and activated >= before and completed is None

    _sql(engine, "UPDATE compost_batch SET status = 'completed' WHERE id = :id", id=cycle)
    again, completed = _times(engine, cycle)
    assert again == activated  # completing keeps the activation
    assert completed is not None and completed >= activated

    _sql(engine, "UPDATE compost_batch SET status = 'archived' WHERE id = :id", id=cycle)
    assert _times(engine, cycle) == (activated, completed)  # archiving keeps both


def test_explicit_times_are_kept_and_planning_clears_them(engine: Engine) -> None:
    store = Store(engine)
    cycle = _cycle(store, "Synced")
    at = datetime(2026, 6, 2, 8, 30, tzinfo=UTC)
    # What sync writes: the other PC's status together with its activation time.
    _sql(
        engine,
        "UPDATE compost_batch SET status = 'active', activated_at = :at WHERE id = :id",
        at=at if engine.dialect.name != "sqlite" else "2026-06-02 08:30:00.000000",
        id=cycle,
    )
    assert _times(engine, cycle) == (at, None)
    # A local activation that lost a conflict goes back to planning: no window is left.
    _sql(engine, "UPDATE compost_batch SET status = 'planning' WHERE id = :id", id=cycle)
    assert _times(engine, cycle) == (None, None)


def test_inserted_active_cycle_is_stamped(engine: Engine) -> None:
    _sql(
        engine,
        "INSERT INTO compost_batch (uuid, name, start_date, status) "
        "VALUES ('u-1', 'Inserted', '2026-06-01', 'active')",
    )
    with engine.connect() as conn:
        cycle = conn.execute(sa.text("SELECT id FROM compost_batch WHERE uuid = 'u-1'")).scalar()
    assert cycle is not None
    assert _times(engine, cycle)[0] is not None


def test_switch_leaves_no_gap_between_windows(engine: Engine) -> None:
    store = Store(engine)
    first, second = _cycle(store, "First"), _cycle(store, "Second")
    store.activate(first)
    store.activate(second, switch=True)
    assert _times(engine, first)[1] == _times(engine, second)[0]


# --- reading attribution ---------------------------------------------------------------


def test_readings_of_a_cycle_activated_by_plain_sql_belong_to_it(engine: Engine) -> None:
    """Issue 11: the old API's UPDATE left activated_at empty, so no reading was attributed."""
    store = Store(engine)
    cycle = _cycle(store, "Old API")
    writer = ReadingWriter(engine)
    writer.add([_reading("node-1", datetime.now(UTC) - timedelta(minutes=1))])
    writer.flush()  # loads its cached windows: no cycle is active
    _sql(engine, "UPDATE compost_batch SET status = 'active' WHERE id = :id", id=cycle)
    now = datetime.now(UTC)
    # Within the writer's 10 s cache, as a recorder would (issue 17 item 12).
    writer.add([_reading("node-1", now + timedelta(seconds=s)) for s in range(1, 121)])
    writer.flush()
    with engine.connect() as conn:
        counts: dict[int, int] = dict(
            conn.execute(
                sa.text("SELECT coalesce(batch_id, 0), count(*) FROM sensor_reading GROUP BY 1")
            ).all()
        )
    assert counts == {0: 1, cycle: 120}
    _rollup_matches_readings(engine)


def test_completion_elsewhere_is_not_missed_by_a_cached_writer(engine: Engine) -> None:
    store = Store(engine)
    first, second = _cycle(store, "First"), _cycle(store, "Second")
    store.activate(first)
    writer = ReadingWriter(engine)
    writer.add([_reading("node-1", datetime.now(UTC))])
    writer.flush()  # caches: First open-ended
    time.sleep(0.01)
    store.activate(second, switch=True)  # on another PC: this writer is not told
    writer.add([_reading("node-1", datetime.now(UTC) + timedelta(seconds=1))])
    writer.flush()
    with engine.connect() as conn:
        cycles = [
            b
            for (b,) in conn.execute(
                sa.text("SELECT batch_id FROM sensor_reading ORDER BY measured_at")
            )
        ]
    assert cycles == [first, second]
    _rollup_matches_readings(engine)


def test_activation_arriving_later_claims_readings_stored_without_a_cycle(engine: Engine) -> None:
    """The server recorded readings; the PC's offline activation reaches it afterwards."""
    store = Store(engine)
    cycle, other = _cycle(store, "Offline"), _cycle(store, "Other")
    t0 = datetime(2026, 6, 3, 12, tzinfo=UTC)
    readings = sa.table(
        "sensor_reading",
        sa.column("device_id"),
        sa.column("quantity"),
        sa.column("value"),
        sa.column("measured_at"),
        sa.column("received_at"),
        sa.column("source"),
        sa.column("batch_id"),
    )

    def fmt(t: datetime) -> str | datetime:
        return t.strftime("%Y-%m-%d %H:%M:%S.%f") if engine.dialect.name == "sqlite" else t

    rows = [
        {
            "device_id": "probe",
            "quantity": "temperature",
            "value": 50.0 + i,
            "measured_at": fmt(t0 + timedelta(minutes=i)),
            "received_at": fmt(t0 + timedelta(minutes=i)),
            "source": source,
            "batch_id": batch,
        }
        for i, (source, batch) in enumerate(
            [("mqtt", None), ("mqtt", None), ("manual", None), ("mqtt", None), ("mqtt", other)]
        )
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(readings), rows)
    assert set(_cycles_of(engine)) == {None, other}
    # Activated at t0 + 1 min on the other PC; sync writes status and time together.
    at = t0 + timedelta(minutes=1)
    _sql(
        engine,
        "UPDATE compost_batch SET status = 'active', activated_at = :at WHERE id = :id",
        at=fmt(at),
        id=cycle,
    )
    with engine.connect() as conn:
        got = [
            (s, b)
            for s, b in conn.execute(
                sa.text("SELECT source, batch_id FROM sensor_reading ORDER BY measured_at")
            )
        ]
    # Before the activation: none; hand readings keep the operator's choice; a reading
    # given to a cycle with no window of its own (imported, say) is left as it was.
    assert got == [
        ("mqtt", None),
        ("mqtt", cycle),
        ("manual", None),
        ("mqtt", cycle),
        ("mqtt", other),
    ]
    _rollup_matches_readings(engine)
    # Back to planning (it lost a conflict): its readings are no longer its own.
    _sql(engine, "UPDATE compost_batch SET status = 'planning' WHERE id = :id", id=cycle)
    assert cycle not in set(_cycles_of(engine))
    _rollup_matches_readings(engine)


def test_python_windows_follow_the_database_rule(engine: Engine) -> None:
    store = Store(engine)
    a, b = _cycle(store, "A"), _cycle(store, "B")
    store.activate(a)
    store.activate(b, switch=True)
    windows = CycleWindows.load(engine)
    start_a, end_a = _times(engine, a)
    assert start_a is not None and end_a is not None
    assert windows.cycle_at(start_a) == a
    assert windows.cycle_at(end_a) == b
    assert windows.cycle_at(start_a - timedelta(seconds=1)) is None
    # Overlapping legacy windows: the latest activation wins, an earlier long one still counts.
    w = CycleWindows(
        [
            _w(0, 100, 1),
            _w(10, 20, 2),
            _w(30, 40, 3),
        ]
    )
    assert [w.cycle_at(_t(x)) for x in (5, 15, 25, 35, 50, 150)] == [1, 2, 1, 3, 1, None]
    settled = CycleWindows.load(engine, settled_only=True)
    assert settled.cycle_at(datetime.now(UTC) + timedelta(seconds=1)) is None


def _t(minutes: int) -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)


def _w(start: int, end: int, cycle_id: int) -> _Window:
    return _Window(_t(start), _t(end), cycle_id)


# --- adoption: back-fill and Phase 1 history -------------------------------------------


def test_adoption_backfills_times_and_shows_phase1_history(any_url: str, tmp_path: Path) -> None:
    url = resolve_url(any_url)
    _run_sql(any_url, legacy.script(url.get_backend_name(), 2))
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        # The active cycle from its start; the completed one until the next activation.
        start = datetime(2025, 6, 1, 8, tzinfo=UTC)
        assert _times(engine, 2) == (start, None)
        assert _times(engine, 1) == (datetime(2025, 3, 1, 8, tzinfo=UTC), start)
        # The old listener's rows are readings of their own source, in their batch.
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT device_id, quantity, value, batch_id, source FROM sensor_reading "
                    "ORDER BY measured_at, quantity"
                )
            ).all()
        assert [tuple(r) for r in rows] == [
            ("node-1", "humidity", 61.0, 2, "phase1"),
            ("node-1", "moisture", 48.2, 2, "phase1"),
            ("node-1", "temperature", 55.4, 2, "phase1"),
            ("node-2", "moisture", 50.0, 2, "phase1"),
            ("node-2", "temperature", 57.1, 2, "phase1"),
        ]
        # The listener keeps writing after the upgrade; its table is unchanged by us.
        stamp = "'2025-06-12 10:00:00'" + (
            "" if url.get_backend_name() == "sqlite" else "::timestamptz"
        )
        _sql(
            engine,
            "INSERT INTO sensor_data (device_id, temperature, timestamp) "
            f"VALUES ('node-3', 60.25, {stamp})",
        )
        with engine.connect() as conn:
            listener = conn.execute(sa.text("SELECT count(*) FROM sensor_data")).scalar_one()
            copied = conn.execute(
                sa.text(
                    "SELECT value, batch_id, source FROM sensor_reading WHERE device_id = 'node-3'"
                )
            ).all()
        assert listener == 3
        assert [tuple(r) for r in copied] == [(60.25, 2, "phase1")]
        _rollup_matches_readings(engine)
        # History, report and exports read them like any reading of the batch.
        history = chart_data.cycle_history(engine, 2)
        assert history.window is not None
        assert {(x.device_id, x.source) for x in history.window.of("temperature")} == {
            ("node-1", "phase1"),
            ("node-2", "phase1"),
            ("node-3", "phase1"),
        }
        summary = report_data._readings(engine, 2)
        assert summary.count == 6 and {d.source for d in summary.devices} == {"phase1"}
        out = tmp_path / "readings.csv"
        export.export(engine, "readings", out, cycle_id=2)
        lines = out.read_text().splitlines()
        assert len(lines) == 7 and all(line.split(",")[8] == "phase1" for line in lines[1:])
    finally:
        engine.dispose()


def test_corrections_in_the_old_listener_table_reach_its_copies(any_url: str) -> None:
    url = resolve_url(any_url)
    _run_sql(any_url, legacy.script(url.get_backend_name(), 2))
    migrate.upgrade(url)
    engine = make_engine(url)

    def copies() -> list[tuple[object, ...]]:
        with engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    sa.text(
                        "SELECT device_id, quantity, value, source FROM sensor_reading "
                        "ORDER BY device_id, quantity"
                    )
                )
            ]

    try:
        # A value fixed in the old system; a humidity it had not measured added.
        _sql(engine, "UPDATE sensor_data SET temperature = 57.5, humidity = 40 WHERE id = 2")
        # A quantity cleared: its copy goes, the others stay.
        _sql(engine, "UPDATE sensor_data SET moisture = NULL WHERE id = 1")
        assert copies() == [
            ("node-1", "humidity", 61.0, "phase1"),
            ("node-1", "temperature", 55.4, "phase1"),
            ("node-2", "humidity", 40.0, "phase1"),
            ("node-2", "moisture", 50.0, "phase1"),
            ("node-2", "temperature", 57.5, "phase1"),
        ]
        # A reading this app recorded at a copy's key is never touched by the old system.
        _sql(
            engine,
            "UPDATE sensor_reading SET source = 'mqtt' "
            "WHERE device_id = 'node-1' AND quantity = 'humidity'",
        )
        _sql(engine, "DELETE FROM sensor_data WHERE id = 1")
        _sql(engine, "UPDATE sensor_data SET device_id = 'node-9' WHERE id = 2")
        assert copies() == [
            ("node-1", "humidity", 61.0, "mqtt"),
            ("node-9", "humidity", 40.0, "phase1"),
            ("node-9", "moisture", 50.0, "phase1"),
            ("node-9", "temperature", 57.5, "phase1"),
        ]
        _rollup_matches_readings(engine)
    finally:
        engine.dispose()
