"""Labels and buttons whose text gives way on a small or scaled screen instead of being cut."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QPushButton, QWidget


class ElidedLabel(QLabel):
    """Text that gives way when short of room: elided as it is drawn, whole in its tooltip
    and in text(). At 150 % on a 1366×768 screen the status bar's messages and a long cycle
    name in the detail's title were cut off mid-word."""

    def __init__(self, text: str | QWidget = "", parent: QWidget | None = None) -> None:
        if isinstance(text, QWidget):  # as Designer's generated code builds it: (parent)
            super().__init__(text)
            self.setText("")
        else:
            super().__init__(parent)
            self.setText(text)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), 10 * self.fontMetrics().averageCharWidth()), hint.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        room = self.contentsRect()
        shown = self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideRight, room.width()
        )
        if shown == self.text():
            super().paintEvent(event)
            return
        painter = QPainter(self)
        painter.drawText(room, int(self.alignment()), shown)


class ElidedButton(QPushButton):
    """A flat status-bar button that gives way like `ElidedLabel`: its text is shortened with
    "…" to the room the bar leaves, and shown whole in its tooltip and in text()."""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.setFlat(True)
        self._full = ""
        self._hint = ""
        self.setText(text)

    def text(self) -> str:
        return self._full

    def setText(self, text: str) -> None:
        self._full = text
        self._elide()

    def setToolTip(self, hint: str) -> None:
        self._hint = hint
        self._elide()

    def shown_text(self) -> str:
        return super().text()

    def _padding(self) -> int:
        shown = super().text()
        return super().sizeHint().width() - self.fontMetrics().horizontalAdvance(shown)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        # +2: elidedText wants a pixel or two more than horizontalAdvance reports.
        width = self.fontMetrics().horizontalAdvance(self._full) + self._padding() + 2
        return QSize(width, hint.height())

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(10 * self.fontMetrics().averageCharWidth(), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        room = max(0, self.width() - self._padding()) if self.isVisible() else 1 << 20
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, room)
        if shown != super().text():
            super().setText(shown)
            self.updateGeometry()
        whole = shown != self._full and self._full
        super().setToolTip(f"{self._full}\n{self._hint}" if whole else self._hint)
