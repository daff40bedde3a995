"""The monitoring window against real brokers: the harness's Mosquitto, and the demo."""

from __future__ import annotations

import json
from dataclasses import replace

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from pytestqt.qtbot import QtBot

from compost_desktop.gui.monitoring.hub import MonitoringHub
from compost_desktop.gui.monitoring.page import MonitoringPage
from compost_desktop.settings import Settings
from tests.gui.monitoring.support import make_ctx
from tests.support.servers import MosquittoServer

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.mark.log_allowed("^Rejected MQTT message")
@pytest.mark.mqtt
def test_readings_published_to_the_farm_broker_reach_the_gauges(
    qtbot: QtBot, mqtt_broker: MosquittoServer
) -> None:
    settings = Settings()
    settings.mqtt = replace(settings.mqtt, host=mqtt_broker.host, port=mqtt_broker.port)
    ctx = make_ctx(settings)
    hub = MonitoringHub(ctx, demo_enabled=False, record=False)
    page = MonitoringPage(ctx, hub=hub, autostart=False)
    qtbot.addWidget(page)
    page.start()
    try:
        qtbot.waitUntil(lambda: hub.link_state == "connected", timeout=10_000)
        page.on_status_refresh_due()
        assert page.link_label.text() == f"● Connected to {mqtt_broker.host}:{mqtt_broker.port}"
        publisher = mqtt.Client(CallbackAPIVersion.VERSION2)
        publisher.connect(mqtt_broker.host, mqtt_broker.port)
        publisher.loop_start()
        farm = {"device_id": "gui-node", "temperature": 57.5, "moisture": 52.0}
        publisher.publish("compost/sensor/data", json.dumps(farm), qos=1).wait_for_publish(5)
        publisher.publish("gui-esp/sensor/temperature/state", "61.25", qos=1).wait_for_publish(5)
        publisher.publish("compost/sensor/data", b"\xff garbage", qos=1).wait_for_publish(5)
        publisher.disconnect()
        publisher.loop_stop()
        grid = page.gauge_grid
        qtbot.waitUntil(lambda: ("gui-esp", "temperature") in grid.gauges, timeout=5000)
        qtbot.waitUntil(lambda: ("gui-node", "moisture") in grid.gauges, timeout=5000)
        page.on_gauge_refresh_due()
        assert grid.gauges[("gui-node", "temperature")].text() == "57.5 °C"
        assert grid.gauges[("gui-esp", "temperature")].text() == "61.2 °C"
        qtbot.waitUntil(lambda: hub.rejected >= 1, timeout=5000)
        page.on_status_refresh_due()
        assert page.rejected_label.text().startswith(f"{hub.rejected} message")
        assert page.banner.isHidden()
    finally:
        hub.stop()
    assert hub.source == "none"


def test_with_no_broker_configured_the_demo_shows_moving_values(qtbot: QtBot) -> None:
    ctx = make_ctx(Settings())
    hub = MonitoringHub(ctx, record=False)
    page = MonitoringPage(ctx, hub=hub, autostart=False)
    qtbot.addWidget(page)
    page.start()
    try:
        qtbot.waitUntil(lambda: hub.source == "demo", timeout=10_000)
        assert page.banner.isVisible() or not page.isVisible()
        assert page.banner.text().startswith("Demo: simulated readings from a local broker (")
        assert "configure your broker in Settings" in page.banner.text()
        qtbot.waitUntil(lambda: ("node-1", "temperature") in page.gauge_grid.gauges, timeout=10_000)
        assert hub.link_state == "connected"
        assert hub.writer is None  # demo readings are never recorded
    finally:
        demo = hub._demo
        hub.stop()
    # The demo stops on a worker (its threads are joined there, never on the GUI thread).
    assert demo is not None
    qtbot.waitUntil(lambda: not demo.broker.is_running, timeout=10_000)
