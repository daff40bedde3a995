"""What the database's reading attribution (revision 0007) costs, on SQLite and PostgreSQL.

Insert: 50,000 readings of an active cycle in the recorder's batches of 2,000, stored with
no cycle so the database attributes each one (what the recorder does for every reading
measured after its cached windows were loaded); baseline: the same rows with the cycle
already set by the writer, which the trigger skips (the old, cache-only path).
Late activation: a cycle activated afterwards with a time before those readings (as sync
delivers an offline PC's activation) claims them; baseline: a plain UPDATE of the same rows.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

N = 50_000
BATCH = 2_000
T0 = datetime(2026, 6, 1, tzinfo=UTC)


def _rows(device: str, cycle_id: int | None) -> list[dict[str, Any]]:
    return [
        {
            "batch_id": cycle_id,
            "device_id": device,
            "quantity": "temperature",
            "value": 50.0 + (i % 100) / 10,
            "measured_at": T0 + timedelta(days=1, seconds=i),
            "received_at": T0 + timedelta(days=1, seconds=i),
            "source": "mqtt",
        }
        for i in range(N)
    ]


def _text(at: datetime) -> str:
    """SQLite holds times as SQLAlchemy's text; plain SQL must write the same form."""
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


def _insert_rate(engine: sa.Engine, rows: list[dict[str, Any]]) -> float:
    from compost_desktop.monitoring.recording import _insert_ignoring_duplicates

    stmt = _insert_ignoring_duplicates(engine)
    start = time.perf_counter()
    for i in range(0, len(rows), BATCH):
        with engine.begin() as conn:
            conn.execute(stmt, rows[i : i + BATCH]).all()
    return len(rows) / (time.perf_counter() - start)


def _count(engine: sa.Engine, where: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(sa.text(f"SELECT count(*) FROM sensor_reading WHERE {where}")).scalar_one()
        )


def _run(label: str, url: str) -> None:
    from compost_desktop.db import migrate
    from compost_desktop.db.engine import make_engine, resolve_url
    from compost_desktop.services.store import Store
    from compost_desktop.services.values import CycleDraft

    migrate.upgrade(resolve_url(url))
    engine = make_engine(resolve_url(url))
    try:
        store = Store(engine)
        active = store.save_cycle(CycleDraft("Active", date(2026, 6, 1))).id
        late = store.save_cycle(CycleDraft("Late", date(2026, 6, 1))).id
        stamp = T0 if engine.dialect.name != "sqlite" else _text(T0)
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE compost_batch SET status = 'active', activated_at = :t WHERE id = :i"
                ),
                {"t": stamp, "i": active},
            )
        baseline = _insert_rate(engine, _rows("cached", active))
        attributed = _insert_rate(engine, _rows("by-database", None))
        assert _count(engine, f"batch_id = {active}") == 2 * N
        print(
            f"{label}: insert {attributed:,.0f} readings/s attributed by the database, "
            f"baseline {baseline:,.0f}/s with the cycle given by the writer "
            f"({attributed / baseline:.0%})"
        )
        # Readings with no cycle, then an activation dated before them arrives.
        end = T0 + timedelta(days=2)
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE compost_batch SET status = 'completed', completed_at = :t WHERE id = :i"
                ),
                {"t": end if engine.dialect.name != "sqlite" else _text(end), "i": active},
            )
        orphans = [
            dict(r, measured_at=r["measured_at"] + timedelta(days=2)) for r in _rows("orphan", None)
        ]
        _insert_rate(engine, orphans)
        assert _count(engine, "batch_id IS NULL") == N
        late_at = T0 + timedelta(days=2)
        start = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE compost_batch SET status = 'active', activated_at = :t WHERE id = :i"
                ),
                {
                    "t": late_at
                    if engine.dialect.name != "sqlite"
                    else late_at.strftime("%Y-%m-%d %H:%M:%S.%f"),
                    "i": late,
                },
            )
        claim = time.perf_counter() - start
        assert _count(engine, f"batch_id = {late}") == N
        start = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(
                sa.text(f"UPDATE sensor_reading SET batch_id = {active} WHERE batch_id = {late}")
            )
        plain = time.perf_counter() - start
        print(
            f"{label}: late activation claims {N:,} stored readings in {claim * 1000:,.0f} ms, "
            f"baseline {plain * 1000:,.0f} ms for a plain UPDATE of the same rows"
        )
    finally:
        engine.dispose()


def main() -> None:
    from tests.support.servers import PostgresServer

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} at start")
    with tempfile.TemporaryDirectory(prefix="bench-attribution-") as folder:
        _run("SQLite", f"sqlite:///{folder}/bench.db")
    pg = PostgresServer()
    try:
        pg.start()
        _run("PostgreSQL", pg.create_database("bench_attribution"))
    finally:
        pg.stop()
        pg.cleanup()


if __name__ == "__main__":
    main()
