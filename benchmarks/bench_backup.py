"""`db backup` of a SQLite store: what checking the copy (integrity_check) costs.

Baseline in the same run: the same backup with the check switched off.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

READINGS = 500_000


def _store(folder: Path) -> str:
    from compost_desktop.db import migrate
    from compost_desktop.db.engine import resolve_url

    path = folder / "farm.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(resolve_url(url))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = (
        (f"node-{i % 8}", "temperature", 55.0, (start + timedelta(seconds=i)).isoformat(), "mqtt")
        for i in range(READINGS)
    )
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO sensor_reading (device_id, quantity, value, measured_at, received_at,"
            " source) VALUES (?, ?, ?, ?, ?4, ?5)",
            rows,
        )
    conn.close()
    return url


def main() -> None:
    from compost_desktop.records import backup as backup_module

    with tempfile.TemporaryDirectory(prefix="bench-backup-") as name:
        folder = Path(name)
        url = _store(folder)
        size_mb = (folder / "farm.db").stat().st_size / 1e6
        real_verify = backup_module._verify
        timings = {}
        for label, verify in (("without check (baseline)", None), ("with integrity_check", 1)):
            backup_module._verify = real_verify if verify else (lambda _copy, _source: None)
            best = float("inf")
            for _ in range(3):
                began = time.perf_counter()
                backup_module.backup(url, folder / "b.sqlite")
                best = min(best, time.perf_counter() - began)
            timings[label] = best
        backup_module._verify = real_verify
    print(f"store: {READINGS:,} readings, {size_mb:.0f} MB; best of 3 runs")
    for label, seconds in timings.items():
        print(f"  backup {label}: {seconds:.2f} s")
    base, checked = timings.values()
    print(f"  the check adds {checked - base:.2f} s ({(checked / base - 1) * 100:.0f} %)")
