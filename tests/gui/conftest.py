"""Fixtures shared by the GUI tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication


@pytest.fixture
def big_font(qapp: QApplication) -> Iterator[QFont]:
    """A 150 % display as Qt sees it: every text half as wide again."""
    old = QApplication.font()
    font = QFont(old)
    font.setPointSizeF(old.pointSizeF() * 1.5)
    QApplication.setFont(font)
    yield font
    QApplication.setFont(old)
