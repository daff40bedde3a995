"""The user guide (F1): a short HTML page shipped in resources/help, also in the installer."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from compost_desktop.paths import resource_path

GUIDE = "help/user-guide.html"


class UserGuideDialog(QDialog):
    """Non-modal, so the guide can stay open beside the page it explains."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compost Desktop — user guide")
        self.resize(720, 640)
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(True)
        path = resource_path(GUIDE)
        if path.exists():
            self.browser.setSource(QUrl.fromLocalFile(str(path)))
        else:
            self.browser.setPlainText(f"The user guide is missing from this installation ({path}).")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
