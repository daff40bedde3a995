"""An operation on one cycle refreshes that row, not the whole list (issue 15: operations
return what changed). With 10,000 cycles a full reload costs over half a second."""

from __future__ import annotations

from collections.abc import Collection

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from compost_desktop.domain.lifecycle import CycleStatus
from compost_desktop.gui.context import CYCLES, AppContext
from compost_desktop.gui.cycles.cycle_dialog import CycleDialog
from compost_desktop.gui.cycles.page import CyclesPage
from compost_desktop.gui.tasks import Changes
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleRecord
from tests.gui.cycles.conftest import make_cycle

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def counted(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Which loads the page asked the store for."""
    calls: list[str] = []
    whole, some = store.cycles, store.cycles_by_id

    def all_cycles() -> list[CycleRecord]:
        calls.append("all")
        return whole()

    def some_cycles(ids: Collection[int]) -> list[CycleRecord]:
        calls.append("some")
        return some(ids)

    first = store.first_cycles

    def first_cycles(limit: int) -> tuple[list[CycleRecord], int]:
        cycles, total = first(limit)
        calls.append("all" if len(cycles) >= total else "first")  # a short list comes whole
        return cycles, total

    monkeypatch.setattr(store, "cycles", all_cycles)
    monkeypatch.setattr(store, "cycles_by_id", some_cycles)
    monkeypatch.setattr(store, "first_cycles", first_cycles)
    return calls


def test_completing_a_cycle_refreshes_its_row_only(
    qtbot: QtBot,
    ctx: AppContext,
    store: Store,
    counted: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    others = [make_cycle(store, f"Bay {n}") for n in range(1, 4)]
    running = store.activate(make_cycle(store, "Running bay")).id
    page = CyclesPage(ctx)
    qtbot.addWidget(page)
    assert counted == ["all"]
    page.open_cycle(running)
    monkeypatch.setattr(
        QMessageBox, "question", staticmethod(lambda *_a: QMessageBox.StandardButton.Yes)
    )
    page.detail.on_complete_clicked()
    assert counted == ["all", "some"]  # no second full load
    row = page.model.row_at(page.model.row_of(running) or 0)
    assert row.id == running and row.status is CycleStatus.COMPLETED
    assert {r.id for r in page.model.rows()} == {*others, running}


def test_a_new_cycle_is_added_as_a_row_and_a_sync_still_reloads_all(
    qtbot: QtBot, ctx: AppContext, store: Store, counted: list[str]
) -> None:
    make_cycle(store, "Bay 1")
    page = CyclesPage(ctx)
    qtbot.addWidget(page)
    dialog = CycleDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.ui.name_edit.setText("Bay 2 – spring")
    dialog.ui.start_date.setDate(QDate(2026, 12, 1))
    dialog.on_save_clicked()
    assert counted == ["all", "some"]
    assert [r.name for r in page.model.rows()].count("Bay 2 – spring") == 1
    ctx.bus.changed.emit(frozenset({CYCLES}))  # a sync round: any cycle may have changed
    assert counted == ["all", "some", "all"]
    ctx.bus.changed.emit(Changes({CYCLES}, set()))  # a save that stored nothing
    assert counted == ["all", "some", "all"]
