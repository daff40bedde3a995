"""Cycle list with 10,000 cycles: load + model + first paint, and applying a text filter."""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CYCLES = 10_000
INPUTS_PER_CYCLE = 3
FILTER_RUNS = 5


def _fill(url: str) -> None:
    """Bulk SQL: going through Store would recompute totals 30,000 times."""
    from sqlalchemy import insert, select

    from compost_desktop.db.engine import make_engine
    from compost_desktop.db.models import Cycle, Input, Material

    rng = random.Random(42)
    engine = make_engine(url)
    statuses = ["completed"] * 6 + ["archived"] * 3 + ["planning"]
    with engine.begin() as conn:
        materials = conn.execute(select(Material.id, Material.name, Material.kind)).all()
        cycles, inputs = [], []
        now = datetime.now(UTC)
        for i in range(1, CYCLES + 1):
            start = date(2000, 1, 1) + timedelta(days=i)
            status = "active" if i == CYCLES else statuses[i % len(statuses)]
            cycles.append(
                {
                    "id": i,
                    "uuid": str(uuid.uuid4()),
                    "name": f"Bay {i % 12 + 1} – batch {i}",
                    "start_date": start,
                    "projected_end_date": start + timedelta(days=84),
                    "status": status,
                    "capacity_liters": 12000.0,
                    "initial_volume_liters": float(rng.randint(4000, 11000)),
                    "notes": "north fence" if i % 17 == 0 else None,
                }
            )
            green = brown = 0.0
            for _ in range(INPUTS_PER_CYCLE):
                mid, mname, kind = rng.choice(materials)
                kg = float(rng.randint(20, 900))
                green += kg if kind == "green" else 0
                brown += kg if kind == "brown" else 0
                inputs.append(
                    {
                        "uuid": str(uuid.uuid4()),
                        "batch_id": i,
                        "material_id": mid,
                        "material_name": mname,
                        "material_type": kind,
                        "amount_kg": kg,
                        "timestamp": now,
                    }
                )
            cycles[-1]["green_waste_kg"], cycles[-1]["brown_waste_kg"] = green, brown
        conn.execute(insert(Cycle.__table__), cycles)  # column names, as in the old database
        conn.execute(insert(Input.__table__), inputs)
    engine.dispose()


def main() -> None:
    from PySide6.QtWidgets import QApplication

    from compost_desktop.db import migrate
    from compost_desktop.db.engine import make_engine, resolve_url
    from compost_desktop.gui.context import CYCLES as CYCLES_KIND
    from compost_desktop.gui.context import AppContext
    from compost_desktop.gui.cycles.models import cycle_rows
    from compost_desktop.gui.cycles.page import CyclesPage
    from compost_desktop.gui.tasks import ChangeBus, Changes, ImmediateRunner
    from compost_desktop.services.store import Store
    from compost_desktop.settings import Settings

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrate.upgrade(resolve_url(url))
        start = time.perf_counter()
        _fill(url)
        print(
            f"setup: {CYCLES:,} cycles with {CYCLES * INPUTS_PER_CYCLE:,} inputs inserted "
            f"in {time.perf_counter() - start:.1f} s"
        )
        engine = make_engine(url)
        store = Store(engine)
        bus = ChangeBus()
        ctx = AppContext(Settings(), ImmediateRunner(bus), bus)
        ctx.store = store  # no store_ready: the page must not load before we time it
        page = CyclesPage(ctx)
        page.resize(1180, 720)
        page.show()
        app.processEvents()

        t0 = time.perf_counter()
        records = store.cycles()
        t1 = time.perf_counter()
        rows = cycle_rows(records, ctx.settings.band, date.today())
        t2 = time.perf_counter()
        page.on_rows_loaded(rows)  # what the runner hands to the GUI thread
        t3 = time.perf_counter()
        page.grab()
        t4 = time.perf_counter()
        assert page.proxy.rowCount() == CYCLES
        print(
            f"database thread: store.cycles() {1000 * (t1 - t0):.0f} ms, "
            f"rows with mix C:N {1000 * (t2 - t1):.0f} ms"
        )
        print(
            f"GUI thread: model reset + sort {1000 * (t3 - t2):.0f} ms, "
            f"first paint (grab) {1000 * (t4 - t3):.0f} ms"
        )
        print(
            f"GUI thread total to first paint: {1000 * (t4 - t2):.0f} ms "
            f"(end to end incl. load: {1000 * (t4 - t0):.0f} ms)"
        )

        timings = []
        for i in range(FILTER_RUNS):
            page.search.clear()
            app.processEvents()
            started = time.perf_counter()
            page.search.setText(f"batch {i + 1}2")
            page.grab()
            timings.append(time.perf_counter() - started)
        shown = page.proxy.rowCount()
        page.search.clear()
        print(
            f"text filter + repaint: median {1000 * statistics.median(timings):.0f} ms over "
            f"{FILTER_RUNS} runs (max {1000 * max(timings):.0f} ms; last showed {shown} rows)"
        )
        started = time.perf_counter()
        page.table.sortByColumn(8, page.table.horizontalHeader().sortIndicatorOrder())
        page.grab()
        print(f"sort by C:N + repaint: {1000 * (time.perf_counter() - started):.0f} ms")

        # One cycle edited: the list as it was (every row reloaded) against the row refresh
        # an operation that names its cycle now gets (issue 15), both to the next paint.
        edited = records[len(records) // 2].id
        bus_changed = ctx.bus.changed
        started = time.perf_counter()
        bus_changed.emit(frozenset({CYCLES_KIND}))
        page.grab()
        whole = time.perf_counter() - started
        started = time.perf_counter()
        bus_changed.emit(Changes({CYCLES_KIND}, {edited}))
        page.grab()
        one = time.perf_counter() - started
        print(
            f"one cycle changed, list up to date and painted: row refresh {1000 * one:.0f} ms "
            f"vs whole reload {1000 * whole:.0f} ms (baseline, same run; {whole / one:.0f}×)"
        )
        page.close()
        engine.dispose()


if __name__ == "__main__":
    main()
