"""Engines for the embedded SQLite default and the farm's PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from compost_desktop.paths import data_dir

ENV_DATABASE_URL = "COMPOST_DATABASE_URL"


class DatabaseUrlError(ValueError):
    """The database address cannot be used; the message says how to write one."""


def default_url() -> str:
    return f"sqlite:///{data_dir() / 'compost.db'}"


def resolve_url(explicit: str | None = None) -> URL:
    """Command-line value, then the environment, then the embedded default."""
    raw = explicit or os.environ.get(ENV_DATABASE_URL) or default_url()
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise DatabaseUrlError(
            f"'{raw}' is not a database URL; use e.g. postgresql+psycopg://user@host/db "
            "or sqlite:///path/to/file.db"
        ) from exc
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseUrlError(
            f"Unsupported database '{backend}'; Compost Desktop works with SQLite and PostgreSQL."
        )
    if backend == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")  # psycopg 3 is the driver we ship
    if backend == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return url


def describe(url: URL) -> str:
    """A short description for status bars and messages, never showing a password."""
    if url.get_backend_name() == "sqlite":
        return f"SQLite {url.database}"
    return f"PostgreSQL {url.database} on {url.host or 'localhost'}:{url.port or 5432}"


def make_engine(url: URL | str, **kwargs: Any) -> Engine:
    url = resolve_url(url) if isinstance(url, str) else url
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("connect_timeout", 5)
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    event.listen(engine, "connect", _postgres_on_connect)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # We issue BEGIN ourselves (below): pysqlite's own handling breaks SAVEPOINT and DDL.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable in WAL mode across app crashes
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock up front: several threads (screens, recorder, sync)
    # then wait their turn instead of failing when a read turns into a write.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _postgres_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Legacy columns are TIMESTAMP without zone: pin the session zone so they read as UTC.
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()
