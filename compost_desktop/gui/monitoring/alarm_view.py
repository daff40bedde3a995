"""The alarm list with Acknowledge, and what makes an alarm seen from every page.

`AlarmNotifier` puts the alarms where they cannot be missed whichever page is open: a badge
on the navigation, the window title, the status bar (with this PC's recording status), and
a banner above every page with Acknowledge, shown whether or not the desktop has a system
tray (the tray message comes on top when there is one). Alarm text that does not fit is
elided with the whole text in a tooltip.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStatusBar,
    QStyle,
    QSystemTrayIcon,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from compost_desktop.gui.elided import ElidedButton, ElidedLabel
from compost_desktop.gui.monitoring.hub import AlarmItem, MonitoringHub
from compost_desktop.presentation.formats import clock_text, moment_text
from compost_desktop.presentation.palette import (
    ERROR,
    ERROR_BACKGROUND,
    WARNING,
    WARNING_BACKGROUND,
)
from compost_desktop.presentation.words import counted

COLUMNS = ("Raised", "Device", "Alarm", "State")
ACTIVE = QColor(ERROR)


def alarm_state(item: AlarmItem) -> str:
    """ "active", "cleared 10:42", plus who acknowledged it."""
    state = "active" if item.cleared_at is None else f"cleared {clock_text(item.cleared_at)}"
    if item.acknowledged_by is not None:
        state += f" · seen by {item.acknowledged_by}"
    return state


class AlarmPanel(QWidget):
    """Newest first; the selected (or else newest unacknowledged) alarm can be acknowledged."""

    def __init__(self, hub: MonitoringHub, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hub = hub
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.summary = QLabel("No alarms")
        self.acknowledge_button = QPushButton("Acknowledge")
        self.acknowledge_button.setToolTip("Mark the selected alarm as seen")
        self.acknowledge_button.clicked.connect(self.on_acknowledge_clicked)
        top = QHBoxLayout()
        top.addWidget(QLabel("<b>Alarms</b>"))
        top.addWidget(self.summary, 1)
        top.addWidget(self.acknowledge_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        hub.alarms_changed.connect(self.on_alarms_changed)
        self.on_alarms_changed()

    def on_alarms_changed(self) -> None:
        """Rewrite the list (it holds at most a few hundred rows)."""
        items = self.hub.alarms
        self.table.setRowCount(len(items))
        for row, item in enumerate(items):
            event = item.event
            texts = (
                moment_text(event.at),
                event.device_id,
                event.message,
                alarm_state(item),
            )
            for column, text in enumerate(texts):
                cell = self.table.item(row, column)
                if cell is None:
                    cell = QTableWidgetItem()
                    self.table.setItem(row, column, cell)
                cell.setText(text)
                cell.setToolTip(text if column != 2 else f"{text}\n\n{alarm_state(item)}")
                bold = item.cleared_at is None and item.acknowledged_by is None
                font = cell.font()
                font.setBold(bold)
                cell.setFont(font)
                if column == 3:
                    cell.setForeground(QBrush(ACTIVE) if item.cleared_at is None else QBrush())
        active = sum(1 for i in items if i.cleared_at is None)
        unseen = sum(1 for i in items if i.acknowledged_by is None)
        self.summary.setText(
            "No alarms" if not items else f"{active} active, {unseen} not acknowledged"
        )
        self.acknowledge_button.setEnabled(unseen > 0)

    def on_acknowledge_clicked(self) -> None:
        """Acknowledge the selected alarm, or the newest one nobody has seen yet."""
        item = self.selected_item()
        if item is None or item.acknowledged_by is not None:
            item = next((i for i in self.hub.alarms if i.acknowledged_by is None), None)
        if item is not None:
            self.hub.acknowledge(item)

    def selected_item(self) -> AlarmItem | None:
        """The alarm of the selected row."""
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.hub.alarms):
            return None
        return self.hub.alarms[rows[0].row()]


BANNER_ACTIVE = f"background:{ERROR_BACKGROUND}; color:{ERROR}; border-bottom:1px solid {ERROR};"
BANNER_CLEARED = (
    f"background:{WARNING_BACKGROUND}; color:{WARNING}; border-bottom:1px solid {WARNING};"
)


class MainWindowLike(Protocol):
    """What the notifier needs of `MainWindow`."""

    def add_banner(self, banner: QWidget) -> None: ...

    def set_page_badge(self, key: str, badge: str, tooltip: str = "") -> None: ...

    def set_title_prefix(self, prefix: str) -> None: ...

    def statusBar(self) -> QStatusBar: ...


class AlarmBanner(QFrame):
    """A strip above every page: the newest alarm nobody acknowledged, and Acknowledge."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alarmBanner")
        self.text = QLabel()
        self.text.setWordWrap(True)  # the whole message, never cut
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.acknowledge_button = QPushButton("Acknowledge")
        self.show_button = QPushButton("Show alarms")
        self.dismiss_button = QPushButton("Hide")
        self.dismiss_button.setToolTip("Hide this strip until the next alarm")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.text, 1)
        for button in (self.acknowledge_button, self.show_button, self.dismiss_button):
            layout.addWidget(button)
        self.hide()


class AlarmNotifier(QObject):
    """Shows the hub's alarms on the main window, whatever page is open."""

    def __init__(
        self,
        hub: MonitoringHub,
        window: MainWindowLike,
        show_monitoring: Callable[[], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.hub = hub
        self.window = window
        self.show_monitoring = show_monitoring
        self.tray: QSystemTrayIcon | None = None
        self.tray_messages = 0
        self._dismissed = False
        self.banner = AlarmBanner()
        window.add_banner(self.banner)
        self.status_button = ElidedButton()
        self.status_button.setObjectName("alarmStatus")
        self.status_button.hide()
        self.recording_label = ElidedLabel()
        self.recording_label.setObjectName("recordingStatus")
        bar = window.statusBar()
        bar.addPermanentWidget(self.status_button)
        bar.addPermanentWidget(self.recording_label)
        self.banner.acknowledge_button.clicked.connect(self.on_acknowledge_clicked)
        self.banner.show_button.clicked.connect(self.on_show_clicked)
        self.banner.dismiss_button.clicked.connect(self.on_dismiss_clicked)
        self.status_button.clicked.connect(self.on_show_clicked)
        hub.alarms_changed.connect(self.on_alarms_changed)
        hub.alarm_raised.connect(self.on_alarm_raised)
        hub.recording_changed.connect(self.on_recording_changed)
        self.on_recording_changed(*hub.recording_status())
        self.on_alarms_changed()

    def on_alarms_changed(self) -> None:
        """Badge, title, status bar and banner follow the alarm list."""
        alarms = self.hub.alarms
        active = [i for i in alarms if i.cleared_at is None]
        unseen = [i for i in alarms if i.acknowledged_by is None]
        attention = unseen or active
        if not attention:
            self.window.set_page_badge("monitoring", "")
            self.window.set_title_prefix("")
            self.status_button.hide()
            self.banner.hide()
            return
        count = len(attention)
        words = counted(count, "alarm")
        newest = attention[0]
        summary = (
            f"{len(active)} active, {len(unseen)} not acknowledged. Newest: {newest.event.message}"
        )
        self.window.set_page_badge("monitoring", f"⚠ {count}", summary)
        self.window.set_title_prefix(f"⚠ {words}")
        full = f"⚠ {words}: {newest.event.device_id} {newest.event.title}"
        self.status_button.setText(full)
        self.status_button.setToolTip(f"{summary}\nClick to show the alarms.")
        self.status_button.setStyleSheet(
            f"color:{ERROR}; font-weight:bold;" if active else f"color:{WARNING}; font-weight:bold;"
        )
        self.status_button.show()
        self._show_banner(unseen, active)

    def _show_banner(self, unseen: list[AlarmItem], active: list[AlarmItem]) -> None:
        if not unseen or self._dismissed:
            self.banner.hide()
            return
        newest = unseen[0]
        more = len(unseen) - 1
        state = "" if newest.cleared_at is None else " (cleared since)"
        text = f"<b>Alarm: {newest.event.device_id} {newest.event.title}</b>{state} — "
        text += _html(newest.event.message)
        if more:
            text += f" <i>and {more} more not acknowledged</i>"
        self.banner.text.setText(text)
        self.banner.text.setToolTip(newest.event.message)
        self.banner.acknowledge_button.setText("Acknowledge" if not more else "Acknowledge all")
        self.banner.setStyleSheet(f"#alarmBanner {{{BANNER_ACTIVE if active else BANNER_CLEARED}}}")
        self.banner.show()

    def on_alarm_raised(self, item: AlarmItem) -> None:
        """A new alarm: the banner comes back, the task bar entry flashes, the tray speaks."""
        self._dismissed = False
        window = self.banner.window()
        QApplication.alert(window, 0)
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return
        if self.tray is None:
            icon = window.windowIcon()
            if icon.isNull():
                icon = self.banner.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
            self.tray = QSystemTrayIcon(icon, self)
            self.tray.setToolTip("Compost Desktop — monitoring")
            self.tray.messageClicked.connect(self.on_show_clicked)
            self.tray.show()
        self.tray_messages += 1
        self.tray.showMessage(
            f"Compost alarm: {item.event.device_id} {item.event.title}",
            item.event.message,
            QSystemTrayIcon.MessageIcon.Warning,
            15_000,
        )

    def on_acknowledge_clicked(self) -> None:
        self.hub.acknowledge_all()

    def on_show_clicked(self) -> None:
        self.show_monitoring()

    def on_dismiss_clicked(self) -> None:
        self._dismissed = True
        self.banner.hide()

    def on_recording_changed(self, text: str, ok: bool) -> None:
        """Whether this PC records, in the status bar on every page."""
        self.recording_label.setText(text)  # elided by the label itself when room is short
        self.recording_label.setStyleSheet("" if ok else f"color:{ERROR};")


def attach_to_window(
    hub: MonitoringHub, window: MainWindowLike, show_monitoring: Callable[[], None]
) -> AlarmNotifier:
    """Called once the monitoring page (and so the hub) exists."""
    return AlarmNotifier(hub, window, show_monitoring, parent=hub)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
