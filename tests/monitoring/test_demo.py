"""The demo broker and feed: a fresh machine gets moving values without a real broker."""

from __future__ import annotations

import json
import os
import threading
import time

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from compost_desktop.monitoring.demo import (
    Demo,
    DemoBroker,
    DemoEndpoint,
    DemoFeed,
    find_mosquitto,
)
from compost_desktop.monitoring.parsing import MessageParser, Reading

KINDS = [
    pytest.param(
        "mosquitto",
        marks=pytest.mark.skipif(find_mosquitto() is None, reason="mosquitto not installed"),
    ),
    "amqtt",
]


class Subscriber:
    """A bare paho client that keeps what it receives."""

    def __init__(self, endpoint: DemoEndpoint, topic: str = "compost/#") -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, 1)
        self.client.on_subscribe = lambda c, u, mid, rcs, p: self.subscribed.set()
        self.client.on_message = lambda c, u, m: self.messages.append((m.topic, bytes(m.payload)))
        self.client.connect(endpoint.host, endpoint.port)
        self.client.loop_start()
        assert self.subscribed.wait(5), "no SUBACK from the demo broker"

    def wait_for(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.messages) >= count, f"only {len(self.messages)} messages"

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("kind", KINDS)
def test_broker_relays_a_published_message_and_stops_cleanly(kind: str) -> None:
    broker = DemoBroker(prefer=kind)  # type: ignore[arg-type]
    endpoint = broker.start()
    try:
        assert endpoint.host == "127.0.0.1" and endpoint.url.startswith("mqtt://127.0.0.1:")
        assert broker.kind == kind and broker.is_running
        sub = Subscriber(endpoint)
        pub = mqtt.Client(CallbackAPIVersion.VERSION2)
        pub.connect(endpoint.host, endpoint.port)
        pub.loop_start()
        pub.publish("compost/sensor/data", b'{"device_id": "x", "temperature": 50}', qos=1)
        sub.wait_for(1)
        pub.disconnect()
        pub.loop_stop()
        sub.close()
        assert sub.messages[0] == ("compost/sensor/data", b'{"device_id": "x", "temperature": 50}')
    finally:
        pid = broker.pid
        broker.stop()
    assert not broker.is_running
    if pid is not None:
        assert _process_gone(pid)
    broker.stop()  # twice is harmless


@pytest.mark.parametrize("kind", KINDS)
def test_feed_publishes_parseable_farm_json_at_wall_clock_time(kind: str) -> None:
    demo = Demo(prefer=kind, devices=2, rate_hz=20.0)  # type: ignore[arg-type]
    endpoint = demo.start()
    try:
        sub = Subscriber(endpoint)
        sub.wait_for(10)
        sub.close()
    finally:
        pid = demo.broker.pid
        demo.stop()
    assert not demo.broker.is_running
    if pid is not None:
        assert _process_gone(pid)
    assert not [t for t in threading.enumerate() if t.name in ("demo-feed", "demo-broker")]
    parser = MessageParser()
    readings = [r for topic, payload in sub.messages for r in parser.parse(topic, payload)]
    assert parser.rejected == 0
    assert {r.device_id for r in readings} == {"node-1", "node-2"}
    temps = [r for r in readings if isinstance(r, Reading) and r.quantity == "temperature"]
    assert temps and all(15 < r.value < 90 for r in temps)
    # Time-lapse: the pile ages fast but timestamps stay near the wall clock.
    assert all(
        isinstance(r, Reading) and abs((r.received_at - r.measured_at).total_seconds()) < 60
        for r in readings
    )


def test_time_lapse_ages_the_pile_fast_and_wraps_to_a_new_pile() -> None:
    endpoint = DemoEndpoint("127.0.0.1", 1)
    feed = DemoFeed(endpoint, speed=600.0, rate_hz=1.0, start_age_days=1.0)
    sim = feed.simulator
    stamp0, age0 = sim.tick_time(0)
    stamp1, age1 = sim.tick_time(1)
    assert (stamp1 - stamp0).total_seconds() == pytest.approx(1.0)
    assert age1 - age0 == pytest.approx(600.0)
    _, wrapped = sim.tick_time(int(sim.life_s / 600.0) + 1)
    assert wrapped < sim.life_s
    assert json.loads(sim.messages_for_tick(0)[0])["device_id"] == "node-1"
