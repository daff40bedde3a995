"""CSV exports of cycles, inputs and sensor readings for spreadsheets and inspectors.

Rows are streamed from the database (server-side cursor on PostgreSQL, a plain cursor on
SQLite) and written to a temporary file beside the target, which is renamed into place only
when complete: a failed or cancelled export never leaves a half file. Times are UTC in
ISO 8601 (``2026-05-01T06:30:00Z``), dates are ``YYYY-MM-DD``; headers carry their unit.
The date range is inclusive and read in UTC: ``start``..``end`` covers
``start 00:00 UTC`` up to, not including, ``end + 1 day 00:00 UTC``.
"""

from __future__ import annotations

import csv
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Engine, create_engine, event, func, select
from sqlalchemy.engine import Connection

from compost_desktop.db.models import Cycle, Input, Material, SensorReading

KINDS = ("cycles", "inputs", "readings")
BATCH = 5000

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
    if end is not None:
        where.append(column < datetime.combine(end + timedelta(days=1), time(), UTC))
    return where


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
                Input.cn_override,
                Input.nitrogen_pct_override,
                Input.moisture_pct_override,
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
    reader = create_engine(engine.url)

    @event.listens_for(reader, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA busy_timeout=15000")

    @event.listens_for(reader, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    try:
        with reader.connect() as conn:
            yield conn
    finally:
        reader.dispose()


def export_csv(
    engine: Engine,
    kind: str,
    out_path: Path,
    start: date | None = None,
    end: date | None = None,
    cycle_id: int | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> int:
    """Write `kind` ("cycles", "inputs" or "readings") to `out_path`; returns rows written.

    Raises ExportCancelled when `cancel` is set (no file is left) and ExportError for an
    unknown kind or a reversed date range.
    """
    if kind not in KINDS:
        raise ExportError(f"Unknown export '{kind}'; choose one of {', '.join(KINDS)}.")
    if start is not None and end is not None and end < start:
        raise ExportError(f"The range ends ({end}) before it starts ({start}).")
    stmt, shape = _query(kind, start, end, cycle_id)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{out_path.name}.", suffix=".part", dir=out_path.parent
    )
    tmp = Path(tmp_name)
    written = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS[kind])
            with _reading(engine) as conn, conn.begin():
                total = 0
                if progress is not None:
                    total = conn.scalar(select(func.count()).select_from(stmt.subquery())) or 0
                    progress(0, total)
                result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(stmt)
                for rows in result.partitions():
                    if cancel is not None and cancel.is_set():
                        raise ExportCancelled()
                    writer.writerows([_cell(v) for v in shape(row)] for row in rows)
                    written += len(rows)
                    if progress is not None:
                        progress(written, max(total, written))
            if cancel is not None and cancel.is_set():
                raise ExportCancelled()
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, out_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return written
