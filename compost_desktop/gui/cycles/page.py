"""The Cycles screen: the list of all cycles (search, filter, sort) and the detail view."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, QItemSelectionModel, QLocale, QModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from compost_desktop.domain.lifecycle import CycleStatus
from compost_desktop.gui.context import CYCLES, MATERIALS, SETTINGS, AppContext
from compost_desktop.gui.cycles.models import (
    BarDelegate,
    CycleColumn,
    CycleFilterProxy,
    CycleRow,
    CycleTableModel,
    StatusBadgeDelegate,
    cycle_rows,
)
from compost_desktop.gui.tasks import cycle_ids_of
from compost_desktop.presentation.failures import explain_load
from compost_desktop.presentation.palette import ERROR, FILL_BAR, MAX_CYCLES, PROGRESS_BAR
from compost_desktop.presentation.words import counted

if TYPE_CHECKING:
    from compost_desktop.gui.cycles.detail import CycleDetail

FIRST_ROWS = 200  # shown before the rest of a long history has loaded: a few screens

FIRST_STEPS = (
    "<h2>No cycles yet</h2>"
    "<p>To get started:</p><ol>"
    "<li><a href='new'><b>Create a cycle</b></a> (<i>New cycle…</i>, Ctrl+N): its name, dates, "
    "the bay's capacity and what goes in.</li>"
    "<li><b>Connect the farm server</b> in <i>Settings → Database</i>, if the farm has one; "
    "without one this PC's database is the whole record.</li>"
    "<li><b>Connect the sensors</b> in <i>Settings → Broker</i> (the farm's Mosquitto); until "
    "then the Monitoring page shows a demo.</li></ol>"
    "<p>The <a href='help'>user guide</a> (F1) explains the daily tasks.</p>"
)


class CycleTableView(QTableView):
    """Enter opens the current cycle, like a double-click; the name column takes the room."""

    open_requested = Signal(QModelIndex)
    name_min_width = 0  # set by the page from the font in use

    def resizeEvent(self, event: QResizeEvent) -> None:
        """The name gets what the other columns leave, but never less than a typical name:
        a narrow window (150 % on 1366×768) scrolls sideways rather than cutting names."""
        super().resizeEvent(event)
        header = self.horizontalHeader()
        others = sum(header.sectionSize(c) for c in range(header.count()) if c != CycleColumn.NAME)
        self.setColumnWidth(
            CycleColumn.NAME, max(self.name_min_width, self.viewport().width() - others)
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit(self.currentIndex())
            return
        super().keyPressEvent(event)


class CyclesPage(QWidget):
    """List ↔ detail in a stack; loads rows on the database thread whenever cycles change."""

    rows_shown = Signal()  # the list can be used: the first rows, or all of them
    load_finished = Signal()  # every row shown, or why they could not be

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._loading = False
        self._reload_pending = False
        self._loaded_once = False
        self._loading_all_of: int | None = None  # the first rows are shown; all are coming
        self.stack = QStackedWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        self.list_page = QWidget(self.stack)
        self._build_list(self.list_page)
        self.stack.addWidget(self.list_page)
        # Built when a cycle is first opened: its modules and widgets were a tenth of a
        # second of every start, before the list could show (bench_startup).
        self._detail: CycleDetail | None = None
        ctx.store_ready.connect(self.reload)
        ctx.bus.changed.connect(self.on_data_changed)
        ctx.settings_changed.connect(self.on_settings_changed)
        if ctx.store is not None:
            self.reload()

    @property
    def detail(self) -> CycleDetail:
        """The one cycle view, built on first use."""
        if self._detail is None:
            from compost_desktop.gui import view_state
            from compost_desktop.gui.cycles.detail import CycleDetail

            self._detail = CycleDetail(self.ctx, self.stack)
            self.stack.addWidget(self._detail)
            self._detail.back_requested.connect(self.on_back_requested)
            view_state.restore(self, "cycles", part=self._detail)
        return self._detail

    def _build_list(self, page: QWidget) -> None:
        self.search = QLineEdit(page)
        self.search.setPlaceholderText("Search name or notes…")
        self.search.setClearButtonEnabled(True)
        # Wide enough for its placeholder in the font and scale in use: at 150 % it was
        # squeezed to "S…" beside the checkboxes and buttons.
        metrics = self.search.fontMetrics()
        self.search.setMinimumWidth(metrics.horizontalAdvance(self.search.placeholderText()) + 48)
        self.status_checks: dict[CycleStatus, QCheckBox] = {}
        status_row = QHBoxLayout()
        status_row.addWidget(self.search, 2)
        for status in CycleStatus:
            check = QCheckBox(status.label, page)
            check.setChecked(True)
            check.toggled.connect(self.on_status_filter_changed)
            self.status_checks[status] = check
            status_row.addWidget(check)
        self.date_filter = QCheckBox("Running between", page)
        self.date_from = QDateEdit(page)
        self.date_to = QDateEdit(page)
        today = date.today()
        for edit, value in (
            (self.date_from, QDate(today.year, 1, 1)),
            (self.date_to, QDate(today.year, 12, 31)),
        ):
            edit.setCalendarPopup(True)
            edit.setDate(value)
            edit.setEnabled(False)
            edit.dateChanged.connect(self.on_date_filter_changed)
        self.date_filter.toggled.connect(self.on_date_filter_changed)
        # Search and statuses on the first row, the date filter and the buttons on the
        # second: each row fits a 1366×768 screen at 150 % (about 740 px beside the navigation).
        status_row.addStretch(1)
        self.date_row = QHBoxLayout()
        self.date_row.addWidget(self.date_filter)
        self.date_row.addWidget(self.date_from)
        self.date_row.addWidget(QLabel("and", page))
        self.date_row.addWidget(self.date_to)
        self.date_row.addStretch(1)
        self.new_button = QPushButton("New cycle…", page)
        self.new_button.setToolTip("Plan a new cycle (Ctrl+N)")
        self.new_button.setShortcut(QKeySequence.StandardKey.New)
        self.date_row.addWidget(self.new_button)
        self.plan_button = QPushButton("Plan a pile…", page)
        self.plan_button.setToolTip(
            "Work out how much of each feedstock on hand to blend to hit C:N and moisture, "
            "and whether it fits the bay"
        )
        self.date_row.addWidget(self.plan_button)
        self.compare_action = QAction("&Compare selected cycles…", page)
        self.compare_action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.compare_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.compare_action.setToolTip(
            "Overlay the temperature curves of the selected cycles by day since start "
            "(Ctrl+Shift+C); select two or more with Ctrl or Shift"
        )
        page.addAction(self.compare_action)
        self.compare_button = QPushButton("Compare…", page)
        self.compare_button.setToolTip(self.compare_action.toolTip())
        self.date_row.addWidget(self.compare_button)

        self.model = CycleTableModel(self)
        self.model.set_mass_unit(self.ctx.settings.units.mass)
        self.proxy = CycleFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = CycleTableView(page)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(CycleColumn.START, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Several rows at once, for comparing cycles; Enter still opens the current one.
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.open_action = QAction("&Open", self.table)
        self.open_action.triggered.connect(self.on_open_triggered)
        self.table.addAction(self.open_action)
        self.table.addAction(self.compare_action)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        # Fixed section sizes: measuring 10,000 rows' contents would stall the first paint.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # The name is what people look for: it keeps room for a typical one ("Bay 12 – batch
        # 140") and takes what the others leave (CycleTableView.resizeEvent); a stretched name
        # column was cut to "Bay…" at 150 %.
        self.table.name_min_width = (
            self.table.fontMetrics().horizontalAdvance("Bay 12 – batch 140") + 24
        )
        self.table.setColumnWidth(CycleColumn.NAME, self.table.name_min_width)
        for column, width in (
            (CycleColumn.STATUS, 100),
            (CycleColumn.START, 96),
            (CycleColumn.END, 106),
            (CycleColumn.PROGRESS, 70),
            (CycleColumn.FILL, 64),
            (CycleColumn.GREEN, 90),
            (CycleColumn.BROWN, 90),
            (CycleColumn.CN, 80),
        ):
            self.table.setColumnWidth(column, width)
        self.table.setItemDelegateForColumn(CycleColumn.STATUS, StatusBadgeDelegate(self.table))
        self.table.setItemDelegateForColumn(
            CycleColumn.PROGRESS, BarDelegate("progress", PROGRESS_BAR, self.table)
        )
        self.table.setItemDelegateForColumn(
            CycleColumn.FILL, BarDelegate("fill", FILL_BAR, self.table)
        )
        self.count_label = QLabel(page)
        self.error_label = QLabel(page)
        self.error_label.setStyleSheet(f"color: {ERROR};")
        self.error_label.setWordWrap(True)

        self.empty_hint = QLabel(page)
        self.empty_hint.setObjectName("empty_hint")
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.empty_hint.setContentsMargins(24, 24, 24, 24)
        self.empty_hint.setText(FIRST_STEPS)
        self.empty_hint.linkActivated.connect(self.on_hint_link)
        self.empty_hint.hide()

        layout = QVBoxLayout(page)
        layout.addLayout(status_row)
        layout.addLayout(self.date_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_hint, 1)
        footer = QHBoxLayout()
        footer.addWidget(self.count_label)
        footer.addWidget(self.error_label, 1)
        layout.addLayout(footer)

        self.search.textChanged.connect(self.on_search_changed)
        self.table.doubleClicked.connect(self.on_row_activated)
        self.table.open_requested.connect(self.on_row_activated)
        self.new_button.clicked.connect(self.on_new_clicked)
        self.plan_button.clicked.connect(self.on_plan_clicked)
        self.compare_button.clicked.connect(self.compare_action.trigger)
        self.compare_action.triggered.connect(self.on_compare_triggered)
        self.table.selectionModel().selectionChanged.connect(self._update_compare)
        self.proxy.modelReset.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)
        self.proxy.rowsInserted.connect(self._update_count)
        self.proxy.rowsRemoved.connect(self._update_count)
        for signal in (
            self.proxy.modelReset,
            self.proxy.layoutChanged,
            self.proxy.rowsRemoved,
        ):
            signal.connect(self._update_compare)
        self._update_count()
        self._update_compare()

    # --- loading ---------------------------------------------------------------------

    @Slot()
    def reload(self) -> None:
        """Fetch all cycles and compute their rows on the database thread."""
        store = self.ctx.store
        if store is None:
            return
        if self._loading:
            self._reload_pending = True
            return
        self._loading = True
        if self._loaded_once:
            self._load_all()
            return
        band = self.ctx.settings.band
        today = date.today()

        # The first time, a screenful first: a long history (10,000 cycles) takes half a
        # second to load, and the list is what a user waits for at start.
        def first() -> tuple[list[CycleRow], int]:
            cycles, total = store.first_cycles(FIRST_ROWS)
            return cycle_rows(cycles, band, today), total

        self.ctx.runner.submit(first, self.on_first_rows_loaded, self.on_load_failed)

    def _load_all(self) -> None:
        store = self.ctx.store
        assert store is not None
        band = self.ctx.settings.band
        today = date.today()
        self.ctx.runner.submit(
            lambda: cycle_rows(store.cycles(), band, today),
            self.on_rows_loaded,
            self.on_load_failed,
        )

    @Slot(object)
    def on_first_rows_loaded(self, loaded: tuple[list[CycleRow], int]) -> None:
        rows, total = loaded
        if len(rows) >= total:
            self.on_rows_loaded(rows)  # that was all of them
            return
        self._loading_all_of = total
        self._keeping_selection(lambda: self.model.set_rows(rows))
        self.rows_shown.emit()
        self._load_all()

    @Slot(str)
    def on_hint_link(self, link: str) -> None:
        if link == "new":
            self.on_new_clicked()
        elif link == "help":
            window = self.window()
            action = getattr(window, "user_guide_action", None)
            if action is not None:
                action.trigger()

    @Slot(object)
    def on_rows_loaded(self, rows: list[CycleRow]) -> None:
        self._loading = False
        self._loaded_once = True
        self._loading_all_of = None
        self.error_label.setText("")
        self._keeping_selection(lambda: self.model.set_rows(rows))
        if self._reload_pending:
            self._reload_pending = False
            self.reload()
        self.rows_shown.emit()
        self.load_finished.emit()

    @Slot(object)
    def on_load_failed(self, exc: BaseException) -> None:
        self._loading = False
        self._loading_all_of = None
        self.error_label.setText(f"Cycles could not be loaded. {explain_load(exc)}")
        self._update_count()
        self.load_finished.emit()

    @Slot(frozenset)
    def on_data_changed(self, kinds: frozenset[str]) -> None:
        if not kinds & {CYCLES, MATERIALS, SETTINGS}:
            return
        ids = cycle_ids_of(kinds)
        if ids is not None and kinds <= {CYCLES} and self._loaded_once and not self._loading:
            self.refresh_rows(ids)
        else:
            self.reload()
        detail = self._detail  # None until a cycle was first opened
        if detail is None or self.stack.currentWidget() is not detail:
            return
        if ids is None or detail.cycle_id in ids:
            detail.reload()

    def refresh_rows(self, cycle_ids: frozenset[int]) -> None:
        """Reload only the rows of these cycles (an edit, an activation, a delivery)."""
        store = self.ctx.store
        if store is None or not cycle_ids:
            return
        band = self.ctx.settings.band
        today = date.today()
        self.ctx.runner.submit(
            lambda: cycle_rows(store.cycles_by_id(cycle_ids), band, today),
            self.on_rows_refreshed,
            self.on_load_failed,
        )

    @Slot(object)
    def on_rows_refreshed(self, rows: list[CycleRow]) -> None:
        if self._loading:
            return  # a whole reload is on its way and will bring these too
        self._keeping_selection(lambda: self.model.update_rows(rows))

    def _keeping_selection(self, change: Callable[[], None]) -> None:
        """Change the rows, sort them as the header says, and select what was selected."""
        current = self.selected_cycle_id()
        chosen = self.selected_cycle_ids()
        change()
        header = self.table.horizontalHeader()
        self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        if current is not None:
            self.select_cycle(current)
        self._reselect(c for c in chosen if c != current)

    @Slot()
    def on_settings_changed(self) -> None:
        self.model.set_mass_unit(self.ctx.settings.units.mass)

    # --- filters ---------------------------------------------------------------------

    @Slot(str)
    def on_search_changed(self, text: str) -> None:
        self.proxy.set_text(text)
        self._update_count()

    @Slot()
    def on_status_filter_changed(self) -> None:
        self.proxy.set_statuses(s for s, c in self.status_checks.items() if c.isChecked())
        self._update_count()

    @Slot()
    def on_date_filter_changed(self) -> None:
        on = self.date_filter.isChecked()
        self.date_from.setEnabled(on)
        self.date_to.setEnabled(on)
        if on:
            start = self.date_from.date().toPython()
            end = self.date_to.date().toPython()
            assert isinstance(start, date) and isinstance(end, date)
            self.proxy.set_date_range(start, end)
        else:
            self.proxy.set_date_range(None, None)
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        # No cycle at all once loaded: say what to do first instead of an empty table.
        empty = total == 0 and self._loaded_once
        self.empty_hint.setVisible(empty)
        self.table.setVisible(not empty)
        number = QLocale().toString  # the locale's digits and grouping, as in the table

        def cycles(count: int) -> str:
            return counted(count, "cycle", number(count))

        if self._loading_all_of is not None:
            text = f"{number(shown)} of {cycles(self._loading_all_of)} shown; loading the rest…"
        elif shown == total:
            text = cycles(total)
        else:
            text = f"{number(shown)} of {cycles(total)} shown"
        self.count_label.setText(text)

    # --- navigation ------------------------------------------------------------------

    def selected_cycle_id(self) -> int | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.row_at(self.proxy.mapToSource(index).row()).id

    def select_cycle(self, cycle_id: int) -> None:
        row = self.model.row_of(cycle_id)
        if row is None:
            return
        index = self.proxy.mapFromSource(self.model.index(row, CycleColumn.NAME))
        if index.isValid():
            self.table.selectionModel().setCurrentIndex(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.table.scrollTo(index)

    def selected_cycle_ids(self) -> list[int]:
        """The selected cycles, top to bottom as the list shows them."""
        rows = sorted(self.table.selectionModel().selectedRows(), key=lambda i: i.row())
        return [self.model.row_at(self.proxy.mapToSource(i).row()).id for i in rows]

    def _reselect(self, cycle_ids: Iterable[int]) -> None:
        """Add cycles back to the selection after a reload, keeping the current row."""
        selection = self.table.selectionModel()
        for cycle_id in cycle_ids:
            row = self.model.row_of(cycle_id)
            if row is None:
                continue
            index = self.proxy.mapFromSource(self.model.index(row, CycleColumn.NAME))
            if index.isValid():
                selection.select(
                    index,
                    QItemSelectionModel.SelectionFlag.Select
                    | QItemSelectionModel.SelectionFlag.Rows,
                )

    @Slot()
    def _update_compare(self) -> None:
        count = len(self.table.selectionModel().selectedRows())
        usable = 2 <= count <= MAX_CYCLES
        self.compare_action.setEnabled(usable)
        self.compare_button.setEnabled(usable)
        self.compare_button.setToolTip(
            f"{count} cycles selected: at most {MAX_CYCLES} fit in one comparison"
            if count > MAX_CYCLES
            else self.compare_action.toolTip()
        )

    @Slot()
    def on_compare_triggered(self) -> None:
        """Open the comparison of the selected cycles beside the list (not modal)."""
        chosen = self.selected_cycle_ids()
        if not 2 <= len(chosen) <= MAX_CYCLES:
            return
        from compost_desktop.gui.cycles.compare_view import CompareDialog  # pyqtgraph: on use

        dialog = CompareDialog(self.ctx, chosen, parent=self)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    @Slot()
    def on_open_triggered(self) -> None:
        if self.table.currentIndex().isValid():
            self.on_row_activated(self.table.currentIndex())

    @Slot(QModelIndex)
    def on_row_activated(self, index: QModelIndex) -> None:
        row = self.model.row_at(self.proxy.mapToSource(index).row())
        self.open_cycle(row.id)

    def open_cycle(self, cycle_id: int) -> None:
        self.detail.show_cycle(cycle_id)
        self.stack.setCurrentWidget(self.detail)

    @Slot()
    def on_back_requested(self) -> None:
        self.stack.setCurrentWidget(self.list_page)
        self.table.setFocus()

    @Slot()
    def on_new_clicked(self) -> None:
        from compost_desktop.gui.cycles.cycle_dialog import CycleDialog

        dialog = CycleDialog(self.ctx, parent=self)
        dialog.cycle_saved.connect(self.on_cycle_created)
        dialog.setModal(True)
        dialog.open()

    @Slot()
    def on_plan_clicked(self) -> None:
        from compost_desktop.gui.planner.dialog import PlannerDialog

        dialog = PlannerDialog(self.ctx, parent=self)
        dialog.cycle_dialog_opened.connect(
            lambda cycle_dialog: cycle_dialog.cycle_saved.connect(self.on_cycle_created)
        )
        dialog.finished.connect(dialog.deleteLater)
        self.planner = dialog
        dialog.open()

    @Slot(int)
    def on_cycle_created(self, cycle_id: int) -> None:
        self.open_cycle(cycle_id)
