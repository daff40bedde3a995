"""Render the "Plan a pile…" dialog offscreen with a realistic plan.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot_planner.py [OUT.png]
    QT_SCALE_FACTOR=1.5 QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot_planner.py /tmp/p150.png

The dialog is sized to fit a 1366×768 screen (at 150 % that is 911×512 logical pixels, so
it is shown at most that size). Everything runs in a throwaway data folder.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
_SCRATCH = Path(tempfile.mkdtemp(prefix="compost-planner-"))
SCREEN = (1366, 768)
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    # Offscreen's own screen is 800×600: render on the 1366×768 one the dialog must fit.
    _config = _SCRATCH / "screen.json"
    _config.write_text(
        f'{{"screens": [{{"name": "S", "x": 0, "y": 0, "width": {SCREEN[0]},'
        f' "height": {SCREEN[1]}, "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}}]}}',
        encoding="utf-8",
    )
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_config}"
os.environ["COMPOST_DATA_DIR"] = str(_SCRATCH / "data")
os.environ.pop("COMPOST_DATABASE_URL", None)
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "screenshots" / "planner.png"
    from compost_desktop.db import migrate
    from compost_desktop.db.engine import default_url, make_engine, resolve_url
    from compost_desktop.domain.lifecycle import MaterialKind
    from compost_desktop.gui.app import create_app
    from compost_desktop.gui.context import AppContext
    from compost_desktop.gui.planner.dialog import PlannerDialog
    from compost_desktop.gui.tasks import ChangeBus, ImmediateRunner
    from compost_desktop.services.store import Store
    from compost_desktop.services.values import MaterialDraft
    from compost_desktop.settings import Settings

    app = create_app([sys.argv[0]])
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(_SCRATCH))
    url = resolve_url(default_url())
    migrate.upgrade(url)
    store = Store(make_engine(url))
    food = store.save_material(
        MaterialDraft("Food waste", MaterialKind.GREEN, 15, 2.4, 70, 0.42, "Collection round")
    )
    for name, kg in (("Wood chips", 15_000), ("Leaves, shredded", 8_000)):
        m = store.find_material(name)
        assert m is not None
        store.set_stock(m.id, kg)
    bus = ChangeBus()
    ctx = AppContext(Settings(), ImmediateRunner(bus), bus)
    ctx.set_store(store, "screenshot")

    dialog = PlannerDialog(ctx)
    scale = float(os.environ.get("QT_SCALE_FACTOR", "1") or 1)
    width, height = (int(SCREEN[0] / scale) - 20, int(SCREEN[1] / scale) - 60)
    dialog.resize(min(1240, width), min(640, height))
    dialog.rows[0].set_values(food.name, "fixed", 40, "t")
    dialog.add_row().set_values("Wood chips", "stock", 15, "t")
    dialog.add_row().set_values("Leaves, shredded", "stock", 8, "t")
    dialog.add_row().set_values("Straw", "needed", 0, "loader bucket")
    dialog.target_cn.setValue(30)
    dialog.capacity.setValue(300)
    dialog.show()
    for _ in range(5):
        app.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(out))
    print(f"wrote {out} ({dialog.width()}×{dialog.height()} logical, scale {scale:g})")
    dialog.close()
    store.engine.dispose()
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
