"""A round gauge with coloured bands, painted with QPainter (cheap to repaint many times)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from compost_desktop.domain.units import TemperatureUnit, celsius_to
from compost_desktop.presentation.palette import (
    ERROR,
    GAUGE_BAD,
    GAUGE_CAUTION,
    GAUGE_COLD,
    GAUGE_GOOD,
    GAUGE_NEUTRAL,
    legible,
)

START_ANGLE = 225.0  # degrees, Qt's convention: 0 = 3 o'clock, counter-clockwise
SPAN_ANGLE = -270.0

BLUE = QColor(GAUGE_COLD)
GREEN = QColor(GAUGE_GOOD)
AMBER = QColor(GAUGE_CAUTION)
RED = QColor(GAUGE_BAD)
GREY = QColor(GAUGE_NEUTRAL)


@dataclass(frozen=True, slots=True)
class Band:
    """A coloured stretch of the scale, with the word shown when the value is in it."""

    start: float
    end: float
    color: QColor
    label: str


@dataclass(frozen=True, slots=True)
class Scale:
    """Range, bands, unit and decimals of one quantity's gauge."""

    minimum: float
    maximum: float
    unit: str
    bands: tuple[Band, ...]
    decimals: int = 1

    def band_of(self, value: float) -> Band | None:
        """The band a value falls in (the last one whose start it reached)."""
        found: Band | None = None
        for band in self.bands:
            if value >= band.start:
                found = band
        return found


def scale_for(quantity: str, unit: TemperatureUnit = TemperatureUnit.CELSIUS) -> Scale:
    """Bands from the brief: temperature phases and limits, moisture bands, O2 anaerobic."""
    if quantity == "temperature":

        def t(c: float) -> float:
            return celsius_to(c, unit)

        return Scale(
            t(0.0),
            t(80.0),
            str(unit),
            (
                Band(t(0.0), t(45.0), BLUE, "mesophilic"),
                Band(t(45.0), t(65.0), GREEN, "thermophilic"),
                Band(t(65.0), t(70.0), AMBER, "too hot for microbes"),
                Band(t(70.0), t(80.0), RED, "turn the pile"),
            ),
        )
    if quantity == "moisture":
        return Scale(
            0.0,
            100.0,
            "%",
            (
                Band(0.0, 40.0, RED, "too dry"),
                Band(40.0, 50.0, AMBER, "low"),
                Band(50.0, 60.0, GREEN, "ideal"),
                Band(60.0, 65.0, AMBER, "high"),
                Band(65.0, 100.0, RED, "too wet"),
            ),
        )
    if quantity == "o2":
        return Scale(
            0.0,
            21.0,
            "%",
            (
                Band(0.0, 5.0, RED, "anaerobic"),
                Band(5.0, 10.0, AMBER, "low"),
                Band(10.0, 21.0, GREEN, "aerobic"),
            ),
        )
    if quantity == "co2":
        return Scale(0.0, 200_000.0, "ppm", (Band(0.0, 200_000.0, GREY, ""),), decimals=0)
    if quantity == "humidity":
        return Scale(0.0, 100.0, "%", (Band(0.0, 100.0, GREY, ""),))
    return Scale(0.0, 100.0, "", (Band(0.0, 100.0, GREY, ""),))


class Gauge(QWidget):
    """Shows one sensor's latest value on its quantity's coloured scale."""

    def __init__(self, title: str, scale: Scale, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.scale = scale
        self.value: float | None = None
        self.stale = False
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setMinimumSize(96, 100)
        self.setMaximumSize(180, 170)
        self._update_tooltip()

    def sizeHint(self) -> QSize:
        """Room for the dial, the value and the title."""
        return QSize(118, 122)

    def set_value(self, value: float | None, stale: bool = False) -> None:
        """Repaint only when something visible changed."""
        if value == self.value and stale == self.stale:
            return
        self.value = value
        self.stale = stale
        self._update_tooltip()
        self.update()

    def set_scale(self, scale: Scale) -> None:
        """Switch units or ranges (the value must already be in the new unit)."""
        self.scale = scale
        self._update_tooltip()
        self.update()

    def text(self) -> str:
        """The value as shown, e.g. "55.4 °C" or "—"."""
        if self.value is None:
            return "—"
        return f"{self.value:.{self.scale.decimals}f} {self.scale.unit}"

    def band_label(self) -> str:
        """The word for the band the value is in, e.g. "thermophilic"."""
        if self.value is None:
            return ""
        band = self.scale.band_of(self.value)
        return band.label if band is not None else ""

    def _update_tooltip(self) -> None:
        label = self.band_label()
        stale = " (no recent reading)" if self.stale else ""
        name = self.toolTip().split(":")[0] if self.toolTip() else self.title
        self.setToolTip(f"{name}: {self.text()}{' — ' + label if label else ''}{stale}")

    def _angle(self, value: float) -> float:
        s = self.scale
        span = s.maximum - s.minimum
        frac = 0.0 if span <= 0 else min(max((value - s.minimum) / span, 0.0), 1.0)
        return START_ANGLE + SPAN_ANGLE * frac

    def paintEvent(self, event: QPaintEvent) -> None:
        """Bands as an arc, a needle, the value large in the middle, the title below."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        title_h = max(16, int(h * 0.14))
        side = min(w, h - title_h) - 12
        if side < 20:
            painter.end()
            return
        thickness = max(6.0, side * 0.09)
        rect = QRectF((w - side) / 2, 6, side, side)
        arc = rect.adjusted(thickness / 2, thickness / 2, -thickness / 2, -thickness / 2)
        dim = self.stale or self.value is None
        for band in self.scale.bands:
            a0, a1 = self._angle(band.start), self._angle(band.end)
            color = QColor(band.color)
            if dim:
                color.setAlpha(90)
            pen = QPen(color, thickness)
            pen.setCapStyle(Qt.PenCapStyle.FlatCap)
            painter.setPen(pen)
            painter.drawArc(arc, int(a0 * 16), int((a1 - a0) * 16))
        center = rect.center()
        if self.value is not None:
            angle = math.radians(self._angle(self.value))
            radius = side / 2 - thickness * 1.6
            tip = QPointF(
                center.x() + radius * math.cos(angle), center.y() - radius * math.sin(angle)
            )
            painter.setPen(QPen(self.palette().text().color(), max(2.0, side * 0.02)))
            painter.drawLine(center, tip)
            painter.setBrush(self.palette().text())
            painter.drawEllipse(center, side * 0.03, side * 0.03)
        value_font = QFont(self.font())
        value_font.setPixelSize(max(10, int(side * 0.15)))
        value_font.setBold(True)
        fits = QFontMetrics(value_font).horizontalAdvance(self.text())
        if fits > side * 0.86:  # long values (CO2 in ppm) shrink rather than spill over
            value_font.setPixelSize(max(8, int(value_font.pixelSize() * side * 0.86 / fits)))
        painter.setFont(value_font)
        text_color = self.palette().text().color()
        if dim:
            text_color.setAlpha(120)
        painter.setPen(text_color)
        value_rect = QRectF(rect.left(), center.y() + side * 0.12, side, side * 0.2)
        painter.drawText(value_rect, Qt.AlignmentFlag.AlignCenter, self.text())
        small = QFont(self.font())
        small.setPixelSize(max(9, int(side * 0.085)))
        painter.setFont(small)
        band_rect = QRectF(rect.left(), center.y() + side * 0.31, side, side * 0.15)
        shown = self.scale.band_of(self.value) if self.value is not None else None
        if self.stale:
            painter.setPen(QColor(ERROR))  # text: the state colour, not the band's
            painter.drawText(band_rect, Qt.AlignmentFlag.AlignCenter, "no recent reading")
        elif shown is not None and shown.label:
            painter.setPen(QColor(legible(shown.color.name())))  # the band's hue, legible
            painter.drawText(band_rect, Qt.AlignmentFlag.AlignCenter, shown.label)
        painter.setPen(self.palette().text().color())
        title_font = QFont(self.font())
        title_font.setPixelSize(max(10, min(14, int(title_h * 0.8))))
        painter.setFont(title_font)
        title_rect = QRectF(0, min(rect.bottom() - side * 0.04, h - title_h), w, title_h)
        painter.drawText(title_rect, Qt.AlignmentFlag.AlignCenter, self.title)
        painter.end()
