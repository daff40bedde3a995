"""`compost-desktop sync`: one sync round without the GUI, for schedulers and support."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import TextIO

from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

EXIT_DONE = 0
EXIT_FAILED = 1
EXIT_CONFLICTS = 3


class ProgressPrinter:
    """Progress lines on stderr: one when a stage starts, then at most one a second."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.stage = ""
        self.shown = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage == self.stage and now - self.shown < 1.0 and done < total:
            return
        self.stage, self.shown = stage, now
        print(f"sync: {stage} {done:,} of {total:,}", file=self.out, flush=True)


def run(
    server_url: str | None,
    settings_url: Callable[[], str | None] = lambda: None,
    err: TextIO = sys.stderr,
    out: TextIO = sys.stdout,
) -> int:
    """Sync the local store in the data folder with the server; the exit code says how.

    Without `server_url`, `settings_url` gives the server configured in the app.
    """
    from compost_desktop.db import migrate
    from compost_desktop.db.engine import (
        DatabaseUrlError,
        default_url,
        describe,
        make_engine,
        resolve_url,
    )
    from compost_desktop.sync.engine import ServerUnreachable, SyncEngine

    raw = server_url or settings_url()
    if not raw:
        print(
            "error: no farm server is configured; set one in Settings or pass --server URL",
            file=err,
        )
        return EXIT_FAILED
    try:
        server = resolve_url(raw)
    except DatabaseUrlError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_FAILED
    if server.get_backend_name() != "postgresql":
        print("error: the farm server must be a PostgreSQL database", file=err)
        return EXIT_FAILED
    local = resolve_url(default_url())
    where = describe(server)
    try:
        migrate.ensure_current(local)
    except (migrate.MigrationError, SQLAlchemyError) as exc:
        print(f"error: the local store cannot be opened: {exc}", file=err)
        return EXIT_FAILED
    local_engine = make_engine(local)
    server_engine = make_engine(server)
    try:
        try:
            migrate.ensure_current(server)
            report = SyncEngine(local_engine, server_engine).sync(progress=ProgressPrinter(err))
        except migrate.DatabaseUnreachableError:
            print(f"error: cannot reach the farm server ({where}); check the network", file=err)
            return EXIT_FAILED
        except (ServerUnreachable, SQLAlchemyError, OSError) as exc:
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            print(
                f"error: cannot reach the farm server ({where}): "
                f"{detail[0] if detail else type(exc).__name__}",
                file=err,
            )
            return EXIT_FAILED
        except migrate.MigrationError as exc:
            print(f"error: the farm server ({where}) cannot be used: {exc}", file=err)
            return EXIT_FAILED
    finally:
        local_engine.dispose()
        server_engine.dispose()
    print(
        f"Synced with {where}: sent {report.pushed:,} changes and {report.readings_pushed:,} "
        f"readings, received {report.pulled:,} changes and {report.readings_pulled:,} readings; "
        f"{report.waiting:,} waiting, {report.open_conflicts:,} conflicts",
        file=out,
    )
    if report.readings_refused:
        print(
            f"warning: the server refused {report.readings_refused:,} readings; they are kept "
            "in this PC's sync_rejected table with the reason",
            file=err,
        )
    if report.open_conflicts:
        print(
            f"{report.open_conflicts} conflict(s) wait for a choice: open the app and click "
            "the sync status in the status bar",
            file=err,
        )
        return EXIT_CONFLICTS
    return EXIT_DONE
