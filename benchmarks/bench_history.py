"""History chart of a long cycle: 90 days × 8 probes × 1-minute readings (1,036,800 rows).

Measures, in one run on a SQLite store: the database-side reduction (`chart_data.cycle_history`),
the time from creating the chart to its first painted frame with data (the real database
thread, as in the app), a zoom to one day re-read at screen resolution, and resident memory
before and after, with the points the widget holds. The baseline is what a naive chart would
do first: read every value of the cycle into a Python list (time and memory).

    .venv/bin/python -m benchmarks.bench_history [--points-scale 0.1]

`--points-scale` (or COMPOST_BENCH_HISTORY_SCALE) shortens the cycle for a quick check.
The data helpers here also feed the history screenshot (scripts/screenshots.py).
"""

from __future__ import annotations

import gc
import math
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, QTimer

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DAYS = 90
PROBES = 8
MOISTURE_EVERY_MIN = 10
MOISTURE_DEVICES = 2
TURNING_DAYS = (4.0, 11.0, 19.0, 30.0, 45.0)  # of a 90-day cycle; scaled with it
INSERT_BATCH = 100_000
WINDOW_SIZE = (1280, 640)
TIMEOUT_S = 600.0
T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
_STORED = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy writes a naive UTC DateTime into SQLite


# --- realistic readings (also used by the history screenshot) ------------------------------


def pile_temperature(
    t_days: np.ndarray,
    total_days: float,
    probe: int,
    turnings: Sequence[float],
    rng: np.random.Generator,
) -> np.ndarray:
    """One probe of a windrow: warm-up, a 55–65 °C plateau, dips after turnings, cooling."""
    ambient = 16.0 + 3.0 * np.sin(2 * np.pi * (t_days - 0.3))  # a day/night swing
    plateau = 64.0 - 2.3 * (probe % 4) - 0.6 * (probe // 4)  # edge probes run cooler
    warm = 1.0 - np.exp(-t_days / 1.1)
    hot = 18.0 + (plateau - 18.0) * warm
    fraction = t_days / total_days
    # The pile stays hot for about half the cycle, then cools into curing.
    still_hot = 1.0 / (1.0 + np.exp((fraction - 0.55 - 0.02 * (probe % 3)) / 0.06))
    curing = 24.0 + 0.3 * (ambient - 16.0)
    temp = curing + (hot - curing) * still_hot
    for turned in turnings:
        after = np.clip(t_days - turned, 0.0, None)
        started = t_days >= turned
        dip = 13.0 * np.exp(-after / 0.35) - 2.5 * (np.exp(-after / 2.0) - np.exp(-after / 0.35))
        temp = temp - np.where(started, dip * (0.4 + 0.6 * still_hot), 0.0)
    wander = np.cumsum(rng.normal(0.0, 0.02, len(t_days)))
    wander -= np.linspace(0.0, wander[-1], len(t_days)) if len(t_days) else 0.0
    return temp + wander + rng.normal(0.0, 0.15, len(t_days))


def pile_moisture(
    t_days: np.ndarray,
    total_days: float,
    turnings: Sequence[float],
    device: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Drying from ~60 % with a top-up of water at each turning."""
    value = 62.0 - 2.5 * device - 22.0 * t_days / total_days
    for turned in turnings:
        value = value + np.where(t_days >= turned, 3.0 * np.exp(-(t_days - turned) / 6.0), 0.0)
    return np.clip(value + rng.normal(0.0, 0.4, len(t_days)), 20.0, 80.0)


def reading_rows(
    cycle_id: int,
    start: datetime,
    days: float,
    probes: int,
    turnings: Sequence[float],
    every_min: float = 1.0,
    moisture_devices: int = MOISTURE_DEVICES,
    seed: int = 7,
) -> Iterator[list[tuple[object, ...]]]:
    """Rows for sqlite3 executemany, a batch at a time, in the app's storage format."""
    rng = np.random.default_rng(seed)
    base = start.astimezone(UTC).replace(tzinfo=None)
    minutes = int(days * 24 * 60 / every_min)

    def stamps(offsets_min: np.ndarray) -> list[str]:
        return [(base + timedelta(minutes=float(m))).strftime(_STORED) for m in offsets_min]

    for probe in range(probes):
        for lo in range(0, minutes, INSERT_BATCH):
            offsets = np.arange(lo, min(minutes, lo + INSERT_BATCH)) * every_min
            values = pile_temperature(offsets / 1440.0, days, probe, turnings, rng)
            device = f"probe-{probe + 1}"
            yield [
                (cycle_id, device, "temperature", float(v), s, s, "mqtt")
                for v, s in zip(values, stamps(offsets), strict=True)
            ]
    every = max(1, int(MOISTURE_EVERY_MIN / every_min))
    offsets = np.arange(0, minutes, every) * every_min
    for device in range(moisture_devices):
        values = pile_moisture(offsets / 1440.0, days, turnings, device, rng)
        yield [
            (cycle_id, f"probe-{2 * device + 1}", "moisture", float(v), s, s, "mqtt")
            for v, s in zip(values, stamps(offsets), strict=True)
        ]


def insert_rows(path: str | Path, batches: Iterator[list[tuple[object, ...]]]) -> int:
    """Plain sqlite3: the fastest way to put a million readings into a test store."""
    written = 0
    with sqlite3.connect(path) as conn:
        for rows in batches:
            conn.executemany(
                "INSERT INTO sensor_reading (batch_id, device_id, quantity, value, measured_at,"
                " received_at, source) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            written += len(rows)
    return written


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def _mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def _scale(argv: Sequence[str]) -> float:
    for i, arg in enumerate(argv):
        if arg == "--points-scale" and i + 1 < len(argv):
            return float(argv[i + 1])
        if arg.startswith("--points-scale="):
            return float(arg.split("=", 1)[1])
    return float(os.environ.get("COMPOST_BENCH_HISTORY_SCALE", "1"))


class PaintWatch(QObject):
    """Notes when a widget has finished painting (the paint event, then the next loop turn)."""

    def __init__(self, widget: QObject) -> None:
        super().__init__()
        self.done: float | None = None
        self._armed = True
        widget.installEventFilter(self)

    def reset(self) -> None:
        self.done = None
        self._armed = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._armed and event.type() == QEvent.Type.Paint:
            self._armed = False
            QTimer.singleShot(0, self._on_painted)
        return False

    def _on_painted(self) -> None:
        self.done = time.perf_counter()


class LoopProbe:
    """A 10 ms timer that notes how late it fires: how long the GUI thread was busy."""

    def __init__(self) -> None:
        self.worst_ms = 0.0
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._on_tick)
        self._timer.start()

    def _on_tick(self) -> None:
        now = time.perf_counter()
        self.worst_ms = max(self.worst_ms, 1000 * (now - self._last) - 10)
        self._last = now

    def stop(self) -> None:
        self._timer.stop()


def _wait(app: object, done: Callable[[], bool], what: str) -> None:
    from PySide6.QtWidgets import QApplication

    assert isinstance(app, QApplication)
    deadline = time.perf_counter() + TIMEOUT_S
    while not done():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{what} did not finish in {TIMEOUT_S:.0f} s")
        app.processEvents()
        time.sleep(0.001)


def main() -> None:
    from PySide6.QtWidgets import QApplication

    from compost_desktop.db import migrate
    from compost_desktop.db.engine import make_engine, resolve_url
    from compost_desktop.gui.context import AppContext
    from compost_desktop.gui.cycles.history_chart import HistoryChart
    from compost_desktop.gui.tasks import ChangeBus, DatabaseRunner
    from compost_desktop.services import chart_data
    from compost_desktop.services.store import Store
    from compost_desktop.services.values import CycleDraft, InputDraft
    from compost_desktop.settings import Settings

    scale = _scale(sys.argv[1:])
    days = max(1.0, DAYS * scale)
    turnings = [d * days / DAYS for d in TURNING_DAYS]
    app = QApplication.instance() or QApplication([])
    rows: list[tuple[str, str]] = []

    def row(what: str, figure: str) -> None:
        rows.append((what, figure))
        print(f"  {what}: {figure}", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.db"
        url = resolve_url(f"sqlite:///{path}")
        migrate.upgrade(url)
        engine = make_engine(url)
        store = Store(engine)
        cycle = store.save_cycle(
            CycleDraft("Bench windrow", T0.date(), T0.date() + timedelta(days=math.ceil(days)))
        )
        leaves = store.find_material("Leaves, shredded")
        assert leaves is not None
        store.add_input(cycle.id, InputDraft(leaves.id, mass_kg=800, added_at=T0))
        for i, day in enumerate(turnings):
            store.add_turning(cycle.id, T0 + timedelta(days=day), f"Op {i % 2 + 1}", None)
        started = time.perf_counter()
        written = insert_rows(
            path, reading_rows(cycle.id, T0, days, PROBES, turnings, moisture_devices=2)
        )
        print(
            f"setup: {days:g} days × {PROBES} probes × 1-minute readings + moisture every "
            f"{MOISTURE_EVERY_MIN} min = {written:,} rows inserted in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )

        # (a) the reduction in the database, cold (first) and warm
        for label in ("cold", "warm"):
            started = time.perf_counter()
            history = chart_data.cycle_history(engine, cycle.id)
            row(
                f"chart_data.cycle_history ({label}, {chart_data.DEFAULT_BUCKETS} buckets)",
                f"{1000 * (time.perf_counter() - started):.0f} ms",
            )
        assert history.extent.points == written

        # (b) chart creation to first painted frame with data, on the app's database thread
        bus = ChangeBus()
        runner = DatabaseRunner(bus)
        ctx = AppContext(Settings(), runner, bus)
        ctx.store = store
        gc.collect()
        rss_before = _rss_kib()
        started = time.perf_counter()
        chart = HistoryChart(ctx)
        chart.resize(*WINDOW_SIZE)
        chart.show()
        app.processEvents()
        shown = time.perf_counter()
        rss_empty = _rss_kib()
        answered: list[float] = []
        loaded: list[float] = []
        on_loaded = chart.on_history_loaded

        def timed(*args: Any) -> None:
            answered.append(time.perf_counter())
            on_loaded(*args)

        chart.on_history_loaded = timed  # type: ignore[method-assign]
        chart.history_loaded.connect(lambda: loaded.append(time.perf_counter()))
        paints = PaintWatch(chart.graphics.viewport())
        probe = LoopProbe()
        chart.show_cycle(cycle.id)
        _wait(app, lambda: bool(loaded), "loading the history")
        paints.reset()  # the frames before held the "Loading…" message
        _wait(app, lambda: paints.done is not None, "the first paint with data")
        assert paints.done is not None
        painted = paints.done
        settle = painted + 0.05
        _wait(app, lambda: time.perf_counter() > settle, "the probe's last tick")
        probe.stop()
        rss_after = _rss_kib()
        row(
            "HistoryChart created → first paint with data",
            f"{1000 * (painted - started):.0f} ms",
        )
        row(
            "  of which: widget built and shown (no data)",
            f"{1000 * (shown - started):.0f} ms",
        )
        row(
            "  database thread (cycle_history + arrays)",
            f"{1000 * (answered[0] - shown):.0f} ms",
        )
        row(
            "  GUI thread: plots built + data set / first paint",
            f"{1000 * (loaded[0] - answered[0]):.0f} ms / {1000 * (painted - loaded[0]):.0f} ms",
        )
        row(
            "longest event-loop stall while loading (10 ms probe)",
            f"{probe.worst_ms:.0f} ms",
        )
        held = chart.points_held()
        row("points held by the widget (all curves)", f"{held:,}")
        row(
            "RSS before → widget shown → with data",
            f"{_mib(rss_before)} → {_mib(rss_empty)} → {_mib(rss_after)} "
            f"(data +{_mib(rss_after - rss_empty)}, widget +{_mib(rss_empty - rss_before)})",
        )

        # (c) zoom to one day in the middle: range set → finer data spliced in and painted
        snap = chart.overview.snapshot if chart.overview else None
        assert snap is not None
        middle = (snap.start + snap.end) / 2
        zoomed: list[float] = []
        chart.window_loaded.connect(lambda: zoomed.append(time.perf_counter()))
        started = time.perf_counter()
        chart.plots["temperature"].getViewBox().setXRange(middle, middle + 86_400.0, padding=0)
        chart.settle_timer.stop()
        chart.on_range_settled()  # what the 200 ms settle timer calls, without its wait
        _wait(app, lambda: bool(zoomed), "the zoom query")
        paints.reset()
        _wait(app, lambda: paints.done is not None, "the zoomed paint")
        row(
            "zoom to one day: re-query + splice + paint (excl. the 200 ms settle delay)",
            f"{1000 * (time.perf_counter() - started):.0f} ms; "
            f"bucket {chart.detail.bucket_seconds if chart.detail else float('nan'):.0f} s, "
            f"{chart.points_held():,} points held",
        )
        held = chart.detail
        assert held is not None
        started = time.perf_counter()
        chart_data.window(
            engine,
            cycle.id,
            chart_data.from_epoch(held.start),
            chart_data.from_epoch(held.end),
            round((held.end - held.start) / held.bucket_seconds),
        )
        row(
            "  of which chart_data.window for that range (day ± half a day for panning)",
            f"{1000 * (time.perf_counter() - started):.0f} ms",
        )
        chart.close()
        runner.shutdown()
        del chart
        gc.collect()

        # baseline: every value of the cycle into a Python list, as a naive chart would
        gc.collect()
        rss_before = _rss_kib()
        started = time.perf_counter()
        with sqlite3.connect(path) as conn:
            values = [
                r[0]
                for r in conn.execute(
                    "SELECT value FROM sensor_reading WHERE batch_id = ?", (cycle.id,)
                )
            ]
        elapsed = time.perf_counter() - started
        rss_after = _rss_kib()
        row(
            "baseline: SELECT value … WHERE batch_id=? into a list",
            f"{1000 * elapsed:.0f} ms, {len(values):,} values, "
            f"RSS +{_mib(rss_after - rss_before)} (values only, no times)",
        )
        del values
        engine.dispose()

    width = max(len(w) for w, _ in rows)
    print(f"\nHistory chart, {days:g}-day cycle, {written:,} readings (started {date.today()}):")
    for what, figure in rows:
        print(f"  {what.ljust(width)}  {figure}")


if __name__ == "__main__":
    main()
