"""The list behind "N messages rejected": when, on which topic, why, and what was sent."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from compost_desktop.monitoring.parsing import RECENT_REJECTS, RejectRecord
from compost_desktop.presentation.formats import moment_seconds_text

COLUMNS = ("Time", "Topic", "Reason", "Payload (first 200 bytes)")
REASON_TEXT = {
    "timestamp_in_future": "time stamp more than 5 min ahead (clock or time zone wrong?)",
    "timestamp_out_of_range": "time stamp before 2000 (clock never set)",
    "unknown_topic": "topic matches no configured format",
    "non_finite": "value is nan or infinite (the sensor has no reading)",
    "non_numeric": "value is not a number",
    "unknown_unit": "unit not understood",
}


def payload_text(payload: bytes) -> str:
    """Bytes as readable text: UTF-8 where it is, escapes where it is not."""
    text = payload.decode("utf-8", errors="backslashreplace")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class RejectsDialog(QDialog):
    """The most recent rejects of every source, newest first."""

    def __init__(self, records: list[RejectRecord], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Rejected messages")
        self.resize(900, 420)
        self.table = QTableWidget(len(records), len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        ordered = sorted(records, key=lambda r: r.at, reverse=True)
        for row, record in enumerate(ordered):
            reason = REASON_TEXT.get(record.reason, record.reason.replace("_", " "))
            if record.detail:
                reason = f"{reason} — {record.detail}"
            cells = (
                moment_seconds_text(record.at),
                record.topic,
                reason,
                payload_text(record.payload),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        note = QLabel(
            f"The last {RECENT_REJECTS} rejected messages per connection are kept; "
            "counts since the connection started are in the header."
            if records
            else "No message has been rejected."
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
