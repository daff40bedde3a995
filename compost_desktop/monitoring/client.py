"""The MQTT side of monitoring: subscribe, parse on paho's thread, queue for whoever drains.

paho's network thread only parses and appends to a deque; the GUI drains it on a timer and
the headless recorder in a loop. One cross-thread signal per message would flood Qt's event
loop, and an exception escaping a paho callback stops its loop silently, so callbacks here
catch everything. Subscriptions are made in on_connect so they survive reconnects, with a
persistent session (clean_session=False, fixed client id) so QoS 1 messages sent while we
were away are delivered when we return.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from compost_desktop.monitoring.parsing import (
    DeviceStatus,
    LastKnown,
    MessageParser,
    Reading,
    TopicPatterns,
)

log = logging.getLogger(__name__)

MAX_QUEUE = 500_000


class LinkState(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class LinkEvent:
    state: LinkState
    at: datetime
    detail: str = ""


@dataclass(frozen=True, slots=True)
class BrokerConfig:
    host: str
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: bool = False
    client_id: str | None = None
    keepalive: int = 30

    @classmethod
    def from_url(cls, url: str, client_id: str | None = None) -> BrokerConfig:
        """mqtt://[user[:password]@]host[:port], or mqtts:// for TLS (default port 8883)."""
        parts = urlsplit(url if "://" in url else f"mqtt://{url}")
        if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
            raise ValueError(f"'{url}' is not a broker address; use mqtt://host:port")
        if not parts.hostname:
            raise ValueError(f"'{url}' names no broker host; use mqtt://host:port")
        tls = parts.scheme in ("mqtts", "ssl")
        try:
            port = parts.port or (8883 if tls else 1883)
        except ValueError as exc:
            raise ValueError(f"'{url}' has an invalid port") from exc
        return cls(
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
            client_id=client_id,
        )

    def describe(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


Item = Reading | DeviceStatus | LastKnown | LinkEvent


class SensorClient:
    """Subscribes to the farm's sensor topics and queues parsed readings for draining."""

    def __init__(
        self,
        config: BrokerConfig,
        patterns: TopicPatterns | None = None,
        parser: MessageParser | None = None,
        max_queue: int = MAX_QUEUE,
    ) -> None:
        self.config = config
        self.parser = parser or MessageParser(patterns)
        self.patterns = self.parser.patterns
        self.state = LinkState.OFFLINE
        self.state_since = datetime.now(UTC)
        self.dropped = 0  # items lost to a full queue (nobody draining for a long time)
        self.callback_errors = 0
        self._queue: deque[Item] = deque()
        self._max_queue = max_queue
        self._lock = threading.Lock()
        # A persistent session needs the same id on every connect, and distinct ids per PC.
        client_id = config.client_id or f"compost-desktop-{uuid.uuid4().hex[:12]}"
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
        )
        self._client.suppress_exceptions = True  # our callbacks catch; this is the backstop
        self._client.max_inflight_messages_set(100)
        self._client.max_queued_messages_set(0)
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        if config.username:
            self._client.username_pw_set(config.username, config.password)
        if config.tls:
            self._client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_connect_fail = self._on_connect_fail
        self._started = False

    @property
    def client_id(self) -> str:
        return str(self._client._client_id.decode())

    def start(self) -> None:
        """Connect in the background; an unreachable broker is retried, never raised."""
        if self._started:
            return
        self._started = True
        self._set_state(LinkState.CONNECTING, self.config.describe())
        try:
            self._client.connect_async(
                self.config.host, self.config.port, keepalive=self.config.keepalive
            )
        except (OSError, ValueError) as exc:  # e.g. a host name that does not resolve
            self._set_state(LinkState.RECONNECTING, str(exc))
        self._client.loop_start()

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        try:
            self._client.disconnect()
        finally:
            self._client.loop_stop()
        self._set_state(LinkState.OFFLINE, "stopped")

    def drain(self, limit: int | None = None) -> list[Item]:
        """Take what has arrived; called from one consumer thread."""
        with self._lock:
            if limit is None or limit >= len(self._queue):
                items = list(self._queue)
                self._queue.clear()
            else:
                items = [self._queue.popleft() for _ in range(limit)]
        return items

    @property
    def pending(self) -> int:
        return len(self._queue)

    # --- paho callbacks (network thread) ---------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        try:
            if reason.is_failure:
                self._set_state(LinkState.RECONNECTING, f"broker refused: {reason}")
                return
            topics = [(t, 1) for t in self.patterns.subscriptions()]
            if topics:
                client.subscribe(topics)
            self._set_state(LinkState.CONNECTED, self.config.describe())
        except Exception:
            self._callback_failed("on_connect")

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        try:
            if self._started:
                self._set_state(LinkState.RECONNECTING, f"connection lost: {reason}")
        except Exception:
            self._callback_failed("on_disconnect")

    def _on_connect_fail(self, _client: mqtt.Client, _userdata: Any) -> None:
        try:
            self._set_state(LinkState.RECONNECTING, f"cannot reach {self.config.describe()}")
        except Exception:
            self._callback_failed("on_connect_fail")

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            items = self.parser.parse(
                message.topic, bytes(message.payload), retained=bool(message.retain)
            )
            if items:
                self._append(items)
        except Exception:
            self._callback_failed("on_message")

    def _append(self, items: list[Any]) -> None:
        with self._lock:
            room = self._max_queue - len(self._queue)
            if room < len(items):
                self.dropped += len(items) - max(room, 0)
                items = items[: max(room, 0)]
            self._queue.extend(items)

    def _set_state(self, state: LinkState, detail: str) -> None:
        if state is not self.state:
            log.info("MQTT %s: %s", state.value, detail)
            self.state = state
            self.state_since = datetime.now(UTC)
        self._append([LinkEvent(state, datetime.now(UTC), detail)])

    def _callback_failed(self, where: str) -> None:
        self.callback_errors += 1
        log.exception("Error in MQTT %s; the connection keeps running", where)


def broker_reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    """A quick TCP check before deciding to fall back to the demo broker."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
