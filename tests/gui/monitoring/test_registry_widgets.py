"""The registry in the window: Devices page edits, roles in alarms, node status on probes,
last-known values, the rejected list, the receive-clock axis and plots reloaded at start."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.domain.devices import Role
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.devices.keeper import keeper_for
from compost_desktop.gui.devices.page import DevicesPage
from compost_desktop.gui.monitoring.hub import MonitoringHub
from compost_desktop.gui.monitoring.page import MonitoringPage
from compost_desktop.gui.monitoring.rejects import RejectsDialog
from compost_desktop.monitoring.alarms import MemoryAlarmLog
from compost_desktop.monitoring.parsing import DeviceStatus, LastKnown, Reading
from compost_desktop.monitoring.registry import DeviceRegistry
from compost_desktop.services.store import Store
from tests.gui.monitoring.support import T0, Clock, FakeClient, FakeStore, make_ctx, reading
from tests.support.qt import item_at
from tests.support.readings import insert_readings

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


class Sink:
    def __init__(self) -> None:
        self.readings: list[Reading] = []

    def add(self, readings: list[Reading]) -> None:
        self.readings.extend(readings)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + timedelta(seconds=5))


@pytest.fixture
def client() -> FakeClient:
    return FakeClient()


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture
def alarm_log() -> MemoryAlarmLog:
    return MemoryAlarmLog()


@pytest.fixture
def page(
    qtbot: QtBot, client: FakeClient, clock: Clock, sink: Sink, alarm_log: MemoryAlarmLog
) -> Iterator[MonitoringPage]:
    ctx = make_ctx()
    ctx.set_store(FakeStore(), "test")  # type: ignore[arg-type]
    hub = MonitoringHub(
        ctx, client=client, demo_enabled=False, clock=clock, writer=sink, alarm_log=alarm_log
    )
    page = MonitoringPage(ctx, hub=hub)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    yield page
    hub.stop()


def _row(page: MonitoringPage, device: str) -> int:
    for row in range(page.devices.rowCount()):
        item = page.devices.item(row, 0)
        if item is not None and item.toolTip() == device:
            return row
    raise AssertionError(f"{device} not in the device table")


def test_an_air_sensor_raises_no_pile_alarm(
    qtbot: QtBot, page: MonitoringPage, client: FakeClient, alarm_log: MemoryAlarmLog
) -> None:
    hot_air = replace(reading(80.0, device="shed/SHT3X"), topic="tele/shed/SENSOR")
    hot_pile = replace(reading(80.0, device="pile-a/DS18B20-01AB"), topic="tele/pile-a/SENSOR")
    client.push(hot_air)
    qtbot.waitUntil(lambda: page.devices.rowCount() == 1, timeout=2000)
    client.push(hot_pile)
    qtbot.waitUntil(lambda: len(alarm_log.rows) == 1, timeout=2000)

    registry = page.hub.registry_keeper.registry
    assert registry.entry("shed/SHT3X") is not None
    assert registry.entry("shed/SHT3X").role is Role.AMBIENT  # type: ignore[union-attr]
    assert [row["device_id"] for row in alarm_log.rows] == ["pile-a/DS18B20-01AB"]


def test_a_node_offline_marks_its_probes_and_online_is_not_red_stale(
    qtbot: QtBot, page: MonitoringPage, client: FakeClient, clock: Clock
) -> None:
    client.push(reading(55.0, device="pile-a/DS18B20-01AB"))
    client.push(DeviceStatus("pile-a", True, {"status": "Online"}, T0))
    qtbot.waitUntil(lambda: page.devices.rowCount() == 2, timeout=2000)
    clock.now = T0 + timedelta(minutes=10)
    page.on_status_refresh_due()
    probe = _row(page, "pile-a/DS18B20-01AB")
    assert item_at(page.devices, probe, 1).text() == "online, no recent reading"

    client.push(DeviceStatus("pile-a", False, {"status": "Offline"}, T0))
    qtbot.waitUntil(
        lambda: item_at(page.devices, probe, 1).text() == "offline (its node said so)", timeout=2000
    )


def test_a_retained_value_is_shown_but_never_recorded(
    qtbot: QtBot, page: MonitoringPage, client: FakeClient, sink: Sink
) -> None:
    client.push(LastKnown(reading(48.0, device="dead-node")))
    qtbot.waitUntil(lambda: page.devices.rowCount() == 1, timeout=2000)
    page.on_status_refresh_due()

    assert item_at(page.devices, 0, 1).text().startswith("last known value only")
    assert page.gauge_grid.gauges[("dead-node", "temperature")].stale
    assert sink.readings == []
    assert ("dead-node", "temperature") not in page.hub.series


@pytest.mark.log_allowed("^Rejected MQTT message")
def test_the_rejected_count_opens_the_list(
    qtbot: QtBot, page: MonitoringPage, client: FakeClient
) -> None:
    client.parser.parse("compost/sensor/data", b'{"device_id": "n", "temperature": "hot"}')
    page.on_status_refresh_due()
    assert page.rejected_label.text() == "1 message rejected"

    page.rejected_label.click()

    dialog = page.rejects_dialog
    assert isinstance(dialog, RejectsDialog)
    assert dialog.table.rowCount() == 1
    assert item_at(dialog.table, 0, 1).text() == "compost/sensor/data"
    assert "value is not a number" in item_at(dialog.table, 0, 2).text()
    assert '"temperature": "hot"' in item_at(dialog.table, 0, 3).text()
    dialog.close()


def test_plot_axis_ends_at_the_receive_clock(
    qtbot: QtBot, page: MonitoringPage, client: FakeClient, clock: Clock
) -> None:
    future = reading(55.0, device="node-9", seconds=3 * 3600)
    client.push(reading(54.0), replace(future, received_at=T0))
    qtbot.waitUntil(lambda: len(page.hub.series) == 2, timeout=2000)
    page.plots._dirty = True
    page.plots.on_repaint_due()

    (_, right) = page.plots.plots["temperature"].getViewBox().viewRange()[0]
    assert right == pytest.approx(clock.now.timestamp(), abs=60)


def _table_colour(page: MonitoringPage, device: str) -> str:
    item = page.devices.item(_row(page, device), 0)
    assert item is not None
    return item.foreground().color().name()


def test_a_curve_has_the_colour_its_device_has_in_the_table(
    qtbot: QtBot, page: MonitoringPage, client: FakeClient
) -> None:
    # node-1 only reports its status so far: in the table, not yet on a plot.
    client.push(DeviceStatus("node-1", True, {"status": "Online"}, T0))
    client.push(reading(54.0, device="node-2"))
    qtbot.waitUntil(lambda: "node-1" in page.hub.devices and len(page.hub.series) == 1)
    page.plots._dirty = True
    page.plots.on_repaint_due()
    page.devices.refresh()
    in_table = _table_colour(page, "node-2")
    curve = page.plots._curves[("node-2", "temperature")]
    assert curve.opts["pen"].color().name() == in_table

    # A device that sorts first turns up: the table's colours shift, and the curve follows.
    client.push(reading(50.0, device="node-0"))
    qtbot.waitUntil(lambda: len(page.hub.series) == 2)
    page.plots._dirty = True
    page.plots.on_repaint_due()
    page.devices.refresh()
    for device in ("node-0", "node-2"):
        curve = page.plots._curves[(device, "temperature")]
        assert curve.opts["pen"].color().name() == _table_colour(page, device)


@pytest.fixture
def sqlite_ctx(tmp_path: Path) -> Iterator[AppContext]:
    url = resolve_url(f"sqlite:///{tmp_path / 'compost.db'}")
    migrate.upgrade(url)
    engine = make_engine(url)
    ctx = make_ctx()
    ctx.set_store(Store(engine), "test")
    yield ctx
    engine.dispose()


def test_plots_reload_the_window_from_the_database_at_start(
    qtbot: QtBot, sqlite_ctx: AppContext, client: FakeClient, clock: Clock
) -> None:
    store = sqlite_ctx.store
    assert store is not None
    insert_readings(
        store.engine,
        None,
        [("node-1", T0 - timedelta(minutes=m), 50.0 + m / 10) for m in range(0, 50, 5)],
    )
    hub = MonitoringHub(sqlite_ctx, client=client, demo_enabled=False, clock=clock, record=False)
    page = MonitoringPage(sqlite_ctx, hub=hub)
    qtbot.addWidget(page)
    page.resize(1200, 800)  # wide: the history beside the gauges, not on a hidden tab
    page.show()

    qtbot.waitUntil(lambda: ("node-1", "temperature") in page.plots.backfill, timeout=5000)
    times, _values = page.plots.backfill[("node-1", "temperature")]
    assert len(times) == 10
    page.plots._dirty = True
    page.plots.on_repaint_due()
    assert ("node-1", "temperature") in page.plots._curves
    hub.stop()


def test_devices_page_edits_are_saved_and_checked(qtbot: QtBot, sqlite_ctx: AppContext) -> None:
    keeper = keeper_for(sqlite_ctx)
    keeper.observe("shed/SHT3X", "temperature", "tasmota")
    keeper.observe("pile-a/DS18B20-0316A279AAAA", "temperature", "tasmota")
    keeper.on_save_due()
    page = DevicesPage(sqlite_ctx)
    qtbot.addWidget(page)
    page.show()
    assert page.model.rowCount() == 2
    assert page.model.data(page.model.index(1, 3)) == "Ambient air (guessed)"

    page.table.selectRow(1)
    page.zone_combo.setEditText("Mars/Olympus")
    assert "not a time zone" in page.error_label.text()
    assert not page.save_button.isEnabled()
    page.zone_combo.setEditText("Asia/Shanghai")
    page.name_edit.setText("Shed air")
    page.role_combo.setCurrentIndex(page.role_combo.findData("other"))
    page.save_button.click()

    stored = registry_on_disk(sqlite_ctx).entry("shed/SHT3X")
    assert stored is not None
    assert (stored.name, stored.role, stored.role_confirmed, stored.timezone) == (
        "Shed air",
        Role.OTHER,
        True,
        "Asia/Shanghai",
    )
    assert page.model.data(page.model.index(1, 3)) == "Other"
    assert page.model.data(page.model.index(1, 5)) == "Asia/Shanghai"


def registry_on_disk(ctx: AppContext) -> DeviceRegistry:
    assert ctx.store is not None
    registry = DeviceRegistry(ctx.store.engine)
    registry.load()
    return registry
