"""The report's preview dialog: gathers a cycle's report off the GUI thread, shows its pages,
saves it as PDF or prints it. The layout itself is `reports.document`, which needs no widget.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QRectF, Qt, Signal, Slot
from PySide6.QtGui import QPageSize, QPainter, QPalette, QPixmap
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from compost_desktop.domain.pathogen import PRESETS, PathogenRule
from compost_desktop.domain.states import PathogenStatus
from compost_desktop.gui.context import AppContext
from compost_desktop.presentation.palette import LINE, PAPER, PATHOGEN_COLOURS
from compost_desktop.presentation.words import counted
from compost_desktop.records.files import write_atomic
from compost_desktop.reports.document import ReportDocument, default_report_path, local_now
from compost_desktop.services.report_data import ReportData, gather_report

log = logging.getLogger(__name__)


def print_report(document: ReportDocument, printer: QPrinter) -> int:
    """Print on `printer` (the page range it was given, else all pages); returns pages sent."""
    printer.setFullPage(True)
    first, last = 1, document.page_count
    if printer.printRange() == QPrinter.PrintRange.PageRange and printer.fromPage():
        first = max(1, printer.fromPage())
        last = min(document.page_count, printer.toPage() or document.page_count)
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("The printer could not be started; check that it is available.")
    sent = 0
    try:
        paper = printer.paperRect(QPrinter.Unit.DevicePixel)
        target = QRectF(0, 0, paper.width(), paper.height())
        for number in range(first, last + 1):
            if sent:
                printer.newPage()
            document.paint_page(painter, number - 1, target)
            sent += 1
    finally:
        painter.end()
    return sent


def choose_save_path(parent: QWidget, suggested: str) -> str | None:
    """Ask where to save; None when the user cancels."""
    path, _filter = QFileDialog.getSaveFileName(
        parent, "Save the report as PDF", suggested, "PDF documents (*.pdf)"
    )
    if not path:
        return None
    return path if path.lower().endswith(".pdf") else path + ".pdf"


def run_print_dialog(printer: QPrinter, parent: QWidget) -> bool:
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle("Print the cycle report")
    return dialog.exec() == QDialog.DialogCode.Accepted


class ReportDialog(QDialog):
    """Gathers a cycle's report on the database thread, previews it, saves or prints it.

    `choose_path` and `ask_printer` are attributes so tests (and other front ends) can
    replace the file chooser and the print dialog.
    """

    gathered = Signal()
    saved = Signal(str)
    printed = Signal(int)
    failed = Signal(str)

    def __init__(
        self,
        ctx: AppContext,
        cycle_id: int,
        rule: PathogenRule,
        parent: QWidget | None = None,
        clock: Callable[[], datetime] = local_now,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.cycle_id = cycle_id
        self.rule = rule
        self.clock = clock
        self.choose_path: Callable[[QWidget, str], str | None] = choose_save_path
        self.ask_printer: Callable[[QPrinter, QWidget], bool] = run_print_dialog
        self.data: ReportData | None = None
        self.document: ReportDocument | None = None
        self._closed = False  # results that arrive after closing are dropped
        self.setWindowTitle("Cycle report")
        self.resize(560, 700)

        self.status_label = QLabel("Gathering the cycle's records…", self)
        self.status_label.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)  # busy: the database thread gives no fractions
        self.progress.setTextVisible(False)
        self.preview = QWidget(self)
        self.preview_layout = QVBoxLayout(self.preview)
        self.preview_layout.setSpacing(12)
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidget(self.preview)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setBackgroundRole(QPalette.ColorRole.Dark)
        self.save_button = QPushButton("&Save as PDF…", self)
        self.print_button = QPushButton("&Print…", self)
        self.close_button = QPushButton("Cancel", self)
        for button in (self.save_button, self.print_button):
            button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.print_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.scroll_area, 1)
        layout.addLayout(buttons)

        self.save_button.clicked.connect(self.on_save_clicked)
        self.print_button.clicked.connect(self.on_print_clicked)
        self.close_button.clicked.connect(self.on_close_clicked)

    # --- gathering ------------------------------------------------------------------------

    def start(self) -> None:
        store = self.ctx.store
        if store is None:
            self._show_error("The database is not open yet; try again in a moment.")
            return
        engine, cycle_id, rule, now = store.reader, self.cycle_id, self.rule, self.clock()
        band = self.ctx.settings.band

        def work() -> ReportData:
            return gather_report(engine, cycle_id, rule, now, band=band)

        self.ctx.runner.submit(work, self.on_gathered, self.on_gather_failed)

    def on_gathered(self, data: ReportData) -> None:
        if self._closed:
            return
        try:
            self.document = ReportDocument(data, self.ctx.settings.units)
            pages = self.document.render_pages(56)
        except Exception as exc:  # a layout bug must not take the window with it
            log.exception("Could not lay out the report")
            self._show_error(f"Could not lay out the report: {exc}")
            return
        self.data = data
        self.progress.hide()
        count = self.document.page_count
        self.status_label.setText(
            f"Report for “{data.facts.name}” with {data.pathogen.rule.name}: "
            f"{counted(count, 'page')}. Pathogen reduction: {data.pathogen.headline}."
        )
        for image in pages:
            label = QLabel(self.preview)
            pixmap = QPixmap.fromImage(image)
            label.setPixmap(pixmap)
            label.setFixedSize(pixmap.size())
            label.setStyleSheet(f"border: 1px solid {LINE}; background: {PAPER};")
            self.preview_layout.addWidget(label, 0, Qt.AlignmentFlag.AlignHCenter)
        self.preview.adjustSize()
        self.save_button.setEnabled(True)
        self.print_button.setEnabled(True)
        self.close_button.setText("Close")
        self.save_button.setDefault(True)
        self.gathered.emit()

    def on_gather_failed(self, exc: BaseException) -> None:
        if self._closed:
            return
        log.warning("Could not gather the report of cycle %s: %s", self.cycle_id, exc)
        self._show_error(f"Could not gather the report: {exc}")

    # --- actions --------------------------------------------------------------------------

    @Slot()
    def on_save_clicked(self) -> None:
        document, data = self.document, self.data
        if document is None or data is None:
            return
        path = self.choose_path(self, default_report_path(data.facts.name, data.generated_at))
        if not path:
            return
        try:
            blob = document.pdf_bytes()
        except OSError as exc:
            self._show_error(f"Could not write the PDF: {exc}")
            return
        self.save_button.setEnabled(False)
        self.status_label.setText(f"Saving {path}…")
        self.ctx.runner.submit(
            lambda: str(write_atomic(Path(path), blob)), self.on_saved, self.on_save_failed
        )

    def on_saved(self, path: str) -> None:
        if self._closed:  # the file is written all the same
            return
        self.save_button.setEnabled(True)
        self.status_label.setStyleSheet("")
        self.status_label.setText(f"Saved to {path}")
        self.saved.emit(path)

    def on_save_failed(self, exc: BaseException) -> None:
        if self._closed:
            log.warning("Saving the report failed after its window closed: %s", exc)
            return
        self.save_button.setEnabled(True)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        where = f" {exc.filename}" if isinstance(exc, OSError) and exc.filename else ""
        self._show_error(f"Could not save the PDF{where}: {reason}. Nothing was changed.")

    @Slot()
    def on_print_clicked(self) -> None:
        document = self.document
        if document is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        printer.setDocName(f"Cycle report – {document.data.facts.name}")
        printer.setFromTo(1, document.page_count)
        if not self.ask_printer(printer, self):
            return
        try:
            sent = print_report(document, printer)
        except OSError as exc:
            self._show_error(str(exc))
            return
        self.status_label.setStyleSheet("")
        self.status_label.setText(f"Sent {counted(sent, 'page')} to the printer.")
        self.printed.emit(sent)

    @Slot()
    def on_close_clicked(self) -> None:
        self.reject()

    def done(self, result: int) -> None:
        """Closed by the button, Esc or the window's frame: what is still running is dropped."""
        self._closed = True
        super().done(result)

    def _show_error(self, text: str) -> None:
        self.progress.hide()
        if self.document is None:  # nothing to preview: no empty grey pane
            self.scroll_area.hide()
            self.resize(520, 120)
        self.status_label.setText(text)
        self.status_label.setStyleSheet(f"color: {PATHOGEN_COLOURS[PathogenStatus.FAILED]};")
        self.close_button.setText("Close")
        self.failed.emit(text)


def open_report(
    ctx: AppContext, cycle_id: int, rule_key: str, parent: QWidget | None = None
) -> ReportDialog:
    """The cycle detail's "Report…": gather, preview, then save as PDF or print."""
    rules = ctx.settings.rules()  # the presets and the farm's own rules
    rule = rules.get(rule_key)
    dialog = ReportDialog(ctx, cycle_id, rule or next(iter(PRESETS.values())), parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    if rule is None:
        dialog._show_error(f"Unknown pathogen rule {rule_key!r}; choose one of {', '.join(rules)}.")
    else:
        dialog.start()
    return dialog


__all__ = ["ReportDialog", "open_report", "print_report"]
