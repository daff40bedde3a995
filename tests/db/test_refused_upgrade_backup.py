"""A refused SQLite upgrade tried again reuses the copy made the first time (issue 17, item 9)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from compost_desktop.db import migrate
from compost_desktop.db.engine import resolve_url
from tests.db import legacy


def test_a_refused_upgrade_copies_the_file_once_until_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(legacy.script("sqlite", 2) + "UPDATE compost_batch SET status='active';")
    conn.close()
    url = resolve_url(f"sqlite:///{path}")
    for _ in range(3):
        with pytest.raises(migrate.MigrationError, match="id 1, 2"):
            migrate.upgrade(url)
    assert len(list(tmp_path.glob("old.db.legacy.*.bak"))) == 1

    # The user edits the file: the next attempt copies this new state aside.
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE compost_batch SET status = 'active' WHERE id = 2")
    conn.close()
    later = path.stat().st_mtime + 5
    os.utime(path, (later, later))  # a later second than the first copy, on any file system
    with pytest.raises(migrate.MigrationError):
        migrate.upgrade(url)
    assert len(list(tmp_path.glob("old.db.legacy.*.bak"))) == 2
