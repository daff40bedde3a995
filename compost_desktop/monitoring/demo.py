"""A local broker and a simulated pile, so a fresh install shows moving values at once.

`DemoBroker` starts Mosquitto on a free 127.0.0.1 port when the binary is installed (PATH or
/usr/sbin/mosquitto), otherwise an embedded `amqtt` broker on a background thread. `DemoFeed`
publishes a `PileModel` to it as a time-lapse: message timestamps follow the wall clock (the
parser rejects readings far in the future, and plots read naturally), while the pile ages
`speed` times faster, so a whole cycle plays in under two hours and starts again.

Nothing here touches the user's broker, database or settings.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Literal

from compost_desktop.monitoring.simulator import DAY, PileModel, Simulator

log = logging.getLogger(__name__)

LOOPBACK: Final = "127.0.0.1"
MOSQUITTO_FALLBACK: Final = "/usr/sbin/mosquitto"
READY_TIMEOUT_S: Final = 10.0
STOP_TIMEOUT_S: Final = 5.0
_PORT_ATTEMPTS: Final = 3

BrokerKind = Literal["mosquitto", "amqtt"]


@dataclass(frozen=True, slots=True)
class DemoEndpoint:
    """Where the demo broker listens (anonymous, plain TCP)."""

    host: str
    port: int

    @property
    def url(self) -> str:
        """The ``mqtt://`` form `BrokerConfig.from_url` and the CLI understand."""
        return f"mqtt://{self.host}:{self.port}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def find_mosquitto() -> str | None:
    """The mosquitto binary; Debian installs it in /usr/sbin, often not on a user's PATH."""
    found = shutil.which("mosquitto")
    if found:
        return found
    if os.access(MOSQUITTO_FALLBACK, os.X_OK):
        return MOSQUITTO_FALLBACK
    return None


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


class DemoBroker:
    """A private broker for the demo; `start()` blocks until it accepts connections."""

    def __init__(self, prefer: BrokerKind | None = None) -> None:
        """`prefer` forces one kind (tests); by default Mosquitto when installed."""
        binary = find_mosquitto()
        if prefer == "mosquitto" and binary is None:
            raise RuntimeError("mosquitto is not installed")
        self.kind: BrokerKind = prefer or ("mosquitto" if binary else "amqtt")
        self._binary = binary
        self.endpoint: DemoEndpoint | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: Path | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_async: asyncio.Event | None = None

    @property
    def is_running(self) -> bool:
        """Whether the broker process or thread is alive."""
        if self._proc is not None:
            return self._proc.poll() is None
        return self._thread is not None and self._thread.is_alive()

    @property
    def pid(self) -> int | None:
        """The Mosquitto process id (None for the embedded broker)."""
        return self._proc.pid if self._proc is not None else None

    def start(self) -> DemoEndpoint:
        """Start on a free port (retrying if another process takes it first)."""
        if self.endpoint is not None and self.is_running:
            return self.endpoint
        last_error: Exception | None = None
        for _ in range(_PORT_ATTEMPTS):
            port = free_port()
            try:
                if self.kind == "mosquitto":
                    self._start_mosquitto(port)
                else:
                    self._start_amqtt(port)
            except RuntimeError as exc:
                last_error = exc
                self.stop()
                continue
            self.endpoint = DemoEndpoint(LOOPBACK, port)
            atexit.register(self.stop)
            log.info("Demo broker (%s) listening on %s", self.kind, self.endpoint.url)
            return self.endpoint
        raise RuntimeError(f"could not start the demo broker: {last_error}")

    def stop(self) -> None:
        """Stop the broker and remove its files; safe to call twice."""
        atexit.unregister(self.stop)
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            else:
                proc.wait()
        thread, self._thread = self._thread, None
        if thread is not None:
            loop, stop = self._loop, self._stop_async
            if loop is not None and stop is not None and not loop.is_closed():
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(stop.set)
            thread.join(STOP_TIMEOUT_S)
            if thread.is_alive():
                log.warning("Embedded demo broker did not stop within %.0f s", STOP_TIMEOUT_S)
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        self.endpoint = None

    # -- Mosquitto --

    def _start_mosquitto(self, port: int) -> None:
        assert self._binary is not None
        self._dir = Path(tempfile.mkdtemp(prefix="compost-demo-mqtt-"))
        config = self._dir / "mosquitto.conf"
        lines = [
            f"listener {port} {LOOPBACK}",
            "allow_anonymous true",
            "persistence false",
            f"log_dest file {self._dir / 'mosquitto.log'}",
            "log_type error",
            "log_type warning",
        ]
        if os.geteuid() == 0:
            # Otherwise mosquitto switches to user 'mosquitto' and cannot write our temp dir.
            lines.append("user root")
        config.write_text("\n".join(lines) + "\n")
        self._proc = subprocess.Popen(
            [self._binary, "-c", str(config)],
            cwd=self._dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl+C in the terminal is the app's to handle
        )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited with code {self._proc.returncode}")
            if _accepts(LOOPBACK, port):
                return
            time.sleep(0.02)
        raise RuntimeError(f"mosquitto was not listening after {READY_TIMEOUT_S:.0f} s")

    # -- amqtt --

    def _start_amqtt(self, port: int) -> None:
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._run_amqtt, args=(port, ready, failure), name="demo-broker", daemon=True
        )
        self._thread.start()
        if not ready.wait(READY_TIMEOUT_S):
            raise RuntimeError(f"embedded broker was not ready after {READY_TIMEOUT_S:.0f} s")
        if failure:
            raise RuntimeError(f"embedded broker failed to start: {failure[0]}")

    def _run_amqtt(self, port: int, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve_amqtt(port, ready, failure))
        except BaseException as exc:  # reported to start(); the thread must end quietly
            failure.append(exc)
            ready.set()
        finally:
            loop.close()

    async def _serve_amqtt(
        self, port: int, ready: threading.Event, failure: list[BaseException]
    ) -> None:
        from amqtt.broker import Broker  # type: ignore[import-untyped]

        writers: set[asyncio.StreamWriter] = set()

        class TrackingBroker(Broker):  # type: ignore[misc]
            """amqtt leaves client sockets open on shutdown; remember them to close them."""

            async def stream_connected(
                self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, listener_name: str
            ) -> None:
                writers.add(writer)
                try:
                    await super().stream_connected(reader, writer, listener_name)
                finally:
                    writers.discard(writer)

        config: dict[str, Any] = {
            "listeners": {"default": {"type": "tcp", "bind": f"{LOOPBACK}:{port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {}},
        }
        self._stop_async = asyncio.Event()
        broker = TrackingBroker(config)
        try:
            await broker.start()
        except Exception as exc:
            failure.append(exc)
            ready.set()
            return
        ready.set()
        try:
            await self._stop_async.wait()
        finally:
            await broker.shutdown()
            for writer in list(writers):
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()


class _TimeLapseSimulator(Simulator):
    """Timestamps at wall-clock pace, pile age at `speed`, wrapping to a new pile at the end."""

    def __init__(self, *args: Any, life_s: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.life_s = life_s

    def tick_time(self, tick: int) -> tuple[datetime, float]:
        """Real-time stamp, fast pile age (modulo the pile's life)."""
        real = tick / self.rate_hz
        age = (self.start_age_s + real * self.speed) % self.life_s
        return self.start + timedelta(seconds=real), age


class DemoFeed:
    """Publishes a simulated pile to the demo broker on a background thread."""

    def __init__(
        self,
        endpoint: DemoEndpoint,
        *,
        devices: int = 3,
        rate_hz: float = 1.0,
        speed: float = 600.0,
        start_age_days: float = 1.0,
        seed: int = 7,
    ) -> None:
        """Defaults: 3 probes, 1 message/s each, the pile ageing 10 simulated minutes a second."""
        model = PileModel(seed)
        p = model.profile
        life_s = (p.cooling_start_days + 3.0 * p.cooling_tau_days) * DAY
        self.simulator = _TimeLapseSimulator(
            endpoint.host,
            endpoint.port,
            devices=devices,
            rate_hz=rate_hz,
            speed=speed,
            seed=seed,
            start=datetime.now(UTC),
            start_age_s=start_age_days * DAY,
            model=model,
            life_s=life_s,
            drain_timeout_s=1.0,
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def published(self) -> int:
        """Messages sent so far."""
        return self.simulator.published

    @property
    def is_running(self) -> bool:
        """Whether the publishing thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start publishing; returns at once (the simulator connects on its own)."""
        if self.is_running:
            return
        self._stop.clear()
        self.simulator.start = datetime.now(UTC)
        self._thread = threading.Thread(target=self._run, name="demo-feed", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop publishing and wait for the thread to end."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(STOP_TIMEOUT_S + 2.0)

    def _run(self) -> None:
        try:
            self.simulator.run(self._stop)
        except Exception:  # the demo must never take the app down
            log.exception("Demo feed stopped with an error")


class Demo:
    """Broker plus feed, started and stopped together."""

    def __init__(self, prefer: BrokerKind | None = None, **feed_options: Any) -> None:
        """`feed_options` go to `DemoFeed` (devices, rate_hz, speed...)."""
        self.broker = DemoBroker(prefer)
        self._feed_options = feed_options
        self.feed: DemoFeed | None = None

    @property
    def kind(self) -> BrokerKind:
        """Which broker runs: "mosquitto" or "amqtt"."""
        return self.broker.kind

    def start(self) -> DemoEndpoint:
        """Start the broker (blocking, up to a few seconds), then the feed."""
        endpoint = self.broker.start()
        self.feed = DemoFeed(endpoint, **self._feed_options)
        self.feed.start()
        return endpoint

    def stop(self) -> None:
        """Stop the feed first so it does not spin reconnecting to a vanished broker."""
        if self.feed is not None:
            self.feed.stop()
            self.feed = None
        self.broker.stop()
