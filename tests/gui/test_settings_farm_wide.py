"""Thresholds, topics, time zone and units are farm-wide: saved to and read from the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytestqt.qtbot import QtBot

from compost_desktop import secrets
from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.monitoring.hub import MonitoringHub
from compost_desktop.gui.settings_page import SettingsPage
from compost_desktop.gui.tasks import ChangeBus, ImmediateRunner
from compost_desktop.monitoring import farm_config
from compost_desktop.monitoring.farm_config import FarmConfig
from compost_desktop.services.store import Store
from compost_desktop.settings import AlarmSettings, Settings

WAIT_MS = 15_000


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    url = resolve_url(f"sqlite:///{tmp_path / 'pc.db'}")
    migrate.upgrade(url)
    made = make_engine(url)
    yield made
    made.dispose()


@pytest.fixture
def ctx(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> AppContext:
    monkeypatch.setattr(secrets, "set_password", lambda _k, _p: True)
    bus = ChangeBus()
    made = AppContext(Settings(), ImmediateRunner(bus), bus)
    made.set_store(Store(engine), "test")
    return made


def test_saved_thresholds_topics_and_zone_go_to_the_farm_database(
    qtbot: QtBot, ctx: AppContext, engine: sa.Engine
) -> None:
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    notes = [n.text() for n in page.findChildren(type(page.topicsError), "farmWideNote")]
    assert any("headless recorder raise alarms at these thresholds" in n for n in notes)
    page.ui.tooHotSpin.setValue(66.0)
    page.tasmotaLwtTopicEdit.setText("farm/+/LWT")
    page.timezoneCombo.setCurrentText("Asia/Singapore")
    assert page.ui.saveButton.isEnabled()
    page.ui.saveButton.click()
    qtbot.waitUntil(lambda: farm_config.load(engine).alarms is not None, timeout=WAIT_MS)
    stored = farm_config.load(engine)
    assert stored.alarms is not None and stored.alarms.too_hot_c == 66.0
    assert stored.topics is not None and stored.topics["tasmota_lwt"] == "farm/+/LWT"
    assert stored.timezone == "Asia/Singapore"
    assert ctx.settings.mqtt.timezone == "Asia/Singapore"


def test_a_wrong_zone_or_topic_is_refused_with_a_message(qtbot: QtBot, ctx: AppContext) -> None:
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    page.timezoneCombo.setCurrentText("Mars/Olympus")
    assert not page.ui.saveButton.isEnabled()
    assert "Unknown time zone 'Mars/Olympus'" in page.topicsError.text()
    page.timezoneCombo.setCurrentText("")
    page.esphomeStatusTopicEdit.setText("farm/#/status")
    assert not page.ui.saveButton.isEnabled()
    assert "Unusable topic pattern" in page.topicsError.text()


def test_the_farm_values_from_the_database_win_over_this_pcs(
    qtbot: QtBot, ctx: AppContext, engine: sa.Engine
) -> None:
    # Another PC saved them; they reached this PC's store by sync.
    farm_config.save(
        engine,
        FarmConfig(
            alarms=AlarmSettings(too_hot_c=64.0),
            topics={"farm_json": "farm/sensors"},
            timezone="Europe/Berlin",
        ),
    )
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    hub = MonitoringHub(ctx, demo_enabled=False, record=False)
    hub.on_store_ready()
    assert ctx.settings.alarms.too_hot_c == 64.0
    assert hub.session.engine.settings.too_hot_c == 64.0  # the alarms judge by it at once
    assert page.ui.dataTopicEdit.text() == "farm/sensors"
    assert page.timezoneCombo.currentText() == "Europe/Berlin"
    assert hub._parser().patterns.farm_json == "farm/sensors"
