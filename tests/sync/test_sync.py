"""Offline-first sync between local SQLite stores and a real PostgreSQL that the tests cut off."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.domain.lifecycle import CycleStatus
from compost_desktop.monitoring.parsing import Reading
from compost_desktop.monitoring.recording import ReadingWriter
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft, InputDraft
from compost_desktop.sync.engine import ServerUnreachable, SyncEngine
from tests.support.servers import PostgresServer

pytestmark = pytest.mark.postgres


@dataclass
class Pc:
    """One office PC: its local store and its sync engine."""

    store: Store
    sync: SyncEngine
    engine: sa.Engine


@pytest.fixture
def server_url(pg_url: str) -> str:
    migrate.upgrade(resolve_url(pg_url))
    return pg_url


@pytest.fixture
def pcs(tmp_path: Path, server_url: str) -> Iterator[list[Pc]]:
    server = make_engine(resolve_url(server_url))
    made = []
    for n in range(3):
        url = resolve_url(f"sqlite:///{tmp_path / f'pc{n}.db'}")
        migrate.upgrade(url)
        local = make_engine(url)
        made.append(Pc(Store(local), SyncEngine(local, server, client_id=f"pc-{n}"), local))
    yield made
    for pc in made:
        pc.engine.dispose()
    server.dispose()


def server_rows(server_url: str, sql: str) -> list[tuple[object, ...]]:
    engine = make_engine(resolve_url(server_url))
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text(sql))]
    engine.dispose()
    return rows


def _material(store: Store, name: str) -> int:
    found = store.find_material(name)
    assert found is not None
    return found.id


def test_edit_offline_then_reconnect_and_the_server_has_it(
    pcs: list[Pc], server_url: str, pg_server: PostgresServer
) -> None:
    a = pcs[0]
    a.sync.sync()  # first contact: materials adopted, nothing duplicated
    pg_server.stop()
    try:
        cycle = a.store.save_cycle(CycleDraft("Offline pile", date(2026, 6, 1)))
        a.store.add_input(cycle.id, InputDraft(_material(a.store, "Straw"), mass_kg=40))
        assert a.sync.waiting() == 2
        with pytest.raises(ServerUnreachable):
            a.sync.sync()
    finally:
        pg_server.start()
    report = a.sync.sync()
    assert report.pushed == 2 and a.sync.waiting() == 0
    assert server_rows(server_url, "SELECT name FROM compost_batch") == [("Offline pile",)]
    assert server_rows(
        server_url, "SELECT count(*) FROM compost_materials WHERE name = 'Straw'"
    ) == [(1,)]
    (amount,) = server_rows(server_url, "SELECT amount_kg FROM cycle_waste_input")[0]
    assert float(amount) == 40  # type: ignore[arg-type]


def test_other_pcs_pull_changes_and_deletes(pcs: list[Pc]) -> None:
    a, b = pcs[0], pcs[1]
    cycle = a.store.save_cycle(CycleDraft("Shared", date(2026, 6, 1)))
    row = a.store.add_input(cycle.id, InputDraft(_material(a.store, "Straw"), mass_kg=10))
    a.sync.sync()
    b.sync.sync()
    (seen,) = [c for c in b.store.cycles() if c.name == "Shared"]
    assert seen.inputs[0].mass_kg == 10
    a.store.delete_input(row.id)
    a.sync.sync()
    b.sync.sync()
    assert b.store.cycle(seen.id).inputs == ()


def test_ack_lost_after_server_commit_makes_no_duplicate(pcs: list[Pc], server_url: str) -> None:
    a = pcs[0]
    a.store.save_cycle(CycleDraft("Once", date(2026, 6, 1)))

    def crash(stage: str) -> None:
        if stage == "after_server_commit":
            raise ConnectionError("acknowledgement lost")

    a.sync.fault = crash
    with pytest.raises(ConnectionError):
        a.sync.sync()
    assert a.sync.waiting() == 1  # the PC does not know the server has it
    a.sync.fault = lambda _stage: None
    report = a.sync.sync()
    assert report.already == 1 and report.pushed == 0
    assert server_rows(server_url, "SELECT count(*) FROM compost_batch") == [(1,)]
    assert server_rows(
        server_url, "SELECT count(*) FROM sync_log WHERE entity='compost_batch'"
    ) == [(1,)]


@pytest.mark.parametrize("stage", ["before_server_commit", "after_server_commit"])
def test_crash_mid_push_loses_nothing_and_doubles_nothing(
    pcs: list[Pc], server_url: str, stage: str
) -> None:
    a = pcs[0]
    for i in range(5):
        c = a.store.save_cycle(CycleDraft(f"C{i}", date(2026, 6, 1)))
        a.store.add_input(c.id, InputDraft(_material(a.store, "Straw"), mass_kg=1 + i))

    def crash(at: str) -> None:
        if at == stage:
            raise SystemExit("power cut")

    a.sync.fault = crash
    with pytest.raises(SystemExit):
        a.sync.sync()
    # A new process: a fresh engine over the same files.
    restarted = SyncEngine(a.engine, a.sync.server, client_id="pc-0")
    restarted.sync()
    assert server_rows(server_url, "SELECT count(*) FROM compost_batch") == [(5,)]
    assert server_rows(server_url, "SELECT count(*) FROM cycle_waste_input") == [(5,)]
    assert restarted.waiting() == 0


def test_same_cycle_edited_on_two_pcs_apart_is_a_conflict_with_both_kept(pcs: list[Pc]) -> None:
    a, b = pcs[0], pcs[1]
    cycle = a.store.save_cycle(CycleDraft("Bay 3", date(2026, 6, 1), notes="original"))
    a.sync.sync()
    b.sync.sync()
    b_id = next(c.id for c in b.store.cycles() if c.name == "Bay 3")
    a.store.save_cycle(CycleDraft("Bay 3", date(2026, 6, 1), notes="edited on A"), cycle.id)
    b.store.save_cycle(CycleDraft("Bay 3", date(2026, 6, 1), notes="edited on B"), b_id)
    a.sync.sync()
    report = b.sync.sync()
    assert report.conflicts == 1
    (conflict,) = b.sync.conflicts()
    assert conflict.mine is not None and conflict.theirs is not None
    assert conflict.mine["notes"] == "edited on B"
    assert conflict.theirs["notes"] == "edited on A"
    assert b.store.cycle(b_id).notes == "edited on A"  # the server's version shows until chosen

    b.sync.resolve(conflict.id, "mine")
    b.sync.sync()
    a.sync.sync()
    assert a.store.cycle(cycle.id).notes == "edited on B"
    assert b.sync.conflicts() == []


def test_inputs_appended_on_two_pcs_are_both_kept(pcs: list[Pc]) -> None:
    a, b = pcs[0], pcs[1]
    cycle = a.store.save_cycle(CycleDraft("Bay 4", date(2026, 6, 1)))
    a.sync.sync()
    b.sync.sync()
    b_id = next(c.id for c in b.store.cycles() if c.name == "Bay 4")
    a.store.add_input(cycle.id, InputDraft(_material(a.store, "Straw"), mass_kg=10))
    b.store.add_input(b_id, InputDraft(_material(b.store, "Kitchen scraps"), mass_kg=20))
    a.sync.sync()
    b.sync.sync()
    a.sync.sync()
    assert b.sync.conflicts() == [] and a.sync.conflicts() == []
    assert sorted(i.mass_kg for i in a.store.cycle(cycle.id).inputs) == [10, 20]
    assert sorted(i.mass_kg for i in b.store.cycle(b_id).inputs) == [10, 20]


def test_two_pcs_activating_different_cycles_apart_end_with_one_active(
    pcs: list[Pc], server_url: str
) -> None:
    a, b = pcs[0], pcs[1]
    x = a.store.save_cycle(CycleDraft("X", date(2026, 6, 1)))
    y = a.store.save_cycle(CycleDraft("Y", date(2026, 6, 1)))
    a.sync.sync()
    b.sync.sync()
    b_y = next(c.id for c in b.store.cycles() if c.name == "Y")
    a.store.activate(x.id)
    b.store.activate(b_y)
    a.sync.sync()
    report = b.sync.sync()
    assert server_rows(server_url, "SELECT name FROM compost_batch WHERE status='active'") == [
        ("X",)
    ]
    assert report.conflicts == 1
    (conflict,) = b.sync.conflicts()
    assert "active" in conflict.reason
    statuses = {c.name: c.status for c in b.store.cycles()}
    assert statuses == {"X": CycleStatus.ACTIVE, "Y": CycleStatus.PLANNING}

    b.sync.resolve(conflict.id, "mine")  # keep my activation: a switch
    b.sync.sync()
    a.sync.sync()
    assert server_rows(server_url, "SELECT name FROM compost_batch WHERE status='active'") == [
        ("Y",)
    ]
    assert {c.name: c.status for c in a.store.cycles()}["X"] is CycleStatus.COMPLETED
    assert y.id  # the cycle the resolution activated


def test_readings_recorded_offline_are_pushed_once_each(
    pcs: list[Pc], server_url: str, pg_server: PostgresServer
) -> None:
    a, b = pcs[0], pcs[1]
    t0 = datetime(2026, 6, 11, tzinfo=UTC)
    readings = [
        Reading("node-1", "temperature", 55.0, t0 + timedelta(minutes=m), t0, "t")
        for m in range(300)
    ]
    for pc in (a, b):  # both PCs recorded the same broker
        writer = ReadingWriter(pc.engine)
        writer.add(readings)
        writer.flush()
    pg_server.stop()
    try:
        with pytest.raises(ServerUnreachable):
            a.sync.sync()
    finally:
        pg_server.start()
    a.sync.sync()
    a.sync.sync()
    b.sync.sync()
    assert server_rows(server_url, "SELECT count(*) FROM sensor_reading") == [(300,)]


def test_legacy_rows_on_the_server_reach_a_new_pc(tmp_path: Path, server_url: str) -> None:
    engine = make_engine(resolve_url(server_url))
    with engine.begin() as conn:  # written by the old server system, outside any sync
        conn.execute(
            sa.text(
                "INSERT INTO compost_batch (start_date, status, name) "
                "VALUES ('2025-01-01', 'completed', 'Old pile')"
            )
        )
    url = resolve_url(f"sqlite:///{tmp_path / 'new.db'}")
    migrate.upgrade(url)
    local = make_engine(url)
    SyncEngine(local, engine, client_id="new-pc").sync()
    assert [c.name for c in Store(local).cycles()] == ["Old pile"]
    local.dispose()
    engine.dispose()
