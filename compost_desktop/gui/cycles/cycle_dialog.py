"""New / edit cycle dialog: dates validated as you type, the waste input form and live C:N.

Saving runs on the database thread; if it fails the dialog stays open with everything
typed, says what went wrong in plain words, and a retry never duplicates what was saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from PySide6.QtCore import QDate, QLocale, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFrame,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from compost_desktop.domain.units import VolumeUnit, litres_to, to_litres
from compost_desktop.domain.validation import capacity_warning, usual_delivery_kg
from compost_desktop.gui.context import CYCLES, AppContext
from compost_desktop.gui.cycles.cn_indicator import CnIndicator
from compost_desktop.gui.cycles.input_form import DeliveryContext, InputForm, InputRowEditor
from compost_desktop.gui.cycles.models import number
from compost_desktop.gui.generated.ui_cycle_dialog import Ui_CycleDialog
from compost_desktop.gui.tasks import Changes
from compost_desktop.presentation.failures import explain_load, explain_save
from compost_desktop.presentation.formats import date_format
from compost_desktop.presentation.palette import ERROR, WARNING
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft, CycleRecord, InputDraft, MaterialRecord


@dataclass(frozen=True, slots=True)
class SaveOutcome:
    """How far a save got: the cycle id once it exists, the rows stored, and any failure."""

    cycle_id: int | None
    saved_rows: int
    error: BaseException | None


def to_qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


class CycleDialog(QDialog):
    """Creates a cycle with its inputs, or edits a cycle's fields and adds more inputs."""

    cycle_saved = Signal(int)

    def __init__(
        self, ctx: AppContext, record: CycleRecord | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.record = record
        self._cycle_id = record.id if record else None
        self._saved: set[InputRowEditor] = set()
        self._saving = False
        self.ui = Ui_CycleDialog()
        self.ui.setupUi(self)
        self._scroll_contents()
        self.setWindowTitle(f"Edit {record.name}" if record else "New cycle")
        self.save_button = self.ui.button_box.button(QDialogButtonBox.StandardButton.Save)

        units = ctx.settings.units
        self._volume_unit: VolumeUnit = units.volume
        for box in (self.ui.capacity, self.ui.initial_volume, self.ui.current_volume):
            box.setSuffix(f" {units.volume.value}")
            box.setGroupSeparatorShown(True)
            box.setDecimals(units.volume.decimals)
            box.setMaximum(litres_to(box.maximum(), units.volume))
            box.setSingleStep(max(0.1, litres_to(box.singleStep(), units.volume)))
        self.input_form = InputForm(self.ui.inputs_box)
        self.input_form.set_units(units.mass, units.volume)
        self.input_form.delivery_context = self.delivery_context
        self.library: list[MaterialRecord] = []
        self.new_material_button = QPushButton("New &material…", self.ui.inputs_box)
        self.new_material_button.setToolTip(
            "Add a material that is not in the library yet; this form stays as it is"
        )
        self.ui.inputs_buttons.insertWidget(1, self.new_material_button)
        self.name_error = QLabel(self)
        self.name_error.setStyleSheet(f"color: {ERROR};")
        self.name_error.hide()
        self.ui.left_form.insertRow(1, "", self.name_error)
        self.warning_label = QLabel(self)
        self.warning_label.setStyleSheet(f"color: {WARNING};")
        self.warning_label.setWordWrap(True)
        self.warning_label.hide()
        self.ui.main_layout.insertWidget(
            self.ui.main_layout.indexOf(self.ui.error_label), self.warning_label
        )
        self.ui.inputs_layout.insertWidget(0, self.input_form, 1)
        self.indicator = CnIndicator(self.ui.mix_box)
        self.indicator.set_band(ctx.settings.band)
        self.indicator.set_mass_unit(units.mass)
        self.ui.mix_layout.addWidget(self.indicator)

        today = date.today()
        if record is None:
            self.ui.start_date.setDate(to_qdate(today))
            self.ui.end_date.setDate(to_qdate(today + timedelta(weeks=12)))
        else:
            self.ui.inputs_box.setTitle("Add inputs")
            self._fill(record)
        self.ui.start_date.dateChanged.connect(self.on_dates_changed)
        self.ui.end_date.dateChanged.connect(self.on_dates_changed)
        self.ui.add_row_button.clicked.connect(self.on_add_row_clicked)
        self.new_material_button.clicked.connect(self.on_new_material_clicked)
        self.ui.name_edit.textEdited.connect(self.on_name_edited)
        self.ui.capacity.valueChanged.connect(self.input_form.refresh)
        self.input_form.rows_changed.connect(self.on_rows_changed)
        self.indicator.suggestion_accepted.connect(self.on_suggestion_accepted)
        self.ui.button_box.accepted.connect(self.on_save_clicked)
        self.ui.button_box.rejected.connect(self.reject)
        self.on_rows_changed()
        self._pristine = self._snapshot()
        self._load_library()

    def _scroll_contents(self) -> None:
        """Everything but the buttons scrolls, so on a small or scaled screen the dialog can
        be shorter than its contents and Save stays in reach."""
        layout = self.ui.main_layout
        content = QWidget(self)
        inner = QVBoxLayout(content)
        inner.setContentsMargins(0, 0, 0, 0)
        stretches = [layout.stretch(i) for i in range(layout.count())]
        items = [layout.takeAt(0) for _ in range(layout.count())]
        for item, stretch in zip(items, stretches, strict=True):
            assert item is not None  # taken from within the layout's count
            widget, sub = item.widget(), item.layout()
            if widget is self.ui.button_box:
                continue
            if widget is not None:
                inner.addWidget(widget, stretch)
            elif sub is not None:
                inner.addLayout(sub, stretch)
            else:
                inner.addItem(item)
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(content)
        content.setMinimumHeight(520)  # below this the inputs table is too short to use
        layout.addWidget(self.scroll_area, 1)
        layout.addWidget(self.ui.button_box)

    def showEvent(self, event: QShowEvent) -> None:
        """Never taller or wider than the screen's free area."""
        screen = self.screen()
        if screen is not None:
            avail = screen.availableGeometry()
            self.resize(
                min(self.width(), avail.width() - 40), min(self.height(), avail.height() - 60)
            )
        super().showEvent(event)

    # --- loading ---------------------------------------------------------------------

    def _fill(self, r: CycleRecord) -> None:
        self.ui.name_edit.setText(r.name)
        self.ui.start_date.setDate(to_qdate(r.start_date or date.today()))
        if r.projected_end_date:
            self.ui.end_date.setDate(to_qdate(r.projected_end_date))
        self.ui.notes.setPlainText(r.notes or "")
        for box, litres in (
            (self.ui.capacity, r.capacity_l),
            (self.ui.initial_volume, r.initial_volume_l),
            (self.ui.current_volume, r.current_volume_l),
        ):
            box.setValue(litres_to(litres, self._volume_unit) if litres else 0)

    def _load_library(self) -> None:
        store = self.ctx.store
        if store is None:
            self.ui.error_label.setText("The database is not open yet; inputs cannot be chosen.")
            return
        self.ctx.runner.submit(store.materials, self.on_library_loaded, self.on_library_failed)

    @Slot(object)
    def on_library_loaded(self, materials: list[MaterialRecord]) -> None:
        pristine = self._snapshot() == self._pristine
        self.library = list(materials)
        self.input_form.set_library(materials)
        self.indicator.set_library(materials)
        if self.record is None and not self.input_form.rows:
            self.input_form.add_row()
        if pristine:
            self._pristine = self._snapshot()

    # --- the library, from inside the form -------------------------------------------

    @Slot()
    def on_new_material_clicked(self) -> None:
        """Add a missing material without leaving (or losing) this form."""
        from compost_desktop.gui.materials.material_dialog import MaterialDialog

        known = {m.name.casefold() for m in self.library}
        typed = next(
            (
                r.material.currentText().strip()
                for r in self.input_form.rows
                if r.material.currentText().strip()
                and r.material.currentText().strip().casefold() not in known
                and r.value().material is None
            ),
            "",
        )
        dialog = MaterialDialog(self.ctx, None, [m.name for m in self.library], self)
        if typed:
            dialog.ui.nameEdit.setText(typed)
        dialog.material_saved.connect(self.on_material_added)
        dialog.setModal(True)
        dialog.open()
        self.material_dialog = dialog

    @Slot(object)
    def on_material_added(self, material: MaterialRecord) -> None:
        self.library.append(material)
        self.library.sort(key=lambda m: m.name.casefold())
        self.input_form.set_library(self.library)
        self.indicator.set_library(self.library)

    def delivery_context(self) -> DeliveryContext:
        capacity = self.ui.capacity.value()
        existing = self.record.inputs if self.record else ()
        return DeliveryContext(
            to_litres(capacity, self._volume_unit) if capacity > 0 else None,
            usual_delivery_kg([i.mass_kg for i in existing]),
        )

    # --- leaving ---------------------------------------------------------------------

    def _snapshot(self) -> tuple[object, ...]:
        rows = tuple(
            (
                r.material.currentText().strip(),
                r.amount.text(),
                r.unit.currentIndex(),
                r.moisture.value(),
                r.nitrogen.value(),
                r.when_edited,
            )
            for r in self.input_form.rows
            if r not in self._saved
        )
        return (
            self.ui.name_edit.text().strip(),
            self.ui.start_date.date(),
            self.ui.end_date.date(),
            self.ui.notes.toPlainText().strip(),
            self.ui.capacity.text(),
            self.ui.initial_volume.text(),
            self.ui.current_volume.text(),
            tuple(row for row in rows if row[0] or row[1] not in ("", "0.00", "0,00")),
        )

    def has_changes(self) -> bool:
        return self._snapshot() != self._pristine

    def reject(self) -> None:
        """Escape or Cancel on a changed form asks before throwing the typing away."""
        if self.has_changes() and not self._saving:
            answer = QMessageBox.question(
                self,
                "Discard changes?",
                "This form has changes that are not saved. Discard them?",
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                return
        super().reject()

    @Slot(object)
    def on_library_failed(self, exc: BaseException) -> None:
        self.ui.error_label.setText(
            f"The materials library could not be loaded. {explain_load(exc)}"
        )

    # --- live validation -----------------------------------------------------------

    def date_problem(self) -> str | None:
        start = self.ui.start_date.date()
        end = self.ui.end_date.date()
        if end <= start:
            loc = QLocale()
            fmt = date_format(loc)
            return (
                f"The projected end ({loc.toString(end, fmt)}) must be after the start "
                f"({loc.toString(start, fmt)})."
            )
        return None

    def row_problem(self) -> str | None:
        for i, value in enumerate(self.input_form.filled_values(), start=1):
            if value.error:
                return f"Input row {i}: {value.error}"
        return None

    def name_problem(self) -> str | None:
        if self.ui.name_edit.text().strip():
            return None
        return "Give the cycle a name (e.g. the bay and the month: 'Bay 2 – May')."

    @Slot()
    def on_name_edited(self) -> None:
        problem = self.name_problem()
        self.name_error.setText(problem or "")
        self.name_error.setVisible(problem is not None)

    def _update_save_state(self) -> None:
        dates = self.date_problem()
        self.ui.date_error.setText(dates or "")
        self.ui.date_error.setVisible(dates is not None)
        self.save_button.setEnabled(
            not self._saving and dates is None and self.row_problem() is None
        )

    @Slot()
    def on_dates_changed(self) -> None:
        self._update_save_state()

    @Slot()
    def on_rows_changed(self) -> None:
        existing = self.record.mix_components() if self.record else []
        self.indicator.set_components(existing + self.input_form.components())
        volume = self.input_form.estimated_volume_l()
        loc = QLocale()
        self.ui.estimated_volume.setText(
            ""
            if volume is None
            else "Estimated from the inputs: "
            f"{number(litres_to(volume, self._volume_unit), self._volume_unit.decimals, loc)} "
            f"{self._volume_unit.value}"
        )
        warnings = [v.warning for v in self.input_form.filled_values() if v.warning]
        existing_l = sum((i.volume_l or 0.0) for i in (self.record.inputs if self.record else ()))
        total = (volume or 0.0) + existing_l if volume is not None or existing_l else None
        capacity = self.delivery_context().capacity_l
        bay = capacity_warning(total, capacity)
        if bay:
            warnings.append(bay)
        self.warning_label.setText("\n".join(dict.fromkeys(w for w in warnings if w)))
        self.warning_label.setVisible(bool(warnings))
        row_problem = self.row_problem()
        if not self.ui.error_label.text() or self.ui.error_label.property("from_rows"):
            self.ui.error_label.setText(row_problem or "")
            self.ui.error_label.setProperty("from_rows", True)
        self._update_save_state()

    @Slot()
    def on_add_row_clicked(self) -> None:
        row = self.input_form.add_row()
        row.material.setFocus()

    @Slot(object, float)
    def on_suggestion_accepted(self, material: MaterialRecord, kg: float) -> None:
        self.input_form.add_kg(material, kg)

    # --- saving ----------------------------------------------------------------------

    def draft(self) -> CycleDraft:
        def litres(box: QDoubleSpinBox) -> float | None:
            return to_litres(box.value(), self._volume_unit) if box.value() > 0 else None

        start = self.ui.start_date.date().toPython()
        end = self.ui.end_date.date().toPython()
        assert isinstance(start, date) and isinstance(end, date)
        return CycleDraft(
            name=self.ui.name_edit.text().strip() or None,
            start_date=start,
            projected_end_date=end,
            notes=self.ui.notes.toPlainText().strip() or None,
            capacity_l=litres(self.ui.capacity),
            initial_volume_l=litres(self.ui.initial_volume),
            current_volume_l=litres(self.ui.current_volume),
        )

    @Slot()
    def on_save_clicked(self) -> None:
        store = self.ctx.store
        if store is None:
            self._show_error("The database is not open yet; wait for the status bar to say ready.")
            return
        if self.name_problem():
            self.on_name_edited()
            self.ui.name_edit.setFocus()
            return
        if self.date_problem() or self.row_problem():
            self._update_save_state()
            return
        draft = self.draft()
        pending = [
            (editor, editor.value())
            for editor in self.input_form.rows
            if editor not in self._saved and editor.value().error is None
        ]
        drafts = [value.draft() for _, value in pending]
        cycle_id = self._cycle_id
        self._saving = True
        self._update_save_state()

        def work() -> SaveOutcome:
            return _save(store, draft, cycle_id, drafts)

        def done(outcome: SaveOutcome) -> None:
            self._saving = False
            self._cycle_id = outcome.cycle_id
            for editor, _ in pending[: outcome.saved_rows]:
                self._saved.add(editor)
                for widget in editor.widgets():
                    widget.setEnabled(False)
            if outcome.error is not None:
                self._show_error(explain_save(outcome.error))
                self._update_save_state()
                return
            assert outcome.cycle_id is not None
            self.cycle_saved.emit(outcome.cycle_id)
            self.accept()

        def failed(exc: BaseException) -> None:
            self._saving = False
            self._show_error(explain_save(exc))
            self._update_save_state()

        self.ctx.runner.submit(
            work,
            done,
            failed,
            # The list refreshes the one row; a save that stored nothing changes nothing.
            changes=lambda outcome: Changes(
                {CYCLES}, [] if outcome.cycle_id is None else [outcome.cycle_id]
            ),
        )

    def _show_error(self, text: str) -> None:
        self.ui.error_label.setProperty("from_rows", False)
        self.ui.error_label.setText(text)


def _save(
    store: Store, draft: CycleDraft, cycle_id: int | None, inputs: list[InputDraft]
) -> SaveOutcome:
    """Runs on the database thread; reports partial progress instead of losing it."""
    try:
        record = store.save_cycle(draft, cycle_id)
    except Exception as exc:
        return SaveOutcome(cycle_id, 0, exc)
    saved = 0
    for input_draft in inputs:
        try:
            store.add_input(record.id, input_draft)
        except Exception as exc:
            return SaveOutcome(record.id, saved, exc)
        saved += 1
    return SaveOutcome(record.id, saved, None)
