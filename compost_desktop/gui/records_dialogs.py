"""File menu work on records: export to CSV or Excel, back up and restore the database.

Threads. Exports and backups run on the app's io runner (`BackgroundJob`), not on the
database runner: a year of readings takes minutes, and every screen's loads and saves queue
on that single runner. They read through their own connection (a WAL snapshot on SQLite,
MVCC on PostgreSQL), so the screens and the recorder keep writing meanwhile. A restore is
the opposite: nothing else may touch the database while its file is swapped, so it runs *on*
the database runner, which serialises it with every screen's work, after the recorder and
sync have been paused (see `RecordsController.on_restore`).
"""

from __future__ import annotations

import contextlib
import html
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QCoreApplication,
    QDate,
    QObject,
    QSettings,
    QStandardPaths,
    Qt,
    QTimer,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from compost_desktop.db.errors import first_line
from compost_desktop.gui.context import CYCLES, MATERIALS, READINGS, SETTINGS, AppContext
from compost_desktop.gui.tasks import Runner
from compost_desktop.presentation.formats import moment_text
from compost_desktop.presentation.palette import ERROR, MUTED_TEXT

if TYPE_CHECKING:
    from compost_desktop.records.backup import BackupInfo

log = logging.getLogger(__name__)

ALL_CHANGES = frozenset({CYCLES, MATERIALS, SETTINGS, READINGS})
KIND_LABELS = {"cycles": "&Cycles", "inputs": "&Inputs", "readings": "Sensor &readings"}
KIND_RANGE_HINTS = {
    "cycles": "Cycles whose start date falls in the range.",
    "inputs": "Inputs added in the range.",
    "readings": "Readings measured in the range.",
}
FORMAT_LABELS = {"xlsx": "E&xcel workbook (.xlsx)", "csv": "CS&V text (any spreadsheet)"}
FILE_FILTERS = {"xlsx": "Excel workbook (*.xlsx)", "csv": "CSV text (*.csv)"}
BACKUP_FILTER = "Compost Desktop backups (*.db *.sqlite *.backup);;All files (*)"
ERROR_STYLE = f"color: {ERROR};"
SYNC_POLL_MS = 100
SYNC_STOP_WAIT_S = 60.0

Progress = Callable[[int, int], None]
Work = Callable[[Progress, threading.Event], Any]
SaveChooser = Callable[[QWidget, str, str, str], str]  # parent, caption, path, filter → path
OpenChooser = Callable[[QWidget, str, str, str], str]


def documents_folder() -> Path:
    """Where people look for files they saved: Documents, else home."""
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(found) if found else Path.home()


def default_export_name(kind: str, fmt: str, today: date | None = None) -> str:
    """`readings-2026-11-22.xlsx`: what and when, so a folder of exports sorts itself."""
    return f"{kind}-{(today or date.today()).isoformat()}.{fmt}"


def default_backup_name(what: str = "compost-backup", now: datetime | None = None) -> str:
    return f"{what}-{(now or datetime.now()).strftime('%Y-%m-%d-%H%M')}.db"


def save_file_dialog(parent: QWidget, caption: str, path: str, filters: str) -> str:
    """The platform's save dialog (it asks before overwriting); '' when cancelled."""
    chosen, _ = QFileDialog.getSaveFileName(parent, caption, path, filters)
    return chosen


def open_file_dialog(parent: QWidget, caption: str, path: str, filters: str) -> str:
    chosen, _ = QFileDialog.getOpenFileName(parent, caption, path, filters)
    return chosen


def open_folder(path: Path) -> None:
    """Show the folder holding `path` in the desktop's file manager."""
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))


@dataclass(frozen=True)
class ExportRequest:
    kind: str
    fmt: str
    start: date | None
    end: date | None
    path: Path


def _to_date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class ExportDialog(QDialog):
    """What to export, for which days, in which format, to which file; checked as you go."""

    def __init__(self, parent: QWidget | None = None, today: date | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.today = today or date.today()
        # Tests and other front ends replace the platform's file dialog here.
        self.choose_file: SaveChooser = save_file_dialog
        self._named_by_user = False
        self._overwrite_confirmed: Path | None = None
        settings = QSettings()

        what = QGroupBox("Export")
        what_layout = QVBoxLayout(what)
        self.kind_group = QButtonGroup(self)
        self.kind_buttons: dict[str, QRadioButton] = {}
        for kind, label in KIND_LABELS.items():
            button = QRadioButton(label)
            self.kind_buttons[kind] = button
            self.kind_group.addButton(button)
            what_layout.addWidget(button)
        self.kind_buttons.get(
            str(settings.value("export/kind", "readings")), self.kind_buttons["readings"]
        ).setChecked(True)

        days = QGroupBox("Days")
        days_layout = QFormLayout(days)
        self.all_time = QCheckBox("&All time")
        self.all_time.setChecked(True)
        self.start_edit = QDateEdit()
        self.end_edit = QDateEdit()
        for edit in (self.start_edit, self.end_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.start_edit.setDate(QDate(self.today.year, self.today.month, 1))
        self.end_edit.setDate(QDate(self.today.year, self.today.month, self.today.day))
        self.range_hint = QLabel()
        self.range_hint.setWordWrap(True)
        self.range_hint.setStyleSheet(f"color: {MUTED_TEXT};")
        days_layout.addRow(self.all_time)
        days_layout.addRow("&From", self.start_edit)
        days_layout.addRow("&To", self.end_edit)
        days_layout.addRow(self.range_hint)

        formats = QGroupBox("Format")
        formats_layout = QVBoxLayout(formats)
        self.format_group = QButtonGroup(self)
        self.format_buttons: dict[str, QRadioButton] = {}
        for fmt, label in FORMAT_LABELS.items():
            button = QRadioButton(label)
            self.format_buttons[fmt] = button
            self.format_group.addButton(button)
            formats_layout.addWidget(button)
        # Measured: openpyxl writes ~3,700 rows/s, the CSV writer ~35,000 (2026-11, 2 cores).
        self.format_hint = QLabel("Large reading exports are\nabout ten times faster as CSV.")
        self.format_hint.setStyleSheet(f"color: {MUTED_TEXT};")
        formats_layout.addWidget(self.format_hint)
        self.format_buttons.get(
            str(settings.value("export/format", "xlsx")), self.format_buttons["xlsx"]
        ).setChecked(True)

        file_row = QHBoxLayout()
        self.path_edit = QLineEdit()
        self.path_edit.setMinimumWidth(360)
        self.browse_button = QPushButton("&Browse…")
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.browse_button)
        file_label = QLabel("&Save as")
        file_label.setBuddy(self.path_edit)

        self.error_label = QLabel()
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setWordWrap(True)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton(
            "&Export", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.export_button.setDefault(True)

        top = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(what)
        left.addWidget(formats)
        left.addStretch(1)
        top.addLayout(left)
        top.addWidget(days, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(file_label)
        layout.addLayout(file_row)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        remembered = str(settings.value("export/folder", "") or "")
        folder = Path(remembered) if remembered else None
        self._folder = folder if folder is not None and folder.is_dir() else documents_folder()
        self._set_path(self._folder / default_export_name(self.kind(), self.fmt(), self.today))

        self.kind_group.buttonToggled.connect(self.on_kind_toggled)
        self.format_group.buttonToggled.connect(self.on_format_toggled)
        self.all_time.toggled.connect(self.on_inputs_changed)
        self.start_edit.dateChanged.connect(self.on_inputs_changed)
        self.end_edit.dateChanged.connect(self.on_inputs_changed)
        self.path_edit.textEdited.connect(self.on_path_edited)
        self.browse_button.clicked.connect(self.on_browse)
        self.buttons.accepted.connect(self.on_accept)
        self.buttons.rejected.connect(self.reject)
        self.on_inputs_changed()

    # -- reading the form --

    def kind(self) -> str:
        return next(k for k, b in self.kind_buttons.items() if b.isChecked())

    def fmt(self) -> str:
        return next(f for f, b in self.format_buttons.items() if b.isChecked())

    def date_range(self) -> tuple[date | None, date | None]:
        if self.all_time.isChecked():
            return None, None
        return _to_date(self.start_edit.date()), _to_date(self.end_edit.date())

    def path(self) -> Path | None:
        text = self.path_edit.text().strip()
        if not text:
            return None
        path = Path(text).expanduser()
        return path if path.is_absolute() else self._folder / path  # a bare name: same folder

    def problem(self) -> str | None:
        """What stops the export, in words; None when it can go."""
        start, end = self.date_range()
        if start is not None and end is not None and end < start:
            return f"The range ends ({end}) before it starts ({start})."
        path = self.path()
        if path is None:
            return "Choose a file to save to."
        if path.is_dir():
            return f"{path} is a folder; add a file name."
        return None

    def request(self) -> ExportRequest:
        start, end = self.date_range()
        path = self.path()
        assert path is not None, "request() is only called once problem() is None"
        return ExportRequest(self.kind(), self.fmt(), start, end, path)

    # -- slots --

    @Slot(QRadioButton, bool)
    def on_kind_toggled(self, _button: QRadioButton, checked: bool) -> None:
        if checked and not self._named_by_user:
            current = self.path()
            folder = current.parent if current is not None else self._folder
            self._set_path(folder / default_export_name(self.kind(), self.fmt(), self.today))
        self.on_inputs_changed()

    @Slot(QRadioButton, bool)
    def on_format_toggled(self, _button: QRadioButton, checked: bool) -> None:
        path = self.path()
        if checked and path is not None:
            self._set_path(path.with_suffix(f".{self.fmt()}"))
        self.on_inputs_changed()

    @Slot()
    def on_inputs_changed(self) -> None:
        dated = not self.all_time.isChecked()
        self.start_edit.setEnabled(dated)
        self.end_edit.setEnabled(dated)
        hint = KIND_RANGE_HINTS[self.kind()] + " Days run midnight to midnight UTC."
        self.range_hint.setText(hint)
        self.format_hint.setVisible(self.kind() == "readings" and self.fmt() == "xlsx")
        problem = self.problem()
        self.error_label.setText(problem or "")
        self.export_button.setEnabled(problem is None)

    @Slot(str)
    def on_path_edited(self, _text: str) -> None:
        self._named_by_user = True
        self._overwrite_confirmed = None
        self.on_inputs_changed()

    @Slot()
    def on_browse(self) -> None:
        fmt = self.fmt()
        current = self.path() or self._folder / default_export_name(self.kind(), fmt, self.today)
        others = ";;".join(v for k, v in FILE_FILTERS.items() if k != fmt)
        chosen = self.choose_file(self, "Export to", str(current), f"{FILE_FILTERS[fmt]};;{others}")
        if not chosen:
            return
        path = Path(chosen)
        if path.suffix.lower() not in (".csv", ".xlsx"):
            path = path.with_name(f"{path.name}.{fmt}")
        elif path.suffix.lower() != f".{fmt}":
            self.format_buttons[path.suffix.lower()[1:]].setChecked(True)
        self._named_by_user = True
        self._set_path(path)
        self._overwrite_confirmed = Path(chosen)  # the platform's dialog already asked
        self.on_inputs_changed()

    @Slot()
    def on_accept(self) -> None:
        if self.problem() is not None:
            return
        path = self.path()
        assert path is not None
        if path.exists() and path != self._overwrite_confirmed:
            answer = QMessageBox.question(
                self,
                "Replace file?",
                f"{path.name} already exists in {path.parent}. Replace it?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        settings = QSettings()
        settings.setValue("export/kind", self.kind())
        settings.setValue("export/format", self.fmt())
        settings.setValue("export/folder", str(path.parent))
        self.accept()

    def _set_path(self, path: Path) -> None:
        self.path_edit.setText(str(path))


class BackgroundJob(QObject):
    """One long task on the io runner, with a cancel flag; progress and the outcome come
    back as signals. At quit the runner waits for it, after `cancel` asked it to stop."""

    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, work: Work, runner: Runner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.work = work
        self.runner = runner
        self.cancel = threading.Event()

    def start(self) -> None:
        self.runner.submit(
            lambda: self.work(self.progressed.emit, self.cancel),
            self.succeeded.emit,
            self.failed.emit,
        )


def restore_confirmation(
    parent: QWidget | None, info: BackupInfo, target: str, shared: bool, server_note: bool
) -> QMessageBox:
    """The question asked before a restore: what the backup is and what it replaces."""
    made = info.created_at
    with contextlib.suppress(ValueError):  # shown as stored when it is not a time
        made = moment_text(datetime.fromisoformat(info.created_at))
    if info.app_version:
        made += f" by Compost Desktop {info.app_version}"
    rows = [
        ("Backup of", info.source),
        ("Made", f"{made} (schema {info.revision})"),
        ("File", str(info.path)),
        ("Replaces", target),
    ]
    table = "".join(
        f"<tr><td style='padding-right: 12px; color: {MUTED_TEXT};'>{name}</td>"
        f"<td>{html.escape(value)}</td></tr>"
        for name, value in rows
    )
    details = [
        "Every cycle, input, material, turning, sensor reading and alarm in the database is "
        "replaced by the backup's; changes made since the backup was made are not in it."
    ]
    if shared:
        details.append("This database is shared: every PC using it will see the restored data.")
    else:
        details.append("The database as it is now is kept beside it (…before-restore-<time>).")
    if server_note:
        details.append(
            "A farm server is configured: the next sync brings back what the server received "
            "since the backup was made, and sends the backup's changes it never received."
        )
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Restore from backup")
    box.setTextFormat(Qt.TextFormat.RichText)
    whose = "the shared database" if shared else "this PC's database"
    box.setText(f"<b>Replace all data in {whose} with this backup?</b><table>{table}</table>")
    box.setInformativeText("<p>" + "</p><p>".join(html.escape(d) for d in details) + "</p>")
    box.setStyleSheet(
        "QLabel#qt_msgbox_label, QLabel#qt_msgbox_informativelabel { min-width: 520px; }"
    )
    restore = box.addButton("&Restore", QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    restore.setObjectName("restore")
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    return box


class RecordsController(QObject):
    """Connects the File menu's export, backup and restore actions to the work behind them.

    `server_url` gives the farm server's URL (password included) or None; it is called on a
    worker thread as it may ask the keyring. `recorder` gives the monitoring recorder
    (`ReadingWriter`) writing into the open store, if any; `sync` the `SyncService`, if any.
    """

    job_finished = Signal(str)  # "done", "cancelled" or "failed"
    restored = Signal()

    def __init__(
        self,
        ctx: AppContext,
        window: QMainWindow,
        actions: RecordsActions,
        server_url: Callable[[], str | None] | None = None,
        recorder: Callable[[], Any] | None = None,
        sync: Callable[[], Any] | None = None,
    ) -> None:
        super().__init__(window)
        self.ctx = ctx
        self.window = window
        self.actions = actions
        self.server_url = server_url
        self.recorder = recorder or (lambda: None)
        self.sync = sync or (lambda: None)
        # Replaceable so tests (and scripts) never block on a platform dialog.
        self.choose_save_file: SaveChooser = save_file_dialog
        self.choose_open_file: OpenChooser = open_file_dialog
        self.confirm_restore: Callable[[QMessageBox], bool] = _ask
        self.open_folder: Callable[[Path], None] = open_folder
        self.export_dialog: ExportDialog | None = None
        self.progress: QProgressDialog | None = None
        self.result_box: QMessageBox | None = None
        self.job: BackgroundJob | None = None
        self._resume_sync: Any = None

        actions.export.triggered.connect(self.on_export)
        actions.backup.triggered.connect(self.on_backup)
        actions.backup_server.triggered.connect(self.on_backup_server)
        actions.restore.triggered.connect(self.on_restore)
        ctx.store_ready.connect(self.on_state_changed)
        ctx.settings_changed.connect(self.on_state_changed)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.on_about_to_quit)
        self.on_state_changed()

    # -- state --

    @property
    def busy(self) -> bool:
        return self.job is not None or self.progress is not None

    def server_configured(self) -> bool:
        db = self.ctx.settings.database
        return self.server_url is not None and bool(db.url.strip() or db.host.strip())

    @Slot()
    def on_state_changed(self) -> None:
        ready = self.ctx.store is not None and not self.busy
        for action in (self.actions.export, self.actions.backup, self.actions.restore):
            action.setEnabled(ready)
        self.actions.backup_server.setVisible(self.server_configured())
        self.actions.backup_server.setEnabled(not self.busy)

    @Slot()
    def on_about_to_quit(self) -> None:
        """A running export or backup stops and cleans up rather than leave a part file
        (the io runner's shutdown then waits for it)."""
        if self.job is not None:
            self.job.cancel.set()

    # -- export --

    @Slot()
    def on_export(self) -> None:
        if self.ctx.store is None or self.busy:
            return
        dialog = ExportDialog(self.window)
        dialog.choose_file = self.choose_save_file
        dialog.accepted.connect(lambda: self._start_export(dialog.request()))
        dialog.finished.connect(dialog.deleteLater)
        self.export_dialog = dialog
        dialog.open()

    def _start_export(self, request: ExportRequest) -> None:
        store = self.ctx.store
        if store is None:
            return
        engine = store.engine

        def work(progress: Progress, cancel: threading.Event) -> int:
            from compost_desktop.records.export import export

            return export(
                engine,
                request.kind,
                request.path,
                request.start,
                request.end,
                progress=progress,
                cancel=cancel,
                fmt=request.fmt,
            )

        noun = request.kind if request.kind != "readings" else "sensor readings"
        self._run(
            work,
            f"Exporting {noun}…",
            lambda rows: self._exported(request, int(rows)),
            lambda exc: self._failed("Export failed", f"{request.path} was not written.", exc),
            unit="rows",
        )

    def _exported(self, request: ExportRequest, rows: int) -> None:
        self._done(
            "Export finished",
            f"{rows:,} {request.kind} written to {request.path}",
            request.path,
        )

    # -- backup --

    @Slot()
    def on_backup(self) -> None:
        store = self.ctx.store
        if store is None or self.busy:
            return
        url = store.engine.url
        label = "this PC's database" if url.get_backend_name() == "sqlite" else "the database"
        self._back_up(lambda: url, label, default_backup_name())

    @Slot()
    def on_backup_server(self) -> None:
        source = self.server_url
        if source is None or self.busy:
            return

        def url() -> Any:
            found = source()
            if found is None:
                from compost_desktop.records.backup import BackupError

                raise BackupError("No farm server is configured (Settings → Server).")
            return found

        self._back_up(url, "the farm server", default_backup_name("compost-server-backup"))

    def _back_up(self, url: Callable[[], Any], label: str, name: str) -> None:
        folder = Path(str(QSettings().value("backup/folder", "") or documents_folder()))
        chosen = self.choose_save_file(
            self.window, f"Back up {label} to", str(folder / name), BACKUP_FILTER
        )
        if not chosen:
            return
        target = Path(chosen)
        QSettings().setValue("backup/folder", str(target.parent))

        def work(progress: Progress, cancel: threading.Event) -> Path:
            from compost_desktop.records.backup import backup

            return backup(url(), target, progress=progress, cancel=cancel)

        self._run(
            work,
            f"Backing up {label}…",
            lambda path: self._done(
                "Backup finished", f"{label[0].upper()}{label[1:]} backed up to {path}", Path(path)
            ),
            lambda exc: self._failed("Backup failed", f"{target} was not written.", exc),
            unit="percent",
        )

    # -- restore --

    @Slot()
    def on_restore(self) -> None:
        """Choose a backup, say what it is, ask, then restore with writers paused."""
        store = self.ctx.store
        if store is None or self.busy:
            return
        folder = Path(str(QSettings().value("backup/folder", "") or documents_folder()))
        chosen = self.choose_open_file(
            self.window, "Restore from backup", str(folder), BACKUP_FILTER
        )
        if not chosen:
            return

        def work(_progress: Progress, _cancel: threading.Event) -> BackupInfo:
            from compost_desktop.records.backup import inspect_backup

            return inspect_backup(Path(chosen))  # reads the file: off the GUI thread

        self._run(
            work,
            "Reading the backup…",
            self._confirm,
            lambda exc: self._failed("Cannot restore", "Nothing was changed.", exc),
            unit=None,
        )

    def _confirm(self, info: BackupInfo) -> None:
        store = self.ctx.store
        if store is None:
            return
        sqlite = store.engine.dialect.name == "sqlite"
        box = restore_confirmation(
            self.window,
            info,
            self.ctx.database_label or "the database",
            shared=not sqlite,
            server_note=sqlite and self.server_configured(),
        )
        if self.confirm_restore(box):
            self._pause_then_restore(info)

    def _pause_then_restore(self, info: BackupInfo) -> None:
        """Sync writes into the local store from its own thread: stop it first."""
        self._show_progress("Restoring the backup…", None, cancellable=False)
        self.on_state_changed()
        service = self.sync()
        if service is not None:
            service.pause()  # also keeps a change saved meanwhile from starting a round
            self._resume_sync = service
        self._restore_when_sync_stopped(info, time.monotonic() + SYNC_STOP_WAIT_S)

    def _restore_when_sync_stopped(self, info: BackupInfo, give_up_at: float) -> None:
        service = self._resume_sync
        if service is not None and service.running:
            if time.monotonic() > give_up_at:
                from compost_desktop.records.backup import BackupError

                self._restore_failed(
                    BackupError(
                        "A sync with the farm server is still running and did not stop. "
                        "Nothing was changed; try the restore again in a moment."
                    )
                )
                return
            # A round stops at its next cancellation check (between batches).
            QTimer.singleShot(
                SYNC_POLL_MS, lambda: self._restore_when_sync_stopped(info, give_up_at)
            )
            return
        store = self.ctx.store
        assert store is not None
        engine = store.engine
        writer = self._writer()

        def work() -> None:
            from compost_desktop.records.backup import restore

            # The recorder writes from its own thread: flush it and stop that thread; what
            # arrives meanwhile waits in its buffer and goes into the restored database.
            if writer is not None:
                writer.stop()
            try:
                store.dispose()  # no pooled connection (writer or reader) may keep the old file
                restore(info.path, engine.url)
            finally:
                store.dispose()
                if writer is not None:
                    writer.invalidate_cycles()
                    writer.start()

        self.ctx.runner.submit(
            work,
            lambda _: self._restored(info),
            lambda exc: self._restore_failed(exc),
            changes=ALL_CHANGES,
        )

    def _writer(self) -> Any:
        from compost_desktop.monitoring.recording import ReadingWriter

        writer = self.recorder()
        return writer if isinstance(writer, ReadingWriter) else None

    def _restored(self, info: BackupInfo) -> None:
        self._close_progress()
        self._resume()
        log.info("Restored %s into %s", info.path, self.ctx.database_label)
        self.window.statusBar().showMessage(f"Restored the backup {info.path.name}", 15_000)
        self.restored.emit()
        self.job_finished.emit("done")
        self.on_state_changed()

    def _restore_failed(self, exc: BaseException) -> None:
        self._close_progress()
        self._resume()
        self._failed("Restore failed", "", exc)

    def _resume(self) -> None:
        service, self._resume_sync = self._resume_sync, None
        if service is not None:
            service.resume()

    # -- shared --

    def _run(
        self,
        work: Work,
        title: str,
        on_done: Callable[[Any], None],
        on_failed: Callable[[BaseException], None],
        unit: str | None,
    ) -> None:
        job = BackgroundJob(work, self.ctx.io, self)
        self.job = job
        progress = self._show_progress(title, unit, cancellable=unit is not None)
        job.progressed.connect(lambda done, total: _show(progress, done, total, unit))
        progress.canceled.connect(job.cancel.set)

        def finished(outcome: Callable[[], None]) -> None:
            self.job = None
            self._close_progress()
            job.deleteLater()
            outcome()
            self.on_state_changed()

        job.succeeded.connect(lambda result: finished(lambda: on_done(result)))
        job.failed.connect(lambda exc: finished(lambda: on_failed(exc)))
        self.on_state_changed()
        job.start()

    def _show_progress(self, title: str, unit: str | None, cancellable: bool) -> QProgressDialog:
        progress = QProgressDialog(title, "Cancel" if cancellable else "", 0, 0, self.window)
        progress.setWindowTitle(title.rstrip("…"))
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.setMinimumDuration(300)
        progress.setMinimumWidth(360)
        if not cancellable:
            progress.setCancelButton(None)
        progress.setProperty("title", title)
        progress.setProperty("unit", unit)
        self.progress = progress
        return progress

    def _close_progress(self) -> None:
        progress, self.progress = self.progress, None
        if progress is not None:
            progress.close()
            progress.deleteLater()

    def _done(self, title: str, text: str, path: Path) -> None:
        self.window.statusBar().showMessage(text, 30_000)
        box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=self.window)
        folder = box.addButton("&Open folder", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Close)
        folder.clicked.connect(lambda: self.open_folder(path))
        box.finished.connect(box.deleteLater)
        self.result_box = box
        box.open()
        self.job_finished.emit("done")

    def _failed(self, title: str, consequence: str, exc: BaseException) -> None:
        from compost_desktop.records.backup import BackupCancelled, BackupError
        from compost_desktop.records.export import ExportCancelled, ExportError

        if isinstance(exc, ExportCancelled | BackupCancelled):
            self.window.statusBar().showMessage(str(exc), 15_000)
            self.job_finished.emit("cancelled")
            return
        if not isinstance(exc, ExportError | BackupError | OSError):
            log.error("%s", title, exc_info=exc)  # not expected: keep the traceback in the log
        message = str(exc) if isinstance(exc, ExportError | BackupError) else first_line(exc)
        if consequence and consequence not in message:
            message = f"{message}\n\n{consequence}"
        self.window.statusBar().showMessage(title, 15_000)
        QMessageBox.warning(self.window, title, message)
        self.job_finished.emit("failed")


@dataclass(frozen=True)
class RecordsActions:
    """The File menu's entries this controller serves (made by the main window)."""

    export: QAction
    backup: QAction
    backup_server: QAction
    restore: QAction


def _show(progress: QProgressDialog, done: int, total: int, unit: str | None) -> None:
    title = str(progress.property("title"))
    if unit == "rows":
        progress.setLabelText(f"{title}\n{done:,} of {total:,} rows")
    elif total:
        progress.setLabelText(f"{title}\n{100 * done // total} %")
    progress.setMaximum(max(total, 1))
    progress.setValue(min(done, max(total, 1)))


def _ask(box: QMessageBox) -> bool:
    box.exec()
    clicked = box.clickedButton()
    return clicked is not None and clicked.objectName() == "restore"
