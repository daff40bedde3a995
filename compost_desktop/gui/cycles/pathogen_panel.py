"""Pathogen-reduction tracker for the cycle detail: met / not yet / failed, since when, and why.

The readings are loaded and judged on the database thread (a cycle can hold a million
readings); the panel only shows the plain result that comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QDateTime, QLocale, Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from compost_desktop.domain.pathogen import (
    DISCLAIMER,
    PRESETS,
    PathogenResult,
    PathogenRule,
    PathogenStatus,
    format_duration,
)
from compost_desktop.gui.context import AppContext
from compost_desktop.services.history import evaluate_series, load_series
from compost_desktop.services.records import CycleRecord

NO_READINGS = "No temperature readings recorded for this cycle yet"
STATUS_COLOURS = {
    PathogenStatus.MET: "#2e7d32",
    PathogenStatus.NOT_YET: "#b26a00",
    PathogenStatus.FAILED: "#c62828",
}
_GREY = "#6b6b6b"


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What the database thread hands back: the result, or None when there are no readings."""

    cycle_id: int
    result: PathogenResult | None


def local_now() -> datetime:
    return datetime.now().astimezone()


class PathogenPanel(QGroupBox):
    """Choose a rule; see whether the cycle met it, since when, and the reasons in sentences."""

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        clock: Callable[[], datetime] = local_now,
    ) -> None:
        super().__init__("Pathogen reduction", parent)
        self.ctx = ctx
        self.clock = clock
        self.cycle: CycleRecord | None = None
        self.result: PathogenResult | None = None
        self._request = 0

        self.rule_combo = QComboBox(self)
        for rule in PRESETS.values():
            self.rule_combo.addItem(rule.name, rule.key)
            self.rule_combo.setItemData(
                self.rule_combo.count() - 1, rule.notes, Qt.ItemDataRole.ToolTipRole
            )
        self.rule_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.refresh_button = QPushButton("Re&check", self)
        self.refresh_button.setToolTip("Judge the cycle again with the latest readings")
        self.summary_label = QLabel(self)
        self.summary_label.setWordWrap(True)
        self.status_label = QLabel(self)
        self.status_label.setWordWrap(True)
        self.reasons_label = QLabel(self)
        self.reasons_label.setWordWrap(True)
        self.disclaimer_label = QLabel(DISCLAIMER, self)
        self.disclaimer_label.setWordWrap(True)
        self.disclaimer_label.setStyleSheet(f"color: {_GREY}; font-size: 8pt;")
        for label in (self.summary_label, self.status_label, self.reasons_label):
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

        chooser = QHBoxLayout()
        rule_caption = QLabel("&Rule", self)
        rule_caption.setBuddy(self.rule_combo)
        chooser.addWidget(rule_caption)
        chooser.addWidget(self.rule_combo, 1)
        chooser.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(chooser)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.status_label)
        layout.addWidget(self.reasons_label)
        layout.addWidget(self.disclaimer_label)

        self.rule_combo.currentIndexChanged.connect(self.on_rule_changed)
        self.refresh_button.clicked.connect(self.evaluate)
        self._show_summary()
        self._show_message("No cycle shown.", _GREY)

    # --- public ------------------------------------------------------------------

    @property
    def rule(self) -> PathogenRule:
        return PRESETS[self.rule_combo.currentData()]

    def set_rule(self, key: str) -> None:
        index = self.rule_combo.findData(key)
        if index < 0:
            raise KeyError(key)
        self.rule_combo.setCurrentIndex(index)

    def show_cycle(self, record: CycleRecord) -> None:
        self.cycle = record
        self.evaluate()

    def reasons(self) -> list[str]:
        return [] if self.result is None else list(self.result.reasons)

    # --- evaluation --------------------------------------------------------------

    @Slot()
    def evaluate(self) -> None:
        cycle, store = self.cycle, self.ctx.store
        if cycle is None:
            return
        if store is None:
            self._show_message(
                "The database is not open yet.", STATUS_COLOURS[PathogenStatus.FAILED]
            )
            return
        self._request += 1
        token, rule, now, engine, cycle_id = (
            self._request,
            self.rule,
            self.clock(),
            store.engine,
            cycle.id,
        )

        def work() -> Evaluation:
            series = load_series(engine, cycle_id, moisture=rule.min_moisture_pct is not None)
            if not series.temperatures:
                return Evaluation(cycle_id, None)
            return Evaluation(cycle_id, evaluate_series(series, rule, now))

        self.ctx.runner.submit(
            work,
            lambda done: self.on_evaluated(token, done),
            lambda exc: self.on_failed(token, exc),
        )

    def on_evaluated(self, token: int, evaluation: Evaluation) -> None:
        if token != self._request:
            return  # a later request (another cycle or rule) is on its way
        self.result = evaluation.result
        if evaluation.result is None:
            self._show_message(NO_READINGS + ".", _GREY)
            return
        self._show_result(evaluation.result)

    def on_failed(self, token: int, exc: BaseException) -> None:
        if token != self._request:
            return
        self.result = None
        self._show_message(
            f"Could not judge the readings: {exc}", STATUS_COLOURS[PathogenStatus.FAILED]
        )

    @Slot(int)
    def on_rule_changed(self, _index: int) -> None:
        self._show_summary()
        self.evaluate()

    # --- display -----------------------------------------------------------------

    def _show_summary(self) -> None:
        self.summary_label.setText(f"Needs: {self.rule.summary}.")

    def _show_message(self, text: str, colour: str) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(f"color: {colour};")
        self.reasons_label.clear()
        self.reasons_label.hide()

    def _show_result(self, result: PathogenResult) -> None:
        rule = result.rule
        needed = format_duration(rule.duration)
        temp = f"≥ {rule.min_temp_c:g} °C"
        if result.status is PathogenStatus.MET:
            assert result.met_at is not None
            text = f"Met since {_when(result.met_at)}"
        elif result.status is PathogenStatus.NOT_YET:
            if result.current_run_duration is not None:
                so_far = format_duration(result.current_run_duration)
                text = f"Not yet: {so_far} at {temp} so far of {needed} needed"
            else:
                text = (
                    f"Not yet: not at {temp} now; longest run "
                    f"{format_duration(result.longest_run_duration)} of {needed} needed"
                )
        else:
            text = (
                f"Failed: never met; longest run {format_duration(result.longest_run_duration)} "
                f"at {temp} of {needed} needed"
            )
        self.status_label.setText(text)
        self.status_label.setStyleSheet(
            f"color: {STATUS_COLOURS[result.status]}; font-weight: bold;"
        )
        self.reasons_label.setText("\n".join(f"• {reason}" for reason in result.reasons))
        self.reasons_label.setVisible(bool(result.reasons))


def _when(value: datetime) -> str:
    return QLocale().toString(
        QDateTime.fromSecsSinceEpoch(int(value.timestamp())), QLocale.FormatType.ShortFormat
    )
