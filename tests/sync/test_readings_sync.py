"""Readings both ways between PCs and a real PostgreSQL: pull, deletes, refusals, cuts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from compost_desktop.monitoring.parsing import Reading
from compost_desktop.monitoring.recording import ReadingWriter
from compost_desktop.services.manual_readings import (
    ManualReadingDraft,
    add_manual_reading,
    delete_manual_reading,
    manual_readings,
)
from compost_desktop.services.values import CycleDraft
from compost_desktop.sync.engine import ServerUnreachable
from tests.sync.support import Pc

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 6, 11, 8, tzinfo=UTC)
NOW = datetime(2026, 6, 20, tzinfo=UTC)


def _readings(engine: sa.Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return sorted(
            tuple(r)
            for r in conn.execute(
                sa.text(
                    "SELECT b.uuid, r.device_id, r.quantity, r.value, r.source, r.notes "
                    "FROM sensor_reading r LEFT JOIN compost_batch b ON b.id = r.batch_id"
                )
            )
        )


def _server_cycle_id(server: sa.Engine, name: str) -> int:
    with server.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT id FROM compost_batch WHERE name = :n"), {"n": name}
            ).scalar_one()
        )


def _record_on_server(server: sa.Engine, cycle_id: int | None, n: int, start: datetime) -> None:
    """What the headless recorder on the server does: its own writer, its own inserts."""
    writer = ReadingWriter(server)
    writer.add(
        Reading(
            f"probe-{i % 3}", "temperature", 50.0 + i % 7, start + timedelta(minutes=i), start, "t"
        )
        for i in range(n)
    )
    writer.flush()
    if cycle_id is not None:
        with server.begin() as conn:
            conn.execute(
                sa.text("UPDATE sensor_reading SET batch_id = :c WHERE batch_id IS NULL"),
                {"c": cycle_id},
            )


def test_server_readings_reach_every_pc_and_a_hand_delete_reaches_all(
    pcs: list[Pc], server: sa.Engine
) -> None:
    a, b = pcs
    cycle = a.store.save_cycle(CycleDraft("Bay 1", date(2026, 6, 1)))
    a.sync.sync()
    _record_on_server(server, _server_cycle_id(server, "Bay 1"), 120, T0)
    add_manual_reading(
        a.engine,
        ManualReadingDraft(cycle.id, T0 + timedelta(hours=3), "North", 62.0, 55.0, "steam"),
        now=NOW,
    )
    add_manual_reading(
        a.engine, ManualReadingDraft(cycle.id, T0 + timedelta(hours=4), "South", 58.0), now=NOW
    )
    report = a.sync.sync()
    assert report.readings_pushed == 3 and report.readings_pulled >= 120
    b.sync.sync()
    assert len(_readings(server)) == 123
    assert _readings(a.engine) == _readings(server) == _readings(b.engine)
    assert a.sync.waiting() == 0 and b.sync.waiting() == 0

    delete_manual_reading(a.engine, cycle.id, T0 + timedelta(hours=3), "North")
    assert a.sync.waiting() == 2  # two values of one hand reading
    a.sync.sync()
    b.sync.sync()
    assert len(_readings(server)) == 121
    assert _readings(a.engine) == _readings(server) == _readings(b.engine)
    b_cycle = next(c.id for c in b.store.cycles() if c.name == "Bay 1")
    assert [r.position for r in manual_readings(b.engine, b_cycle)] == ["South"]

    # Taken again at the same spot and minute after the delete: it comes back everywhere.
    add_manual_reading(
        b.engine, ManualReadingDraft(b_cycle, T0 + timedelta(hours=3), "North", 61.0), now=NOW
    )
    b.sync.sync()
    a.sync.sync()
    assert _readings(a.engine) == _readings(server) == _readings(b.engine)
    assert len(_readings(server)) == 122


@pytest.mark.log_allowed("^The server refuses reading")
def test_a_reading_the_server_refuses_is_quarantined_and_the_pull_still_happens(
    pcs: list[Pc], server: sa.Engine
) -> None:
    a, _b = pcs
    a.sync.sync()
    bad_id = "x" * 125  # the PC's SQLite stores it; the server's column holds 120
    with a.engine.begin() as conn:
        for device, at in ((bad_id, T0), ("nul\x00probe", T0), ("good", T0)):
            conn.execute(
                sa.text(
                    "INSERT INTO sensor_reading (device_id, quantity, value, measured_at, "
                    "received_at, source) VALUES (:d, 'temperature', 50, :t, :t, 'mqtt')"
                ),
                {"d": device, "t": at},
            )
    with server.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO compost_batch (name, status) VALUES ('From the old system', 'planning')"
            )
        )
    report = a.sync.sync()
    assert report.readings_pushed == 1 and report.readings_refused == 2
    assert "From the old system" in [c.name for c in a.store.cycles()]
    assert a.sync.waiting() == 0
    with a.engine.connect() as conn:
        reasons = sorted(r for (r,) in conn.execute(sa.text("SELECT reason FROM sync_rejected")))
    assert any("at most 120" in r for r in reasons) and any("NUL" in r for r in reasons)
    again = a.sync.sync()  # never retried forever
    assert again.readings_refused == 0


@pytest.mark.log_allowed("^The server refuses reading")
def test_a_refusal_only_the_server_knows_about_is_split_out(
    pcs: list[Pc], server: sa.Engine
) -> None:
    a, _b = pcs
    a.sync.sync()
    with server.begin() as conn:  # a rule the PC cannot check before sending
        conn.execute(
            sa.text("ALTER TABLE sensor_reading ADD CONSTRAINT no_negative CHECK (value >= -50)")
        )
    writer = ReadingWriter(a.engine)
    writer.add(
        Reading(
            "probe", "temperature", -99.0 if i == 37 else 40.0, T0 + timedelta(minutes=i), T0, "t"
        )
        for i in range(100)
    )
    writer.flush()
    report = a.sync.sync()
    assert (report.readings_pushed, report.readings_refused) == (99, 1)
    with a.engine.connect() as conn:
        (reason,) = conn.execute(sa.text("SELECT reason FROM sync_rejected")).scalars()
    assert "no_negative" in reason


def test_the_active_cycle_comes_first_and_progress_is_reported(
    pcs: list[Pc], server: sa.Engine
) -> None:
    a, b = pcs
    old = a.store.save_cycle(CycleDraft("Old", date(2026, 1, 1)))
    live = a.store.save_cycle(CycleDraft("Live", date(2026, 6, 1)))
    a.store.activate(live.id)
    a.sync.sync()
    _record_on_server(server, _server_cycle_id(server, "Old"), 300, T0 - timedelta(days=60))
    _record_on_server(server, _server_cycle_id(server, "Live"), 200, T0)
    seen: list[tuple[str, int, int]] = []
    b.sync.sync(progress=lambda stage, done, total: seen.append((stage, done, total)))
    stages = [s for s, _, _ in seen if "readings" in s]
    assert stages[0] == "receiving the active cycle's readings"
    assert stages[-1] == "receiving readings"
    assert seen[-1][1:] == (500, 500)
    assert _readings(b.engine) == _readings(server)
    assert old.id


def test_a_server_cut_mid_push_says_server_unreachable(pcs: list[Pc], server: sa.Engine) -> None:
    a, _b = pcs
    a.sync.sync()
    for i in range(3):
        a.store.save_cycle(CycleDraft(f"C{i}", date(2026, 6, 1)))

    def cut(stage: str) -> None:
        if stage == "before_server_commit":
            with server.connect() as conn:
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )

    a.sync.fault = cut
    with pytest.raises(ServerUnreachable, match="server unreachable"):
        a.sync.sync()
    a.sync.fault = lambda _stage: None
    a.sync.sync()
    assert a.sync.waiting() == 0
    with server.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM compost_batch")).scalar_one() == 3


def test_a_correction_in_the_old_listener_table_reaches_every_pc(
    pg_url: str, tmp_path: Path
) -> None:
    """The Phase 1 table fixed by plain SQL on the server: the copies follow, then the PCs."""
    from compost_desktop.db import migrate
    from compost_desktop.db.engine import make_engine, resolve_url
    from compost_desktop.services.store import Store
    from compost_desktop.sync.engine import SyncEngine
    from tests.db import legacy
    from tests.db.test_migrations import _run_sql

    _run_sql(pg_url, legacy.script("postgresql", 2))
    migrate.upgrade(resolve_url(pg_url))
    server = make_engine(resolve_url(pg_url))
    local_url = resolve_url(f"sqlite:///{tmp_path / 'pc.db'}")
    migrate.upgrade(local_url)
    local = make_engine(local_url)
    pc = SyncEngine(local, server, client_id="pc-0")
    try:
        Store(local)
        pc.sync()
        assert len(_readings(local)) == 5 and _readings(local) == _readings(server)
        with server.begin() as conn:
            conn.execute(sa.text("UPDATE sensor_data SET temperature = 57.5 WHERE id = 2"))
            conn.execute(sa.text("DELETE FROM sensor_data WHERE id = 1"))
        report = pc.sync()
        assert report.readings_pulled == 4  # one edit, three tombstones
        assert _readings(local) == _readings(server)
        assert [(r[1], r[2], r[3]) for r in _readings(local)] == [
            ("node-2", "moisture", 50.0),
            ("node-2", "temperature", 57.5),
        ]
    finally:
        local.dispose()
        server.dispose()
