"""App-wide guards on number and date fields, installed once on the application.

Qt's spin boxes silently drop a keystroke they cannot accept ("4o" becomes 4, "150" in a
0–99.9 field becomes 15) and take the mouse wheel while the pointer merely passes over them,
so an amount, a date or a choice can change without the user noticing. One event filter on
the application fixes both for every field, present and future:

* a keystroke that would make a spin box's text invalid is refused *with a message* (a
  tooltip at the field, and the main window's status bar);
* the wheel only changes the field that has the keyboard focus; otherwise it scrolls the
  page the field is on, as the user meant;
* every date and date-time field shows the app's one date format (the locale's, with a
  four-digit year), so a typed date is read in the user's locale;
* every dialog opens inside the screen: at 150 % on a 1366×768 screen the report preview
  and the user guide opened taller than the screen, their buttons out of reach.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QObject,
    QPoint,
    QRect,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QValidator
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDoubleSpinBox,
    QMainWindow,
    QScrollBar,
    QSpinBox,
    QToolTip,
    QWidget,
)

from compost_desktop.gui.screen import fit_on_screen
from compost_desktop.presentation.formats import date_format, datetime_format

_FORMATTED = "_compost_date_format"
_WHEEL_WIDGETS = (QAbstractSpinBox, QComboBox, QAbstractSlider)


def refusal(box: QAbstractSpinBox, text: str) -> str:
    """Why `text` cannot go into `box`, in words a user can act on."""
    loc = box.locale()
    prefix = box.prefix() if isinstance(box, (QSpinBox, QDoubleSpinBox)) else ""
    suffix = box.suffix() if isinstance(box, (QSpinBox, QDoubleSpinBox)) else ""
    bare = text
    if prefix and bare.startswith(prefix):
        bare = bare[len(prefix) :]
    if suffix and bare.endswith(suffix):
        bare = bare[: -len(suffix)]
    bare = bare.strip()
    number, ok = loc.toDouble(bare.replace(loc.groupSeparator(), ""))
    if isinstance(box, (QSpinBox, QDoubleSpinBox)):
        low, high = box.minimum(), box.maximum()
        unit = suffix.strip()
        limits = f"{box.textFromValue(low)}–{box.textFromValue(high)}"  # type: ignore[arg-type]
        limits += f" {unit}" if unit else ""
        if bare.startswith(("-", loc.negativeSign())) and low >= 0:
            return f"This field cannot be negative ({limits})."
        if ok and number > high:
            return f"{bare} is more than this field takes ({limits}); nothing was changed."
        if ok and number < low:
            return f"{bare} is less than this field takes ({limits}); nothing was changed."
        if any(c.isalpha() or c in "³²" for c in bare):
            where = f"the unit is {unit}" if unit else "choose the unit beside the field"
            return f"'{bare}' is not a number: type only the number ({where})."
    return f"'{bare}' is not a number this field can take; nothing was changed."


class InputGuard(QObject):
    """The application-wide event filter described in the module docstring."""

    refused = Signal(QWidget, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.last_refusal = ""
        # After a refused keystroke the rest of what is typed is refused too ("30 m3" must
        # not become 303), until the user edits (Backspace, Delete, arrows) or leaves.
        self._refusing: QAbstractSpinBox | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Wheel and isinstance(watched, QWidget):
            return self._on_wheel(watched, event)
        if kind == QEvent.Type.KeyPress and isinstance(watched, QAbstractSpinBox):
            assert isinstance(event, QKeyEvent)
            return self._on_key(watched, event)
        if kind == QEvent.Type.Show and isinstance(watched, QDialog) and watched.isWindow():
            fit_on_screen(watched)
        if kind == QEvent.Type.FocusOut and watched is self._refusing:
            self._refusing = None
        if kind == QEvent.Type.Polish and isinstance(watched, _WHEEL_WIDGETS):
            self.adopt(watched)
        return False

    def adopt(self, field: QWidget) -> None:
        """Fit a field to the rules as it is polished (or, made before the guard, at once)."""
        # Qt gives a WheelFocus widget the focus *before* any filter sees the wheel event
        # (QApplication::notify), so the pointer passing over a field would still change
        # it; such fields take the focus by click or Tab only.
        if field.focusPolicy() == Qt.FocusPolicy.WheelFocus:
            field.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        if isinstance(field, QDateTimeEdit):
            self._format_dates(field)

    # --- the wheel -------------------------------------------------------------------

    def _on_wheel(self, watched: QWidget, event: QEvent) -> bool:
        field = _input_field(watched)
        if field is None:
            return False
        focus = QApplication.focusWidget()
        if focus is not None and (focus is field or field.isAncestorOf(focus)):
            return False
        if isinstance(field, QComboBox) and field.view().isVisible():
            return False  # an open list scrolls itself
        area = _scroll_area(field)
        if area is not None:
            bar = area.verticalScrollBar()
            if bar.isVisible():
                QApplication.sendEvent(bar, event)
        return True

    # --- typed text ------------------------------------------------------------------

    def _on_key(self, box: QAbstractSpinBox, event: QKeyEvent) -> bool:
        typed = event.text()
        if isinstance(box, QDateTimeEdit):
            return False
        if not typed or not typed.isprintable():
            self._refusing = None  # an edit: the user is fixing the text
            return False
        if self._refusing is box:
            self.show_refusal(box, self.last_refusal)
            return True
        edit = box.lineEdit()
        text = edit.text()
        if edit.hasSelectedText():
            start = edit.selectionStart()
            end = start + len(edit.selectedText())
        else:
            start = end = edit.cursorPosition()
        candidate = text[:start] + typed + text[end:]
        state = box.validate(candidate, start + len(typed))[0]
        negative = candidate.lstrip().startswith(("-", box.locale().negativeSign()))
        if isinstance(box, (QSpinBox, QDoubleSpinBox)) and negative and box.minimum() >= 0:
            state = QValidator.State.Invalid
        if state != QValidator.State.Invalid:
            return False
        self._refusing = box
        self.show_refusal(box, refusal(box, candidate))
        return True

    def show_refusal(self, box: QWidget, message: str) -> None:
        """Tell the user at the field (and in the status bar) why their input was refused."""
        self.last_refusal = message
        QToolTip.showText(box.mapToGlobal(QPoint(0, box.height())), message, box, QRect(), 6000)
        window = box.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(message, 8000)
        self.refused.emit(box, message)

    # --- dates -----------------------------------------------------------------------

    def _format_dates(self, edit: QDateTimeEdit) -> None:
        if edit.property(_FORMATTED):
            return
        edit.setProperty(_FORMATTED, True)
        loc = edit.locale()
        has_time = bool(edit.displayedSections() & QDateTimeEdit.Section.TimeSections_Mask)
        has_date = bool(edit.displayedSections() & QDateTimeEdit.Section.DateSections_Mask)
        if has_date and has_time:
            edit.setDisplayFormat(datetime_format(loc))
        elif has_date:
            edit.setDisplayFormat(date_format(loc))


def _input_field(widget: QWidget) -> QWidget | None:
    """The value-holding field `widget` belongs to (a combo box's line edit, say), if any."""
    current: QWidget | None = widget
    for _ in range(3):
        if current is None:
            return None
        if isinstance(current, _WHEEL_WIDGETS) and not isinstance(current, QScrollBar):
            return current
        current = current.parentWidget()
    return None


def _scroll_area(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


def install_input_guard(app: QApplication) -> InputGuard:
    """Install the guard once per application; later calls return the same one.

    Fields made before it are adopted now. The app installs it once its window has painted:
    the first events through a Python filter on the application make PySide set up every
    Qt class it has (about 150 enums), 12 ms that the first picture need not wait for.
    """
    # Not app.findChild(InputGuard): its first call costs 4.5 ms of the app's start.
    existing = getattr(app, "_compost_input_guard", None)
    if isinstance(existing, InputGuard):
        return existing
    guard = InputGuard(app)
    app.installEventFilter(guard)
    app._compost_input_guard = guard  # type: ignore[attr-defined]
    for widget in app.allWidgets():
        if isinstance(widget, _WHEEL_WIDGETS):
            guard.adopt(widget)
    return guard
