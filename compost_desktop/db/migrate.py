"""Schema upgrades run from the app or the command line, with no alembic.ini needed.

SQLite files are copied aside before an upgrade and the upgrade runs in one transaction on
both backends, so a refused or failed upgrade leaves the database as it was. A database
stamped by a newer Compost Desktop is refused rather than guessed at.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DatabaseError, OperationalError

from compost_desktop.db.engine import describe, make_engine
from compost_desktop.db.errors import first_line

if TYPE_CHECKING:
    from alembic.config import Config

LEGACY_TABLES = ("compost_batch", "cycle_waste_input", "compost_materials")


class MigrationError(RuntimeError):
    """An upgrade could not be done; the message says why and what to do."""


class NewerDatabaseError(MigrationError):
    pass


class DatabaseUnreachableError(MigrationError):
    pass


class DamagedDatabaseError(MigrationError):
    """The SQLite file is not a readable database (truncated, overwritten, corrupt)."""


class SchemaState(StrEnum):
    EMPTY = "empty"  # no tables of ours: a new database
    LEGACY = "legacy"  # the old server system's tables, never upgraded by us
    OUTDATED = "outdated"  # ours, but migrations are pending
    CURRENT = "current"
    NEWER = "newer"  # stamped by a later app version


@dataclass(frozen=True, slots=True)
class DbStatus:
    url: str
    state: SchemaState
    current: str | None
    head: str
    backup: Path | None = None

    def summary(self) -> str:
        text = {
            SchemaState.EMPTY: "empty; `db upgrade` will create the schema",
            SchemaState.LEGACY: "tables from the old server system; `db upgrade` will adopt them",
            SchemaState.OUTDATED: f"at revision {self.current}, upgrade to {self.head} pending",
            SchemaState.CURRENT: f"up to date (revision {self.current})",
            SchemaState.NEWER: (
                f"at revision {self.current}, made by a newer Compost Desktop; "
                "update this app before using it"
            ),
        }[self.state]
        return f"{self.url}: {text}"


def migrations_dir() -> Path:
    """The Alembic scripts: beside the package in a checkout, or inside the frozen bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    candidates = [Path(bundle) / "migrations"] if bundle else []
    candidates.append(Path(__file__).resolve().parents[2] / "migrations")
    for path in candidates:
        if (path / "env.py").is_file():
            return path
    raise MigrationError(f"The database migrations are missing (looked in {candidates}).")


def _config(connection: Any = None) -> Config:
    from alembic.config import Config  # the migration runtime: only when upgrading

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["connection"] = connection
    return config


_REVISION = re.compile(r'^(down_revision|revision)\s*=\s*(?:"([^"]*)"|None)', re.MULTILINE)


@cache
def revision_chain() -> tuple[str, ...]:
    """The migrations' revisions, oldest first, read from the scripts' own assignments.

    Checking a database that is already current is what every start does; reading two lines
    per script takes a millisecond where loading Alembic's script runtime takes 150 ms.
    The chain has no branches (CONTRIBUTING), which this checks; Alembic itself runs them.
    """
    parents: dict[str, str | None] = {}
    for path in sorted((migrations_dir() / "versions").glob("*.py")):
        found = dict((m.group(1), m.group(2)) for m in _REVISION.finditer(path.read_text("utf-8")))
        if found.get("revision"):
            parents[str(found["revision"])] = found.get("down_revision")
    children = {parent: rev for rev, parent in parents.items()}
    if len(children) != len(parents):
        raise MigrationError("The migrations branch; they must form one chain.")
    chain: list[str] = []
    rev = children.get(None)
    while rev is not None:
        chain.append(rev)
        rev = children.get(rev)
    if len(chain) != len(parents):
        raise MigrationError("The migrations do not form one chain from the first revision.")
    return tuple(chain)


def head_revision() -> str:
    return revision_chain()[-1]


def _known_revisions() -> set[str]:
    return set(revision_chain())


def _current_revision(conn: Any, tables: set[str]) -> str | None:
    """What Alembic's MigrationContext.get_current_revision() reads, without loading it."""
    if "alembic_version" not in tables:
        return None
    rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) > 1:
        raise MigrationError(f"The database has several schema revisions: {sorted(rows)}.")
    return str(rows[0]) if rows else None


def status(url: URL) -> DbStatus:
    engine = make_engine(url)
    try:
        return _status(engine, url)
    finally:
        engine.dispose()


def _status(engine: Engine, url: URL) -> DbStatus:
    head = head_revision()
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            current = _current_revision(conn, tables)
    except OperationalError as exc:
        if url.get_backend_name() == "sqlite":
            raise DatabaseUnreachableError(_sqlite_problem(url, exc)) from exc
        raise DatabaseUnreachableError(
            f"Cannot reach {describe(url)}: {first_line(exc)}. Check that the server is running "
            "and the address is right."
        ) from exc
    except DatabaseError as exc:  # sqlite3.DatabaseError: not a database, malformed
        if url.get_backend_name() != "sqlite":
            raise
        raise DamagedDatabaseError(_sqlite_problem(url, exc)) from exc
    if current is None:
        state = SchemaState.LEGACY if tables & set(LEGACY_TABLES) else SchemaState.EMPTY
    elif current not in _known_revisions():
        state = SchemaState.NEWER
    elif current == head:
        state = SchemaState.CURRENT
    else:
        state = SchemaState.OUTDATED
    return DbStatus(describe(url), state, current, head)


def upgrade(url: URL) -> DbStatus:
    """Bring the database to the current schema; a no-op when it already is."""
    before = status(url)
    if before.state is SchemaState.NEWER:
        raise NewerDatabaseError(before.summary())
    if before.state is SchemaState.CURRENT:
        return before
    backup = _backup_sqlite(url, before) if url.get_backend_name() == "sqlite" else None
    engine = _migration_engine(url)
    try:
        from alembic import command

        with engine.begin() as conn:
            command.upgrade(_config(conn), "head")
            if url.get_backend_name() == "sqlite":
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise MigrationError(f"The upgrade would break row references: {broken[:5]}")
    except MigrationError:
        raise
    except Exception as exc:
        # Alembic raises the migration's own error (e.g. LegacyDataError) unchanged.
        note = f" A copy taken before the upgrade is at {backup}." if backup else ""
        raise MigrationError(f"Upgrade of {describe(url)} failed: {exc}{note}") from exc
    finally:
        engine.dispose()
    after = status(url)
    return DbStatus(after.url, after.state, after.current, after.head, backup)


def ensure_current(url: URL) -> DbStatus:
    """What the app does at start: upgrade what it may, refuse what it must."""
    return upgrade(url)


def _migration_engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        return make_engine(url)
    # Batch migrations recreate tables: with foreign keys on, dropping the old table would
    # cascade-delete child rows. pysqlite also needs an explicit BEGIN for DDL to roll back.
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        dbapi_connection.execute("PRAGMA busy_timeout=5000")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _backup_sqlite(url: URL, before: DbStatus) -> Path | None:
    """A consistent copy of the file (sqlite3 backup API, safe with WAL) next to it."""
    if not url.database or url.database == ":memory:":
        return None
    source = Path(url.database).expanduser()
    if before.state is SchemaState.EMPTY or not source.exists():
        return None
    revision = before.current or "legacy"
    earlier = _unchanged_backup(source, revision)
    if earlier is not None:  # a refused upgrade tried again: the copy made then still holds
        return earlier
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = source.with_name(f"{source.name}.{revision}.{stamp}.bak")
    n = 1
    while target.exists():  # two copies within one second keep both
        n += 1
        target = source.with_name(f"{source.name}.{revision}.{stamp}-{n}.bak")
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    return target


def _sqlite_problem(url: URL, exc: BaseException) -> str:
    """What a SQLite failure means for the user's file, without talk of servers."""
    detail = first_line(exc)
    lowered = detail.lower()
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return (
            f"The database file {url.database} is damaged ({detail}). Restore a backup with "
            "`compost-desktop db restore FILE`, or move the file aside to start afresh."
        )
    if "locked" in lowered or "busy" in lowered:
        return f"The database file {url.database} is busy ({detail}); try again in a moment."
    if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered:
        return (
            f"Cannot open the database file {url.database} ({detail}): check that its folder "
            "exists and that you may write to it and the file."
        )
    if "disk is full" in lowered or "disk i/o" in lowered:
        return f"Cannot use the database file {url.database} ({detail}): check the disk."
    return f"Cannot use the database file {url.database}: {detail}."


def _unchanged_backup(source: Path, revision: str) -> Path | None:
    """The newest copy of `source` at `revision` made after its last change, if any."""
    copies = list(source.parent.glob(f"{source.name}.{revision}.*.bak"))
    if not copies:
        return None
    newest = max(copies, key=lambda p: p.stat().st_mtime)
    changed = max(
        (p.stat().st_mtime for p in (source, Path(f"{source}-wal")) if p.exists()), default=0.0
    )
    return newest if newest.stat().st_mtime > changed else None
