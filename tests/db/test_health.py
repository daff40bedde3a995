from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from compost_desktop.db import migrate
from compost_desktop.db.engine import resolve_url
from compost_desktop.db.health import check_sqlite_file, move_aside


def test_sound_file_passes(tmp_path: Path) -> None:
    path = tmp_path / "ok.db"
    migrate.upgrade(resolve_url(f"sqlite:///{path}"))
    assert check_sqlite_file(path) is None
    assert check_sqlite_file(tmp_path / "missing.db") is None


@pytest.mark.log_allowed("was damaged; moved to")
def test_garbage_file_is_detected_and_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "compost.db"
    path.write_bytes(b"this is not a database" * 100)
    problem = check_sqlite_file(path)
    assert problem is not None and "not a database" in problem
    moved = move_aside(path)
    assert not path.exists() and moved.exists()
    migrate.upgrade(resolve_url(f"sqlite:///{path}"))  # a fresh store can be built in place
    assert check_sqlite_file(path) is None


def test_damaged_pages_are_detected(tmp_path: Path) -> None:
    path = tmp_path / "compost.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,) for _ in range(2000)])
    conn.execute("CREATE INDEX ix ON t (x)")
    conn.commit()
    conn.close()
    data = bytearray(path.read_bytes())
    for offset in range(8192, len(data) - 4096, 4096):  # scribble over pages past the header
        data[offset : offset + 16] = b"\xff" * 16  # b-tree page headers
    path.write_bytes(bytes(data))
    assert check_sqlite_file(path) is not None
