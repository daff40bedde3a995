"""Engines for the embedded SQLite default and the farm's PostgreSQL."""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from compost_desktop.paths import data_dir

log = logging.getLogger(__name__)


ENV_DATABASE_URL = "COMPOST_DATABASE_URL"
# A statement this long without an answer is logged (a hung server shows within seconds).
SLOW_STATEMENT_S = 5.0


class DatabaseUrlError(ValueError):
    """The database address cannot be used; the message says how to write one."""


def default_url() -> str:
    return f"sqlite:///{data_dir() / 'compost.db'}"


_PASSWORD_IN_URL = re.compile(r"(?P<head>(?:[A-Za-z][\w+.-]*://)?[^:/@\s]*):\S*@")


def mask_url(raw: str) -> str:
    """The URL as typed with any password replaced by ***, safe to print and log."""
    return _PASSWORD_IN_URL.sub(r"\g<head>:***@", raw)


def resolve_url(explicit: str | None = None) -> URL:
    """Command-line value, then the environment, then the embedded default."""
    raw = explicit or os.environ.get(ENV_DATABASE_URL) or default_url()
    example = "use e.g. postgresql+psycopg://user@host/db or sqlite:///path/to/file.db"
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise DatabaseUrlError(f"'{mask_url(raw)}' is not a database URL; {example}") from exc
    except ValueError as exc:  # e.g. a port that is not a number
        raise DatabaseUrlError(
            f"'{mask_url(raw)}' is not a usable database URL (the port must be a number); {example}"
        ) from exc
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseUrlError(
            f"Unsupported database '{backend}'; Compost Desktop works with SQLite and PostgreSQL."
        )
    if backend == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")  # psycopg 3 is the driver we ship
    try:
        url.get_dialect()
    except NoSuchModuleError as exc:
        raise DatabaseUrlError(
            f"Unknown database driver '{url.drivername}' in '{mask_url(raw)}'; "
            "use postgresql+psycopg:// or sqlite:///"
        ) from exc
    if url.port is not None and not 0 < url.port < 65536:
        raise DatabaseUrlError(f"Port {url.port} in '{mask_url(raw)}' is not a valid port.")
    if backend == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return url


def describe(url: URL) -> str:
    """A short description for status bars and messages, never showing a password."""
    if url.get_backend_name() == "sqlite":
        return f"SQLite {url.database}"
    return f"PostgreSQL {url.database} on {url.host or 'localhost'}:{url.port or 5432}"


def make_engine(
    url: URL | str, *, read_only: bool = False, foreign_keys: bool = True, **kwargs: Any
) -> Engine:
    """The one engine factory: every connection the app, the commands and the recorder make.

    `read_only` (SQLite): transactions begin deferred and the connection refuses writes, so
    a long read (an export of a million readings) is a WAL snapshot that never takes the
    write lock the screens, the recorder and sync wait on. `foreign_keys=False` (SQLite) is
    for copying a database table by table, parents first (backup and restore).
    """
    url = resolve_url(url) if isinstance(url, str) else url
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, **kwargs)

        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            _sqlite_on_connect(dbapi_connection, foreign_keys=foreign_keys, read_only=read_only)

        event.listen(engine, "connect", on_connect)
        event.listen(engine, "begin", _sqlite_begin_deferred if read_only else _sqlite_on_begin)
        return engine
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("connect_timeout", 5)
    # A cut cable or a dead server must end a query in seconds, not after the OS's
    # two-hour keepalive: TCP keepalives probe an idle link, tcp_user_timeout (ms) gives
    # up on data the server never acknowledged.
    for key, value in (
        ("keepalives", 1),
        ("keepalives_idle", 10),
        ("keepalives_interval", 3),
        ("keepalives_count", 3),
        ("tcp_user_timeout", 15_000),
    ):
        connect_args.setdefault(key, value)
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    event.listen(engine, "connect", _postgres_on_connect)
    _watch_statements(engine, describe(url))
    return engine


def _sqlite_on_connect(dbapi_connection: Any, *, foreign_keys: bool, read_only: bool) -> None:
    # We issue BEGIN ourselves (below): pysqlite's own handling breaks SAVEPOINT and DDL.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
    if read_only:
        cursor.execute("PRAGMA query_only=ON")
    else:
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable in WAL mode across app crashes
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock up front: several threads (screens, recorder, sync)
    # then wait their turn instead of failing when a read turns into a write.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_begin_deferred(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")  # a read-only snapshot: no write lock, ever


def _postgres_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Legacy columns are TIMESTAMP without zone: pin the session zone so they read as UTC.
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()


class _SlowStatementWatch:
    """Logs a statement the server has not answered within SLOW_STATEMENT_S.

    A stopped (SIGSTOP) or wedged server still acknowledges TCP, so no socket timeout
    fires and the caller just waits; this says so in the log within seconds. One daemon
    thread for the process, started with the first server engine.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[int, list[Any]] = {}  # cursor id -> [start, where, warned]
        self._thread: threading.Thread | None = None

    def started(self, key: int, where: str) -> None:
        with self._lock:
            self._running[key] = [time.monotonic(), where, False]
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="db-watch", daemon=True)
                self._thread.start()

    def finished(self, key: int) -> None:
        with self._lock:
            entry = self._running.pop(key, None)
        if entry is not None and entry[2]:
            log.warning("%s answered after %.0f s", entry[1], time.monotonic() - entry[0])

    def _watch(self) -> None:
        while True:
            time.sleep(1.0)
            now = time.monotonic()
            with self._lock:
                late = [
                    e for e in self._running.values() if not e[2] and now - e[0] > SLOW_STATEMENT_S
                ]
                for entry in late:
                    entry[2] = True
            for start, where, _warned in late:
                log.warning(
                    "%s has not answered for %.0f s; still waiting (is the server hung or "
                    "overloaded?)",
                    where,
                    now - start,
                )


_slow = _SlowStatementWatch()


def _watch_statements(engine: Engine, where: str) -> None:
    def before(_conn: Any, cursor: Any, *_args: Any) -> None:
        _slow.started(id(cursor), where)

    def after(_conn: Any, cursor: Any, *_args: Any) -> None:
        _slow.finished(id(cursor))

    def failed(context: Any) -> None:
        cursor = getattr(context, "cursor", None)  # absent when connecting failed
        if cursor is not None:
            _slow.finished(id(cursor))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "handle_error", failed)
