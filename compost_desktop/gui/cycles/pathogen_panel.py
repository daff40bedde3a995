"""Pathogen-reduction tracker for the cycle detail: met / not yet / failed, since when, and why.

The readings are loaded and judged on the database thread (a cycle can hold a million
readings); the panel only shows the plain result that comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QDateTime, QLocale, Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from compost_desktop import settings_store
from compost_desktop.domain.pathogen import (
    DISCLAIMER,
    PRESETS,
    PathogenResult,
    PathogenRule,
    rules_from_json,
    rules_to_json,
)
from compost_desktop.domain.states import PathogenStatus
from compost_desktop.domain.units import celsius_to
from compost_desktop.domain.validation import ValidationError
from compost_desktop.gui.context import READINGS, AppContext
from compost_desktop.gui.cycles.rule_dialog import RuleDialog
from compost_desktop.presentation.formats import datetime_format
from compost_desktop.presentation.palette import MUTED_TEXT, PATHOGEN_COLOURS
from compost_desktop.services.history import evaluate_series, load_series
from compost_desktop.services.report_data import pathogen_headline
from compost_desktop.services.values import CycleRecord

NO_READINGS = "No temperature readings recorded for this cycle yet"


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
        self._judged: tuple[object, ...] | None = None

        self.rule_combo = QComboBox(self)
        self.rule_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.rules_button = QToolButton(self)
        self.rules_button.setText("Rules")
        self.rules_button.setToolTip("Define the farm's own rules, or share them as a file")
        self.rules_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.rules_button)
        self.new_rule_action = menu.addAction("&New rule…", self.on_new_rule)
        self.edit_rule_action = menu.addAction("&Edit this rule…", self.on_edit_rule)
        self.delete_rule_action = menu.addAction("&Delete this rule", self.on_delete_rule)
        menu.addSeparator()
        menu.addAction("&Import rules…", self.on_import_rules)
        self.export_rules_action = menu.addAction("E&xport my rules…", self.on_export_rules)
        self.rules_button.setMenu(menu)
        # Replaceable in tests, where native file dialogs would block.
        self.choose_open_file = _choose_open_file
        self.choose_save_file = _choose_save_file
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
        self.disclaimer_label.setStyleSheet(f"color: {MUTED_TEXT}; font-size: 8pt;")
        for label in (self.summary_label, self.status_label, self.reasons_label):
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

        chooser = QHBoxLayout()
        rule_caption = QLabel("&Rule", self)
        rule_caption.setBuddy(self.rule_combo)
        chooser.addWidget(rule_caption)
        chooser.addWidget(self.rule_combo, 1)
        chooser.addWidget(self.rules_button)
        chooser.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(chooser)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.status_label)
        layout.addWidget(self.reasons_label)
        layout.addWidget(self.disclaimer_label)

        self._fill_rules(ctx.settings.pathogen.rule)
        self.rule_combo.currentIndexChanged.connect(self.on_rule_changed)
        self.refresh_button.clicked.connect(self.evaluate)
        ctx.bus.changed.connect(self.on_data_changed)
        self._show_summary()
        self._show_message("No cycle shown.", MUTED_TEXT)

    # --- public ------------------------------------------------------------------

    @property
    def rule(self) -> PathogenRule:
        return self._rules.get(self.rule_combo.currentData(), PRESETS["epa-pfrp-in-vessel"])

    def custom_rules(self) -> list[PathogenRule]:
        return [rule for key, rule in self._rules.items() if key not in PRESETS]

    def _fill_rules(self, selected: str) -> None:
        """Presets, a separator, then the farm's rules; keeps `selected` if it still exists."""
        self._rules = self.ctx.settings.rules()
        self.rule_combo.blockSignals(True)
        self.rule_combo.clear()
        for key, rule in self._rules.items():
            if key not in PRESETS and self.rule_combo.count() == len(PRESETS):
                self.rule_combo.insertSeparator(self.rule_combo.count())
            self.rule_combo.addItem(rule.name, key)
            self.rule_combo.setItemData(
                self.rule_combo.count() - 1, rule.notes or rule.summary, Qt.ItemDataRole.ToolTipRole
            )
        index = self.rule_combo.findData(selected)
        self.rule_combo.setCurrentIndex(max(index, 0))
        self.rule_combo.blockSignals(False)
        self._update_rule_actions()

    def _update_rule_actions(self) -> None:
        custom = self.rule_combo.currentData() not in PRESETS
        self.edit_rule_action.setEnabled(custom)
        self.delete_rule_action.setEnabled(custom)
        self.export_rules_action.setEnabled(bool(self.custom_rules()))

    def _store_rules(self, rules: list[PathogenRule], selected: str) -> None:
        """Persist the farm's rules and the chosen one, then show them."""
        settings = self.ctx.settings
        settings.pathogen.custom_rules_json = rules_to_json(rules)
        settings.pathogen.rule = selected
        settings_store.save(settings)
        self._fill_rules(selected)
        self.on_rule_changed(self.rule_combo.currentIndex())

    # --- the farm's own rules ----------------------------------------------------

    def _edit(self, rule: PathogenRule | None) -> PathogenRule | None:
        dialog = RuleDialog(self._rules.keys(), rule, self)
        return dialog.rule() if dialog.exec() == QDialog.DialogCode.Accepted else None

    @Slot()
    def on_new_rule(self) -> None:
        rule = self._edit(None)
        if rule is not None:
            self._store_rules([*self.custom_rules(), rule], rule.key)

    @Slot()
    def on_edit_rule(self) -> None:
        current = self.rule
        if current.key in PRESETS:
            return
        rule = self._edit(current)
        if rule is not None:
            rules = [rule if r.key == current.key else r for r in self.custom_rules()]
            self._store_rules(rules, rule.key)

    @Slot()
    def on_delete_rule(self) -> None:
        current = self.rule
        if current.key in PRESETS:
            return
        answer = QMessageBox.question(
            self,
            "Delete rule",
            f"Delete the rule “{current.name}”? Cycles are not changed; the tracker shows "
            "the first preset instead.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            rules = [r for r in self.custom_rules() if r.key != current.key]
            self._store_rules(rules, next(iter(PRESETS)))

    @Slot()
    def on_import_rules(self) -> None:
        path = self.choose_open_file(self)
        if not path:
            return
        try:
            imported = rules_from_json(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValidationError) as exc:
            QMessageBox.warning(self, "Import rules", f"Could not import {path}:\n{exc}")
            return
        presets = [rule.name for rule in imported if rule.key in PRESETS]
        mine = {rule.key: rule for rule in self.custom_rules()}
        mine.update({rule.key: rule for rule in imported if rule.key not in PRESETS})
        added = [rule for rule in imported if rule.key not in PRESETS]
        if not added:
            QMessageBox.information(
                self, "Import rules", "The file holds no rules besides the built-in presets."
            )
            return
        self._store_rules(list(mine.values()), added[0].key)
        skipped = f" Skipped the built-in {', '.join(presets)}." if presets else ""
        QMessageBox.information(
            self, "Import rules", f"Imported {len(added)} rule(s) from {path}.{skipped}"
        )

    @Slot()
    def on_export_rules(self) -> None:
        rules = self.custom_rules()
        if not rules:
            return
        path = self.choose_save_file(self)
        if not path:
            return
        try:
            Path(path).write_text(rules_to_json(rules), encoding="utf-8")
        except OSError as exc:
            QMessageBox.warning(self, "Export rules", f"Could not write {path}:\n{exc}")

    def set_rule(self, key: str) -> None:
        index = self.rule_combo.findData(key)
        if index < 0:
            raise KeyError(key)
        self.rule_combo.setCurrentIndex(index)

    def show_cycle(self, record: CycleRecord) -> None:
        """Judge again only when what the judgement reads has changed: another cycle, its
        status (a finished cycle can fail) or its turnings. A saved input does not move it,
        and judging a million readings on every save would hold up the database thread."""
        self.cycle = record
        judged = (record.id, record.status, tuple(t.turned_at for t in record.turnings))
        if judged != self._judged:
            self._judged = judged
            self.evaluate()

    def invalidate(self) -> None:
        """The next `show_cycle` judges again (the cycle was opened: readings may be new)."""
        self._judged = None

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
                "The database is not open yet.", PATHOGEN_COLOURS[PathogenStatus.FAILED]
            )
            return
        self._request += 1
        token, rule, now, engine, cycle_id = (
            self._request,
            self.rule,
            self.clock(),
            store.reader,
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
            self._show_message(NO_READINGS + ".", MUTED_TEXT)
            return
        self._show_result(evaluation.result)

    def on_failed(self, token: int, exc: BaseException) -> None:
        if token != self._request:
            return
        self.result = None
        self._show_message(
            f"Could not judge the readings: {exc}", PATHOGEN_COLOURS[PathogenStatus.FAILED]
        )

    @Slot(object)
    def on_data_changed(self, kinds: frozenset[str]) -> None:
        """A hand reading can move the verdict; the live recorder does not announce itself."""
        if READINGS in kinds and self.cycle is not None:
            self.evaluate()

    @Slot(int)
    def on_rule_changed(self, _index: int) -> None:
        if self.ctx.settings.pathogen.rule != self.rule.key:
            self.ctx.settings.pathogen.rule = self.rule.key
            settings_store.save(self.ctx.settings)
        self._update_rule_actions()
        self._show_summary()
        self.evaluate()

    # --- display -----------------------------------------------------------------

    def _temp_text(self, celsius: float) -> str:
        """A temperature in the user's unit (°C or °F), as the report writes it."""
        unit = self.ctx.settings.units.temperature
        value = celsius_to(celsius, unit)
        digits = 0 if float(value).is_integer() else 1
        return f"{QLocale().toString(float(value), 'f', digits)} {unit.value}"

    def _show_summary(self) -> None:
        rule = self.rule
        self.summary_label.setText(
            f"Needs: {rule.describe(self._temp_text)} ({rule.reading_interval.label})."
        )

    def _show_message(self, text: str, colour: str) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(f"color: {colour};")
        self.reasons_label.clear()
        self.reasons_label.hide()

    def _show_result(self, result: PathogenResult) -> None:
        # The report words it the same way, in the same unit.
        text = pathogen_headline(result, _when, temp_text=self._temp_text)
        self.status_label.setText(text)
        self.status_label.setStyleSheet(
            f"color: {PATHOGEN_COLOURS[result.status]}; font-weight: bold;"
        )
        self.reasons_label.setText("\n".join(f"• {reason}" for reason in result.reasons))
        self.reasons_label.setVisible(bool(result.reasons))


def _when(value: datetime) -> str:
    return QLocale().toString(
        QDateTime.fromSecsSinceEpoch(int(value.timestamp())), datetime_format()
    )


def _choose_open_file(parent: QWidget) -> str:
    path, _ = QFileDialog.getOpenFileName(
        parent, "Import pathogen-reduction rules", "", "Rules (*.json);;All files (*)"
    )
    return path


def _choose_save_file(parent: QWidget) -> str:
    path, _ = QFileDialog.getSaveFileName(
        parent, "Export pathogen-reduction rules", "compost-rules.json", "Rules (*.json)"
    )
    return path
