"""Application start-up: show the window at once, open the database off the GUI thread."""

from __future__ import annotations

import logging
import os
import sys

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QApplication

from compost_desktop import APP_ID, APP_NAME, __version__
from compost_desktop.gui.errors import ErrorReporter
from compost_desktop.gui.main_window import MainWindow
from compost_desktop.logs import setup

log = logging.getLogger(__name__)


class DatabaseOpener(QObject):
    """Upgrades or adopts the database in the thread pool and reports in plain words."""

    opened = Signal(str, bool)

    def __init__(self, url_text: str | None) -> None:
        super().__init__()
        self._url_text = url_text

    def start(self, pool: QThreadPool) -> None:
        pool.start(_Task(self._open))

    def _open(self) -> None:
        # Imported here: SQLAlchemy and Alembic take most of a second to load, and the
        # window should not wait for them.
        from compost_desktop.db import migrate
        from compost_desktop.db.engine import DatabaseUrlError, describe, resolve_url

        try:
            url = resolve_url(self._url_text)
            status = migrate.ensure_current(url)
        except (DatabaseUrlError, migrate.MigrationError) as exc:
            log.error("Database not opened: %s", exc)
            self.opened.emit(f"Database not available — {exc}", False)
            return
        log.info("Database ready: %s", status.summary())
        self.opened.emit(f"{describe(url)} — ready", True)


class _Task(QRunnable):
    def __init__(self, fn: object) -> None:
        super().__init__()
        self._fn = fn

    def run(self) -> None:
        try:
            self._fn()  # type: ignore[operator]
        except Exception:
            sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]


def create_app(argv: list[str]) -> QApplication:
    app = QApplication.instance() or QApplication(argv)
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_ID)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(APP_ID)
    app.setApplicationVersion(__version__)
    return app


def run_gui(database_url: str | None) -> int:
    log_path = setup()
    log.info("Starting %s %s", APP_NAME, __version__)
    app = create_app(sys.argv)
    reporter = ErrorReporter(str(log_path))
    reporter.install()
    window = MainWindow("Database", str(log_path))
    opener = DatabaseOpener(database_url)
    opener.opened.connect(window.on_database_state)
    window.show()
    # Start the database work once the event loop runs, so the first paint comes first.
    QTimer.singleShot(0, lambda: opener.start(QThreadPool.globalInstance()))
    # For start-up measurements and smoke tests: quit once the window is up.
    quit_after = os.environ.get("COMPOST_QUIT_AFTER_SHOWN_MS")
    if quit_after is not None:
        QTimer.singleShot(int(quit_after), app.quit)
        QTimer.singleShot(0, lambda: print("main-window-shown", flush=True))
    code = app.exec()
    QThreadPool.globalInstance().waitForDone(5000)
    return code
