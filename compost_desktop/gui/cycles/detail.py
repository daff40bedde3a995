"""Cycle detail: fields, inputs with undoable delete, the mix, progress, turnings, actions,
and on a second tab the history charts of the cycle's readings.

Every store call goes through the runner; the view only ever holds plain records.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLocale, QSignalBlocker, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence, QShortcut, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from compost_desktop.domain.lifecycle import CycleStatus, can_transition
from compost_desktop.domain.progress import bay_fill_l, time_progress, volume_progress
from compost_desktop.domain.units import kg_to, litres_to
from compost_desktop.domain.validation import usual_delivery_kg
from compost_desktop.gui.context import CYCLES, AppContext
from compost_desktop.gui.cycles.cn_indicator import CnIndicator
from compost_desktop.gui.cycles.cycle_dialog import CycleDialog
from compost_desktop.gui.cycles.input_form import DeliveryContext, InputForm
from compost_desktop.gui.cycles.manual_readings_view import ManualReadingsView
from compost_desktop.gui.cycles.models import number
from compost_desktop.gui.cycles.pathogen_panel import PathogenPanel
from compost_desktop.gui.generated.ui_cycle_detail import Ui_CycleDetail
from compost_desktop.gui.screen import ColumnFitter
from compost_desktop.gui.tasks import Changes
from compost_desktop.presentation.failures import explain_load, explain_save
from compost_desktop.presentation.formats import day_text, moment_text, to_qdatetime
from compost_desktop.presentation.palette import ERROR, ON_FILL, STATUS_COLOURS, WARNING
from compost_desktop.presentation.words import counted
from compost_desktop.services.store import ActiveCycleConflict, Store
from compost_desktop.services.values import (
    CycleRecord,
    InputDraft,
    InputRecord,
    MaterialRecord,
    TurningRecord,
)

if TYPE_CHECKING:
    from compost_desktop.gui.cycles.history_chart import HistoryChart

INPUT_COLUMNS = ("Added", "Material", "Kind", "Mass", "Volume", "Moisture %", "%N dry", "C:N")
TURNING_COLUMNS = ("When", "Who", "Notes")
# While the "When" field is untouched it follows the clock, so a window left open for days
# still stamps a turning with the time it is added.
NOW_REFRESH_MS = 20_000
FUTURE_TOLERANCE = timedelta(minutes=10)  # PC clocks differ a little; an hour is a typo


def current_time() -> datetime:
    """The local time with its zone; tests replace it to move the clock."""
    return datetime.now().astimezone()


def restore_draft(record: InputRecord, library: list[MaterialRecord]) -> InputDraft:
    """An input as it was: values that differ from the library come back as overrides."""
    material = next((m for m in library if m.id == record.material_id), None)

    def override(value: float | None, library_value: float | None) -> float | None:
        return value if value is not None and value != library_value else None

    return InputDraft(
        material_id=record.material_id or 0,
        mass_kg=record.mass_kg,
        volume_l=record.volume_l,
        nitrogen_pct_override=override(
            record.nitrogen_pct, material.nitrogen_pct if material else None
        ),
        moisture_pct_override=override(
            record.moisture_pct, material.moisture_pct if material else None
        ),
        cn_override=override(record.cn_ratio, material.cn_ratio if material else None),
        added_at=record.added_at,
        notes=record.notes,
    )


class DeleteInputCommand(QUndoCommand):
    """Delete an input; undo adds it back through the store (it gets a new id)."""

    def __init__(self, detail: CycleDetail, record: InputRecord) -> None:
        super().__init__(f"Delete {record.material_name}")
        self.detail = detail
        self.record = record
        self.draft = restore_draft(record, detail.library)
        self.input_id = record.id

    def redo(self) -> None:
        input_id = self.input_id
        self.detail.run(lambda s: s.delete_input(input_id), self.on_deleted)

    def undo(self) -> None:
        cycle_id, draft = self.record.cycle_id, self.draft
        self.detail.run(lambda s: s.add_input(cycle_id, draft), self.on_restored)

    def on_deleted(self, _record: InputRecord) -> None:
        self.detail.on_changed(None)

    def on_restored(self, record: InputRecord) -> None:
        self.input_id = record.id  # a redo deletes the restored row
        self.detail.on_changed(None)


class DeleteTurningCommand(QUndoCommand):
    """Delete a turning; undo logs it again (it gets a new id) with the same time and notes."""

    def __init__(self, detail: CycleDetail, record: TurningRecord) -> None:
        super().__init__("Delete turning")
        self.detail = detail
        self.record = record
        self.turning_id = record.id

    def redo(self) -> None:
        turning_id = self.turning_id
        self.detail.run(lambda s: s.delete_turning(turning_id), self.detail.on_changed)

    def undo(self) -> None:
        r = self.record
        self.detail.run(
            lambda s: s.add_turning(r.cycle_id, r.turned_at, r.operator, r.notes),
            self.on_restored,
        )

    def on_restored(self, record: TurningRecord) -> None:
        self.turning_id = record.id
        self.detail.on_changed(None)


class TurningDialog(QDialog):
    """Correct one logged turning: its time, who turned it and the notes."""

    def __init__(self, record: TurningRecord, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit turning")
        self.when = QDateTimeEdit(self)
        self.when.setCalendarPopup(True)
        local = record.turned_at.astimezone() if record.turned_at.tzinfo else record.turned_at
        self.when.setDateTime(to_qdatetime(local))
        self.operator = QLineEdit(record.operator or "", self)
        self.notes = QLineEdit(record.notes or "", self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        form = QFormLayout(self)
        form.addRow("&When", self.when)
        form.addRow("W&ho", self.operator)
        form.addRow("&Notes", self.notes)
        form.addRow(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def values(self) -> tuple[datetime, str | None, str | None]:
        when = self.when.dateTime().toPython()
        assert isinstance(when, datetime)
        return (
            when.astimezone(),
            self.operator.text().strip() or None,
            self.notes.text().strip() or None,
        )


class InputDialog(QDialog):
    """Add or edit one input, with the same row editor as the cycle form."""

    def __init__(
        self, ctx: AppContext, library: list[MaterialRecord], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Input")
        # Wide enough for the material: at 640 px the fixed columns left it about 40 px, so
        # the chosen material could not be read (a small screen still gets it fitted).
        self.resize(900, 200)
        self.form = InputForm(self)
        self.form.set_units(ctx.settings.units.mass, ctx.settings.units.volume)
        self.form.set_library(library)
        self.row = self.form.add_row()
        self.row.remove.hide()
        self.error_label = QLabel(self)
        self.error_label.setStyleSheet(f"color: {ERROR};")
        self.error_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.buttons.rejected.connect(self.reject)
        self.form.rows_changed.connect(self.on_rows_changed)
        self.on_rows_changed()

    @Slot()
    def on_rows_changed(self) -> None:
        value = self.row.value()
        error = value.error
        # Errors wait until a field is touched; a warning never blocks.
        touched = bool(self.row.material.currentText().strip()) or self.row.amount.value() > 0
        self.error_label.setText((error if touched else "") or value.warning or "")
        self.error_label.setStyleSheet(f"color: {ERROR if error else WARNING};")
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(error is None)


class CycleDetail(QWidget):
    """One cycle in full; `back_requested` returns to the list."""

    back_requested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.cycle: CycleRecord | None = None
        self.library: list[MaterialRecord] = []
        self._cycle_id: int | None = None
        self.ui = Ui_CycleDetail()
        self.ui.setupUi(self)
        self.columns = ColumnFitter(
            self.ui.overview_scroll,
            self.ui.columns_layout,
            self.ui.left_column,
            self.ui.right_column,
        )
        self.indicator = CnIndicator(self.ui.mix_box)
        self.ui.mix_layout.addWidget(self.indicator)
        self.pathogen = PathogenPanel(ctx, self)
        self.ui.left_column.insertWidget(
            self.ui.left_column.indexOf(self.ui.mix_box) + 1, self.pathogen
        )
        # Built and filled the first time the tab is shown: opening a cycle never waits for a
        # million readings to be reduced, and the app starts without loading pyqtgraph.
        self._history: HistoryChart | None = None
        self.ui.history_layout.setContentsMargins(4, 6, 4, 4)
        self.add_reading_button = QPushButton("Add &hand reading…", self.ui.history_tab)
        self.add_reading_button.setToolTip("Record readings taken with a hand probe")
        self.hand_readings = ManualReadingsView(ctx, self.ui.hand_readings_tab)
        self.ui.hand_readings_layout.addWidget(self.hand_readings)
        self.report_shortcut = QShortcut(QKeySequence.StandardKey.Print, self)
        self.report_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.undo_stack = QUndoStack(self)
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.undo_action)
        self.redo_action: QAction = self.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        self.redo_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.redo_action)
        self.back_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.back_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

        _setup_table(self.ui.inputs_table, INPUT_COLUMNS, stretch=1)
        _setup_table(self.ui.turnings_table, TURNING_COLUMNS, stretch=2)
        self.ui.turned_at.setToolTip(
            "Left as it is, the turning gets the time you add it; change it to log an earlier one"
        )
        self._turned_at_edited = False
        self._show_now()
        self.now_timer = QTimer(self)
        self.now_timer.setInterval(NOW_REFRESH_MS)
        self.now_timer.timeout.connect(self._show_now)
        self.now_timer.start()
        self.ui.turned_at.dateTimeChanged.connect(self.on_turned_at_edited)
        self.edit_turning_button = QPushButton("Edit turning…", self.ui.turnings_box)
        self.delete_turning_button = QPushButton("Delete turning", self.ui.turnings_box)
        self.delete_turning_button.setToolTip("Delete the selected turning (Ctrl+Z undoes it)")
        turning_actions = QHBoxLayout()
        turning_actions.addWidget(self.edit_turning_button)
        turning_actions.addWidget(self.delete_turning_button)
        turning_actions.addStretch(1)
        self.ui.turnings_layout.insertLayout(
            self.ui.turnings_layout.indexOf(self.ui.turnings_table) + 1, turning_actions
        )
        for bar in (self.ui.time_bar, self.ui.fill_bar):
            bar.setRange(0, 100)

        self.ui.back_button.clicked.connect(self.back_requested)
        self.back_shortcut.activated.connect(self.back_requested)
        self.ui.edit_button.clicked.connect(self.on_edit_clicked)
        self.ui.activate_button.clicked.connect(self.on_activate_clicked)
        self.ui.complete_button.clicked.connect(self.on_complete_clicked)
        self.ui.archive_button.clicked.connect(self.on_archive_clicked)
        self.ui.add_input_button.clicked.connect(self.on_add_input_clicked)
        self.ui.edit_input_button.clicked.connect(self.on_edit_input_clicked)
        self.ui.delete_input_button.clicked.connect(self.on_delete_input_clicked)
        self.ui.undo_button.clicked.connect(self.undo_stack.undo)
        self.undo_stack.canUndoChanged.connect(self.ui.undo_button.setEnabled)
        self.ui.undo_button.setEnabled(False)
        self.ui.undo_button.setToolTip("Undo the last delete (Ctrl+Z)")
        self.ui.inputs_table.itemSelectionChanged.connect(self._update_input_buttons)
        self.ui.inputs_table.doubleClicked.connect(self.on_edit_input_clicked)
        self.ui.add_turning_button.clicked.connect(self.on_add_turning_clicked)
        self.ui.turning_notes.returnPressed.connect(self.on_add_turning_clicked)
        self.ui.operator_edit.returnPressed.connect(self.on_add_turning_clicked)
        self.edit_turning_button.clicked.connect(self.on_edit_turning_clicked)
        self.delete_turning_button.clicked.connect(self.on_delete_turning_clicked)
        self.ui.turnings_table.itemSelectionChanged.connect(self._update_turning_buttons)
        self.ui.turnings_table.doubleClicked.connect(self.on_edit_turning_clicked)
        self.indicator.suggestion_accepted.connect(self.on_suggestion_accepted)
        self.ui.tabs.currentChanged.connect(self.on_tab_changed)
        self.ui.report_button.clicked.connect(self.on_report_clicked)
        self.report_shortcut.activated.connect(self.on_report_clicked)
        self.add_reading_button.clicked.connect(self.hand_readings.on_add_clicked)
        self._update_actions()

    @property
    def cycle_id(self) -> int | None:
        """The cycle shown, if any."""
        return self._cycle_id

    def _this_cycle_changed(self) -> frozenset[str]:
        if self._cycle_id is None:
            return frozenset({CYCLES})
        return Changes({CYCLES}, {self._cycle_id})

    # --- plumbing --------------------------------------------------------------------

    def run(
        self,
        work: Callable[[Store], Any],
        on_done: Callable[[Any], None] | None = None,
        changes: frozenset[str] | None = None,
    ) -> None:
        """Run store work on the database thread; failures land in the error line, worded
        for a load when the work changes nothing. By default the work changes this cycle
        only, so the list refreshes its row alone."""
        if changes is None:
            changes = self._this_cycle_changed()
        failed = self.on_failed if changes else self.on_load_failed
        store = self.ctx.store
        if store is None:
            failed(RuntimeError("the database is not open yet"))
            return
        self.ui.error_label.setText("")
        self.ctx.runner.submit(lambda: work(store), on_done, failed, changes=changes)

    @Slot(object)
    def on_failed(self, exc: BaseException) -> None:
        self.ui.error_label.setText(explain_save(exc))

    @Slot(object)
    def on_load_failed(self, exc: BaseException) -> None:
        self.ui.error_label.setText(f"The cycle could not be loaded. {explain_load(exc)}")

    @Slot(object)
    def on_changed(self, _result: object) -> None:
        """The change bus makes the page reload us; nothing more to do here."""

    # --- loading ---------------------------------------------------------------------

    def show_cycle(self, cycle_id: int) -> None:
        if cycle_id != self._cycle_id:
            self.undo_stack.clear()
        self._cycle_id = cycle_id
        self.ui.error_label.setText("")
        self._show_now()
        self.pathogen.invalidate()
        self.reload()
        self.hand_readings.show_cycle(cycle_id)
        if self._history is not None and self._history.cycle_id == cycle_id:
            self._history.refresh()  # readings may have arrived since it was last open
        elif self._history is not None and self._history.cycle_id is not None:
            self._history.clear_cycle()  # not another cycle's chart when the tab is next shown
        self._load_history_if_shown()

    @property
    def history(self) -> HistoryChart:
        """The history chart, built on first use (it is the only user of pyqtgraph here)."""
        if self._history is None:
            from compost_desktop.gui.cycles.history_chart import HistoryChart

            self._history = HistoryChart(self.ctx, self.ui.history_tab)
            self.ui.history_layout.addWidget(self._history)
            toolbar = self._history.toolbar
            toolbar.insertWidget(toolbar.count() - 1, self.add_reading_button)
        return self._history

    @property
    def history_toolbar(self) -> QHBoxLayout:
        return self.history.toolbar

    @Slot(int)
    def on_tab_changed(self, _index: int) -> None:
        self._load_history_if_shown()

    def _load_history_if_shown(self) -> None:
        if self.ui.tabs.currentWidget() is not self.ui.history_tab:
            return
        history = self.history  # built the first time the tab shows, with or without a cycle
        cycle_id = self._cycle_id
        if cycle_id is not None and history.cycle_id != cycle_id:
            history.show_cycle(cycle_id)

    def reload(self) -> None:
        cycle_id = self._cycle_id
        if cycle_id is None:
            return
        self.run(lambda s: (s.cycle(cycle_id), s.materials()), self.on_loaded, frozenset())

    @Slot(object)
    def on_loaded(self, result: tuple[CycleRecord, list[MaterialRecord]]) -> None:
        cycle, library = result
        if cycle.id != self._cycle_id:
            return
        self.cycle, self.library = cycle, library
        units = self.ctx.settings.units
        loc = QLocale()
        self.ui.title_label.setText(cycle.name)
        self.ui.status_label.setText(cycle.status.label)
        self.ui.status_label.setStyleSheet(
            f"background: {STATUS_COLOURS[cycle.status]}; color: {ON_FILL}; border-radius: 8px;"
            " padding: 2px 10px; font-weight: bold;"
        )
        self.ui.start_value.setText(day_text(cycle.start_date, loc))
        self.ui.end_value.setText(day_text(cycle.projected_end_date, loc))
        self.ui.capacity_value.setText(self._volume(cycle.capacity_l))
        self.ui.initial_value.setText(self._volume(cycle.initial_volume_l))
        self.ui.current_value.setText(self._volume(cycle.current_volume_l))
        mass = units.mass.value
        self.ui.totals_value.setText(
            f"{counted(len(cycle.inputs), 'delivery')}: green {number(kg_to(cycle.green_kg, units.mass), 1, loc)} "
            f"{mass}, brown {number(kg_to(cycle.brown_kg, units.mass), 1, loc)} {mass}; "
            f"estimated volume {self._volume(cycle.estimated_volume_l)}"
        )
        history = []
        if cycle.activated_at:
            history.append(f"activated {moment_text(cycle.activated_at, loc)}")
        if cycle.completed_at:
            history.append(f"completed {moment_text(cycle.completed_at, loc)}")
        self.ui.dates_value.setText("; ".join(history) or "not started")
        self.ui.notes_value.setText(cycle.notes or "—")
        self._show_progress(cycle, loc)
        self.indicator.set_mass_unit(units.mass)
        self.indicator.set_band(self.ctx.settings.band)
        self.indicator.set_library(library)
        self.indicator.set_components(cycle.mix_components())
        self._fill_inputs(cycle, loc)
        self._fill_turnings(cycle, loc)
        self.pathogen.show_cycle(cycle)
        self._update_actions()

    def _volume(self, litres: float | None) -> str:
        if litres is None:
            return "—"
        unit = self.ctx.settings.units.volume
        return f"{number(litres_to(litres, unit), unit.decimals)} {unit.value}"

    def _show_progress(self, cycle: CycleRecord, loc: QLocale) -> None:
        today = date.today()
        elapsed = (
            time_progress(cycle.start_date, cycle.projected_end_date, today)
            if cycle.start_date
            else None
        )
        self.ui.time_bar.setValue(round((elapsed or 0) * 100))
        if elapsed is None:
            self.ui.time_bar.setFormat("no projected end")
        else:
            days = (today - cycle.start_date).days if cycle.start_date else 0
            self.ui.time_bar.setFormat(f"%p % — day {loc.toString(max(0, days))}")
        vp = volume_progress(cycle.initial_volume_l, cycle.current_volume_l, cycle.capacity_l)
        # The same rule as the report: the measured initial volume, else the inputs' volume.
        filled = bay_fill_l(cycle.initial_volume_l, cycle.estimated_volume_l)
        fill = filled / cycle.capacity_l if filled and cycle.capacity_l else None
        self.ui.fill_bar.setValue(round(min(1.0, fill or 0) * 100))
        self.ui.fill_bar.setFormat(
            "capacity not set, or nothing in the bay yet"
            if fill is None
            else f"{number(fill * 100, 0, loc)} % of {self._volume(cycle.capacity_l)}"
        )
        if vp.shrinkage_fraction is None:
            self.ui.shrinkage_label.setText("Current volume not measured yet.")
        else:
            self.ui.shrinkage_label.setText(
                f"Now {self._volume(cycle.current_volume_l)}: the pile has shrunk "
                f"{number(vp.shrinkage_fraction * 100, 0, loc)} % since it was built "
                "(shrinkage is reported, not counted as progress)."
            )

    def _fill_inputs(self, cycle: CycleRecord, loc: QLocale) -> None:
        units = self.ctx.settings.units
        table = self.ui.inputs_table
        table.setRowCount(len(cycle.inputs))
        for row, i in enumerate(cycle.inputs):
            cells = (
                moment_text(i.added_at, loc) if i.added_at else "—",
                i.material_name,
                i.kind.value,
                f"{number(kg_to(i.mass_kg, units.mass), 1, loc)} {units.mass.value}",
                "—"
                if i.volume_l is None
                else f"{number(litres_to(i.volume_l, units.volume), units.volume.decimals, loc)} "
                f"{units.volume.value}",
                "—" if i.moisture_pct is None else number(i.moisture_pct, 0, loc),
                "—" if i.nitrogen_pct is None else number(i.nitrogen_pct, 2, loc),
                "—" if i.cn_ratio is None else f"{number(i.cn_ratio, 0, loc)}:1",
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, i.id)
                if col >= 3:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                table.setItem(row, col, item)
        self._update_input_buttons()

    def _fill_turnings(self, cycle: CycleRecord, loc: QLocale) -> None:
        table = self.ui.turnings_table
        table.setRowCount(len(cycle.turnings))
        for row, t in enumerate(cycle.turnings):
            for col, text in enumerate(
                (moment_text(t.turned_at, loc), t.operator or "", t.notes or "")
            ):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, t.id)
                table.setItem(row, col, item)
        self._update_turning_buttons()

    @Slot()
    def _update_turning_buttons(self) -> None:
        chosen = self.selected_turning() is not None
        editable = self.cycle is not None and self.cycle.status is not CycleStatus.ARCHIVED
        self.edit_turning_button.setEnabled(chosen and editable)
        self.delete_turning_button.setEnabled(chosen and editable)

    def selected_turning(self) -> TurningRecord | None:
        if self.cycle is None:
            return None
        items = self.ui.turnings_table.selectedItems()
        if not items:
            return None
        turning_id = items[0].data(Qt.ItemDataRole.UserRole)
        return next((t for t in self.cycle.turnings if t.id == turning_id), None)

    def _update_actions(self) -> None:
        status = self.cycle.status if self.cycle else None
        for button, target in (
            (self.ui.activate_button, CycleStatus.ACTIVE),
            (self.ui.complete_button, CycleStatus.COMPLETED),
            (self.ui.archive_button, CycleStatus.ARCHIVED),
        ):
            button.setEnabled(status is not None and can_transition(status, target))
        editable = status is not None and status is not CycleStatus.ARCHIVED
        self.ui.edit_button.setEnabled(editable)
        self.ui.report_button.setEnabled(status is not None)
        self.add_reading_button.setEnabled(editable)
        self.hand_readings.add_button.setEnabled(editable)
        self.ui.add_input_button.setEnabled(editable)
        self.ui.add_turning_button.setEnabled(editable)
        self._update_input_buttons()
        self._update_turning_buttons()

    @Slot()
    def _update_input_buttons(self) -> None:
        chosen = self.selected_input() is not None
        editable = self.cycle is not None and self.cycle.status is not CycleStatus.ARCHIVED
        self.ui.edit_input_button.setEnabled(chosen and editable)
        self.ui.delete_input_button.setEnabled(chosen and editable)

    def selected_input(self) -> InputRecord | None:
        if self.cycle is None:
            return None
        items = self.ui.inputs_table.selectedItems()
        if not items:
            return None
        input_id = items[0].data(Qt.ItemDataRole.UserRole)
        return next((i for i in self.cycle.inputs if i.id == input_id), None)

    # --- lifecycle actions -----------------------------------------------------------

    @Slot()
    def on_activate_clicked(self) -> None:
        cycle_id = self._cycle_id
        assert cycle_id is not None
        self.ctx.runner.submit(
            lambda: self._store().activate(cycle_id),
            self.on_changed,
            self.on_activate_failed,
            changes=Changes({CYCLES}, {cycle_id}),
        )

    @Slot(object)
    def on_activate_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, ActiveCycleConflict) or exc.active_id == self._cycle_id:
            self.on_failed(exc)
            return
        name = self.cycle.name if self.cycle else "this cycle"
        answer = QMessageBox.question(
            self,
            "Switch the active cycle?",
            f"Switch: '{exc.active_name}' will be completed and '{name}' becomes the active "
            "cycle. The sensors' readings will belong to this cycle from now on.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            cycle_id = self._cycle_id
            assert cycle_id is not None
            # Another cycle is completed too (whichever is active by then): the whole list.
            self.run(
                lambda s: s.activate(cycle_id, switch=True),
                self.on_changed,
                frozenset({CYCLES}),
            )

    @Slot()
    def on_report_clicked(self) -> None:
        """Report for the rule the tracker shows, so the paper says what the screen says."""
        if self.cycle is None:
            return
        from compost_desktop.gui.report import open_report  # the PDF layout: on use

        self.report_dialog = open_report(self.ctx, self.cycle.id, self.pathogen.rule.key, self)

    @Slot()
    def on_complete_clicked(self) -> None:
        if self._confirm("Complete", "It will no longer be monitored live; this cannot be undone."):
            cycle_id = self._cycle_id
            assert cycle_id is not None
            self.run(lambda s: s.complete(cycle_id), self.on_changed)

    @Slot()
    def on_archive_clicked(self) -> None:
        if self._confirm("Archive", "It stays viewable but can no longer be changed."):
            cycle_id = self._cycle_id
            assert cycle_id is not None
            self.run(lambda s: s.archive(cycle_id), self.on_changed)

    def _confirm(self, verb: str, consequence: str) -> bool:
        name = self.cycle.name if self.cycle else "this cycle"
        answer = QMessageBox.question(
            self,
            f"{verb} cycle?",
            f"{verb} '{name}'? {consequence}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _store(self) -> Store:
        if self.ctx.store is None:
            raise RuntimeError("the database is not open yet")
        return self.ctx.store

    @Slot()
    def on_edit_clicked(self) -> None:
        if self.cycle is None:
            return
        dialog = CycleDialog(self.ctx, self.cycle, self)
        dialog.setModal(True)
        dialog.open()
        self.edit_dialog = dialog

    # --- inputs and turnings ---------------------------------------------------------

    @Slot()
    def on_add_input_clicked(self) -> None:
        self._open_input_dialog(None)

    @Slot()
    def on_edit_input_clicked(self) -> None:
        record = self.selected_input()
        if record is not None:
            self._open_input_dialog(record)

    def _open_input_dialog(self, record: InputRecord | None) -> InputDialog:
        dialog = InputDialog(self.ctx, self.library, self)
        units = self.ctx.settings.units
        cycle = self.cycle
        others = [
            i.mass_kg
            for i in (cycle.inputs if cycle else ())
            if record is None or i.id != record.id
        ]
        dialog.form.delivery_context = lambda: DeliveryContext(
            cycle.capacity_l if cycle else None, usual_delivery_kg(others)
        )
        if record is not None:
            dialog.setWindowTitle(f"Edit input: {record.material_name}")
            if record.added_at is not None:
                dialog.row.set_delivered_at(record.added_at)
            dialog.row.set_values(record.material_name, round(kg_to(record.mass_kg, units.mass), 2))
            material = next((m for m in self.library if m.id == record.material_id), None)
            if material and record.moisture_pct != material.moisture_pct and record.moisture_pct:
                dialog.row.moisture.setValue(record.moisture_pct)
            if material and record.nitrogen_pct != material.nitrogen_pct and record.nitrogen_pct:
                dialog.row.nitrogen.setValue(record.nitrogen_pct)
        cycle_id = self._cycle_id

        def save() -> None:
            value = dialog.row.value()
            if value.error:
                return
            draft = value.draft()

            def work(s: Store) -> InputRecord:
                if record is None:
                    assert cycle_id is not None
                    return s.add_input(cycle_id, draft)
                return s.update_input(record.id, draft)

            def done(_r: InputRecord) -> None:
                dialog.accept()

            store = self.ctx.store
            if store is None:
                dialog.error_label.setText("The database is not open yet.")
                return
            self.ctx.runner.submit(
                lambda: work(store),
                done,
                lambda exc: dialog.error_label.setText(explain_save(exc)),
                changes=self._this_cycle_changed(),
            )

        dialog.buttons.accepted.connect(save)
        dialog.setModal(True)
        dialog.open()
        self.input_dialog = dialog
        return dialog

    @Slot()
    def on_delete_input_clicked(self) -> None:
        record = self.selected_input()
        if record is not None:
            self.undo_stack.push(DeleteInputCommand(self, record))

    @Slot(object, float)
    def on_suggestion_accepted(self, material: MaterialRecord, kg: float) -> None:
        cycle_id = self._cycle_id
        if cycle_id is None:
            return
        draft = InputDraft(material.id, mass_kg=round(kg, 2))
        self.run(lambda s: s.add_input(cycle_id, draft), self.on_changed)

    @Slot()
    def _show_now(self) -> None:
        """Keep an untouched "When" field on the current time."""
        if self._turned_at_edited:
            return
        with QSignalBlocker(self.ui.turned_at):
            self.ui.turned_at.setDateTime(to_qdatetime(current_time().replace(tzinfo=None)))

    @Slot()
    def on_turned_at_edited(self) -> None:
        self._turned_at_edited = True

    @Slot()
    def on_add_turning_clicked(self) -> None:
        cycle_id = self._cycle_id
        if cycle_id is None or not self.ui.add_turning_button.isEnabled():
            return
        if self._turned_at_edited:
            when = self.ui.turned_at.dateTime().toPython()
            assert isinstance(when, datetime)
            when = when.astimezone()  # local wall time, with its zone
        else:
            when = current_time()  # the moment of the click, not when the field was filled
        if when > current_time() + FUTURE_TOLERANCE:
            answer = QMessageBox.question(
                self,
                "Turning in the future?",
                f"The turning time {moment_text(when)} is in the future. Log it anyway?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        operator = self.ui.operator_edit.text().strip() or None
        notes = self.ui.turning_notes.text().strip() or None

        def done(_r: object) -> None:
            self.ui.turning_notes.clear()
            self._turned_at_edited = False
            self._show_now()

        self.run(lambda s: s.add_turning(cycle_id, when, operator, notes), done)

    @Slot()
    def on_edit_turning_clicked(self) -> None:
        record = self.selected_turning()
        if record is None or not self.edit_turning_button.isEnabled():
            return
        dialog = TurningDialog(record, self)
        self.turning_dialog = dialog

        def save() -> None:
            when, operator, notes = dialog.values()
            self.run(lambda s: s.update_turning(record.id, when, operator, notes), self.on_changed)

        dialog.accepted.connect(save)
        dialog.setModal(True)
        dialog.open()

    @Slot()
    def on_delete_turning_clicked(self) -> None:
        record = self.selected_turning()
        if record is not None:
            self.undo_stack.push(DeleteTurningCommand(self, record))


def _setup_table(table: QTableWidget, columns: tuple[str, ...], stretch: int) -> None:
    table.setColumnCount(len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
