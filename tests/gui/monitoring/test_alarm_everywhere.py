"""An alarm is seen from every page: navigation badge, title, status bar, banner with Acknowledge."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from compost_desktop import APP_NAME
from compost_desktop.domain.units import TemperatureUnit
from compost_desktop.gui.main_window import MainWindow
from compost_desktop.gui.monitoring.alarm_view import AlarmNotifier, attach_to_window
from compost_desktop.gui.monitoring.hub import MonitoringHub
from compost_desktop.gui.monitoring.page import MonitoringPage
from compost_desktop.monitoring.alarms import MemoryAlarmLog
from tests.gui.monitoring.support import FakeClient, make_ctx, reading
from tests.support.qt import item_at

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def setup(
    qtbot: QtBot,
) -> Iterator[tuple[MainWindow, MonitoringHub, FakeClient, AlarmNotifier]]:
    ctx = make_ctx()
    client = FakeClient()
    hub = MonitoringHub(ctx, client=client, demo_enabled=False, alarm_log=MemoryAlarmLog())
    window = MainWindow("Database", "/tmp/log")
    qtbot.addWidget(window)
    window.add_page("cycles", "Cycles", lambda: QLabel("cycles"))
    window.add_page("monitoring", "Monitoring", lambda: MonitoringPage(ctx, hub=hub))
    window.add_page("settings", "Settings", lambda: QWidget())
    notifier = attach_to_window(hub, window, lambda: window.show_page("monitoring"))
    window.resize(1366, 768)
    window.show()
    window.show_page("settings")  # the operator is somewhere else
    hub.start()
    yield window, hub, client, notifier
    hub.stop()


def test_an_alarm_shows_on_every_page_and_is_acknowledged_from_the_banner(
    qtbot: QtBot, setup: tuple[MainWindow, MonitoringHub, FakeClient, AlarmNotifier]
) -> None:
    window, hub, client, notifier = setup
    assert window.windowTitle() == APP_NAME
    assert notifier.banner.isHidden() and notifier.status_button.isHidden()
    client.push(reading(81.0))
    qtbot.waitUntil(lambda: not notifier.banner.isHidden(), timeout=2000)
    assert window.windowTitle() == f"⚠ 1 alarm — {APP_NAME}"
    navigation = window.navigation.item(1)
    assert navigation.text() == "Monitoring  ⚠ 1"
    assert "node-1 is too hot: 81.0 °C" in navigation.toolTip()
    assert notifier.status_button.isVisible()
    assert notifier.status_button.text() == "⚠ 1 alarm: node-1 too hot"
    assert "node-1 is too hot: 81.0 °C" in notifier.status_button.toolTip()
    assert notifier.banner.isVisible()  # above the Settings page, where the operator is
    assert "node-1 is too hot: 81.0 °C" in notifier.banner.text.text()
    assert notifier.banner.text.wordWrap()  # the whole text, never cut

    notifier.banner.acknowledge_button.click()
    assert hub.alarms[0].acknowledged_by
    assert notifier.banner.isHidden()
    # Still active: the badge and title stay until it clears.
    assert window.navigation.item(1).text() == "Monitoring  ⚠ 1"
    client.push(reading(60.0, seconds=1))
    qtbot.waitUntil(lambda: window.windowTitle() == APP_NAME, timeout=2000)
    assert window.navigation.item(1).text() == "Monitoring"
    assert notifier.status_button.isHidden()

    client.push(reading(90.0, device="node-2", seconds=2))
    qtbot.waitUntil(lambda: not notifier.banner.isHidden(), timeout=2000)
    notifier.status_button.click()
    assert window.stack.currentIndex() == 1  # the status bar leads to the alarm list


def test_long_alarm_text_is_elided_with_the_whole_text_in_a_tooltip(
    qtbot: QtBot, setup: tuple[MainWindow, MonitoringHub, FakeClient, AlarmNotifier]
) -> None:
    window, _hub, client, notifier = setup
    device = "compost-yard-north-windrow-seven-core-probe-at-one-metre-depth"
    client.push(reading(81.0, device=device))
    qtbot.waitUntil(lambda: notifier.status_button.isVisible(), timeout=2000)
    window.resize(700, 500)
    button = notifier.status_button
    qtbot.waitUntil(lambda: button.shown_text().endswith("…"))
    assert button.geometry().right() < window.width()
    assert device in button.text()
    assert device in button.toolTip()
    window.resize(1900, 500)  # room again: the whole text comes back
    qtbot.waitUntil(lambda: button.shown_text() == button.text())
    page = window.page("monitoring")
    assert isinstance(page, MonitoringPage)
    cell = item_at(page.alarms.table, 0, 2)
    assert cell.toolTip().startswith(cell.text())


def test_the_status_bar_says_whether_this_pc_records(
    setup: tuple[MainWindow, MonitoringHub, FakeClient, AlarmNotifier],
) -> None:
    _window, hub, _client, notifier = setup
    text, ok = hub.recording_status()
    assert notifier.recording_label.toolTip() == text
    assert text.startswith("Not recording") and not ok  # a fake source, no database


def test_a_switch_to_fahrenheit_in_settings_reaches_the_next_alarm_message(
    qtbot: QtBot, setup: tuple[MainWindow, MonitoringHub, FakeClient, AlarmNotifier]
) -> None:
    _window, hub, client, notifier = setup
    settings = hub.ctx.settings
    hub.ctx.apply_settings(
        dataclasses.replace(
            settings,
            units=dataclasses.replace(settings.units, temperature=TemperatureUnit.FAHRENHEIT),
        )
    )
    client.push(reading(81.0))
    qtbot.waitUntil(lambda: not notifier.banner.isHidden(), timeout=2000)
    assert "node-1 is too hot: 177.8 °F (above 158.0 °F)" in notifier.banner.text.text()
