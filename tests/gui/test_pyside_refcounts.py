"""Guards the PySide6 pin: 6.12.0 on Python 3.11 releases None once too often per call."""

from __future__ import annotations

import sys

from PySide6.QtGui import QColor, QImage, QPainter, QPen


def test_painting_does_not_leak_references_to_none() -> None:
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    before = sys.getrefcount(None)
    for _ in range(1000):
        painter.setPen(QPen(QColor("red")))
        painter.save()
        painter.restore()
    after = sys.getrefcount(None)
    painter.end()
    # A faulty binding loses thousands here and the process later dies in none_dealloc.
    assert after - before > -100
