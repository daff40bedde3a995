from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Table, select

from compost_desktop.db.models import Cycle, Input, Material, SensorReading
from compost_desktop.records import backup as backup_module
from compost_desktop.records.backup import (
    NewerBackupError,
    NotABackupError,
    backup,
    restore,
)
from compost_desktop.services.records import CycleDraft
from compost_desktop.services.store import Store
from tests.records.test_export import make_db, populate

TABLES = [Material.__table__, Cycle.__table__, Input.__table__, SensorReading.__table__]


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
        conn.execute(SensorReading.__table__.delete().where(SensorReading.__table__.c.id == 1))
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
    Store(engine).save_cycle(
        CycleDraft(name="Kept", start_date=Store(engine).cycles()[0].start_date)
    )
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
    store.save_cycle(CycleDraft(name="Newer work", start_date=store.cycles()[0].start_date))
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

        monkeypatch.setattr(backup_module.os, "replace", failing_replace)

    with pytest.raises(RuntimeError, match="power cut"):
        restore(file, any_url)
    monkeypatch.undo()
    assert snapshot(engine) == before
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    assert leftovers == files_before
    engine.dispose()
