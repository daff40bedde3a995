"""GUI event-loop latency of the open monitoring window while 2,000 readings/s arrive.

A feeder thread queues readings (8 probes x temperature, moisture, humidity) into a client
fake exactly as paho's thread would; the window drains, buffers, alarms, gauges and plots
them as in the app. A 10 ms PreciseTimer measures how late the event loop serves it; the
same probe on the idle window in the same run is the baseline.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

RATE = 2_000  # readings per second
FEED_S = 10.0
IDLE_S = 3.0
PROBE_MS = 10
DEVICES = [f"node-{i}" for i in range(1, 9)]
QUANTITIES = ("temperature", "moisture", "humidity")


class ThreadedFakeClient:
    """Like `SensorClient`: another thread appends, the GUI drains under a lock."""

    def __init__(self) -> None:
        from compost_desktop.monitoring.parsing import MessageParser

        self.parser = MessageParser()
        self.dropped = 0
        self._queue: deque[Any] = deque()
        self._lock = threading.Lock()

    def start(self) -> None:
        pass

    def disconnect(self) -> None:
        pass  # the hub lets go of the broker at once, then stops the client off the GUI thread

    def stop(self) -> None:
        pass

    def push(self, items: list[Any]) -> None:
        with self._lock:
            self._queue.extend(items)

    def drain(self, limit: int | None = None) -> list[Any]:
        with self._lock:
            items = list(self._queue)
            self._queue.clear()
        return items


def _feed(client: ThreadedFakeClient, stop: threading.Event, sent: list[int]) -> None:
    from compost_desktop.monitoring.parsing import Reading

    batch = RATE // 100  # every 10 ms
    started = time.perf_counter()
    tick = 0
    while not stop.is_set():
        now = datetime.now(UTC)
        items = []
        for k in range(batch):
            n = sent[0] + k
            device = DEVICES[n % len(DEVICES)]
            quantity = QUANTITIES[(n // len(DEVICES)) % len(QUANTITIES)]
            value = 55.0 + 10.0 * ((n % 1000) / 1000.0)
            items.append(Reading(device, quantity, value, now, now, "compost/sensor/data"))
        client.push(items)
        sent[0] += batch
        tick += 1
        delay = started + tick * 0.01 - time.perf_counter()
        if delay > 0:
            time.sleep(delay)


def _lateness(app: Any, seconds: float) -> list[float]:
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer

    late: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def on_probe_due() -> None:
        now = clock.nsecsElapsed()
        late.append(max(0.0, (now - last[0]) / 1e6 - PROBE_MS))
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(PROBE_MS)
    timer.timeout.connect(on_probe_due)
    timer.start()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.0005)
    timer.stop()
    return late


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> None:
    from PySide6.QtWidgets import QApplication

    from compost_desktop.gui.context import AppContext
    from compost_desktop.gui.monitoring.hub import MonitoringHub
    from compost_desktop.gui.monitoring.page import MonitoringPage
    from compost_desktop.gui.tasks import ChangeBus, ImmediateRunner
    from compost_desktop.settings import Settings

    app = QApplication.instance() or QApplication([])
    bus = ChangeBus()
    ctx = AppContext(Settings(), ImmediateRunner(bus), bus)
    client = ThreadedFakeClient()
    hub = MonitoringHub(ctx, client=client, demo_enabled=False, record=False)
    page = MonitoringPage(ctx, hub=hub)
    page.resize(1280, 860)
    page.show()
    _lateness(app, 0.5)  # warm-up: first paints, imports

    idle = _lateness(app, IDLE_S)

    stop = threading.Event()
    sent = [0]
    feeder = threading.Thread(target=_feed, args=(client, stop, sent), daemon=True)
    cpu0 = time.process_time()
    feeder.start()
    busy = _lateness(app, FEED_S)
    stop.set()
    feeder.join()
    app.processEvents()
    hub.on_drain_due()
    cpu = time.process_time() - cpu0

    print(
        f"idle window     : lateness p50 {_pct(idle, 0.5):6.2f} ms  p99 {_pct(idle, 0.99):6.2f} ms"
    )
    print(
        f"2,000 readings/s: lateness p50 {_pct(busy, 0.5):6.2f} ms  p99 {_pct(busy, 0.99):6.2f} ms"
        f"  ({len(busy)} probes)"
    )
    print(
        f"readings sent {sent[0]:,}, processed {hub.readings_seen:,} in {FEED_S:.0f} s "
        f"({hub.readings_seen / FEED_S:,.0f}/s), {len(hub.series)} series, "
        f"plot repaints {page.plots.repaints}, process CPU {cpu / FEED_S * 100:.0f} %"
    )
    print(f"median probe interval under load {statistics.median(busy) + PROBE_MS:.2f} ms")
    hub.stop()
    page.close()


if __name__ == "__main__":
    main()
