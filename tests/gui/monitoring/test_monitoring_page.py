"""The monitoring window fed by a fake client: gauges, alarms, stale devices, units, cycle."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from pytestqt.qtbot import QtBot

from compost_desktop.domain.units import TemperatureUnit
from compost_desktop.gui.monitoring.hub import MonitoringHub, Series
from compost_desktop.gui.monitoring.page import MonitoringPage
from compost_desktop.monitoring.alarms import MemoryAlarmLog
from compost_desktop.monitoring.client import LinkState
from compost_desktop.monitoring.parsing import DeviceStatus
from compost_desktop.presentation.formats import moment_text
from compost_desktop.settings import Settings, UnitSettings
from tests.gui.monitoring.support import (
    T0,
    Clock,
    FakeClient,
    FakeCycle,
    FakeStore,
    make_ctx,
    reading,
)
from tests.support.qt import item_at

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def client() -> FakeClient:
    return FakeClient()


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + timedelta(seconds=5))


@pytest.fixture
def page(qtbot: QtBot, client: FakeClient, clock: Clock) -> Iterator[MonitoringPage]:
    ctx = make_ctx()
    hub = MonitoringHub(ctx, client=client, demo_enabled=False, clock=clock)
    page = MonitoringPage(ctx, hub=hub)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    yield page
    hub.stop()


def test_readings_move_the_gauges_after_the_drain_timer(
    qtbot: QtBot, page: MonitoringPage, client: FakeClient
) -> None:
    assert client.started
    client.push(
        reading(55.4),
        reading(48.2, "moisture"),
        reading(61.0, "humidity"),
        reading(12.5, "o2"),
        reading(52.0, device="node-1/probe-2"),
    )
    grid = page.gauge_grid
    qtbot.waitUntil(lambda: len(grid.gauges) == 5, timeout=2000)
    assert grid.gauges[("node-1", "temperature")].text() == "55.4 °C"
    assert grid.gauges[("node-1", "temperature")].band_label() == "thermophilic"
    assert grid.gauges[("node-1", "moisture")].band_label() == "low"
    assert grid.gauges[("node-1", "o2")].band_label() == "aerobic"
    assert grid.gauges[("node-1/probe-2", "temperature")].text() == "52.0 °C"
    client.push(reading(66.0, seconds=1))
    qtbot.waitUntil(
        lambda: grid.gauges[("node-1", "temperature")].text() == "66.0 °C", timeout=2000
    )
    assert grid.gauges[("node-1", "temperature")].band_label() == "too hot for microbes"


def test_many_messages_are_applied_in_few_batches(
    qtbot: QtBot, page: MonitoringPage, client: FakeClient
) -> None:
    batches: list[int] = []
    page.hub.readings_drained.connect(batches.append)
    client.push(*(reading(40 + i * 0.001, seconds=i) for i in range(3000)))
    qtbot.waitUntil(lambda: page.hub.readings_seen == 3000, timeout=2000)
    assert batches == [3000]
    assert len(page.hub.series[("node-1", "temperature")]) == 3000


def test_alarm_is_listed_and_can_be_acknowledged(
    qtbot: QtBot, page: MonitoringPage, client: FakeClient
) -> None:
    alarm_log = MemoryAlarmLog()
    page.hub.alarm_log = alarm_log
    client.push(reading(72.0))
    panel = page.alarms
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1, timeout=2000)
    assert "node-1 is too hot: 72.0 °C" in item_at(panel.table, 0, 2).text()
    assert item_at(panel.table, 0, 3).text() == "active"
    # Raised in the app's one date format (it was "%d %b %H:%M", with no year).
    assert item_at(panel.table, 0, 0).text() == moment_text(page.hub.alarms[0].event.at)
    assert str(page.hub.alarms[0].event.at.astimezone().year) in item_at(panel.table, 0, 0).text()
    assert panel.summary.text() == "1 active, 1 not acknowledged"
    assert alarm_log.rows[0]["kind"] == "too_hot"

    panel.table.selectRow(0)
    panel.acknowledge_button.click()
    assert item_at(panel.table, 0, 3).text().startswith("active · seen by ")
    assert alarm_log.rows[0]["acknowledged_by"]
    assert not panel.acknowledge_button.isEnabled()

    client.push(reading(60.0, seconds=1))
    qtbot.waitUntil(lambda: item_at(panel.table, 0, 3).text().startswith("cleared"), timeout=2000)
    assert alarm_log.rows[0]["cleared_at"] is not None
    assert panel.summary.text() == "0 active, 0 not acknowledged"


def test_silent_and_stale_devices_are_marked(
    qtbot: QtBot, page: MonitoringPage, client: FakeClient, clock: Clock
) -> None:
    client.push(reading(50.0), reading(51.0, device="node-2", seconds=5))
    qtbot.waitUntil(lambda: page.devices.rowCount() == 2, timeout=2000)
    page.on_status_refresh_due()
    assert item_at(page.devices, 0, 1).text() == "online"
    clock.now = T0 + timedelta(seconds=302)  # stale after 300 s by default
    page.on_status_refresh_due()
    assert item_at(page.devices, 0, 1).text().startswith("stale")
    assert item_at(page.devices, 1, 1).text() == "online"
    assert page.gauge_grid.gauges[("node-1", "temperature")].stale
    assert not page.gauge_grid.gauges[("node-2", "temperature")].stale

    clock.now = T0 + timedelta(seconds=601)  # silent alarm after 600 s
    page.hub.on_housekeeping_due()
    assert "node-1 has sent nothing for 10 min" in item_at(page.alarms.table, 0, 2).text()
    client.push(DeviceStatus("node-2", False, {}, T0))
    qtbot.waitUntil(lambda: item_at(page.devices, 1, 1).text() == "offline (said so)", timeout=2000)


def test_temperatures_follow_the_unit_setting(
    qtbot: QtBot, page: MonitoringPage, client: FakeClient
) -> None:
    client.push(reading(55.0))
    grid = page.gauge_grid
    qtbot.waitUntil(lambda: ("node-1", "temperature") in grid.gauges, timeout=2000)
    settings = replace(
        page.ctx.settings, units=UnitSettings(temperature=TemperatureUnit.FAHRENHEIT)
    )
    page.ctx.apply_settings(settings)
    gauge = grid.gauges[("node-1", "temperature")]
    assert gauge.text() == "131.0 °F"
    assert gauge.band_label() == "thermophilic"  # bands converted too
    assert gauge.scale.maximum == pytest.approx(176.0)
    assert page.plots.plots["temperature"].getPlotItem().getAxis("left").labelText.endswith("(°F)")
    page.plots.on_repaint_due()
    curve = page.plots._curves[("node-1", "temperature")]
    assert list(curve.getOriginalDataset()[1]) == [pytest.approx(131.0)]


@pytest.mark.log_allowed("^Rejected MQTT message")
def test_link_state_and_rejected_count_are_shown(
    qtbot: QtBot, page: MonitoringPage, client: FakeClient
) -> None:
    client.link(LinkState.CONNECTED, T0)
    qtbot.waitUntil(lambda: page.link_label.text().startswith("● Connected"), timeout=2000)
    client.link(LinkState.RECONNECTING, T0 + timedelta(minutes=3))
    local = (T0 + timedelta(minutes=3)).astimezone().strftime("%H:%M")
    qtbot.waitUntil(lambda: page.link_label.text() == f"Reconnecting since {local}", timeout=2000)
    client.parser.parse("compost/sensor/data", b"not json")
    client.parser.parse("compost/sensor/data", b'{"device_id": "x", "temperature": "NaN"}')
    page.on_status_refresh_due()
    assert page.rejected_label.text() == "2 messages rejected"


def test_active_cycle_name_day_and_phase(qtbot: QtBot, client: FakeClient, clock: Clock) -> None:
    ctx = make_ctx()
    hub = MonitoringHub(ctx, client=client, demo_enabled=False, clock=clock)
    page = MonitoringPage(ctx, hub=hub)
    qtbot.addWidget(page)
    ctx.set_store(FakeStore(FakeCycle("Windrow 7")), "test")  # type: ignore[arg-type]
    hub.start()
    client.push(reading(58.0))
    qtbot.waitUntil(lambda: hub.readings_seen == 1, timeout=2000)
    page.on_status_refresh_due()
    # 1 June is day 1, so 11 June is day 11.
    assert page.cycle_label.text() == "Cycle <b>Windrow 7</b> — day 11 — <b>thermophilic</b>"
    hub.stop()


def test_phase_rule() -> None:
    hub = MonitoringHub(make_ctx(), client=FakeClient(), demo_enabled=False)

    def feed(values: list[float], step: float = 600.0) -> None:
        hub.clear()
        for i, v in enumerate(values):
            r = reading(v, seconds=i * step)
            hub._apply([r], demo=False)

    assert hub.phase() is None
    feed([20, 25, 30, 35])
    assert hub.phase() == "mesophilic"
    feed([40, 50, 60])
    assert hub.phase() == "thermophilic"
    feed([60, 55, 50, 44])
    assert hub.phase() == "cooling"  # was thermophilic within 24 h
    feed([60, 50, 29, 28])
    assert hub.phase() == "curing"  # the history chart's rule: below 30 °C after the heat
    feed([40, 39.5, 39, 38.5, 38, 37.5, 37])
    assert hub.phase() == "mesophilic"  # one rule (domain.phases): never hot, so not cooling


def test_ring_buffer_grows_then_wraps() -> None:
    series = Series(capacity=1000)
    for i in range(2500):
        series.append(float(i), float(i) * 2)
    times, values = series.arrays()
    assert len(series) == 1000 and list(times[[0, -1]]) == [1500.0, 2499.0]
    assert list(values[[0, -1]]) == [3000.0, 4998.0]
    t, _ = series.since(2400.0)
    assert len(t) == 100 and series.last_time() == 2499.0


def test_building_the_page_opens_no_connection(qtbot: QtBot) -> None:
    ctx = make_ctx(Settings())
    page = MonitoringPage(ctx)
    qtbot.addWidget(page)
    qtbot.wait(60)
    assert not page.hub.started and page.hub.source == "none"
    assert page.banner.isHidden()


def test_a_narrow_page_shows_gauges_and_history_as_tabs(
    qtbot: QtBot, page: MonitoringPage, client: FakeClient
) -> None:
    """At 150 % on 1366×768 the gauges scrolled sideways beside a plot too thin to read."""
    client.push(*(reading(55.0, quantity=q) for q in ("temperature", "moisture", "o2")))
    qtbot.waitUntil(lambda: len(page.gauge_grid.gauges) == 3, timeout=2000)
    assert not page.is_tabbed()
    page.resize(760, 480)
    qtbot.waitUntil(page.is_tabbed)
    sideways = page._gauge_scroll.horizontalScrollBar()
    qtbot.waitUntil(lambda: sideways.maximum() == 0)
    page.top_tabs.setCurrentIndex(1)
    assert page.plots.isVisible()
    page.resize(1300, 800)
    qtbot.waitUntil(lambda: not page.is_tabbed())
    assert page.plots.isVisible() and page.gauge_grid.isVisible()


def test_plot_titles_shrink_to_their_unit_when_the_plots_are_short(
    qtbot: QtBot, page: MonitoringPage, client: FakeClient
) -> None:
    """In the real window at 150 % on 1366×768, three plots of about 95 px cut their rotated
    titles to "ature (°C)"."""
    client.push(*(reading(55.0, quantity=q) for q in ("temperature", "moisture", "o2")))
    qtbot.waitUntil(lambda: len(page.plots.plots) == 3, timeout=2000)
    axis = page.plots.plots["temperature"].getAxis("left")
    qtbot.waitUntil(lambda: axis.labelText == "Temperature (°C)")
    page.resize(760, 420)
    qtbot.waitUntil(page.is_tabbed)
    page.top_tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: axis.labelText == "°C")
    # The last plot made too: in the real window "Oxygen (%" stayed cut.
    assert page.plots.plots["o2"].getAxis("left").labelText == "O₂ %"
    page.resize(1300, 800)  # room again: the whole title comes back
    qtbot.waitUntil(lambda: axis.labelText == "Temperature (°C)")
