"""Device status: name and role from the registry, online/offline (a node's word counts for
its probes), last seen, stale after the configured silence, or "last known" for a value the
broker only replayed."""

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
from compost_desktop.monitoring.registry import ROLE_LABELS, ancestors
from compost_desktop.presentation.formats import clock_text
from compost_desktop.presentation.palette import DEVICE_COLOURS, ERROR, OK, WARNING

COLUMNS = ("Device", "Status", "Last seen", "Role")
GOOD = QColor(OK)
WAIT = QColor(WARNING)
BAD = QColor(ERROR)


def describe_age(seconds: float) -> str:
    """ "12 s ago", "5 min ago", "3 h ago": how long a device has been quiet."""
    if seconds < 90:
        return f"{max(seconds, 0):.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.0f} h ago"


def node_online(hub: MonitoringHub, device: DeviceInfo) -> tuple[bool | None, str | None]:
    """What the device or its nearest node last said (online/offline), and who said it."""
    for device_id in ancestors(device.device_id):
        info = hub.devices.get(device_id)
        if info is not None and info.online is not None:
            return info.online, device_id
    return None, None


def device_status(hub: MonitoringHub, device: DeviceInfo, now: datetime) -> tuple[str, QColor]:
    """Plain-words status and its colour: green good, amber waiting, red wrong."""
    online, said_by = node_online(hub, device)
    by_node = said_by is not None and said_by != device.device_id
    if online is False:
        return ("offline (its node said so)" if by_node else "offline (said so)"), BAD
    stale = hub.is_stale(device, now)
    if device.last_known and device.last_seen is None:
        return "last known value only (replayed by the broker)", WAIT
    if stale and online is True:
        # The node says it is up: a sensor that publishes only on change is not dead.
        if device.last_seen is None:
            return "online, no reading yet", WAIT
        return "online, no recent reading", WAIT
    if stale:
        return "stale — no recent reading", BAD
    return "online", GOOD


class DeviceTable(QTableWidget):
    """One row per device or probe; refreshed by the page once a second."""

    def __init__(self, hub: MonitoringHub, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.hub = hub
        self.setHorizontalHeaderLabels(COLUMNS)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setWordWrap(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)

    def refresh(self) -> None:
        """Rewrite the rows from the hub's device list (ignored devices left out)."""
        now = self.hub.now()
        registry = self.hub.registry_keeper.registry
        colours = registry.colours(DEVICE_COLOURS, self.hub.devices)
        devices = sorted(
            (d for d in self.hub.devices.values() if not registry.is_ignored(d.device_id)),
            key=lambda d: d.device_id,
        )
        self.setRowCount(len(devices))
        for row, device in enumerate(devices):
            status, colour = device_status(self.hub, device, now)
            if device.last_seen is None:
                seen = "never"
            else:
                age = (now - device.last_seen).total_seconds()
                seen = f"{clock_text(device.last_seen, seconds=True)} ({describe_age(age)})"
            entry = registry.entry(device.device_id)
            role = ""
            if entry is not None:
                role = ROLE_LABELS[entry.role] + ("" if entry.role_confirmed else " (guessed)")
            label = registry.label(device.device_id)
            for column, text in enumerate((label, status, seen, role)):
                item = self.item(row, column)
                if item is None:
                    item = QTableWidgetItem()
                    self.setItem(row, column, item)
                if item.text() != text:
                    item.setText(text)
                if column == 0:
                    item.setToolTip(device.device_id)
                    item.setForeground(QBrush(QColor(colours[device.device_id])))
                if column == 1:
                    item.setForeground(QBrush(colour))
