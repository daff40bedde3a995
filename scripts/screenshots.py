"""Render every screen offscreen with realistic data to docs/screenshots/*.png.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [OUT_DIR] [--size WxH]

To check small screens and scaling, render elsewhere and look, e.g.
    QT_SCALE_FACTOR=1.5 ... scripts/screenshots.py /tmp/shots-150 --screen 1366x768
(--screen is the monitor in physical pixels: the window fills it less a 40 px taskbar, and
dialogs fit themselves to it; --size sets the window in device-independent pixels instead).
`make screens-check` renders every screen at 1366×768 and 1920×1080, 100 % and 150 %.

Everything happens in a throwaway data folder (database, QSettings, no keyring), so running
it never touches the user's own data. Regenerate after changing a screen, then look at the
pictures: the README shows them.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "docs" / "screenshots"
WINDOW_SIZE = (1280, 800)

os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
_SCRATCH = Path(tempfile.mkdtemp(prefix="compost-screens-"))
_SCALE = float(os.environ.get("QT_SCALE_FACTOR", "1") or 1)
_PHYSICAL = (1920, 1080)
if "--screen" in sys.argv:
    _at = sys.argv.index("--screen")
    _w, _h = sys.argv[_at + 1].lower().split("x")
    _PHYSICAL = (int(_w), int(_h))
    del sys.argv[_at : _at + 2]
    WINDOW_SIZE = (round(_PHYSICAL[0] / _SCALE), round((_PHYSICAL[1] - 40) / _SCALE))
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    # The offscreen screen is 800×600 unless told otherwise, and dialogs fit themselves to the
    # screen: render on a 1920×1080 one (a configfile in QT_QPA_PLATFORM overrides this).
    _SCREEN = _SCRATCH / "screen.json"
    _width, _height = _PHYSICAL
    _SCREEN.write_text(
        f'{{"screens": [{{"name": "S", "x": 0, "y": 0, "width": {_width}, "height": {_height},'
        ' "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}',
        encoding="utf-8",
    )
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_SCREEN}"
os.environ["COMPOST_DATA_DIR"] = str(_SCRATCH / "data")
os.environ.pop("COMPOST_DATABASE_URL", None)
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from compost_desktop.domain.lifecycle import MaterialKind  # noqa: E402
from compost_desktop.services.store import Store  # noqa: E402
from compost_desktop.services.values import CycleDraft, InputDraft, MaterialDraft  # noqa: E402


def settle(ms: int = 150) -> None:
    """Let layouts, queued signals and thread-pool answers arrive before grabbing."""
    app = QApplication.instance()
    assert app is not None
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    app.processEvents()


def wait_for(condition: Callable[[], bool], timeout_ms: int = 15_000) -> None:
    waited = 0
    while not condition() and waited < timeout_ms:
        settle(50)
        waited += 50


def fill(store: Store) -> None:
    """A farm a few months in: one active bay, plans, finished and archived batches."""
    today = date.today()

    def material(name: str) -> int:
        m = store.find_material(name)
        assert m is not None, name
        return m.id

    grain = store.save_material(
        MaterialDraft(
            "Brewery spent grain",
            MaterialKind.GREEN,
            12,
            3.6,
            78,
            0.65,
            "Lab report 2026-03, Hillside Brewery",
            "Collected weekly; drain before mixing",
        )
    )
    store.save_material(
        MaterialDraft(
            "Horse manure with straw bedding",
            MaterialKind.GREEN,
            35,
            1.4,
            65,
            0.7,
            "Own analysis, stable B",
        )
    )
    store.save_material(
        MaterialDraft("Wood shavings (legacy)", MaterialKind.BROWN, 300, None, None, 0.15)
    )

    def at(days_ago: int) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(9, 30), UTC)

    def cycle(
        name: str, start_days_ago: int, length: int, capacity: float, inputs: list[tuple]
    ) -> int:
        start = today - timedelta(days=start_days_ago)
        c = store.save_cycle(
            CycleDraft(
                name.format(start=start),
                start,
                start + timedelta(days=length),
                notes="Windrow, turned with the loader",
                capacity_l=capacity,
                initial_volume_l=capacity * 0.8,
                current_volume_l=capacity * 0.6,
            )
        )
        for mat, kg, days_ago in inputs:
            store.add_input(c.id, InputDraft(mat, mass_kg=kg, added_at=at(days_ago)))
        return c.id

    archived = cycle(
        "Manure and straw, {start:%B %Y}",
        400,
        120,
        8000,
        [(material("Cattle manure"), 1800, 400), (material("Straw"), 420, 399)],
    )
    store.archive(store.complete(store.activate(archived).id).id)
    autumn = cycle(
        "Leaves and kitchen scraps, {start:%B %Y}",
        220,
        90,
        10000,
        [
            (material("Leaves, shredded"), 900, 220),
            (material("Kitchen scraps"), 1500, 219),
            (material("Coffee grounds"), 300, 215),
        ],
    )
    store.complete(store.activate(autumn).id)
    active = cycle(
        "Bay 1 — windrow {start:%b %Y}",
        24,
        90,
        12000,
        [
            (material("Kitchen scraps"), 1200, 24),
            (material("Leaves, shredded"), 600, 24),
            (grain.id, 350, 17),
            (material("Straw"), 180, 10),
            (material("Horse manure"), 800, 6),
        ],
    )
    store.activate(active)
    for days_ago, who in ((20, "Ana"), (13, "Ben"), (6, "Ana")):
        store.add_turning(active, at(days_ago), who, "Turned and watered")
    cycle(
        "Bay 2 — next batch",
        -10,
        100,
        12000,
        [(material("Grass clippings"), 700, 1), (material("Wood chips"), 400, 1)],
    )
    cycle("Bay 3 — chicken manure trial", -40, 110, 6000, [])


def grab(widget: QWidget, name: str) -> Path:
    settle()
    path = OUT_DIR / f"{name}.png"
    widget.grab().save(str(path))
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return path


def materials_extras(window: QWidget) -> None:
    """The edit dialog caught mid-typing with a wrong value, and the in-use delete refusal."""
    from PySide6.QtWidgets import QMessageBox

    from compost_desktop.gui.materials.page import MaterialsPage

    page = window.page("materials")  # type: ignore[attr-defined]
    assert isinstance(page, MaterialsPage)
    page.search.setText("horse manure")
    page.select_material(page.model.materials()[0].id)
    page.search.clear()
    page.on_edit_requested()
    dialog = page.dialog
    assert dialog is not None
    dialog.ui.moistureEdit.setText("120")
    dialog.on_field_edited("moisture_pct")
    grab(dialog, "materials-edit-dialog")
    dialog.reject()

    original = QMessageBox.question
    QMessageBox.question = staticmethod(lambda *_a: QMessageBox.StandardButton.Yes)  # type: ignore[method-assign]
    try:
        store = page.ctx.store
        assert store is not None
        scraps = store.find_material("Kitchen scraps")
        assert scraps is not None
        page.select_material(scraps.id)
        page.on_delete_requested()
    finally:
        QMessageBox.question = original  # type: ignore[method-assign]
    grab(window, "materials-in-use")
    page.clear_message()


def settings_extras(window: QWidget) -> None:
    """The settings page after a successful connection test."""
    from compost_desktop.gui.settings_page import SettingsPage

    page = window.page("settings")  # type: ignore[attr-defined]
    assert isinstance(page, SettingsPage)
    page.ui.testButton.click()
    wait_for(lambda: page.ui.testButton.isEnabled())
    grab(window, "settings")


def dialogs(window: QWidget, store: Store) -> None:
    """Every dialog an operator meets in a day, each grabbed as it first opens."""
    from compost_desktop.domain.lifecycle import CycleStatus
    from compost_desktop.domain.pathogen import PRESETS
    from compost_desktop.gui.cycles.detail import InputDialog, TurningDialog
    from compost_desktop.gui.cycles.manual_reading_dialog import ManualReadingDialog
    from compost_desktop.gui.cycles.page import CyclesPage
    from compost_desktop.gui.cycles.rule_dialog import RuleDialog
    from compost_desktop.gui.help import UserGuideDialog
    from compost_desktop.gui.monitoring.rejects import RejectsDialog
    from compost_desktop.gui.records_dialogs import ExportDialog
    from compost_desktop.gui.report import ReportDialog
    from compost_desktop.monitoring.parsing import RejectRecord

    page = window.page("cycles")  # type: ignore[attr-defined]
    assert isinstance(page, CyclesPage)
    ctx = page.ctx
    active = store.cycle(next(c.id for c in store.cycles() if c.status is CycleStatus.ACTIVE))
    now = datetime.now(UTC)
    rejects = [
        RejectRecord(now, "farm/compost/node-4/data", "bad_json", "", b"{temp: 61.2"),
        RejectRecord(
            now - timedelta(minutes=3),
            "tele/tasmota_5C1A/SENSOR",
            "out_of_range",
            "temperature 412.0 °C is outside -40…150 °C",
            b'{"DS18B20":{"Temperature":412.0}}',
        ),
    ]
    shown: list[tuple[str, QWidget]] = [
        ("dialog-input", InputDialog(ctx, store.materials(), window)),
        ("dialog-turning", TurningDialog(active.turnings[0], window)),
        ("dialog-hand-reading", ManualReadingDialog(ctx, active.id, window)),
        ("dialog-rule", RuleDialog(list(PRESETS), None, window)),
        ("dialog-export", ExportDialog(window)),
        ("dialog-rejects", RejectsDialog(rejects, window)),
        ("dialog-user-guide", UserGuideDialog(window)),
    ]
    for name, dialog in shown:
        dialog.show()
        grab(dialog, name)
        dialog.close()
    report = ReportDialog(ctx, active.id, PRESETS["epa-pfrp-in-vessel"], window)
    report.show()
    report.start()
    wait_for(lambda: report.document is not None)
    grab(report, "dialog-report")
    report.close()


# --- history tab (issue 6) -------------------------------------------------------------------


def history_tab(window: QWidget, store: Store) -> None:
    """The running cycle's History tab: four probes at one reading a minute since it started,
    moisture every ten minutes, its turnings and deliveries (the benchmark's pile model)."""
    from benchmarks.bench_history import insert_rows, reading_rows
    from compost_desktop.domain.lifecycle import CycleStatus
    from compost_desktop.gui.cycles.page import CyclesPage

    active = store.cycle(next(c.id for c in store.cycles() if c.status is CycleStatus.ACTIVE))
    assert active.start_date is not None
    start = datetime.combine(active.start_date, time(6, 0), UTC)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    days = (now - start).total_seconds() / 86_400
    turned = [(t.turned_at - start).total_seconds() / 86_400 for t in active.turnings]
    database = store.engine.url.database
    assert database is not None
    insert_rows(database, reading_rows(active.id, start, days, 4, turned))

    page = window.page("cycles")  # type: ignore[attr-defined]
    assert isinstance(page, CyclesPage)
    window.show_page("cycles")  # type: ignore[attr-defined]
    page.open_cycle(active.id)
    page.detail.ui.tabs.setCurrentWidget(page.detail.ui.history_tab)
    wait_for(lambda: page.detail.history.overview is not None)
    grab(window, "cycle_history")
    page.detail.ui.tabs.setCurrentWidget(page.detail.ui.overview_tab)
    page.on_back_requested()


# --- end of history tab -----------------------------------------------------------------------


def records_screens(store: Store) -> None:
    """The running cycle's report pages, and the comparison of three finished demo cycles."""
    from compost_desktop.domain.lifecycle import CycleStatus
    from compost_desktop.domain.pathogen import PRESETS
    from compost_desktop.reports.document import ReportDocument, local_now
    from compost_desktop.services.report_data import gather_report
    from compost_desktop.settings import Settings

    active = next(c.id for c in store.cycles() if c.status is CycleStatus.ACTIVE)
    settings = Settings()
    data = gather_report(
        store.engine, active, PRESETS["epa-pfrp-in-vessel"], local_now(), band=settings.band
    )
    for number, page in enumerate(ReportDocument(data, settings.units).render_pages(96)[:2], 1):
        page.save(str(OUT_DIR / f"report-{number}.png"))
        print(f"wrote {OUT_DIR / f'report-{number}.png'}")
    try:
        from tests.gui.cycles.compare_demo import render as render_compare
    except ImportError:
        print("tests.gui.cycles.compare_demo not available; comparison skipped")
    else:
        print(
            f"wrote {render_compare(OUT_DIR, (min(1100, WINDOW_SIZE[0]), min(700, WINDOW_SIZE[1])))}"
        )


def main(argv: list[str]) -> int:
    global OUT_DIR, WINDOW_SIZE
    if "--size" in argv:
        at = argv.index("--size")
        width, height = argv[at + 1].lower().split("x")
        WINDOW_SIZE = (int(width), int(height))
        del argv[at : at + 2]
    if argv:
        OUT_DIR = Path(argv[0]).resolve()
    OUT_DIR.mkdir(parents=True, exist_ok=True)

    from compost_desktop.gui.app import build_window, create_app

    app = create_app([sys.argv[0]])
    # The pictures in one locale, as a user's PC has one (the build machine's is "C").
    from PySide6.QtCore import QLocale

    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(_SCRATCH))

    from compost_desktop.db import migrate
    from compost_desktop.db.engine import default_url, describe, make_engine, resolve_url
    from compost_desktop.gui.context import AppContext
    from compost_desktop.gui.tasks import ChangeBus, ImmediateRunner
    from compost_desktop.settings import Settings

    url = resolve_url(default_url())  # the embedded database, inside the scratch folder
    migrate.upgrade(url)
    store = Store(make_engine(url))
    fill(store)

    bus = ChangeBus()
    ctx = AppContext(Settings(), ImmediateRunner(bus), bus)
    window = build_window(ctx, str(_SCRATCH / "compost-desktop.log"))
    window.resize(*WINDOW_SIZE)
    label = describe(url)
    ctx.set_store(store, label)
    window.on_database_state(f"{label} — ready", True)
    window.show()
    settle(300)

    for key in ("cycles", "monitoring", "materials", "settings"):
        window.show_page(key)
        if key == "settings":
            settings_extras(window)
        elif key == "monitoring":
            settle(5000)  # the demo simulator needs a few seconds for its first readings
            grab(window, key)
        else:
            grab(window, key)
        if key == "materials":
            materials_extras(window)

    history_tab(window, store)
    dialogs(window, store)
    records_screens(store)

    try:
        from tests.gui.cycles.render_screens import render
    except ImportError:
        print("tests.gui.cycles.render_screens not available; cycle dialog/detail skipped")
    else:
        render(OUT_DIR, WINDOW_SIZE)

    window.close()
    store.engine.dispose()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
