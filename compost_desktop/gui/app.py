"""Application start-up: show the window at once, open the database off the GUI thread."""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from compost_desktop import APP_ID, APP_NAME, __version__
from compost_desktop.gui import settings_store
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.errors import ErrorReporter
from compost_desktop.gui.main_window import MainWindow
from compost_desktop.gui.tasks import ChangeBus, DatabaseRunner
from compost_desktop.logs import setup

if TYPE_CHECKING:
    from compost_desktop.services.store import Store
    from compost_desktop.settings import Settings

log = logging.getLogger(__name__)

PING_INTERVAL_MS = 15_000


def open_database(url_text: str | None) -> tuple[Store, str]:
    """Runs on the database thread: resolve, upgrade or adopt, and hand back a store."""
    # Imported here: SQLAlchemy and Alembic take most of a second to load, and the window
    # should not wait for them.
    from compost_desktop.db import migrate
    from compost_desktop.db.engine import describe, make_engine, resolve_url
    from compost_desktop.services.store import Store

    url = resolve_url(url_text)
    status = migrate.ensure_current(url)
    log.info("Database ready: %s", status.summary())
    return Store(make_engine(url)), describe(url)


def database_url_from(settings: Settings, explicit: str | None) -> str | None:
    if explicit:
        return explicit
    from compost_desktop import secrets

    db = settings.database
    return db.effective_url(secrets.get_password(db.secret_key) if db.host else None)


class DatabaseConnector:
    """Opens the database, then keeps checking it so the status bar tells the truth."""

    def __init__(self, ctx: AppContext, window: MainWindow, url_text: str | None) -> None:
        self.ctx = ctx
        self.window = window
        self.url_text = url_text
        self._timer = QTimer(window)
        self._timer.setInterval(PING_INTERVAL_MS)
        self._timer.timeout.connect(self.on_tick)
        self._reachable: bool | None = None

    def start(self) -> None:
        self.ctx.runner.submit(
            lambda: open_database(self.url_text), self.on_opened, self.on_open_failed
        )
        self._timer.start()

    def on_opened(self, result: tuple[Store, str]) -> None:
        store, label = result
        self._reachable = True
        self.ctx.set_store(store, label)
        self.window.on_database_state(f"{label} — ready", True)

    def on_open_failed(self, exc: BaseException) -> None:
        log.error("Database not opened: %s", exc)
        self._reachable = False
        self.window.on_database_state(
            f"Database not available — {exc} Retrying every {PING_INTERVAL_MS // 1000} s.", False
        )

    def on_tick(self) -> None:
        store = self.ctx.store
        if store is None:
            self.start_retry()
            return
        self.ctx.runner.submit(store.ping, self.on_ping, self.on_ping)

    def start_retry(self) -> None:
        self.ctx.runner.submit(
            lambda: open_database(self.url_text), self.on_opened, self.on_open_failed
        )

    def on_ping(self, result: object) -> None:
        ok = result is True
        if ok != self._reachable:
            label = self.ctx.database_label
            self.window.on_database_state(
                f"{label} — ready" if ok else f"{label} — server unreachable, retrying", ok
            )
        self._reachable = ok


def create_app(argv: list[str]) -> QApplication:
    app = QApplication.instance() or QApplication(argv)
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_ID)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(APP_ID)
    app.setApplicationVersion(__version__)
    return app


def build_window(ctx: AppContext, log_path: str) -> MainWindow:
    """The main window with every screen; screens load their data once the store is ready."""
    from compost_desktop.gui.cycles.page import CyclesPage
    from compost_desktop.gui.materials.page import MaterialsPage
    from compost_desktop.gui.monitoring.page import MonitoringPage
    from compost_desktop.gui.settings_page import SettingsPage

    window = MainWindow("Database", log_path)
    window.add_page("cycles", "Cycles", CyclesPage(ctx))
    window.add_page("monitoring", "Monitoring", MonitoringPage(ctx))
    window.add_page("materials", "Materials", MaterialsPage(ctx))
    window.add_page("settings", "Settings", SettingsPage(ctx))
    return window


def run_gui(database_url: str | None) -> int:
    log_path = setup()
    log.info("Starting %s %s", APP_NAME, __version__)
    app = create_app(sys.argv)
    reporter = ErrorReporter(str(log_path))
    reporter.install()
    settings = settings_store.load()
    bus = ChangeBus()
    runner = DatabaseRunner(bus)
    ctx = AppContext(settings, runner, bus)
    window = build_window(ctx, str(log_path))
    connector = DatabaseConnector(ctx, window, database_url_from(settings, database_url))
    window.show()
    # Start the database work once the event loop runs, so the first paint comes first.
    QTimer.singleShot(0, connector.start)
    quit_after = os.environ.get("COMPOST_QUIT_AFTER_SHOWN_MS")
    if quit_after is not None:  # start-up measurements and smoke tests
        QTimer.singleShot(0, lambda: print("main-window-shown", flush=True))
        QTimer.singleShot(int(quit_after), app.quit)
    code = app.exec()
    runner.shutdown()
    return code
