"""The main window: navigation, status bar with the database in use, menus."""

from __future__ import annotations

from PySide6.QtCore import QSettings, QUrl, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget, QWidget

from compost_desktop import APP_NAME, __version__


class MainWindow(QMainWindow):
    def __init__(self, database_label: str, log_path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._log_path = log_path
        self.setWindowTitle(APP_NAME)
        self.setMinimumSize(800, 560)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)
        self.database_status = QLabel(f"{database_label} — opening…")
        self.statusBar().addPermanentWidget(self.database_status)
        self._build_menus()
        self._restore_geometry()

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        help_menu = self.menuBar().addMenu("&Help")
        self.open_log_action = QAction("Open &log file", self)
        self.open_log_action.triggered.connect(self.on_open_log)
        help_menu.addAction(self.open_log_action)
        about = QAction("&About Compost Desktop", self)
        about.triggered.connect(self.on_about)
        help_menu.addAction(about)

    @Slot(str, bool)
    def on_database_state(self, text: str, ok: bool) -> None:
        self.database_status.setText(text)
        self.database_status.setStyleSheet("" if ok else "color: #b00020;")

    @Slot()
    def on_open_log(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(self._log_path))

    @Slot()
    def on_about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"{APP_NAME} {__version__}\nPlan, run and monitor compost cycles.\n\n"
            f"Log file: {self._log_path}",
        )

    def _restore_geometry(self) -> None:
        geometry = QSettings().value("main_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1100, 720)

    def closeEvent(self, event: QCloseEvent) -> None:
        QSettings().setValue("main_window/geometry", self.saveGeometry())
        super().closeEvent(event)
