"""A failed load is not worded as a failed save (it said "Not saved … press Save again")."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy.exc import OperationalError

from compost_desktop.gui.context import AppContext
from compost_desktop.gui.cycles.page import CyclesPage
from compost_desktop.presentation.failures import explain_load, explain_save
from compost_desktop.services.store import Store
from tests.gui.cycles.conftest import make_cycle

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

LOST = OperationalError("SELECT 1", {}, Exception("server closed the connection"))


def test_load_and_save_failures_give_different_advice() -> None:
    assert "Save again" in explain_save(LOST)
    assert "Save" not in explain_load(LOST) and "not saved" not in explain_load(LOST).lower()
    assert "Nothing was changed" in explain_load(RuntimeError("disk I/O error"))


def test_a_cycle_that_cannot_be_loaded_does_not_ask_to_save_again(
    qtbot: QtBot, ctx: AppContext, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = CyclesPage(ctx)
    qtbot.addWidget(page)
    page.open_cycle(make_cycle(store, "Bay 1"))

    def lost(*_args: object) -> None:
        raise LOST

    monkeypatch.setattr(store, "cycle", lost)
    page.detail.reload()
    text = page.detail.ui.error_label.text()
    assert text.startswith("The cycle could not be loaded.") and "Save" not in text
    page.on_load_failed(LOST)
    assert "Save" not in page.error_label.text()
