"""The alarm list with Acknowledge, and the desktop notification for new alarms."""

from __future__ import annotations

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QSystemTrayIcon,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from compost_desktop.gui.monitoring.hub import AlarmItem, MonitoringHub

COLUMNS = ("Raised", "Device", "Alarm", "State")
ACTIVE = QColor("#d64545")


def alarm_state(item: AlarmItem) -> str:
    """ "active", "cleared 10:42", plus who acknowledged it."""
    state = "active" if item.cleared_at is None else f"cleared {item.cleared_at.astimezone():%H:%M}"
    if item.acknowledged_by is not None:
        state += f" · seen by {item.acknowledged_by}"
    return state


class AlarmPanel(QWidget):
    """Newest first; the selected (or else newest unacknowledged) alarm can be acknowledged."""

    def __init__(self, hub: MonitoringHub, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hub = hub
        self.tray: QSystemTrayIcon | None = None
        self.notifications = 0
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
        hub.alarm_raised.connect(self.on_alarm_raised)
        self.on_alarms_changed()

    def on_alarms_changed(self) -> None:
        """Rewrite the list (it holds at most a few hundred rows)."""
        items = self.hub.alarms
        self.table.setRowCount(len(items))
        for row, item in enumerate(items):
            event = item.event
            texts = (
                f"{event.at.astimezone():%d %b %H:%M}",
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

    def on_alarm_raised(self, item: AlarmItem) -> None:
        """A desktop notification when the desktop has a tray; otherwise the list is enough."""
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return
        if self.tray is None:
            icon = self.window().windowIcon()
            if icon.isNull():
                icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
            self.tray = QSystemTrayIcon(icon, self)
            self.tray.setToolTip("Compost Desktop — monitoring")
            self.tray.show()
        self.notifications += 1
        self.tray.showMessage(
            f"Compost alarm: {item.event.device_id} {item.event.title}",
            item.event.message,
            QSystemTrayIcon.MessageIcon.Warning,
            15_000,
        )
