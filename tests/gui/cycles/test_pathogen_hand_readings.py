"""The pathogen panel with daily hand readings: a daily rule judges them, a continuous rule
says they are too sparse instead of "0 s", and °F reaches the panel."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from pytestqt.qtbot import QtBot

from compost_desktop.db.models import SensorReading
from compost_desktop.domain.states import PathogenStatus
from compost_desktop.domain.units import TemperatureUnit
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.cycles.pathogen_panel import PathogenPanel
from compost_desktop.gui.cycles.rule_dialog import RuleDialog
from compost_desktop.services.store import Store
from tests.gui.cycles.conftest import make_cycle
from tests.gui.cycles.test_pathogen_panel import NOW

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def add_daily(store: Store, cycle_id: int, temps: list[float]) -> None:
    first = NOW - timedelta(days=len(temps) - 1, hours=2)
    with store.engine.begin() as conn:
        conn.execute(
            sa.insert(SensorReading.metadata.tables["sensor_reading"]),
            [
                {
                    "batch_id": cycle_id,
                    "device_id": "hand:North",
                    "quantity": "temperature",
                    "value": temp,
                    "measured_at": first + timedelta(days=i),
                    "received_at": first + timedelta(days=i),
                }
                for i, temp in enumerate(temps)
            ],
        )


@pytest.fixture
def panel(qtbot: QtBot, ctx: AppContext) -> PathogenPanel:
    p = PathogenPanel(ctx, clock=lambda: NOW)
    qtbot.addWidget(p)
    p.resize(520, 320)
    p.show()
    return p


def test_five_daily_readings_meet_the_daily_rule_and_the_logger_rule_says_too_sparse(
    panel: PathogenPanel, store: Store
) -> None:
    cid = make_cycle(store, "Bay 1")
    store.activate(cid)
    add_daily(store, cid, [56.0, 57.5, 59.0, 58.0, 56.5])
    panel.set_rule("epa-pfrp-in-vessel")
    panel.show_cycle(store.cycle(cid))
    assert panel.result is not None and panel.result.status is PathogenStatus.NOT_YET
    assert "too sparse" in panel.status_label.text()
    assert "0 s" not in panel.status_label.text()
    assert any("daily readings" in r for r in panel.reasons())

    panel.set_rule("epa-pfrp-in-vessel-daily")
    result = panel.result  # a new one: the rule changed
    assert result is not None and result.status is PathogenStatus.MET
    assert panel.status_label.text().startswith("Met since ")
    assert "daily hand readings" in panel.summary_label.text()


def test_fahrenheit_reaches_the_panel(ctx: AppContext, qtbot: QtBot, store: Store) -> None:
    ctx.settings.units.temperature = TemperatureUnit.FAHRENHEIT
    p = PathogenPanel(ctx, clock=lambda: NOW)
    qtbot.addWidget(p)
    cid = make_cycle(store, "Bay 2")
    store.activate(cid)
    add_daily(store, cid, [40.0, 41.0])
    p.set_rule("epa-pfrp-in-vessel-daily")
    p.show_cycle(store.cycle(cid))
    assert "131 °F" in p.summary_label.text()
    assert "°C" not in p.summary_label.text()
    assert "131 °F" in p.status_label.text()


def test_the_rule_dialog_sets_the_reading_interval(qtbot: QtBot) -> None:
    dialog = RuleDialog(["epa-pfrp-in-vessel"])
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("Farm QA – hand probe")
    dialog.records_combo.setCurrentIndex(dialog.records_combo.findData("daily"))
    rule = dialog.rule()
    assert rule is not None and rule.reading_interval.value == "daily"
    assert "daily readings" in dialog.error_label.text()
