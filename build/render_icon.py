"""Render resources/icons/compost-desktop.svg to the PNG the installers use (256 x 256).

    .venv/bin/python build/render_icon.py            # writes resources/icons/compost-desktop.png
    .venv/bin/python build/render_icon.py OUT.png 512

Run it after editing the SVG; the PNG is committed so a build needs no renderer.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "compost-desktop.svg"
PNG = ROOT / "resources" / "icons" / "compost-desktop.png"


def render(svg: Path, png: Path, size: int) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(png), "PNG"):
        raise SystemExit(f"cannot write {png}")
    del app


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else PNG
    render(SVG, out, int(sys.argv[2]) if len(sys.argv) > 2 else 256)
    print(out)
