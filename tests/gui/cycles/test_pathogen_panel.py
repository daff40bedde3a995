"""The pathogen-reduction panel: met in green, not yet in amber with why, failed in red."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytestqt.qtbot import QtBot

from compost_desktop.db.models import SensorReading
from compost_desktop.domain.pathogen import DISCLAIMER, PRESETS
from compost_desktop.domain.states import PathogenStatus
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.cycles.page import CyclesPage
from compost_desktop.gui.cycles.pathogen_panel import NO_READINGS, PathogenPanel
from compost_desktop.presentation.palette import PATHOGEN_COLOURS
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
    assert PATHOGEN_COLOURS[PathogenStatus.MET] in panel.status_label.styleSheet()
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
    assert PATHOGEN_COLOURS[PathogenStatus.NOT_YET] in panel.status_label.styleSheet()
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
    assert PATHOGEN_COLOURS[PathogenStatus.FAILED] in panel.status_label.styleSheet()


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
    assert panel.rule_combo.count() == len(PRESETS)  # four rules, three also as daily


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


def test_a_farm_rule_is_defined_chosen_judged_and_remembered(
    panel: PathogenPanel, store: Store, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two days at 50 °C is not EPA, but it is the farm's own QA rule."""
    from PySide6.QtWidgets import QDialog

    from compost_desktop import settings_store
    from compost_desktop.gui.cycles.rule_dialog import RuleDialog

    def fill(dialog: RuleDialog) -> QDialog.DialogCode:
        dialog.name_edit.setText("Farm QA – 50 °C for 2 days")
        dialog.temp_spin.setValue(50)
        dialog.days_spin.setValue(2)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(RuleDialog, "exec", fill)
    cid = make_cycle(store, "Bay 1")
    store.activate(cid)
    add_readings(store, cid, {"probe-1": 51.0, "probe-2": 52.0})
    panel.show_cycle(store.cycle(cid))
    assert panel.result is not None and panel.result.status is PathogenStatus.NOT_YET

    panel.new_rule_action.trigger()
    assert panel.rule.name == "Farm QA – 50 °C for 2 days"
    result = panel.result  # a new one: the rule changed
    assert result is not None and result.status is PathogenStatus.MET
    assert panel.edit_rule_action.isEnabled() and panel.delete_rule_action.isEnabled()
    # Stored: a new panel (another day, another window) offers and selects it again.
    again = PathogenPanel(ctx, clock=lambda: NOW)
    assert again.rule.key == panel.rule.key
    assert settings_store.load().custom_rules()[0].min_temp_c == 50.0


def test_rules_are_shared_as_a_file_and_a_bad_file_is_refused(
    panel: PathogenPanel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta as td

    from PySide6.QtWidgets import QMessageBox

    from compost_desktop.domain.pathogen import PathogenRule, rules_to_json

    messages: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: messages.append(a[2]))
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: messages.append(a[2]))
    shared = tmp_path / "rules.json"
    rule = PathogenRule("permit-7", "County permit 7", 57.0, td(days=4), min_turnings=2)
    shared.write_text(rules_to_json([rule, PRESETS["uk-pas-100"]]), encoding="utf-8")
    panel.choose_open_file = lambda parent: str(shared)
    panel.on_import_rules()
    assert panel.rule == rule
    assert "Imported 1 rule(s)" in messages[-1] and "Skipped the built-in" in messages[-1]

    out = tmp_path / "out.json"
    panel.choose_save_file = lambda parent: str(out)
    panel.export_rules_action.trigger()
    assert "County permit 7" in out.read_text(encoding="utf-8")

    bad = tmp_path / "bad.json"
    bad.write_text('[{"key": "x", "name": "Too hot", "min_temp_c": 120, "duration_s": 60}]')
    panel.choose_open_file = lambda parent: str(bad)
    panel.on_import_rules()
    assert "Rule 1: The minimum temperature must be above 0 and below 100" in messages[-1]
    assert panel.custom_rules() == [rule]


def test_the_rule_dialog_explains_what_is_wrong(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QDialogButtonBox

    from compost_desktop.gui.cycles.rule_dialog import RuleDialog

    dialog = RuleDialog(PRESETS)
    qtbot.addWidget(dialog)
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    assert not save.isEnabled() and "name" in dialog.error_label.text()
    dialog.name_edit.setText("Windrow plus")
    dialog.turnings_spin.setValue(1)
    dialog.interval_spin.setValue(2)
    assert not save.isEnabled()
    assert "at least 2 turnings" in dialog.error_label.text()
    dialog.turnings_spin.setValue(4)
    assert save.isEnabled()
    rule = dialog.rule()
    assert rule is not None and rule.key == "windrow-plus"
    assert "at least 4 turnings 2 d or more apart" in dialog.error_label.text()


def test_a_hand_reading_saved_elsewhere_rejudges_the_cycle(
    panel: PathogenPanel, store: Store, ctx: AppContext
) -> None:
    from compost_desktop.gui.context import READINGS

    cid = make_cycle(store, "Bay 1")
    store.activate(cid)
    panel.show_cycle(store.cycle(cid))
    assert panel.result is None
    add_readings(store, cid, {"probe-1": 56.0})
    ctx.bus.changed.emit(frozenset({READINGS}))
    assert panel.result is not None and panel.result.status is PathogenStatus.MET


def test_a_saved_input_does_not_rejudge_but_a_turning_or_reopening_does(
    panel: PathogenPanel, store: Store
) -> None:
    """Judging reads every reading of the cycle; an input cannot change the verdict."""
    from compost_desktop.services.values import InputDraft
    from tests.gui.cycles.conftest import material_id

    cid = make_cycle(store, "Bay 1")
    store.activate(cid)
    add_readings(store, cid, {"probe-1": 56.0})
    panel.show_cycle(store.cycle(cid))
    judged = panel._request
    store.add_input(cid, InputDraft(material_id(store, "Straw"), mass_kg=50))
    panel.show_cycle(store.cycle(cid))
    assert panel._request == judged
    store.add_turning(cid, NOW - timedelta(days=1), "Sam", None)
    panel.show_cycle(store.cycle(cid))
    assert panel._request == judged + 1
    panel.invalidate()
    panel.show_cycle(store.cycle(cid))
    assert panel._request == judged + 2
    assert panel.result is not None and panel.result.status is PathogenStatus.MET
