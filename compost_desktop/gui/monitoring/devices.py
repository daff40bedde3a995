"""Device status: online/offline, last seen, stale after the configured silence."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from compost_desktop.gui.monitoring.hub import DeviceInfo, MonitoringHub

COLUMNS = ("Device", "Status", "Last seen")
OK = QColor("#3fa34d")
BAD = QColor("#d64545")


def describe_age(seconds: float) -> str:
    """ "12 s ago", "5 min ago", "3 h ago": how long a device has been quiet."""
    if seconds < 90:
        return f"{max(seconds, 0):.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.0f} h ago"


def device_status(hub: MonitoringHub, device: DeviceInfo, now: datetime) -> tuple[str, bool]:
    """Plain-words status and whether it is good."""
    if device.online is False:
        return "offline (said so)", False
    if hub.is_stale(device, now):
        return "stale — no recent reading", False
    return "online", True


class DeviceTable(QTableWidget):
    """One row per device or probe; refreshed by the page once a second."""

    def __init__(self, hub: MonitoringHub, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.hub = hub
        self.setHorizontalHeaderLabels(COLUMNS)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)

    def refresh(self) -> None:
        """Rewrite the rows from the hub's device list."""
        now = self.hub.now()
        devices = sorted(self.hub.devices.values(), key=lambda d: d.device_id)
        self.setRowCount(len(devices))
        for row, device in enumerate(devices):
            status, good = device_status(self.hub, device, now)
            if device.last_seen is None:
                seen = "never"
            else:
                age = (now - device.last_seen).total_seconds()
                seen = f"{device.last_seen.astimezone():%H:%M:%S} ({describe_age(age)})"
            for column, text in enumerate((device.device_id, status, seen)):
                item = self.item(row, column)
                if item is None:
                    item = QTableWidgetItem()
                    self.setItem(row, column, item)
                if item.text() != text:
                    item.setText(text)
                if column == 1:
                    item.setForeground(QBrush(OK if good else BAD))
