"""The MQTT side of monitoring: subscribe, parse on paho's thread, queue for whoever drains.

paho's network thread only parses and appends to a deque; the GUI drains it on a timer and
the headless recorder in a loop. One cross-thread signal per message would flood Qt's event
loop, and an exception escaping a paho callback stops its loop silently, so callbacks here
catch everything. Subscriptions are made in on_connect so they survive reconnects, with a
persistent session (clean_session=False, fixed client id) so QoS 1 messages sent while we
were away are delivered when we return.

With `manual_ack`, a QoS 1 message is not acknowledged on receipt: a `Delivery` follows its
items in the queue, and whoever stores them hands it back to `acknowledge` once they are
committed. Until then the broker keeps the message, so a crash loses nothing it has not kept.

With `raw`, paho's thread does not parse at all: it queues each message as a `RawMessage`
tuple for a consumer that parses elsewhere (the headless recorder's worker process).
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

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
    ca_file: str | None = None  # CA certificate (PEM) to trust; None: the system's

    @classmethod
    def from_url(cls, url: str, client_id: str | None = None) -> BrokerConfig:
        """mqtt://[user[:password]@]host[:port], or mqtts:// for TLS (default port 8883).

        ``?ca_file=/path/ca.pem`` trusts that CA (and turns TLS on).
        """
        parts = urlsplit(url if "://" in url else f"mqtt://{url}")
        if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
            raise ValueError(f"'{url}' is not a broker address; use mqtt://host:port")
        if not parts.hostname:
            raise ValueError(f"'{url}' names no broker host; use mqtt://host:port")
        ca_files = parse_qs(parts.query).get("ca_file")
        ca_file = ca_files[0] if ca_files else None
        tls = parts.scheme in ("mqtts", "ssl") or ca_file is not None
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
            ca_file=ca_file,
        )

    def describe(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Delivery:
    """A QoS 1/2 message to acknowledge once the items queued before it are stored."""

    mid: int
    qos: int
    connection: int  # message ids are per connection; a stale one must never be acked


# A message as received, for parsing elsewhere: topic, payload, receive time (epoch seconds),
# retain flag. A plain tuple: it crosses a process boundary by the thousand.
RawMessage = tuple[str, bytes, float, bool]

Item = Reading | DeviceStatus | LastKnown | LinkEvent | Delivery | RawMessage


class SensorClient:
    """Subscribes to the farm's sensor topics and queues parsed readings for draining."""

    def __init__(
        self,
        config: BrokerConfig,
        patterns: TopicPatterns | None = None,
        parser: MessageParser | None = None,
        max_queue: int = MAX_QUEUE,
        manual_ack: bool = False,
        skip_retained_untimed: bool = False,
        raw: bool = False,
    ) -> None:
        """`raw` queues messages unparsed (`RawMessage`); `parser` and `skip_retained_untimed`
        are then the consumer's business."""
        self.config = config
        self.raw = raw
        self.parser = parser or MessageParser(patterns)
        self.patterns = self.parser.patterns
        self.state = LinkState.OFFLINE
        self.state_since = datetime.now(UTC)
        self.dropped = 0  # items lost to a full queue (nobody draining for a long time)
        self.callback_errors = 0
        self.stale_acks = 0  # stored after their connection was lost; the broker resends them
        self.manual_ack = manual_ack
        # A retained value replayed at (re)subscribe (ESPHome publishes retained) without a
        # device time is no new measurement: recording it would invent one per connect.
        self.skip_retained_untimed = skip_retained_untimed
        self.retained_skipped = 0
        self._connection = 0
        self._arrived = threading.Event()
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
            manual_ack=manual_ack,
        )
        self._client.suppress_exceptions = True  # our callbacks catch; this is the backstop
        self._client.max_inflight_messages_set(100)
        self._client.max_queued_messages_set(0)
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        if config.username:
            self._client.username_pw_set(config.username, config.password)
        if config.tls or config.ca_file:
            self._client.tls_set(ca_certs=config.ca_file or None, cert_reqs=ssl.CERT_REQUIRED)
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

    def disconnect(self) -> None:
        """Send the broker a DISCONNECT without waiting for paho's thread (see `stop`).

        A caller that cannot wait (the GUI thread) disconnects at once, so a client started
        next with the same id is not fought over, and runs `stop` on a worker.
        """
        if self._started:
            self._client.disconnect()

    def stop(self) -> None:
        """Disconnect and end paho's network thread; joins it, so it may take a moment."""
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

    def wait(self, timeout: float) -> bool:
        """Block until something was queued since the last drain, or `timeout` seconds."""
        arrived = self._arrived.wait(timeout)
        self._arrived.clear()
        return arrived

    def acknowledge(self, deliveries: list[Delivery]) -> None:
        """Tell the broker these messages are stored (`manual_ack`); any thread may call it."""
        current = self._connection
        for delivery in deliveries:
            if delivery.connection != current:
                # The broker resends it on the new connection; the copy is stored once.
                self.stale_acks += 1
                continue
            self._client.ack(delivery.mid, delivery.qos)

    # --- paho callbacks (network thread) ---------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        try:
            if reason.is_failure:
                self._set_state(LinkState.RECONNECTING, f"broker refused: {reason}")
                return
            self._connection += 1
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
            problem = tls_problem(self.config) if self.config.tls else None
            self._set_state(
                LinkState.RECONNECTING, problem or f"cannot reach {self.config.describe()}"
            )
        except Exception:
            self._callback_failed("on_connect_fail")

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        items: list[Any] = []
        try:
            if self.raw:
                items = [(message.topic, bytes(message.payload), time.time(), bool(message.retain))]
            else:
                items = self._parse(message)
        except Exception:  # e.g. a topic that is not UTF-8
            self._callback_failed("on_message")
        try:
            if self.manual_ack and message.qos:
                # Even a message we could not use is acknowledged, after what came before
                # it: unacknowledged, it would hold one of the broker's in-flight slots.
                items.append(Delivery(message.mid, message.qos, self._connection))
            if items:
                self._append(items)
        except Exception:
            self._callback_failed("on_message")

    def _parse(self, message: mqtt.MQTTMessage) -> list[Any]:
        items: list[Any] = self.parser.parse(
            message.topic, bytes(message.payload), retained=bool(message.retain)
        )
        # The parser turns a retained value without a device time into LastKnown; this
        # catches any other retained reading that carries no time of its own.
        if message.retain and self.skip_retained_untimed and items:
            kept = [i for i in items if type(i) is not Reading or i.measured_at != i.received_at]
            self.retained_skipped += len(items) - len(kept)
            items = kept
        return items

    def _append(self, items: list[Any]) -> None:
        with self._lock:
            room = self._max_queue - len(self._queue)
            if room < len(items):
                self.dropped += len(items) - max(room, 0)
                items = items[: max(room, 0)]
            self._queue.extend(items)
        if not self._arrived.is_set():
            self._arrived.set()

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


def tls_problem(config: BrokerConfig, timeout: float = 5.0) -> str | None:
    """Why a TLS connection to the broker fails, when the reason is TLS (paho does not say).

    A certificate the CA file (or the system) does not trust must read as a certificate
    failure, not as an unreachable broker.
    """
    context = ssl.create_default_context(cafile=config.ca_file or None)
    try:
        with (
            socket.create_connection((config.host, config.port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=config.host),
        ):
            return None
    except ssl.SSLCertVerificationError as exc:
        return f"certificate of {config.describe()} not trusted ({exc.verify_message}); " + (
            "check the CA file" if config.ca_file else "set the broker's CA file"
        )
    except ssl.SSLError as exc:
        return f"TLS with {config.describe()} failed ({exc.reason or exc})"
    except FileNotFoundError:
        return f"CA file {config.ca_file} not found"
    except OSError:
        return None  # not a TLS problem: the broker cannot be reached
