"""Three finished cycles with realistic probe curves, for pictures of the comparison dialog.

`populate(store, today)` adds them to any store (the screenshot script's too) without touching
its active cycle; `render(out_dir)` builds a throwaway database and writes compare.png:

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.gui.cycles.compare_demo /tmp/h5
"""

from __future__ import annotations

import math
import os
import random
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from tests.support.tables import table_of

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sqlalchemy as sa

from compost_desktop.db.models import Cycle, SensorReading
from compost_desktop.domain.lifecycle import CycleStatus
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft, InputDraft

READING_MINUTES = 10
DAYS = 18


@dataclass(frozen=True, slots=True)
class Recipe:
    """A pile and how its coldest probe behaved: when it got hot, how hot, for how long."""

    name: str
    inputs: tuple[tuple[str, float], ...]
    rise_day: float  # the coldest probe crosses ~55 °C around here (or levels off below it)
    plateau_c: float
    plateau_days: float
    started_days_ago: int


RECIPES = (
    Recipe(
        "Bay 1 – Kitchen + leaves",
        (("Kitchen scraps", 420), ("Leaves, shredded", 230), ("Straw", 40)),
        rise_day=2.1, plateau_c=62.0, plateau_days=6.1, started_days_ago=120,
    ),
    Recipe(
        "Bay 2 – Manure + wood chips",
        (("Cattle manure", 900), ("Straw", 110), ("Wood chips", 60)),
        rise_day=5.1, plateau_c=59.5, plateau_days=4.4, started_days_ago=88,
    ),
    Recipe(
        "Bay 3 – Woody overs",
        (("Wood chips", 300), ("Garden waste", 120), ("Leaves, shredded", 60)),
        rise_day=3.2, plateau_c=48.5, plateau_days=5.0, started_days_ago=56,
    ),
)  # fmt: skip

# Probes sit at different depths: the edge runs coolest, the core hottest.
PROBES = (("edge", 0.0), ("middle", 3.2), ("core", 6.0))


def coldest_probe_c(recipe: Recipe, day: float) -> float:
    """Ambient start, a logistic rise, a plateau, then a slow fall towards curing."""
    ambient = 14.0
    rise = 1 / (1 + math.exp(-(day - recipe.rise_day + 0.6) * 3.2))
    fall_start = recipe.rise_day + recipe.plateau_days
    fall = 1 / (1 + math.exp(-(day - fall_start - 0.8) * 1.1))
    hot = ambient + (recipe.plateau_c - ambient) * rise
    cooled = hot - (hot - 30.0) * fall * 0.85
    # A turning on the plateau dips the pile for half a day before it recovers.
    turn = recipe.rise_day + recipe.plateau_days / 2
    dip = -3.0 * math.exp(-(((day - turn) * 4) ** 2))
    return cooled + dip + 0.4 * math.sin(2 * math.pi * day)


def populate(store: Store, today: date | None = None) -> list[int]:
    """Add the three cycles as completed, with inputs and probe readings; return their ids."""
    today = today or date.today()
    rng = random.Random(55)
    library = {m.name: m.id for m in store.materials()}
    ids: list[int] = []
    for n, recipe in enumerate(RECIPES, start=1):
        start = today - timedelta(days=recipe.started_days_ago)
        day0 = datetime.combine(start, time(9, 0), UTC)
        cycle = store.save_cycle(
            CycleDraft(recipe.name, start, start + timedelta(days=70), capacity_l=12000.0)
        )
        for i, (material, kg) in enumerate(recipe.inputs):
            store.add_input(
                cycle.id,
                InputDraft(library[material], mass_kg=kg, added_at=day0 - timedelta(hours=3 - i)),
            )
        # Recorded history: activated and completed in the past, beside whatever cycle is active.
        with store.engine.begin() as conn:
            conn.execute(
                sa.update(Cycle)
                .where(Cycle.id == cycle.id)
                .values(
                    status=CycleStatus.COMPLETED.value,
                    activated_at=day0,
                    completed_at=day0 + timedelta(days=DAYS),
                )
            )
        rows = []
        steps = DAYS * 24 * 60 // READING_MINUTES
        for step in range(steps):
            at = day0 + timedelta(minutes=READING_MINUTES * step)
            day = step * READING_MINUTES / 1440
            base = coldest_probe_c(recipe, day)
            warm = min(1.0, max(0.0, (base - 20) / 30))  # probes spread apart as the pile heats
            for probe, extra in PROBES:
                rows.append(
                    {
                        "batch_id": cycle.id,
                        "device_id": f"bay{n}-{probe}",
                        "quantity": "temperature",
                        "value": round(base + extra * warm + rng.gauss(0, 0.12), 2),
                        "measured_at": at,
                        "received_at": at,
                        "source": "mqtt",
                    }
                )
        with store.engine.begin() as conn:
            conn.execute(sa.insert(table_of(SensorReading)), rows)
        ids.append(cycle.id)
    return ids


def render(out_dir: Path | str, size: tuple[int, int] = (1100, 700)) -> Path:
    """Write compare.png: the dialog comparing the three demo cycles, probe means shown."""
    from PySide6.QtCore import QLocale
    from PySide6.QtWidgets import QApplication

    from compost_desktop.db import migrate
    from compost_desktop.db.engine import make_engine, resolve_url
    from compost_desktop.gui.context import AppContext
    from compost_desktop.gui.cycles.compare_view import CompareDialog
    from compost_desktop.gui.tasks import ChangeBus, ImmediateRunner
    from compost_desktop.settings import Settings

    app = QApplication.instance() or QApplication([])
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "compare.png"
    with tempfile.TemporaryDirectory() as tmp:
        url = resolve_url(f"sqlite:///{tmp}/compare.db")
        migrate.upgrade(url)
        engine = make_engine(url)
        store = Store(engine)
        ids = populate(store)
        bus = ChangeBus()
        ctx = AppContext(Settings(), ImmediateRunner(bus), bus)
        ctx.set_store(store, "SQLite compare.db")
        dialog = CompareDialog(ctx, ids)
        dialog.mean_check.setChecked(True)
        dialog.resize(*size)
        dialog.show()
        app.processEvents()
        if not dialog.grab().save(str(path)):
            raise OSError(f"could not write {path}")
        dialog.close()
        app.processEvents()
        engine.dispose()
    return path


if __name__ == "__main__":
    print(render(sys.argv[1] if len(sys.argv) > 1 else "."))
