"""Splitter positions and table column widths come back as the user left them."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QHeaderView, QSplitter, QWidget

GROUP = "view_state"


def _key(widget: QObject, root: QObject) -> str:
    """A path of object names or class+index from the root, stable across starts."""
    parts = []
    node: QObject | None = widget
    while node is not None and node is not root:
        parent = node.parent()
        name = node.objectName()
        if not name:
            siblings = [c for c in (parent.children() if parent else []) if type(c) is type(node)]
            name = f"{type(node).__name__}{siblings.index(node) if node in siblings else 0}"
        parts.append(name)
        node = parent
    return "/".join(reversed(parts))


def _stateful(root: QWidget) -> list[QSplitter | QHeaderView]:
    return [*root.findChildren(QSplitter), *root.findChildren(QHeaderView)]


def save(root: QWidget, prefix: str) -> None:
    settings = QSettings()
    settings.beginGroup(f"{GROUP}/{prefix}")
    for widget in _stateful(root):
        settings.setValue(_key(widget, root), widget.saveState())
    settings.endGroup()


def restore(root: QWidget, prefix: str, part: QWidget | None = None) -> None:
    """Restore `root`'s splitters and headers, or only those in `part` of it (a part built
    later than its page, such as the cycle detail)."""
    settings = QSettings()
    settings.beginGroup(f"{GROUP}/{prefix}")
    for widget in _stateful(part if part is not None else root):
        state = settings.value(_key(widget, root))
        if state is not None:
            widget.restoreState(state)
    settings.endGroup()
