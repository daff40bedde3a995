from __future__ import annotations

import csv
import os
import tempfile
import threading
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]  # no py.typed, no stubs
from sqlalchemy import Engine, insert

from compost_desktop import cli
from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.db.models import SensorReading
from compost_desktop.records import export as export_module
from compost_desktop.records.export import (
    CYCLE_COLUMNS,
    INPUT_COLUMNS,
    READING_COLUMNS,
    ExportCancelled,
    export,
)
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft, InputDraft


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

    assert export(engine, "cycles", tmp_path / "c.csv", start, end) == 1
    (cycle,) = read(tmp_path / "c.csv")
    assert tuple(cycle) == CYCLE_COLUMNS
    assert cycle["cycle_name"] == "Pile 6"
    assert cycle["start_date"] == "2026-06-01"
    assert cycle["cycle_id"] == str(ids["Pile 6"])

    assert export(engine, "inputs", tmp_path / "i.csv", start, end) == 1
    (row,) = read(tmp_path / "i.csv")
    assert tuple(row) == INPUT_COLUMNS
    assert row["cycle_name"] == "Pile 6"
    assert row["added_at_utc"] == "2026-06-02T08:30:00Z"
    assert float(row["amount_kg"]) == pytest.approx(106.5)
    assert row["material_name"]

    assert export(engine, "readings", tmp_path / "r.csv", start, end) == 2
    readings = read(tmp_path / "r.csv")
    assert tuple(readings[0]) == READING_COLUMNS
    assert [r["measured_at_utc"] for r in readings] == [
        "2026-06-01T12:00:00Z",
        "2026-06-15T12:00:00Z",
    ]
    assert {r["cycle_name"] for r in readings} == {"Pile 6"}
    assert readings[1]["value"] == "55.0"

    # Open ends, and one cycle only.
    assert export(engine, "readings", tmp_path / "all.csv", None, None) == 6
    assert export(engine, "readings", tmp_path / "from.csv", date(2026, 6, 15), None) == 3
    one = tmp_path / "one.csv"
    assert export(engine, "inputs", one, None, None, cycle_id=ids["Pile 7"]) == 1
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
    written = export(engine, "readings", out, None, None, progress=lambda d, t: seen.append((d, t)))
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
        export(engine, "readings", out, None, None, progress=progress, cancel=cancel)
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

        export(engine, "cycles", out, None, None, progress=boom)
    assert out.read_text() == "previous\n"
    assert list(tmp_path.glob("*.part")) == []
    engine.dispose()


@pytest.mark.parametrize("name", ["cycles.csv", "cycles.xlsx"])
def test_an_export_gets_the_permissions_of_any_new_document(
    sqlite_url: str, tmp_path: Path, name: str
) -> None:
    """Others on a shared farm PC can open it: not the owner-only mode of a temp file."""
    engine = make_db(sqlite_url)
    populate(engine)
    before = os.umask(0o022)
    try:
        export(engine, "cycles", tmp_path / name)
    finally:
        os.umask(before)
    assert (tmp_path / name).stat().st_mode & 0o777 == 0o644
    engine.dispose()


# --- XLSX ---------------------------------------------------------------------------------


def sheet_rows(path: Path, sheet: str | None = None) -> list[tuple[Any, ...]]:
    book = load_workbook(BytesIO(path.read_bytes()), read_only=True)  # any file name
    try:
        rows = [tuple(row) for row in book[sheet or book.sheetnames[0]].iter_rows(values_only=True)]
    finally:
        book.close()
    width = len(rows[0])  # the streaming reader stops a row at its last filled cell
    return [row + (None,) * (width - len(row)) for row in rows]


def _manual_reading(engine: Engine, cycle_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(SensorReading),
            [
                {
                    "batch_id": cycle_id,
                    "device_id": "hand probe",
                    "quantity": "temperature",
                    "value": 61.25,
                    "measured_at": datetime(2026, 6, 20, 9, 15, tzinfo=UTC),
                    "received_at": datetime(2026, 6, 20, 9, 16, tzinfo=UTC),
                    "source": "manual",
                    "notes": "=north side, 1 m deep\x01",
                }
            ],
        )


def test_readings_to_xlsx_are_typed_cells(any_url: str, tmp_path: Path) -> None:
    engine = make_db(any_url)
    ids = populate(engine)
    _manual_reading(engine, ids["Pile 6"])
    out = tmp_path / "readings.xlsx"
    assert export(engine, "readings", out, date(2026, 6, 1), date(2026, 6, 30)) == 3

    header, *rows = sheet_rows(out)
    assert header == READING_COLUMNS
    col = {name: i for i, name in enumerate(header)}
    assert [r[col["measured_at_utc"]] for r in rows] == [
        datetime(2026, 6, 1, 12),  # UTC wall-clock time, as Excel has no zones
        datetime(2026, 6, 15, 12),
        datetime(2026, 6, 20, 9, 15),
    ]
    first, _, manual = rows
    assert first[col["value"]] == 41.0 and isinstance(first[col["value"]], int | float)
    assert isinstance(first[col["reading_id"]], int)
    assert first[col["cycle_id"]] == ids["Pile 6"]
    assert first[col["cycle_name"]] == "Pile 6"
    assert first[col["source"]] == "mqtt"
    assert first[col["notes"]] is None
    assert manual[col["source"]] == "manual"
    assert manual[col["value"]] == 61.25
    # Text that looks like a formula stays text; a control character XML cannot hold is replaced.
    assert manual[col["notes"]] == "=north side, 1 m deep\ufffd"

    book = load_workbook(out)  # the full reader, for styles
    sheet = book.active
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.cell(2, col["measured_at_utc"] + 1).is_date
    assert sheet.column_dimensions["G"].width == 20  # measured_at_utc
    book.close()
    engine.dispose()


def test_cycles_and_inputs_to_xlsx_keep_dates_and_numbers(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_db(sqlite_url)
    populate(engine)
    assert export(engine, "cycles", tmp_path / "c.xlsx") == 3
    header, *cycles = sheet_rows(tmp_path / "c.xlsx")
    assert header == CYCLE_COLUMNS
    start = header.index("start_date")
    assert [c[start] for c in cycles] == [datetime(2026, m, 1) for m in (5, 6, 7)]
    book = load_workbook(tmp_path / "c.xlsx")
    assert book.active.cell(2, start + 1).number_format == "yyyy-mm-dd"
    book.close()

    assert export(engine, "inputs", tmp_path / "i.xlsx", date(2026, 7, 1), None) == 1
    header, row = sheet_rows(tmp_path / "i.xlsx")
    assert header == INPUT_COLUMNS
    assert row[header.index("amount_kg")] == pytest.approx(107.5)
    assert row[header.index("added_at_utc")] == datetime(2026, 7, 2, 8, 30)
    engine.dispose()


def test_xlsx_continues_on_a_new_sheet_past_the_row_limit(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_db(sqlite_url)
    populate(engine)
    monkeypatch.setattr(export_module, "XLSX_MAX_ROWS", 4)  # header + 3 rows per sheet
    out = tmp_path / "r.xlsx"
    assert export(engine, "readings", out) == 6
    book = load_workbook(out, read_only=True)
    assert book.sheetnames == ["readings", "readings (2)"]
    book.close()
    first, second = sheet_rows(out, "readings"), sheet_rows(out, "readings (2)")
    assert first[0] == second[0] == READING_COLUMNS
    times = [r[READING_COLUMNS.index("measured_at_utc")] for r in first[1:] + second[1:]]
    assert len(times) == 6 and times == sorted(times)
    engine.dispose()


def test_xlsx_cancel_leaves_no_file_and_no_scratch_files(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_db(sqlite_url)
    _many_readings(engine, 2000)
    monkeypatch.setattr(export_module, "BATCH", 500)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where openpyxl streams sheets
    cancel = threading.Event()
    out = tmp_path / "out" / "readings.xlsx"

    def progress(done: int, _total: int) -> None:
        if done >= 500:
            assert list(scratch.iterdir())  # the sheet is being streamed to disk
            cancel.set()

    with pytest.raises(ExportCancelled):
        export(engine, "readings", out, progress=progress, cancel=cancel)
    assert list(out.parent.iterdir()) == []
    assert list(scratch.iterdir()) == []
    engine.dispose()


def test_export_command_writes_xlsx_by_suffix_or_flag(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_db(sqlite_url)
    populate(engine)
    engine.dispose()
    by_suffix = tmp_path / "r.XLSX"
    assert cli.main(["export", "readings", "--database", sqlite_url, "--out", str(by_suffix)]) == 0
    assert len(sheet_rows(by_suffix)) == 7
    flagged = tmp_path / "cycles-for-excel"
    args = ["export", "cycles", "--database", sqlite_url, "--out", str(flagged)]
    assert cli.main([*args, "--format", "xlsx"]) == 0
    assert sheet_rows(flagged)[0] == CYCLE_COLUMNS
    assert cli.main([*args[:-1], str(tmp_path / "c.csv")]) == 0
    assert (tmp_path / "c.csv").read_text().startswith("cycle_id,")
    assert "3 cycles written" in capsys.readouterr().out


HOSTILE = {
    '=HYPERLINK("http://evil.example","click")': '\'=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0": "'-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0": "'@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1": "'\t=1+1",
    "\r=1+1": "'\r=1+1",
    "node-1": "node-1",  # ordinary ids stay as they are
}


def test_csv_neutralises_formulas_in_text_but_not_in_numbers(
    sqlite_url: str, tmp_path: Path
) -> None:
    """OWASP's CSV-injection advice: a ' before text a spreadsheet would run as a formula."""
    engine = make_db(sqlite_url)
    store = Store(engine)
    cycle = store.save_cycle(
        CycleDraft(name="=cmd|' /C calc'!A0", start_date=date(2026, 6, 1), notes="@notes")
    )
    at = datetime(2026, 6, 2, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(SensorReading),
            [
                {
                    "batch_id": cycle.id,
                    "device_id": device,
                    "quantity": "temperature",
                    "value": -4.5,  # a negative number is a number, not a formula
                    "measured_at": at + timedelta(minutes=i),
                    "received_at": at + timedelta(minutes=i),
                    "source": "mqtt",
                }
                for i, device in enumerate(HOSTILE)
            ],
        )
    out = tmp_path / "r.csv"
    assert export(engine, "readings", out) == len(HOSTILE)
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["device_id"] for r in rows] == list(HOSTILE.values())
    assert {r["value"] for r in rows} == {"-4.5"}
    assert {r["cycle_name"] for r in rows} == {"'=cmd|' /C calc'!A0"}
    cycles = tmp_path / "c.csv"
    export(engine, "cycles", cycles)
    with cycles.open(newline="", encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["cycle_name"] == "'=cmd|' /C calc'!A0" and row["notes"] == "'@notes"
    book = tmp_path / "r.xlsx"  # XLSX keeps the text as it is, as text cells
    export(engine, "readings", book)
    sheet = load_workbook(book, read_only=True)["readings"]
    ids = [r[3] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert ids[0] == next(iter(HOSTILE))
    engine.dispose()
