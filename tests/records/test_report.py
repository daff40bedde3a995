"""The cycle report: gathered on both backends, written as a real A4 PDF an inspector can read."""

from __future__ import annotations

import io
import math
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from sqlalchemy.engine import Engine

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.db.models import AlarmRecord, Cycle, SensorReading
from compost_desktop.domain.lifecycle import CycleStatus, MaterialKind
from compost_desktop.domain.pathogen import DISCLAIMER, PRESETS
from compost_desktop.domain.states import PathogenStatus
from compost_desktop.services.history import CycleNotFound
from compost_desktop.services.report_data import ReportData, gather_report
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft, InputDraft
from tests.support.tables import table_of

if TYPE_CHECKING:  # the GUI is imported only by the tests that drive it
    from compost_desktop.gui.tasks import ChangesOf, Done, Failed

START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
NOW = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)
EPA = PRESETS["epa-pfrp-in-vessel"]
NAME = "Bay 3 – spring pile 2026"
RECIPE = (
    ("Kitchen scraps", 1200.0, -1.0),
    ("Horse manure", 800.0, -0.9),
    ("Grass clippings", 150.0, -0.5),
    ("Straw", 120.0, -0.4),
    ("Wood chips", 120.0, -0.3),
    ("Leaves, shredded", 300.0, -0.2),
)
TURNINGS = ((4.0, "Maria"), (7.6, "Jon"), (11.0, "Maria"), (15.0, "Jon"), (19.0, "Maria"))
# Probe offsets from the core: probe-4 sits near the edge and is the coldest.
PROBES = {"probe-1": 3.0, "probe-2": 1.0, "probe-3": 0.0, "probe-4": -5.0}


def pile_temperature(day: float) -> float:
    """Mesophilic rise, a thermophilic plateau near 63 °C, cooling, then curing."""
    if day < 2.5:
        return 18.0 + 45.0 * day / 2.5
    if day < 14.0:
        return 63.0
    if day < 24.0:
        return 63.0 - 33.0 * (day - 14.0) / 10.0
    return 30.0 - 0.8 * (day - 24.0)


def probe_temperature(probe: str, day: float, rng: random.Random) -> float:
    value = pile_temperature(day) + (PROBES[probe] if day >= 1.0 else 0.0)
    value += 0.8 * math.sin(2 * math.pi * day)  # day and night
    for turned, _who in TURNINGS:
        if day >= turned:  # a turning lets the heat out for a few hours
            value -= 9.0 * math.exp(-(day - turned) / 0.15)
    if probe == "probe-1":  # one hot spell: the alarm
        value += 6.0 * math.exp(-(((day - 6.0) / 0.08) ** 2))
    return round(value + rng.uniform(-0.3, 0.3), 2)


def build_cycle(engine: Engine, *, step_minutes: int = 30, days: int = 30, name: str = NAME) -> int:
    """A completed 30-day cycle: six inputs, four probes, five turnings, one alarm."""
    store = Store(engine)
    cycle_id = store.save_cycle(
        CycleDraft(
            name,
            date(2026, 3, 2),
            date(2026, 4, 15),
            notes="Windrow in bay 3, covered with fleece.\nCatering waste from the school kitchen.",
            capacity_l=12000.0,
            initial_volume_l=9000.0,
            current_volume_l=5800.0,
        )
    ).id
    for material, kg, day in RECIPE:
        found = store.find_material(material)
        assert found is not None, material
        store.add_input(
            cycle_id,
            InputDraft(found.id, mass_kg=kg, added_at=START + timedelta(days=day)),
        )
    for day, who in TURNINGS:
        store.add_turning(cycle_id, START + timedelta(days=day), who, "Turned with the loader")
    rng = random.Random(7)
    rows = []
    steps = days * 24 * 60 // step_minutes
    for i in range(steps + 1):
        at = START + timedelta(minutes=i * step_minutes)
        day = i * step_minutes / 1440.0
        for probe in PROBES:
            rows.append((probe, "temperature", at, probe_temperature(probe, day, rng), "mqtt"))
    for d in range(days):
        at = START + timedelta(days=d, hours=9)
        rows.append(("moist-1", "moisture", at, round(58.0 - d * 0.3, 1), "mqtt"))
    with engine.begin() as conn:
        conn.execute(
            sa.insert(table_of(SensorReading)),
            [
                {
                    "batch_id": cycle_id,
                    "device_id": device,
                    "quantity": quantity,
                    "value": value,
                    "measured_at": at,
                    "received_at": at,
                    "source": source,
                }
                for device, quantity, at, value, source in rows
            ],
        )
        conn.execute(
            sa.insert(table_of(AlarmRecord)),
            [
                {
                    "uuid": "7d0b5d7e-0000-4000-8000-000000000001",
                    "batch_id": cycle_id,
                    "device_id": "probe-1",
                    "quantity": "temperature",
                    "kind": "too_hot",
                    "message": "probe-1 is too hot: 71.2 °C (above 70.0 °C). Turn or split the "
                    "pile: above 65 °C the useful microbes die.",
                    "value": 71.2,
                    "threshold": 70.0,
                    "raised_at": START + timedelta(days=5.95),
                    "cleared_at": START + timedelta(days=6.1),
                    "acknowledged_at": START + timedelta(days=5.97),
                    "acknowledged_by": "Maria",
                }
            ],
        )
        conn.execute(
            sa.update(Cycle)
            .where(Cycle.id == cycle_id)
            .values(
                status=CycleStatus.COMPLETED.value,
                activated_at=START,
                completed_at=START + timedelta(days=days),
            )
        )
    return cycle_id


@pytest.fixture
def engine(any_engine: Engine) -> Engine:
    return any_engine


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> ReportData:
    """The realistic cycle on SQLite, gathered once for the rendering tests."""
    path = tmp_path_factory.mktemp("report") / "farm.db"
    url = resolve_url(f"sqlite:///{path}")
    migrate.upgrade(url)
    built = make_engine(url)
    try:
        return gather_report(built, build_cycle(built), EPA, NOW)
    finally:
        built.dispose()


def pdf_pages(blob: bytes) -> list[str]:
    """Each page's text with runs of white space (pypdf gives tabs and line ends) as one space."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(blob)).pages]


# --- gathering ---------------------------------------------------------------------------------


def test_gather_has_facts_inputs_turnings_alarms_and_the_pathogen_result(engine: Engine) -> None:
    cycle_id = build_cycle(engine, step_minutes=30)
    data = gather_report(engine, cycle_id, EPA, NOW)

    facts = data.facts
    assert (facts.name, facts.status) == (NAME, CycleStatus.COMPLETED)
    assert facts.capacity_l == 12000.0 and facts.current_volume_l == 5800.0
    assert facts.shrinkage_pct == pytest.approx(100 * 3200 / 9000)
    assert facts.notes is not None and "school kitchen" in facts.notes
    assert [i.material for i in data.inputs] == [m for m, _kg, _d in RECIPE]
    assert data.total_kg == pytest.approx(sum(kg for _m, kg, _d in RECIPE))
    scraps = data.inputs[0]
    assert scraps.kind is MaterialKind.GREEN and scraps.cn_ratio == 15
    assert scraps.moisture_pct == 70 and scraps.nitrogen_pct == 2.4
    assert data.mix is not None and not data.mix.estimate
    assert 20 < data.mix.analysis.cn_ratio < 40

    assert [(t.turned_at, t.operator) for t in data.turnings] == [
        (START + timedelta(days=d), who) for d, who in TURNINGS
    ]
    (alarm,) = data.alarms
    assert alarm.kind_text == "Too hot" and alarm.acknowledged_by == "Maria"
    assert alarm.cleared_at == START + timedelta(days=6.1)

    pathogen = data.pathogen
    assert pathogen.status is PathogenStatus.MET and pathogen.has_readings
    assert pathogen.rule is EPA and pathogen.disclaimer == DISCLAIMER
    assert pathogen.reasons[0].startswith("Met on ")
    # Judged on the coldest probe: the run starts after the first turning's dip on probe-4.
    assert pathogen.result.run_start is not None
    assert START + timedelta(days=4) < pathogen.result.run_start < START + timedelta(days=4.5)

    readings = data.readings
    assert readings.count == 4 * (30 * 48 + 1) + 30
    assert readings.temperature_probes == list(PROBES)
    assert readings.first == START
    chart = data.chart
    assert chart is not None and [s.device_id for s in chart.probes] == list(PROBES)
    assert chart.lowest is not None and len(chart.turnings) == len(TURNINGS)
    assert max(len(s.times) for s in chart.probes) <= 600

    with pytest.raises(CycleNotFound, match="Cycle 9999 is not in the database"):
        gather_report(engine, 9999, EPA, NOW)


def test_gather_a_planned_cycle_with_nothing_recorded(engine: Engine) -> None:
    store = Store(engine)
    cycle_id = store.save_cycle(CycleDraft("Empty bay", date(2026, 5, 1))).id
    data = gather_report(engine, cycle_id, PRESETS["uk-pas-100"], NOW)
    assert data.facts.status is CycleStatus.PLANNING
    assert data.inputs == () and data.mix is None and data.turnings == () and data.alarms == ()
    assert data.chart is None and data.readings.count == 0
    assert data.pathogen.status is PathogenStatus.NOT_YET and not data.pathogen.has_readings
    assert data.pathogen.reasons == ["No temperature readings yet."]


# --- the PDF -------------------------------------------------------------------------------------


def test_the_pdf_is_a4_with_numbered_pages_and_the_records_an_inspector_reads(
    qapp: object, sample: ReportData, tmp_path: Path
) -> None:
    from compost_desktop.reports.document import ReportDocument, write_report_pdf

    out = tmp_path / "report.pdf"
    pages = write_report_pdf(sample, out)
    blob = out.read_bytes()
    assert blob.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(blob))
    assert len(reader.pages) == pages == ReportDocument(sample).page_count
    assert 2 <= pages <= 5
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width), round(height)) == (595, 842)  # A4 portrait in points
    texts = pdf_pages(blob)
    for number, text in enumerate(texts, 1):
        assert f"Page {number} of {pages}" in text
        assert NAME in text  # the header names the cycle on every page
    whole = "\n".join(texts)
    for expected in (
        EPA.name,
        "Met since",
        DISCLAIMER,
        "Checked by:",
        "Signature:",
        "Turning log",
        "Too hot",
        "Maria",
        "Kitchen scraps",
        "Days since",
    ):
        assert expected in whole, expected
    assert whole.find("Met since") < whole.find(DISCLAIMER[:40])


def test_rendered_pages_show_what_the_pdf_holds(qapp: object, sample: ReportData) -> None:
    from compost_desktop.reports.document import ReportDocument, render_report_pages

    images = render_report_pages(sample, 40)
    assert len(images) == ReportDocument(sample).page_count

    def ink(image: object, top_mm: float, bottom_mm: float) -> int:
        from PySide6.QtGui import QImage

        assert isinstance(image, QImage)
        rows = range(round(top_mm / 25.4 * 40), round(bottom_mm / 25.4 * 40))
        return sum(
            1
            for y in rows
            for x in range(image.width())
            if image.pixelColor(x, y).lightness() < 160
        )

    for image in images:
        assert (image.width(), image.height()) == (331, 468)  # A4 at 40 dpi
        assert ink(image, 10, 17) > 20  # the header: app, cycle and the rule under them
        assert ink(image, 283, 288) > 20  # the footer: generated, page numbers
        assert ink(image, 100, 200) > 100  # the body is painted, not left blank
    assert ink(images[0], 0, 9) == ink(images[0], 290, 297) == 0  # the margins stay clear


def test_sixty_inputs_run_over_pages_with_the_header_repeated_and_no_row_cut(
    qapp: object, sqlite_url: str, tmp_path: Path
) -> None:
    from PySide6.QtGui import QTextTable

    from compost_desktop.reports.document import CONTENT_H, ReportDocument

    url = resolve_url(sqlite_url)
    migrate.upgrade(url)
    built = make_engine(url)
    store = Store(built)
    cycle_id = store.save_cycle(CycleDraft("Long recipe", date(2026, 3, 2))).id
    straw, scraps = store.find_material("Straw"), store.find_material("Kitchen scraps")
    assert straw is not None and scraps is not None
    for n in range(1, 61):
        store.add_input(
            cycle_id,
            InputDraft(
                (straw if n % 3 else scraps).id,
                mass_kg=10.0 + n,
                added_at=START + timedelta(hours=n),
                notes=f"Lot L{n:02d}, delivered by the co-op; weighed on the farm scale",
            ),
        )
    data = gather_report(built, cycle_id, EPA, NOW)
    built.dispose()
    document = ReportDocument(data)

    # In the layout: every row sits wholly on one page, under the table's header.
    layout = document.doc.documentLayout()
    parts = [
        t
        for t in document.doc.rootFrame().childFrames()
        if isinstance(t, QTextTable)
        and t.cellAt(0, 0).firstCursorPosition().block().text() == "Added"
    ]
    assert len(parts) >= 2 and all(t.format().headerRowCount() == 1 for t in parts)
    assert sum(t.rows() - 1 for t in parts) == 60 + 1  # the inputs and their total
    pages_of_rows = []
    for table in parts:
        for row in range(table.rows()):
            pages = set()
            for column in range(table.columns()):
                cell = table.cellAt(row, column)
                for at in (cell.firstCursorPosition(), cell.lastCursorPosition()):
                    rect = layout.blockBoundingRect(at.block())
                    pages |= {
                        int((rect.top() + 0.5) // CONTENT_H),
                        int((rect.bottom() - 0.5) // CONTENT_H),
                    }
            assert len(pages) == 1, (
                table.cellAt(row, 8).firstCursorPosition().block().text(),
                pages,
            )
            pages_of_rows.append(pages.pop())
    assert pages_of_rows == sorted(pages_of_rows) and len(set(pages_of_rows)) >= 2

    # In the PDF: each lot once, the table's header on every page it spans.
    out = tmp_path / "long.pdf"
    document.write_pdf(out)
    texts = pdf_pages(out.read_bytes())
    whole = " ".join(texts)
    for n in range(1, 61):
        assert whole.count(f"Lot L{n:02d},") == 1, n
    for number, text in enumerate(texts, 1):  # no page holds only its header and footer
        body = text.replace(f"Page {number} of {len(texts)}", "").replace("Long recipe", "")
        assert "Lot L" in body or "Sign-off" in body or "Pathogen" in body, number
    spanned = [t for t in texts if "Lot L" in t]
    assert len(spanned) >= 2
    assert all("Material" in t and "%N dry" in t for t in spanned)


# --- command line --------------------------------------------------------------------------------


def test_cli_writes_the_report_and_explains_what_is_wrong(
    qapp: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from compost_desktop import cli

    url = f"sqlite:///{tmp_path / 'farm.db'}"
    migrate.upgrade(resolve_url(url))
    built = make_engine(url)
    cycle_id = build_cycle(built, step_minutes=120)
    built.dispose()

    # A real process: no display, no Qt application beforehand.
    out = tmp_path / "cycle.pdf"
    command = ["report", str(cycle_id), "--out", str(out), "--rule", "epa-pfrp-windrow"]
    done = subprocess.run(
        [sys.executable, "-m", "compost_desktop", *command, "--database", url],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **{k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")},
            "QT_QPA_PLATFORM": "offscreen",
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "COMPOST_DATA_DIR": str(tmp_path / "data"),
        },
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "written to" in done.stdout and out.read_bytes().startswith(b"%PDF-")
    assert "US EPA PFRP – windrow" in " ".join(pdf_pages(out.read_bytes()))

    missing = cli.main(["report", "4242", "--out", str(tmp_path / "none.pdf"), "--database", url])
    err = capsys.readouterr().err
    assert missing == 1 and "Cycle 4242 is not in the database" in err
    assert "Traceback" not in err and not (tmp_path / "none.pdf").exists()
    bad_rule = cli.main(["report", str(cycle_id), "--out", "x.pdf", "--rule", "epa"])
    err = capsys.readouterr().err
    assert bad_rule == 2 and "unknown rule 'epa'" in err and "epa-pfrp-in-vessel" in err
    no_folder = tmp_path / "no such folder" / "x.pdf"
    unwritable = cli.main(["report", str(cycle_id), "--out", str(no_folder), "--database", url])
    err = capsys.readouterr().err
    assert unwritable == 1 and "error:" in err and "Traceback" not in err


# --- the GUI's way in ------------------------------------------------------------------------------


@pytest.fixture
def ctx(sqlite_url: str) -> Iterator[object]:
    from compost_desktop.gui.context import AppContext
    from compost_desktop.gui.tasks import ChangeBus, ImmediateRunner
    from compost_desktop.settings import Settings

    url = resolve_url(sqlite_url)
    migrate.upgrade(url)
    built = make_engine(url)
    bus = ChangeBus()
    context = AppContext(Settings(), ImmediateRunner(bus), bus)
    context.set_store(Store(built), "SQLite test")
    yield context
    built.dispose()


def test_open_report_previews_then_saves_where_the_user_chose(
    qtbot: object, ctx: object, tmp_path: Path
) -> None:
    from compost_desktop.gui.context import AppContext
    from compost_desktop.gui.report import open_report

    assert isinstance(ctx, AppContext) and ctx.store is not None
    cycle_id = build_cycle(ctx.store.engine, step_minutes=120)
    dialog = open_report(ctx, cycle_id, "uk-pas-100", None)
    qtbot.addWidget(dialog)  # type: ignore[attr-defined]
    assert dialog.save_button.isEnabled() and dialog.print_button.isEnabled()
    assert dialog.document is not None and dialog.document.page_count >= 2
    assert dialog.preview_layout.count() == dialog.document.page_count
    assert "UK PAS 100" in dialog.status_label.text()

    asked: list[str] = []
    target = tmp_path / "chosen.pdf"

    def choose(_parent: object, suggested: str) -> str:
        asked.append(suggested)
        return str(target)

    dialog.choose_path = choose
    dialog.save_button.click()
    assert Path(asked[0]).name.startswith(f"{NAME} report ")
    assert Path(asked[0]).name.endswith(".pdf")
    assert target.read_bytes().startswith(b"%PDF-")
    assert "Saved to" in dialog.status_label.text()
    text = " ".join(pdf_pages(target.read_bytes()))
    assert "UK PAS 100 sanitisation" in text and "Checked by:" in text

    # Cancelling the chooser writes nothing.
    dialog.choose_path = lambda _parent, _suggested: None
    target.unlink()
    dialog.save_button.click()
    assert not target.exists()


def test_open_report_prints_with_the_same_pages(qtbot: object, ctx: object, tmp_path: Path) -> None:
    from PySide6.QtPrintSupport import QPrinter

    from compost_desktop.gui.context import AppContext
    from compost_desktop.gui.report import open_report

    assert isinstance(ctx, AppContext) and ctx.store is not None
    cycle_id = build_cycle(ctx.store.engine, step_minutes=240)
    dialog = open_report(ctx, cycle_id, "epa-pfrp-in-vessel", None)
    qtbot.addWidget(dialog)  # type: ignore[attr-defined]
    printed = tmp_path / "printed.pdf"

    def printer_chosen(printer: QPrinter, _parent: object) -> bool:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(printed))
        return True

    dialog.ask_printer = printer_chosen
    dialog.print_button.click()
    assert dialog.document is not None
    assert len(PdfReader(printed).pages) == dialog.document.page_count
    assert "Sent" in dialog.status_label.text()


@pytest.mark.log_allowed("^Could not gather the report")
def test_open_report_explains_a_missing_cycle_or_rule(qtbot: object, ctx: object) -> None:
    from compost_desktop.gui.context import AppContext
    from compost_desktop.gui.report import open_report

    assert isinstance(ctx, AppContext)
    dialog = open_report(ctx, 31337, "epa-pfrp-in-vessel", None)
    qtbot.addWidget(dialog)  # type: ignore[attr-defined]
    assert "Cycle 31337 is not in the database" in dialog.status_label.text()
    assert not dialog.save_button.isEnabled() and not dialog.print_button.isEnabled()
    assert dialog.progress.isHidden()

    other = open_report(ctx, 1, "no-such-rule", None)
    qtbot.addWidget(other)  # type: ignore[attr-defined]
    assert "Unknown pathogen rule 'no-such-rule'" in other.status_label.text()
    assert not other.save_button.isEnabled()


def test_closing_while_gathering_drops_the_late_result(qapp: object, ctx: object) -> None:
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QEvent

    from compost_desktop.gui.context import AppContext
    from compost_desktop.gui.report import open_report

    assert isinstance(ctx, AppContext) and ctx.store is not None
    cycle_id = build_cycle(ctx.store.engine, step_minutes=240)
    held: list[tuple[object, object, object]] = []

    class HeldRunner:
        """The database thread, still busy when the user closes the window."""

        def submit(
            self,
            fn: Callable[[], Any],
            on_done: Done | None = None,
            on_error: Failed | None = None,
            changes: ChangesOf = frozenset(),
        ) -> None:
            held.append((fn, on_done, on_error))

        def shutdown(self) -> None:
            pass

    ctx.runner = HeldRunner()
    dialog = open_report(ctx, cycle_id, "epa-pfrp-in-vessel", None)
    assert dialog.progress.isVisible() and dialog.close_button.text() == "Cancel"
    dialog.close_button.click()
    # The window is gone (it deletes itself on close) before the database thread answers.
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not shiboken6.isValid(dialog)
    ((work, on_done, _on_error),) = held
    assert callable(work) and callable(on_done)
    on_done(work())  # dropped: no error, nothing built
    assert dialog.document is None
