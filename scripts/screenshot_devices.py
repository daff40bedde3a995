"""Render the Devices page with a realistic registry to docs/screenshots/devices.png.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot_devices.py [OUT.png] [WxH]

Uses a throwaway SQLite database. QT_SCALE_FACTOR=1.5 renders it as at 150 %.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(ROOT))

from PySide6.QtWidgets import QApplication  # noqa: E402

DEVICES = (
    ("pile-a/DS18B20-0316A279AAAA", "temperature", "tasmota"),
    ("pile-a/DS18B20-0416B2C1BBBB", "temperature", "tasmota"),
    ("pile-a/DS18B20-05C1D2E3CCCC", "temperature", "tasmota"),
    ("pile-a/SHT3X", "temperature", "tasmota"),
    ("pile-a/ESP32", "chip_temperature", "tasmota"),
    ("farm/pile-node/probe_1", "temperature", "esphome"),
    ("farm/pile-node/air_temperature", "temperature", "esphome"),
    ("node-1", "temperature", "farm"),
)
EDITS = {
    "pile-a/DS18B20-0316A279AAAA": {
        "name": "Core", "role": "pile_probe", "position": "1.2 m deep, centre",
        "timezone": "Asia/Shanghai",
    },
    "pile-a/DS18B20-0416B2C1BBBB": {
        "name": "North edge", "role": "pile_probe", "position": "0.5 m deep, north",
        "timezone": "Asia/Shanghai",
    },
    "pile-a/SHT3X": {"name": "Shed air", "role": "ambient", "timezone": "Asia/Shanghai"},
    "pile-a/ESP32": {"ignored": True},
}  # fmt: skip


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "screenshots" / "devices.png"
    size = tuple(int(x) for x in argv[1].split("x")) if len(argv) > 1 else (1280, 800)
    app = QApplication.instance() or QApplication([sys.argv[0]])

    from compost_desktop.db import migrate
    from compost_desktop.db.engine import make_engine, resolve_url
    from compost_desktop.gui.context import AppContext
    from compost_desktop.gui.devices.keeper import keeper_for
    from compost_desktop.gui.devices.page import DevicesPage
    from compost_desktop.gui.tasks import ChangeBus, ImmediateRunner
    from compost_desktop.services.store import Store
    from compost_desktop.settings import Settings

    scratch = Path(tempfile.mkdtemp(prefix="compost-devices-"))
    url = resolve_url(f"sqlite:///{scratch / 'farm.db'}")
    migrate.upgrade(url)
    engine = make_engine(url)
    bus = ChangeBus()
    ctx = AppContext(Settings(), ImmediateRunner(bus), bus)
    ctx.set_store(Store(engine), "farm.db")
    keeper = keeper_for(ctx)
    for device, quantity, fmt in DEVICES:
        keeper.observe(device, quantity, fmt)
    keeper.on_save_due()
    for device, changes in EDITS.items():
        keeper.update(device, changes)
    page = DevicesPage(ctx)
    page.resize(*size)
    page.show()
    page.table.selectRow(0)
    for _ in range(5):
        app.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    page.grab().save(str(out))
    print(out)
    page.close()
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
