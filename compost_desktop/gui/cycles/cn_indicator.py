"""The C:N indicator: where the mix sits against the target band, and what to add to fix it.

Pure maths from `domain.mix`; no I/O, so it can update on every keystroke.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QLocale, QPointF, QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPolygonF
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from compost_desktop.domain.mix import MixAnalysis, MixComponent, TargetBand, analyse
from compost_desktop.domain.states import Closeness
from compost_desktop.domain.units import MassUnit, kg_to
from compost_desktop.gui.cycles.models import number
from compost_desktop.presentation.palette import CLOSENESS_COLOURS, WARNING, WARNING_BACKGROUND
from compost_desktop.presentation.words import MOISTURE_TEXT
from compost_desktop.services.proposal import Proposal, propose
from compost_desktop.services.values import MaterialRecord


class CnScale(QWidget):
    """Horizontal scale: red far, amber near, green in the band; a marker at the mix ratio."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.band = TargetBand()
        self.ratio: float | None = None
        self.setMinimumHeight(44)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(320, 48)

    def scale_max(self) -> float:
        top = self.band.high * 2
        return max(top, (self.ratio or 0) * 1.1) if self.ratio and self.ratio > top else top

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w = self.width() - 16
        top, bar_h = 14.0, 12.0
        hi = self.scale_max()

        def x(v: float) -> float:
            return 8 + w * max(0.0, min(1.0, v / hi))

        margin = max(3.0, 0.2 * (self.band.high - self.band.low))
        segments = [
            (0.0, self.band.low - margin, Closeness.FAR),
            (self.band.low - margin, self.band.low, Closeness.NEAR),
            (self.band.low, self.band.high, Closeness.IN_BAND),
            (self.band.high, self.band.high + margin, Closeness.NEAR),
            (self.band.high + margin, hi, Closeness.FAR),
        ]
        for start, end, closeness in segments:
            colour = QColor(CLOSENESS_COLOURS[closeness])
            colour.setAlpha(170)
            p.fillRect(QRectF(x(start), top, x(end) - x(start), bar_h), colour)
        p.setPen(self.palette().text().color())
        font = p.font()
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        p.setFont(font)
        loc = QLocale()
        for value in (self.band.low, self.band.high):
            p.drawLine(QPointF(x(value), top + bar_h), QPointF(x(value), top + bar_h + 3))
            label = number(value, 0, loc)
            p.drawText(
                QRectF(x(value) - 20, top + bar_h + 3, 40, 14), Qt.AlignmentFlag.AlignCenter, label
            )
        if self.ratio is not None:
            mx = x(self.ratio)
            p.setBrush(self.palette().text().color())
            p.drawPolygon(QPolygonF([QPointF(mx - 6, 2), QPointF(mx + 6, 2), QPointF(mx, top + 2)]))
            p.drawLine(QPointF(mx, top), QPointF(mx, top + bar_h))
        p.end()


class CnIndicator(QWidget):
    """Live mix C:N and moisture with the suggestion; emits `suggestion_accepted` on "Add this"."""

    suggestion_accepted = Signal(object, float)  # MaterialRecord, kg

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._band = TargetBand()
        self._library: list[MaterialRecord] = []
        self._components: list[MixComponent] = []
        self._mass_unit = MassUnit.KG
        self.analysis: MixAnalysis | None = None
        self.proposal: Proposal | None = None

        self.scale = CnScale(self)
        self.ratio_label = QLabel(self)
        self.ratio_label.setObjectName("ratio_label")
        font = self.ratio_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.ratio_label.setFont(font)
        self.estimate_label = QLabel("estimate", self)
        self.estimate_label.setToolTip(
            "Some %N or moisture values were not known and were assumed (equal carbon content "
            "of dry matter, equal moisture); treat the ratio as an estimate."
        )
        self.estimate_label.setStyleSheet(
            f"background: {WARNING_BACKGROUND}; color: {WARNING}; border-radius: 3px; padding: 1px 5px;"
        )
        self.moisture_label = QLabel(self)
        self.suggestion_label = QLabel(self)
        self.suggestion_label.setWordWrap(True)
        self.suggest_from = QComboBox(self)
        self.suggest_from.setToolTip("Which library material the suggestion uses")
        self.suggest_from.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.add_button = QPushButton("Add this", self)
        self.add_button.setToolTip("Insert the suggested amount as a new input row")

        top = QHBoxLayout()
        top.addWidget(self.ratio_label)
        top.addWidget(self.estimate_label)
        top.addStretch(1)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Suggest with:", self))
        controls.addWidget(self.suggest_from)
        controls.addStretch(1)
        controls.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.moisture_label)
        layout.addWidget(self.scale)
        layout.addWidget(self.suggestion_label)
        layout.addLayout(controls)

        self.suggest_from.currentIndexChanged.connect(self.on_suggest_from_changed)
        self.add_button.clicked.connect(self.on_add_clicked)
        self._rebuild_suggest_from()
        self._refresh()

    # --- inputs ----------------------------------------------------------------------

    def set_band(self, band: TargetBand) -> None:
        self._band = band
        self._refresh()

    def set_mass_unit(self, unit: MassUnit) -> None:
        self._mass_unit = unit
        self._refresh()

    def set_library(self, materials: Sequence[MaterialRecord]) -> None:
        self._library = list(materials)
        self._rebuild_suggest_from()
        self._refresh()

    def set_components(self, components: Sequence[MixComponent]) -> None:
        self._components = list(components)
        self._refresh()

    def chosen_material(self) -> MaterialRecord | None:
        data = self.suggest_from.currentData()
        return next((m for m in self._library if m.id == data), None)

    # --- slots -----------------------------------------------------------------------

    @Slot(int)
    def on_suggest_from_changed(self, _index: int) -> None:
        self._refresh()

    @Slot()
    def on_add_clicked(self) -> None:
        proposal = self.proposal
        if proposal and proposal.material and proposal.suggestion and proposal.suggestion.kg:
            self.suggestion_accepted.emit(proposal.material, proposal.suggestion.kg)

    # --- drawing ---------------------------------------------------------------------

    def _rebuild_suggest_from(self) -> None:
        current = self.suggest_from.currentData()
        self.suggest_from.blockSignals(True)
        self.suggest_from.clear()
        self.suggest_from.addItem("Best fit", None)
        for m in self._library:
            self.suggest_from.addItem(f"{m.name} ({m.cn_ratio:g}:1)", m.id)
        found = self.suggest_from.findData(current)
        self.suggest_from.setCurrentIndex(max(0, found))
        self.suggest_from.blockSignals(False)

    def _refresh(self) -> None:
        loc = QLocale()
        self.analysis = analyse(self._components, self._band) if self._components else None
        mix = self.analysis
        self.scale.band = self._band
        self.scale.ratio = mix.cn_ratio if mix else None
        self.scale.update()
        band_text = f"target {number(self._band.low, 0, loc)}–{number(self._band.high, 0, loc)}"
        if mix is None:
            self.ratio_label.setText(f"C:N — ({band_text})")
            self.ratio_label.setStyleSheet("")
            self.moisture_label.setText("Moisture —")
            self.moisture_label.setStyleSheet("")
            self.estimate_label.hide()
            self.proposal = None
            self.suggestion_label.setText("Add inputs to see the mix.")
            self.add_button.setEnabled(False)
            return
        self.ratio_label.setText(f"C:N {number(mix.cn_ratio, 1, loc)}:1  ({band_text})")
        self.ratio_label.setStyleSheet(f"color: {CLOSENESS_COLOURS[mix.closeness]};")
        self.estimate_label.setVisible(mix.estimate)
        if mix.moisture_pct is None or mix.moisture_status is None:
            self.moisture_label.setText("Moisture unknown")
            self.moisture_label.setStyleSheet("")
        else:
            text, closeness = MOISTURE_TEXT[mix.moisture_status]
            self.moisture_label.setText(f"Moisture {number(mix.moisture_pct, 1, loc)} % — {text}")
            self.moisture_label.setStyleSheet(f"color: {CLOSENESS_COLOURS[closeness]};")
        in_mix = frozenset(c.name for c in self._components)
        self.proposal = propose(mix, self._library, self.chosen_material(), in_mix)
        self.suggestion_label.setText(self._proposal_text(self.proposal))
        self.add_button.setEnabled(
            self.proposal.material is not None
            and self.proposal.suggestion is not None
            and bool(self.proposal.suggestion.kg)
        )

    def _proposal_text(self, proposal: Proposal) -> str:
        s = proposal.suggestion
        if s is None or s.kg is None:
            return proposal.message
        if s.kg == 0:
            return "On target: nothing to add."
        loc = QLocale()
        amount = number(kg_to(s.kg, self._mass_unit), 1, loc)
        return (
            f"add {amount} {self._mass_unit.value} {s.material} "
            f"to reach {number(self._band.target, 1, loc)}:1"
        )
