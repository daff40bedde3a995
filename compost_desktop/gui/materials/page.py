"""The Materials screen: the library of green and brown materials the input forms pick from."""

from __future__ import annotations

import logging

from PySide6.QtCore import QModelIndex, QSignalBlocker, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from compost_desktop.gui.context import CYCLES, MATERIALS, STOCK, AppContext
from compost_desktop.gui.materials.material_dialog import MaterialDialog
from compost_desktop.gui.materials.models import (
    MaterialColumn,
    MaterialSortProxy,
    MaterialTableModel,
)
from compost_desktop.presentation.palette import OK, OK_BACKGROUND, WARNING, WARNING_BACKGROUND
from compost_desktop.services.store import MaterialInUseError, NotFoundError
from compost_desktop.services.values import CycleRecord, MaterialRecord

log = logging.getLogger(__name__)


def banner_style(warning: bool) -> str:
    """The message above the table: amber for a warning, green for news that went well."""
    background, edge = (WARNING_BACKGROUND, WARNING) if warning else (OK_BACKGROUND, OK)
    return (
        f"QLabel {{ background: {background}; border: 1px solid {edge}; "
        "border-radius: 3px; padding: 6px; }"
    )


def plain_list(names: list[str]) -> str:
    """'A', 'A and B', 'A, B and C': how a person lists things."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


class MaterialsPage(QWidget):
    """Lists the library; adds, edits and deletes materials without blocking the window."""

    materials_loaded = Signal(int)  # number of materials shown
    material_deleted = Signal(object)  # the MaterialRecord that was deleted

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.dialog: MaterialDialog | None = None
        self.reapply_box: QMessageBox | None = None
        self._select_after_load: int | None = None
        self._stale = False  # a delivery drew stock down while the page was hidden

        self.model = MaterialTableModel(self)
        self.proxy = MaterialSortProxy(self)
        self.proxy.setSourceModel(self.model)
        self._build()

        ctx.store_ready.connect(self.on_store_ready)
        ctx.bus.changed.connect(self.on_data_changed)
        self.model.stock_edited.connect(self.on_stock_edited)
        if ctx.store is not None:
            self.reload()

    @Slot(int, object)
    def on_stock_edited(self, material_id: int, kg: float | None) -> None:
        """A new count of the yard, stored on the database thread."""
        store = self.ctx.store
        if store is None:
            return

        def submit() -> None:  # after the view has finished committing its editor
            self.ctx.runner.submit(
                lambda: store.set_stock(material_id, kg),
                None,
                lambda exc: self.show_message(f"The stock could not be saved: {exc}"),
                changes=frozenset({STOCK}),
            )

        QTimer.singleShot(0, self, submit)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        title = QLabel("<b>Materials library</b>")
        title.setObjectName("pageTitle")
        intro = QLabel(
            "Typical values of what goes into a pile. The mix C:N and moisture of every cycle are "
            "computed from these; a lab result entered on a delivery overrides them."
        )
        intro.setWordWrap(True)
        intro.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(title)
        layout.addWidget(intro)

        bar = QHBoxLayout()
        self.search = QLineEdit(self)
        self.search.setObjectName("materialSearch")
        self.search.setPlaceholderText("Search by name, green/brown or source  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.on_search_changed)
        self.add_button = QPushButton("&New material…", self)
        self.edit_button = QPushButton("&Edit…", self)
        self.delete_button = QPushButton("&Delete", self)
        self.add_button.setToolTip("Add a material to the library (Ctrl+N)")
        self.edit_button.setToolTip("Edit the selected material (Enter or double-click)")
        self.delete_button.setToolTip("Delete the selected material (Del)")
        self.add_button.clicked.connect(self.on_add_requested)
        self.edit_button.clicked.connect(self.on_edit_requested)
        self.delete_button.clicked.connect(self.on_delete_requested)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.add_button)
        bar.addWidget(self.edit_button)
        bar.addWidget(self.delete_button)
        layout.addLayout(bar)

        self.banner = QLabel(self)
        self.banner.setObjectName("materialsBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(banner_style(warning=True))
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()
        layout.addWidget(self.banner)

        self.table = QTableView(self)
        self.table.setObjectName("materialsTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(MaterialColumn.NAME, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in (
            (MaterialColumn.NAME, 190),
            (MaterialColumn.KIND, 100),
            (MaterialColumn.CN, 60),
            (MaterialColumn.NITROGEN, 75),
            (MaterialColumn.MOISTURE, 90),
            (MaterialColumn.DENSITY, 135),
        ):
            self.table.setColumnWidth(column, width)
        self.table.doubleClicked.connect(self.on_row_activated)
        self.table.selectionModel().selectionChanged.connect(self.on_selection_changed)
        layout.addWidget(self.table, 1)

        self.count_label = QLabel("Opening the database…", self)
        self.count_label.setObjectName("materialsCount")
        layout.addWidget(self.count_label)

        self._add_actions()
        self.on_selection_changed()

    def _add_actions(self) -> None:
        """Keyboard: Ctrl+N anywhere on the page; Enter and Del on the table only."""
        new_action = QAction("New material", self)
        new_action.setShortcut(QKeySequence.StandardKey.New)
        new_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        new_action.triggered.connect(self.on_add_requested)
        self.addAction(new_action)

        find_action = QAction("Search materials", self)
        find_action.setShortcut(QKeySequence.StandardKey.Find)
        find_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find_action.triggered.connect(self.search.setFocus)
        self.addAction(find_action)

        edit_action = QAction("Edit material", self.table)
        edit_action.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        edit_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        edit_action.triggered.connect(self.on_edit_requested)
        self.table.addAction(edit_action)

        delete_action = QAction("Delete material", self.table)
        delete_action.setShortcut(QKeySequence.StandardKey.Delete)
        delete_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        delete_action.triggered.connect(self.on_delete_requested)
        self.table.addAction(delete_action)
        self.new_action, self.edit_action, self.delete_action = (
            new_action,
            edit_action,
            delete_action,
        )

    # --- loading -----------------------------------------------------------------------

    @Slot()
    def on_store_ready(self) -> None:
        self.reload()

    @Slot(frozenset)
    def on_data_changed(self, changes: frozenset[str]) -> None:
        # A delivery (a cycle change) draws the stock down.
        if not changes & {MATERIALS, STOCK, CYCLES}:
            return
        if self.isVisible() or changes & {MATERIALS, STOCK}:
            self.reload()
        else:
            self._stale = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def reload(self) -> None:
        """Fetch the library on the database thread; the table keeps showing the old rows."""
        store = self.ctx.store
        if store is None:
            return
        self._stale = False
        self.ctx.runner.submit(store.materials, self.on_loaded, self.on_load_failed)

    def on_loaded(self, materials: list[MaterialRecord]) -> None:
        keep = self._select_after_load
        if keep is None:
            current = self.selected_material()
            keep = current.id if current else None
        self._select_after_load = None
        first = self.model.rowCount() == 0
        with QSignalBlocker(self.table.selectionModel()):
            self.model.set_materials(materials)
        if first and materials:  # fit long names once; later the user's widths are kept
            self.table.resizeColumnToContents(MaterialColumn.NAME)
            width = self.table.columnWidth(MaterialColumn.NAME)
            self.table.setColumnWidth(MaterialColumn.NAME, min(max(width + 12, 190), 320))
        if keep is not None:
            self.select_material(keep)
        self.on_selection_changed()
        self._update_count()
        self.materials_loaded.emit(len(materials))

    def on_load_failed(self, exc: BaseException) -> None:
        log.warning("Loading materials failed: %s", exc)
        self.show_message(
            "The materials could not be loaded because the database did not answer. "
            "They will appear as soon as it is reachable again."
        )

    def _update_count(self) -> None:
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        noun = "material" if total == 1 else "materials"
        self.count_label.setText(
            f"{total} {noun}" if shown == total else f"{shown} of {total} {noun} match the search"
        )

    # --- selection and search ------------------------------------------------------------

    def selected_material(self) -> MaterialRecord | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.material_at(self.proxy.mapToSource(rows[0]).row())

    def select_material(self, material_id: int) -> bool:
        row = self.model.row_of(material_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        self.table.selectRow(index.row())
        self.table.scrollTo(index)
        return True

    @Slot()
    def on_selection_changed(self) -> None:
        has = self.selected_material() is not None
        self.edit_button.setEnabled(has)
        self.delete_button.setEnabled(has)

    @Slot(str)
    def on_search_changed(self, text: str) -> None:
        self.proxy.set_search_text(text)
        self._update_count()
        if self.selected_material() is None and self.proxy.rowCount() > 0:
            self.table.selectRow(0)
        self.on_selection_changed()

    # --- add, edit, delete ---------------------------------------------------------------

    @Slot()
    def on_add_requested(self) -> None:
        self._open_dialog(None)

    @Slot()
    def on_edit_requested(self) -> None:
        material = self.selected_material()
        if material is not None:
            self._open_dialog(material)

    @Slot(QModelIndex)
    def on_row_activated(self, index: QModelIndex) -> None:
        if index.isValid() and index.column() == MaterialColumn.STOCK:
            self.table.edit(index)  # a new count is typed in place
            return
        if index.isValid():
            self.table.selectRow(index.row())
            self.on_edit_requested()

    def _open_dialog(self, material: MaterialRecord | None) -> MaterialDialog:
        self.clear_message()
        names = [m.name for m in self.model.materials()]
        dialog = MaterialDialog(self.ctx, material, names, self)
        dialog.material_saved.connect(self.on_material_saved)
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()
        return dialog

    @Slot(object)
    def on_material_saved(self, record: MaterialRecord) -> None:
        # The bus reload that follows the save selects the row that was saved.
        self._select_after_load = record.id
        if self.model.row_of(record.id) is not None:
            self.select_material(record.id)
        store = self.ctx.store
        if store is not None:
            self.ctx.runner.submit(
                lambda: store.cycles_to_reapply(record.id),
                lambda cycles: self.on_reapply_offered(record, cycles),
                lambda exc: log.warning("Could not look up cycles using a material: %s", exc),
            )

    def on_reapply_offered(self, material: MaterialRecord, cycles: list[CycleRecord]) -> None:
        """Past deliveries keep their values; planning and active cycles may take the edit."""
        if not cycles:
            return
        named = plain_list([f"{c.name} ({c.status.value})" for c in cycles])
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Re-apply material",
            f"Deliveries keep the values they were mixed with, so the change to "
            f"'{material.name}' applies to new deliveries only.\n\n"
            f"Also apply it to the deliveries of {named}? Values entered for a single "
            "delivery stay as they are; completed and archived cycles never change.",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        apply = box.addButton("Re-apply", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Keep as recorded", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(apply)
        box.finished.connect(box.deleteLater)
        box.buttonClicked.connect(
            lambda button: self._reapply(material, cycles) if button is apply else None
        )
        self.reapply_box = box
        box.open()

    def _reapply(self, material: MaterialRecord, cycles: list[CycleRecord]) -> None:
        store = self.ctx.store
        if store is None:
            return
        self.ctx.runner.submit(
            lambda: store.reapply_material(material.id, [c.id for c in cycles]),
            lambda names: self.show_message(
                f"The new values of '{material.name}' were applied to {plain_list(names)}."
                if names
                else f"Nothing needed changing for '{material.name}'.",
                warning=False,
            ),
            lambda exc: self.show_message(
                f"The new values of '{material.name}' were not applied: {exc}"
            ),
            changes=frozenset({CYCLES}),
        )

    @Slot()
    def on_delete_requested(self) -> None:
        material = self.selected_material()
        store = self.ctx.store
        if material is None or store is None:
            return
        self.clear_message()
        answer = QMessageBox.question(
            self,
            "Delete material",
            f"Delete '{material.name}' from the materials library?\n\n"
            "This cannot be undone. A material that a cycle uses is kept.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.ctx.runner.submit(
            lambda: store.delete_material(material.id),
            lambda _result: self.on_deleted(material),
            lambda exc: self.on_delete_failed(material, exc),
            changes=frozenset({MATERIALS}),
        )

    def on_deleted(self, material: MaterialRecord) -> None:
        self.show_message(f"'{material.name}' was deleted from the library.", warning=False)
        self.material_deleted.emit(material)

    def on_delete_failed(self, material: MaterialRecord, exc: BaseException) -> None:
        if isinstance(exc, MaterialInUseError):
            self.show_message(
                f"'{material.name}' was kept: it is used by {plain_list(exc.cycles)}. "
                "Remove its inputs from those cycles first if you really want to delete it."
            )
        elif isinstance(exc, NotFoundError):
            self.show_message(
                f"'{material.name}' had already been deleted (perhaps on another PC)."
            )
            self.reload()
        else:
            log.warning("Deleting a material failed: %s", exc)
            self.show_message(
                f"'{material.name}' was not deleted: the database did not answer. "
                "Check the connection in the status bar and try again."
            )

    # --- messages --------------------------------------------------------------------------

    def show_message(self, text: str, warning: bool = True) -> None:
        """A message above the table that stays until the next action, unlike a popup."""
        self.banner.setStyleSheet(banner_style(warning))
        self.banner.setText(text)
        self.banner.show()

    def clear_message(self) -> None:
        self.banner.clear()
        self.banner.hide()
