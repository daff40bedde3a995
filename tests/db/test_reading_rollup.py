"""The ten-minute rollup behind the history charts stays equal to the readings it summarises."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.db.models import SensorReading
from compost_desktop.db.rollup import SLOT_SECONDS, reading_rollup
from compost_desktop.services import chart_data
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft
from tests.support.tables import table_of

T0 = datetime(2026, 4, 2, tzinfo=UTC)  # on a slot edge
READINGS = table_of(SensorReading)


def new_cycle(store: Store, name: str = "Bay 1") -> int:
    return store.save_cycle(CycleDraft(name, date(2026, 4, 1), date(2026, 7, 1))).id


def rows_for(cycle_id: int | None, seed: int, count: int = 400) -> list[dict[str, object]]:
    rng = random.Random(seed)
    out: list[dict[str, object]] = []
    for i in range(count):
        at = T0 + timedelta(seconds=rng.randrange(0, 2 * 86400))
        out.append(
            {
                "batch_id": cycle_id,
                "device_id": rng.choice(["probe-1", "probe-2", "hand:north"]),
                "quantity": rng.choice(["temperature", "moisture"]),
                "value": round(rng.uniform(10, 70), 2),
                "measured_at": at + timedelta(microseconds=i),  # unique per device+quantity
                "received_at": at,
                "source": "mqtt",
            }
        )
    return out


def rollup(
    engine: Engine, cycle_id: int
) -> dict[tuple[str, str, int], tuple[int, float, float, float]]:
    r = reading_rollup.c
    with engine.connect() as conn:
        return {
            (d, q, int(slot)): (n, round(total, 6), low, high)
            for d, q, slot, n, total, low, high in conn.execute(
                sa.select(r.device_id, r.quantity, r.slot, r.n, r.total, r.low, r.high).where(
                    r.batch_id == cycle_id
                )
            )
        }


def expected(
    engine: Engine, cycle_id: int
) -> dict[tuple[str, str, int], tuple[int, float, float, float]]:
    """The same summary computed in Python from the readings themselves."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                SensorReading.device_id,
                SensorReading.quantity,
                SensorReading.measured_at,
                SensorReading.value,
            ).where(SensorReading.cycle_id == cycle_id)
        ).all()
    acc: dict[tuple[str, str, int], list[float]] = {}
    for device, quantity, at, value in rows:
        slot = int(at.timestamp()) // SLOT_SECONDS * SLOT_SECONDS
        acc.setdefault((device, quantity, slot), []).append(value)
    return {k: (len(v), round(sum(v), 6), min(v), max(v)) for k, v in acc.items()}


def test_inserts_deletes_and_moves_keep_the_rollup_exact(store: Store) -> None:
    engine = store.engine
    a, b = new_cycle(store, "A"), new_cycle(store, "B")
    with engine.begin() as conn:
        conn.execute(sa.insert(READINGS), rows_for(a, 1))
        conn.execute(sa.insert(READINGS), rows_for(b, 2))
        conn.execute(sa.insert(READINGS), rows_for(None, 3, 50))  # outside any cycle
    assert rollup(engine, a) == expected(engine, a) and len(rollup(engine, a)) > 100

    with engine.begin() as conn:
        # Delete every tenth reading (some are a slot's min or max, some a slot's last).
        ids = conn.execute(sa.select(READINGS.c.id).where(READINGS.c.batch_id == a)).scalars()
        doomed = [i for n, i in enumerate(sorted(ids)) if n % 10 == 0]
        conn.execute(sa.delete(READINGS).where(READINGS.c.id.in_(doomed)))
        # Move some readings of B to A, and correct some values of A.
        conn.execute(
            sa.update(READINGS)
            .where(READINGS.c.batch_id == b, READINGS.c.device_id == "probe-2")
            .values(batch_id=a)
        )
        conn.execute(
            sa.update(READINGS)
            .where(READINGS.c.batch_id == a, READINGS.c.quantity == "moisture")
            .values(value=READINGS.c.value + 1.5)
        )
    assert rollup(engine, a) == expected(engine, a)
    assert rollup(engine, b) == expected(engine, b)


def test_deleting_a_cycle_drops_its_rollup_and_keeps_the_other(store: Store) -> None:
    engine = store.engine
    a, b = new_cycle(store, "A"), new_cycle(store, "B")
    with engine.begin() as conn:
        conn.execute(sa.insert(READINGS), rows_for(a, 4, 100))
        conn.execute(sa.insert(READINGS), rows_for(b, 5, 100))
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM compost_batch WHERE id = :id"), {"id": a})
    assert rollup(engine, a) == {}
    assert rollup(engine, b) == expected(engine, b)


def test_charts_from_the_rollup_match_charts_from_the_readings(store: Store) -> None:
    """A slot-aligned window gives the same buckets whichever path reads it."""
    engine = store.engine
    cid = new_cycle(store)
    with engine.begin() as conn:
        conn.execute(sa.insert(READINGS), rows_for(cid, 6, 2000))
    end = T0 + timedelta(days=2)
    coarse = chart_data.window(engine, cid, T0, end, buckets=48)  # 1 h buckets: the rollup
    assert coarse.bucket_seconds >= SLOT_SECONDS
    for series in coarse.series:
        fine = chart_data.window(
            engine, cid, T0, end, buckets=48 * 3600, quantities=[series.quantity]
        )
        raw = next(s for s in fine.series if s.device_id == series.device_id)
        by_hour: dict[int, list[tuple[float, float]]] = {}
        for t, low, high in zip(raw.times, raw.low, raw.high, strict=True):
            by_hour.setdefault(int((t - chart_data.epoch(T0)) // 3600), []).append((low, high))
        assert series.bucket == sorted(by_hour)
        assert series.low == [min(v[0] for v in by_hour[h]) for h in series.bucket]
        assert series.high == [max(v[1] for v in by_hour[h]) for h in series.bucket]
    assert coarse.points == 2000


def to_revision(url: str, action: str, revision: str) -> None:
    engine = migrate._migration_engine(resolve_url(url))
    with engine.begin() as conn:
        getattr(command, action)(migrate._config(conn), revision)
    engine.dispose()


def test_the_upgrade_summarises_readings_that_were_there_before(any_url: str) -> None:
    url = resolve_url(any_url)
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        cid = Store(engine).save_cycle(CycleDraft("Old", date(2026, 4, 1), date(2026, 7, 1))).id
        engine.dispose()  # SQLite: the schema change needs no other connection open
        to_revision(any_url, "downgrade", "0004")
        with engine.begin() as conn:
            conn.execute(sa.insert(READINGS), rows_for(cid, 7, 300))
        engine.dispose()
        migrate.upgrade(url)
        assert rollup(engine, cid) == expected(engine, cid)
    finally:
        engine.dispose()
