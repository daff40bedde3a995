"""The device registry: guessed roles, one row per device on every PC, and only pile probes
judged for pathogen reduction, the lowest-probe curve and the comparison."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.db.models import SensorDevice
from compost_desktop.domain.devices import Role
from compost_desktop.domain.pathogen import EPA_PFRP_IN_VESSEL
from compost_desktop.domain.states import PathogenStatus
from compost_desktop.monitoring.registry import DeviceRegistry, device_uuid, guess_role
from compost_desktop.presentation.palette import DEVICE_COLOURS
from compost_desktop.services import chart_data
from compost_desktop.services.history import evaluate_cycle
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft
from compost_desktop.sync.engine import SyncEngine
from tests.support.readings import insert_readings

T0 = datetime(2026, 4, 2, tzinfo=UTC)
STEP = timedelta(minutes=10)


@pytest.mark.parametrize(
    ("device_id", "quantity", "fmt", "role"),
    [
        ("pile-a/DS18B20-01144A0CB6AA", "temperature", "tasmota", Role.PILE_PROBE),
        ("pile-a/DS18B20-2", "temperature", "tasmota", Role.PILE_PROBE),
        ("shed/SHT3X", "temperature", "tasmota", Role.AMBIENT),
        ("shed/BME280", "humidity", "tasmota", Role.AMBIENT),
        ("pile-a/ESP32", "chip_temperature", "tasmota", Role.OTHER),
        ("pile-node/probe-core", "temperature", "esphome", Role.PILE_PROBE),
        ("pile-node/probe_1", "temperature", "esphome", Role.PILE_PROBE),
        ("pile-node/air_temperature", "temperature", "esphome", Role.AMBIENT),
        ("node-7", "ambient_temperature", "farm", Role.AMBIENT),
        ("esp-node", "wifi_signal", "esphome", Role.OTHER),
        ("garage-node", "temperature", "esphome", Role.OTHER),
        ("node-1", "temperature", "farm", Role.PILE_PROBE),
        ("hand:North 1 m", "temperature", None, Role.PILE_PROBE),
    ],
)
def test_guessed_roles(device_id: str, quantity: str, fmt: str | None, role: Role) -> None:
    assert guess_role(device_id, quantity, fmt) is role


def test_automatic_colours_are_distinct_and_a_pinned_one_is_kept() -> None:
    registry = DeviceRegistry()
    for n in range(8):
        registry.observe(f"node/probe-{n}", "temperature", "farm")
    registry.update("node/probe-3", colour="#1F77B4")

    colours = registry.colours(DEVICE_COLOURS)

    assert colours["node/probe-3"] == "#1f77b4"
    assert len(set(colours.values())) == 8
    assert registry.colours(DEVICE_COLOURS) == colours


def test_update_checks_values_and_confirms_the_role() -> None:
    registry = DeviceRegistry()
    registry.observe("shed/SHT3X", "temperature", "tasmota")

    with pytest.raises(ValueError, match="not a time zone"):
        registry.update("shed/SHT3X", timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="not a colour"):
        registry.update("shed/SHT3X", colour="red")
    entry = registry.update("shed/SHT3X", role="pile_probe", timezone="Asia/Shanghai")

    assert (entry.role, entry.role_confirmed, entry.timezone) == (
        Role.PILE_PROBE,
        True,
        "Asia/Shanghai",
    )
    assert set(registry.timezones()) == {"shed/SHT3X"}


def test_two_registries_discovering_the_same_device_write_one_row(store: Store) -> None:
    first, second = DeviceRegistry(store.engine), DeviceRegistry(store.engine)
    assert first.observe("pile-a/DS18B20-0316A279AAAA", "temperature", "tasmota")
    assert second.observe("pile-a/DS18B20-0316A279AAAA", "temperature", "tasmota")

    first.save_new()
    second.save_new()
    second.update("pile-a/DS18B20-0316A279AAAA", name="Core, 1 m", position="1 m deep")
    first.load()

    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(SensorDevice.uuid, SensorDevice.role)).all()
    assert rows == [(device_uuid("pile-a/DS18B20-0316A279AAAA"), "pile_probe")]
    assert first.label("pile-a/DS18B20-0316A279AAAA") == "Core, 1 m"
    assert not second.has_unsaved


def _cycle(store: Store) -> int:
    return store.save_cycle(CycleDraft("Bay 1", date(2026, 4, 1), date(2026, 7, 1))).id


def _hot_pile_and_cold_air(store: Store, cycle_id: int) -> None:
    steps = int(timedelta(days=4) / STEP)
    insert_readings(
        store.engine,
        cycle_id,
        [(probe, T0 + i * STEP, temp) for i in range(steps + 1) for probe, temp in
         (("pile-a/DS18B20-01", 61.0), ("pile-a/DS18B20-02", 58.0), ("shed/SHT3X", 21.0))],
    )  # fmt: skip


def test_an_air_sensor_does_not_decide_the_pathogen_result(store: Store) -> None:
    cycle_id = _cycle(store)
    _hot_pile_and_cold_air(store, cycle_id)
    now = T0 + timedelta(days=4)
    unregistered = evaluate_cycle(store.engine, cycle_id, EPA_PFRP_IN_VESSEL, now)
    registry = DeviceRegistry(store.engine)
    for device in ("pile-a/DS18B20-01", "pile-a/DS18B20-02", "shed/SHT3X"):
        registry.observe(device, "temperature", "tasmota")
    registry.save_new()

    result = evaluate_cycle(store.engine, cycle_id, EPA_PFRP_IN_VESSEL, now)

    # Before the registry knew the air sensor it counted, as it always had.
    assert unregistered.status is not PathogenStatus.MET
    assert result.status is PathogenStatus.MET


def test_lowest_probe_and_pile_mean_leave_ambient_sensors_out(store: Store) -> None:
    cycle_id = _cycle(store)
    _hot_pile_and_cold_air(store, cycle_id)
    registry = DeviceRegistry(store.engine)
    registry.observe("shed/SHT3X", "temperature", "tasmota")
    registry.save_new()

    history = chart_data.cycle_history(store.engine, cycle_id)

    assert history.window is not None
    air = [s for s in history.window.series if s.device_id == "shed/SHT3X"]
    assert air and not air[0].pile  # still shown, apart
    assert history.lowest is not None
    assert min(history.lowest.mean) == pytest.approx(58.0)


def test_an_ignored_probe_does_not_count(store: Store) -> None:
    cycle_id = _cycle(store)
    _hot_pile_and_cold_air(store, cycle_id)
    registry = DeviceRegistry(store.engine)
    registry.observe("shed/SHT3X", "temperature", "tasmota")
    registry.observe("pile-a/DS18B20-02", "temperature", "tasmota")
    registry.update("pile-a/DS18B20-02", ignored=True)

    history = chart_data.cycle_history(store.engine, cycle_id)

    assert history.lowest is not None
    assert min(history.lowest.mean) == pytest.approx(61.0)
    assert not registry.is_pile_probe("pile-a/DS18B20-02")
    assert registry.is_pile_probe("pile-a/DS18B20-01")


@pytest.fixture
def two_pcs(tmp_path: Path, pg_url: str) -> Iterator[tuple[sa.Engine, list[SyncEngine]]]:
    migrate.upgrade(resolve_url(pg_url))
    server = make_engine(resolve_url(pg_url))
    engines = []
    syncs = []
    for n in range(2):
        url = resolve_url(f"sqlite:///{tmp_path / f'pc{n}.db'}")
        migrate.upgrade(url)
        local = make_engine(url)
        engines.append(local)
        syncs.append(SyncEngine(local, server, client_id=f"pc-{n}"))
    yield server, syncs
    for engine in engines:
        engine.dispose()
    server.dispose()


@pytest.mark.postgres
def test_registry_travels_between_pcs_and_the_recorder_without_conflicts(
    two_pcs: tuple[sa.Engine, list[SyncEngine]],
) -> None:
    server, (pc0, pc1) = two_pcs
    device = "pile-a/DS18B20-0316A279AAAA"
    # The recorder on the server and both PCs discover the same probe while apart.
    for engine in (server, pc0.local, pc1.local):
        registry = DeviceRegistry(engine)
        registry.observe(device, "temperature", "tasmota")
        registry.save_new()
    DeviceRegistry(pc0.local).update(device, name="Core", role="pile_probe")

    first = pc0.sync()
    second = pc1.sync()
    pc0.sync()

    assert first.conflicts == second.conflicts == 0
    for engine in (server, pc0.local, pc1.local):
        registry = DeviceRegistry(engine)
        registry.load()
        found = registry.entry(device)
        assert found is not None
        assert (found.label, found.role_confirmed) == ("Core", True)
