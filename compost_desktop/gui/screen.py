"""Windows and dialogs inside the screen they open on, whatever its size and scaling."""

from __future__ import annotations

from PySide6.QtGui import QCursor, QGuiApplication
from PySide6.QtWidgets import QWidget

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
    window.resize(max(width, 200), max(height, 200))
    x = avail.x() + (avail.width() - window.width()) // 2
    y = avail.y() + max(0, (avail.height() - window.height() - SCREEN_MARGIN) // 2)
    window.move(x, y)
