"""A simulated compost pile and an MQTT publisher for it, for demos and tests without sensors.

`PileModel` is a pure function of (seed, device, simulated time): no state advances between
calls, so any moment of a cycle can be sampled in any order and tests need no broker.
`Simulator` publishes the model in the farm JSON format on ``compost/sensor/data``.

The cycle the model follows (days since the pile was built, all ranges drawn from the seed):

* mesophilic: from ambient (~20 °C) up to the plateau within 1.2–2.2 days;
* thermophilic: 59–63 °C (band 55–68 °C with slow wander) for 16–20 days, turned every
  2.5–3 days; each turning drops the core 10–15 °C and it recovers within hours;
* cooling: exponential decay towards ambient (time constant 5–7 days);
* curing: a few degrees above ambient, slowly fading.

Device 0 is the core probe; higher indices sit closer to the edge: up to ~4 °C cooler, and
they follow part of the day/night swing of the air. Moisture dries from ~60 % (faster while
hot) and jumps up when the pile is watered below ~45 %; O2 falls as the pile heats and compacts
and recovers on turning; CO2 mirrors the O2 consumed.
"""

from __future__ import annotations

import bisect
import json
import logging
import math
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

log = logging.getLogger(__name__)

DAY: Final = 86_400.0
HOUR: Final = 3_600.0
AMBIENT_O2: Final = 20.9
AMBIENT_CO2_PPM: Final = 420.0
FARM_TOPIC: Final = "compost/sensor/data"

_MASK64: Final = (1 << 64) - 1
_MOISTURE_STEP_S: Final = HOUR
_MOISTURE_HORIZON_S: Final = 365 * DAY

# Noise stream ids, so quantities and devices never share random numbers.
_S_WANDER, _S_TEMP, _S_MOIST, _S_O2, _S_HUM, _S_OFFSET, _S_MOIST_OFFSET = range(7)


def _mix64(x: int) -> int:
    """splitmix64 finaliser: a cheap, stateless, well-distributed hash."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def _unit_noise(seed: int, stream: int, device: int, step: int) -> float:
    """Deterministic pseudo-random number in [-1, 1) for one (seed, stream, device, step)."""
    h = _mix64((seed ^ (stream << 56) ^ (device << 32)) & _MASK64)
    h = _mix64(h ^ (step & _MASK64))
    return h / float(1 << 63) - 1.0


def _smooth_noise(seed: int, stream: int, device: int, t: float, scale_s: float) -> float:
    """Value noise in [-1, 1] that varies smoothly over `scale_s`, for slow drifts."""
    x = t / scale_s
    i = math.floor(x)
    f = x - i
    f = f * f * (3.0 - 2.0 * f)
    a = _unit_noise(seed, stream, device, i)
    b = _unit_noise(seed, stream, device, i + 1)
    return a + (b - a) * f


@dataclass(frozen=True, slots=True)
class PileProfile:
    """The seeded parameters of one simulated cycle (times in days, temperatures in °C)."""

    ambient_c: float
    diurnal_amplitude_c: float
    plateau_c: float
    wander_c: float
    rise_days: float
    cooling_start_days: float
    cooling_tau_days: float
    residual_heat_fraction: float
    dip_c: float
    dip_recovery_hours: float
    initial_moisture: float
    watering_threshold: float
    watering_amount: float
    o2_depletion: float
    o2_tau_days: float


class PileModel:
    """Deterministic compost pile: probe temperatures, moisture, humidity, O2 and CO2 over time."""

    def __init__(self, seed: int = 0, *, gases: bool = True) -> None:
        """`gases=False` models a farm whose nodes have no O2/CO2 sensor."""
        self.seed = seed
        self.gases = gases
        rng = random.Random(seed)
        rise = rng.uniform(1.2, 2.2)
        self.profile = PileProfile(
            ambient_c=20.0 + rng.uniform(-2.0, 2.0),
            diurnal_amplitude_c=rng.uniform(2.0, 4.0),
            plateau_c=rng.uniform(59.0, 63.0),
            wander_c=1.5,
            rise_days=rise,
            cooling_start_days=rise + rng.uniform(16.0, 20.0),
            cooling_tau_days=rng.uniform(5.0, 7.0),
            residual_heat_fraction=0.06,
            dip_c=rng.uniform(10.0, 15.0),
            dip_recovery_hours=rng.uniform(3.0, 5.0),
            initial_moisture=rng.uniform(58.0, 62.0),
            watering_threshold=rng.uniform(44.0, 47.0),
            watering_amount=rng.uniform(10.0, 14.0),
            o2_depletion=rng.uniform(12.0, 16.0),
            o2_tau_days=rng.uniform(1.0, 1.5),
        )
        turns: list[float] = []
        t = rise + rng.uniform(0.5, 1.0)
        while t < self.profile.cooling_start_days - 1.0:
            turns.append(t * DAY)
            t += rng.uniform(2.5, 3.0)
        self.turn_times_s: tuple[float, ...] = tuple(turns)
        self._watering_times_s: list[float] = []
        self._moisture_table = self._build_moisture_table()

    @property
    def watering_times_s(self) -> tuple[float, ...]:
        """When the simulated operator watered the pile (seconds since the pile was built)."""
        return tuple(self._watering_times_s)

    def phase(self, t_seconds: float) -> str:
        """Phase name at a pile age, as the brief defines them."""
        days = max(t_seconds, 0.0) / DAY
        p = self.profile
        if days < p.rise_days:
            return "mesophilic"
        if days < p.cooling_start_days:
            return "thermophilic"
        if days < p.cooling_start_days + 3.0 * p.cooling_tau_days:
            return "cooling"
        return "curing"

    def sample(self, device_index: int, t_seconds: float) -> dict[str, float]:
        """Readings of one device at `t_seconds` after the pile was built."""
        if not math.isfinite(t_seconds):
            raise ValueError(f"simulated time must be finite, got {t_seconds!r}")
        if device_index < 0:
            raise ValueError(f"device index must be >= 0, got {device_index}")
        t = max(t_seconds, 0.0)
        p = self.profile
        seed = self.seed
        depth = self._depth_factor(device_index)
        exposure = min(1.0, (1.0 - depth) * 5.0)
        day_phase = math.sin(2.0 * math.pi * (t / DAY - 0.375))  # air is warmest mid-afternoon
        minute = int(t // 60.0)

        activity = self._activity(t)
        heat = (p.plateau_c - p.ambient_c) * activity
        heat += p.wander_c * activity * _smooth_noise(seed, _S_WANDER, 0, t, 8.0 * HOUR)
        last_turn = self._last_turn(t)
        if last_turn is not None:
            heat -= p.dip_c * math.exp(-(t - last_turn) / (p.dip_recovery_hours * HOUR))
        temperature = (
            p.ambient_c
            + exposure * p.diurnal_amplitude_c * day_phase
            + depth * heat
            + 0.6 * _unit_noise(seed, _S_OFFSET, device_index, 0)
            + 0.3 * _unit_noise(seed, _S_TEMP, device_index, minute)
        )

        moisture = (
            self._pile_moisture(t)
            + 1.5 * _unit_noise(seed, _S_MOIST_OFFSET, device_index, 0)
            + 0.4 * _unit_noise(seed, _S_MOIST, device_index, minute)
        )
        humidity = 62.0 - 12.0 * day_phase + 1.0 * _unit_noise(seed, _S_HUM, device_index, minute)

        values = {
            "temperature": min(max(temperature, -40.0), 90.0),
            "moisture": min(max(moisture, 0.0), 100.0),
            "humidity": min(max(humidity, 5.0), 100.0),
        }
        if self.gases:
            since_aeration = t - (last_turn if last_turn is not None else 0.0)
            depletion = (
                p.o2_depletion
                * min(activity, 1.0)
                * depth
                * depth
                * (1.0 - math.exp(-since_aeration / (p.o2_tau_days * DAY)))
            )
            o2 = AMBIENT_O2 - depletion + 0.2 * _unit_noise(seed, _S_O2, device_index, minute)
            o2 = min(max(o2, 0.0), AMBIENT_O2)
            # Aerobic respiration gives off about 0.9 mol CO2 per mol O2 consumed.
            values["o2"] = o2
            values["co2"] = AMBIENT_CO2_PPM + 0.9 * (AMBIENT_O2 - o2) * 10_000.0
        return values

    # -- the pieces of the curve --

    @staticmethod
    def _depth_factor(device_index: int) -> float:
        """1.0 for the core probe, falling towards 0.9 for probes near the edge."""
        return 1.0 - 0.1 * (1.0 - math.exp(-device_index / 3.0))

    def _activity(self, t: float) -> float:
        """Microbial heat output relative to the plateau: 0 at build, 1 when thermophilic."""
        p = self.profile
        days = t / DAY
        if days < p.rise_days:
            x = days / p.rise_days
            return x * x * (3.0 - 2.0 * x)
        if days < p.cooling_start_days:
            return 1.0
        since = days - p.cooling_start_days
        r = p.residual_heat_fraction
        return (1.0 - r) * math.exp(-since / p.cooling_tau_days) + r * math.exp(-since / 40.0)

    def _last_turn(self, t: float) -> float | None:
        i = bisect.bisect_right(self.turn_times_s, t)
        return self.turn_times_s[i - 1] if i else None

    def _build_moisture_table(self) -> list[float]:
        """Integrate drying and watering once, hourly, so `sample` stays a pure lookup."""
        p = self.profile
        rng = random.Random(self.seed ^ 0x5EED)
        moisture = p.initial_moisture
        table = [moisture]
        steps = int(_MOISTURE_HORIZON_S / _MOISTURE_STEP_S)
        for step in range(1, steps + 1):
            t = step * _MOISTURE_STEP_S
            # Hot piles lose water to steam; a curing pile barely dries.
            per_day = 0.2 + 1.0 * self._activity(t)
            moisture -= per_day * _MOISTURE_STEP_S / DAY
            if moisture < p.watering_threshold:
                moisture += p.watering_amount * rng.uniform(0.9, 1.1)
                self._watering_times_s.append(t)
            table.append(moisture)
        return table

    def _pile_moisture(self, t: float) -> float:
        table = self._moisture_table
        x = t / _MOISTURE_STEP_S
        i = int(x)
        if i >= len(table) - 1:
            return table[-1]
        a = table[i]
        b = table[i + 1]
        # Watering is a jump, not a ramp: hold the old value until the step that watered.
        if b > a:
            return a
        return a + (b - a) * (x - i)


def _iso_utc(moment: datetime) -> str:
    text = moment.astimezone(UTC).isoformat(
        timespec="milliseconds" if moment.microsecond else "seconds"
    )
    return text.replace("+00:00", "Z")


_DECIMALS: Final = {"temperature": 2, "moisture": 1, "humidity": 1, "o2": 2, "co2": 0}


class Simulator:
    """Publishes a `PileModel` as farm JSON over MQTT, like a set of real sensor nodes.

    With `speed` > 1 the message timestamps run ahead of the wall clock; a recorder that rejects
    readings more than a day in the future will start rejecting them after
    ``86400 / (speed - 1)`` real seconds. To replay a cycle fast, pass a `start` in the past.
    """

    def __init__(
        self,
        host: str = "localhost",
        port: int = 1883,
        *,
        devices: int = 3,
        rate_hz: float = 1.0,
        speed: float = 1.0,
        seed: int = 0,
        start: datetime | None = None,
        start_age_s: float = 0.0,
        topic: str = FARM_TOPIC,
        qos: int = 1,
        username: str | None = None,
        password: str | None = None,
        client_id: str = "",
        keepalive_s: int = 30,
        drain_timeout_s: float = 5.0,
        model: PileModel | None = None,
    ) -> None:
        """`start` is the timestamp of the first tick (default now); `start_age_s` the pile age."""
        if devices < 1:
            raise ValueError("devices must be at least 1")
        if not (math.isfinite(rate_hz) and rate_hz > 0):
            raise ValueError("rate_hz must be a positive number")
        if not (math.isfinite(speed) and speed > 0):
            raise ValueError("speed must be a positive number")
        if not 0 < port < 65536:
            raise ValueError("port must be between 1 and 65535")
        if qos not in (0, 1, 2):
            raise ValueError("qos must be 0, 1 or 2")
        self.host = host
        self.port = port
        self.devices = devices
        self.rate_hz = rate_hz
        self.speed = speed
        if start is None:
            start = datetime.now(UTC)
        elif start.tzinfo is None:
            start = start.replace(tzinfo=UTC)  # as the parser reads naive timestamps
        self.start = start.astimezone(UTC)
        self.start_age_s = start_age_s
        self.topic = topic
        self.qos = qos
        self.username = username
        self.password = password
        self.client_id = client_id
        self.keepalive_s = keepalive_s
        self.drain_timeout_s = drain_timeout_s
        self.model = model if model is not None else PileModel(seed)
        self.published = 0
        self.acknowledged = 0
        self.dropped = 0
        self.skipped_ticks = 0
        self._connected = threading.Event()
        self._acks = threading.Condition()

    # -- messages (no broker involved) --

    def device_id(self, device_index: int) -> str:
        """Device ids as the farm's nodes name themselves: node-1, node-2, ..."""
        return f"node-{device_index + 1}"

    def tick_time(self, tick: int) -> tuple[datetime, float]:
        """Timestamp and pile age of a tick: each tick advances speed / rate_hz simulated s."""
        elapsed = tick * self.speed / self.rate_hz
        return self.start + timedelta(seconds=elapsed), self.start_age_s + elapsed

    def messages_for_tick(self, tick: int) -> list[bytes]:
        """One farm-JSON payload per device for one tick."""
        moment, age = self.tick_time(tick)
        stamp = _iso_utc(moment)
        payloads: list[bytes] = []
        for index in range(self.devices):
            message: dict[str, object] = {"device_id": self.device_id(index)}
            for quantity, value in self.model.sample(index, age).items():
                decimals = _DECIMALS.get(quantity, 2)
                message[quantity] = round(value, decimals) if decimals else round(value)
            message["timestamp"] = stamp
            payloads.append(json.dumps(message).encode())
        return payloads

    # -- publishing --

    def run(self, stop_event: threading.Event, max_messages: int | None = None) -> int:
        """Publish until `stop_event` is set or `max_messages` were sent; returns the count.

        Reconnects by itself while the broker is away; ticks that fall due meanwhile are
        skipped, as a real node that lost its connection would not deliver them either.
        """
        self.published = self.acknowledged = self.dropped = self.skipped_ticks = 0
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=self.client_id, clean_session=True
        )
        if self.username is not None:
            client.username_pw_set(self.username, self.password)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.max_inflight_messages_set(100)
        # Bounds memory if the broker stalls without dropping the connection.
        client.max_queued_messages_set(10_000)
        client.connect_async(self.host, self.port, keepalive=self.keepalive_s)
        client.loop_start()
        try:
            self._publish_loop(client, stop_event, max_messages)
            self._drain()
        finally:
            # Cleared first: our own disconnect is not "lost the broker" (a normal quit warned).
            self._connected.clear()
            client.disconnect()
            client.loop_stop()
        log.info(
            "Simulator stopped: %d published, %d acknowledged, %d dropped, %d ticks skipped",
            self.published,
            self.acknowledged,
            self.dropped,
            self.skipped_ticks,
        )
        return self.published

    def _publish_loop(
        self, client: mqtt.Client, stop_event: threading.Event, max_messages: int | None
    ) -> None:
        period = 1.0 / self.rate_hz
        started = time.monotonic()
        tick = 0
        while not stop_event.is_set():
            if max_messages is not None and self.published >= max_messages:
                return
            if not self._connected.is_set():
                self._connected.wait(0.1)
                continue
            now = time.monotonic()
            due = started + tick * period
            if due > now:
                stop_event.wait(min(due - now, 0.5))
                continue
            if now - due > max(period, 1.0):
                # Fell behind (broker away, machine asleep): resume at the current tick.
                caught_up = int((now - started) / period)
                self.skipped_ticks += caught_up - tick
                tick = caught_up
            for payload in self.messages_for_tick(tick):
                if max_messages is not None and self.published >= max_messages:
                    break
                info = client.publish(self.topic, payload, qos=self.qos)
                # With QoS > 0 paho keeps a message it could not send yet and sends it on
                # reconnect, so NO_CONN still counts as published.
                if info.rc in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
                    self.published += 1
                else:
                    self.dropped += 1
            tick += 1

    def _drain(self) -> None:
        """Give the broker a moment to acknowledge what was sent, so a stop loses nothing."""
        if self.qos == 0:
            return
        deadline = time.monotonic() + self.drain_timeout_s
        with self._acks:
            while self.acknowledged < self.published and self._connected.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    log.warning(
                        "Stopping with %d messages not acknowledged by the broker",
                        self.published - self.acknowledged,
                    )
                    return
                self._acks.wait(min(remaining, 0.1))

    # -- paho callbacks (run on paho's network thread) --

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Any,
    ) -> None:
        if reason_code.is_failure:
            log.warning("Broker %s:%d refused the simulator: %s", self.host, self.port, reason_code)
            return
        log.info("Simulator connected to %s:%d", self.host, self.port)
        self._connected.set()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Any,
    ) -> None:
        if self._connected.is_set():
            log.warning("Simulator lost the broker (%s); reconnecting", reason_code)
        self._connected.clear()
        with self._acks:
            self._acks.notify_all()

    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_code: ReasonCode,
        properties: Any,
    ) -> None:
        with self._acks:
            self.acknowledged += 1
            self._acks.notify_all()
