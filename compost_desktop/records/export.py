"""CSV and XLSX exports of cycles, inputs and sensor readings for spreadsheets and inspectors.

Rows are streamed from the database (server-side cursor on PostgreSQL, a plain cursor on
SQLite) in batches that both formats share, and written to a temporary file beside the
target, which is renamed into place only when complete: a failed or cancelled export never
leaves a half file. Headers carry their unit, and times are UTC in both formats:

* CSV: ISO 8601 text (``2026-05-01T06:30:00Z``), dates ``YYYY-MM-DD``.
* XLSX (openpyxl's write-only workbook, so rows go to disk as they come): typed cells, so
  numbers are numbers and times and dates are Excel dates. Excel has no time zones: times
  are written as UTC wall-clock values, which the ``_utc`` headers say. Bold, frozen header
  row; beyond Excel's 1,048,576 rows a sheet continues on the next one.

The date range is inclusive and read in UTC: ``start``..``end`` covers
``start 00:00 UTC`` up to, not including, ``end + 1 day 00:00 UTC``.
"""

from __future__ import annotations

import contextlib
import csv
import re
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Engine, case, func, select
from sqlalchemy.engine import Connection

from compost_desktop.db.engine import make_engine
from compost_desktop.db.models import Cycle, Input, Material, SensorReading
from compost_desktop.records.files import replaced_when_done

KINDS = ("cycles", "inputs", "readings")
FORMATS = ("csv", "xlsx")
BATCH = 5000
XLSX_MAX_ROWS = 1_048_576  # Excel's limit per sheet, header included

Progress = Callable[[int, int], None]  # (rows written, rows in total)


class ExportError(RuntimeError):
    """The export could not be made; the message says why."""


class ExportCancelled(ExportError):
    def __init__(self) -> None:
        super().__init__("Export cancelled; no file was written.")


CYCLE_COLUMNS = (
    "cycle_id",
    "cycle_name",
    "status",
    "start_date",
    "projected_end_date",
    "activated_at_utc",
    "completed_at_utc",
    "green_waste_kg",
    "brown_waste_kg",
    "total_volume_l",
    "initial_volume_l",
    "current_volume_l",
    "capacity_l",
    "cn_ratio",
    "notes",
    "created_at_utc",
    "updated_at_utc",
)
INPUT_COLUMNS = (
    "input_id",
    "cycle_id",
    "cycle_name",
    "added_at_utc",
    "material_name",
    "material_type",
    "amount_kg",
    "volume_l",
    "cn_ratio",
    "nitrogen_pct",
    "moisture_pct",
    "density_kg_per_l",
    "notes",
)
READING_COLUMNS = (
    "reading_id",
    "cycle_id",
    "cycle_name",
    "device_id",
    "quantity",
    "value",
    "measured_at_utc",
    "received_at_utc",
    "source",
    "notes",
)
COLUMNS: dict[str, tuple[str, ...]] = {
    "cycles": CYCLE_COLUMNS,
    "inputs": INPUT_COLUMNS,
    "readings": READING_COLUMNS,
}


def cycle_label(cycle_id: int | None, name: str | None) -> str:
    """The name screens show: the cycle's own, else ``Cycle #id``; empty with no cycle."""
    if cycle_id is None:
        return ""
    return name or f"Cycle #{cycle_id}"


# Control characters XML 1.0 cannot hold; openpyxl refuses them rather than dropping them.
_ILLEGAL_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        text = value.astimezone(UTC).replace(tzinfo=None).isoformat()
        return f"{text}Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _time_range(column: Any, start: date | None, end: date | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if start is not None:
        where.append(column >= datetime.combine(start, time(), UTC))
    if end is not None and end < date.max:  # up to the last day there is: no upper bound
        where.append(column < datetime.combine(end + timedelta(days=1), time(), UTC))
    return where


def _mixed_with(stored: Any, library: Any) -> Any:
    """A delivery's stored value; the library's only for rows written without stored values."""
    return case((Input.value_overrides.is_(None), func.coalesce(stored, library)), else_=stored)


def _query(
    kind: str, start: date | None, end: date | None, cycle_id: int | None
) -> tuple[Any, Callable[[Sequence[Any]], list[Any]]]:
    stmt: Any
    if kind == "cycles":
        stmt = select(
            Cycle.id,
            Cycle.name,
            Cycle.status,
            Cycle.start_date,
            Cycle.projected_end_date,
            Cycle.activated_at,
            Cycle.completed_at,
            Cycle.green_waste_kg,
            Cycle.brown_waste_kg,
            Cycle.total_volume_liters,
            Cycle.initial_volume_liters,
            Cycle.current_volume_liters,
            Cycle.capacity_liters,
            Cycle.cn_ratio,
            Cycle.notes,
            Cycle.created_at,
            Cycle.updated_at,
        )
        if start is not None:
            stmt = stmt.where(Cycle.start_date >= start)
        if end is not None:
            stmt = stmt.where(Cycle.start_date <= end)
        if cycle_id is not None:
            stmt = stmt.where(Cycle.id == cycle_id)
        stmt = stmt.order_by(Cycle.start_date, Cycle.id)

        def cycle_row(r: Sequence[Any]) -> list[Any]:
            return [r[0], cycle_label(r[0], r[1]), *r[2:]]

        return stmt, cycle_row
    if kind == "inputs":
        stmt = (
            select(
                Input.id,
                Input.cycle_id,
                Cycle.name,
                Input.added_at,
                func.coalesce(Input.material_name, Material.name),
                Input.kind,
                Input.mass_kg,
                Input.volume_l,
                # The values the delivery was mixed with (services.totals.mixed_with).
                _mixed_with(Input.cn_override, Material.cn_ratio),
                _mixed_with(Input.nitrogen_pct_override, Material.nitrogen_pct),
                _mixed_with(Input.moisture_pct_override, Material.moisture_pct),
                _mixed_with(Input.density_kg_per_l, Material.density_kg_per_l),
                Input.notes,
            )
            .outerjoin(Cycle, Cycle.id == Input.cycle_id)
            .outerjoin(Material, Material.id == Input.material_id)
            .where(*_time_range(Input.added_at, start, end))
        )
        if cycle_id is not None:
            stmt = stmt.where(Input.cycle_id == cycle_id)
        stmt = stmt.order_by(Input.added_at, Input.id)
    elif kind == "readings":
        stmt = (
            select(
                SensorReading.id,
                SensorReading.cycle_id,
                Cycle.name,
                SensorReading.device_id,
                SensorReading.quantity,
                SensorReading.value,
                SensorReading.measured_at,
                SensorReading.received_at,
                SensorReading.source,
                SensorReading.notes,
            )
            .outerjoin(Cycle, Cycle.id == SensorReading.cycle_id)
            .where(*_time_range(SensorReading.measured_at, start, end))
        )
        if cycle_id is not None:
            stmt = stmt.where(SensorReading.cycle_id == cycle_id)
        stmt = stmt.order_by(SensorReading.measured_at, SensorReading.id)
    else:
        raise ExportError(f"Unknown export '{kind}'; choose one of {', '.join(KINDS)}.")

    def with_cycle(r: Sequence[Any]) -> list[Any]:
        return [r[0], r[1], cycle_label(r[1], r[2]), *r[3:]]

    return stmt, with_cycle


@contextmanager
def _reading(engine: Engine) -> Iterator[Connection]:
    """A connection for one long read that does not hold the writers up.

    The app's SQLite engine begins every transaction IMMEDIATE (the write lock); an export
    of a million readings must not stop the recorder, so SQLite reads go through a plain
    deferred transaction, which in WAL mode is a consistent snapshot.
    """
    if engine.dialect.name != "sqlite":
        with engine.connect() as conn:
            yield conn
        return
    reader = make_engine(engine.url, read_only=True)
    try:
        with reader.connect() as conn:
            yield conn
    finally:
        reader.dispose()


def format_for(path: Path | str, fmt: str | None = None) -> str:
    """The format asked for, else the one the file's suffix names (CSV unless ``.xlsx``)."""
    if fmt is not None:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise ExportError(f"Unknown format '{fmt}'; choose one of {', '.join(FORMATS)}.")
        return fmt
    return "xlsx" if Path(path).suffix.lower() == ".xlsx" else "csv"


def export(
    engine: Engine,
    kind: str,
    out_path: Path,
    start: date | None = None,
    end: date | None = None,
    cycle_id: int | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    fmt: str | None = None,
) -> int:
    """Write `kind` ("cycles", "inputs" or "readings") to `out_path`; returns rows written.

    `fmt` is "csv" or "xlsx"; without it the file's suffix decides (see `format_for`).

    Raises ExportCancelled when `cancel` is set (no file is left) and ExportError for an
    unknown kind or format or a reversed date range.
    """
    if kind not in KINDS:
        raise ExportError(f"Unknown export '{kind}'; choose one of {', '.join(KINDS)}.")
    fmt = format_for(out_path, fmt)
    if start is not None and end is not None and end < start:
        raise ExportError(f"The range ends ({end}) before it starts ({start}).")
    write = _write_xlsx if fmt == "xlsx" else _write_csv
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    with (
        replaced_when_done(Path(out_path)) as tmp,
        contextlib.closing(_batches(engine, kind, start, end, cycle_id, progress, cancel)) as rows,
    ):
        written = write(tmp, kind, rows)
        if cancel is not None and cancel.is_set():
            raise ExportCancelled()
    return written


def _batches(
    engine: Engine,
    kind: str,
    start: date | None,
    end: date | None,
    cycle_id: int | None,
    progress: Progress | None,
    cancel: threading.Event | None,
) -> Generator[list[list[Any]], None, None]:
    """Rows as plain Python values, a batch at a time; progress counts what the writer took.

    The one place the rows come from, whatever the file format.
    """
    stmt, shape = _query(kind, start, end, cycle_id)
    with _reading(engine) as conn, conn.begin():
        total = 0
        if progress is not None:
            total = conn.scalar(select(func.count()).select_from(stmt.subquery())) or 0
            progress(0, total)
        result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(stmt)
        done = 0
        for rows in result.partitions():
            if cancel is not None and cancel.is_set():
                raise ExportCancelled()
            yield [shape(row) for row in rows]
            done += len(rows)
            if progress is not None:
                progress(done, max(total, done))


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV
# Injection"): a device id like =HYPERLINK(...) would, and anyone on the broker picks one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value: Any) -> str:
    """A cell for CSV; text that a spreadsheet would run as a formula is quoted with '.

    Only text is touched: numbers (a negative reading) and dates stay as they are.
    """
    text = _cell(value)
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _write_csv(path: Path, kind: str, batches: Iterable[list[list[Any]]]) -> int:
    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS[kind])
        for rows in batches:
            writer.writerows([_csv_text(v) for v in row] for row in rows)
            written += len(rows)
    return written


# Column widths in characters, by what the column holds; the header's length otherwise.
_WIDTHS = {"_utc": 20, "_date": 12, "name": 24, "notes": 40, "device_id": 16}


def _width(column: str) -> float:
    for ending, width in _WIDTHS.items():
        if column.endswith(ending):
            return width
    return max(len(column) + 2, 10)


def _write_xlsx(path: Path, kind: str, batches: Iterable[list[list[Any]]]) -> int:
    # Imported here: only exports need it, and the app should start without loading it.
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    columns = COLUMNS[kind]
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    sheets: list[Any] = []  # openpyxl's WriteOnlyWorksheet

    def new_sheet() -> Any:
        title = kind if not sheets else f"{kind} ({len(sheets) + 1})"
        sheet = book.create_sheet(title)
        sheets.append(sheet)
        sheet.freeze_panes = "A2"
        for i, name in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = _width(name)
        header = []
        for name in columns:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        return sheet

    def text(sheet: Any, value: str) -> Any:
        value = _ILLEGAL_IN_XLSX.sub("\ufffd", value)
        if value.startswith("="):
            # openpyxl would store it as a formula: a name like "=1+1" must stay text.
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            return cell
        return value

    def typed(sheet: Any, value: Any) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None)
        if isinstance(value, Decimal):
            return float(value)
        if isinstance(value, str):
            return text(sheet, value)
        return value

    written = 0
    try:
        sheet = new_sheet()
        in_sheet = 1
        for rows in batches:
            for row in rows:
                if in_sheet >= XLSX_MAX_ROWS:
                    sheet = new_sheet()
                    in_sheet = 1
                sheet.append([typed(sheet, v) for v in row])
                in_sheet += 1
            written += len(rows)
        book.save(path)
    finally:
        _discard_sheet_files(sheets)
    return written


def _discard_sheet_files(sheets: Sequence[Any]) -> None:
    """openpyxl streams each sheet to its own temporary file; an abandoned workbook leaves
    them behind until the app exits, so close and remove them now."""
    for sheet in sheets:
        writer = getattr(sheet, "_writer", None)
        if writer is None:
            continue
        with contextlib.suppress(Exception):
            if not sheet.closed:
                sheet.close()
        with contextlib.suppress(Exception):
            writer.cleanup()
