"""Small typed helpers for reading Qt widgets in tests."""

from __future__ import annotations

from PySide6.QtWidgets import QTableWidget, QTableWidgetItem


def item_at(table: QTableWidget, row: int, column: int) -> QTableWidgetItem:
    """`table.item(row, column)` for a cell the test expects filled (Qt says None when empty).

    An empty cell raises LookupError, not AssertionError: inside qtbot.waitUntil an
    AssertionError means "not yet, try again", and a missing cell must fail at once, as
    calling .text() on None did.
    """
    item = table.item(row, column)
    if item is None:
        raise LookupError(f"no item at row {row}, column {column}")
    return item
