"""A damaged local store must never block start-up: detect it, move it aside, start afresh."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)


def check_sqlite_file(path: Path) -> str | None:
    """None when the file is a sound SQLite database (or absent); otherwise what is wrong."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=15)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    results = [r[0] for r in rows]
    return None if results == ["ok"] else "; ".join(str(r) for r in results[:5])


def move_aside(path: Path) -> Path:
    """Keep the damaged file (and its WAL) for inspection under a dated name."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    path.rename(target)
    for suffix in ("-wal", "-shm"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            extra.rename(target.with_name(target.name + suffix))
    log.error("Local database %s was damaged; moved to %s", path, target)
    return target
