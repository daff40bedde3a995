"""The simulated pile follows a believable cycle, and the simulator's messages parse."""

from __future__ import annotations

import itertools
import statistics
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from compost_desktop.monitoring.parsing import PLAUSIBLE_RANGES, MessageParser, Reading
from compost_desktop.monitoring.simulator import DAY, FARM_TOPIC, HOUR, PileModel, Simulator
from tests.support.servers import MosquittoServer, free_port

SEEDS = range(6)
START = datetime(2026, 6, 1, tzinfo=UTC)


def core_temperature(model: PileModel, t: float) -> float:
    return model.sample(0, t)["temperature"]


def hours(first_day: float, last_day: float) -> Iterator[float]:
    t = first_day * DAY
    while t < last_day * DAY:
        yield t
        t += HOUR


@pytest.mark.parametrize("seed", SEEDS)
def test_reaches_55_within_three_days_from_ambient(seed: int) -> None:
    model = PileModel(seed)

    start = core_temperature(model, 0.0)
    first_hot = next((t for t in hours(0, 3) if core_temperature(model, t) >= 55.0), None)

    assert 15.0 <= start <= 25.0
    assert first_hot is not None
    assert first_hot >= 0.75 * DAY  # a mesophilic rise, not a jump
    assert model.phase(0.0) == "mesophilic"


@pytest.mark.parametrize("seed", SEEDS)
def test_stays_thermophilic_for_more_than_ten_days_apart_from_turning_dips(seed: int) -> None:
    model = PileModel(seed)

    def shortly_after_turning(t: float) -> bool:
        return any(0 <= t - turn < 18 * HOUR for turn in model.turn_times_s)

    outside_dips = [
        core_temperature(model, t) for t in hours(3, 14) if not shortly_after_turning(t)
    ]
    daily_medians = [
        statistics.median(core_temperature(model, t) for t in hours(day, day + 1))
        for day in range(3, 14)
    ]

    assert len(outside_dips) > 150
    assert 55.0 <= min(outside_dips) <= max(outside_dips) <= 68.0
    assert all(55.0 <= median <= 68.0 for median in daily_medians)
    assert model.phase(8 * DAY) == "thermophilic"


@pytest.mark.parametrize("seed", SEEDS)
def test_each_turning_dips_the_core_and_it_recovers_within_a_day(seed: int) -> None:
    model = PileModel(seed)
    thermophilic_turns = [t for t in model.turn_times_s if model.phase(t) == "thermophilic"]

    assert len(thermophilic_turns) >= 5  # enough for the EPA windrow rule to be met
    gaps = [b - a for a, b in itertools.pairwise(thermophilic_turns)]
    assert all(2 * DAY <= gap <= 4 * DAY for gap in gaps)
    for turn in thermophilic_turns:
        before = core_temperature(model, turn - 10 * 60)
        after = core_temperature(model, turn + 10 * 60)
        next_day = core_temperature(model, turn + 24 * HOUR)
        assert 8.0 <= before - after <= 17.0
        assert next_day >= 55.0
        assert abs(next_day - before) <= 4.0


@pytest.mark.parametrize("seed", SEEDS)
def test_cools_towards_ambient_and_cures(seed: int) -> None:
    model = PileModel(seed)
    ambient = model.profile.ambient_c
    plateau = statistics.mean(core_temperature(model, t) for t in hours(8, 12))

    day_30 = core_temperature(model, 30 * DAY)
    day_60 = statistics.mean(core_temperature(model, t) for t in hours(60, 61))

    assert day_30 < plateau - 15.0
    assert abs(day_60 - ambient) <= 5.0
    assert model.phase(26 * DAY) == "cooling"
    assert model.phase(60 * DAY) == "curing"


def test_core_probe_is_hotter_than_edge_probes_when_hot() -> None:
    model = PileModel(3)
    times = list(hours(4, 16))

    by_device = [
        statistics.mean(model.sample(i, t)["temperature"] for t in times) for i in range(4)
    ]

    assert by_device[0] == max(by_device)
    assert by_device[0] - by_device[3] >= 2.0


def test_moisture_dries_from_about_60_and_jumps_when_watered() -> None:
    model = PileModel(1)
    first_watering = model.watering_times_s[0]
    track = [model.sample(0, t)["moisture"] for t in hours(0, 40)]
    pile = [statistics.mean(model.sample(i, t)["moisture"] for i in range(3)) for t in hours(0, 40)]

    jumps = [b - a for a, b in itertools.pairwise(pile) if b - a > 5.0]
    before_watering = model.sample(0, first_watering - HOUR)["moisture"]

    assert 55.0 <= track[0] <= 65.0
    assert before_watering < track[0] - 10.0
    assert 1 <= len(jumps) <= 4
    assert model.sample(0, first_watering + HOUR)["moisture"] > before_watering + 8.0


def test_oxygen_falls_as_the_pile_heats_and_recovers_after_turning() -> None:
    model = PileModel(2)
    turn = model.turn_times_s[1]

    at_build = model.sample(0, 0.0)["o2"]
    hot_before_turning = model.sample(0, turn - 10 * 60)["o2"]
    just_turned = model.sample(0, turn + 10 * 60)["o2"]
    co2_before = model.sample(0, turn - 10 * 60)["co2"]
    co2_after = model.sample(0, turn + 10 * 60)["co2"]

    assert at_build >= 19.5
    assert hot_before_turning <= 12.0
    assert just_turned >= hot_before_turning + 6.0
    assert co2_before > co2_after + 50_000


def test_same_seed_gives_the_same_pile_in_any_order() -> None:
    times = [37.0, 5 * DAY + 11.0, 2 * DAY, 19 * DAY + 3600.5, 0.0]
    forwards = PileModel(42)
    backwards = PileModel(42)

    first = [forwards.sample(i, t) for t in times for i in range(3)]
    second = [backwards.sample(i, t) for t in reversed(times) for i in reversed(range(3))]

    assert first == list(reversed(second))
    assert forwards.turn_times_s == backwards.turn_times_s
    assert PileModel(43).sample(0, 5 * DAY) != forwards.sample(0, 5 * DAY)
    assert PileModel(43).turn_times_s != forwards.turn_times_s


@pytest.mark.parametrize("seed", [0, 7, 1234])
def test_values_stay_physically_plausible_over_a_long_run(seed: int) -> None:
    model = PileModel(seed)

    for t in hours(0, 200):
        for device in (0, 1, 5, 20):
            for quantity, value in model.sample(device, t + device * 97.0).items():
                low, high = PLAUSIBLE_RANGES[quantity]
                assert low <= value <= high, (quantity, value, t)
    assert model.sample(0, 1000 * DAY)["moisture"] > 0.0


def test_without_gases_only_temperature_moisture_and_humidity() -> None:
    assert set(PileModel(0, gases=False).sample(0, DAY)) == {"temperature", "moisture", "humidity"}


def test_invalid_sample_arguments() -> None:
    model = PileModel(0)
    with pytest.raises(ValueError):
        model.sample(0, float("nan"))
    with pytest.raises(ValueError):
        model.sample(-1, 0.0)
    assert model.sample(0, -5.0) == model.sample(0, 0.0)


# --- the simulator's messages (no broker) -------------------------------------------------------


def test_tick_messages_are_farm_json_that_the_parser_accepts() -> None:
    simulator = Simulator(devices=3, rate_hz=2.0, speed=600.0, seed=5, start=START)
    parser = MessageParser()

    moment, age = simulator.tick_time(7)
    items = [
        item
        for payload in simulator.messages_for_tick(7)
        for item in parser.parse(FARM_TOPIC, payload, moment)
    ]

    assert moment == START + timedelta(seconds=7 * 300)
    assert age == 7 * 300
    assert parser.rejected == 0
    assert {r.device_id for r in items if isinstance(r, Reading)} == {"node-1", "node-2", "node-3"}
    assert all(r.measured_at == moment for r in items if isinstance(r, Reading))
    temperatures = {
        r.device_id: r.value
        for r in items
        if isinstance(r, Reading) and r.quantity == "temperature"
    }
    expected = simulator.model.sample(1, age)["temperature"]
    assert temperatures["node-2"] == pytest.approx(expected, abs=0.01)
    assert len(items) == 3 * 5


def test_sub_second_ticks_keep_distinct_timestamps() -> None:
    simulator = Simulator(devices=1, rate_hz=4.0, speed=1.0, start=START)
    parser = MessageParser()

    stamps = {
        item.measured_at
        for tick in range(4)
        for payload in simulator.messages_for_tick(tick)
        for item in parser.parse(FARM_TOPIC, payload, START + timedelta(seconds=1))
        if isinstance(item, Reading)
    }

    assert len(stamps) == 4


@pytest.mark.parametrize(
    "kwargs",
    [{"devices": 0}, {"rate_hz": 0.0}, {"speed": -1.0}, {"port": 0}, {"qos": 3}],
)
def test_invalid_simulator_parameters(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Simulator(**kwargs)  # type: ignore[arg-type]


def test_run_without_a_broker_stops_cleanly_when_asked() -> None:
    simulator = Simulator("127.0.0.1", free_port(), devices=2, rate_hz=10.0)
    stop = threading.Event()
    timer = threading.Timer(0.5, stop.set)
    threads_before = threading.active_count()

    timer.start()
    began = time.monotonic()
    published = simulator.run(stop, max_messages=10)
    took = time.monotonic() - began
    timer.join()

    assert published == 0
    assert 0.4 <= took < 5.0
    assert threading.active_count() == threads_before


# --- against a real broker ----------------------------------------------------------------------


@pytest.fixture
def broker() -> Iterator[MosquittoServer]:
    server = MosquittoServer()
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


class Collector:
    """Subscribes to the farm topic and keeps every payload it receives."""

    def __init__(self, host: str, port: int) -> None:
        self.payloads: list[bytes] = []
        self._subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self.client.on_connect = lambda client, *_: client.subscribe(FARM_TOPIC, qos=1)
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = lambda _c, _u, msg: self.payloads.append(bytes(msg.payload))
        self.client.connect(host, port)
        self.client.loop_start()
        assert self._subscribed.wait(5.0)

    def wait_for(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.payloads) < count and time.monotonic() < deadline:
            time.sleep(0.02)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.mark.mqtt
def test_run_publishes_parsable_messages_and_stops_at_max(broker: MosquittoServer) -> None:
    collector = Collector(broker.host, broker.port)
    simulator = Simulator(broker.host, broker.port, devices=3, rate_hz=20.0, start=START)
    try:
        published = simulator.run(threading.Event(), max_messages=30)
        collector.wait_for(30)
    finally:
        collector.close()

    parser = MessageParser()
    readings = [
        r
        for payload in collector.payloads
        for r in parser.parse(FARM_TOPIC, payload, START + timedelta(hours=1))
        if isinstance(r, Reading)
    ]
    assert published == 30
    assert simulator.acknowledged == 30
    assert len(collector.payloads) == 30
    assert parser.rejected == 0
    assert {r.device_id for r in readings} == {"node-1", "node-2", "node-3"}
    assert len({r.measured_at for r in readings}) == 10  # one timestamp per tick


@pytest.mark.log_allowed("^Simulator lost the broker")
@pytest.mark.mqtt
@pytest.mark.slow
def test_run_waits_out_a_broker_outage_and_reconnects(broker: MosquittoServer) -> None:
    simulator = Simulator(broker.host, broker.port, devices=2, rate_hz=20.0, start=START)
    stop = threading.Event()
    result: list[int] = []
    worker = threading.Thread(target=lambda: result.append(simulator.run(stop, max_messages=80)))
    worker.start()
    try:
        deadline = time.monotonic() + 5.0
        while simulator.published < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        broker.stop()
        time.sleep(0.5)
        published_while_down = simulator.published
        time.sleep(1.0)
        # It waits for the broker instead of piling messages up in memory.
        assert simulator.published <= published_while_down + 2
        broker.start()
        worker.join(timeout=20.0)
    finally:
        stop.set()
        worker.join(timeout=10.0)

    assert not worker.is_alive()
    assert result == [80]
    assert simulator.skipped_ticks > 0
