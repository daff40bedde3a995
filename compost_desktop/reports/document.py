"""The cycle report: an A4 PDF (or print-out) an inspector can read and the farm can file.

One `ReportDocument` lays the report out once — flowing text and tables in a QTextDocument at
a fixed 300 dpi, the temperature chart drawn as vectors by a text-object handler — and
`paint_page` paints any page of it onto any painter. The PDF writer, the PNG preview and the
printer all go through `paint_page`, so a rendered PNG shows exactly what the PDF holds.
Only QtCore and QtGui: the `report` command and the self-test render it with no widget
module loaded; the preview dialog and the printer are the GUI's (`gui.report`).
"""

from __future__ import annotations

import html
import itertools
import logging
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import (
    QBuffer,
    QDate,
    QIODevice,
    QLocale,
    QMarginsF,
    QPointF,
    QRectF,
    QSizeF,
    QStandardPaths,
    Qt,
    QTimeZone,
    QUrl,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPainterPath,
    QPalette,
    QPdfWriter,
    QPen,
    QPolygonF,
    QTextBlock,
    QTextBlockFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextImageFormat,
    QTextOption,
    QTextTable,
)

from compost_desktop import APP_NAME
from compost_desktop.domain.pathogen import PathogenRule, format_duration
from compost_desktop.domain.states import PathogenStatus
from compost_desktop.domain.units import (
    TemperatureUnit,
    celsius_to,
    kg_to,
    litres_to,
)
from compost_desktop.presentation.formats import UnitFormat
from compost_desktop.presentation.palette import (
    ACCENT,
    CLOSENESS_COLOURS,
    DELIVERY_MARK,
    ERROR_BACKGROUND,
    INK,
    LOWEST_PROBE,
    MUTED_TEXT,
    OK,
    OK_BACKGROUND,
    PAPER,
    PAPER_BORDER,
    PAPER_GRID,
    PAPER_RULE,
    PATHOGEN_COLOURS,
    PHASE_BACKGROUNDS,
    REPORT_SERIES,
    SOFT_INK,
    STATUS_COLOURS,
    TABLE_HEADING,
    TABLE_STRIPE,
    TABLE_TOTAL,
    THRESHOLD_LINE,
    TURNING_MARK,
    WARNING,
    WARNING_BACKGROUND,
)
from compost_desktop.presentation.words import MOISTURE_TEXT
from compost_desktop.records.files import write_atomic
from compost_desktop.services.chart_data import Series
from compost_desktop.services.proposal import propose
from compost_desktop.services.report_data import (
    ESTIMATE_NOTE,
    ReportChart,
    ReportData,
    pathogen_headline,
    rule_parameters,
)
from compost_desktop.settings import UnitSettings

log = logging.getLogger(__name__)

# --- page geometry: everything is laid out in pixels of a 300 dpi A4 page ---------------------

LAYOUT_DPI = 300.0
PAGE_MM = QSizeF(210.0, 297.0)
MARGIN_MM = QMarginsF(18.0, 24.0, 18.0, 20.0)  # left, top, right, bottom
HEADER_TEXT_MM = 11.0  # top of the header text
HEADER_RULE_MM = 16.0
FOOTER_RULE_MM = PAGE_MM.height() - 14.0
FOOTER_TEXT_MM = PAGE_MM.height() - 12.5
# A short table that would straddle a page break moves whole to the next page.
KEEP_TOGETHER_FRACTION = 0.4
MAX_REBUILDS = 40
CHART_HEIGHT_MM = 98.0

FONT_FAMILIES = ["Helvetica Neue", "Helvetica", "Arial", "Liberation Sans", "DejaVu Sans"]
_INK = QColor(INK)
_MUTED = QColor(MUTED_TEXT)
_RULE = QColor(PAPER_RULE)

_CHART_MARK = "[[temperature-chart]]"
# The chart holds its place in the flow as an invisible image; paint_page draws it as vectors.
_CHART_URL = QUrl("report://temperature-chart")


def mm(value: float) -> float:
    """Millimetres on the page in layout pixels."""
    return value / 25.4 * LAYOUT_DPI


def pt(value: float) -> float:
    """Points in layout pixels (fonts painted outside the document need pixel sizes)."""
    return value / 72.0 * LAYOUT_DPI


PAGE_W, PAGE_H = mm(PAGE_MM.width()), mm(PAGE_MM.height())
CONTENT_W = mm(PAGE_MM.width() - MARGIN_MM.left() - MARGIN_MM.right())
CONTENT_H = mm(PAGE_MM.height() - MARGIN_MM.top() - MARGIN_MM.bottom())

STYLE = f"""
body {{ color: {INK}; }}
h1 {{ font-size: 18pt; font-weight: 600; color: {INK}; margin-top: 0; margin-bottom: 3px; }}
h2 {{ font-size: 12.5pt; font-weight: 600; color: {ACCENT}; margin-top: 21px; margin-bottom: 7px; }}
h3 {{ font-size: 10pt; font-weight: 600; color: {INK}; margin-top: 13px; margin-bottom: 5px; }}
p {{ margin-top: 0; margin-bottom: 5px; }}
.kicker {{ font-size: 8.5pt; color: {MUTED_TEXT}; font-weight: 600; margin-bottom: 1px; }}
.lead {{ color: {SOFT_INK}; margin-bottom: 11px; }}
.muted {{ color: {MUTED_TEXT}; }}
.small {{ font-size: 7.5pt; color: {MUTED_TEXT}; }}
.empty {{ color: {MUTED_TEXT}; font-style: italic; }}
table.grid {{ border-collapse: collapse; border-color: {PAPER_BORDER}; }}
table.grid th {{ background-color: {TABLE_HEADING}; font-weight: 600; text-align: left; }}
table.facts td {{ vertical-align: top; }}
td.label {{ color: {MUTED_TEXT}; }}
tr.alt td {{ background-color: {TABLE_STRIPE}; }}
tr.total td {{ background-color: {TABLE_TOTAL}; }}
table.grid td, table.grid th {{ font-size: 8.5pt; }}
td.signlabel {{ padding-top: 21px; color: {MUTED_TEXT}; }}
td.signline {{ height: 40px; border-bottom: 1px solid {SOFT_INK}; }}
"""


def local_now() -> datetime:
    """Now in the system's own time zone (with its daylight-saving rules when Python knows them)."""
    zone_id = bytes(QTimeZone.systemTimeZoneId().data()).decode(errors="ignore")
    try:
        return datetime.now(ZoneInfo(zone_id))
    except (ZoneInfoNotFoundError, ValueError):
        return datetime.now().astimezone()


def _font(size_pt: float, weight: QFont.Weight = QFont.Weight.Normal) -> QFont:
    """A font sized in layout pixels, so it paints the same on every device."""
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setStyleHint(QFont.StyleHint.SansSerif)
    font.setPixelSize(max(1, round(pt(size_pt))))
    font.setWeight(weight)
    return font


def _layout_device() -> QImage:
    """A 1-pixel image at LAYOUT_DPI: the document's fonts and lengths resolve against it."""
    device = QImage(1, 1, QImage.Format.Format_RGB32)
    dots = round(LAYOUT_DPI / 0.0254)
    device.setDotsPerMeterX(dots)
    device.setDotsPerMeterY(dots)
    return device


def _esc(text: object) -> str:
    return html.escape(str(text))


def _multiline(text: str) -> str:
    return "<br/>".join(_esc(line) for line in text.strip().splitlines())


# --- formatting ---------------------------------------------------------------------------------


@dataclass
class TablePlan:
    """Where long tables are cut to start afresh on a new page, and which grid table is which."""

    breaks: dict[str, set[int]] = field(default_factory=dict)
    placed: list[tuple[str, int]] = field(default_factory=list)  # (table, first data row)
    whole: dict[str, str] = field(default_factory=dict)  # each table uncut, for measuring


class ReportFormat(UnitFormat):
    """The screens' unit-aware formats, plus the report's table plan."""

    def __init__(self, locale: QLocale | None = None, units: UnitSettings | None = None) -> None:
        super().__init__(locale, units)
        self.plan = TablePlan()


# --- the chart ------------------------------------------------------------------------------------


def _nice_step(span: float, wanted: int) -> float:
    """A 1-2-5 step that divides `span` into about `wanted` intervals."""
    if span <= 0:
        return 1.0
    raw = span / max(1, wanted)
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if raw <= factor * power:
            return factor * power
    return 10.0 * power


def _segments(series: Series, break_after: float) -> Iterable[list[tuple[float, float]]]:
    """Runs of points with no gap longer than `break_after` seconds: a gap stays a gap."""
    run: list[tuple[float, float]] = []
    last: float | None = None
    for t, v in zip(series.times, series.mean, strict=True):
        if not math.isfinite(v):
            continue
        if last is not None and t - last > break_after and run:
            yield run
            run = []
        run.append((t, v))
        last = t
    if run:
        yield run


def paint_chart(
    painter: QPainter, rect: QRectF, chart: ReportChart, data: ReportData, fmt: ReportFormat
) -> None:
    """Per-probe lines, the lowest probe bold, the rule's minimum, phases, turnings, deliveries."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    unit = fmt.units.temperature
    rule = data.pathogen.rule
    result = data.pathogen.result
    label_font = _font(7.5)
    small_font = _font(6.8)
    metrics = QFontMetricsF(label_font)
    line_h = metrics.height()

    # Legend rows at the bottom, then the axis titles, then the plot.
    legend_items = _legend_items(chart, rule, fmt, result.met)
    legend_rows = _legend_rows(legend_items, rect.width(), metrics)
    legend_h = len(legend_rows) * line_h * 1.35
    left = rect.left() + metrics.horizontalAdvance("000 °F") + line_h * 1.6
    right = rect.right() - mm(2)
    top = rect.top() + line_h * 1.4  # room for the phase names
    bottom = rect.bottom() - legend_h - line_h * 3.0
    plot = QRectF(QPointF(left, top), QPointF(right, bottom))

    t0 = chart.start
    t1 = max(chart.end, t0 + 3600.0)
    values = [v for s in chart.probes + chart.manual for v in s.mean if math.isfinite(v)]
    lo_c = min([*values, rule.min_temp_c])
    hi_c = max([*values, rule.min_temp_c])
    lo, hi = celsius_to(lo_c, unit), celsius_to(hi_c, unit)
    step = _nice_step(hi - lo + 10, 8)
    y_lo = math.floor((lo - 2) / step) * step
    y_hi = math.ceil((hi + 2) / step) * step
    if unit is TemperatureUnit.CELSIUS:
        y_lo = max(y_lo, -20.0) if lo >= -20 else y_lo

    def x_of(t: float) -> float:
        return plot.left() + (t - t0) / (t1 - t0) * plot.width()

    def y_of(celsius: float) -> float:
        v = celsius_to(celsius, unit)
        return plot.bottom() - (v - y_lo) / (y_hi - y_lo) * plot.height()

    # Phases as soft bands, named along the top.
    painter.setFont(small_font)
    for span in chart.phases:
        band = QRectF(QPointF(x_of(span.start), plot.top()), QPointF(x_of(span.end), plot.bottom()))
        painter.fillRect(band, QColor(PHASE_BACKGROUNDS[span.phase]))
        name = span.phase.label
        if QFontMetricsF(small_font).horizontalAdvance(name) + mm(1) < band.width():
            painter.setPen(_MUTED)
            painter.drawText(
                QRectF(band.left(), rect.top(), band.width(), top - rect.top()),
                int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom),
                name,
            )

    # Grid and axes.
    grid = QPen(QColor(PAPER_GRID), pt(0.4))
    painter.setFont(label_font)
    value = y_lo
    while value <= y_hi + 1e-9:
        y = plot.bottom() - (value - y_lo) / (y_hi - y_lo) * plot.height()
        painter.setPen(grid)
        painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        painter.setPen(_INK)
        painter.drawText(
            QRectF(rect.left(), y - line_h / 2, plot.left() - rect.left() - mm(1.2), line_h),
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            fmt.num(value, 0),
        )
        value += step
    days = (t1 - t0) / 86400.0
    day_step = _nice_step(days, 10) if days >= 1 else _nice_step(days * 24, 8) / 24
    tick = 0.0
    while tick <= days + 1e-9:
        x = x_of(t0 + tick * 86400.0)
        painter.setPen(grid)
        painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        painter.setPen(_INK)
        text = fmt.num(tick, 0 if day_step >= 1 else 1)
        painter.drawText(
            QRectF(x - mm(8), plot.bottom() + mm(0.8), mm(16), line_h),
            int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
            text,
        )
        tick += day_step
    painter.setPen(QPen(_INK, pt(0.6)))
    painter.drawLine(plot.bottomLeft(), plot.bottomRight())
    painter.drawLine(plot.bottomLeft(), plot.topLeft())
    start_text = fmt.when(datetime.fromtimestamp(t0).astimezone())
    painter.drawText(
        QRectF(plot.left(), plot.bottom() + line_h * 1.15, plot.width(), line_h),
        int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
        f"Days since {start_text}",
    )
    painter.save()
    painter.translate(rect.left() + line_h * 0.1, plot.center().y())
    painter.rotate(-90)
    painter.drawText(
        QRectF(-plot.height() / 2, 0, plot.height(), line_h),
        int(Qt.AlignmentFlag.AlignCenter),
        f"Temperature ({unit.value})",
    )
    painter.restore()

    painter.save()
    painter.setClipRect(plot.adjusted(-pt(2), -pt(2), pt(2), pt(2)))
    # The run that met the rule, as a band along the bottom of the plot.
    if result.met and result.run_start is not None and result.met_at is not None:
        run = QRectF(
            QPointF(x_of(result.run_start.timestamp()), plot.bottom() - mm(2.2)),
            QPointF(x_of(result.met_at.timestamp()), plot.bottom()),
        )
        fill = QColor(OK)
        fill.setAlpha(150)
        painter.fillRect(run, fill)
    # Deliveries as small diamonds on the time axis, turnings as dotted lines with a triangle.
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(DELIVERY_MARK))
    r = mm(0.9)
    for marker in chart.inputs:
        x, y = x_of(marker.at), plot.bottom() - r * 1.2
        painter.drawPolygon(
            QPolygonF([QPointF(x, y - r), QPointF(x + r, y), QPointF(x, y + r), QPointF(x - r, y)])
        )
    turn_pen = QPen(QColor(TURNING_MARK), pt(0.6), Qt.PenStyle.DotLine)
    for marker in chart.turnings:
        x = x_of(marker.at)
        painter.setPen(turn_pen)
        painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(TURNING_MARK))
        painter.drawPolygon(
            QPolygonF(
                [
                    QPointF(x - mm(1.1), plot.top()),
                    QPointF(x + mm(1.1), plot.top()),
                    QPointF(x, plot.top() + mm(1.6)),
                ]
            )
        )
    # The rule's minimum.
    y_rule = y_of(rule.min_temp_c)
    painter.setPen(QPen(QColor(THRESHOLD_LINE), pt(0.9), Qt.PenStyle.DashLine))
    painter.drawLine(QPointF(plot.left(), y_rule), QPointF(plot.right(), y_rule))
    # Probe lines, then the lowest probe on top of them.
    break_after = max(2.5 * chart.bucket_seconds, 1800.0)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for index, series in enumerate(chart.probes):
        pen = QPen(QColor(REPORT_SERIES[index % len(REPORT_SERIES)]), pt(0.7))
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        _draw_series(painter, series, break_after, x_of, y_of)
    if chart.lowest is not None and len(chart.probes) > 1:
        pen = QPen(QColor(LOWEST_PROBE), pt(1.6))
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        _draw_series(painter, chart.lowest, break_after, x_of, y_of)
    painter.setPen(QPen(QColor(SOFT_INK), pt(0.7)))
    painter.setBrush(QColor(PAPER))
    for series in chart.manual:
        for t, v in zip(series.times, series.mean, strict=True):
            painter.drawEllipse(QPointF(x_of(t), y_of(v)), mm(0.9), mm(0.9))
    painter.restore()

    # Label of the rule line, right-aligned above it, on a white plate so lines do not cross it.
    painter.setFont(small_font)
    rule_text = f"{fmt.temp(rule.min_temp_c, 0)} rule minimum"
    small = QFontMetricsF(small_font)
    plate = QRectF(
        plot.right() - small.horizontalAdvance(rule_text) - mm(2.5),
        y_rule - small.height() - mm(0.6),
        small.horizontalAdvance(rule_text) + mm(1.6),
        small.height(),
    )
    backing = QColor(PAPER)
    backing.setAlpha(215)
    painter.fillRect(plate, backing)
    painter.setPen(QColor(THRESHOLD_LINE))
    painter.drawText(plate, int(Qt.AlignmentFlag.AlignCenter), rule_text)

    # Legend.
    painter.setFont(label_font)
    y = rect.bottom() - legend_h + line_h * 0.2
    for row in legend_rows:
        width = sum(_legend_width(item, metrics) for item in row) + mm(5) * (len(row) - 1)
        x = rect.left() + (rect.width() - width) / 2
        for item in row:
            _draw_legend_item(painter, item, QPointF(x, y), metrics)
            x += _legend_width(item, metrics) + mm(5)
        y += line_h * 1.35


def _draw_series(
    painter: QPainter,
    series: Series,
    break_after: float,
    x_of: Callable[[float], float],
    y_of: Callable[[float], float],
) -> None:
    for run in _segments(series, break_after):
        if len(run) == 1:
            painter.drawPoint(QPointF(x_of(run[0][0]), y_of(run[0][1])))
            continue
        path = QPainterPath(QPointF(x_of(run[0][0]), y_of(run[0][1])))
        for t, v in run[1:]:
            path.lineTo(x_of(t), y_of(v))
        painter.drawPath(path)


# A legend entry: (kind, colour, text); kind says how the swatch is drawn.
LegendItem = tuple[str, str, str]


def _legend_items(
    chart: ReportChart, rule: PathogenRule, fmt: ReportFormat, met: bool
) -> list[LegendItem]:
    items: list[LegendItem] = [
        ("line", REPORT_SERIES[i % len(REPORT_SERIES)], f"Probe {s.device_id}")
        for i, s in enumerate(chart.probes)
    ]
    if chart.lowest is not None and len(chart.probes) > 1:
        items.append(("bold", LOWEST_PROBE, "Lowest probe (judged)"))
    if chart.manual:
        items.append(("dot", SOFT_INK, "Hand reading"))
    items.append(("dash", THRESHOLD_LINE, f"{fmt.temp(rule.min_temp_c, 0)} rule minimum"))
    if met:
        items.append(("bar", OK, "Run that met the rule"))
    if chart.turnings:
        items.append(("turn", TURNING_MARK, "Turning"))
    if chart.inputs:
        items.append(("diamond", DELIVERY_MARK, "Delivery"))
    for phase in dict.fromkeys(span.phase for span in chart.phases):
        items.append(("block", PHASE_BACKGROUNDS[phase], f"{phase.label} phase"))
    return items


def _legend_width(item: LegendItem, metrics: QFontMetricsF) -> float:
    return mm(6) + metrics.horizontalAdvance(item[2])


def _legend_rows(
    items: Sequence[LegendItem], width: float, metrics: QFontMetricsF
) -> list[list[LegendItem]]:
    rows: list[list[LegendItem]] = [[]]
    used = 0.0
    for item in items:
        need = _legend_width(item, metrics) + (mm(5) if rows[-1] else 0)
        if rows[-1] and used + need > width:
            rows.append([])
            used, need = 0.0, _legend_width(item, metrics)
        rows[-1].append(item)
        used += need
    return rows if rows[0] else []


def _draw_legend_item(
    painter: QPainter, item: LegendItem, at: QPointF, metrics: QFontMetricsF
) -> None:
    kind, colour, text = item
    mid = at.y() + metrics.height() / 2
    swatch = QRectF(at.x(), mid - mm(1.2), mm(4.5), mm(2.4))
    painter.save()
    if kind in ("line", "bold", "dash"):
        width = pt(1.6) if kind == "bold" else pt(0.9)
        style = Qt.PenStyle.DashLine if kind == "dash" else Qt.PenStyle.SolidLine
        painter.setPen(QPen(QColor(colour), width, style))
        painter.drawLine(QPointF(swatch.left(), mid), QPointF(swatch.right(), mid))
    elif kind == "dot":
        painter.setPen(QPen(QColor(colour), pt(0.7)))
        painter.setBrush(QColor(PAPER))
        painter.drawEllipse(swatch.center(), mm(0.9), mm(0.9))
    elif kind == "turn":
        painter.setPen(QPen(QColor(colour), pt(0.6), Qt.PenStyle.DotLine))
        c = swatch.center()
        painter.drawLine(QPointF(c.x(), swatch.top()), QPointF(c.x(), swatch.bottom()))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawPolygon(
            QPolygonF(
                [
                    QPointF(c.x() - mm(1.1), swatch.top()),
                    QPointF(c.x() + mm(1.1), swatch.top()),
                    QPointF(c.x(), swatch.top() + mm(1.6)),
                ]
            )
        )
    elif kind == "diamond":
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        c, r = swatch.center(), mm(0.9)
        painter.drawPolygon(
            QPolygonF(
                [
                    QPointF(c.x(), c.y() - r),
                    QPointF(c.x() + r, c.y()),
                    QPointF(c.x(), c.y() + r),
                    QPointF(c.x() - r, c.y()),
                ]
            )
        )
    elif kind == "bar":
        fill = QColor(colour)
        fill.setAlpha(150)
        painter.fillRect(swatch.adjusted(0, mm(0.5), 0, -mm(0.5)), fill)
    else:
        painter.setPen(QPen(QColor(PAPER_BORDER), pt(0.4)))
        painter.setBrush(QColor(colour))
        painter.drawRect(swatch)
    painter.restore()
    painter.setPen(_INK)
    painter.drawText(
        QRectF(at.x() + mm(6), at.y(), metrics.horizontalAdvance(text) + mm(1), metrics.height()),
        int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
        text,
    )


# --- the document -------------------------------------------------------------------------------


def _top_level(doc: QTextDocument) -> Iterator[QTextBlock | QTextTable]:
    """The document's paragraphs and tables in order, not looking inside the tables."""
    root = doc.rootFrame()
    block = doc.begin()
    while block.isValid():
        frame = QTextCursor(block).currentFrame()
        if frame is None or frame == root:
            yield block
            block = block.next()
            continue
        while frame.parentFrame() is not None and frame.parentFrame() != root:
            frame = frame.parentFrame()
        if isinstance(frame, QTextTable):
            yield frame
        block = doc.findBlock(frame.lastPosition() + 1)


def _page(y: float, bottom: bool = False) -> int:
    """The page a top edge (or, with `bottom`, a bottom edge) at `y` falls on."""
    return int(max(0.0, y - 0.5 if bottom else y + 0.5) // CONTENT_H)


def _row_span(
    layout: QAbstractTextDocumentLayout, table: QTextTable, row: int
) -> tuple[float, float]:
    """Top of the row's first lines and bottom of its last lines, in document pixels."""
    cells = [table.cellAt(row, column) for column in range(table.columns())]
    top = min(layout.blockBoundingRect(c.firstCursorPosition().block()).top() for c in cells)
    bottom = max(layout.blockBoundingRect(c.lastCursorPosition().block()).bottom() for c in cells)
    return top, bottom


class ReportDocument:
    """The report laid out into A4 pages once; any page paints onto any device."""

    def __init__(
        self,
        data: ReportData,
        units: UnitSettings | None = None,
        locale: QLocale | None = None,
    ) -> None:
        self.data = data
        self.fmt = ReportFormat(locale, units)
        self._device = _layout_device()
        doc = QTextDocument()
        doc.documentLayout().setPaintDevice(self._device)
        doc.setDocumentMargin(0)
        font = QFont()
        font.setFamilies(FONT_FAMILIES)
        font.setStyleHint(QFont.StyleHint.SansSerif)
        font.setPointSizeF(9.0)
        doc.setDefaultFont(font)
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        doc.setDefaultTextOption(option)
        doc.setDefaultStyleSheet(STYLE)
        doc.setPageSize(QSizeF(CONTENT_W, CONTENT_H))
        self.doc = doc
        self._chart_at: int | None = None
        # Qt splits a table row over two pages when it starts near the bottom; a long table
        # is instead cut before such a row and goes on, under its header, on the next page.
        breaks: dict[str, set[int]] = {}
        for _ in range(MAX_REBUILDS):
            self._build(breaks)
            planned = self._cuts(breaks)
            if planned is None:
                break
            key, rows = planned
            breaks[key] = {row for row in breaks.get(key, set()) if row < min(rows)} | rows
        else:
            log.warning("Report pagination did not settle; a table row may run over a page")

    def _build(self, breaks: dict[str, set[int]]) -> None:
        data = self.data
        self.fmt.plan = TablePlan({key: set(rows) for key, rows in breaks.items()})
        with_chart = data.chart is not None and not data.chart.empty
        self.doc.setHtml(report_html(data, self.fmt, with_chart=with_chart))
        self._chart_at = self._place_chart() if with_chart else None
        self._keep_together()

    def _cuts(self, breaks: dict[str, set[int]]) -> tuple[str, set[int]] | None:
        """Where the first long table that runs badly over a page should be cut, all of it.

        A row runs badly when Qt splits it over a page break, or moves it to the next page
        itself (stretching the row above it to the page's foot). From the first such row on,
        the rest of that table is paginated here, from its rows' heights; the next pass
        checks the result, and tables further down wait for it, as they move with it.
        """
        layout = self.doc.documentLayout()
        placed = iter(self.fmt.plan.placed)
        for table in _top_level(self.doc):
            if not isinstance(table, QTextTable) or not table.format().headerRowCount():
                continue
            header = table.format().headerRowCount()
            key, first_row = next(placed)
            above = _page(_row_span(layout, table, 0)[0])
            for row in range(header, table.rows()):
                top, bottom = _row_span(layout, table, row)
                split = _page(bottom, bottom=True) != _page(top) and bottom - top < 0.9 * CONTENT_H
                moved = row > header and _page(top) > above
                index = first_row + row - header
                if (split or moved) and index not in breaks.get(key, set()):
                    return key, self._paginate_rows(key, index, _page(top) if split else above)
                above = _page(top)
        return None

    def _paginate_rows(self, key: str, start: int, page: int) -> set[int]:
        """The rows of table `key` to cut at, from row `start` going onto page `page` + 1."""
        probe = QTextDocument()
        probe.documentLayout().setPaintDevice(self._device)
        probe.setDocumentMargin(0)
        probe.setDefaultFont(self.doc.defaultFont())
        probe.setDefaultTextOption(self.doc.defaultTextOption())
        probe.setDefaultStyleSheet(STYLE)
        probe.setTextWidth(CONTENT_W)  # one endless page: every row at its natural height
        probe.setHtml(self.fmt.plan.whole[key])
        table = next(f for f in probe.rootFrame().childFrames() if isinstance(f, QTextTable))
        layout = probe.documentLayout()
        spans = [_row_span(layout, table, row) for row in range(table.rows())]
        lead = spans[0][0]  # border and padding above the header's text
        header = spans[1][0] - spans[0][0]
        # Below the last row: padding, border, and the empty block Qt puts after a table,
        # which must not spill onto the next page (the next part would start one later).
        tail = lead + QFontMetricsF(self.doc.defaultFont(), self._device).height() * 1.5
        cuts = {start}
        first, y0 = start, (page + 1) * CONTENT_H + lead
        for row in range(start, table.rows() - 1):
            top = y0 + header + spans[row + 1][0] - spans[first + 1][0]
            bottom = top + spans[row + 1][1] - spans[row + 1][0]
            if row > first and bottom + tail > (_page(y0) + 1) * CONTENT_H:
                cuts.add(row)
                first, y0 = row, (_page(y0) + 1) * CONTENT_H + lead
        return cuts

    @property
    def page_count(self) -> int:
        return self.doc.pageCount()

    def _place_chart(self) -> int | None:
        """Put a transparent image of the chart's size where the marker is; its position."""
        cursor = self.doc.find(_CHART_MARK)
        if cursor.isNull():
            return None
        blank = QImage(1, 1, QImage.Format.Format_ARGB32)
        blank.fill(QColor(0, 0, 0, 0))
        self.doc.addResource(QTextDocument.ResourceType.ImageResource.value, _CHART_URL, blank)
        wanted = QSizeF(CONTENT_W - mm(0.5), mm(CHART_HEIGHT_MM))
        image = QTextImageFormat()
        image.setName(_CHART_URL.toString())
        # Image sizes are CSS pixels scaled to the device; ask, measure, then correct.
        image.setWidth(wanted.width() * 96 / LAYOUT_DPI)
        image.setHeight(wanted.height() * 96 / LAYOUT_DPI)
        position = cursor.selectionStart()
        cursor.insertImage(image)
        got = self._chart_rect(position)
        if got.width() > 0 and abs(got.width() - wanted.width()) > 1:
            factor = got.width() / (wanted.width() * 96 / LAYOUT_DPI)
            image.setWidth(wanted.width() / factor)
            image.setHeight(wanted.height() / factor)
            select = QTextCursor(self.doc)
            select.setPosition(position)
            select.setPosition(position + 1, QTextCursor.MoveMode.KeepAnchor)
            select.setCharFormat(image)
        return position

    def _chart_rect(self, position: int) -> QRectF:
        """Where the chart's placeholder sits in the laid-out document."""
        block = self.doc.findBlock(position)
        rect = self.doc.documentLayout().blockBoundingRect(block)
        lines = block.layout()
        if not lines.lineCount():
            return QRectF()
        line = lines.lineAt(0)
        return QRectF(
            rect.left() + line.x(), rect.top() + line.y(), line.naturalTextWidth(), line.ascent()
        )

    # --- pagination -----------------------------------------------------------------------

    def _keep_together(self) -> None:
        """Headings stay with what follows them; short tables move whole to the next page.

        Each fix only pushes content down, so a handful of passes settles it.
        """
        # Qt lays out incrementally and leaves a stale height behind the inserted chart image;
        # lay the whole document out afresh once.
        self.doc.markContentsDirty(0, self.doc.characterCount())
        for _ in range(MAX_REBUILDS):
            if not self._fix_one_break():
                return
        log.warning("Report pagination did not settle; some headings may stand alone")

    def _fix_one_break(self) -> bool:
        layout = self.doc.documentLayout()
        # Tables, headings and paragraphs with text; the empty block after a table is none.
        items = [
            item
            for item in _top_level(self.doc)
            if isinstance(item, QTextTable)
            or item.text().strip()
            or item.blockFormat().headingLevel()
        ]

        def span(item: QTextBlock | QTextTable) -> tuple[float, float]:
            if isinstance(item, QTextTable):
                # frameBoundingRect is off by the blocks around the table; the cells are not.
                return _row_span(layout, item, 0)[0], _row_span(layout, item, item.rows() - 1)[1]
            r = layout.blockBoundingRect(item)
            return r.top(), r.bottom()

        def first_line_bottom(item: QTextBlock | QTextTable) -> float:
            if isinstance(item, QTextTable):
                first = item.cellAt(0, 0).firstCursorPosition().block()
                rect = layout.blockBoundingRect(first)
            else:
                rect = layout.blockBoundingRect(item)
                lines = item.layout()
                if lines.lineCount():
                    return rect.top() + lines.lineAt(0).rect().bottom()
            return rect.bottom()

        page = _page
        for index, item in enumerate(items):
            top, bottom = span(item)
            if isinstance(item, QTextBlock) and item.blockFormat().headingLevel():
                follower = first_line_bottom(items[index + 1]) if index + 1 < len(items) else top
                broken = page(follower, bottom=True) > page(top)
            else:
                broken = (
                    isinstance(item, QTextTable)
                    and bottom - top < CONTENT_H * KEEP_TOGETHER_FRACTION
                    and page(bottom, bottom=True) > page(top)
                )
            if broken and self._break_before(items, index):
                return True
        return False

    def _break_before(self, items: Sequence[QTextBlock | QTextTable], index: int) -> bool:
        """Start a new page at the item, or at the headings just above it."""
        while index > 0:
            previous = items[index - 1]
            if isinstance(previous, QTextBlock) and previous.blockFormat().headingLevel():
                index -= 1
            else:
                break
        item = items[index]
        policy = QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore
        if isinstance(item, QTextTable):
            table_format = item.format()
            if table_format.pageBreakPolicy() & policy:
                return False
            table_format.setPageBreakPolicy(policy)
            item.setFormat(table_format)
            return True
        if item.blockFormat().pageBreakPolicy() & policy:
            return False
        block_format = QTextBlockFormat()
        block_format.setPageBreakPolicy(policy)
        QTextCursor(item).mergeBlockFormat(block_format)
        return True

    # --- painting ---------------------------------------------------------------------------

    def paint_page(self, painter: QPainter, index: int, target: QRectF) -> None:
        """Paint page `index` (from 0) into `target`, scaled to fit and centred."""
        scale = min(target.width() / PAGE_W, target.height() / PAGE_H)
        painter.save()
        painter.translate(
            target.left() + (target.width() - PAGE_W * scale) / 2,
            target.top() + (target.height() - PAGE_H * scale) / 2,
        )
        painter.scale(scale, scale)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self._paint_header_footer(painter, index)
        painter.translate(mm(MARGIN_MM.left()), mm(MARGIN_MM.top()) - index * CONTENT_H)
        clip = QRectF(-mm(1), index * CONTENT_H, CONTENT_W + mm(2), CONTENT_H)
        painter.setClipRect(clip)
        context = QAbstractTextDocumentLayout.PaintContext()
        context.clip = clip
        palette = QPalette()
        palette.setColor(QPalette.ColorRole.Text, _INK)
        context.palette = palette
        self.doc.documentLayout().draw(painter, context)
        chart = self.data.chart
        if chart is not None and self._chart_at is not None:
            where = self._chart_rect(self._chart_at)
            if where.intersects(clip):
                painter.save()
                paint_chart(painter, where, chart, self.data, self.fmt)
                painter.restore()
        painter.restore()

    def _paint_header_footer(self, painter: QPainter, index: int) -> None:
        data = self.data
        left, right = mm(MARGIN_MM.left()), PAGE_W - mm(MARGIN_MM.right())
        width = right - left
        header = _font(8.0)
        bold = _font(8.0, QFont.Weight.DemiBold)
        metrics = QFontMetricsF(header)
        painter.setFont(bold)
        painter.setPen(QColor(ACCENT))
        title = f"{APP_NAME} · Cycle report"
        title_w = QFontMetricsF(bold).horizontalAdvance(title)
        painter.drawText(
            QRectF(left, mm(HEADER_TEXT_MM), title_w + mm(1), metrics.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop),
            title,
        )
        painter.setFont(header)
        painter.setPen(_INK)
        name = metrics.elidedText(
            f"{data.facts.name} · #{data.facts.id}",
            Qt.TextElideMode.ElideMiddle,
            width - title_w - mm(10),
        )
        painter.drawText(
            QRectF(left, mm(HEADER_TEXT_MM), width, metrics.height()),
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop),
            name,
        )
        painter.setPen(QPen(_RULE, pt(0.5)))
        painter.drawLine(QPointF(left, mm(HEADER_RULE_MM)), QPointF(right, mm(HEADER_RULE_MM)))
        painter.drawLine(QPointF(left, mm(FOOTER_RULE_MM)), QPointF(right, mm(FOOTER_RULE_MM)))
        painter.setPen(_MUTED)
        footer_rect = QRectF(left, mm(FOOTER_TEXT_MM), width, metrics.height())
        painter.drawText(
            footer_rect,
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop),
            f"Generated {self.fmt.when(data.generated_at)} by {data.app}",
        )
        painter.setPen(_INK)
        painter.drawText(
            footer_rect,
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop),
            f"Page {index + 1} of {self.page_count}",
        )

    # --- outputs ----------------------------------------------------------------------------

    def pdf_bytes(self) -> bytes:
        """The whole report as a PDF (A4, 300 dpi), in memory."""
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        writer = QPdfWriter(buffer)
        writer.setResolution(round(LAYOUT_DPI))
        writer.setPageLayout(
            QPageLayout(
                QPageSize(QPageSize.PageSizeId.A4),
                QPageLayout.Orientation.Portrait,
                QMarginsF(0, 0, 0, 0),
            )
        )
        writer.setTitle(f"Cycle report – {self.data.facts.name}")
        writer.setCreator(self.data.app)
        painter = QPainter()
        if not painter.begin(writer):
            raise OSError("Qt could not start writing the PDF.")
        try:
            target = QRectF(0, 0, writer.width(), writer.height())
            for index in range(self.page_count):
                if index:
                    writer.newPage()
                self.paint_page(painter, index, target)
        finally:
            painter.end()
        buffer.close()
        return bytes(buffer.data().data())

    def write_pdf(self, path: str | os.PathLike[str]) -> Path:
        """Write the PDF next to its place and move it in: a failure never leaves half a file."""
        return write_atomic(Path(path), self.pdf_bytes())

    def render_pages(self, dpi: float) -> list[QImage]:
        """Every page as an image at `dpi`, painted exactly as in the PDF."""
        width = round(PAGE_MM.width() / 25.4 * dpi)
        height = round(PAGE_MM.height() / 25.4 * dpi)
        dots = round(dpi / 0.0254)
        pages = []
        for index in range(self.page_count):
            image = QImage(width, height, QImage.Format.Format_RGB32)
            image.setDotsPerMeterX(dots)
            image.setDotsPerMeterY(dots)
            image.fill(QColor(PAPER))
            painter = QPainter(image)
            try:
                self.paint_page(painter, index, QRectF(0, 0, width, height))
            finally:
                painter.end()
            pages.append(image)
        return pages


def write_report_pdf(
    data: ReportData,
    path: str | os.PathLike[str],
    units: UnitSettings | None = None,
    locale: QLocale | None = None,
) -> int:
    """Write the report as an A4 PDF; returns the number of pages."""
    document = ReportDocument(data, units, locale)
    document.write_pdf(path)
    return document.page_count


def render_report_pages(
    data: ReportData,
    dpi: float,
    units: UnitSettings | None = None,
    locale: QLocale | None = None,
) -> list[QImage]:
    """Every page of the report as an image, painted by the same code as the PDF."""
    return ReportDocument(data, units, locale).render_pages(dpi)


# --- the HTML -------------------------------------------------------------------------------------


def _table(
    key: str,
    plan: TablePlan,
    headers: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[str]],
    widths: Sequence[int] | None = None,
    total: Sequence[str] | None = None,
) -> str:
    """A grid table; a header of (text, css class) repeats on every page it spans.

    At the rows `plan` says, the table is cut and goes on, under its header, on a new page.
    Alignment goes in attributes: Qt's style sheets let `th` override a class's alignment.
    """
    align = [' align="right"' if cls == "num" else "" for _text, cls in headers]
    head = "".join(
        f"<th{align[i]}{_width(widths, i)}>{text}</th>" for i, (text, _cls) in enumerate(headers)
    )
    # An empty last cell makes Qt swallow the block after the table (and the next heading's
    # spacing with it), so empty cells hold a no-break space.
    lines = [
        f'<tr class="{"alt" if n % 2 else ""}">'
        + "".join(f"<td{align[i]}>{cell or '&nbsp;'}</td>" for i, cell in enumerate(row))
        + "</tr>"
        for n, row in enumerate(rows)
    ]
    if total is not None:
        cells = "".join(f"<td{align[i]}>{cell or '&nbsp;'}</td>" for i, cell in enumerate(total))
        lines.append(f'<tr class="total">{cells}</tr>')

    def part(rows: Sequence[str], page_break: bool) -> str:
        style = ' style="page-break-before: always;"' if page_break else ""
        return (
            f'<table class="grid" width="100%" cellspacing="0" cellpadding="4" border="0.5"'
            f"{style}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )

    plan.whole[key] = part(lines, False)
    cuts = [0, *sorted(c for c in plan.breaks.get(key, ()) if 0 < c < len(lines)), len(lines)]
    out = []
    for start, end in itertools.pairwise(cuts):
        plan.placed.append((key, start))
        out.append(part(lines[start:end], bool(start)))
    return "".join(out)


def _width(widths: Sequence[int] | None, index: int) -> str:
    return "" if widths is None else f' width="{widths[index]}%"'


def _facts_table(pairs: Sequence[tuple[str, str]]) -> str:
    """Label/value pairs two to a row; a pair with an empty label spans the row."""
    rows = []
    pending: list[tuple[str, str]] = []

    def flush() -> None:
        if not pending:
            return
        cells = "".join(
            f'<td class="label" width="19%">{label}</td><td width="31%">{value}</td>'
            for label, value in pending
        )
        if len(pending) == 1:
            cells += '<td width="19%">&nbsp;</td><td width="31%">&nbsp;</td>'
        rows.append(f"<tr>{cells}</tr>")
        pending.clear()

    for label, value in pairs:
        if label.startswith("*"):  # a wide row
            flush()
            rows.append(
                f'<tr><td class="label" width="19%">{label[1:]}</td>'
                f'<td colspan="3">{value}</td></tr>'
            )
            continue
        pending.append((label, value))
        if len(pending) == 2:
            flush()
    flush()
    return (
        '<table class="facts" width="100%" cellspacing="0" cellpadding="3" border="0">'
        f"{''.join(rows)}</table>"
    )


def _coloured(text: str, colour: str, bold: bool = True) -> str:
    weight = "font-weight: 600; " if bold else ""
    return f'<span style="{weight}color: {colour};">{_esc(text)}</span>'


def report_html(data: ReportData, fmt: ReportFormat, with_chart: bool) -> str:
    """The flowing part of the report; the chart stands in as a marker the document replaces."""
    parts = [
        _title(data, fmt),
        _facts_section(data, fmt),
        _mix_section(data, fmt),
        _inputs_section(data, fmt),
        _temperature_section(data, fmt, with_chart),
        _turnings_section(data, fmt),
        _pathogen_section(data, fmt),
        _alarms_section(data, fmt),
        _signoff_section(data, fmt),
    ]
    return f"<html><body>{''.join(parts)}</body></html>"


def _title(data: ReportData, fmt: ReportFormat) -> str:
    facts = data.facts
    status = _coloured(facts.status.value.capitalize(), STATUS_COLOURS[facts.status])
    end: date | QDate | None = (
        fmt.local(facts.completed_at).date()
        if facts.completed_at is not None
        else facts.projected_end_date
    )
    return (
        '<p class="kicker">CYCLE REPORT</p>'
        f"<h1>{_esc(facts.name)}</h1>"
        f'<p class="lead">{status} &nbsp;·&nbsp; Cycle #{facts.id} &nbsp;·&nbsp; '
        f"{_esc(fmt.day(facts.start_date))} to {_esc(fmt.day(end))}<br/>"
        f'<span class="small">Generated {_esc(fmt.when(data.generated_at))}. '
        f"Times are local time ({_esc(fmt.zone(data.generated_at))}), "
        "each shown with its zone.</span></p>"
    )


def _pathogen_badge(data: ReportData, fmt: ReportFormat) -> str:
    p = data.pathogen
    headline = pathogen_headline(p.result, fmt.when, p.has_readings, _temp_text(fmt))
    return _coloured(headline, PATHOGEN_COLOURS[p.status])


def _facts_section(data: ReportData, fmt: ReportFormat) -> str:
    f = data.facts
    fill = "—"
    if f.filled_volume_l is not None:
        fill = fmt.volume(f.filled_volume_l)
        if f.fill_pct is not None:
            fill += f" ({fmt.num(f.fill_pct, 0)} % of capacity)"
    current = fmt.volume(f.current_volume_l)
    if f.shrinkage_pct is not None:
        current += f" (shrank {fmt.num(f.shrinkage_pct, 0)} %)"
    probes = data.readings.temperature_probes
    readings = (
        f"{fmt.num(data.readings.count, 0)} from {len(data.readings.devices)} series"
        if data.readings.count
        else "none recorded"
    )
    pairs = [
        ("Status", _esc(f.status.value.capitalize())),
        ("Pathogen reduction", _pathogen_badge(data, fmt)),
        ("Start date", _esc(fmt.day(f.start_date))),
        ("Projected end", _esc(fmt.day(f.projected_end_date))),
        ("Activated", _esc(fmt.when(f.activated_at))),
        ("Completed", _esc(fmt.when(f.completed_at))),
        ("Bay capacity", _esc(fmt.volume(f.capacity_l))),
        ("Fill of the bay", _esc(fill)),
        ("Initial volume", _esc(fmt.volume(f.initial_volume_l))),
        ("Current volume", _esc(current)),
        ("Green inputs", _esc(fmt.mass(f.green_kg))),
        ("Brown inputs", _esc(fmt.mass(f.brown_kg))),
        ("Total mass", _esc(fmt.mass(data.total_kg))),
        ("Mix C:N", _esc(fmt.ratio(data.mix.analysis.cn_ratio if data.mix else None))),
        ("Readings", _esc(readings)),
        ("Temperature probes", _esc(", ".join(probes) if probes else "none")),
        ("Turnings logged", _esc(fmt.num(len(data.turnings), 0))),
        ("Alarms", _esc(fmt.num(len(data.alarms), 0))),
    ]
    if f.notes and f.notes.strip():
        pairs.append(("*Notes", _multiline(f.notes)))
    pairs.append(("*Record", f'<span class="small">id {f.id} · {_esc(f.uuid)}</span>'))
    return "<h2>1&nbsp;&nbsp;Cycle</h2>" + _facts_table(pairs)


def _mix_section(data: ReportData, fmt: ReportFormat) -> str:
    out = ["<h2>2&nbsp;&nbsp;Recipe and mix analysis</h2>"]
    mix = data.mix
    if mix is None:
        out.append(
            '<p class="empty">No inputs with a known C:N ratio: the mix cannot be computed.</p>'
        )
        return "".join(out)
    a = mix.analysis
    band = mix.band
    cn = (
        f"{_coloured(fmt.ratio(a.cn_ratio), CLOSENESS_COLOURS[a.closeness])} — "
        f"{_esc(mix.cn_status_text)} ({_esc(fmt.num(band.low, 0))}–{_esc(fmt.num(band.high, 0))}:1, "
        f"target {_esc(fmt.num(band.target, 1))}:1)"
    )
    if a.moisture_pct is None or mix.moisture_status is None:
        moisture = "unknown (no input has a moisture value)"
    else:
        words, closeness = MOISTURE_TEXT[mix.moisture_status]
        moisture = (
            f"{_coloured(fmt.pct(a.moisture_pct), CLOSENESS_COLOURS[closeness])} — {_esc(words)}"
        )
    suggestion = _suggestion_text(data, fmt)
    pairs = [
        ("*C:N ratio", cn),
        ("*Moisture", moisture),
        ("Wet mass", _esc(fmt.mass(a.total_kg))),
        ("Dry matter", _esc(fmt.mass(a.dry_kg))),
        ("Carbon", _esc(fmt.mass(a.carbon_kg))),
        ("Nitrogen", _esc(fmt.mass(a.nitrogen_kg, 2))),
        ("*Suggestion", _esc(suggestion)),
    ]
    if mix.estimate:
        pairs.append(("*Estimate", _coloured(ESTIMATE_NOTE, WARNING, bold=False)))
    if mix.left_out:
        names = ", ".join(dict.fromkeys(mix.left_out))
        pairs.append(("*Left out", _esc(f"{names}: no C:N ratio or no mass, so not in the mix.")))
    out.append(_facts_table(pairs))
    out.append(
        '<p class="small">Computed on a dry-matter basis from the carbon and nitrogen masses of '
        "each input (Cornell Waste Management Institute; NRAES-54, ch. 3).</p>"
    )
    return "".join(out)


def _suggestion_text(data: ReportData, fmt: ReportFormat) -> str:
    """The same choice and wording as the cycle screens' C:N indicator."""
    mix = data.mix
    assert mix is not None
    proposal = propose(mix.analysis, mix.library, None, mix.in_mix)
    s = proposal.suggestion
    if s is None or s.kg is None:
        return proposal.message
    if s.kg == 0:
        return "On target: nothing to add."
    return f"Add {fmt.mass(s.kg)} {s.material} to reach {fmt.num(mix.band.target, 1)}:1."


def _inputs_section(data: ReportData, fmt: ReportFormat) -> str:
    out = ["<h3>Inputs</h3>"]
    if not data.inputs:
        out.append('<p class="empty">No inputs were recorded.</p>')
        return "".join(out)
    with_notes = any(i.notes and i.notes.strip() for i in data.inputs)
    mass_unit = fmt.units.mass.value
    volume_unit = fmt.units.volume.value
    headers = [
        ("Added", ""),
        ("Material", ""),
        ("Kind", ""),
        (f"Mass ({mass_unit})", "num"),
        (f"Volume ({volume_unit})", "num"),
        ("Moisture %", "num"),
        ("%N dry", "num"),
        ("C:N", "num"),
    ]
    widths = [22, 19, 7, 11, 11, 11, 9, 10] if not with_notes else [14, 14, 7, 9, 9, 11, 7, 6]
    if with_notes:
        headers.append(("Notes", ""))
        widths.append(23)

    def opt(value: float | None, decimals: int) -> str:
        return "—" if value is None else _esc(fmt.num(value, decimals))

    rows = []
    for i in data.inputs:
        row = [
            _esc(fmt.when(i.added_at)),
            _esc(i.material),
            _esc(i.kind.value),
            _esc(fmt.num(kg_to(i.mass_kg, fmt.units.mass), 1)),
            "—"
            if i.volume_l is None
            else _esc(
                fmt.num(
                    litres_to(i.volume_l, fmt.units.volume),
                    fmt.units.volume.decimals,
                )
            ),
            opt(i.moisture_pct, 1),
            opt(i.nitrogen_pct, 2),
            opt(i.cn_ratio, 0),
        ]
        if with_notes:
            row.append(_multiline(i.notes) if i.notes else "")
        rows.append(row)
    volumes = [i.volume_l for i in data.inputs if i.volume_l is not None]
    total = [
        f"<b>Total, {len(data.inputs)} input{'s' if len(data.inputs) != 1 else ''}</b>",
        "",
        "",
        f"<b>{_esc(fmt.num(kg_to(data.total_kg, fmt.units.mass), 1))}</b>",
        f"<b>{_esc(fmt.num(litres_to(sum(volumes), fmt.units.volume), 0))}</b>" if volumes else "—",
        "",
        "",
        "",
    ] + ([""] if with_notes else [])
    out.append(_table("inputs", fmt.plan, headers, rows, widths, total))
    return "".join(out)


def _temperature_section(data: ReportData, fmt: ReportFormat, with_chart: bool) -> str:
    out = ["<h2>3&nbsp;&nbsp;Temperature</h2>"]
    if not with_chart:
        out.append('<p class="empty">No temperature readings were recorded for this cycle.</p>')
    else:
        out.append(f"<p>{_CHART_MARK}</p>")
        out.append(
            '<p class="small">Lines are per-probe means at print resolution; the bold line is the '
            "coldest probe at each moment, which is what pathogen-reduction rules are judged on. "
            "Gaps in the lines are gaps in the readings.</p>"
        )
    readings = data.readings
    if readings.devices:
        out.append("<h3>Readings recorded</h3>")
        rows = []
        for d in readings.devices:
            is_temp = d.quantity == "temperature"
            low = fmt.temp(d.low) if is_temp else fmt.num(d.low, 1)
            high = fmt.temp(d.high) if is_temp else fmt.num(d.high, 1)
            rows.append(
                [
                    _esc(d.device_id),
                    _esc(d.quantity + (" (by hand)" if d.source == "manual" else "")),
                    _esc(fmt.num(d.count, 0)),
                    _esc(fmt.when(d.first)),
                    _esc(fmt.when(d.last)),
                    _esc(low),
                    _esc(high),
                ]
            )
        out.append(
            _table(
                "readings",
                fmt.plan,
                [
                    ("Device", ""),
                    ("Quantity", ""),
                    ("Count", "num"),
                    ("First", ""),
                    ("Last", ""),
                    ("Lowest", "num"),
                    ("Highest", "num"),
                ],
                rows,
                [12, 13, 8, 23, 23, 10, 11],
                [
                    "<b>All</b>",
                    "",
                    f"<b>{_esc(fmt.num(readings.count, 0))}</b>",
                    _esc(fmt.when(readings.first)),
                    _esc(fmt.when(readings.last)),
                    "",
                    "",
                ],
            )
        )
    return "".join(out)


def _turnings_section(data: ReportData, fmt: ReportFormat) -> str:
    out = ["<h2>4&nbsp;&nbsp;Turning log</h2>"]
    if not data.turnings:
        out.append('<p class="empty">No turnings were logged.</p>')
        return "".join(out)
    rows = []
    previous: datetime | None = None
    for n, t in enumerate(data.turnings, 1):
        # The interval matters to rules that space turnings (UK animal by-products: 2 days).
        since = "—" if previous is None else format_duration(t.turned_at - previous)
        previous = t.turned_at
        rows.append(
            [
                _esc(fmt.num(n, 0)),
                _esc(fmt.when(t.turned_at)),
                _esc(since),
                _esc(t.operator or "—"),
                _multiline(t.notes) if t.notes and t.notes.strip() else "",
            ]
        )
    out.append(
        _table(
            "turnings",
            fmt.plan,
            [("#", "num"), ("Turned", ""), ("Since previous", ""), ("By", ""), ("Notes", "")],
            rows,
            [5, 23, 17, 17, 38],
        )
    )
    return "".join(out)


def _pathogen_section(data: ReportData, fmt: ReportFormat) -> str:
    p = data.pathogen
    rule = p.rule
    colour = PATHOGEN_COLOURS[p.status]
    tint = {
        PathogenStatus.MET: OK_BACKGROUND,
        PathogenStatus.NOT_YET: WARNING_BACKGROUND,
        PathogenStatus.FAILED: ERROR_BACKGROUND,
    }[p.status]
    headline = pathogen_headline(p.result, fmt.when, p.has_readings, _temp_text(fmt))
    result = p.result
    facts = [
        ("Rule", _esc(rule.name)),
        ("Requirement", _esc(_capital(rule.describe(_temp_text(fmt))))),
    ]
    facts += [(label, _esc(value)) for label, value in rule_parameters(rule, _temp_text(fmt))]
    if result.run_start is not None and result.run_end is not None:
        facts.append(
            (
                "Qualifying run"
                if result.met
                else "Current run"
                if result.current_run_duration is not None
                else "Longest run",
                _esc(
                    f"{fmt.when(result.run_start)} to {fmt.when(result.run_end)} "
                    f"({format_duration(result.best_run_duration)})"
                ),
            )
        )
    facts.append(("Total at temperature", _esc(format_duration(result.total_at_temperature))))
    if rule.min_turnings:
        facts.append(("Turnings in best run", _esc(fmt.num(result.turnings_in_best_run, 0))))
    rows = "".join(
        f'<tr><td class="label" width="24%">{label}</td><td>{value}</td></tr>'
        for label, value in facts
    )
    reasons = "".join(f"<li>{_esc(reason)}</li>" for reason in p.reasons)
    source = f'<p class="small">Source: {_esc(rule.notes)}</p>' if rule.notes else ""
    box = (
        f'<table width="100%" cellspacing="0" cellpadding="8" border="1" '
        f'style="border-color: {colour}; background-color: {tint};"><tr><td>'
        f'<p style="font-size: 12pt; font-weight: 600; color: {colour}; margin-bottom: 7px;">'
        f"{_esc(headline)}</p>"
        f'<table width="100%" cellspacing="0" cellpadding="2" border="0">{rows}</table>'
        f'<p style="margin-top: 7px; margin-bottom: 3px; font-weight: 600;">Why</p>'
        f'<ul style="margin-top: 0; margin-bottom: 3px;">{reasons}</ul>'
        f"{source}"
        f'<p style="margin-top: 7px; font-weight: 600; color: {SOFT_INK};">'
        f"Disclaimer: {_esc(p.disclaimer)}</p>"
        "</td></tr></table>"
    )
    return "<h2>5&nbsp;&nbsp;Pathogen reduction</h2>" + box


def _alarms_section(data: ReportData, fmt: ReportFormat) -> str:
    out = ["<h2>6&nbsp;&nbsp;Alarms</h2>"]
    if not data.alarms:
        out.append('<p class="empty">No alarms were raised during this cycle.</p>')
        return "".join(out)
    rows = []
    for a in data.alarms:
        if a.acknowledged_at is not None:
            who = a.acknowledged_by or "unnamed"
            ack = f"{fmt.when(a.acknowledged_at)} by {who}"
        else:
            ack = "not acknowledged"
        rows.append(
            [
                _esc(fmt.when(a.raised_at)),
                f"<b>{_esc(a.kind_text)}</b><br/>{_esc(a.device_id)}",
                _esc(a.message),
                _esc(fmt.when(a.cleared_at) if a.cleared_at else "still raised"),
                _esc(ack),
            ]
        )
    out.append(
        _table(
            "alarms",
            fmt.plan,
            [("Raised", ""), ("Alarm", ""), ("Message", ""), ("Cleared", ""), ("Acknowledged", "")],
            rows,
            [17, 15, 32, 17, 19],
        )
    )
    return "".join(out)


def _signoff_section(data: ReportData, fmt: ReportFormat) -> str:
    gap = '<td width="5%"></td>'
    labels = gap.join(
        f'<td width="30%" class="signlabel">{label}:</td>'
        for label in ("Checked by", "Signature", "Date")
    )
    lines = gap.join('<td width="30%" class="signline">&nbsp;</td>' for _ in range(3))
    return (
        "<h2>7&nbsp;&nbsp;Sign-off</h2>"
        '<p class="muted">Checked against the pile, the logs and this report by:</p>'
        '<table width="100%" cellspacing="0" cellpadding="0" border="0" '
        'style="border-collapse: collapse;">'
        f"<tr>{labels}</tr><tr>{lines}</tr></table>"
    )


# --- the GUI's way in ---------------------------------------------------------------------------


def default_report_path(name: str, when: datetime) -> str:
    """`<cycle name> report <date>.pdf` in Documents, with characters files cannot hold replaced."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "-", name).strip(" .-") or "Cycle"
    return str(Path(folder or Path.home()) / f"{safe} report {when.date().isoformat()}.pdf")


def _temp_text(fmt: ReportFormat) -> Callable[[float], str]:
    """A rule's whole-degree threshold in the report's unit: 55 °C, or 131 °F."""
    return lambda celsius: fmt.temp(celsius, 0) if celsius.is_integer() else fmt.temp(celsius)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
