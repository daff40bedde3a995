"""Define or edit a farm's own time-at-temperature rule, checked as it is typed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from compost_desktop.domain.pathogen import PathogenRule, ReadingInterval, unique_key
from compost_desktop.domain.validation import ValidationError
from compost_desktop.presentation.palette import ERROR

NOT_REQUIRED = "not required"


class RuleDialog(QDialog):
    """A rule's fields; `rule()` gives the validated rule once Save is enabled."""

    def __init__(
        self,
        taken_keys: Iterable[str],
        rule: PathogenRule | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit rule" if rule else "New pathogen-reduction rule")
        self._taken = set(taken_keys) - ({rule.key} if rule else set())
        self._key = rule.key if rule else None
        self._rule: PathogenRule | None = None

        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("e.g. Farm QA plan – in-vessel")
        self.temp_spin = _spin(self, 1, 99, 1, " °C", 55.0)
        self.days_spin = _spin(self, 0, 365, 2, " days", 3.0)
        self.days_spin.setToolTip("Time the lowest probe must stay at temperature without a gap")
        self.turnings_spin = QSpinBox(self)
        self.turnings_spin.setRange(0, 100)
        self.turnings_spin.setSpecialValueText(NOT_REQUIRED)
        self.interval_spin = _spin(self, 0, 60, 1, " days", 0.0)
        self.interval_spin.setSpecialValueText(NOT_REQUIRED)
        self.interval_spin.setToolTip("Least time between two counted turnings")
        self.moisture_spin = _spin(self, 0, 100, 1, " %", 0.0)
        self.moisture_spin.setSpecialValueText(NOT_REQUIRED)
        self.records_combo = QComboBox(self)
        for interval in ReadingInterval:
            self.records_combo.addItem(interval.label.capitalize(), interval.value)
        self.records_combo.setToolTip(
            "Continuous logger: a gap over 30 minutes breaks a run. Daily hand readings: each "
            "day counts when its lowest reading is at temperature; a day without one breaks it."
        )
        self.notes_edit = QPlainTextEdit(self)
        self.notes_edit.setPlaceholderText("Where the rule comes from (standard, permit, QA plan)")
        self.notes_edit.setFixedHeight(70)
        self.error_label = QLabel(self)
        self.error_label.setStyleSheet(f"color: {ERROR};")
        self.error_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )

        form = QFormLayout()
        for caption, widget in (
            ("&Name", self.name_edit),
            ("Lowest probe at least", self.temp_spin),
            ("&For", self.days_spin),
            ("&Turnings in that time", self.turnings_spin),
            ("Time between turnings at least", self.interval_spin),
            ("&Moisture throughout at least", self.moisture_spin),
            ("&Judged on", self.records_combo),
            ("N&otes", self.notes_edit),
        ):
            form.addRow(caption, widget)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        if rule is not None:
            self.name_edit.setText(rule.name)
            self.temp_spin.setValue(rule.min_temp_c)
            self.days_spin.setValue(rule.duration.total_seconds() / 86400)
            self.turnings_spin.setValue(rule.min_turnings)
            if rule.min_turning_interval is not None:
                self.interval_spin.setValue(rule.min_turning_interval.total_seconds() / 86400)
            if rule.min_moisture_pct is not None:
                self.moisture_spin.setValue(rule.min_moisture_pct)
            self.notes_edit.setPlainText(rule.notes)
            self.records_combo.setCurrentIndex(
                self.records_combo.findData(rule.reading_interval.value)
            )

        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.name_edit.textChanged.connect(self.on_edited)
        for spin in (
            self.temp_spin,
            self.days_spin,
            self.interval_spin,
            self.moisture_spin,
        ):
            spin.valueChanged.connect(self.on_edited)
        self.turnings_spin.valueChanged.connect(self.on_edited)
        self.records_combo.currentIndexChanged.connect(self.on_edited)
        self.notes_edit.textChanged.connect(self.on_edited)
        self.on_edited()

    def rule(self) -> PathogenRule | None:
        return self._rule

    @Slot()
    def on_edited(self) -> None:
        """Build the rule from the fields; the domain's own checks word the errors."""
        name = self.name_edit.text().strip()
        interval = self.interval_spin.value()
        moisture = self.moisture_spin.value()
        try:
            if not name:
                raise ValidationError("name", "Give the rule a name.")
            if self.days_spin.value() <= 0:
                raise ValidationError("duration", "The time at temperature must be more than 0.")
            self._rule = PathogenRule(
                key=self._key or unique_key(name, self._taken),
                name=name,
                min_temp_c=self.temp_spin.value(),
                duration=timedelta(days=self.days_spin.value()),
                min_turnings=self.turnings_spin.value(),
                min_turning_interval=timedelta(days=interval) if interval > 0 else None,
                min_moisture_pct=moisture if moisture > 0 else None,
                notes=self.notes_edit.toPlainText().strip(),
                reading_interval=ReadingInterval(self.records_combo.currentData()),
            )
            self.error_label.setText(f"Needs: {self._rule.summary}.")
            self.error_label.setStyleSheet("color: palette(text);")
        except ValidationError as exc:
            self._rule = None
            self.error_label.setText(exc.message)
            self.error_label.setStyleSheet(f"color: {ERROR};")
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(self._rule is not None)


def _spin(
    parent: QWidget, low: float, high: float, decimals: int, suffix: str, value: float
) -> QDoubleSpinBox:
    spin = QDoubleSpinBox(parent)
    spin.setRange(low, high)
    spin.setDecimals(decimals)
    spin.setSuffix(suffix)
    spin.setValue(value)
    return spin
