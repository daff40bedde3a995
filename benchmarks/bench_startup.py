"""App start: process start to main window painted, against a bare Qt window in the same run."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5

# "Shown" is just after the window's first paint, for the app and the baseline alike (the
# app marks it the same way, gui.app.FirstPaint): a zero timer after show() fires before Qt
# paints anything.
BARE_QT = """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
class Painted(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            w.removeEventFilter(self)
            QTimer.singleShot(0, lambda: (print("main-window-shown", flush=True), app.quit()))
        return False
w = QMainWindow(); w.resize(1100, 720)
painted = Painted(w); w.installEventFilter(painted); w.show()
app.exec()
"""

# The floor for a list with data on this stack: a bare window, then what any first query
# needs (SQLAlchemy's ORM, the app's models, one SELECT on the same SQLite file).
DATA_FLOOR = """
import os, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
w = QMainWindow(); w.resize(1100, 720); w.show()
def query():
    from sqlalchemy import select
    from compost_desktop.db.engine import make_engine, resolve_url
    from compost_desktop.db.models import Cycle
    engine = make_engine(resolve_url(None))
    with engine.connect() as conn:
        conn.execute(select(Cycle.id)).all()
    print("first-page-ready", flush=True)
    app.quit()
QTimer.singleShot(0, query)
app.exec()
"""


def _time_until(cmd: list[str], env: dict[str, str], marker: str) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    for line in proc.stdout:
        if marker in line:
            elapsed = time.perf_counter() - start
            break
    else:
        raise RuntimeError(f"{cmd} never printed {marker}")
    proc.wait(30)
    return elapsed


def _time_until_shown(cmd: list[str], env: dict[str, str]) -> float:
    return _time_until(cmd, env, "main-window-shown")


def main() -> None:
    with tempfile.TemporaryDirectory() as data:
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "COMPOST_DATA_DIR": data,
            "COMPOST_QUIT_AFTER_SHOWN_MS": "0",
        }
        # An installed app starts from compiled bytecode (the installer and the frozen bundle
        # carry it); a shell with PYTHONDONTWRITEBYTECODE would make every run recompile the
        # package, about a fifth of a second that no user waits for.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        app_cmd = [sys.executable, "-m", "compost_desktop"]
        _time_until_shown(
            app_cmd, env
        )  # first run creates the database and the bytecode: not a typical start
        app = [_time_until_shown(app_cmd, env) for _ in range(RUNS)]
        ready = [_time_until(app_cmd, env, "first-page-ready") for _ in range(RUNS)]
        bare = [_time_until_shown([sys.executable, "-c", BARE_QT], env) for _ in range(RUNS)]
        floor = [
            _time_until([sys.executable, "-c", DATA_FLOOR], env, "first-page-ready")
            for _ in range(RUNS)
        ]
    with tempfile.TemporaryDirectory() as data:
        # The same start on a farm's long history: the list's rows come from the database
        # thread while the window paints (bench_cycle_list times the load itself).
        from benchmarks.bench_cycle_list import CYCLES, _fill
        from compost_desktop.db import migrate
        from compost_desktop.db.engine import resolve_url

        url = f"sqlite:///{Path(data) / 'compost.db'}"  # the app's own file in that folder
        migrate.upgrade(resolve_url(url))
        _fill(url)
        env = {**env, "COMPOST_DATA_DIR": data}
        _time_until(app_cmd, env, "first-page-ready")
        full = [_time_until(app_cmd, env, "first-page-ready") for _ in range(RUNS)]
        complete = [_time_until(app_cmd, env, "cycle-list-complete") for _ in range(RUNS)]
    app_ms, bare_ms = statistics.median(app) * 1000, statistics.median(bare) * 1000
    print(
        f"app start to main window shown: median {app_ms:.0f} ms over {RUNS} runs "
        f"(min {min(app) * 1000:.0f}, max {max(app) * 1000:.0f})"
    )
    print(
        "app start to the cycle list shown, empty store: "
        f"median {statistics.median(ready) * 1000:.0f} ms"
    )
    print(
        f"app start to the cycle list shown, {CYCLES:,} cycles: "
        f"median {statistics.median(full) * 1000:.0f} ms (its first rows; all of them after "
        f"{statistics.median(complete) * 1000:.0f} ms)"
    )
    print(f"bare PySide6 window (baseline):  median {bare_ms:.0f} ms")
    print(
        "bare window, then SQLAlchemy + the models + one SELECT (the floor for a list with "
        f"data): median {statistics.median(floor) * 1000:.0f} ms"
    )
    print(f"ratio app / bare Qt: {app_ms / bare_ms:.2f}")
