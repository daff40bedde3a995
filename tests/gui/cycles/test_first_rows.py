"""A long history's list is usable before all of it has loaded: the first rows come first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from compost_desktop.gui.context import AppContext
from compost_desktop.gui.cycles import page as page_module
from compost_desktop.gui.cycles.page import CyclesPage
from compost_desktop.gui.tasks import ChangeBus
from compost_desktop.services.store import Store
from compost_desktop.settings import Settings
from tests.gui.cycles.conftest import make_cycle

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


class StepRunner:
    """The database thread one job at a time, so a test sees the page between two loads."""

    def __init__(self) -> None:
        self.jobs: list[tuple[Callable[[], Any], Callable[[Any], None] | None]] = []

    def submit(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: object = None,
        changes: object = frozenset(),
    ) -> None:
        self.jobs.append((fn, on_done))

    def run_next(self) -> None:
        fn, on_done = self.jobs.pop(0)
        result = fn()
        if on_done is not None:
            on_done(result)

    def shutdown(self) -> None:
        pass


def test_the_first_rows_show_while_the_rest_load(
    qtbot: QtBot, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(page_module, "FIRST_ROWS", 3)
    for year in (2021, 2022, 2023, 2024):
        done = make_cycle(store, f"Done {year}", start=date(year, 4, 1), end=date(year, 7, 1))
        store.activate(done)
        store.complete(done)
    store.activate(make_cycle(store, "Running", start=date(2026, 3, 1)))
    bus = ChangeBus()
    runner = StepRunner()
    ctx = AppContext(Settings(), runner, bus)
    ctx.set_store(store, "SQLite test")
    page = CyclesPage(ctx)
    qtbot.addWidget(page)
    shown: list[str] = []
    page.rows_shown.connect(lambda: shown.append("rows"))
    page.load_finished.connect(lambda: shown.append("all"))

    runner.run_next()  # the first rows

    names = [row.name for row in page.model.rows()]
    assert names == ["Running", "Done 2024", "Done 2023"]  # the top of the full list
    assert page.count_label.text() == "3 of 5 cycles shown; loading the rest…"
    assert shown == ["rows"]
    assert page.empty_hint.isHidden()  # not "No cycles yet" while the rest load

    runner.run_next()  # all of them

    assert page.model.rowCount() == 5
    assert page.count_label.text() == "5 cycles"
    assert shown == ["rows", "rows", "all"]
    assert runner.jobs == []
