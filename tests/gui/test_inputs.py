"""No number changes behind the user's back: typed text and the wheel, everywhere in the app."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QDateTime, QLocale, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDateTimeEdit,
    QDoubleSpinBox,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from compost_desktop.gui.app import create_app
from compost_desktop.gui.inputs import InputGuard, install_input_guard

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def guard(qapp: QApplication) -> InputGuard:
    create_app([])  # installs the guard, as a dialog asked before the window does
    return install_input_guard(qapp)  # the same one


Form = tuple[QWidget, QDoubleSpinBox, QComboBox, QDateTimeEdit, QLineEdit]


@pytest.fixture
def form(qtbot: QtBot) -> Form:
    w = QWidget()
    box = QDoubleSpinBox(w)
    box.setRange(0, 99.9)
    box.setDecimals(1)
    box.setSuffix(" °C")
    combo = QComboBox(w)
    combo.addItems(["Straw", "Sawdust", "Wood chips"])
    when = QDateTimeEdit(w)
    when.setDateTime(QDateTime(2026, 5, 4, 7, 20, 0))
    other = QLineEdit(w)
    layout = QVBoxLayout(w)
    for x in (box, combo, when, other):
        layout.addWidget(x)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w, box, combo, when, other


def wheel(widget: QWidget) -> None:
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(
        pos,
        QPointF(widget.mapToGlobal(QPoint(int(pos.x()), int(pos.y())))),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_wheel_changes_nothing_in_an_unfocused_field(guard: InputGuard, form: Form) -> None:
    _w, box, combo, when, other = form
    # A real wheel event gives a WheelFocus field the focus before any filter sees it.
    for field in (box, combo, when):
        assert field.focusPolicy() == Qt.FocusPolicy.StrongFocus
    box.setValue(40.0)
    other.setFocus()
    before = (box.value(), combo.currentIndex(), when.dateTime())
    for target in (box, box.lineEdit(), combo, when):
        wheel(target)
    assert (box.value(), combo.currentIndex(), when.dateTime()) == before
    # The focused field still takes the wheel.
    box.setFocus()
    wheel(box)
    assert box.value() == 41.0


@pytest.mark.parametrize(
    ("typed", "shown", "message"),
    [
        ("4o", "4", "not a number"),
        ("150", "15", "more than this field takes"),
        ("30 m3", "30", "type only the number"),
        ("4o5", "4", "not a number"),  # what follows a refused key is refused too
        ("-5", "0.0", "cannot be negative"),
    ],
)
def test_typed_text_the_field_cannot_take_is_refused_with_a_message(
    qtbot: QtBot, guard: InputGuard, form: Form, typed: str, shown: str, message: str
) -> None:
    _w, box, *_ = form
    box.setFocus()
    box.lineEdit().selectAll()
    messages: list[str] = []
    guard.refused.connect(lambda _box, text: messages.append(text))
    qtbot.keyClicks(box, typed)
    assert messages, f"{typed!r} was changed without a word"
    assert message in messages[0]
    assert box.lineEdit().text().removesuffix(" °C").strip() == shown


def test_dates_are_shown_in_the_locale_with_the_full_year(guard: InputGuard, qtbot: QtBot) -> None:
    edit = QDateTimeEdit()
    edit.setLocale(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    qtbot.addWidget(edit)
    edit.setDateTime(QDateTime(2026, 11, 24, 9, 0, 0))
    edit.show()
    assert edit.displayFormat() == "dd/MM/yyyy HH:mm"
    edit.setFocus()
    edit.lineEdit().selectAll()
    qtbot.keyClicks(edit, "24/11/2026 09:00")
    assert edit.dateTime() == QDateTime(2026, 11, 24, 9, 0, 0)


@pytest.mark.qt_log_ignore("This plugin does not support")
def test_a_dialog_taller_than_the_screen_opens_inside_it(qtbot: QtBot, guard: InputGuard) -> None:
    """The report preview (560×700) and the user guide (720×640) opened past the bottom of a
    1366×768 screen at 150 % (about 910×512), Close out of reach."""
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QDialog

    screen = QGuiApplication.primaryScreen()
    assert screen is not None
    avail = screen.availableGeometry()
    dialog = QDialog()
    qtbot.addWidget(dialog)
    dialog.resize(avail.width() + 300, avail.height() + 300)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert avail.contains(dialog.frameGeometry())


def test_fields_made_before_the_guard_are_guarded_once_it_is_installed(
    qapp: QApplication, qtbot: QtBot
) -> None:
    """The app installs the guard after its first paint; a field already made by then (a
    page built early) must not keep taking the wheel or the locale's two-digit year."""
    existing = getattr(qapp, "_compost_input_guard", None)
    if existing is not None:
        qapp.removeEventFilter(existing)
        existing.setParent(None)
        existing.deleteLater()
        del qapp._compost_input_guard  # type: ignore[attr-defined]
    w = QWidget()
    box, when = QDoubleSpinBox(w), QDateTimeEdit(w)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    assert box.focusPolicy() == Qt.FocusPolicy.WheelFocus  # Qt's own, without the guard
    guard = install_input_guard(qapp)
    assert box.focusPolicy() == Qt.FocusPolicy.StrongFocus
    assert "yyyy" in when.displayFormat()
    wheel(box)
    assert box.value() == 0
    assert install_input_guard(qapp) is guard
