"""Windows and dialogs inside the screen they open on, whatever its size and scaling."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QCursor, QGuiApplication
from PySide6.QtWidgets import QBoxLayout, QLayout, QScrollArea, QWidget

SCREEN_MARGIN = 40


def fit_on_screen(window: QWidget) -> None:
    """Keep the window inside the available area of the screen it is (or the pointer is) on,
    even when it was saved on a screen that is no longer there or is now smaller."""
    frame = window.frameGeometry()
    screen = (
        QGuiApplication.screenAt(frame.center())
        or QGuiApplication.screenAt(QCursor.pos())
        or QGuiApplication.primaryScreen()
    )
    if screen is None:
        return
    avail = screen.availableGeometry()
    # A small or scaled screen (1366×768 at 150 % is about 910×512): the window's own
    # minimum must not push it past the screen.
    minimum = window.minimumSize()
    window.setMinimumSize(
        min(minimum.width(), avail.width() - SCREEN_MARGIN),
        min(minimum.height(), avail.height() - SCREEN_MARGIN),
    )
    if avail.contains(frame) and frame.height() + SCREEN_MARGIN // 2 <= avail.height():
        return
    width = min(window.width(), avail.width() - SCREEN_MARGIN)
    height = min(window.height(), avail.height() - SCREEN_MARGIN)
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    # Moved only as far as needed to come inside, so a dialog stays near its parent.
    frame = window.frameGeometry()
    x = max(avail.left(), min(frame.x(), avail.right() + 1 - frame.width()))
    y = max(avail.top(), min(frame.y(), avail.bottom() + 1 - frame.height()))
    if (x, y) != (frame.x(), frame.y()):
        window.move(x, y)


class ColumnFitter(QObject):
    """Two columns side by side in a scroll area when they fit, one under the other when not.

    At 150 % on a 1366×768 screen, Settings needed 350 px more than it had and the cycle's
    overview hid its inputs table off to the right: both scrolled sideways.
    """

    def __init__(
        self,
        area: QScrollArea,
        columns: QBoxLayout,
        left: QLayout | QWidget,
        right: QLayout | QWidget,
    ) -> None:
        super().__init__(area)
        self.area = area
        self.columns = columns
        self.left = left
        self.right = right
        area.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            # Deferred: sizes are right only once the children are laid out and polished.
            QTimer.singleShot(0, self, self.fit)
        return False

    def fit(self) -> None:
        margins = self.columns.contentsMargins()
        needed = (
            _minimum_width(self.left)
            + _minimum_width(self.right)
            + self.columns.spacing()
            + margins.left()
            + margins.right()
        )
        bar = self.area.verticalScrollBar()
        room = self.area.width() - 2 * self.area.frameWidth()
        room -= bar.sizeHint().width() if bar is not None else 0
        direction = (
            QBoxLayout.Direction.LeftToRight if room >= needed else QBoxLayout.Direction.TopToBottom
        )
        if self.columns.direction() != direction:
            self.columns.setDirection(direction)

    def is_single_column(self) -> bool:
        return self.columns.direction() == QBoxLayout.Direction.TopToBottom


def _minimum_width(item: QLayout | QWidget) -> int:
    if isinstance(item, QLayout):
        return item.minimumSize().width()
    return max(item.minimumSizeHint().width(), item.minimumWidth())
