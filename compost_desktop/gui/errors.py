"""Uncaught errors are logged and shown in a dialog instead of killing the window silently."""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

log = logging.getLogger(__name__)


class ErrorReporter(QObject):
    """Routes exceptions from any thread to one dialog on the GUI thread."""

    error_raised = Signal(str, str)

    def __init__(self, log_path: str) -> None:
        super().__init__()
        self._log_path = log_path
        self._showing = False
        self.error_raised.connect(self.on_error_raised, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        sys.excepthook = self.excepthook

    def excepthook(
        self,
        exc_type: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            QApplication.quit()
            return
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("Uncaught error:\n%s", details)
        self.error_raised.emit(f"{exc_type.__name__}: {exc}", details)

    def on_error_raised(self, summary: str, details: str) -> None:
        if self._showing:  # one dialog at a time; the rest is in the log
            return
        self._showing = True
        try:
            box = QMessageBox(QApplication.activeWindow())
            box.setIcon(QMessageBox.Icon.Critical)
            box.setWindowTitle("Unexpected error")
            box.setText(
                "Something went wrong. Your saved data is safe; what you were doing may not "
                "have finished.\n\n" + summary
            )
            box.setInformativeText(f"Details are in the log file:\n{self._log_path}")
            box.setDetailedText(details)
            box.exec()
        finally:
            self._showing = False
