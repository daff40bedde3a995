"""The recorder's bulk insert goes around SQLAlchemy's binding: it must store the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compost_desktop.db.models import SensorReading
from compost_desktop.monitoring.parsing import Reading
from compost_desktop.monitoring.recording import CycleWindows, ReadingInsert, ReadingWriter

T0 = datetime(2026, 6, 11, 8, 30, tzinfo=UTC)
CEST = timezone(timedelta(hours=2))


def _stored(engine: sa.Engine, device: str) -> list[tuple[object, ...]]:
    """The columns as the database holds them (SQLite: the text), oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT quantity, value, measured_at, received_at, source, batch_id "
                "FROM sensor_reading WHERE device_id = :d ORDER BY measured_at, quantity"
            ),
            {"d": device},
        ).all()
    return [tuple(row) for row in rows]


def test_readings_are_stored_exactly_as_the_orm_stores_them(any_engine: sa.Engine) -> None:
    """Sync and the history compare stored times as text on SQLite: one character off and a
    reading is a different reading (stored twice, or not found by its identity)."""
    times = [
        T0,  # no microseconds: still written with them, as the ORM does
        T0.replace(microsecond=123456),
        (T0 + timedelta(hours=3)).astimezone(CEST),  # another zone: stored in UTC
        datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),  # a year of three digits, zero-padded
    ]
    # A whole number as the parser may hand it (an int), among floats.
    values = [55, 55.25, -3.5, 1e-7]
    readings = [
        Reading("bulk", "temperature", value, at, at + timedelta(seconds=1), "t")
        for value, at in zip(values, times, strict=True)
    ]
    writer = ReadingWriter(any_engine)
    writer.add(readings)
    writer.flush()
    assert writer.written == 4
    with Session(any_engine) as session, session.begin():
        for r in readings:
            session.add(
                SensorReading(
                    device_id="orm",
                    quantity=r.quantity,
                    value=r.value,
                    measured_at=r.measured_at,
                    received_at=r.received_at,
                    source="mqtt",
                )
            )
    assert _stored(any_engine, "bulk") == _stored(any_engine, "orm")
    with Session(any_engine) as session:
        back = session.scalars(
            sa.select(SensorReading.measured_at)
            .where(SensorReading.device_id == "bulk")
            .order_by(SensorReading.measured_at)
        ).all()
    assert back == sorted(times)
    assert sorted(float(str(row[1])) for row in _stored(any_engine, "bulk")) == sorted(values)


def test_a_batch_longer_than_one_statement_is_stored_once_with_the_new_ids(
    any_engine: sa.Engine,
) -> None:
    readings = [
        Reading("n", "temperature", float(i), T0 + timedelta(seconds=i), T0, "t") for i in range(23)
    ]
    insert = ReadingInsert(
        any_engine.dialect.name, any_engine.dialect.paramstyle, rows_per_statement=5
    )
    windows = CycleWindows([])
    with any_engine.begin() as conn:
        first = insert(conn, readings[3:17:2], windows)
    with any_engine.begin() as conn:
        rest = insert(conn, readings, windows)
    assert len(first) == 7 and len(rest) == 16
    with any_engine.connect() as conn:
        stored = dict(conn.execute(sa.select(SensorReading.id, SensorReading.value)).all())
    assert sorted(stored) == sorted(first + rest)
    assert sorted(stored.values()) == [float(i) for i in range(23)]
    # Inserted again, as a lost acknowledgement would: nothing new, no ids.
    with any_engine.begin() as conn:
        assert insert(conn, readings, windows) == []
