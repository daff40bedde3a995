from __future__ import annotations

import os
import sqlite3
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Table, select

from compost_desktop.db.models import Cycle, Input, Material, SensorReading
from compost_desktop.records import backup as backup_module
from compost_desktop.records.backup import (
    BackupCancelled,
    NewerBackupError,
    NotABackupError,
    backup,
    inspect_backup,
    restore,
)
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft
from tests.records.test_export import make_db, populate
from tests.support.tables import table_of

TABLES = [table_of(Material), table_of(Cycle), table_of(Input), table_of(SensorReading)]


def snapshot(engine: Engine, skip_sync_seq: bool = False) -> dict[str, list[tuple[Any, ...]]]:
    result: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in TABLES:
            assert isinstance(table, Table)
            cols = [c for c in table.columns if not (skip_sync_seq and c.name == "sync_seq")]
            rows = conn.execute(select(*cols).order_by(*table.primary_key.columns)).all()
            result[table.name] = [tuple(r) for r in rows]
    return result


def test_backup_then_restore_round_trips(any_url: str, tmp_path: Path) -> None:
    engine = make_db(any_url)
    populate(engine)
    postgres = engine.dialect.name == "postgresql"
    before = snapshot(engine, skip_sync_seq=postgres)
    assert all(before.values())
    done: list[tuple[int, int]] = []
    file = backup(any_url, tmp_path / "farm.backup", progress=lambda d, t: done.append((d, t)))
    assert file.is_file() and done

    # Change everything: a new cycle, a deleted reading, an edited material.
    store = Store(engine)
    store.save_cycle(CycleDraft(name="After backup", start_date=date(2026, 8, 1)))
    with engine.begin() as conn:
        conn.execute(table_of(SensorReading).delete().where(table_of(SensorReading).c.id == 1))
    assert snapshot(engine, skip_sync_seq=postgres) != before
    engine.dispose()

    restore(file, any_url)
    engine = make_db(any_url)
    assert snapshot(engine, skip_sync_seq=postgres) == before
    # New rows after the restore get fresh ids (sequences were moved past the restored rows).
    created = Store(engine).save_cycle(
        CycleDraft(name="After restore", start_date=date(2026, 8, 1))
    )
    assert created.id > max(row[0] for row in before["compost_batch"])
    engine.dispose()
    if not postgres:
        assert list(tmp_path.glob("compost.db.before-restore-*"))


def test_backup_restores_into_a_new_sqlite_file(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_db(sqlite_url)
    populate(engine)
    before = snapshot(engine)
    engine.dispose()
    file = backup(sqlite_url, tmp_path / "b.db")
    other = f"sqlite:///{tmp_path / 'elsewhere' / 'new.db'}"
    restore(file, other)
    restored = make_db(other)
    assert snapshot(restored) == before
    restored.dispose()


def _stamp(file: Path, revision: str) -> None:
    with sqlite3.connect(file) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    conn.close()


def test_restore_refuses_a_newer_backup(any_url: str, tmp_path: Path) -> None:
    engine = make_db(any_url)
    populate(engine)
    file = backup(any_url, tmp_path / "farm.backup")
    start = Store(engine).cycles()[0].start_date
    assert start is not None
    Store(engine).save_cycle(CycleDraft(name="Kept", start_date=start))
    before = snapshot(engine)
    _stamp(file, "9999_future")
    with pytest.raises(NewerBackupError, match="newer Compost Desktop"):
        restore(file, any_url)
    assert snapshot(engine) == before
    assert not list(tmp_path.glob("*.before-restore-*"))
    engine.dispose()


def test_restore_refuses_other_files(sqlite_url: str, tmp_path: Path) -> None:
    make_db(sqlite_url).dispose()
    plain = tmp_path / "notes.txt"
    plain.write_text("hello")
    with pytest.raises(NotABackupError, match="not a Compost Desktop backup"):
        restore(plain, sqlite_url)
    # A live database is not a backup either.
    live = Path(sqlite_url.removeprefix("sqlite:///"))
    with pytest.raises(NotABackupError):
        restore(live, f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(NotABackupError, match="does not exist"):
        restore(tmp_path / "missing.db", sqlite_url)


def test_failure_midway_leaves_the_target_as_it_was(
    any_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_db(any_url)
    populate(engine)
    file = backup(any_url, tmp_path / "farm.backup")
    store = Store(engine)
    start = store.cycles()[0].start_date
    assert start is not None
    store.save_cycle(CycleDraft(name="Newer work", start_date=start))
    before = snapshot(engine)
    files_before = sorted(p.name for p in tmp_path.iterdir())

    if engine.dialect.name == "postgresql":
        real = backup_module._restore_table
        calls = {"n": 0}

        def failing(src: Any, out: Any, table: Table) -> None:
            calls["n"] += 1
            if calls["n"] > 3:
                raise RuntimeError("power cut")
            real(src, out, table)

        monkeypatch.setattr(backup_module, "_restore_table", failing)
    else:

        def failing_replace(*_args: Any) -> None:
            raise RuntimeError("power cut")

        # backup_module.os is this same os module: the patch is what restore() calls.
        monkeypatch.setattr(os, "replace", failing_replace)

    with pytest.raises(RuntimeError, match="power cut"):
        restore(file, any_url)
    monkeypatch.undo()
    assert snapshot(engine) == before
    # The writer-lock folder (compost_desktop.db.lock) stays, like SQLite's -shm file.
    leftovers = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".locks"))
    assert leftovers == files_before
    engine.dispose()


def test_cancelled_backup_leaves_no_file(any_url: str, tmp_path: Path) -> None:
    engine = make_db(any_url)
    populate(engine)
    engine.dispose()
    cancel = threading.Event()
    cancel.set()
    out = tmp_path / "backups"
    with pytest.raises(BackupCancelled, match="no file was written"):
        backup(any_url, out / "farm.backup", cancel=cancel)
    assert list(out.iterdir()) == []


def test_backup_of_a_database_being_written_to_completes(sqlite_url: str, tmp_path: Path) -> None:
    """Page by page, sqlite's backup restarts whenever another connection commits; the
    recorder commits every half second, so without one snapshot it would never finish."""
    make_db(sqlite_url).dispose()
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as conn:  # ~8 MB: several backup steps of 1024 pages
        conn.executemany(
            "INSERT INTO sensor_reading (device_id, quantity, value, measured_at, received_at, "
            "notes) VALUES ('p', 'temperature', ?, ?, ?, ?)",
            [
                (
                    i,
                    f"2026-01-01 00:{i // 60000:02}:{i % 60000 / 1000:06.3f}",
                    "2026-01-01",
                    "x" * 150,
                )
                for i in range(40_000)
            ],
        )
    conn.close()
    stop, cancel = threading.Event(), threading.Event()
    commits = 0

    def recorder() -> None:
        nonlocal commits
        writer = sqlite3.connect(path, isolation_level=None, timeout=15)
        while not stop.is_set():
            writer.execute(
                "INSERT INTO sensor_reading (device_id, quantity, value, measured_at, "
                "received_at) VALUES ('q', 'temperature', 1, ?, '2026-01-02')",
                (f"2026-01-02 {commits // 3600:02}:{commits // 60 % 60:02}:{commits % 60:02}",),
            )
            commits += 1
            stop.wait(0.002)
        writer.close()

    restarts, last = 0, 0

    def progress(done: int, _total: int) -> None:
        nonlocal restarts, last
        restarts += done <= last  # a restarted copy reports its first step again
        last = done
        if restarts > 2:
            cancel.set()  # it would go on for ever: fail rather than hang
        stop.wait(0.01)  # give the recorder time to commit between steps

    thread = threading.Thread(target=recorder)
    thread.start()
    try:
        file = backup(sqlite_url, tmp_path / "live.backup", progress=progress, cancel=cancel)
    finally:
        stop.set()
        thread.join()
    assert commits > 5 and restarts == 0
    with sqlite3.connect(file) as copy:
        copied = copy.execute("SELECT count(*) FROM sensor_reading").fetchone()[0]
    copy.close()
    assert 40_000 <= copied <= 40_000 + commits
    assert inspect_backup(file).revision


def _client_id(url: str) -> str | None:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        row = conn.execute("SELECT value FROM sync_state WHERE key = 'client_id'").fetchone()
    conn.close()
    return None if row is None else str(row[0])


def _set_client_id(url: str, value: str) -> None:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        conn.execute("INSERT INTO sync_state (key, value) VALUES ('client_id', ?)", (value,))
    conn.close()


def test_restored_store_keeps_this_pcs_sync_identity(tmp_path: Path) -> None:
    other_pc, this_pc = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    for url, name in ((other_pc, "pc-a"), (this_pc, "pc-b")):
        make_db(url).dispose()
        _set_client_id(url, name)
    populate_engine = make_db(other_pc)
    populate(populate_engine)
    populate_engine.dispose()
    file = backup(other_pc, tmp_path / "a.backup")

    restore(file, this_pc)
    assert _client_id(this_pc) == "pc-b"
    assert [c.name for c in Store(make_db(this_pc)).cycles()] != []
    fresh = f"sqlite:///{tmp_path / 'new' / 'c.db'}"
    restore(file, fresh)
    assert _client_id(fresh) is None  # a new identity is made at its first sync
