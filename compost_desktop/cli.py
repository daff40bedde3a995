"""The `compost-desktop` command: the GUI by default, ops commands for terminals and services."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from compost_desktop import __version__

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from compost_desktop import mixcli
    from compost_desktop.domain.pathogen import PathogenRule

log = logging.getLogger(__name__)

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


def _date_arg(text: str) -> date:
    """A YYYY-MM-DD day; argparse turns the ValueError into a usage message and exit 2."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a date; write it as YYYY-MM-DD, e.g. 2026-06-01"
        ) from None


MAX_ID = 2**63 - 1  # the largest id either database can hold


def _id_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if not 1 <= value <= MAX_ID:
        raise argparse.ArgumentTypeError(f"{text} is not a cycle number (1 to {MAX_ID})")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="compost-desktop",
        description="Plan, run and monitor compost cycles. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--database",
        metavar="URL",
        help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db or sqlite:///file.db "
        "(default: $COMPOST_DATABASE_URL, else the embedded SQLite file)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    db = commands.add_parser("db", help="database upgrade and status")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    for name, text in (
        ("upgrade", "create the schema, adopt an old server database, or apply pending upgrades"),
        ("status", "show whether the database is empty, legacy, current or newer than this app"),
    ):
        sub = db_commands.add_parser(name, help=text, description=text)
        sub.add_argument("--database", metavar="URL", help="database URL (see the main --help)")
    backup_cmd = db_commands.add_parser(
        "backup",
        help="write a consistent copy of the database (SQLite or PostgreSQL) to a file",
        description="Copies every Compost Desktop table into one SQLite backup file.",
    )
    backup_cmd.add_argument("--database", metavar="URL", help="database URL (see the main --help)")
    backup_cmd.add_argument("--out", metavar="FILE", required=True, help="backup file to write")
    restore_cmd = db_commands.add_parser(
        "restore",
        help="replace the database's data with a backup (all or nothing)",
        description="Refuses files that are not Compost Desktop backups and backups from a "
        "newer app. A SQLite database is kept beside it as <name>.before-restore-<time>.",
    )
    restore_cmd.add_argument("--database", metavar="URL", help="database URL (see the main --help)")
    restore_cmd.add_argument("file", metavar="FILE", help="backup file made by `db backup`")

    export = commands.add_parser(
        "export",
        help="export cycles, inputs or sensor readings as CSV or Excel (XLSX)",
        description="Writes a CSV (UTC ISO 8601 times) or an Excel workbook (typed cells, "
        "times in UTC), with units in the headers. The format is --format, else the --out "
        "suffix (.xlsx for Excel, CSV otherwise). --from/--to are inclusive dates (UTC) on "
        "the start date (cycles), the time added (inputs) or the time measured (readings).",
    )
    export.add_argument("kind", choices=("cycles", "inputs", "readings"))
    export.add_argument("--database", metavar="URL", help="database URL (see the main --help)")
    export.add_argument("--out", metavar="FILE", required=True, help="file to write")
    export.add_argument(
        "--format", choices=("csv", "xlsx"), default=None, help="default: from the --out suffix"
    )
    export.add_argument(
        "--from", dest="start", metavar="DATE", type=_date_arg, help="first day, YYYY-MM-DD"
    )
    export.add_argument(
        "--to", dest="end", metavar="DATE", type=_date_arg, help="last day, YYYY-MM-DD"
    )

    report = commands.add_parser(
        "report",
        help="write a cycle's report as an A4 PDF",
        description="Writes the cycle report (facts, recipe and mix, inputs, temperature chart, "
        "turning log, pathogen-reduction result, alarms, sign-off) as a PDF. Times are shown "
        "in this computer's time zone; units and the C:N band follow the app's settings.",
    )
    report.add_argument("cycle_id", metavar="CYCLE_ID", type=_id_arg, help="the cycle's number")
    report.add_argument("--out", metavar="FILE", required=True, help="PDF file to write")
    report.add_argument(
        "--rule",
        metavar="KEY",
        help="pathogen-reduction rule: epa-pfrp-in-vessel, epa-pfrp-windrow, uk-pas-100, "
        "uk-abpr-housed-windrow or the key of a rule defined in the app "
        "(default: the rule last chosen in the app)",
    )
    report.add_argument("--database", metavar="URL", help="database URL (see the main --help)")

    mix = commands.add_parser(
        "mix",
        help="analyse a recipe: JSON on stdin, JSON on stdout",
        description='Reads {"target": 30, "add": "Leaves", "inputs": [{"name": ..., "kg": ..., '
        '"cn": ..., "n_pct": ..., "moisture_pct": ...}]} on stdin and prints the C:N ratio, '
        "moisture, status and a suggestion. An input without cn names a library material: "
        "the shipped defaults, or the library of --database when given.",
    )
    mix.add_argument("--database", metavar="URL", help="take named materials from this database")

    plan = commands.add_parser(
        "plan",
        help="plan a pile from the feedstocks on hand: JSON on stdin, the recipe as JSON",
        description='Reads {"target": {"cn": 30, "moisture_pct": 55}, "capacity_l": 60000, '
        '"water": true, "feedstocks": [{"name": ..., "kg": ... | "max_kg": ... | '
        '"maximize": true, "cn": ..., "n_pct": ..., "moisture_pct": ..., "density_kg_m3": ...}]} '
        "on stdin and prints the amounts that hit both targets, or the closest recipe and the "
        "limit that binds. A feedstock without cn, n_pct or moisture_pct takes them from the "
        "library: the shipped defaults, or the library of --database when given.",
    )
    plan.add_argument("--database", metavar="URL", help="take named materials from this database")

    record = commands.add_parser(
        "record",
        help="record sensor readings from the broker into the database (headless, for servers)",
        description="Subscribes to the farm's sensor topics and stores every reading against "
        "the cycle active when it was measured. Survives broker and database restarts; stops "
        "cleanly on SIGTERM/SIGINT after writing what it holds. Logs to stderr.",
    )
    record.add_argument("--database", metavar="URL", help="database URL (see the main --help)")
    record.add_argument(
        "--broker",
        metavar="URL",
        default="mqtt://127.0.0.1:1883",
        help="mqtt://[user:pass@]host:port",
    )
    record.add_argument(
        "--ca-file",
        metavar="PEM",
        help="CA certificate that signed the broker's TLS certificate (turns TLS on; "
        "default for mqtts://: the system's CAs)",
    )
    record.add_argument(
        "--client-id",
        default=None,
        help="MQTT client id; keep it fixed so the broker holds messages while the recorder is away",
    )
    record.add_argument(
        "--topics",
        metavar="NAME=PATTERN,...",
        help="override the farm's topic patterns for this run; NAME is data, status, esphome, "
        "tasmota, esphome-status or tasmota-lwt; an empty PATTERN turns that format off",
    )
    record.add_argument(
        "--timezone",
        metavar="ZONE",
        help="time zone of device clocks that send no offset, e.g. Europe/Berlin, for this run "
        "(default: the farm's, set in Settings; else this computer's)",
    )

    simulate = commands.add_parser(
        "simulate",
        help="publish simulated readings of a pile going through its phases",
        description="Publishes the farm's JSON format on compost/sensor/data for N probes.",
    )
    simulate.add_argument("--broker", metavar="URL", default="mqtt://127.0.0.1:1883")
    simulate.add_argument("--devices", type=int, default=3, help="number of probes (default 3)")
    simulate.add_argument("--rate", type=float, default=1.0, help="messages per probe per second")
    simulate.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per real second (default 1)"
    )
    simulate.add_argument("--seed", type=int, default=0)
    simulate.add_argument("--count", type=int, default=None, help="stop after this many messages")

    sync = commands.add_parser(
        "sync",
        help="one sync round of this PC's local store with the farm server, without the GUI",
        description="Sends this PC's changes and readings to the farm server and receives "
        "everyone else's, for a scheduler or support. Progress goes to stderr. Exit 0 when "
        "done, 3 when conflicts wait for a choice in the app, 1 when the server cannot be "
        "reached. Syncs the local store in COMPOST_DATA_DIR (or the app's data folder).",
    )
    sync.add_argument(
        "--server", metavar="URL", help="farm server URL (default: the server in Settings)"
    )

    selftest = commands.add_parser(
        "self-test",
        help="check that this installation works: database, window, mix, libraries, broker",
        description="Creates a throwaway SQLite database through the migrations, opens the main "
        "window offscreen, computes a mix and loads the PostgreSQL and MQTT libraries; with "
        "--broker also connects to a broker. Exits 0 when every check passed.",
    )
    add_selftest_arguments(selftest)
    return parser


def add_selftest_arguments(parser: argparse.ArgumentParser) -> None:
    """Here, not in `selftest`, so building the parser at every start imports none of it."""
    parser.add_argument(
        "--broker",
        metavar="URL",
        help="also connect to this MQTT broker (mqtt://[user:pass@]host:port), subscribe, "
        "publish and receive a message",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="print tracebacks of unexpected failures"
    )


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    if not argv:
        # A plain launch (the desktop icon) opens the app: building the parser with every
        # command is a thirtieth of the whole start, for nothing to parse.
        return argparse.Namespace(command=None, database=None)
    return build_parser().parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every failure ends here as one plain line and an exit code."""
    args = _parse(sys.argv[1:] if argv is None else argv)
    from compost_desktop import clierrors

    if args.command is not None:
        from compost_desktop.logs import setup

        setup(to_stderr=False)  # record and simulate add stderr
    try:
        with _writer_lock(args):
            return _dispatch(args)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:
        code, message = clierrors.explain(exc)
        message = clierrors.scrub(message, args)
        if code == EXIT_FAILURE and not clierrors.expected(exc):
            log.error("%s failed", args.command or "app", exc_info=exc)
            message += f" (details in {clierrors.log_hint()})"
        else:
            log.error("%s failed: %s", args.command or "app", message)
        print(f"error: {message}", file=sys.stderr)
        return code


# Commands that write the database: they hold its writer lock (compost_desktop.db.lock), so
# `db restore` refuses to swap the file under them and they refuse to start during one.
WRITERS = {
    ("record", None): "the recorder",
    ("sync", None): "sync",
    ("db", "upgrade"): "a schema upgrade",
}


def _writer_lock(args: argparse.Namespace) -> contextlib.AbstractContextManager[object]:
    role = WRITERS.get((args.command, getattr(args, "db_command", None)))
    if role is None:
        return contextlib.nullcontext()
    from compost_desktop.db.engine import resolve_url
    from compost_desktop.db.lock import writer_lock

    held = writer_lock(resolve_url(getattr(args, "database", None)), role)
    return contextlib.closing(held) if held is not None else contextlib.nullcontext()


def _dispatch(args: argparse.Namespace) -> int:
    if args.command is None:
        from compost_desktop.gui.app import run_gui

        return run_gui(args.database)
    if args.command == "db":
        return _db(args)
    if args.command == "mix":
        return _mix(args)
    if args.command == "plan":
        return _plan(args)
    if args.command == "export":
        return _export(args)
    if args.command == "report":
        return _report(args)
    if args.command == "record":
        return _record(args)
    if args.command == "simulate":
        return _simulate(args)
    if args.command == "sync":
        from compost_desktop.logs import setup
        from compost_desktop.settings_store import settings_server_url
        from compost_desktop.sync import command

        setup(to_stderr=False)
        return command.run(args.server, settings_server_url)
    if args.command == "self-test":
        from compost_desktop import selftest

        return selftest.run(args.broker, args.verbose)
    raise AssertionError(args.command)


def _record(args: argparse.Namespace) -> int:
    from compost_desktop.clierrors import BadInput
    from compost_desktop.db.engine import DatabaseUrlError
    from compost_desktop.logs import setup
    from compost_desktop.monitoring import farm_config, recorder

    setup(to_stderr=True)
    broker = args.broker
    if args.ca_file:
        from pathlib import Path
        from urllib.parse import quote

        ca_file = Path(args.ca_file).expanduser().resolve()
        if not ca_file.is_file():
            raise BadInput(f"--ca-file {args.ca_file}: no such file.")
        separator = "&" if "?" in broker else "?"
        broker = f"{broker}{separator}ca_file={quote(str(ca_file))}"
    try:
        topics = farm_config.parse_topics(args.topics) if args.topics is not None else None
        return recorder.run(
            args.database, broker, args.client_id, topics=topics, timezone=args.timezone
        )
    except DatabaseUrlError:
        raise
    except ValueError as exc:  # the broker address, --topics or --timezone
        raise BadInput(str(exc)) from exc


def _simulate(args: argparse.Namespace) -> int:
    import signal
    import threading
    from datetime import UTC, datetime, timedelta

    from compost_desktop.logs import setup
    from compost_desktop.monitoring.client import BrokerConfig
    from compost_desktop.monitoring.simulator import Simulator

    setup(to_stderr=True)
    try:
        broker = BrokerConfig.from_url(args.broker)
        # Sped-up timestamps run ahead of the clock; starting 60 simulated days back keeps
        # them in the past (receivers refuse readings from the future) for 60 d / speed.
        start = datetime.now(UTC) - timedelta(days=60) if args.speed > 1 else None
        sim = Simulator(
            broker.host,
            broker.port,
            devices=args.devices,
            rate_hz=args.rate,
            speed=args.speed,
            seed=args.seed,
            start=start,
            username=broker.username,
            password=broker.password,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    sim.run(stop, max_messages=args.count)
    return 0


def _db(args: argparse.Namespace) -> int:
    from compost_desktop.db import migrate
    from compost_desktop.db.engine import resolve_url
    from compost_desktop.logs import setup

    setup(to_stderr=False)
    url = resolve_url(args.database)
    if args.db_command in ("backup", "restore"):
        return _backup_or_restore(args, url)
    if args.db_command == "status":
        result = migrate.status(url)
        print(result.summary())
        return 0 if result.state is not migrate.SchemaState.NEWER else EXIT_FAILURE
    result = migrate.upgrade(url)
    print(result.summary())
    if result.backup:
        print(f"A copy of the database before the upgrade is at {result.backup}")
    return 0


def _backup_or_restore(args: argparse.Namespace, url: URL) -> int:
    from pathlib import Path

    from compost_desktop.records.backup import backup, restore

    if args.db_command == "backup":
        path = backup(url, Path(args.out))
        print(f"Backup written to {path} (checked: integrity ok)")
    else:
        restore(Path(args.file), url)
        print(f"Restored {args.file}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from compost_desktop.clierrors import BadInput
    from compost_desktop.db.engine import make_engine, resolve_url
    from compost_desktop.records.export import export, format_for

    start, end = args.start, args.end
    if start is not None and end is not None and end < start:
        raise BadInput(f"--to {end} is before --from {start}.")
    url = resolve_url(args.database)
    _require_current(url)
    engine = make_engine(url)
    try:
        out = Path(args.out)
        fmt = format_for(out, args.format)
        rows = export(engine, args.kind, out, start, end, fmt=fmt)
    finally:
        engine.dispose()
    print(f"{rows} {args.kind} written to {args.out}")
    return 0


def _require_current(url: URL) -> None:
    """Commands that read need the current schema; say what to do when it is not."""
    from compost_desktop.clierrors import CommandError
    from compost_desktop.db import migrate

    state = migrate.status(url)
    if state.state is migrate.SchemaState.CURRENT:
        return
    if state.state is migrate.SchemaState.NEWER:
        raise CommandError(
            f"{state.url} was made by a newer Compost Desktop (schema revision "
            f"{state.current}); update this app to use it."
        )
    raise CommandError(f"{state.summary()}; run `compost-desktop db upgrade` first.")


def _report(args: argparse.Namespace) -> int:
    import os

    from compost_desktop.db.engine import make_engine, resolve_url
    from compost_desktop.services.history import CycleNotFound

    # Rendering a PDF needs Qt's fonts, never a screen.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    from compost_desktop import APP_ID, settings_store
    from compost_desktop.reports.document import ReportDocument, local_now
    from compost_desktop.services.report_data import gather_report

    if QGuiApplication.instance() is None:
        app = QGuiApplication([sys.argv[0]])
        # The app's own settings (units, C:N band) live under these names.
        app.setOrganizationName(APP_ID)
        app.setApplicationName(APP_ID)
    settings = settings_store.load()
    rules = settings.rules()  # the presets and the farm's own rules
    rule: PathogenRule | None
    if args.rule is None:  # the app's choice, or the first preset if that rule is gone
        rule = rules.get(settings.pathogen.rule, next(iter(rules.values())))
    else:
        rule = rules.get(args.rule)
    if rule is None:
        print(
            f"error: unknown rule {args.rule!r}; choose one of {', '.join(rules)}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    url = resolve_url(args.database)
    _require_current(url)
    engine = make_engine(url)
    try:
        data = gather_report(engine, args.cycle_id, rule, local_now(), band=settings.band)
    except CycleNotFound as exc:
        print(f"error: {exc} `compost-desktop export cycles` lists them.", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        engine.dispose()
    document = ReportDocument(data, settings.units)
    try:
        path = document.write_pdf(args.out)
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    pages = document.page_count
    print(
        f"Report of '{data.facts.name}' ({pages} page{'s' if pages != 1 else ''}) written to {path}"
    )
    return 0


def _mix(args: argparse.Namespace) -> int:
    from compost_desktop import mixcli
    from compost_desktop.clierrors import BadInput

    library: mixcli.Library = mixcli.builtin_library
    if args.database:  # a database that cannot be read is not the recipe's fault (exit 1)
        library = _database_library(args.database)
    try:
        result = mixcli.run(sys.stdin.read(), library)
    except mixcli.RecipeError as exc:
        raise BadInput(str(exc)) from exc
    except (OverflowError, ValueError) as exc:  # e.g. a mass of 10**400 kg
        raise BadInput(f"The recipe holds a number too large to use ({exc}).") from exc
    json.dump(result, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def _plan(args: argparse.Namespace) -> int:
    from compost_desktop import mixcli, plancli
    from compost_desktop.clierrors import BadInput

    library: mixcli.Library = mixcli.builtin_library
    if args.database:  # a database that cannot be read is not the plan's fault (exit 1)
        library = _database_library(args.database)
    try:
        result = plancli.run(sys.stdin.read(), library)
    except plancli.PlanInputError as exc:
        raise BadInput(str(exc)) from exc
    except (OverflowError, ValueError) as exc:
        raise BadInput(f"The plan holds a number too large to use ({exc}).") from exc
    json.dump(result, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def _database_library(raw_url: str) -> mixcli.Catalogue:
    from compost_desktop import mixcli
    from compost_desktop.db.engine import make_engine, resolve_url
    from compost_desktop.services.store import Store

    url = resolve_url(raw_url)
    _require_current(url)
    return mixcli.Catalogue(tuple(Store(make_engine(url)).materials()))


if __name__ == "__main__":
    sys.exit(main())
