"""History chart: probes, lowest probe, other quantities, phases, markers, zoom and the tab."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip
from pytestqt.qtbot import QtBot

from compost_desktop.domain.devices import Role
from compost_desktop.gui.context import READINGS, AppContext
from compost_desktop.gui.cycles.history_chart import DAY, NO_READINGS, HistoryChart
from compost_desktop.gui.cycles.page import CyclesPage
from compost_desktop.gui.devices.keeper import keeper_for
from compost_desktop.monitoring.registry import DeviceRegistry
from compost_desktop.services import chart_data
from compost_desktop.services.chart_traces import LOWEST
from compost_desktop.services.store import Store
from compost_desktop.services.values import InputDraft
from tests.gui.cycles.conftest import make_cycle, material_id
from tests.support.readings import insert_readings

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

T0 = datetime(2026, 4, 2, tzinfo=UTC)
STEP = timedelta(minutes=2)
# Hourly profile of the pile: warm-up, a hot spell, cooling, curing (8 days).
PROFILE = [20.0] * 24 + [58.0] * 96 + [35.0] * 24 + [25.0] * 48
TURNED_AT = T0 + timedelta(days=3)
DELIVERED_AT = T0 - timedelta(hours=2)
HAND_AT = T0 + timedelta(days=2, hours=5)


def probe_rows(
    device: str, offset: float, hours: int = len(PROFILE)
) -> list[tuple[str, datetime, float]]:
    per_hour = int(timedelta(hours=1) / STEP)
    return [
        (device, T0 + i * STEP, PROFILE[i // per_hour] + offset) for i in range(hours * per_hour)
    ]


@pytest.fixture
def cycle(store: Store) -> int:
    """Two probes every 2 minutes for 8 days, moisture hourly, a hand reading, a turning."""
    cid = make_cycle(store, "Bay 1")
    store.add_input(cid, InputDraft(material_id(store, "Straw"), mass_kg=40, added_at=DELIVERED_AT))
    store.add_turning(cid, TURNED_AT, "Sam", None)
    insert_readings(store.engine, cid, probe_rows("probe-a", 0.0))
    insert_readings(
        store.engine, cid, probe_rows("probe-b", -3.0)
    )  # the colder one: the lowest probe
    insert_readings(
        store.engine,
        cid,
        [("probe-a", T0 + timedelta(hours=h), 55.0 - h * 0.05) for h in range(len(PROFILE))],
        quantity="moisture",
    )
    insert_readings(store.engine, cid, [("hand:north", HAND_AT, 61.5)], source="manual")
    return cid


@pytest.fixture
def chart(qtbot: QtBot, ctx: AppContext) -> HistoryChart:
    widget = HistoryChart(ctx)
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    return widget


def finite(values: np.ndarray) -> np.ndarray:
    kept: np.ndarray = values[np.isfinite(values)]  # numpy types boolean indexing as Any
    return kept


def test_probes_lowest_moisture_hand_reading_phases_and_markers(
    chart: HistoryChart, cycle: int
) -> None:
    chart.show_cycle(cycle)
    assert chart.body.currentIndex() == 1  # the charts, not the message
    assert list(chart.plots) == ["temperature", "moisture"]
    lines = {k for k, q in chart.items if q == "temperature" and k != "hand:north"}
    assert lines == {"probe-a", "probe-b", LOWEST}
    assert ("probe-a", "moisture") in chart.items

    a, b, lowest = (chart.trace(k) for k in ("probe-a", "probe-b", LOWEST))
    assert a is not None and b is not None and lowest is not None
    assert finite(a.mean).max() == pytest.approx(58.0)
    assert finite(b.mean).max() == pytest.approx(55.0)
    assert finite(lowest.mean).tolist() == pytest.approx(finite(b.mean).tolist())

    hand = chart.trace("hand:north")
    assert hand is not None and hand.manual  # a scatter point, not a line
    assert hand.times.tolist() == [pytest.approx(HAND_AT.timestamp())]
    assert hand.mean.tolist() == [61.5]

    phases = [region.phase.label for region in chart.phase_regions]
    assert phases == ["Mesophilic", "Thermophilic", "Cooling", "Curing"]
    assert [line.value() for line in chart.turning_lines] == [TURNED_AT.timestamp()]
    assert "Turned by Sam" in chart.turning_lines[0].toolTip()
    assert [line.value() for line in chart.input_lines] == [DELIVERED_AT.timestamp()]
    assert "Straw" in chart.input_lines[0].toolTip()
    assert len(chart.reference_lines) == 4
    # The axis starts at the delivery made before the first reading.
    assert chart.x_range[0] == pytest.approx(DELIVERED_AT.timestamp(), abs=60)


def test_hovering_a_turning_or_a_phase_says_what_it_is(
    qtbot: QtBot, chart: HistoryChart, cycle: int
) -> None:
    chart.show_cycle(cycle)
    view = chart.plots["temperature"].getViewBox()
    qtbot.waitUntil(lambda: view.width() > 300)  # laid out on screen
    chart.grab()  # and painted once: lines place themselves for the view when drawn
    thermophilic = chart.phase_regions[1].getRegion()[0] + 10 * 3600
    tips = []
    for x in (TURNED_AT.timestamp(), thermophilic):
        pos = chart.graphics.mapFromScene(view.mapViewToScene(QPointF(x, 40.0)))
        viewport = chart.graphics.viewport()
        QApplication.sendEvent(
            viewport, QHelpEvent(QEvent.Type.ToolTip, pos, viewport.mapToGlobal(pos))
        )
        tips.append(QToolTip.text())
    assert tips[0].startswith("Turned by Sam\n")
    assert tips[1].startswith("Thermophilic: ")


def test_last_24_hours_reads_that_day_again_at_finer_buckets(
    qtbot: QtBot, chart: HistoryChart, cycle: int
) -> None:
    chart.show_cycle(cycle)
    assert chart.overview is not None and chart.overview.snapshot is not None
    end = chart.overview.snapshot.end
    coarse = chart.overview.snapshot.bucket_seconds

    def points_in_last_day() -> int:
        a = chart.trace("probe-a")
        assert a is not None
        inside = (a.times >= end - DAY) & (a.times <= end)
        return int(np.isfinite(a.mean[inside]).sum())

    before = points_in_last_day()
    with qtbot.waitSignal(chart.window_loaded, timeout=5000):
        qtbot.mouseClick(chart.day_button, Qt.MouseButton.LeftButton)
    assert chart.x_range == pytest.approx((end - DAY, end), abs=1.0)
    assert chart.window_requests == 1
    assert chart.detail is not None and chart.detail.bucket_seconds < coarse / 4
    after = points_in_last_day()
    assert after > 4 * before
    # The rest of the cycle is still drawn from the whole-cycle data, for panning.
    a = chart.trace("probe-a")
    assert a is not None and finite(a.times).min() < end - 5 * DAY

    qtbot.mouseClick(chart.whole_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: chart.detail is None, timeout=5000)
    assert points_in_last_day() == before
    assert chart.window_requests == 1  # the whole cycle needs no query


def test_unticking_a_probe_hides_its_curves(chart: HistoryChart, cycle: int) -> None:
    chart.show_cycle(cycle)
    labels = [chart.series_list.item(i).text() for i in range(chart.series_list.count())]
    assert labels == ["Lowest probe", "probe-a", "probe-b", "Hand: north"]
    chart.series_list.item(1).setCheckState(Qt.CheckState.Unchecked)
    assert not chart.items[("probe-a", "temperature")].curve.isVisible()
    assert not chart.items[("probe-a", "moisture")].curve.isVisible()
    assert chart.items[("probe-b", "temperature")].curve.isVisible()
    chart.series_list.item(1).setCheckState(Qt.CheckState.Checked)
    assert chart.items[("probe-a", "temperature")].curve.isVisible()


def test_the_min_max_band_shades_between_each_probes_extremes(
    chart: HistoryChart, store: Store
) -> None:
    cid = make_cycle(store, "Bay 4")
    # A saw-tooth from 50 to 59 °C: every point of the chart stands for many readings.
    insert_readings(
        store.engine, cid, [("p", T0 + i * STEP, 50.0 + i % 10) for i in range(10 * 720)]
    )
    chart.show_cycle(cid)
    items = chart.items[("p", "temperature")]
    assert items.band is None  # nothing is built for it until asked
    chart.band_check.setChecked(True)
    assert items.band is not None and items.band.isVisible()
    assert items.low is not None and items.high is not None
    assert finite(items.low.getData()[1]).min() == 50.0
    assert finite(items.high.getData()[1]).max() == 59.0
    mean = finite(items.curve.getData()[1])
    assert mean.min() > 50.0 and mean.max() < 59.0
    chart.band_check.setChecked(False)
    assert not items.band.isVisible()


def test_a_silent_probe_is_drawn_with_a_break_not_a_straight_line(
    chart: HistoryChart, store: Store
) -> None:
    cid = make_cycle(store, "Bay 2")
    rows = [
        r
        for r in probe_rows("probe-a", 0.0)
        if not (3 * DAY < (r[1] - T0).total_seconds() < 4 * DAY)
    ]
    insert_readings(store.engine, cid, rows)
    chart.show_cycle(cid)
    a = chart.trace("probe-a")
    assert a is not None
    gaps = a.times[np.isnan(a.mean)]
    assert len(gaps) == 1 and 3 * DAY < gaps[0] - T0.timestamp() < 4 * DAY


def test_an_empty_cycle_says_so(chart: HistoryChart, store: Store) -> None:
    chart.show_cycle(make_cycle(store, "Bay 3"))
    assert chart.body.currentWidget() is chart.message
    assert chart.message.text() == NO_READINGS
    assert not chart.day_button.isEnabled()


def test_new_readings_reload_the_chart_and_keep_the_zoom(
    qtbot: QtBot, chart: HistoryChart, cycle: int, store: Store, ctx: AppContext
) -> None:
    chart.show_cycle(cycle)
    with qtbot.waitSignal(chart.window_loaded, timeout=5000):
        chart.show_last(2 * DAY)
    zoom = chart.x_range
    later = T0 + timedelta(hours=len(PROFILE), minutes=30)
    insert_readings(store.engine, cycle, [("probe-c", later, 24.0)])
    with qtbot.waitSignal(chart.history_loaded, timeout=5000):
        ctx.bus.changed.emit(frozenset({READINGS}))
    assert ("probe-c", "temperature") in chart.items
    assert chart.x_range == pytest.approx(zoom, abs=1.0)


def test_the_history_tab_loads_only_when_shown_and_esc_still_goes_back(
    qtbot: QtBot, ctx: AppContext, cycle: int
) -> None:
    page = CyclesPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 760)
    page.show()
    queried: list[int] = []
    original = chart_data.cycle_history

    def counting(engine: sa.Engine, cycle_id: int, buckets: int = 1500) -> object:
        queried.append(cycle_id)
        return original(engine, cycle_id, buckets)

    mp = pytest.MonkeyPatch()
    mp.setattr(chart_data, "cycle_history", counting)
    try:
        page.open_cycle(cycle)
        detail = page.detail
        assert detail.ui.tabs.currentWidget() is detail.ui.overview_tab
        assert queried == [] and detail.history.overview is None
        detail.ui.tabs.setCurrentWidget(detail.ui.history_tab)
        assert queried == [cycle]
        assert ("probe-a", "temperature") in detail.history.items
        detail.ui.tabs.setCurrentWidget(detail.ui.overview_tab)
        detail.ui.tabs.setCurrentWidget(detail.ui.history_tab)
        assert queried == [cycle]  # shown again: nothing to read again
    finally:
        mp.undo()

    with qtbot.waitActive(page):
        page.activateWindow()  # shortcuts need an active window
    detail.history.graphics.setFocus()
    with qtbot.waitSignal(detail.back_requested, timeout=1000):
        qtbot.keyClick(detail.history.graphics, Qt.Key.Key_Escape)
    assert detail.history_toolbar is detail.history.toolbar


def test_an_air_sensor_is_drawn_apart_and_never_the_lowest_probe(
    chart: HistoryChart, cycle: int, store: Store
) -> None:
    # A shed sensor far colder than the pile, known to the registry as ambient air.
    insert_readings(store.engine, cycle, probe_rows("shed-air", -35.0))
    registry = DeviceRegistry(store.engine)
    registry.observe("shed-air", "temperature", "farm")
    registry.save_new()
    registry.update("shed-air", role=Role.AMBIENT.value)
    chart.show_cycle(cycle)
    air, lowest, b = (chart.trace(k) for k in ("shed-air", LOWEST, "probe-b"))
    assert air is not None and lowest is not None and b is not None
    assert finite(lowest.mean).tolist() == pytest.approx(finite(b.mean).tolist())
    assert chart.items[("shed-air", "temperature")].curve.opts["pen"].style() == (
        Qt.PenStyle.DashLine
    )
    assert chart.items[("probe-a", "temperature")].curve.opts["pen"].style() == (
        Qt.PenStyle.SolidLine
    )
    labels = [chart.series_list.item(i).text() for i in range(chart.series_list.count())]
    assert "shed-air (not pile)" in labels and "probe-a" in labels


def test_a_colour_pinned_on_the_devices_page_is_the_curve_colour(
    qtbot: QtBot, chart: HistoryChart, cycle: int, ctx: AppContext
) -> None:
    chart.show_cycle(cycle)
    keeper = keeper_for(ctx)
    keeper.changed.emit()  # the keeper's 30 s reload with nothing new: no whole-cycle re-read
    assert not chart.reload_timer.isActive()
    registry = keeper.registry
    registry.observe("probe-b", "temperature", "farm")
    registry.save_new()
    # What the Devices page does when a colour is chosen: the shared registry, then `changed`.
    registry.update("probe-b", colour="#7b4173")
    keeper.changed.emit()
    qtbot.waitUntil(
        lambda: (
            chart.items[("probe-b", "temperature")].curve.opts["pen"].color().name() == "#7b4173"
        )
    )
    assert chart.items[("probe-a", "temperature")].color != "#7b4173"  # no two alike
