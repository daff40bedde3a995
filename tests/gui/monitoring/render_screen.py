"""Render the monitoring window with a simulated day of readings to a PNG (docs screenshot).

QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.gui.monitoring.render_screen docs/screenshots
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from compost_desktop.monitoring.client import LinkState
from compost_desktop.monitoring.parsing import DeviceStatus, Reading
from compost_desktop.monitoring.simulator import DAY, PileModel

DEVICES = ("node-1", "node-2", "node-3")


def simulated_day(now: datetime, age_now_s: float, step_s: float = 60.0) -> list[Reading]:
    """24 h of readings for three probes, one a minute, ending at `now`."""
    model = PileModel(7)
    readings: list[Reading] = []
    steps = int(DAY / step_s)
    for i in range(steps + 1):
        back = (steps - i) * step_s
        at = now - timedelta(seconds=back)
        for index, device in enumerate(DEVICES):
            if device == "node-3" and back < 1500:  # a probe that went quiet
                continue
            for quantity, value in model.sample(index, age_now_s - back).items():
                readings.append(Reading(device, quantity, value, at, at, "compost/sensor/data"))
    return readings


def render(out_dir: str | Path) -> Path:
    """Build the page with a fake client, feed it a simulated day and save monitoring.png."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from compost_desktop.gui.monitoring.hub import MonitoringHub
    from compost_desktop.gui.monitoring.page import MonitoringPage
    from compost_desktop.settings import Settings
    from tests.gui.monitoring.support import FakeClient, FakeCycle, FakeStore, make_ctx

    app = QApplication.instance() or QApplication(sys.argv)
    now = datetime.now(UTC).replace(microsecond=0)
    settings = Settings()
    settings.mqtt = replace(settings.mqtt, host="farm-pi.local")
    ctx = make_ctx(settings)
    client = FakeClient()
    hub = MonitoringHub(ctx, client=client, demo_enabled=False, clock=lambda: now)
    page = MonitoringPage(ctx, hub=hub, autostart=False)
    page.resize(1280, 860)
    started = date.today() - timedelta(days=5)
    ctx.set_store(FakeStore(FakeCycle("Windrow 7 — June greens", started)), "demo")  # type: ignore[arg-type]
    hub.start()
    client.link(LinkState.CONNECTED, now - timedelta(hours=26), "mqtt://farm-pi.local:1883")
    client.push(DeviceStatus("node-3", None, {}, now - timedelta(minutes=25)))
    client.parser.rejected = 3
    hub._apply(client.drain(), demo=False)
    hub._apply(list(simulated_day(now, age_now_s=5.6 * DAY)), demo=False)
    hub.on_housekeeping_due()
    page.show()
    page.plots.window_combo.setCurrentIndex(2)
    for _ in range(5):
        app.processEvents()
    page.on_status_refresh_due()
    page.plots.on_repaint_due()
    app.processEvents()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "monitoring.png"
    page.grab().save(str(path))
    hub.stop()
    page.close()
    return path


if __name__ == "__main__":
    print(render(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
