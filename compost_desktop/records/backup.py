"""Backups of the farm's data and restores from them, on SQLite and PostgreSQL.

A backup is always one self-contained SQLite file holding our tables at the source's schema
revision (`alembic_version`) plus a `compost_backup_info` table naming it as ours.

* SQLite source: copied with the sqlite3 backup API inside one read transaction, so the
  copy is the snapshot taken when it began: in WAL mode writers (the app, the recorder) go
  on meanwhile, and the copy does not restart each time one of them commits (which, page
  step by page step, it otherwise does, for ever on a database being recorded into).
* PostgreSQL source: must be at this app's schema revision; every table of ours is read in
  one REPEATABLE READ transaction (one snapshot) into a new SQLite file made by the
  migrations, table by table in dependency order, in batches.

A backup passes SQLite's ``integrity_check`` before it is kept: a source with damaged pages
gives no file. A cancelled backup (`cancel` event) leaves nothing behind. A restore refuses files that are
not ours and backups from a newer app, and never leaves the target half-restored:

* SQLite target: the restored database is built in a temporary file beside the target
  (upgraded to this app's schema if the backup is older), then swapped in with one atomic
  rename. The previous database is kept as ``<name>.before-restore-<time>``. Another
  process writing the file (the app, a recorder, sync) makes the restore refuse, naming it
  (``compost_desktop.db.lock``); the app pauses its own as its File menu does. A damaged
  target is not opened: it is copied aside byte for byte and replaced. The
  target keeps its own sync identity (``sync_state.client_id``): a PC restored from another
  PC's backup must not push under that PC's name, or the server would take its stale rows
  for that PC's latest; without one, a new identity is made at the next sync.
* PostgreSQL target: one transaction that locks our tables, deletes their rows and inserts
  the backup's. The server's sync triggers (``sync_stamp``, migration 0003) give every
  restored row a new ``sync_seq`` and log the deletions and insertions in ``sync_log``, which
  is kept as it is rather than rewound: connected PCs then see the restore as ordinary
  changes and converge on it. ``sync_seq`` values therefore differ from the backup's.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, Table, create_engine, delete, event, func, insert, select, text
from sqlalchemy.engine import URL, Connection

from compost_desktop import __version__
from compost_desktop.db import health, lock, migrate
from compost_desktop.db.engine import describe, make_engine, resolve_url
from compost_desktop.db.models import Base, SyncLog, SyncState

FORMAT = "compost-desktop-backup"
FORMAT_VERSION = "1"
INFO_TABLE = "compost_backup_info"
BATCH = 5000

Progress = Callable[[int, int], None]  # (done, total): pages for SQLite, rows for PostgreSQL


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why and what to do."""


class NotABackupError(BackupError):
    pass


class BackupCancelled(BackupError):
    def __init__(self) -> None:
        super().__init__("Backup cancelled; no file was written.")


class NewerBackupError(BackupError):
    pass


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: Path
    revision: str
    created_at: str
    source: str
    app_version: str


def our_tables() -> list[Table]:
    """The tables of ours in dependency order (parents first)."""
    return list(Base.metadata.sorted_tables)


def _as_url(url: URL | str) -> URL:
    return resolve_url(url) if isinstance(url, str) else url


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _temp_path(beside: Path, tag: str) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{beside.name}.", suffix=f".{tag}", dir=beside.parent)
    os.close(fd)
    path = Path(name)
    path.unlink()  # sqlite creates it; an empty file would do too, but this is clearer
    return path


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _sqlite_url(path: Path) -> URL:
    return resolve_url(f"sqlite:///{path}")


def _raw_engine(path: Path) -> Engine:
    """Plain SQLite engine: foreign keys off (rows are copied parents first), explicit BEGIN."""
    engine = create_engine(_sqlite_url(path))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        dbapi_connection.execute("PRAGMA busy_timeout=15000")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _known_revisions() -> set[str]:
    script = ScriptDirectory(str(migrate.migrations_dir()))
    return {rev.revision for rev in script.walk_revisions()}


# --- backup -------------------------------------------------------------------------------


def backup(
    url: URL | str,
    target: Path,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Write a consistent copy of the database at `url` to `target` (a SQLite file).

    Raises BackupCancelled, leaving no file, once `cancel` is set.
    """
    url = _as_url(url)
    target = Path(target).expanduser().resolve()
    state = migrate.status(url)
    if state.state in (migrate.SchemaState.EMPTY, migrate.SchemaState.LEGACY):
        raise BackupError(
            f"{state.url} holds no Compost Desktop data yet; run `compost-desktop db upgrade`."
        )
    if state.state is migrate.SchemaState.NEWER:
        raise BackupError(f"{state.summary()}.")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_path(target, "part")
    try:
        if url.get_backend_name() == "sqlite":
            revision = _copy_sqlite_file(
                Path(str(url.database)).expanduser(), tmp, progress, cancel
            )
        else:
            if state.state is not migrate.SchemaState.CURRENT:
                raise BackupError(
                    f"{state.summary()}; run `compost-desktop db upgrade` before backing it up."
                )
            revision = _copy_postgres(url, tmp, progress, cancel)
        _check(cancel)
        _verify(tmp, describe(url))
        _write_info(tmp, revision, describe(url))
        os.replace(tmp, target)
    except BaseException:
        _remove_sqlite(tmp)
        raise
    return target


def _verify(copy: Path, source: str) -> None:
    """The copy must pass SQLite's integrity check; a damaged source gives a damaged copy."""
    try:
        with _sqlite3(copy) as conn:
            rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check(20)").fetchall()]
    except sqlite3.DatabaseError as exc:  # damage bad enough to stop the check itself
        rows = [str(exc)]
    if rows != ["ok"]:
        raise BackupError(
            f"{source} has damaged pages ({'; '.join(rows[:3])}), so its copy would be damaged "
            "too; no backup was written. Restore your last good backup, or run SQLite's "
            "`.recover` on a copy of the file to rescue what is readable."
        )


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise BackupCancelled()


def _copy_sqlite_file(
    source: Path, dest: Path, progress: Progress | None, cancel: threading.Event | None
) -> str:
    def step(_status: int, remaining: int, total: int) -> None:
        _check(cancel)  # raised through sqlite3's backup, which then stops
        if progress is not None:
            progress(total - remaining, total)

    try:
        return _copy_sqlite_pages(source, dest, step)
    except sqlite3.DatabaseError as exc:
        if "full" in str(exc).lower():
            raise
        raise BackupError(
            f"{source} cannot be read as a database ({exc}); no backup was written. Restore "
            "your last good backup."
        ) from exc


def _copy_sqlite_pages(source: Path, dest: Path, step: Callable[[int, int, int], None]) -> str:
    src = sqlite3.connect(source, isolation_level=None)
    try:
        # Hold one read snapshot for the whole copy (see the module's docstring).
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst, pages=1024, progress=step)
        finally:
            dst.close()
        src.execute("COMMIT")
    finally:
        src.close()
    with _sqlite3(dest) as conn:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    if row is None:
        raise BackupError(f"{source} has no schema revision; run `compost-desktop db upgrade`.")
    return str(row[0])


def _copy_postgres(
    url: URL, dest: Path, progress: Progress | None, cancel: threading.Event | None
) -> str:
    created = migrate.upgrade(_sqlite_url(dest))  # the schema, at this app's revision
    if created.backup is not None:
        created.backup.unlink(missing_ok=True)
    source = make_engine(url)
    sink = _raw_engine(dest)
    try:
        with source.connect() as conn, sink.begin() as out:
            snapshot = conn.execution_options(isolation_level="REPEATABLE READ")
            snapshot.begin()
            revision = snapshot.scalar(text("SELECT version_num FROM alembic_version"))
            if revision != created.current:
                raise BackupError(
                    f"{describe(url)} changed revision during the backup ({revision}); retry."
                )
            tables = our_tables()
            total = sum(snapshot.scalar(select(func.count()).select_from(t)) or 0 for t in tables)
            # The local outbox triggers skip changes while sync_state says 'applying'.
            _set_applying(out, True)
            for table in reversed(tables):  # the migrations seed the materials library
                keep_flag = table.c.key == "applying" if table.name == "sync_state" else None
                out.execute(delete(table) if keep_flag is None else delete(table).where(~keep_flag))
            done = 0
            for table in tables:
                with _batches(snapshot, table) as batches:
                    for rows in batches:
                        _check(cancel)
                        out.execute(insert(table), rows)
                        done += len(rows)
                        if progress is not None:
                            progress(done, total)
            _set_applying(out, False)
            snapshot.rollback()  # read only
    finally:
        sink.dispose()
        source.dispose()
    return str(revision)


@contextmanager
def _batches(conn: Connection, table: Table) -> Iterator[Iterator[list[dict[str, Any]]]]:
    """The table's rows in batches; the server-side cursor is closed however the reader stops."""
    stmt = select(table).order_by(*table.primary_key.columns)
    if table.name == SyncState.__tablename__:
        stmt = stmt.where(table.c.key != "applying")
    result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(stmt)
    try:
        yield ([dict(row) for row in part] for part in result.mappings().partitions())
    finally:
        result.close()


def _set_applying(conn: Connection, on: bool) -> None:
    state = Base.metadata.tables[SyncState.__tablename__]
    conn.execute(delete(state).where(state.c.key == "applying"))
    if on:
        conn.execute(insert(state).values(key="applying", value="restore"))


def _write_info(path: Path, revision: str, source: str) -> None:
    with _sqlite3(path) as conn:
        conn.execute(f"CREATE TABLE {INFO_TABLE} (key TEXT PRIMARY KEY, value TEXT)")
        conn.executemany(
            f"INSERT INTO {INFO_TABLE} VALUES (?, ?)",
            [
                ("format", FORMAT),
                ("format_version", FORMAT_VERSION),
                ("revision", revision),
                ("created_at", datetime.now(UTC).isoformat()),
                ("source", source),
                ("app_version", __version__),
            ],
        )
        conn.commit()
        conn.execute("PRAGMA journal_mode=DELETE")  # one self-contained file


@contextmanager
def _sqlite3(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path)
    try:
        yield conn
    finally:
        conn.close()


# --- restore ------------------------------------------------------------------------------


def inspect_backup(backup_file: Path) -> BackupInfo:
    """What the backup holds; raises NotABackupError / NewerBackupError."""
    path = Path(backup_file).expanduser()
    if not path.is_file():
        raise NotABackupError(f"{path} does not exist.")
    not_ours = NotABackupError(f"{path} is not a Compost Desktop backup.")
    try:
        with _sqlite3(path) as conn:
            info = dict(conn.execute(f"SELECT key, value FROM {INFO_TABLE}").fetchall())
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error as exc:
        raise not_ours from exc
    if info.get("format") != FORMAT or row is None:
        raise not_ours
    if info.get("format_version") != FORMAT_VERSION:
        raise NewerBackupError(
            f"{path} is in backup format {info.get('format_version')}, made by a newer "
            "Compost Desktop; update this app to restore it."
        )
    revision = str(row[0])
    if revision not in _known_revisions():
        raise NewerBackupError(
            f"{path} was made by a newer Compost Desktop (schema revision {revision}); "
            "update this app to restore it. Nothing was changed."
        )
    return BackupInfo(
        path,
        revision,
        str(info.get("created_at", "")),
        str(info.get("source", "")),
        str(info.get("app_version", "")),
    )


def restore(backup_file: Path, url: URL | str) -> None:
    """Replace the data at `url` with the backup's, all or nothing."""
    info = inspect_backup(backup_file)
    url = _as_url(url)
    if url.get_backend_name() == "sqlite":
        _restore_sqlite(info, Path(str(url.database)).expanduser().resolve())
    else:
        _restore_postgres(info, url)


def _prepare(info: BackupInfo, dest: Path) -> None:
    """A working copy of the backup at this app's schema revision, without the info table."""
    with _sqlite3(info.path) as src, _sqlite3(dest) as dst:
        src.backup(dst)
    with _sqlite3(dest) as conn:
        conn.execute(f"DROP TABLE {INFO_TABLE}")
        conn.commit()
    upgraded = migrate.upgrade(_sqlite_url(dest))
    if upgraded.backup is not None:
        upgraded.backup.unlink(missing_ok=True)
    with _sqlite3(dest) as conn:
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        ok = conn.execute("PRAGMA integrity_check").fetchone()
        conn.execute("PRAGMA journal_mode=DELETE")
    if broken or ok is None or ok[0] != "ok":
        raise BackupError(f"{info.path} is damaged: {broken[:3] or ok}. Nothing was changed.")


def _restore_sqlite(info: BackupInfo, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with ExitStack() as held:
        try:
            held.enter_context(lock.exclusive(target))
        except lock.StoreBusyError as exc:  # the app shows a BackupError's message as it is
            raise BackupError(str(exc)) from exc
        _restore_sqlite_alone(info, target)


def _restore_sqlite_alone(info: BackupInfo, target: Path) -> None:
    # A damaged target is replaced, not opened: it is kept aside byte for byte.
    damage = health.check_sqlite_file(target) if target.exists() else None
    if target.exists() and damage is None:
        state = migrate.status(_sqlite_url(target))
        if state.state is migrate.SchemaState.NEWER:
            raise BackupError(f"{state.summary()}. Nothing was changed.")
    tmp = _temp_path(target, "restoring")
    keep: Path | None = None
    try:
        identity = _identity(target) if target.exists() and damage is None else None
        _prepare(info, tmp)
        _set_identity(tmp, identity)
        if target.exists():
            keep = target.with_name(f"{target.name}.before-restore-{_stamp()}")
            if damage is None:
                with _sqlite3(target) as live:
                    # Fold the write-ahead log into the file and empty it, so no old log
                    # frames can be replayed onto the restored file; the copy kept aside is
                    # consistent.
                    live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    with _sqlite3(keep) as copy:
                        live.backup(copy)
            else:
                for suffix in ("", "-wal"):
                    if Path(f"{target}{suffix}").exists():
                        shutil.copyfile(f"{target}{suffix}", f"{keep}{suffix}")
        os.replace(tmp, target)
        if damage is not None:  # the damaged file's log must never be replayed onto ours
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
    except BaseException:
        _remove_sqlite(tmp)
        if keep is not None:
            _remove_sqlite(keep)
        raise


def _set_identity(database: Path, identity: str | None) -> None:
    """The restored store is this PC's, whoever made the backup (see the module's docstring)."""
    state = SyncState.__tablename__
    with _sqlite3(database) as conn:
        conn.execute(f"DELETE FROM {state} WHERE key = 'client_id'")
        if identity is not None:
            conn.execute(f"INSERT INTO {state} (key, value) VALUES ('client_id', ?)", (identity,))
        conn.commit()


def _identity(database: Path) -> str | None:
    try:
        with _sqlite3(database) as conn:
            row = conn.execute(
                f"SELECT value FROM {SyncState.__tablename__} WHERE key = 'client_id'"
            ).fetchone()
    except sqlite3.Error:  # no such table yet: a database that never synced
        return None
    return None if row is None else str(row[0])


def _restore_postgres(info: BackupInfo, url: URL) -> None:
    state = migrate.status(url)
    if state.state is migrate.SchemaState.NEWER:
        raise BackupError(f"{state.summary()}. Nothing was changed.")
    if state.state is not migrate.SchemaState.CURRENT:
        migrate.upgrade(url)
    with tempfile.TemporaryDirectory(prefix="compost-restore-") as folder:
        work = Path(folder) / "restore.db"
        _prepare(info, work)
        source = _raw_engine(work)
        target = make_engine(url)
        try:
            with source.connect() as src, target.begin() as out:
                _copy_into_postgres(src, out)
        finally:
            source.dispose()
            target.dispose()


def _copy_into_postgres(src: Connection, out: Connection) -> None:
    tables = [t for t in our_tables() if t.name != SyncLog.__tablename__]
    names = ", ".join(t.name for t in tables)
    out.exec_driver_sql(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE")
    for table in reversed(tables):
        out.execute(delete(table))
    for table in tables:
        _restore_table(src, out, table)


def _restore_table(src: Connection, out: Connection, table: Table) -> None:
    """Copy one table's rows, then move its id sequence past them."""
    with _batches(src, table) as batches:
        for rows in batches:
            out.execute(insert(table), rows)
    for column in table.primary_key.columns:
        sequence = out.scalar(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
        )
        if sequence:
            out.execute(
                text(
                    f"SELECT setval(:s, COALESCE((SELECT MAX({column.name}) FROM {table.name}), 1), "
                    f"(SELECT MAX({column.name}) FROM {table.name}) IS NOT NULL)"
                ),
                {"s": sequence},
            )
