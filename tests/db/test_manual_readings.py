"""Hand-probe readings: stored as sensor readings, validated, seen by the pathogen tracker."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.db.models import Base
from compost_desktop.domain.pathogen import EPA_PFRP_IN_VESSEL, PAS_100
from compost_desktop.domain.states import PathogenStatus
from compost_desktop.domain.validation import ValidationError
from compost_desktop.services.history import cycle_moisture, cycle_temperatures, evaluate_cycle
from compost_desktop.services.manual_readings import (
    ManualReadingDraft,
    ManualReadingRecord,
    add_manual_reading,
    delete_manual_reading,
    manual_reading_setup,
    manual_readings,
)
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft
from compost_desktop.sync.engine import SyncEngine

READINGS = Base.metadata.tables["sensor_reading"]
T0 = datetime(2026, 4, 2, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def new_cycle(store: Store, name: str = "Bay 1", start: date = date(2026, 4, 1)) -> int:
    return store.save_cycle(CycleDraft(name, start, date(2026, 7, 1))).id


def rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        result = conn.execute(sa.select(READINGS).order_by(READINGS.c.quantity))
        return [dict(r._mapping) for r in result]


def draft(cycle_id: int, **changes: Any) -> ManualReadingDraft:
    base = ManualReadingDraft(
        cycle_id=cycle_id,
        measured_at=T0 + timedelta(seconds=42),
        position="North, 1 m deep",
        temperature_c=61.5,
        moisture_pct=54.0,
        notes="  steaming when opened ",
    )
    return replace(base, **changes)


def test_a_hand_reading_is_stored_as_manual_sensor_readings_with_its_notes(store: Store) -> None:
    cid = new_cycle(store)
    ids = add_manual_reading(store.engine, draft(cid), now=NOW)

    stored = rows(store.engine)
    assert sorted(r["id"] for r in stored) == sorted(ids) and len(ids) == 2
    assert [(r["quantity"], r["value"]) for r in stored] == [
        ("moisture", 54.0),
        ("temperature", 61.5),
    ]
    for r in stored:
        assert r["source"] == "manual"
        assert r["device_id"] == "hand:North, 1 m deep"
        assert r["batch_id"] == cid
        assert r["notes"] == "steaming when opened"
    # Taken to the minute: seconds are dropped, so the same spot and minute is one reading.
    assert {r["measured_at"].replace(tzinfo=UTC) for r in stored} == {T0}
    assert manual_readings(store.engine, cid) == [
        ManualReadingRecord(cid, T0, "North, 1 m deep", 61.5, 54.0, "steaming when opened")
    ]
    # The charts and the tracker read the same series as sensor data.
    assert cycle_temperatures(store.engine, cid) == [("hand:North, 1 m deep", T0, 61.5)]
    assert cycle_moisture(store.engine, cid) == [("hand:North, 1 m deep", T0, 54.0)]


def test_only_the_values_measured_are_stored(store: Store) -> None:
    cid = new_cycle(store)
    hot = add_manual_reading(store.engine, draft(cid, moisture_pct=None, notes=None), now=NOW)
    wet = add_manual_reading(
        store.engine,
        draft(cid, position="South", temperature_c=None, moisture_pct=0.0),
        now=NOW,
    )
    assert len(hot) == 1 and len(wet) == 1
    assert manual_readings(store.engine, cid) == [
        ManualReadingRecord(cid, T0, "North, 1 m deep", 61.5, None, None),
        ManualReadingRecord(cid, T0, "South", None, 0.0, "steaming when opened"),
    ]


BAD_DRAFTS: list[tuple[dict[str, Any], str, str]] = [
    ({"position": "   "}, "position", "Position must not be empty"),
    ({"position": "x" * 101}, "position", "at most 100 characters"),
    ({"temperature_c": None, "moisture_pct": None}, "temperature_c", "nothing was measured"),
    ({"temperature_c": 101.0}, "temperature_c", "from -30 to 100 °C (got 101 °C)"),
    ({"temperature_c": -30.5}, "temperature_c", "from -30 to 100 °C"),
    ({"temperature_c": math.nan}, "temperature_c", "finite number"),
    ({"moisture_pct": 100.5}, "moisture_pct", "from 0 to 100 % (got 100.5 %)"),
    ({"moisture_pct": -1.0}, "moisture_pct", "from 0 to 100 %"),
    ({"measured_at": NOW + timedelta(minutes=6)}, "measured_at", "is in the future"),
    ({"measured_at": datetime(2026, 4, 2, 8, 0)}, "measured_at", "needs a time zone"),
    (
        {"measured_at": datetime(2026, 3, 30, 12, 0, tzinfo=UTC)},
        "measured_at",
        "before the cycle started (2026-04-01)",
    ),
]


def test_unusable_values_are_refused_with_the_field_named_and_nothing_stored(
    store: Store,
) -> None:
    cid = new_cycle(store)
    for changes, field, message in BAD_DRAFTS:
        with pytest.raises(ValidationError) as info:
            add_manual_reading(store.engine, draft(cid, **changes), now=NOW)
        assert (info.value.field, message in info.value.message) == (field, True), changes
    assert rows(store.engine) == []
    # The limits themselves are fine, and so is a watch a few minutes ahead of the PC.
    edge = draft(
        cid, temperature_c=-30.0, moisture_pct=100.0, measured_at=NOW + timedelta(minutes=4)
    )
    assert len(add_manual_reading(store.engine, edge, now=NOW)) == 2


def test_archived_or_missing_cycles_take_no_hand_readings(store: Store) -> None:
    cid = new_cycle(store)
    store.archive(cid)
    with pytest.raises(ValidationError, match="archived"):
        add_manual_reading(store.engine, draft(cid), now=NOW)
    with pytest.raises(ValidationError, match="no longer exists") as info:
        add_manual_reading(store.engine, draft(cid + 100), now=NOW)
    assert info.value.field == "cycle"
    assert rows(store.engine) == []
    # A completed cycle still takes the readings the operator has not typed in yet.
    done = new_cycle(store, "Bay 2")
    store.activate(done)
    store.complete(done)
    assert len(add_manual_reading(store.engine, draft(done), now=NOW)) == 2


def test_the_same_spot_twice_in_one_minute_is_explained_not_a_crash(store: Store) -> None:
    cid = new_cycle(store)
    add_manual_reading(store.engine, draft(cid, moisture_pct=None), now=NOW)
    # Moisture only this time, other seconds: still the same spot and minute.
    again = draft(cid, temperature_c=None, measured_at=T0 + timedelta(seconds=5))
    with pytest.raises(ValidationError, match="already saved") as info:
        add_manual_reading(store.engine, again, now=NOW)
    assert "'North, 1 m deep'" in info.value.message
    assert len(rows(store.engine)) == 1
    # Another spot at that minute, or the same spot a minute later, is a new reading.
    add_manual_reading(store.engine, replace(again, position="South"), now=NOW)
    add_manual_reading(store.engine, replace(again, measured_at=T0 + timedelta(minutes=1)), now=NOW)
    assert len(manual_readings(store.engine, cid)) == 3


def test_the_form_setup_knows_the_cycles_positions_and_taken_minutes(store: Store) -> None:
    cid, other = new_cycle(store), new_cycle(store, "Bay 2")
    add_manual_reading(store.engine, draft(cid, position="North"), now=NOW)
    add_manual_reading(
        store.engine, draft(cid, position="South", measured_at=T0 + timedelta(hours=1)), now=NOW
    )
    add_manual_reading(
        store.engine, draft(cid, position="North", measured_at=T0 + timedelta(hours=2)), now=NOW
    )
    add_manual_reading(store.engine, draft(other, position="Elsewhere"), now=NOW)
    setup = manual_reading_setup(store.engine, cid)
    assert setup.cycle_name == "Bay 1" and setup.start_date == date(2026, 4, 1)
    assert setup.positions == ("North", "South")  # most recently used first
    assert ("South", T0 + timedelta(hours=1)) in setup.taken
    assert ("South", T0) not in setup.taken
    assert manual_reading_setup(store.engine, other).positions == ("Elsewhere",)


def test_a_hand_reading_can_be_deleted_until_it_has_gone_to_the_server(store: Store) -> None:
    cid = new_cycle(store)
    add_manual_reading(store.engine, draft(cid), now=NOW)
    add_manual_reading(store.engine, draft(cid, position="South"), now=NOW)

    gone = delete_manual_reading(store.engine, cid, T0 + timedelta(seconds=10), " North, 1 m deep")

    assert gone == ManualReadingRecord(
        cid, T0, "North, 1 m deep", 61.5, 54.0, "steaming when opened"
    )
    assert [r.position for r in manual_readings(store.engine, cid)] == ["South"]
    with pytest.raises(ValidationError, match="deleted already"):
        delete_manual_reading(store.engine, cid, T0, "North, 1 m deep")

    # Once sent, deleting leaves a tombstone the sync carries to the server and other PCs.
    if store.engine.dialect.name == "sqlite":
        with store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE sensor_reading SET sync_seq = 7"))
    delete_manual_reading(store.engine, cid, T0, "South")
    assert rows(store.engine) == []
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as conn:
            tombstones = conn.execute(
                sa.text("SELECT device_id, quantity, base_seq FROM reading_delete_outbox")
            ).all()
        assert sorted(tombstones) == [
            ("hand:South", "moisture", 7),
            ("hand:South", "temperature", 7),
        ]


def test_the_pathogen_tracker_counts_hand_readings(store: Store) -> None:
    """PAS 100 needs moisture ≥ 51 %: a pile probed only for temperature cannot meet it."""
    cid = new_cycle(store)
    step = timedelta(minutes=10)
    with store.engine.begin() as conn:
        conn.execute(
            sa.insert(READINGS),
            [
                {
                    "batch_id": cid,
                    "device_id": "probe-1",
                    "quantity": "temperature",
                    "value": 66.0,
                    "measured_at": T0 + i * step,
                    "received_at": T0 + i * step,
                    "source": "mqtt",
                }
                for i in range(int(timedelta(days=8) / step) + 1)
            ],
        )
    judged_at = T0 + timedelta(days=9)
    assert evaluate_cycle(store.engine, cid, PAS_100, judged_at).status is not PathogenStatus.MET

    for day in range(9):
        at = T0 + timedelta(days=day)
        add_manual_reading(
            store.engine,
            draft(cid, position="Core", temperature_c=None, moisture_pct=58.0, measured_at=at),
            now=NOW,
        )
    met = evaluate_cycle(store.engine, cid, PAS_100, judged_at)
    assert met.status is PathogenStatus.MET
    assert met.met_at == T0 + timedelta(days=7)

    # A cold spot found by hand is the lowest probe: the 3-day run at 55 °C starts again.
    epa = evaluate_cycle(store.engine, cid, EPA_PFRP_IN_VESSEL, judged_at)
    assert epa.met_at == T0 + timedelta(days=3)
    cold = draft(cid, position="Toe", moisture_pct=None, temperature_c=41.0)
    add_manual_reading(store.engine, replace(cold, measured_at=T0 + timedelta(days=1)), now=NOW)
    later = evaluate_cycle(store.engine, cid, EPA_PFRP_IN_VESSEL, judged_at)
    assert later.status is PathogenStatus.MET
    assert later.met_at is not None and later.met_at > T0 + timedelta(days=4)


@pytest.mark.postgres
def test_hand_readings_reach_the_farm_server_with_their_notes(sqlite_url: str, pg_url: str) -> None:
    local_url, server_url = resolve_url(sqlite_url), resolve_url(pg_url)
    migrate.upgrade(local_url)
    migrate.upgrade(server_url)
    local, server = make_engine(local_url), make_engine(server_url)
    try:
        store = Store(local)
        cid = new_cycle(store)
        add_manual_reading(local, draft(cid), now=NOW)
        SyncEngine(local, server, client_id="office").sync()

        with server.connect() as conn:
            pushed = conn.execute(
                sa.select(
                    READINGS.c.device_id, READINGS.c.quantity, READINGS.c.source, READINGS.c.notes
                ).order_by(READINGS.c.quantity)
            ).all()
            server_cycle = conn.execute(sa.text("SELECT id FROM compost_batch")).scalar_one()
        assert [tuple(r) for r in pushed] == [
            ("hand:North, 1 m deep", quantity, "manual", "steaming when opened")
            for quantity in ("moisture", "temperature")
        ]
        assert manual_readings(server, server_cycle)[0].notes == "steaming when opened"
        # Deleting a sent hand reading deletes it on the server at the next sync.
        delete_manual_reading(local, cid, T0, "North, 1 m deep")
        SyncEngine(local, server, client_id="office").sync()
        assert manual_readings(server, server_cycle) == []
    finally:
        local.dispose()
        server.dispose()


def _to_revision(url: str, action: str, revision: str) -> None:
    engine = migrate._migration_engine(resolve_url(url))
    with engine.begin() as conn:
        getattr(command, action)(migrate._config(conn), revision)
    engine.dispose()


def test_migration_0004_adds_and_removes_notes_keeping_every_reading(any_url: str) -> None:
    _to_revision(any_url, "upgrade", "0003")
    engine = make_engine(any_url)
    old = [
        {
            "device_id": f"probe-{i}",
            "quantity": "temperature",
            "value": 50.0 + i,
            "measured_at": T0 + timedelta(minutes=i),
            "received_at": T0 + timedelta(minutes=i),
            "source": "mqtt",
        }
        for i in range(3)
    ]

    def readings() -> list[tuple[Any, ...]]:
        with engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    sa.text("SELECT id, device_id, value, source FROM sensor_reading ORDER BY id")
                )
            ]

    def columns() -> set[str]:
        with engine.connect() as conn:
            return {c["name"] for c in sa.inspect(conn).get_columns("sensor_reading")}

    with engine.begin() as conn:
        conn.execute(sa.insert(READINGS), old)  # names only the columns 0003 has
    before = readings()
    assert len(before) == 3 and "notes" not in columns()

    _to_revision(any_url, "upgrade", "0004")
    assert readings() == before and "notes" in columns()
    with engine.connect() as conn:
        assert (
            conn.execute(sa.text("SELECT notes FROM sensor_reading")).scalars().all() == [None] * 3
        )

    engine.dispose()  # SQLite: the schema change below needs no other connection open
    _to_revision(any_url, "downgrade", "0003")
    assert readings() == before and "notes" not in columns()
    engine.dispose()
