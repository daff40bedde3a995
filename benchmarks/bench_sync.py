"""Sync against a throwaway PostgreSQL, each figure with its baseline from the same run.

1. 10,000 offline changes (1,000 cycles, 9,000 inputs) pushed by one PC (goal >= 5,000 rows/s)
   against psycopg executemany of the same rows into scratch copies of the tables.
2. A second PC's first sync pulls those rows (goal >= 10,000 rows/s).
3. 1,000,000 readings recorded on the server reach a new PC (goal >= 50,000 readings/s),
   drained by the app's SyncService thread while a 10 ms timer probes the GUI event loop
   (goal p99 <= 50 ms; the same probe with no sync running is the baseline). Baseline for
   the rate: COPY of the same readings out of PostgreSQL into a plain SQLite table.

Statement counts and the time inside database calls come from SQLAlchemy cursor events
(the readings' COPY and executemany run on the driver and are not counted there).
"""

from __future__ import annotations

import gc
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CYCLES = 1_000
INPUTS_PER_CYCLE = 9  # 1,000 cycles + 9,000 inputs = 10,000 rows to push
READINGS = int(os.environ.get("BENCH_SYNC_READINGS", "1000000"))
IDLE_S = 3.0
PROBE_MS = 10
DRAIN_TIMEOUT_S = 600.0
DEVICES = [f"node-{i}" for i in range(1, 9)]
QUANTITIES = ("temperature", "moisture", "humidity")
COPY_COLUMNS = (
    "batch_id",
    "device_id",
    "quantity",
    "value",
    "measured_at",
    "received_at",
    "source",
)
COUNT_ROWS = (
    "SELECT (SELECT count(*) FROM compost_batch) + (SELECT count(*) FROM cycle_waste_input)"
)


# --- measuring ----------------------------------------------------------------------------


@dataclass
class Tally:
    """Statements run on an engine and the time spent inside them (driver + round trip)."""

    statements: int = 0
    seconds: float = 0.0
    _listeners: list[tuple[str, Callable[..., None]]] = field(default_factory=list)

    def attach(self, engine: Any) -> Tally:
        from sqlalchemy import event

        def before(conn: Any, *_args: Any) -> None:
            conn.info["bench_t0"] = time.perf_counter()

        def after(conn: Any, *_args: Any) -> None:
            self.statements += 1
            self.seconds += time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())

        for name, fn in (("before_cursor_execute", before), ("after_cursor_execute", after)):
            event.listen(engine, name, fn)
            self._listeners.append((name, fn))
        self._engine = engine
        return self

    def detach(self) -> None:
        from sqlalchemy import event

        for name, fn in self._listeners:
            event.remove(self._engine, name, fn)
        self._listeners.clear()


class GcWatch:
    """Full (generation 2) collections and how long each held the GIL, on any thread."""

    def __init__(self) -> None:
        self.full: list[float] = []
        self._t0 = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        elif info["generation"] == 2:
            self.full.append((time.perf_counter() - self._t0) * 1000)

    def __enter__(self) -> GcWatch:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *_exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def summary(self) -> str:
        if not self.full:
            return "no full GC passes"
        return (
            f"{len(self.full)} full GC passes, median {_pct(self.full, 0.5):.0f} ms, "
            f"longest {max(self.full):.0f} ms"
        )


def _time_phases(sync: Any) -> dict[str, float]:
    """Wrap the engine's stages (on this instance only) to time each one."""
    phases: dict[str, float] = {}
    for name in ("_initial_pull", "_push", "_pull"):
        inner = getattr(sync, name)

        def timed(*args: Any, _inner: Any = inner, _name: str = name) -> Any:
            t0 = time.perf_counter()
            try:
                return _inner(*args)
            finally:
                phases[_name] = phases.get(_name, 0.0) + time.perf_counter() - t0

        setattr(sync, name, timed)
    return phases


def _versus(rate: float, baseline: float) -> str:
    """'2.1x faster than' or '1.3x slower than', so a ratio below one never reads 'slower'."""
    if rate >= baseline:
        return f"{rate / baseline:.1f}x faster than"
    return f"{baseline / rate:.1f}x slower than"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _lat(values: list[float]) -> str:
    return (
        f"p50 {_pct(values, 0.5):6.2f} ms  p99 {_pct(values, 0.99):6.2f} ms  "
        f"max {max(values, default=float('nan')):7.2f} ms  ({len(values)} probes)"
    )


# --- stores -------------------------------------------------------------------------------


@dataclass
class Pc:
    engine: Any
    store: Any
    sync: Any


def _pc(directory: str, name: str, server: Any) -> Pc:
    from compost_desktop.db import migrate
    from compost_desktop.db.engine import make_engine, resolve_url
    from compost_desktop.services.store import Store
    from compost_desktop.sync.engine import SyncEngine

    url = resolve_url(f"sqlite:///{Path(directory) / f'{name}.db'}")
    migrate.upgrade(url)
    engine = make_engine(url)
    return Pc(engine, Store(engine), SyncEngine(engine, server, client_id=name))


def _scalar(engine: Any, sql: str) -> Any:
    from sqlalchemy import text

    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()


# --- part 1: 10,000 offline changes -------------------------------------------------------


def _make_changes(pc: Pc) -> float:
    from compost_desktop.services.values import CycleDraft, InputDraft

    materials = pc.store.materials()[:INPUTS_PER_CYCLE]
    t0 = time.perf_counter()
    for i in range(CYCLES):
        start = date(2024, 1, 1) + timedelta(days=i)
        cycle = pc.store.save_cycle(
            CycleDraft(
                f"Bay {i % 12 + 1} – batch {i}",
                start,
                start + timedelta(days=84),
                "north fence" if i % 17 == 0 else None,
                12_000.0,
                float(4000 + i % 7000),
            )
        )
        for k in range(INPUTS_PER_CYCLE):
            m = materials[k % len(materials)]
            added = datetime(2024, 1, 1, 8, tzinfo=UTC) + timedelta(days=i, minutes=10 * k)
            pc.store.add_input(
                cycle.id, InputDraft(m.id, mass_kg=20.0 + (i * 7 + k * 13) % 880, added_at=added)
            )
    return time.perf_counter() - t0


def _raw_insert_baseline(pg: Any, dbname: str, pc: Pc) -> tuple[float, float, int]:
    """The same rows into scratch copies of the two tables (same columns, indexes and checks;
    no triggers, no foreign keys), with psycopg executemany in one transaction; and again with
    one INSERT and round trip per row."""
    from psycopg import sql
    from sqlalchemy import select

    from compost_desktop.db.models import Cycle, Input

    tables = [Cycle.__table__, Input.__table__]
    data = []
    with pc.engine.connect() as conn:
        for table in tables:
            rows = [tuple(r) for r in conn.execute(select(table).order_by(table.c.id))]
            data.append((table, rows))
    n = sum(len(rows) for _, rows in data)

    def run(prefix: str, many: bool) -> float:
        with pg.connect(dbname, autocommit=False) as conn:
            statements = []
            for table, _rows in data:
                scratch = sql.Identifier(f"{prefix}_{table.name}")
                conn.execute(
                    sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(
                        scratch, sql.Identifier(table.name)
                    )
                )
                statements.append(
                    sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                        scratch,
                        sql.SQL(", ").join(sql.Identifier(c.name) for c in table.columns),
                        sql.SQL(", ").join(sql.Placeholder() * len(table.columns)),
                    )
                )
            conn.commit()
            t0 = time.perf_counter()
            with conn.cursor() as cur:
                for stmt, (_table, rows) in zip(statements, data, strict=True):
                    if many:
                        cur.executemany(stmt, rows)
                    else:
                        for row in rows:
                            cur.execute(stmt, row)
            conn.commit()
            return time.perf_counter() - t0

    return run("bench_many", True), run("bench_each", False), n


def _set_based_read(server: Any) -> tuple[float, int]:
    """What reading the same rows for a push or a first pull costs set-based: one SELECT per
    table, parents' uuids joined in (the engine reads each row, and each parent, apart)."""
    from sqlalchemy import text

    queries = (
        "SELECT * FROM compost_batch",
        "SELECT i.*, b.uuid AS batch_uuid, m.uuid AS material_uuid FROM cycle_waste_input i "
        "LEFT JOIN compost_batch b ON b.id = i.batch_id "
        "LEFT JOIN compost_materials m ON m.id = i.material_id",
    )
    with server.connect() as conn:
        t0 = time.perf_counter()
        n = sum(len(conn.execute(text(q)).mappings().all()) for q in queries)
        return time.perf_counter() - t0, n


def _changes(pg: Any, dbname: str, server: Any, directory: str) -> Pc:
    a = _pc(directory, "pc-a", server)
    a.sync.sync()  # first contact: seeded materials adopted, pulled_seq set
    made = _make_changes(a)
    outbox = _scalar(a.engine, "SELECT count(*) FROM sync_outbox")
    distinct = _scalar(a.engine, "SELECT count(DISTINCT uuid) FROM sync_outbox")
    print(
        f"offline changes made through Store: {CYCLES:,} cycles x {INPUTS_PER_CYCLE} inputs "
        f"in {made:.1f} s (not in the timings below); outbox {outbox:,} entries for "
        f"{distinct:,} rows (each input also updates its cycle's totals)"
    )

    local, remote = Tally().attach(a.engine), Tally().attach(server)
    phases = _time_phases(a.sync)
    t0 = time.perf_counter()
    report = a.sync.sync()
    push_s = time.perf_counter() - t0
    local.detach()
    remote.detach()
    server_rows = _scalar(server, COUNT_ROWS)
    log_rows = _scalar(server, "SELECT count(*) FROM sync_log")
    assert report.pushed == distinct and server_rows == distinct, (report, server_rows)
    push_rate = report.pushed / push_s
    print(
        f"push: {report.pushed:,} rows in {push_s:.2f} s = {push_rate:,.0f} rows/s "
        f"(already {report.already}, conflicts {report.conflicts}, pulled back {report.pulled:,}, "
        f"waiting after {report.waiting})"
    )
    print(
        "  stages: "
        + ", ".join(f"{k.strip('_')} {v:.2f} s" for k, v in phases.items())
        + f"; server sync_log now {log_rows:,} entries for {server_rows:,} rows"
    )
    print(
        f"  statements: server {remote.statements:,} ({remote.statements / report.pushed:.1f}/row,"
        f" {remote.seconds:.2f} s inside them), local {local.statements:,} "
        f"({local.statements / report.pushed:.1f}/row, {local.seconds:.2f} s); the rest, "
        f"{push_s - remote.seconds - local.seconds:.2f} s, is Python and the driver-level COPY, "
        "executemany and set-based statements these events do not see"
    )

    b = _pc(directory, "pc-b", server)
    local, remote = Tally().attach(b.engine), Tally().attach(server)
    phases = _time_phases(b.sync)
    t0 = time.perf_counter()
    pulled = b.sync.sync()
    pull_s = time.perf_counter() - t0
    local.detach()
    remote.detach()
    b_rows = _scalar(b.engine, COUNT_ROWS)
    assert b_rows == distinct, b_rows
    pull_rate = pulled.pulled / pull_s
    print(
        f"second PC's first sync: pulled {pulled.pulled:,} rows ({b_rows:,} cycles+inputs, the "
        f"rest materials) in {pull_s:.2f} s = {pull_rate:,.0f} rows/s"
    )
    print(
        "  stages: "
        + ", ".join(f"{k.strip('_')} {v:.2f} s" for k, v in phases.items())
        + f"; statements: server {remote.statements:,} ({remote.seconds:.2f} s), "
        f"local {local.statements:,} ({local.seconds:.2f} s)"
    )

    read_s, read_n = _set_based_read(server)
    print(
        f"  set-based read of the same {read_n:,} rows with parent uuids joined: "
        f"{read_s:.3f} s (2 statements)"
    )

    many_s, each_s, n = _raw_insert_baseline(pg, dbname, a)
    many_rate, each_rate = n / many_s, n / each_s
    print(
        f"baseline, same {n:,} rows, psycopg executemany into scratch tables: {many_s:.3f} s = "
        f"{many_rate:,.0f} rows/s; one INSERT per row: {each_s:.2f} s = {each_rate:,.0f} rows/s"
    )
    print(
        f"ratio: push is {many_rate / push_rate:,.1f}x slower than executemany "
        f"({_versus(push_rate, each_rate)} row-by-row INSERT); "
        f"pull is {many_rate / pull_rate:,.1f}x slower than executemany"
    )
    b.engine.dispose()
    return a


# --- part 3: a million server readings to a new PC -----------------------------------------


def _fill_server(pg: Any, dbname: str, cycle_id: int, n: int) -> float:
    """The recorder's million readings, COPYed straight in (triggers number them)."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    t0 = time.perf_counter()
    with pg.connect(dbname, autocommit=False) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY sensor_reading ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
            for row in _readings(n, cycle_id, start):
                copy.write_row(row)
        conn.commit()
    return time.perf_counter() - t0


def _readings(n: int, batch_id: int | None, start: datetime) -> Iterator[tuple[Any, ...]]:
    per_second = len(DEVICES) * len(QUANTITIES)
    for i in range(n):
        at = start + timedelta(seconds=i // per_second)
        device = DEVICES[i % len(DEVICES)]
        quantity = QUANTITIES[(i // len(DEVICES)) % len(QUANTITIES)]
        yield (batch_id, device, quantity, 40.0 + (i % 997) / 20.0, at, start, "mqtt")


def _copy_baseline(pg: Any, dbname: str, directory: str) -> tuple[float, int]:
    """COPY the same readings out of PostgreSQL into a plain SQLite table (same unique key,
    no triggers, no rollup): the floor for moving them at all."""
    import sqlite3

    path = Path(directory) / "copy-baseline.db"
    local = sqlite3.connect(path, isolation_level=None)
    local.execute("PRAGMA journal_mode=WAL")
    local.execute("PRAGMA synchronous=NORMAL")
    local.execute(
        "CREATE TABLE r (batch_id int, device_id text, quantity text, value real, "
        "measured_at text, received_at text, source text, UNIQUE (device_id, quantity, "
        "measured_at))"
    )
    n = 0
    t0 = time.perf_counter()
    with pg.connect(dbname) as conn, conn.cursor() as cur:
        query = (
            "COPY (SELECT batch_id, device_id, quantity, value, "
            "to_char(measured_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), "
            "to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), source "
            "FROM sensor_reading) TO STDOUT"
        )
        with cur.copy(query) as copy:
            copy.set_types(["int4", "text", "text", "float8", "text", "text", "text"])
            chunk: list[tuple[Any, ...]] = []
            local.execute("BEGIN")
            for row in copy.rows():
                chunk.append(row)
                if len(chunk) == 5000:
                    local.executemany("INSERT INTO r VALUES (?, ?, ?, ?, ?, ?, ?)", chunk)
                    n += len(chunk)
                    chunk = []
            local.executemany("INSERT INTO r VALUES (?, ?, ?, ?, ?, ?, ?)", chunk)
            n += len(chunk)
            local.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    local.close()
    return elapsed, n


def _probe(loop: Any) -> tuple[list[float], Any]:
    """A 10 ms precise timer on the GUI thread; lateness = interval beyond 10 ms."""
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer

    late: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def on_due() -> None:
        now = clock.nsecsElapsed()
        late.append(max(0.0, (now - last[0]) / 1e6 - PROBE_MS))
        last[0] = now

    timer = QTimer(loop)
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(PROBE_MS)
    timer.timeout.connect(on_due)
    return late, timer


def _idle_lateness(seconds: float) -> list[float]:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    late, timer = _probe(loop)
    timer.start()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    timer.stop()
    return late


def _drain_with_service(pc: Pc, server_url: str) -> tuple[Any, float, list[float], int, str]:
    """The app's SyncService runs the round on its own thread and reports with signals."""
    from PySide6.QtCore import QEventLoop, QTimer

    from compost_desktop.gui.context import AppContext
    from compost_desktop.gui.sync_service import SyncService
    from compost_desktop.gui.tasks import ChangeBus, ImmediateRunner
    from compost_desktop.settings import Settings

    bus = ChangeBus()
    ctx = AppContext(Settings(), ImmediateRunner(bus), bus)
    service = SyncService(ctx, pc.engine, server_url)
    service.engine = pc.sync  # already migrated; the round itself is the first contact
    loop = QEventLoop()
    late, timer = _probe(loop)
    result: dict[str, Any] = {}
    progress = [0]
    states: list[str] = []

    def on_synced(report: Any) -> None:
        result["report"] = report
        loop.quit()

    def on_state(text: str, level: str) -> None:
        states.append(text)
        if level == "offline":
            loop.quit()

    def on_progress(_stage: str, _done: int, _total: int) -> None:
        progress[0] += 1

    service.synced.connect(on_synced)
    service.state_changed.connect(on_state)
    service.progressed.connect(on_progress)
    QTimer.singleShot(int(DRAIN_TIMEOUT_S * 1000), loop.quit)
    timer.start()
    t0 = time.perf_counter()
    service.sync_now()
    loop.exec()
    elapsed = time.perf_counter() - t0
    timer.stop()
    service.stop()
    if "report" not in result:
        raise RuntimeError(f"the drain did not finish: {states}")
    return result["report"], elapsed, late, progress[0], states[-1] if states else ""


def _catch_up(pg: Any, dbname: str, server: Any, server_url: str, directory: str) -> None:
    from PySide6.QtWidgets import QApplication
    from sqlalchemy import text

    app = QApplication.instance() or QApplication([])
    with server.begin() as conn:  # the pile the server's recorder has been recording
        conn.execute(text("UPDATE compost_batch SET status = 'completed' WHERE status = 'active'"))
        cycle_id = conn.execute(
            text(
                "INSERT INTO compost_batch (name, start_date, status, activated_at) "
                "VALUES ('Recording pile', '2025-01-01', 'active', '2025-01-01') RETURNING id"
            )
        ).scalar_one()
    filled = _fill_server(pg, dbname, cycle_id, READINGS)
    print(f"server: {READINGS:,} readings COPYed in {filled:.1f} s (not timed below)")
    base_s, base_n = _copy_baseline(pg, dbname, directory)
    base_rate = base_n / base_s
    print(
        f"baseline, COPY out of PostgreSQL into a plain SQLite table: {base_n:,} readings "
        f"in {base_s:.1f} s = {base_rate:,.0f} readings/s"
    )

    pc = _pc(directory, "pc-new", server)
    _idle_lateness(0.5)  # warm-up
    with GcWatch() as idle_gc:
        idle = _idle_lateness(IDLE_S)
    with GcWatch() as drain_gc:
        report, drain_s, busy, signals, state = _drain_with_service(pc, server_url)
    local_n = _scalar(pc.engine, "SELECT count(*) FROM sensor_reading")
    assert local_n >= READINGS, (local_n, report)
    app.processEvents()
    rate = report.readings_pulled / drain_s
    print(
        f"new PC's first sync via SyncService: {report.readings_pulled:,} readings (and "
        f"{report.pulled:,} rows) in {drain_s:.1f} s = {rate:,.0f} readings/s "
        f"({signals} progress signals; status '{state}'); goal >= 50,000/s; "
        f"{base_rate / rate:.1f}x the COPY baseline's time"
    )
    print(f"event loop, no sync (baseline): {_lat(idle)}; {idle_gc.summary()}")
    print(f"event loop, during the catch-up: {_lat(busy)}; {drain_gc.summary()}; goal p99 <= 50 ms")
    pc.engine.dispose()


def main() -> None:
    from compost_desktop.db import migrate
    from compost_desktop.db.engine import make_engine, resolve_url
    from tests.support.servers import PostgresServer

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} at start")
    pg = PostgresServer()
    server: Any = None
    pc: Pc | None = None
    directory = tempfile.TemporaryDirectory(prefix="bench-sync-")
    try:
        pg.start()
        dbname = "bench_sync"
        url = pg.create_database(dbname)
        migrate.upgrade(resolve_url(url))
        server = make_engine(resolve_url(url))
        pc = _changes(pg, dbname, server, directory.name)
        _catch_up(pg, dbname, server, url, directory.name)
    finally:
        for engine in (pc and pc.engine, server):
            if engine is not None:
                engine.dispose()
        pg.stop()
        pg.cleanup()
        directory.cleanup()


if __name__ == "__main__":
    main()
