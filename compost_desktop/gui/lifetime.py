"""Top-level windows are deleted by Qt when closed, never by Python's garbage collector."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

# Parentless windows that are open (or at least not yet deleted), by id of their wrapper.
_kept: dict[int, QWidget] = {}


def keep_until_deleted(widget: QWidget) -> None:
    """Hold a parentless widget until Qt deletes it (close with WA_DeleteOnClose, deleteLater).

    Python owns a widget made without a parent. Once only reference cycles hold it (an exception
    traceback that still has the constructor's frame is enough), the cyclic collector deletes
    the C++ window wherever it happens to run: even inside that window's own paint event, where
    pyqtgraph's GraphicsView.paintEvent allocates, which is a segfault. A widget with a parent is
    owned by it and needs nothing.
    """
    if widget.parent() is not None:
        return
    key = id(widget)
    _kept[key] = widget
    # The slot must not capture the widget, or the connection would hold it too.
    widget.destroyed.connect(lambda *_: _kept.pop(key, None))


def kept_count() -> int:
    """How many parentless windows are held (for tests: closing must release them)."""
    return len(_kept)
