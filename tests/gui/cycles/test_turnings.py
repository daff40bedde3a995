"""Turnings: stamped when they are added, editable, deletable with undo, added with Enter."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from compost_desktop.gui.context import AppContext
from compost_desktop.gui.cycles import detail as detail_module
from compost_desktop.gui.cycles.page import CyclesPage
from compost_desktop.services.store import Store
from tests.gui.cycles.conftest import make_cycle

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def page(qtbot: QtBot, ctx: AppContext) -> CyclesPage:
    p = CyclesPage(ctx)
    qtbot.addWidget(p)
    p.resize(1200, 760)
    p.show()
    return p


def test_a_turning_added_an_hour_after_start_gets_the_click_time(
    qtbot: QtBot, page: CyclesPage, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = make_cycle(store, "Bay 1")
    page.open_cycle(cid)
    launched = datetime.now().astimezone().replace(microsecond=0)
    later = launched + timedelta(hours=1, minutes=2)
    # The window stays open an hour; the "When" field was filled at start.
    monkeypatch.setattr(detail_module, "current_time", lambda: later, raising=False)
    qtbot.keyClicks(page.detail.ui.turning_notes, "turned")
    qtbot.mouseClick(page.detail.ui.add_turning_button, Qt.MouseButton.LeftButton)
    (turning,) = store.cycle(cid).turnings
    assert abs(turning.turned_at - later) < timedelta(seconds=1)


def test_a_chosen_time_is_kept_and_enter_in_the_notes_adds(
    qtbot: QtBot, page: CyclesPage, store: Store
) -> None:
    cid = make_cycle(store, "Bay 1")
    page.open_cycle(cid)
    detail = page.detail
    earlier = detail.ui.turned_at.dateTime().addSecs(-3 * 3600)
    detail.ui.turned_at.setDateTime(earlier)  # logging this morning's turning at noon
    qtbot.keyClicks(detail.ui.turning_notes, "loader")
    qtbot.keyClick(detail.ui.turning_notes, Qt.Key.Key_Return)
    (turning,) = store.cycle(cid).turnings
    moment = earlier.toPython()
    assert isinstance(moment, datetime)
    expected = moment.astimezone()
    assert abs(turning.turned_at - expected) < timedelta(seconds=1)
    assert turning.notes == "loader"
    assert detail.ui.turning_notes.text() == ""
    assert detail.ui.turnings_table.rowCount() == 1


def test_edit_and_delete_a_turning_with_undo(qtbot: QtBot, page: CyclesPage, store: Store) -> None:
    cid = make_cycle(store, "Bay 1")
    first = datetime(2026, 4, 3, 7, 20).astimezone()
    store.add_turning(cid, first, "Ana", "first")
    page.open_cycle(cid)
    detail = page.detail
    table = detail.ui.turnings_table
    assert not detail.delete_turning_button.isEnabled()
    table.selectRow(0)
    qtbot.mouseClick(detail.edit_turning_button, Qt.MouseButton.LeftButton)
    dialog = detail.turning_dialog
    dialog.operator.setText("Ben")
    dialog.when.setDateTime(dialog.when.dateTime().addSecs(2 * 60))
    dialog.accept()
    (edited,) = store.cycle(cid).turnings
    assert edited.operator == "Ben"
    assert edited.turned_at == first + timedelta(minutes=2)

    table.selectRow(0)
    qtbot.mouseClick(detail.delete_turning_button, Qt.MouseButton.LeftButton)
    assert store.cycle(cid).turnings == ()
    assert table.rowCount() == 0
    detail.undo_stack.undo()
    (back,) = store.cycle(cid).turnings
    assert (back.operator, back.notes, back.turned_at) == ("Ben", "first", edited.turned_at)
    assert table.rowCount() == 1
