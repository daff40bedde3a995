from __future__ import annotations

import csv
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.db.models import SensorReading
from compost_desktop.records.export import (
    CYCLE_COLUMNS,
    INPUT_COLUMNS,
    READING_COLUMNS,
    ExportCancelled,
    export_csv,
)
from compost_desktop.services.records import CycleDraft, InputDraft
from compost_desktop.services.store import Store


def make_db(url: str) -> Engine:
    migrate.upgrade(resolve_url(url))
    return make_engine(url)


def populate(engine: Engine) -> dict[str, int]:
    """Three cycles in May, June and July; one input each; readings on the 1st and 15th."""
    store = Store(engine)
    material = store.materials()[0] if store.materials() else None
    assert material is not None, "the migrations ship a materials library"
    ids: dict[str, int] = {}
    for month in (5, 6, 7):
        name = f"Pile {month}"
        cycle = store.save_cycle(CycleDraft(name=name, start_date=date(2026, month, 1)))
        ids[name] = cycle.id
        store.add_input(
            cycle.id,
            InputDraft(
                material_id=material.id,
                mass_kg=100.5 + month,
                added_at=datetime(2026, month, 2, 8, 30, tzinfo=UTC),
            ),
        )
    rows = [
        {
            "batch_id": ids[f"Pile {month}"],
            "device_id": "probe-1",
            "quantity": "temperature",
            "value": 40.0 + day,
            "measured_at": datetime(2026, month, day, 12, tzinfo=UTC),
            "received_at": datetime(2026, month, day, 12, 0, 1, tzinfo=UTC),
        }
        for month in (5, 6, 7)
        for day in (1, 15)
    ]
    with engine.begin() as conn:
        conn.execute(insert(SensorReading), rows)
    return ids


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_cycles_inputs_readings_with_a_date_range(any_url: str, tmp_path: Path) -> None:
    engine = make_db(any_url)
    ids = populate(engine)
    start, end = date(2026, 6, 1), date(2026, 6, 30)

    assert export_csv(engine, "cycles", tmp_path / "c.csv", start, end) == 1
    (cycle,) = read(tmp_path / "c.csv")
    assert tuple(cycle) == CYCLE_COLUMNS
    assert cycle["cycle_name"] == "Pile 6"
    assert cycle["start_date"] == "2026-06-01"
    assert cycle["cycle_id"] == str(ids["Pile 6"])

    assert export_csv(engine, "inputs", tmp_path / "i.csv", start, end) == 1
    (row,) = read(tmp_path / "i.csv")
    assert tuple(row) == INPUT_COLUMNS
    assert row["cycle_name"] == "Pile 6"
    assert row["added_at_utc"] == "2026-06-02T08:30:00Z"
    assert float(row["amount_kg"]) == pytest.approx(106.5)
    assert row["material_name"]

    assert export_csv(engine, "readings", tmp_path / "r.csv", start, end) == 2
    readings = read(tmp_path / "r.csv")
    assert tuple(readings[0]) == READING_COLUMNS
    assert [r["measured_at_utc"] for r in readings] == [
        "2026-06-01T12:00:00Z",
        "2026-06-15T12:00:00Z",
    ]
    assert {r["cycle_name"] for r in readings} == {"Pile 6"}
    assert readings[1]["value"] == "55.0"

    # Open ends, and one cycle only.
    assert export_csv(engine, "readings", tmp_path / "all.csv", None, None) == 6
    assert export_csv(engine, "readings", tmp_path / "from.csv", date(2026, 6, 15), None) == 3
    one = tmp_path / "one.csv"
    assert export_csv(engine, "inputs", one, None, None, cycle_id=ids["Pile 7"]) == 1
    assert read(one)[0]["cycle_name"] == "Pile 7"
    engine.dispose()


def _many_readings(engine: Engine, count: int) -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        {
            "device_id": f"probe-{i % 8}",
            "quantity": "temperature",
            "value": 20.0 + (i % 50),
            "measured_at": base + timedelta(minutes=i // 8),
            "received_at": base + timedelta(minutes=i // 8),
        }
        for i in range(count)
    ]
    with engine.begin() as conn:
        for i in range(0, count, 10_000):
            conn.execute(insert(SensorReading), rows[i : i + 10_000])


def test_fifty_thousand_readings_stream_to_a_complete_file(any_url: str, tmp_path: Path) -> None:
    engine = make_db(any_url)
    _many_readings(engine, 50_000)
    seen: list[tuple[int, int]] = []
    out = tmp_path / "readings.csv"
    written = export_csv(
        engine, "readings", out, None, None, progress=lambda d, t: seen.append((d, t))
    )
    assert written == 50_000
    data = out.read_bytes()
    assert data.endswith(b"\r\n")
    assert data.count(b"\r\n") == 50_001
    assert seen[0] == (0, 50_000) and seen[-1] == (50_000, 50_000)
    assert len(seen) > 5  # written in batches, not at once
    assert [p.name for p in tmp_path.iterdir()] == ["readings.csv"] or not any(
        p.suffix == ".part" for p in tmp_path.iterdir()
    )
    engine.dispose()


def test_cancel_leaves_no_file(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_db(sqlite_url)
    _many_readings(engine, 20_000)
    cancel = threading.Event()
    out = tmp_path / "out" / "readings.csv"

    def progress(done: int, _total: int) -> None:
        if done >= 5000:
            cancel.set()

    with pytest.raises(ExportCancelled):
        export_csv(engine, "readings", out, None, None, progress=progress, cancel=cancel)
    assert list(out.parent.iterdir()) == []
    engine.dispose()


def test_failed_export_keeps_the_previous_file(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_db(sqlite_url)
    populate(engine)
    out = tmp_path / "cycles.csv"
    out.write_text("previous\n")
    with pytest.raises(RuntimeError, match="disk"):

        def boom(_done: int, _total: int) -> None:
            raise RuntimeError("disk full")

        export_csv(engine, "cycles", out, None, None, progress=boom)
    assert out.read_text() == "previous\n"
    assert list(tmp_path.glob("*.part")) == []
    engine.dispose()
