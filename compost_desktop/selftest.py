"""`compost-desktop self-test`: proves an installed app works, from source or frozen.

Each check prints one line, `ok  NAME  detail` or `FAIL NAME  reason`, and the command exits
0 only when every check passed (1 otherwise, 2 for bad arguments). A check that fails for an
expected reason (a missing file, an unreachable broker) says so in one line; `--verbose` adds
the traceback for whoever has to debug it.

The checks touch nothing of the user's: the database is a throwaway SQLite file, the data
folder and Qt settings point into the same temporary folder, and the window is drawn
offscreen unless QT_QPA_PLATFORM says otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The brief's worked check: 10 kg kitchen scraps (2.4 %N, C:N 15, 70 % moisture) and 5 kg
# leaves (0.9 %N, C:N 54, 38 %) give a mix C:N of 25.9 on a dry-matter basis.
EXPECTED_CN = 25.9
BROKER_TIMEOUT_S = 10.0

EXIT_OK = 0
EXIT_FAILED = 1


class CheckFailed(Exception):
    """An expected failure: the message is the whole story, no traceback needed."""


@dataclass
class Context:
    workdir: Path
    broker: str | None
    verbose: bool
    database_url: Any = None  # sqlalchemy URL once the migrations check ran
    app: Any = None  # the QApplication, once made
    cleanups: list[Callable[[], None]] = field(default_factory=list)


def _frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


# -- checks ---------------------------------------------------------------------------------


def check_migrations(ctx: Context) -> str:
    from compost_desktop.db import migrate
    from compost_desktop.db.engine import resolve_url

    folder = migrate.migrations_dir()
    bundle = getattr(sys, "_MEIPASS", None)
    # Not resolved: in a macOS .app the bundle's data are symlinks into Contents/Resources.
    if _frozen() and bundle and Path(os.path.abspath(bundle)) not in folder.absolute().parents:
        raise CheckFailed(f"the migrations were found outside the bundle, at {folder}")
    url = resolve_url(f"sqlite:///{(ctx.workdir / 'selftest.db').as_posix()}")
    migrate.upgrade(url)
    status = migrate.status(url)
    if status.state is not migrate.SchemaState.CURRENT:
        raise CheckFailed(f"after the upgrade the database is {status.state.value}")
    ctx.database_url = url
    return f"SQLite schema at revision {status.current} from {folder}"


def check_mix(ctx: Context) -> str:
    from compost_desktop.domain.mix import MixComponent, analyse

    analysis = analyse(
        [
            MixComponent("Kitchen scraps", 10, 15, nitrogen_pct=2.4, moisture_pct=70),
            MixComponent("Leaves", 5, 54, nitrogen_pct=0.9, moisture_pct=38),
        ]
    )
    if round(analysis.cn_ratio, 1) != EXPECTED_CN:
        raise CheckFailed(f"C:N came out {analysis.cn_ratio:.2f}, expected {EXPECTED_CN}")
    return f"C:N {analysis.cn_ratio:.1f}, moisture {analysis.moisture_pct:.1f} %"


def check_postgres_driver(ctx: Context) -> str:
    import psycopg
    from sqlalchemy import create_engine

    impl = psycopg.pq.__impl__
    if impl not in ("binary", "c"):
        raise CheckFailed(
            f"psycopg uses its '{impl}' implementation: the bundled libpq (psycopg[binary]) "
            "is missing"
        )
    # The dialect is imported by name when an engine is made; no connection is attempted.
    create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none").dispose()
    return f"psycopg {psycopg.__version__} ({impl}, libpq {psycopg.pq.version()})"


def check_mqtt_library(ctx: Context) -> str:
    import paho.mqtt
    import paho.mqtt.client

    return f"paho-mqtt {paho.mqtt.__version__}"


def check_keyring(ctx: Context) -> str:
    import keyring.backend

    # get_all_keyring() only lists the backends usable here (none may be, on a headless
    # machine), so check that this platform's backend modules are bundled and load.
    wanted = {
        "linux": ["keyring.backends.SecretService", "keyring.backends.kwallet"],
        "win32": ["keyring.backends.Windows"],
        "darwin": ["keyring.backends.macOS"],
    }.get(sys.platform, [])
    for name in ["keyring.backends.chainer", "keyring.backends.fail", *wanted]:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise CheckFailed(f"keyring backend {name} cannot be loaded: {exc}") from exc
    usable = sorted(
        type(k).__module__.rsplit(".", 1)[-1] for k in keyring.backend.get_all_keyring()
    )
    return f"backends {', '.join(n.rsplit('.', 1)[-1] for n in wanted) or 'none'} bundled; usable here: {', '.join(usable)}"


def _qt_app(ctx: Context) -> Any:
    if ctx.app is not None:
        return ctx.app
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    # The window saves its geometry on close: keep that out of the user's settings.
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(ctx.workdir / "qsettings"))
    from compost_desktop.gui.app import create_app

    ctx.app = QApplication.instance() or create_app([sys.argv[0]])
    return ctx.app


def check_qt_plugins(ctx: Context) -> str:
    from PySide6.QtCore import QLibraryInfo

    _qt_app(ctx)
    folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
    needed = {
        "linux": ["offscreen", "xcb", "minimal"],
        "win32": ["offscreen", "windows", "minimal"],
        "darwin": ["offscreen", "cocoa", "minimal"],
    }.get(sys.platform, ["offscreen"])
    present = {p.name.split(".")[0].removeprefix("lib").removeprefix("q") for p in folder.glob("*")}
    missing = [name for name in needed if name not in present]
    if missing:
        raise CheckFailed(f"platform plugins {', '.join(missing)} missing from {folder}")
    return f"platforms {', '.join(needed)} in {folder}"


def check_window(ctx: Context) -> str:
    if ctx.database_url is None:
        raise CheckFailed("skipped: needs the database of the migrations check")
    app = _qt_app(ctx)
    from compost_desktop.db.engine import describe, make_engine
    from compost_desktop.gui.app import build_window
    from compost_desktop.gui.context import AppContext
    from compost_desktop.gui.tasks import ChangeBus, ImmediateRunner
    from compost_desktop.services.store import Store
    from compost_desktop.settings import Settings

    bus = ChangeBus()
    app_ctx = AppContext(Settings(), ImmediateRunner(bus), bus)
    window = build_window(app_ctx, str(ctx.workdir / "compost-desktop.log"))
    window.show()
    app.processEvents()
    engine = make_engine(ctx.database_url)
    ctx.cleanups.append(engine.dispose)
    label = describe(ctx.database_url)
    app_ctx.set_store(Store(engine), label)  # the screens load their data here
    window.on_database_state(f"{label} — ready", True)
    app.processEvents()
    try:
        if not window.isVisible():
            raise CheckFailed("the main window did not show")
        pages = [window.navigation.item(i).text() for i in range(window.navigation.count())]
        if not pages:
            raise CheckFailed("the main window has no pages")
        platform = app.platformName()
        return f"{window.width()}x{window.height()} on '{platform}', pages: {', '.join(pages)}"
    finally:
        window.close()
        window.deleteLater()
        app.processEvents()


def check_plotting(ctx: Context) -> str:
    _qt_app(ctx)
    import numpy as np
    import pyqtgraph as pg

    plot = pg.PlotWidget()
    plot.plot(np.arange(10.0), np.arange(10.0) ** 2)
    plot.resize(320, 200)
    image = plot.grab()
    plot.deleteLater()
    if image.isNull():
        raise CheckFailed("pyqtgraph drew nothing")
    return f"pyqtgraph {pg.__version__} on {pg.Qt.QT_LIB}, numpy {np.__version__}"


def check_broker(ctx: Context) -> str:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from compost_desktop.monitoring.client import BrokerConfig

    assert ctx.broker is not None
    try:
        config = BrokerConfig.from_url(ctx.broker)
    except ValueError as exc:
        raise CheckFailed(str(exc)) from exc
    topic = f"compost-desktop/selftest/{uuid.uuid4().hex}"
    payload = f"self-test {time.time():.3f}".encode()
    connected = threading.Event()
    subscribed = threading.Event()
    received = threading.Event()
    problem: list[str] = []

    def on_connect(client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            problem.append(f"the broker refused the connection: {reason}")
            connected.set()
            return
        connected.set()
        client.subscribe(topic, qos=1)

    def on_subscribe(client: Any, userdata: Any, mid: Any, reasons: Any, props: Any) -> None:
        if any(r.is_failure for r in reasons):
            problem.append(f"the broker refused the subscription: {reasons[0]}")
        subscribed.set()

    def on_message(client: Any, userdata: Any, message: Any) -> None:
        if message.topic == topic and message.payload == payload:
            received.set()

    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"compost-selftest-{uuid.uuid4().hex[:8]}"
    )
    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    if config.username:
        client.username_pw_set(config.username, config.password)
    if config.tls:
        client.tls_set()
    where = f"{config.host}:{config.port}"
    try:
        client.connect(config.host, config.port, keepalive=30)
    except OSError as exc:
        raise CheckFailed(f"cannot connect to {where}: {exc}") from exc
    client.loop_start()
    try:
        steps = (
            (connected, "connect"),
            (subscribed, "subscribe"),
        )
        for event, what in steps:
            if not event.wait(BROKER_TIMEOUT_S):
                raise CheckFailed(f"no answer from {where} to {what} within {BROKER_TIMEOUT_S:g} s")
            if problem:
                raise CheckFailed(problem[0])
        client.publish(topic, payload, qos=1)
        if not received.wait(BROKER_TIMEOUT_S):
            raise CheckFailed(f"published to {where} but the message did not come back")
    finally:
        client.disconnect()
        client.loop_stop()
    return f"connected to {where}, published and received on {topic}"


def check_records(ctx: Context) -> str:
    """The cycle report (Qt PDF, print support) and the Excel export work when installed."""
    if ctx.database_url is None:
        raise CheckFailed("skipped: needs the database of the migrations check")
    _qt_app(ctx)
    from datetime import date, timedelta

    from PySide6.QtPrintSupport import QPrinter

    from compost_desktop.db.engine import make_engine
    from compost_desktop.domain.pathogen import PRESETS
    from compost_desktop.records.export import export
    from compost_desktop.reports.document import ReportDocument, local_now
    from compost_desktop.services.report_data import gather_report
    from compost_desktop.services.store import Store
    from compost_desktop.services.values import CycleDraft

    engine = make_engine(ctx.database_url)
    ctx.cleanups.append(engine.dispose)
    today = date.today()
    cycle = Store(engine).save_cycle(CycleDraft("Self-test", today, today + timedelta(days=60)))
    data = gather_report(engine, cycle.id, PRESETS["epa-pfrp-in-vessel"], local_now())
    document = ReportDocument(data)
    pdf = document.write_pdf(ctx.workdir / "report.pdf")
    if not pdf.read_bytes().startswith(b"%PDF"):
        raise CheckFailed(f"{pdf} is not a PDF")
    rows = export(engine, "cycles", ctx.workdir / "cycles.xlsx")
    QPrinter()  # the Print… button's printer: the print support module loads
    return f"report PDF of {document.page_count} page(s), Excel export of {rows} cycle(s)"


def check_recorder_worker(ctx: Context) -> str:
    """`record` parses and writes in a spawned worker process: it starts (frozen, through
    freeze_support in the launcher), stores a message's readings, reports them and stops."""
    if ctx.database_url is None:
        raise CheckFailed("skipped: needs the database of the migrations check")
    import json
    import logging
    from datetime import UTC, datetime

    from compost_desktop.monitoring.client import BrokerConfig, Delivery
    from compost_desktop.monitoring.farm_config import FarmConfig
    from compost_desktop.monitoring.parsing import TopicPatterns
    from compost_desktop.monitoring.recorder import WorkerLink
    from compost_desktop.monitoring.recorder_worker import WorkerSetup

    setup = WorkerSetup(
        ctx.database_url.render_as_string(hide_password=False),
        BrokerConfig("127.0.0.1", 9),  # its alarm topic: nothing listens, nothing is sent
        TopicPatterns(),
        UTC,
        FarmConfig(),
        logging.WARNING,
    )
    acked: list[Delivery] = []
    link = WorkerLink(setup, on_settled=acked.extend)
    link.start()
    try:
        deadline = time.monotonic() + 60
        while not link.ready.wait(0.1):
            if link.lost.is_set() or time.monotonic() > deadline:
                raise CheckFailed(
                    f"the worker process did not start (exit code {link.process.exitcode})"
                )
        body = {"device_id": "selftest", "temperature": 55.0, "moisture": 50.0}
        body["timestamp"] = datetime.now(UTC).isoformat()
        message = ("compost/sensor/data", json.dumps(body).encode(), time.time(), False)
        link.forward([message, Delivery(1, 1, 1)])
        while not acked:
            if link.lost.is_set() or time.monotonic() > deadline:
                raise CheckFailed("the worker process did not report the message stored")
            time.sleep(0.02)
        report = link.stop(10.0)
    finally:
        link.close()
    if report is None or report.written != 2:
        raise CheckFailed(f"the worker process reported {report}")
    return f"process {link.process.pid} stored a message's 2 readings and stopped"


CHECKS: list[tuple[str, Callable[[Context], str]]] = [
    ("migrations", check_migrations),
    ("mix", check_mix),
    ("postgresql driver", check_postgres_driver),
    ("mqtt library", check_mqtt_library),
    ("keyring", check_keyring),
    ("qt plugins", check_qt_plugins),
    ("main window", check_window),
    ("plotting", check_plotting),
    ("report and export", check_records),
    ("recorder worker", check_recorder_worker),
]


# -- running --------------------------------------------------------------------------------


@contextlib.contextmanager
def _isolated_data(workdir: Path) -> Iterator[None]:
    """Point the data folder (logs, embedded database) into the throwaway folder."""
    saved = os.environ.get("COMPOST_DATA_DIR")
    os.environ["COMPOST_DATA_DIR"] = str(workdir / "data")
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("COMPOST_DATA_DIR", None)
        else:
            os.environ["COMPOST_DATA_DIR"] = saved


def _describe(exc: BaseException) -> str:
    if isinstance(exc, CheckFailed):
        return str(exc)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def run_checks(ctx: Context, out: Any = None) -> int:
    out = out or sys.stdout
    checks = list(CHECKS)
    if ctx.broker:
        checks.append(("broker", check_broker))
    failed: list[str] = []
    for name, check in checks:
        started = time.perf_counter()
        try:
            detail = check(ctx)
        except Exception as exc:
            failed.append(name)
            print(f"FAIL {name}  {_describe(exc)}", file=out, flush=True)
            if ctx.verbose and not isinstance(exc, CheckFailed):
                traceback.print_exception(exc, file=out)
        else:
            ms = (time.perf_counter() - started) * 1000
            print(f"ok  {name}  {detail}  ({ms:.0f} ms)", file=out, flush=True)
    if failed:
        print(f"self-test FAILED: {', '.join(failed)}", file=out, flush=True)
        return EXIT_FAILED
    print("self-test passed", file=out, flush=True)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="compost-desktop self-test",
        description="Check that this installation works: database migrations, the main window "
        "(offscreen), the mix engine, the PostgreSQL and MQTT libraries, and a broker if given.",
    )
    from compost_desktop.cli import add_selftest_arguments

    add_selftest_arguments(parser)
    return parser


def run(broker: str | None = None, verbose: bool = False) -> int:
    from compost_desktop import __version__

    where = f"frozen bundle {getattr(sys, '_MEIPASS', '')}" if _frozen() else "source"
    print(f"Compost Desktop {__version__} self-test ({where}, {sys.platform})", flush=True)
    with tempfile.TemporaryDirectory(prefix="compost-selftest-", ignore_cleanup_errors=True) as tmp:
        workdir = Path(tmp)
        ctx = Context(workdir=workdir, broker=broker, verbose=verbose)
        with _isolated_data(workdir):
            try:
                return run_checks(ctx)
            finally:
                for cleanup in reversed(ctx.cleanups):
                    with contextlib.suppress(Exception):
                        cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run(args.broker, args.verbose)


if __name__ == "__main__":
    sys.exit(main())
