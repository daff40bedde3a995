"""The main window shell: database state in the status bar, errors in a dialog, clean close."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from compost_desktop.gui.app import DatabaseConnector, build_window
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.errors import ErrorReporter
from compost_desktop.gui.main_window import MainWindow
from compost_desktop.gui.tasks import ChangeBus, DatabaseRunner
from compost_desktop.settings import Settings


@pytest.fixture
def threaded_ctx() -> Iterator[AppContext]:
    bus = ChangeBus()
    runner = DatabaseRunner(bus)
    yield AppContext(Settings(), runner, bus)
    runner.shutdown()


def test_database_opens_off_the_gui_thread_and_status_bar_says_so(
    qtbot: QtBot, sqlite_url: str, threaded_ctx: AppContext
) -> None:
    window = build_window(threaded_ctx, "/tmp/log")
    qtbot.addWidget(window)
    connector = DatabaseConnector(threaded_ctx, window, sqlite_url)
    with qtbot.waitSignal(threaded_ctx.store_ready, timeout=20_000):
        connector.start()
    assert threaded_ctx.store is not None
    assert window.database_status.text().endswith("ready")
    assert [window.navigation.item(i).text() for i in range(window.navigation.count())] == [
        "Cycles",
        "Monitoring",
        "Materials",
        "Devices",
        "Settings",
    ]


@pytest.mark.log_allowed("^Database not opened: Cannot reach")
def test_unreachable_database_is_said_in_plain_words(
    qtbot: QtBot, threaded_ctx: AppContext
) -> None:
    window = build_window(threaded_ctx, "/tmp/log")
    qtbot.addWidget(window)
    connector = DatabaseConnector(threaded_ctx, window, "postgresql+psycopg://nobody@127.0.0.1:9/x")
    connector.start()
    qtbot.waitUntil(lambda: "Cannot reach" in window.database_status.text(), timeout=20_000)
    assert "Retrying" in window.database_status.text()
    assert "Traceback" not in window.database_status.text()


@pytest.mark.log_allowed("^Uncaught error")
def test_uncaught_error_is_logged_and_shown(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    reporter = ErrorReporter("/tmp/compost.log")
    shown: list[str] = []

    def exec_(box: QMessageBox) -> int:
        shown.append(box.text())
        return 0

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    with caplog.at_level(logging.ERROR):
        try:
            raise ValueError("boom")
        except ValueError:
            reporter.excepthook(*sys.exc_info())
    qtbot.waitUntil(lambda: bool(shown))
    assert "ValueError: boom" in shown[0]
    assert "Your saved data is safe" in shown[0]
    assert "boom" in caplog.text


def test_pages_are_reachable_by_keyboard(qtbot: QtBot, threaded_ctx: AppContext) -> None:
    window = build_window(threaded_ctx, "/tmp/log")
    qtbot.addWidget(window)
    actions = {a.shortcut().toString(): a for a in window.view_menu.actions()}
    actions["Ctrl+3"].trigger()
    assert window.stack.currentIndex() == 2
    assert window.navigation.currentItem().text() == "Materials"


def test_window_geometry_is_restored(qtbot: QtBot) -> None:
    first = MainWindow("x", "/tmp/log")
    qtbot.addWidget(first)
    first.resize(720, 530)  # inside the offscreen 800×600 screen
    first.show()
    first.close()
    second = MainWindow("x", "/tmp/log")
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (720, 530)
    QTimer.singleShot(0, second.close)


def test_splitters_and_column_widths_are_restored(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QSplitter, QTableWidget, QVBoxLayout, QWidget

    def page() -> QWidget:
        w = QWidget()
        splitter = QSplitter(w)
        table = QTableWidget(2, 3)
        splitter.addWidget(table)
        splitter.addWidget(QWidget())
        QVBoxLayout(w).addWidget(splitter)
        return w

    first = MainWindow("x", "/tmp/log")
    qtbot.addWidget(first)
    first.add_page("p", "Page", page)
    table = first.page("p").findChild(QTableWidget)
    assert table is not None
    table.horizontalHeader().resizeSection(1, 321)
    first.show()
    first.close()

    second = MainWindow("x", "/tmp/log")
    qtbot.addWidget(second)
    second.add_page("p", "Page", page)
    restored = second.page("p").findChild(QTableWidget)
    assert restored is not None
    assert restored.horizontalHeader().sectionSize(1) == 321


def test_work_submitted_after_shutdown_is_dropped_quietly() -> None:
    """A page timer that fires while the app quits must not raise into the event loop."""
    runner = DatabaseRunner(ChangeBus())
    runner.shutdown()
    ran: list[int] = []
    runner.submit(lambda: ran.append(1))
    assert ran == []


def test_a_size_saved_at_another_scaling_is_not_restored(qtbot: QtBot) -> None:
    """Closed at 150 % and opened at 100 %, the window came back at its 640×400 minimum."""
    from PySide6.QtCore import QSettings

    first = MainWindow("x", "/tmp/log")
    qtbot.addWidget(first)
    first.resize(650, 410)
    first.show()
    first.close()
    QSettings().setValue("main_window/scale", first.devicePixelRatioF() * 1.5)  # as at 150 %
    second = MainWindow("x", "/tmp/log")
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (1100, 720)
    QTimer.singleShot(0, second.close)
