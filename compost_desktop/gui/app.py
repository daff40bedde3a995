"""Application start-up: show the window at once, open the database off the GUI thread."""

from __future__ import annotations

import gc
import getpass
import logging
import os
import signal
import socket
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSettings, QSocketNotifier, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QKeySequence
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QWidget

from compost_desktop import APP_ID, APP_NAME, __version__, settings_store
from compost_desktop.gui.collector import MainThreadCollector
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.elided import ElidedButton
from compost_desktop.gui.errors import ErrorReporter
from compost_desktop.gui.main_window import MainWindow
from compost_desktop.gui.screen import fit_on_screen
from compost_desktop.gui.sync_service import SyncService
from compost_desktop.gui.tasks import ChangeBus, DatabaseRunner, IoRunner
from compost_desktop.logs import setup
from compost_desktop.paths import ENV_DATA_DIR, data_dir, resource_path
from compost_desktop.presentation.palette import ERROR, MUTED_TEXT, WARNING

if TYPE_CHECKING:
    from compost_desktop.gui.records_dialogs import RecordsController
    from compost_desktop.services.store import Store
    from compost_desktop.settings import Settings

log = logging.getLogger(__name__)

PING_INTERVAL_MS = 15_000
ENV_CONFIG_DIR = "COMPOST_CONFIG_DIR"
DEFAULT_SIZE = (1100, 720)
# Room kept free around a window fitted to a small screen (title bar, taskbar slack).


def settings_dir() -> Path | None:
    """Where the settings live when a profile is moved: COMPOST_CONFIG_DIR, else a folder
    inside COMPOST_DATA_DIR, so tests and separate profiles never share ~/.config."""
    config = os.environ.get(ENV_CONFIG_DIR)
    if config:
        return Path(config)
    data = os.environ.get(ENV_DATA_DIR)
    return Path(data) / "settings" if data else None


def use_settings_location() -> None:
    """Point every QSettings() in the app at `settings_dir()` (INI files), when one is set."""
    folder = settings_dir()
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))


def instance_key(database_url: str | None = None) -> str:
    """One running copy per user, data folder and database; other profiles run side by side."""
    where = f"{data_dir().resolve()}|{settings_dir()}|{database_url or ''}"
    # A checksum, not hashlib: its OpenSSL module is a hundredth of the start, and the key
    # only tells a few local profiles apart.
    return f"{APP_ID}-{getpass.getuser()}-{zlib.crc32(where.encode()):08x}"


class SingleInstance(QObject):
    """A second launch asks the running copy to come forward, then exits."""

    activation_requested = Signal()

    def __init__(self, key: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.server: QLocalServer | None = None

    def forward_to_running(self, timeout_ms: int = 1000) -> bool:
        """True when another copy answered (and was asked to show itself)."""
        sock = QLocalSocket()
        sock.connectToServer(self.key)
        if not sock.waitForConnected(timeout_ms):
            return False
        sock.write(b"activate\n")
        sock.flush()
        sock.waitForBytesWritten(timeout_ms)
        sock.disconnectFromServer()
        return True

    def listen(self) -> bool:
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.key):
            QLocalServer.removeServer(self.key)  # left behind by a copy that crashed
            if not server.listen(self.key):
                log.warning("Single-instance server not started: %s", server.errorString())
                return False
        server.newConnection.connect(self.on_new_connection)
        self.server = server
        return True

    def on_new_connection(self) -> None:
        assert self.server is not None
        while (sock := self.server.nextPendingConnection()) is not None:
            # Short messages arrive at once; wait briefly rather than keep sockets around.
            arrived = sock.bytesAvailable() or sock.waitForReadyRead(500)
            if arrived and bytes(sock.readAll().data()).strip():
                self.activation_requested.emit()
            sock.close()
            sock.deleteLater()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server.deleteLater()
            self.server = None


def bring_forward(window: QWidget) -> None:
    """Show a minimised or hidden window and raise it above the others."""
    window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    window.show()
    window.raise_()
    window.activateWindow()


class FirstPaint(QObject):
    """Runs `callbacks` once, just after the window's first paint (or after `latest_ms`,
    should it start minimised and not paint)."""

    def __init__(
        self, window: QWidget, callbacks: list[Callable[[], object]], latest_ms: int = 2000
    ) -> None:
        super().__init__(window)
        self._window = window
        self._callbacks = callbacks
        window.installEventFilter(self)
        QTimer.singleShot(latest_ms, self._run)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self._window.removeEventFilter(self)
            QTimer.singleShot(0, self._run)  # after this paint, not before it
        return False

    def _run(self) -> None:
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()


class SignalQuitter(QObject):
    """SIGTERM and SIGHUP close the window as Quit does, so shutdown runs in full (the demo
    broker is stopped, recording flushed). The C-level handler writes to a socket that the
    event loop watches, so a signal is seen at once even while Qt sleeps."""

    received = Signal(int)

    def __init__(self, on_signal: object, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._read, self._write = socket.socketpair()
        self._read.setblocking(False)
        self._write.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._write.fileno())
        self._previous = {}
        for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if sig is not None:
                self._previous[sig] = signal.signal(sig, lambda *_: None)
        self._notifier = QSocketNotifier(self._read.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self.on_readable)
        assert callable(on_signal)
        self.received.connect(on_signal)

    def on_readable(self) -> None:
        try:
            data = self._read.recv(64)
        except BlockingIOError:
            return
        for number in data:
            log.info("Signal %s received: shutting down as Quit does", number)
            self.received.emit(number)

    def restore(self) -> None:
        self._notifier.setEnabled(False)
        signal.set_wakeup_fd(self._previous_fd)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._read.close()
        self._write.close()


@dataclass(frozen=True)
class OpenedDatabase:
    store: Store
    label: str
    recovered_from: str | None = None  # a damaged local store that was moved aside


def open_database(url_text: str | None, syncing: bool = True) -> OpenedDatabase:
    """Runs on the database thread: check, upgrade or adopt, and hand back a store.

    Without an explicit URL this is the PC's local store, which the screens always use;
    a damaged one is moved aside and rebuilt (from the server when one is configured).
    """
    # Imported here, so the window does not wait for SQLAlchemy, and once, before the
    # recorder's and the sync service's threads need them (see run_gui). Without a farm
    # server the sync engine and psycopg (an eighth of a second) wait until one is set.
    import compost_desktop.monitoring.recording

    if syncing:
        import compost_desktop.sync.engine  # noqa: F401
    from compost_desktop.db import health, lock, migrate
    from compost_desktop.db.engine import describe, make_engine, resolve_url
    from compost_desktop.services.store import Store

    url = resolve_url(url_text)
    # Held until the app exits: `db restore` from a terminal then refuses, naming the app.
    lock.hold_for_process(url, "the Compost Desktop app")
    recovered = None
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        problem = health.check_sqlite_file(path)
        if problem is not None:
            recovered = f"{health.move_aside(path)} ({problem})"
    status = migrate.ensure_current(url)
    log.info("Database ready: %s", status.summary())
    # Screens read a file store through read-only snapshots (see Store); a server has MVCC.
    file_store = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    reader = make_engine(url, read_only=True) if file_store else None
    return OpenedDatabase(Store(make_engine(url), reader), describe(url), recovered)


def server_url_from(settings: Settings) -> str | None:
    """The farm server to sync with, with its password from the keyring; None when embedded."""
    from compost_desktop import secrets

    db = settings.database
    if not db.url.strip() and not db.host.strip():
        return None
    return db.effective_url(secrets.get_password(db.secret_key) if db.host else None)


class DatabaseConnector:
    """Opens the database, then keeps checking it so the status bar tells the truth."""

    def __init__(
        self, ctx: AppContext, window: MainWindow, url_text: str | None, syncing: bool = True
    ) -> None:
        self.ctx = ctx
        self.window = window
        self.url_text = url_text
        self.syncing = syncing
        self._timer = QTimer(window)
        self._timer.setInterval(PING_INTERVAL_MS)
        self._timer.timeout.connect(self.on_tick)
        self._reachable: bool | None = None
        self.refused_box: QMessageBox | None = None  # shown once when an upgrade is refused
        self._opening = False  # one attempt at a time, however slow
        self.first_attempt_done: Callable[[], None] | None = None

    def _first_attempt(self) -> None:
        if self.first_attempt_done is not None:
            done, self.first_attempt_done = self.first_attempt_done, None
            done()

    def start(self) -> None:
        self._open()
        self._timer.start()

    def on_opened(self, result: OpenedDatabase) -> None:
        self._opening = False
        self._reachable = True
        self.ctx.set_store(result.store, result.label)
        self.window.on_database_state(f"{result.label} — ready", True)
        self._first_attempt()
        if result.recovered_from:
            QMessageBox.warning(
                self.window,
                "Local database rebuilt",
                "This PC's database file was damaged and could not be used. It was moved "
                f"aside to {result.recovered_from} and a new one was started"
                + (
                    "; your data is being copied back from the farm server."
                    if self.ctx.settings.database.host or self.ctx.settings.database.url
                    else ". Restore a backup if you have one."
                ),
            )

    def on_open_failed(self, exc: BaseException) -> None:
        self._opening = False
        if self.refused_box is not None:
            return
        log.error("Database not opened: %s", exc)
        self._reachable = False
        if _refused(exc):
            # Retrying cannot help (and each attempt would copy the file aside again):
            # say it once and stop until the app is restarted.
            self._timer.stop()
            self.window.on_database_state(f"Database not opened — {exc}", False)
            self._first_attempt()
            box = QMessageBox(
                QMessageBox.Icon.Critical,
                "Database not opened",
                str(exc),
                QMessageBox.StandardButton.Ok,
                self.window,
            )
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()  # not exec(): the event loop (and the recorder) keep running
            self.refused_box = box
            return
        self.window.on_database_state(
            f"Database not available — {exc} Retrying every {PING_INTERVAL_MS // 1000} s.", False
        )
        self._first_attempt()

    def on_tick(self) -> None:
        store = self.ctx.store
        if store is None:
            self._open()  # not open yet: keep trying
            return
        self.ctx.runner.submit(store.ping, self.on_ping, self.on_ping)

    def _open(self) -> None:
        if self._opening or self.refused_box is not None:
            return
        self._opening = True
        self.ctx.runner.submit(
            lambda: open_database(self.url_text, self.syncing), self.on_opened, self.on_open_failed
        )

    def on_ping(self, result: object) -> None:
        ok = result is True
        if ok != self._reachable:
            label = self.ctx.database_label
            self.window.on_database_state(
                f"{label} — ready" if ok else f"{label} — server unreachable, retrying", ok
            )
        self._reachable = ok


def _refused(exc: BaseException) -> bool:
    """An upgrade the database refused (bad data, newer schema, damage), not an outage."""
    from compost_desktop.db import migrate

    return isinstance(exc, migrate.MigrationError) and not isinstance(
        exc, migrate.DatabaseUnreachableError
    )


def _install_input_guard(app: QApplication) -> None:
    # Its module (a dozen Qt classes) loads after the first paint, with the guard itself.
    from compost_desktop.gui.inputs import install_input_guard

    install_input_guard(app)


def create_app(argv: list[str], input_guard: bool = True) -> QApplication:
    """The application; `run_gui` installs the input guard itself, after the first paint."""
    app = QApplication.instance() or QApplication(argv)
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_ID)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(APP_ID)
    app.setApplicationVersion(__version__)
    use_settings_location()
    if input_guard:
        _install_input_guard(app)
    icon = resource_path("icons/compost-desktop.png")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def build_window(ctx: AppContext, log_path: str) -> MainWindow:
    """The main window with every screen; screens load their data once the store is ready."""
    window = MainWindow("Database", log_path)

    def cycles() -> QWidget:
        from compost_desktop.gui.cycles.page import CyclesPage

        return CyclesPage(ctx)

    def monitoring() -> QWidget:
        from compost_desktop.gui.monitoring.alarm_view import attach_to_window
        from compost_desktop.gui.monitoring.page import MonitoringPage

        page = MonitoringPage(ctx)
        attach_to_window(page.hub, window, lambda: window.show_page("monitoring"))
        return page

    def materials() -> QWidget:
        from compost_desktop.gui.materials.page import MaterialsPage

        return MaterialsPage(ctx)

    def settings() -> QWidget:
        from compost_desktop.gui.settings_page import SettingsPage

        return SettingsPage(ctx)

    def devices() -> QWidget:
        from compost_desktop.gui.devices.page import DevicesPage

        return DevicesPage(ctx)

    window.add_page("cycles", "Cycles", cycles)
    window.add_page("monitoring", "Monitoring", monitoring)
    window.add_page("materials", "Materials", materials)
    window.add_page("devices", "Devices", devices)
    window.add_page("settings", "Settings", settings)
    return window


def run_gui(database_url: str | None) -> int:
    log_path = setup()
    log.info("Starting %s %s", APP_NAME, __version__)
    app = create_app(sys.argv, input_guard=False)
    instance = SingleInstance(instance_key(database_url), app)
    if instance.forward_to_running():
        log.info("Already running: asked the open window to come forward")
        print(f"{APP_NAME} is already running; its window was brought forward.", flush=True)
        return 0
    instance.listen()
    reporter = ErrorReporter(str(log_path))
    reporter.install()
    collector = MainThreadCollector(app)
    collector.start()
    settings = settings_store.load()
    from compost_desktop.gui.password_prompt import unlock_at_start

    unlock_at_start(settings)  # passwords kept in no keyring are asked for now
    bus = ChangeBus()
    runner = DatabaseRunner(bus)
    io = IoRunner(bus)
    ctx = AppContext(settings, runner, bus, io)
    window = build_window(ctx, str(log_path))
    server_url = None if database_url else server_url_from(settings)
    connector = DatabaseConnector(ctx, window, database_url, syncing=server_url is not None)
    sync = SyncLink(ctx, window, server_url)
    # What the first picture does not need waits until it is painted: nobody types, scrolls
    # or opens the File menu in the window's first milliseconds.
    quit_after = os.environ.get("COMPOST_QUIT_AFTER_SHOWN_MS")
    painted: list[Callable[[], object]] = [
        lambda: _install_input_guard(app),
        lambda: connect_records(ctx, window, sync, database_url),
    ]
    if quit_after is not None:  # start-up measurements and smoke tests
        painted.insert(0, lambda: print("main-window-shown", flush=True))
    FirstPaint(window, painted)
    connect_help(window)
    fit_on_screen(window)
    instance.activation_requested.connect(lambda: bring_forward(window))
    quitter = SignalQuitter(window.close, app)
    window.show()
    # Start the database work once the event loop runs, so the first paint comes first.
    QTimer.singleShot(0, connector.start)
    # Once the database thread has opened the store (and so imported SQLAlchemy: importing
    # it from two threads at once fails), build the visible page, then the others;
    # monitoring (and so recording) starts whether or not its page is ever opened.
    connector.first_attempt_done = lambda: _finish_start(window, quit_after is None)
    if quit_after is not None:
        # "first-page-ready" once the list can be used (its first rows shown); quit a while
        # after all of them are (or it says why there are none), so smoke tests exercise
        # the real start.
        said: list[str] = []

        def on_rows_shown() -> None:
            if not said:
                said.append("first-page-ready")
                print("first-page-ready", flush=True)

        def on_list_complete() -> None:
            on_rows_shown()
            print("cycle-list-complete", flush=True)
            QTimer.singleShot(int(quit_after), app.quit)

        def on_page_built(key: str) -> None:
            if key != "cycles":
                return
            if ctx.store is None:  # nothing to load: the page says why
                on_list_complete()
                return
            # Built before its rows arrive: they come from the database thread.
            page = window.page("cycles")
            page.rows_shown.connect(on_rows_shown)  # type: ignore[attr-defined]
            page.load_finished.connect(on_list_complete)  # type: ignore[attr-defined]

        window.page_built.connect(on_page_built)
    code = app.exec()
    quitter.restore()
    instance.close()
    sync.stop()
    if window.is_built("monitoring"):
        window.page("monitoring").hub.stop()  # type: ignore[attr-defined]
    io.shutdown()  # after the hub: its last stops (paho's thread, the writer's flush) run here
    runner.shutdown()
    collector.stop()
    log.info("Shut down")
    return code


def connect_help(window: MainWindow) -> None:
    """F1 opens the user guide shipped in resources/help, from any page."""
    help_menu = next(
        (a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Help"),
        None,
    )
    menu = help_menu if isinstance(help_menu, QMenu) else None  # QAction.menu() is a QObject
    action = window.addAction("&User guide")
    action.setShortcut(QKeySequence.StandardKey.HelpContents)
    action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)

    def show_guide() -> None:
        dialog = getattr(window, "user_guide", None)
        if dialog is None:
            # Loaded when first asked for: its module was 3 ms of the start, before the paint.
            from compost_desktop.gui.help import UserGuideDialog

            dialog = UserGuideDialog(window)
            window.user_guide = dialog  # type: ignore[attr-defined]
        bring_forward(dialog)

    action.triggered.connect(show_guide)
    if menu is not None:
        if menu.actions():
            menu.insertAction(menu.actions()[0], action)
        else:
            menu.addAction(action)
    window.user_guide_action = action  # type: ignore[attr-defined]


def connect_records(
    ctx: AppContext, window: MainWindow, sync: SyncLink, database_url: str | None
) -> RecordsController:
    """File → Export, Back up and Restore; restore pauses the recorder and sync it finds here."""
    from compost_desktop.gui.records_dialogs import RecordsActions, RecordsController

    def recorder() -> object:
        if not window.is_built("monitoring"):
            return None
        return getattr(getattr(window.page("monitoring"), "hub", None), "writer", None)

    return RecordsController(
        ctx,
        window,
        RecordsActions(
            window.export_action,
            window.backup_action,
            window.backup_server_action,
            window.restore_action,
        ),
        # With --database the app is not syncing with a configured server.
        server_url=None if database_url else (lambda: server_url_from(ctx.settings)),
        recorder=recorder,
        sync=lambda: sync.service,
    )


def _finish_start(window: MainWindow, monitor: bool) -> None:
    window.page("cycles")
    if monitor:
        window.build_all_pages()
        window.page("monitoring").start()  # type: ignore[attr-defined]
    # What start-up built lives all day: keep it out of full garbage collections, which
    # otherwise stall the window for ~100 ms at a time during long syncs (bench_sync).
    gc.freeze()


class SyncLink:
    """Connects the sync service to the window once the local store is open."""

    def __init__(self, ctx: AppContext, window: MainWindow, server_url: str | None) -> None:
        self.ctx = ctx
        self.window = window
        self.server_url = server_url
        self.service: SyncService | None = None
        self.button = ElidedButton("Embedded database — no server configured")
        self.button.setToolTip("Configure the farm's server in Settings to sync with it")
        self.button.clicked.connect(self.on_clicked)
        window.statusBar().addWidget(self.button)
        self.sync_action = window.file_menu.addAction("&Sync now")
        self.sync_action.setShortcut("F5")
        self.sync_action.setEnabled(False)
        self.sync_action.triggered.connect(self.on_clicked)
        if server_url:
            ctx.store_ready.connect(self.on_store_ready)

    def on_store_ready(self) -> None:
        if self.service is not None or self.ctx.store is None:
            return
        assert self.server_url is not None
        self.service = SyncService(self.ctx, self.ctx.store.engine, self.server_url)
        self.service.state_changed.connect(self.on_state)
        self.service.progressed.connect(self.on_progress)
        self.sync_action.setEnabled(True)
        self.service.start()

    def on_state(self, text: str, level: str) -> None:
        colours = {"ok": "", "busy": f"color: {MUTED_TEXT};", "offline": f"color: {ERROR};"}
        self.button.setText(f"Sync: {text}")
        self.button.setStyleSheet(colours.get(level, f"color: {WARNING}; font-weight: bold;"))
        self.button.setToolTip(
            "Click to review conflicts" if level == "conflict" else "Click to sync now (F5)"
        )
        self._level = level

    def on_progress(self, stage: str, done: int, total: int) -> None:
        verb = {"push": "sending changes", "readings": "sending readings", "pull": "receiving"}
        if total > 200:  # only large backlogs are worth a running count
            self.button.setText(f"Sync: {verb.get(stage, stage)} {done:,} of {total:,}…")

    def on_clicked(self) -> None:
        if self.service is None:
            return
        if getattr(self, "_level", "") == "conflict" and self.service.engine is not None:
            from compost_desktop.gui.conflicts import ConflictDialog

            dialog = ConflictDialog(self.ctx, self.service.engine, self.window)
            dialog.finished.connect(lambda _: self.service.sync_now() if self.service else None)
            dialog.open()
        else:
            self.service.sync_now()

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()
