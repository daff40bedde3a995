"""A quick form for hand-probe readings: when, where, temperature and/or moisture, a note.

Operators walk the pile with a probe and type several spots in a row, so the form keeps the
time and offers "Save & add another". Values are checked as they are typed (the same checks
the service makes on save); the database work goes through the runner.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QDateTime, QLocale, Qt, Signal, Slot
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from compost_desktop.domain.lifecycle import CycleStatus
from compost_desktop.domain.units import TemperatureUnit, celsius_to, to_celsius
from compost_desktop.domain.validation import ValidationError, reading_warnings
from compost_desktop.gui.context import READINGS, AppContext
from compost_desktop.presentation.failures import explain_load, explain_save
from compost_desktop.presentation.formats import clock_text
from compost_desktop.presentation.palette import ERROR, MUTED_TEXT, WARNING
from compost_desktop.services.manual_readings import (
    MAX_MOISTURE_PCT,
    MAX_POSITION_LENGTH,
    MAX_TEMPERATURE_C,
    MIN_MOISTURE_PCT,
    MIN_TEMPERATURE_C,
    ManualReadingDraft,
    ManualReadingRecord,
    ManualReadingSetup,
    add_manual_reading,
    check_draft,
    manual_reading_setup,
)

NOT_MEASURED = "—"
_STEP = 0.1


class OptionalValueSpinBox(QDoubleSpinBox):
    """A number, or "—" for not measured; clearing the text also means not measured."""

    def __init__(self, low: float, high: float, suffix: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(1)
        self.setSingleStep(_STEP)
        # One step below the lowest real value stands for "not measured".
        self.setRange(round(low - _STEP, 1), high)
        self.setSpecialValueText(NOT_MEASURED)
        self.setSuffix(suffix)
        self.setAccelerated(True)
        self.clear_value()

    def _bare(self, text: str) -> str:
        return text.removesuffix(self.suffix()).strip()

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        if not self._bare(text):
            return QValidator.State.Acceptable, text, pos
        return super().validate(text, pos)

    def valueFromText(self, text: str) -> float:
        if not self._bare(text):
            return self.minimum()
        return super().valueFromText(text)

    def clear_value(self) -> None:
        self.setValue(self.minimum())

    def measured(self) -> float | None:
        return None if self.value() <= self.minimum() else self.value()


class ManualReadingDialog(QDialog):
    """Adds hand-probe readings to one cycle; emits each one saved."""

    reading_saved = Signal(object)  # ManualReadingRecord

    def __init__(self, ctx: AppContext, cycle_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.cycle_id = cycle_id
        self.setup: ManualReadingSetup | None = None
        self._unit = ctx.settings.units.temperature
        self._saving = False
        self._blocked: str | None = None  # the cycle cannot take readings at all
        self._touched = False  # until the user types, missing values are a hint, not an error
        self._hint = "Where was the probe, and what did it read? Enter saves."
        self.setWindowTitle("Add hand reading")
        self.setMinimumWidth(460)

        self.when = QDateTimeEdit(self)
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat(_minutes_format(QLocale()))
        self.when.setDateTime(_this_minute())
        self.position = QComboBox(self)
        self.position.setEditable(True)
        self.position.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.position.setMinimumContentsLength(24)
        line = self.position.lineEdit()
        assert line is not None  # editable combo
        line.setMaxLength(MAX_POSITION_LENGTH)
        line.setPlaceholderText("e.g. North, 1 m deep")
        completer = QCompleter(self.position.model(), self.position)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.position.setCompleter(completer)
        unit = self._unit.value
        self.temperature = OptionalValueSpinBox(
            celsius_to(MIN_TEMPERATURE_C, self._unit),
            celsius_to(MAX_TEMPERATURE_C, self._unit),
            f" {unit}",
            self,
        )
        self.moisture = OptionalValueSpinBox(MIN_MOISTURE_PCT, MAX_MOISTURE_PCT, " %", self)
        for box, what in ((self.temperature, "temperature"), (self.moisture, "moisture")):
            box.setToolTip(f"Leave at {NOT_MEASURED} (or clear it) when no {what} was read.")
        self.notes = QLineEdit(self)
        self.notes.setPlaceholderText("optional, e.g. steaming, smells of ammonia")
        self.message = QLabel(self)
        self.message.setWordWrap(True)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)
        self.another_button = QPushButton("Save && add another", self)
        self.another_button.setAutoDefault(False)
        self.another_button.setToolTip("Save this spot and keep the time for the next one.")
        self.buttons.addButton(self.another_button, QDialogButtonBox.ButtonRole.ActionRole)

        form = QFormLayout()
        form.addRow("&When", self.when)
        form.addRow("&Position", self.position)
        form.addRow("&Temperature", self.temperature)
        form.addRow("&Moisture", self.moisture)
        form.addRow("&Notes", self.notes)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

        self.when.dateTimeChanged.connect(self.on_field_edited)
        self.position.currentTextChanged.connect(self.on_field_edited)
        self.temperature.valueChanged.connect(self.on_field_edited)
        self.moisture.valueChanged.connect(self.on_field_edited)
        self.save_button.clicked.connect(self.on_save_clicked)
        self.another_button.clicked.connect(self.on_save_another_clicked)
        self.buttons.rejected.connect(self.reject)
        self.position.setFocus()
        self._refresh()
        self._load()

    # --- loading ---------------------------------------------------------------------

    def _load(self) -> None:
        store = self.ctx.store
        if store is None:
            self._block("The database is not open yet; try again in a moment.")
            return
        engine, cycle_id = store.reader, self.cycle_id
        self.ctx.runner.submit(
            lambda: manual_reading_setup(engine, cycle_id),
            self.on_setup_loaded,
            self.on_load_failed,
        )

    @Slot(object)
    def on_setup_loaded(self, setup: ManualReadingSetup) -> None:
        self.setup = setup
        self.setWindowTitle(f"Add hand reading: {setup.cycle_name}")
        typed = self.position.currentText()
        self.position.addItems(list(setup.positions))
        self.position.setEditText(typed)
        if setup.status is CycleStatus.ARCHIVED:
            self._block("This cycle is archived; hand readings can no longer be added to it.")
        self._refresh()

    @Slot(object)
    def on_load_failed(self, exc: BaseException) -> None:
        self._block(f"The cycle could not be loaded. {explain_load(exc)}")

    def _block(self, text: str) -> None:
        self._blocked = text
        self._refresh()

    # --- live validation -------------------------------------------------------------

    def draft(self) -> ManualReadingDraft:
        """The form as the service takes it: local time with its zone, °C."""
        when = self.when.dateTime().toPython()
        assert isinstance(when, datetime)
        temperature = self.temperature.measured()
        return ManualReadingDraft(
            cycle_id=self.cycle_id,
            measured_at=when.astimezone(),
            position=self.position.currentText(),
            temperature_c=(
                None if temperature is None else round(to_celsius(temperature, self._unit), 2)
            ),
            moisture_pct=self.moisture.measured(),
            notes=self.notes.text(),
        )

    def problem(self) -> str | None:
        """Why the reading cannot be saved as it stands, in the user's words; None if it can."""
        if self._blocked:
            return self._blocked
        setup = self.setup
        try:
            clean = check_draft(
                self.draft(),
                datetime.now(UTC),
                start_date=setup.start_date if setup else None,
                status=setup.status if setup else None,
            )
        except ValidationError as exc:
            return _in_unit(exc, self._unit)
        if setup and (clean.position, clean.measured_at) in setup.taken:
            return (
                f"A hand reading at '{clean.position}' for this minute is already saved; "
                "change the time or the position."
            )
        return None

    def warnings(self) -> list[str]:
        """A plausible-looking value that is probably wrong (a 98 °C pile, say)."""
        draft = self.draft()
        found = reading_warnings(draft.temperature_c, draft.measured_at)
        if self._unit is not TemperatureUnit.CELSIUS and draft.temperature_c is not None:
            found = [w.replace(f"{draft.temperature_c:g} °C", "This reading") for w in found]
        return found

    def _refresh(self) -> None:
        problem = self.problem()
        as_error = problem is not None and (self._touched or self._blocked is not None)
        warnings = self.warnings() if problem is None and self._touched else []
        if as_error:
            self._show(problem or "", ERROR)
        elif warnings:
            self._show(" ".join(warnings), WARNING)  # worth a second look; never blocks
        else:
            self._show("" if self._touched else self._hint, MUTED_TEXT)
        ready = problem is None and not self._saving
        self.save_button.setEnabled(ready)
        self.another_button.setEnabled(ready)

    def _show(self, text: str, colour: str) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {colour};")

    @Slot()
    def on_field_edited(self) -> None:
        self._touched = True
        self._refresh()

    # --- saving ----------------------------------------------------------------------

    @Slot()
    def on_save_clicked(self) -> None:
        self._save(another=False)

    @Slot()
    def on_save_another_clicked(self) -> None:
        self._save(another=True)

    def _save(self, another: bool) -> None:
        self._touched = True
        if self._saving or self.problem() is not None:
            self._refresh()
            return
        store = self.ctx.store
        if store is None:
            self._block("The database is not open yet; try again in a moment.")
            return
        draft = self.draft()
        clean = check_draft(draft, datetime.now(UTC))
        record = ManualReadingRecord(
            cycle_id=clean.cycle_id,
            measured_at=clean.measured_at,
            position=clean.position,
            temperature_c=clean.temperature_c,
            moisture_pct=clean.moisture_pct,
            notes=clean.notes,
        )
        engine = store.engine
        self._saving = True
        self._refresh()
        self.ctx.runner.submit(
            lambda: add_manual_reading(engine, draft),
            lambda _ids: self.on_saved(record, another),
            self.on_save_failed,
            changes=frozenset({READINGS}),
        )

    def on_saved(self, record: ManualReadingRecord, another: bool) -> None:
        self._saving = False
        self._remember(record)
        self.reading_saved.emit(record)
        if not another:
            self.accept()
            return
        self.position.setEditText("")
        self.temperature.clear_value()
        self.moisture.clear_value()
        self.notes.clear()
        self._touched = False
        self._hint = f"Saved '{record.position}' at {clock_text(record.measured_at)}. Next spot?"
        self._refresh()
        self.position.setFocus()

    def _remember(self, record: ManualReadingRecord) -> None:
        setup = self.setup
        if setup is not None:
            positions = (record.position, *(p for p in setup.positions if p != record.position))
            self.setup = ManualReadingSetup(
                cycle_id=setup.cycle_id,
                cycle_name=setup.cycle_name,
                status=setup.status,
                start_date=setup.start_date,
                positions=positions,
                taken=setup.taken | {(record.position, record.measured_at)},
            )
        if self.position.findText(record.position) < 0:
            self.position.insertItem(0, record.position)

    @Slot(object)
    def on_save_failed(self, exc: BaseException) -> None:
        self._saving = False
        self._refresh()
        self._show(explain_save(exc), ERROR)  # the entries stay, to fix and save again


def _this_minute() -> QDateTime:
    now = QDateTime.currentDateTime()
    time = now.time()
    time.setHMS(time.hour(), time.minute(), 0)
    return QDateTime(now.date(), time)


def _minutes_format(locale: QLocale) -> str:
    """The locale's date with a four-digit year, and the time to the minute."""
    day = locale.dateFormat(QLocale.FormatType.ShortFormat)
    if "yyyy" not in day:
        day = day.replace("yy", "yyyy")
    clock = locale.timeFormat(QLocale.FormatType.ShortFormat)
    return f"{day} {clock}"


def _in_unit(exc: ValidationError, unit: TemperatureUnit) -> str:
    """The service speaks °C; an operator working in °F gets the range in °F."""
    if exc.field == "temperature_c" and unit is not TemperatureUnit.CELSIUS and "°C" in exc.message:
        low = celsius_to(MIN_TEMPERATURE_C, unit)
        high = celsius_to(MAX_TEMPERATURE_C, unit)
        return f"Temperature must be from {low:g} to {high:g} {unit.value}."
    return exc.message
