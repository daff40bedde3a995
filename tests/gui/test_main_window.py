"""The main window shell: database state in the status bar, errors in a dialog, clean close."""

from __future__ import annotations

import logging
import sys

import pytest
from PySide6.QtCore import QThreadPool, QTimer
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from compost_desktop.gui.app import DatabaseOpener
from compost_desktop.gui.errors import ErrorReporter
from compost_desktop.gui.main_window import MainWindow


def test_status_bar_reports_the_database_opened_off_the_gui_thread(
    qtbot: QtBot, sqlite_url: str
) -> None:
    window = MainWindow("SQLite test", "/tmp/log")
    qtbot.addWidget(window)
    opener = DatabaseOpener(sqlite_url)
    opener.opened.connect(window.on_database_state)
    with qtbot.waitSignal(opener.opened, timeout=20_000) as blocker:
        opener.start(QThreadPool.globalInstance())
    assert blocker.args is not None and blocker.args[1] is True
    assert window.database_status.text().endswith("ready")


def test_unreachable_database_is_said_in_plain_words(qtbot: QtBot) -> None:
    window = MainWindow("PostgreSQL", "/tmp/log")
    qtbot.addWidget(window)
    opener = DatabaseOpener("postgresql+psycopg://nobody@127.0.0.1:9/x")
    opener.opened.connect(window.on_database_state)
    with qtbot.waitSignal(opener.opened, timeout=20_000):
        opener.start(QThreadPool.globalInstance())
    assert "Cannot reach" in window.database_status.text()
    assert "Traceback" not in window.database_status.text()


def test_uncaught_error_is_logged_and_shown(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    reporter = ErrorReporter("/tmp/compost.log")
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()) or 0)
    with caplog.at_level(logging.ERROR):
        try:
            raise ValueError("boom")
        except ValueError:
            reporter.excepthook(*sys.exc_info())  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: bool(shown))
    assert "ValueError: boom" in shown[0]
    assert "Your saved data is safe" in shown[0]
    assert "boom" in caplog.text


def test_window_geometry_is_restored(qtbot: QtBot) -> None:
    first = MainWindow("x", "/tmp/log")
    qtbot.addWidget(first)
    first.resize(800, 610)
    first.show()
    first.close()
    second = MainWindow("x", "/tmp/log")
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (800, 610)
    QTimer.singleShot(0, second.close)
