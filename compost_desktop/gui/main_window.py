"""The main window: navigation between screens, status bar with the database in use, menus."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings, Qt, QUrl, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QBrush,
    QCloseEvent,
    QColor,
    QDesktopServices,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from compost_desktop import APP_NAME, __version__
from compost_desktop.gui import view_state
from compost_desktop.gui.elided import ElidedLabel
from compost_desktop.presentation.palette import ERROR

DEFAULT_SIZE = (1100, 720)  # app.py then fits it inside the screen


class MainWindow(QMainWindow):
    page_built = Signal(str)

    def __init__(self, database_label: str, log_path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._log_path = log_path
        self._pages: dict[str, int] = {}
        self._factories: dict[str, Callable[[], QWidget]] = {}
        self.setWindowTitle(APP_NAME)
        # Small enough for a 1366×768 screen at 150 % (910×512 px less the taskbar).
        self.setMinimumSize(640, 400)

        central = QWidget(self)
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.navigation = QListWidget(central)
        self.navigation.setObjectName("navigation")
        self.navigation.setFixedWidth(100)  # fitted to the page names in add_page
        self.stack = QStackedWidget(central)
        layout.addWidget(self.navigation)
        # Banners shown above every page (an alarm must be seen whichever page is open).
        self.banner_area = QVBoxLayout()
        self.banner_area.setContentsMargins(0, 0, 0, 0)
        self.banner_area.setSpacing(0)
        self.banner_area.addWidget(self.stack, 1)
        layout.addLayout(self.banner_area, 1)
        self.setCentralWidget(central)
        self.navigation.currentRowChanged.connect(self.on_navigation_changed)

        self.database_status = ElidedLabel(f"{database_label} — opening…")
        self.statusBar().addPermanentWidget(self.database_status)
        self._build_menus()
        self._restore_geometry()

    def add_page(self, key: str, title: str, factory: Callable[[], QWidget]) -> None:
        """Pages are reachable by click and by Ctrl+1…Ctrl+9 in the order added.

        Each page is built the first time it is needed, so the window can show before the
        heavier libraries behind the pages (SQLAlchemy, pyqtgraph) have loaded.
        """
        placeholder = QLabel("Loading…")
        placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        index = self.stack.addWidget(placeholder)
        self._factories[key] = factory
        self.navigation.addItem(title)
        self._pages[key] = index
        self._fit_navigation()
        if index < 9:
            action = QAction(title, self)
            action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
            action.triggered.connect(lambda _=False, k=key: self.show_page(k))
            self.view_menu.addAction(action)
        if self.navigation.currentRow() < 0:
            # Select without building: the first page is built after the window shows.
            self.navigation.blockSignals(True)
            self.navigation.setCurrentRow(0)
            self.navigation.blockSignals(False)

    def add_banner(self, banner: QWidget) -> None:
        """A strip above every page (e.g. the alarm banner); it shows and hides itself."""
        self.banner_area.insertWidget(self.banner_area.count() - 1, banner)

    def _fit_navigation(self) -> None:
        """As wide as the longest page name with an alarm badge, in the font and scale in use:
        a fixed 150 px took a sixth of a 1366×768 screen at 150 %."""
        metrics = self.navigation.fontMetrics()
        widest = max(
            metrics.horizontalAdvance(f"{self.navigation.item(i).text()}  ⚠ 99")
            for i in range(self.navigation.count())
        )
        self.navigation.setFixedWidth(widest + 2 * self.navigation.frameWidth() + 16)

    def set_page_badge(self, key: str, badge: str, tooltip: str = "") -> None:
        """A badge after a page's name in the navigation ("Monitoring ⚠ 2"), red when set."""
        item = self.navigation.item(self._pages[key])
        title = item.data(Qt.ItemDataRole.UserRole) or item.text()
        item.setData(Qt.ItemDataRole.UserRole, title)
        item.setText(f"{title}  {badge}" if badge else title)
        item.setToolTip(tooltip)
        item.setForeground(QBrush(QColor(ERROR)) if badge else QBrush())

    def set_title_prefix(self, prefix: str) -> None:
        """Something the user must see even with the window in the task bar ("⚠ 2 alarms")."""
        self.setWindowTitle(f"{prefix} — {APP_NAME}" if prefix else APP_NAME)

    def show_page(self, key: str) -> None:
        self.navigation.setCurrentRow(self._pages[key])

    def page(self, key: str) -> QWidget:
        """The page widget, built now if it was not yet."""
        factory = self._factories.pop(key, None)
        index = self._pages[key]
        if factory is not None:
            current = self.stack.currentIndex()
            placeholder = self.stack.widget(index)
            assert placeholder is not None
            page = factory()
            self.stack.insertWidget(index, page)
            self.stack.removeWidget(placeholder)
            placeholder.deleteLater()
            self.stack.setCurrentIndex(current)
            view_state.restore(page, key)
            self.page_built.emit(key)
        built = self.stack.widget(index)
        assert built is not None
        return built

    def is_built(self, key: str) -> bool:
        return key not in self._factories

    def build_all_pages(self) -> None:
        for key in list(self._factories):
            self.page(key)

    @Slot(int)
    def on_navigation_changed(self, row: int) -> None:
        key = next((k for k, i in self._pages.items() if i == row), None)
        if key is not None:
            self.page(key)
        self.stack.setCurrentIndex(row)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        # Served by gui.records_dialogs.RecordsController, which app.py connects.
        self.export_action = QAction("&Export…", self)
        self.export_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_action.setStatusTip("Export cycles, inputs or sensor readings as Excel or CSV")
        self.backup_action = QAction("&Back up database…", self)
        self.backup_action.setStatusTip("Write a copy of this PC's database to a file")
        self.backup_server_action = QAction("Back up &farm server…", self)
        self.backup_server_action.setStatusTip("Write a copy of the farm server's data to a file")
        self.backup_server_action.setVisible(False)  # only with a server configured
        self.restore_action = QAction("&Restore from backup…", self)
        self.restore_action.setStatusTip("Replace this PC's database with a backup")
        for action in (
            self.export_action,
            self.backup_action,
            self.backup_server_action,
            self.restore_action,
        ):
            action.setEnabled(False)  # until the database is open
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.backup_action)
        file_menu.addAction(self.backup_server_action)
        file_menu.addAction(self.restore_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        self.file_menu = file_menu

        self.view_menu = self.menuBar().addMenu("&View")

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
        self.database_status.setStyleSheet("" if ok else f"color: {ERROR};")

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
        settings = QSettings()
        geometry = settings.value("main_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        # A size saved at another display scaling does not carry over: closed at 150 % on a
        # 1366×768 screen and opened at 100 %, the window came back at its 640×400 minimum.
        saved_scale = settings.value("main_window/scale")
        if geometry is None or (
            saved_scale is not None and abs(float(saved_scale) - self.devicePixelRatioF()) > 0.01
        ):
            self.resize(*DEFAULT_SIZE)

    def closeEvent(self, event: QCloseEvent) -> None:
        QSettings().setValue("main_window/geometry", self.saveGeometry())
        QSettings().setValue("main_window/scale", self.devicePixelRatioF())
        for key in self._pages:
            if self.is_built(key):
                view_state.save(self.page(key), key)
        super().closeEvent(event)
