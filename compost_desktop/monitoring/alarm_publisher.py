"""Alarms on a retained MQTT topic, so the farm's phones hear them with no PC switched on.

Topic: ``<prefix>/<device>/<kind>`` (prefix ``compost/alarm`` unless the farm set another),
for example ``compost/alarm/node-1/too_hot``. Payload, JSON, retained, QoS 1::

    {"state": "raised", "kind": "too_hot", "title": "too hot", "device_id": "node-1",
     "quantity": "temperature", "value": 80.0, "threshold": 70.0, "unit": "°C",
     "message": "node-1 is too hot: 80.0 °C (above 70.0 °C). Turn or split the pile...",
     "at": "2026-06-11T02:14:05+00:00", "source": "recorder"}

A clear replaces it with ``"state": "cleared"`` (and the clearing value and time), so a
phone subscribing to ``compost/alarm/#`` at any moment gets every condition's latest state.
"""

from __future__ import annotations

import json
import logging
import ssl
import time
from typing import Final

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from compost_desktop.domain.quantities import MOISTURE, TEMPERATURE
from compost_desktop.monitoring.alarms import SILENCE, AlarmEvent
from compost_desktop.monitoring.client import BrokerConfig

log = logging.getLogger(__name__)

UNITS: Final = {TEMPERATURE: "°C", MOISTURE: "%", SILENCE: "s"}


def alarm_topic(prefix: str, event: AlarmEvent) -> str:
    """Where one condition's state is kept; wildcards in a device id cannot leak into it."""
    device = event.device_id.replace("+", "_").replace("#", "_")
    return f"{prefix.rstrip('/')}/{device}/{event.kind.value}"


def alarm_payload(event: AlarmEvent, source: str) -> bytes:
    """The JSON a phone reads (see the module docstring)."""
    return json.dumps(
        {
            "state": "raised" if event.raised else "cleared",
            "kind": event.kind.value,
            "title": event.title,
            "device_id": event.device_id,
            "quantity": event.quantity,
            "value": event.value,
            "threshold": event.threshold,
            "unit": UNITS.get(event.quantity, ""),
            "message": event.message,
            "at": event.at.isoformat(),
            "source": source,
        },
        ensure_ascii=False,
    ).encode()


class AlarmPublisher:
    """Its own MQTT connection, so publishing never waits on the sensor subscription."""

    def __init__(self, config: BrokerConfig, prefix: str, source: str = "recorder") -> None:
        self.prefix = prefix
        self.source = source
        self.published = 0
        base = config.client_id or "compost-desktop"
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"{base}-alarms", protocol=mqtt.MQTTv311
        )
        self._client.suppress_exceptions = True
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        if config.username:
            self._client.username_pw_set(config.username, config.password)
        if config.tls:
            self._client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        self._config = config
        self._started = False
        self._unsent: list[mqtt.MQTTMessageInfo] = []

    def start(self) -> None:
        """Connect in the background; messages published meanwhile wait in paho's queue."""
        if self._started:
            return
        self._started = True
        try:
            self._client.connect_async(self._config.host, self._config.port, keepalive=60)
        except (OSError, ValueError) as exc:
            log.warning("Alarm topic: cannot connect to %s: %s", self._config.describe(), exc)
        self._client.loop_start()

    def publish(self, event: AlarmEvent) -> mqtt.MQTTMessageInfo:
        """Retained, QoS 1: queued by paho while the broker is away, sent on reconnect."""
        info = self._client.publish(
            alarm_topic(self.prefix, event), alarm_payload(event, self.source), qos=1, retain=True
        )
        self.published += 1
        self._unsent = [i for i in self._unsent if not i.is_published()] + [info]
        return info

    def stop(self, timeout: float = 5.0) -> None:
        """Let queued alarms go out (briefly), then disconnect."""
        if not self._started:
            return
        self._started = False
        deadline = time.monotonic() + timeout
        while any(not i.is_published() for i in self._unsent) and time.monotonic() < deadline:
            time.sleep(0.02)
        try:
            self._client.disconnect()
        finally:
            self._client.loop_stop()
