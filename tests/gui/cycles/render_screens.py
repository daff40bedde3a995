"""Render the Cycles screens offscreen with realistic data: `render(out_dir)` writes the PNGs."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.tasks import ChangeBus, ImmediateRunner
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft, InputDraft
from compost_desktop.settings import Settings

RECIPES: list[tuple[str, list[tuple[str, float]]]] = [
    ("Kitchen + leaves", [("Kitchen scraps", 420), ("Leaves, shredded", 180), ("Straw", 40)]),
    ("Manure windrow", [("Cattle manure", 900), ("Straw", 260), ("Wood chips", 120)]),
    ("Grass heavy", [("Grass clippings", 500), ("Leaves, shredded", 90)]),
    ("Coffee trial", [("Coffee grounds", 150), ("Cardboard, corrugated", 25), ("Sawdust", 20)]),
    ("Horse bedding", [("Horse manure", 700), ("Sawdust", 30)]),
    ("Woody overs", [("Wood chips", 300), ("Garden waste", 120)]),
]


def populate(store: Store, today: date) -> dict[str, int]:
    """A season of cycles: history, the running pile and plans, with inputs and turnings."""
    ids = {m.name: m.id for m in store.materials()}
    made: dict[str, int] = {}
    for n in range(14):
        name, recipe = RECIPES[n % len(RECIPES)]
        planned = n >= 12
        start = today - timedelta(days=330 - n * 26 - (30 if planned else 0))
        cycle = store.save_cycle(
            CycleDraft(
                f"Bay {n % 4 + 1} – {name}",
                start,
                start + timedelta(days=84),
                notes="Windrow by the north fence" if n % 3 == 0 else None,
                capacity_l=12000.0,
                initial_volume_l=7000.0 + 300 * (n % 6),
                current_volume_l=None if n > 10 else 4200.0 + 200 * (n % 5),
            )
        )
        scale = 1 + (n % 3) * 0.25
        for day, (material, kg) in enumerate(recipe):
            when = datetime.combine(start + timedelta(days=day), datetime.min.time(), UTC)
            draft = InputDraft(
                ids[material], mass_kg=round(kg * scale, 1), added_at=when + timedelta(hours=8)
            )
            store.add_input(cycle.id, draft)
        made[cycle.name] = cycle.id
        if n < 11:
            store.activate(cycle.id, switch=True)
            store.complete(cycle.id)
            if n < 5:
                store.archive(cycle.id)
        elif n == 11:
            made["running"] = cycle.id
            store.activate(cycle.id, switch=True)
            for day, who in ((3, "Ana"), (8, "Jonas"), (15, "Ana"), (22, "Ana")):
                store.add_turning(
                    cycle.id,
                    datetime.combine(start + timedelta(days=day), datetime.min.time(), UTC)
                    + timedelta(hours=9),
                    who,
                    "Turned with the loader" if who == "Ana" else "Added water while turning",
                )
    return made


def render(out_dir: Path | str, window: tuple[int, int] = (1310, 830)) -> list[Path]:
    """Write cycles.png, cycle_dialog.png and cycle_detail.png into `out_dir`, the page at
    the size it has in a main window of `window` (less the navigation, menu and status bar)."""
    from compost_desktop.gui.cycles.cycle_dialog import CycleDialog
    from compost_desktop.gui.cycles.page import CyclesPage

    app = QApplication.instance() or QApplication([])
    assert app is not None
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = resolve_url(f"sqlite:///{tmp}/screens.db")
        migrate.upgrade(url)
        engine = make_engine(url)
        store = Store(engine)
        made = populate(store, date.today())
        bus = ChangeBus()
        ctx = AppContext(Settings(), ImmediateRunner(bus), bus)
        ctx.set_store(store, "SQLite screens.db")

        width, height = min(1180, window[0] - 130), window[1] - 70
        page = CyclesPage(ctx)
        page.resize(width, min(560, height))
        page.show()
        app.processEvents()
        written.append(_save(page, out / "cycles.png"))

        dialog = CycleDialog(ctx)
        dialog.ui.name_edit.setText("Bay 3 – autumn leaves")
        dialog.ui.capacity.setValue(12000)
        dialog.ui.initial_volume.setValue(7500)
        dialog.ui.notes.setPlainText("Café grounds collected weekly; leaves from the park.")
        rows = dialog.input_form.rows
        rows[0].set_values("Kitchen scraps", 10)
        dialog.input_form.add_row("Leaves, shredded", 5)
        extra = dialog.input_form.add_row("Straw", 200)
        extra.unit.setCurrentIndex(1)
        extra.moisture.setValue(20)
        dialog.resize(900, 660)
        dialog.show()
        app.processEvents()
        written.append(_save(dialog, out / "cycle_dialog.png"))
        dialog.done(0)  # close() would ask before discarding the filled-in form

        page.open_cycle(made["running"])
        page.resize(width, min(760, height))
        app.processEvents()
        written.append(_save(page, out / "cycle_detail.png"))
        page.close()
        engine.dispose()
    return written


def _save(widget: object, path: Path) -> Path:
    from PySide6.QtWidgets import QWidget

    assert isinstance(widget, QWidget)
    if not widget.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    return path


if __name__ == "__main__":
    for p in render(Path(__file__).resolve().parents[3] / "docs" / "screenshots"):
        print(p)
