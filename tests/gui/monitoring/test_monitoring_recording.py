"""Recording and alarms that survive what an operator does: a broker change, a restart."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion
from pytestqt.qtbot import QtBot

from compost_desktop import secrets
from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.gui.monitoring.hub import MonitoringHub
from compost_desktop.gui.monitoring.page import MonitoringPage
from compost_desktop.gui.tasks import IoRunner
from compost_desktop.monitoring.recording import DatabaseAlarmLog
from compost_desktop.services.store import Store
from compost_desktop.settings import Settings
from tests.gui.monitoring.support import T0, Clock, FakeClient, make_ctx, reading
from tests.support.qt import item_at
from tests.support.servers import MosquittoServer

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    url = resolve_url(f"sqlite:///{tmp_path / 'pc.db'}")
    migrate.upgrade(url)
    made = make_engine(url)
    yield made
    made.dispose()


def _rows(engine: sa.Engine, sql: str) -> list[tuple[Any, ...]]:
    """The rows of raw SQL: their column types are whatever the database returns."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


def _publish(broker: MosquittoServer, device: str, temperature: float) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.connect(broker.host, broker.port)
    client.loop_start()
    payload = json.dumps({"device_id": device, "temperature": temperature})
    client.publish("compost/sensor/data", payload, qos=1).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


@pytest.mark.mqtt
def test_recording_goes_on_after_the_broker_is_changed_in_settings(
    qtbot: QtBot,
    engine: sa.Engine,
    mqtt_broker: MosquittoServer,
    fresh_mqtt_broker: MosquittoServer,
) -> None:
    settings = Settings()
    settings.mqtt = replace(settings.mqtt, host=mqtt_broker.host, port=mqtt_broker.port)
    ctx = make_ctx(settings)
    ctx.set_store(Store(engine), "test")
    hub = MonitoringHub(ctx, demo_enabled=False)
    statuses: list[tuple[str, bool]] = []
    hub.recording_changed.connect(lambda text, ok: statuses.append((text, ok)))
    hub.start()
    try:
        qtbot.waitUntil(lambda: hub.link_state == "connected", timeout=10_000)

        def stored(device: str) -> int:
            sql = f"SELECT count(*) FROM sensor_reading WHERE device_id = '{device}'"
            return int(_rows(engine, sql)[0][0])

        _publish(mqtt_broker, "before-change", 55.0)
        qtbot.waitUntil(lambda: stored("before-change") == 1, timeout=10_000)
        hub.on_housekeeping_due()
        text, ok = hub.recording_status()
        assert ok and text.startswith("Recording: ") and "last written" in text

        # Settings → broker → Save: "Settings saved and applied".
        moved = replace(ctx.settings.mqtt, host=fresh_mqtt_broker.host, port=fresh_mqtt_broker.port)
        ctx.apply_settings(replace(ctx.settings, mqtt=moved))
        qtbot.waitUntil(lambda: hub.link_state == "connected", timeout=10_000)
        _publish(fresh_mqtt_broker, "after-change", 56.0)
        qtbot.waitUntil(lambda: stored("after-change") == 1, timeout=10_000)
        hub.on_housekeeping_due()
        assert hub.recording_status()[1]
        assert statuses and statuses[-1][0].startswith("Recording: ")
    finally:
        hub.shutdown()
    assert hub.recording_status() == ("Not recording: monitoring is not running", False)


def test_the_status_says_why_a_pc_is_not_recording(qtbot: QtBot) -> None:
    ctx = make_ctx(Settings())
    hub = MonitoringHub(ctx, demo_enabled=False)
    assert hub.recording_status() == ("Not recording: monitoring is not running", False)
    hub.source = "demo"
    hub._started = True
    assert hub.recording_status() == (
        "Not recording: no broker configured (set it in Settings)",
        False,
    )
    hub._started = False


def test_an_alarm_raised_before_a_restart_is_listed_after_it(
    qtbot: QtBot, engine: sa.Engine
) -> None:
    first = FakeClient()
    ctx = make_ctx()
    ctx.set_store(Store(engine), "test")
    hub = MonitoringHub(ctx, client=first, demo_enabled=False, alarm_log=DatabaseAlarmLog(engine))
    hub.start()
    first.push(reading(81.0))
    qtbot.waitUntil(lambda: len(hub.alarms) == 1, timeout=2000)
    hub.shutdown()
    assert _rows(engine, "SELECT kind, value FROM alarm_event") == [("too_hot", 81.0)]

    # The app is restarted: a new window on the same database.
    again = FakeClient()
    ctx = make_ctx()
    hub = MonitoringHub(
        ctx,
        client=again,
        demo_enabled=False,
        alarm_log=DatabaseAlarmLog(engine),
        clock=Clock(T0 + timedelta(minutes=5)),
    )
    page = MonitoringPage(ctx, hub=hub)
    qtbot.addWidget(page)
    ctx.set_store(Store(engine), "test")
    assert page.alarms.table.rowCount() == 1
    assert "node-1 is too hot: 81.0 °C" in item_at(page.alarms.table, 0, 2).text()
    assert item_at(page.alarms.table, 0, 3).text() == "active"
    assert page.alarms.summary.text() == "1 active, 1 not acknowledged"
    hub.start()
    again.push(reading(75.0, seconds=300))  # still hot: not raised a second time
    again.push(reading(60.0, seconds=360))  # cleared, in the database too
    qtbot.waitUntil(
        lambda: item_at(page.alarms.table, 0, 3).text().startswith("cleared"), timeout=2000
    )
    assert page.alarms.table.rowCount() == 1
    assert _rows(engine, "SELECT count(*), count(cleared_at) FROM alarm_event") == [(1, 1)]
    page.alarms.acknowledge_button.click()
    [(who,)] = _rows(engine, "SELECT acknowledged_by FROM alarm_event")
    assert who
    hub.shutdown()


@pytest.mark.mqtt
def test_the_broker_password_is_looked_up_off_the_gui_thread(
    qtbot: QtBot, mqtt_broker: MosquittoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []

    def get_password(_key: str) -> str | None:
        threads.append(threading.current_thread().name)
        return None

    monkeypatch.setattr(secrets, "get_password", get_password)
    settings = Settings()
    settings.mqtt = replace(
        settings.mqtt, host=mqtt_broker.host, port=mqtt_broker.port, username="farm"
    )
    ctx = make_ctx(settings)
    ctx.io = IoRunner(ctx.bus)  # as in the app: keyring look-ups on the io runner's threads
    hub = MonitoringHub(ctx, demo_enabled=False, record=False)
    hub.start()
    try:
        qtbot.waitUntil(lambda: hub.link_state == "connected", timeout=10_000)
    finally:
        hub.shutdown()
        ctx.io.shutdown()
    assert threads and threading.main_thread().name not in threads
