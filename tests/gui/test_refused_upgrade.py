"""A database whose upgrade is refused is refused once: no retry loop, one copy at most."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from compost_desktop.gui.app import DatabaseConnector, build_window
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.tasks import ChangeBus, DatabaseRunner
from compost_desktop.settings import Settings
from tests.db import legacy


@pytest.fixture
def threaded_ctx() -> Iterator[AppContext]:
    bus = ChangeBus()
    runner = DatabaseRunner(bus)
    yield AppContext(Settings(), runner, bus)
    runner.shutdown()


@pytest.mark.log_allowed("^Database not opened: Upgrade of")
def test_refused_upgrade_is_said_once_and_not_retried(
    qtbot: QtBot, tmp_path: Path, threaded_ctx: AppContext
) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # the old system's data with two active cycles
        conn.executescript(legacy.script("sqlite", 2) + "UPDATE compost_batch SET status='active';")
    conn.close()
    window = build_window(threaded_ctx, "/tmp/log")
    qtbot.addWidget(window)
    connector = DatabaseConnector(threaded_ctx, window, f"sqlite:///{path}")
    connector._timer.setInterval(100)  # the real 15 s, shortened: it must not matter
    connector.start()
    qtbot.waitUntil(lambda: connector.refused_box is not None, timeout=20_000)
    box = connector.refused_box
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert "id 1, 2" in box.text()
    assert "Database not opened" in window.database_status.text()
    qtbot.wait(1000)  # ten of the shortened retry intervals
    assert not connector._timer.isActive()
    assert len(list(tmp_path.glob("old.db.*.bak"))) == 1  # one copy, not one per retry
    box.close()
