"""The pathogen-reduction panel: met in green, not yet in amber with why, failed in red."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from pytestqt.qtbot import QtBot

from compost_desktop.db.models import SensorReading
from compost_desktop.domain.pathogen import DISCLAIMER, PRESETS, PathogenStatus
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.cycles.page import CyclesPage
from compost_desktop.gui.cycles.pathogen_panel import (
    NO_READINGS,
    STATUS_COLOURS,
    PathogenPanel,
)
from compost_desktop.services.store import Store
from tests.gui.cycles.conftest import make_cycle

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
T0 = NOW - timedelta(days=5)
STEP = timedelta(minutes=10)


def add_readings(store: Store, cycle_id: int, probes: dict[str, float], days: float = 3) -> None:
    steps = int(timedelta(days=days) / STEP)
    with store.engine.begin() as conn:
        conn.execute(
            sa.insert(SensorReading.metadata.tables["sensor_reading"]),
            [
                {
                    "batch_id": cycle_id,
                    "device_id": probe,
                    "quantity": "temperature",
                    "value": temp,
                    "measured_at": T0 + i * STEP,
                    "received_at": T0 + i * STEP,
                }
                for i in range(steps + 1)
                for probe, temp in probes.items()
            ],
        )


@pytest.fixture
def panel(qtbot: QtBot, ctx: AppContext) -> PathogenPanel:
    p = PathogenPanel(ctx, clock=lambda: NOW)
    qtbot.addWidget(p)
    p.resize(520, 320)
    p.show()
    return p


def test_three_days_at_56_on_two_probes_is_met_in_green(panel: PathogenPanel, store: Store) -> None:
    cid = make_cycle(store, "Bay 1")
    store.activate(cid)
    add_readings(store, cid, {"probe-1": 56.0, "probe-2": 56.0})
    panel.show_cycle(store.cycle(cid))
    assert panel.result is not None and panel.result.status is PathogenStatus.MET
    assert panel.status_label.text().startswith("Met since ")
    assert STATUS_COLOURS[PathogenStatus.MET] in panel.status_label.styleSheet()
    assert panel.reasons() and panel.reasons()[0].startswith("Met on ")
    assert panel.reasons_label.isVisible()
    assert panel.disclaimer_label.text() == DISCLAIMER


def test_a_cold_probe_is_not_yet_and_the_reason_names_it(
    panel: PathogenPanel, store: Store
) -> None:
    cid = make_cycle(store, "Bay 1")
    store.activate(cid)
    add_readings(store, cid, {"probe-1": 62.0, "probe-2": 38.5})
    panel.show_cycle(store.cycle(cid))
    assert panel.result is not None and panel.result.status is PathogenStatus.NOT_YET
    assert panel.status_label.text().startswith("Not yet")
    assert "3 d needed" in panel.status_label.text()
    assert STATUS_COLOURS[PathogenStatus.NOT_YET] in panel.status_label.styleSheet()
    cold = [r for r in panel.reasons() if "probe-2" in r]
    assert cold and "38.5 °C" in cold[0]
    assert "probe-2" in panel.reasons_label.text()


def test_not_yet_shows_the_time_at_temperature_so_far(
    qtbot: QtBot, ctx: AppContext, store: Store
) -> None:
    cid = make_cycle(store, "Bay 1")
    store.activate(cid)
    add_readings(store, cid, {"probe-1": 57.0}, days=1)
    p = PathogenPanel(ctx, clock=lambda: T0 + timedelta(days=1, minutes=5))
    qtbot.addWidget(p)
    p.show_cycle(store.cycle(cid))
    assert p.status_label.text() == "Not yet: 1 d at ≥ 55 °C so far of 3 d needed"


def test_a_completed_cycle_that_never_met_it_failed_in_red(
    panel: PathogenPanel, store: Store
) -> None:
    cid = make_cycle(store, "Bay 1")
    store.activate(cid)
    add_readings(store, cid, {"probe-1": 56.0}, days=2)
    store.complete(cid)
    panel.show_cycle(store.cycle(cid))
    assert panel.status_label.text().startswith("Failed")
    assert STATUS_COLOURS[PathogenStatus.FAILED] in panel.status_label.styleSheet()


def test_choosing_another_rule_judges_again(panel: PathogenPanel, store: Store) -> None:
    cid = make_cycle(store, "Bay 1")
    add_readings(store, cid, {"probe-1": 56.0, "probe-2": 56.0})
    panel.show_cycle(store.cycle(cid))
    assert panel.result is not None and panel.result.met
    panel.set_rule("uk-abpr-housed-windrow")
    assert panel.rule is PRESETS["uk-abpr-housed-windrow"]
    assert "60 °C" in panel.summary_label.text()
    assert panel.result is not None and panel.result.status is PathogenStatus.NOT_YET
    assert any("never reached 60 °C" in r for r in panel.reasons())
    assert panel.rule_combo.count() == 4


def test_no_readings_says_so(panel: PathogenPanel, store: Store) -> None:
    cid = make_cycle(store, "Bay 1")
    panel.show_cycle(store.cycle(cid))
    assert panel.result is None
    assert panel.status_label.text().startswith(NO_READINGS)
    assert not panel.reasons_label.isVisible()


def test_the_detail_view_shows_the_tracker(qtbot: QtBot, ctx: AppContext, store: Store) -> None:
    cid = make_cycle(store, "Bay 1")
    store.activate(cid)
    add_readings(store, cid, {"probe-1": 56.0, "probe-2": 57.0})
    page = CyclesPage(ctx)
    qtbot.addWidget(page)
    page.resize(1280, 900)
    page.show()
    page.open_cycle(cid)
    tracker = page.detail.pathogen
    assert tracker.isVisible()
    assert tracker.status_label.text().startswith("Met since ")
