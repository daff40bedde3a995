"""File → Export…, Back up database… and Restore from backup…, driven as a user would."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]  # no py.typed, no stubs
from PySide6.QtCore import QDate, QTimer
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, func, select

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.db.models import SensorReading
from compost_desktop.gui.context import CYCLES, MATERIALS, READINGS, SETTINGS, AppContext
from compost_desktop.gui.main_window import MainWindow
from compost_desktop.gui.records_dialogs import (
    ExportDialog,
    RecordsActions,
    RecordsController,
    default_export_name,
)
from compost_desktop.gui.tasks import ChangeBus, DatabaseRunner, IoRunner
from compost_desktop.monitoring.parsing import Reading
from compost_desktop.monitoring.recording import ReadingWriter
from compost_desktop.records import export as export_module
from compost_desktop.records.backup import backup, inspect_backup
from compost_desktop.records.export import READING_COLUMNS, Progress
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft
from compost_desktop.settings import DatabaseSettings, Settings
from tests.records.test_export import populate

WAIT_MS = 20_000  # only a limit for a hung thread; tests never wait it out


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("records-template") / "compost.db"
    migrate.upgrade(resolve_url(f"sqlite:///{path}"))
    return path


@pytest.fixture
def store(tmp_path: Path, migrated_template: Path) -> Iterator[Store]:
    """Three cycles (Pile 5, 6, 7) with readings on the 1st and 15th of May to July."""
    path = tmp_path / "local" / "compost.db"
    path.parent.mkdir()
    shutil.copyfile(migrated_template, path)
    engine = make_engine(f"sqlite:///{path}")
    populate(engine)
    yield Store(engine)
    engine.dispose()


@pytest.fixture
def ctx(store: Store) -> Iterator[AppContext]:
    bus = ChangeBus()
    runner = DatabaseRunner(bus)  # the real database thread: restore disposes the pool there
    io = IoRunner(bus)  # exports and backups, as in the app
    context = AppContext(Settings(), runner, bus, io=io)
    context.set_store(store, "This PC (SQLite)")
    yield context
    io.shutdown()
    runner.shutdown()


class Dialogs:
    """Stands in for the platform's file dialogs and message boxes: records, never blocks."""

    def __init__(self) -> None:
        self.save_to: Path | None = None
        self.open_from: Path | None = None
        self.confirm = True
        self.confirmations: list[str] = []
        self.warnings: list[tuple[str, str]] = []
        self.opened_folders: list[Path] = []

    def save(self, *_args: Any) -> str:
        return str(self.save_to) if self.save_to else ""

    def open(self, *_args: Any) -> str:
        return str(self.open_from) if self.open_from else ""

    def ask(self, box: QMessageBox) -> bool:
        self.confirmations.append(f"{box.text()}\n{box.informativeText()}")
        return self.confirm


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> Dialogs:
    found = Dialogs()

    def warning(_parent: Any, title: str, text: str, *_args: Any) -> QMessageBox.StandardButton:
        found.warnings.append((title, text))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", warning)
    return found


def make_controller(
    qtbot: QtBot, ctx: AppContext, dialogs: Dialogs, **kwargs: Any
) -> RecordsController:
    window = MainWindow("Database", "/tmp/log")
    qtbot.addWidget(window)
    controller = RecordsController(
        ctx,
        window,
        RecordsActions(
            window.export_action,
            window.backup_action,
            window.backup_server_action,
            window.restore_action,
        ),
        **kwargs,
    )
    controller.choose_save_file = dialogs.save
    controller.choose_open_file = dialogs.open
    controller.confirm_restore = dialogs.ask
    controller.open_folder = dialogs.opened_folders.append
    return controller


def sheet(path: Path) -> list[tuple[Any, ...]]:
    book = load_workbook(BytesIO(path.read_bytes()), read_only=True)
    rows = [tuple(r) for r in book.active.iter_rows(values_only=True)]
    book.close()
    return rows


def cycle_names(store: Store) -> list[str]:
    return sorted(c.name for c in store.cycles())


# --- export -------------------------------------------------------------------------------


def test_export_dialog_names_the_file_and_checks_the_range(qtbot: QtBot) -> None:
    dialog = ExportDialog(today=date(2026, 11, 22))
    qtbot.addWidget(dialog)

    def suggested() -> Path:
        path = dialog.path()
        assert path is not None
        return path

    dialog.kind_buttons["readings"].setChecked(True)
    dialog.format_buttons["xlsx"].setChecked(True)
    dialog.all_time.setChecked(True)
    assert suggested().name == "readings-2026-11-22.xlsx"
    assert not dialog.start_edit.isEnabled()  # "all time" is the default

    dialog.format_buttons["csv"].setChecked(True)
    assert suggested().name == "readings-2026-11-22.csv"
    dialog.kind_buttons["cycles"].setChecked(True)
    assert suggested().name == "cycles-2026-11-22.csv"

    dialog.all_time.setChecked(False)
    dialog.start_edit.setDate(QDate(2026, 6, 30))
    dialog.end_edit.setDate(QDate(2026, 6, 1))
    assert not dialog.export_button.isEnabled()
    assert "ends (2026-06-01) before it starts (2026-06-30)" in dialog.error_label.text()
    dialog.end_edit.setDate(QDate(2026, 7, 31))
    assert dialog.export_button.isEnabled() and dialog.error_label.text() == ""

    folder = suggested().parent
    dialog.path_edit.setText("june.csv")  # a bare name goes where the suggested one was
    dialog.path_edit.textEdited.emit("june.csv")
    assert dialog.path() == folder / "june.csv"
    dialog.path_edit.clear()
    dialog.path_edit.textEdited.emit("")
    assert not dialog.export_button.isEnabled()
    assert dialog.error_label.text() == "Choose a file to save to."


def test_export_readings_to_xlsx_for_a_range(
    qtbot: QtBot, ctx: AppContext, dialogs: Dialogs, tmp_path: Path
) -> None:
    controller = make_controller(qtbot, ctx, dialogs)
    assert controller.actions.export.isEnabled()
    assert controller.actions.export.shortcut().toString() == "Ctrl+E"
    controller.actions.export.trigger()
    dialog = controller.export_dialog
    assert dialog is not None and dialog.isVisible()

    dialog.kind_buttons["readings"].setChecked(True)
    dialog.format_buttons["xlsx"].setChecked(True)
    dialog.all_time.setChecked(False)
    dialog.start_edit.setDate(QDate(2026, 6, 1))
    dialog.end_edit.setDate(QDate(2026, 6, 30))
    out = tmp_path / "exports" / "june readings.xlsx"
    dialogs.save_to = out
    dialog.browse_button.click()
    assert dialog.path() == out

    with qtbot.waitSignal(controller.job_finished, timeout=WAIT_MS) as finished:
        dialog.export_button.click()
    assert finished.args == ["done"]

    header, *rows = sheet(out)
    assert header == READING_COLUMNS
    measured = header.index("measured_at_utc")
    assert [r[measured] for r in rows] == [datetime(2026, 6, 1, 12), datetime(2026, 6, 15, 12)]
    assert {r[header.index("cycle_name")] for r in rows} == {"Pile 6"}
    window = controller.window
    assert str(out) in window.statusBar().currentMessage()
    box = controller.result_box
    assert box is not None and "2 readings written" in box.text()
    open_folder = next(b for b in box.buttons() if b.text() == "&Open folder")
    open_folder.click()
    assert dialogs.opened_folders == [out]
    assert controller.actions.export.isEnabled()  # ready for the next one


def test_cancelled_export_writes_nothing(
    qtbot: QtBot,
    ctx: AppContext,
    dialogs: Dialogs,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_export = export_module.export

    # export's own signature: with `*args` beside a keyword-only `cancel`, the forwarded call
    # could (as far as a type checker knows) be given `cancel` twice.
    def held_until_cancelled(
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
        assert cancel is not None  # the controller always lets the user cancel an export
        assert cancel.wait(WAIT_MS / 1000)  # still running when the user cancels
        return real_export(engine, kind, out_path, start, end, cycle_id, progress, cancel, fmt)

    monkeypatch.setattr(export_module, "export", held_until_cancelled)
    controller = make_controller(qtbot, ctx, dialogs)
    controller.actions.export.trigger()
    dialog = controller.export_dialog
    assert dialog is not None
    out = tmp_path / "readings.csv"
    dialog.path_edit.setText(str(out))
    dialog.path_edit.textEdited.emit(str(out))
    dialog.format_buttons["csv"].setChecked(True)
    dialog.export_button.click()
    progress = controller.progress
    assert progress is not None and not controller.actions.export.isEnabled()
    cancel_button = progress.findChild(QPushButton)
    assert cancel_button is not None and cancel_button.text() == "Cancel"
    with qtbot.waitSignal(controller.job_finished, timeout=WAIT_MS) as finished:
        cancel_button.click()
    assert finished.args == ["cancelled"]
    assert controller.window.statusBar().currentMessage() == (
        "Export cancelled; no file was written."
    )
    assert list(tmp_path.glob("readings.csv*")) == [] and not list(tmp_path.glob(".*part"))
    assert dialogs.warnings == []


def test_export_failure_is_said_in_plain_words(
    qtbot: QtBot, ctx: AppContext, dialogs: Dialogs, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    controller = make_controller(qtbot, ctx, dialogs)
    controller.actions.export.trigger()
    dialog = controller.export_dialog
    assert dialog is not None
    target = blocker / "cycles.csv"
    dialog.path_edit.setText(str(target))
    dialog.path_edit.textEdited.emit(str(target))
    with qtbot.waitSignal(controller.job_finished, timeout=WAIT_MS) as finished:
        dialog.export_button.click()
    assert finished.args == ["failed"]
    ((title, text),) = dialogs.warnings
    assert title == "Export failed"
    assert f"{target} was not written." in text and "Traceback" not in text


# --- backup -------------------------------------------------------------------------------


def test_backup_from_the_menu_is_a_valid_backup(
    qtbot: QtBot, ctx: AppContext, dialogs: Dialogs, tmp_path: Path
) -> None:
    controller = make_controller(qtbot, ctx, dialogs)
    assert not controller.actions.backup_server.isVisible()  # no server configured
    dialogs.save_to = tmp_path / "backups" / "farm.db"
    with qtbot.waitSignal(controller.job_finished, timeout=WAIT_MS) as finished:
        controller.actions.backup.trigger()
    assert finished.args == ["done"]
    info = inspect_backup(dialogs.save_to)
    assert info.source.endswith("compost.db")
    with sqlite3.connect(dialogs.save_to) as conn:
        names = sorted(r[0] for r in conn.execute("SELECT name FROM compost_batch"))
    conn.close()
    assert names == ["Pile 5", "Pile 6", "Pile 7"]
    assert controller.result_box is not None and "farm.db" in controller.result_box.text()


@pytest.mark.postgres
def test_backup_of_the_farm_server(
    qtbot: QtBot, ctx: AppContext, dialogs: Dialogs, tmp_path: Path, pg_url: str
) -> None:
    migrate.upgrade(resolve_url(pg_url))
    server = make_engine(pg_url)
    Store(server).save_cycle(CycleDraft(name="On the server", start_date=date(2026, 3, 1)))
    server.dispose()
    ctx.apply_settings(replace(ctx.settings, database=DatabaseSettings(url=pg_url)))
    controller = make_controller(qtbot, ctx, dialogs, server_url=lambda: pg_url)
    assert controller.actions.backup_server.isVisible()
    dialogs.save_to = tmp_path / "server.db"
    with qtbot.waitSignal(controller.job_finished, timeout=WAIT_MS) as finished:
        controller.actions.backup_server.trigger()
    assert finished.args == ["done"]
    assert "postgresql" in inspect_backup(dialogs.save_to).source.lower()
    with sqlite3.connect(dialogs.save_to) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM compost_batch")]
    conn.close()
    assert names == ["On the server"]


# --- restore ------------------------------------------------------------------------------


class FakeSync:
    """The part of SyncService a restore uses; a round is running when the restore starts."""

    def __init__(self) -> None:
        self.running = True
        self.paused = False
        self.events: list[str] = []

    def pause(self) -> None:
        self.events.append("stop")
        self.paused = True
        QTimer.singleShot(150, self.on_round_ended)

    def on_round_ended(self) -> None:
        self.events.append("round ended")
        self.running = False

    def resume(self) -> None:
        self.events.append("start")
        self.paused = False

    def on_data_changed(self, _changes: frozenset[str]) -> None:
        if not self.paused:
            self.events.append("changed")


def _reading(device: str, when: datetime) -> Reading:
    return Reading(device, "temperature", 55.0, when, when, "compost/sensor/data")


def _readings_of(store: Store, device: str) -> int:
    with store.engine.connect() as conn:
        count = conn.scalar(
            select(func.count()).select_from(SensorReading).where(SensorReading.device_id == device)
        )
    return int(count or 0)


def test_restore_into_the_open_app(
    qtbot: QtBot, ctx: AppContext, store: Store, dialogs: Dialogs, tmp_path: Path
) -> None:
    from compost_desktop.gui.cycles.page import CyclesPage

    file = backup(store.engine.url, tmp_path / "before.db")
    store.save_cycle(CycleDraft(name="After the backup", start_date=date(2026, 8, 1)))
    page = CyclesPage(ctx)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: len(page.model.rows()) == 4, timeout=WAIT_MS)
    writer = ReadingWriter(store.engine, interval_s=0.05)  # the recorder, busy writing
    writer.start()
    writer.add([_reading("probe-live", datetime(2026, 11, 1, 0, m, tzinfo=UTC)) for m in range(30)])
    sync = FakeSync()
    ctx.bus.changed.connect(sync.on_data_changed)
    controller = make_controller(qtbot, ctx, dialogs, recorder=lambda: writer, sync=lambda: sync)
    changes: list[frozenset[str]] = []
    ctx.bus.changed.connect(changes.append)
    dialogs.open_from = file

    with qtbot.waitSignal(controller.restored, timeout=WAIT_MS):
        controller.actions.restore.trigger()

    (asked,) = dialogs.confirmations
    assert "Replace all data in this PC's database with this backup?" in asked
    assert str(file) in asked and "This PC (SQLite)" in asked and "kept beside it" in asked
    # No restore during a sync round, and sync resumes on the restored data.
    assert sync.events == ["stop", "round ended", "start", "changed"]
    assert frozenset({CYCLES, MATERIALS, SETTINGS, READINGS}) in changes
    qtbot.waitUntil(lambda: len(page.model.rows()) == 3, timeout=WAIT_MS)
    assert sorted(r.name for r in page.model.rows()) == ["Pile 5", "Pile 6", "Pile 7"]
    assert cycle_names(store) == ["Pile 5", "Pile 6", "Pile 7"]
    (kept,) = (tmp_path / "local").glob("compost.db.before-restore-*")
    with sqlite3.connect(kept) as conn:  # what the recorder held went in before the swap
        held = conn.execute(
            "SELECT count(*) FROM sensor_reading WHERE device_id = 'probe-live'"
        ).fetchone()[0]
    conn.close()
    assert held == 30
    assert _readings_of(store, "probe-live") == 0  # the backup's data, not a mix
    # The recorder goes on, into the restored database.
    writer.add([_reading("probe-after", datetime(2026, 11, 2, tzinfo=UTC))])
    qtbot.waitUntil(lambda: _readings_of(store, "probe-after") == 1, timeout=WAIT_MS)
    writer.stop()
    assert controller.actions.restore.isEnabled()
    assert "Restored the backup before.db" in controller.window.statusBar().currentMessage()


@pytest.mark.parametrize("problem", ["newer", "not a backup"])
def test_restore_refuses_a_newer_backup_or_another_file(
    qtbot: QtBot, ctx: AppContext, store: Store, dialogs: Dialogs, tmp_path: Path, problem: str
) -> None:
    file = backup(store.engine.url, tmp_path / "backup.db")
    if problem == "newer":
        with sqlite3.connect(file) as conn:
            conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
        conn.close()
        expected = "made by a newer Compost Desktop"
    else:
        file = tmp_path / "notes.txt"
        file.write_text("not a database")
        expected = "is not a Compost Desktop backup"
    store.save_cycle(CycleDraft(name="Kept", start_date=date(2026, 8, 1)))
    before = cycle_names(store)
    controller = make_controller(qtbot, ctx, dialogs)
    dialogs.open_from = file
    with qtbot.waitSignal(controller.job_finished, timeout=WAIT_MS) as finished:
        controller.actions.restore.trigger()
    assert finished.args == ["failed"]
    ((title, text),) = dialogs.warnings
    assert title == "Cannot restore" and expected in text and "Nothing was changed" in text
    assert dialogs.confirmations == []  # refused before asking
    assert cycle_names(store) == before
    assert not list((tmp_path / "local").glob("*.before-restore-*"))


def test_declined_restore_changes_nothing(
    qtbot: QtBot, ctx: AppContext, store: Store, dialogs: Dialogs, tmp_path: Path
) -> None:
    file = backup(store.engine.url, tmp_path / "b.db")
    store.save_cycle(CycleDraft(name="Kept", start_date=date(2026, 8, 1)))
    controller = make_controller(qtbot, ctx, dialogs)
    dialogs.open_from, dialogs.confirm = file, False
    controller.actions.restore.trigger()
    qtbot.waitUntil(lambda: bool(dialogs.confirmations), timeout=WAIT_MS)
    assert "Kept" in cycle_names(store)
    assert not controller.busy and controller.actions.restore.isEnabled()


def test_default_export_name() -> None:
    assert default_export_name("inputs", "csv", date(2026, 1, 5)) == "inputs-2026-01-05.csv"
