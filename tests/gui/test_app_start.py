"""Start-up and shutdown: settings location, one running copy, signals, window on screen, F1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu
from pytestqt.qtbot import QtBot

from compost_desktop import settings_store
from compost_desktop.gui.app import (
    FirstPaint,
    SingleInstance,
    build_window,
    connect_help,
    use_settings_location,
)
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.screen import fit_on_screen
from compost_desktop.gui.tasks import ChangeBus, ImmediateRunner
from compost_desktop.settings import Settings
from tests.support.probe import run_probe

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.mark.parametrize("variable", ["COMPOST_DATA_DIR", "COMPOST_CONFIG_DIR"])
def test_settings_move_with_the_data_or_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.delenv("COMPOST_CONFIG_DIR", raising=False)
    monkeypatch.setenv(variable, str(tmp_path / "profile"))
    use_settings_location()
    settings = Settings()
    settings.cn_target = 29.0
    settings_store.save(settings)
    path = Path(QSettings().fileName())
    assert path.is_relative_to(tmp_path / "profile"), path
    assert path.exists()
    assert settings_store.load().cn_target == 29.0


def test_a_second_launch_asks_the_first_to_come_forward(qtbot: QtBot, tmp_path: Path) -> None:
    key = f"compost-test-{os.getpid()}-{tmp_path.name}"
    first = SingleInstance(key)
    assert not first.forward_to_running(200)  # nobody is running yet
    assert first.listen()
    second = SingleInstance(key)
    with qtbot.waitSignal(first.activation_requested, timeout=5000):
        assert second.forward_to_running()
    first.close()


def test_a_window_saved_on_another_screen_opens_on_this_one(qtbot: QtBot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.setGeometry(4000, 3000, 1100, 720)  # the second monitor, now unplugged
    fit_on_screen(window)
    screen = QGuiApplication.primaryScreen()
    avail = screen.availableGeometry()
    assert avail.contains(window.geometry()), (avail, window.geometry())


def test_f1_opens_the_user_guide(qtbot: QtBot) -> None:
    bus = ChangeBus()
    ctx = AppContext(Settings(), ImmediateRunner(bus), bus)
    window = build_window(ctx, "log.txt")
    qtbot.addWidget(window)
    connect_help(window)
    window.show()
    qtbot.waitExposed(window)
    action = window.user_guide_action  # type: ignore[attr-defined]
    assert action.shortcut() == QKeySequence(Qt.Key.Key_F1)
    help_menu = window.menuBar().actions()[-1].menu()
    assert isinstance(help_menu, QMenu)
    assert action in help_menu.actions()
    action.trigger()
    guide = window.user_guide  # type: ignore[attr-defined]
    assert guide.isVisible()
    text = guide.browser.toPlainText()
    for topic in ("Daily tasks", "The mix", "Pathogen rules", "Sync", "Backups", "First start"):
        assert topic in text


def _log_text(data: Path) -> str:
    log = data / "logs" / "compost-desktop.log"
    return log.read_text(encoding="utf-8") if log.exists() else ""


def _children(pid: int) -> set[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    ).stdout
    return {int(x) for x in out.split()}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_shuts_down_as_quit_does_and_a_second_launch_forwards(
    tmp_path: Path, sig: signal.Signals
) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "COMPOST_DATA_DIR": str(tmp_path),
    }
    env.pop("COMPOST_QUIT_AFTER_SHOWN_MS", None)
    app = subprocess.Popen(
        [sys.executable, "-m", "compost_desktop"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while "Demo broker" not in _log_text(tmp_path) and time.monotonic() < deadline:
            assert app.poll() is None, app.communicate()
            time.sleep(0.2)
        assert "Demo broker" in _log_text(tmp_path)
        time.sleep(1.0)  # the simulator connects
        children = _children(app.pid)

        second = subprocess.run(
            [sys.executable, "-m", "compost_desktop"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 0
        assert "already running" in second.stdout

        app.send_signal(sig)
        _out, err = app.communicate(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    assert app.returncode == 0, err
    log = _log_text(tmp_path)
    assert "Shut down" in log
    assert "lost the broker" not in log
    for child in children:  # the demo's Mosquitto, if it was one, is gone
        assert not Path(f"/proc/{child}").exists() or "zombie" in Path(
            f"/proc/{child}/status"
        ).read_text(encoding="utf-8")


def test_the_main_window_fits_a_screen_smaller_than_its_minimum(qtbot: QtBot) -> None:
    """The offscreen screen (800×600) is like 1366×768 at 150 %: smaller than the window's
    own minimum size, which must give way."""
    bus = ChangeBus()
    ctx = AppContext(Settings(), ImmediateRunner(bus), bus)
    window = build_window(ctx, "log.txt")
    qtbot.addWidget(window)
    window.page("cycles")
    fit_on_screen(window)
    window.show()
    avail = QGuiApplication.primaryScreen().availableGeometry()
    assert avail.contains(window.geometry()), (avail, window.geometry())


def test_the_first_page_loads_no_chart_or_report_library() -> None:
    """pyqtgraph (a quarter of a second) and the report layout load when first used."""
    probe = (
        "import sys\n"
        "import compost_desktop.gui.app, compost_desktop.gui.cycles.page\n"
        "print(sorted(m for m in ('pyqtgraph', 'numpy', 'compost_desktop.gui.report', 'compost_desktop.reports.document', "
        "'alembic') if m in sys.modules))\n"
    )
    out = run_probe(probe)
    assert out == "[]"


def test_what_runs_before_the_window_shows_loads_no_sqlalchemy() -> None:
    """SQLAlchemy is a tenth of a second to import; the database thread loads it while the
    window paints. The File menu's jobs are wired on the GUI thread before the first paint,
    and once pulled it in through one shared error helper (3.8x a bare window's start)."""
    probe = (
        "import sys\n"
        "import compost_desktop.cli, compost_desktop.gui.app, compost_desktop.gui.records_dialogs\n"
        "print(sorted(m for m in ('sqlalchemy', 'compost_desktop.db.engine') if m in sys.modules))\n"
    )
    assert run_probe(probe) == "[]"


def test_what_waits_for_the_first_paint_runs_once_just_after_it(qtbot: QtBot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    ran: list[str] = []
    FirstPaint(window, [lambda: ran.append("guard"), lambda: ran.append("file menu")], 300)
    qtbot.wait(50)
    assert ran == []  # not before the window is shown
    window.show()
    qtbot.waitUntil(lambda: bool(ran))
    assert ran == ["guard", "file menu"]
    qtbot.wait(400)  # the fallback for a window that never paints finds nothing left to do
    window.update()
    qtbot.wait(50)
    assert ran == ["guard", "file menu"]
