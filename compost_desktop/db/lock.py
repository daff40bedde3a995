"""Writers of a local SQLite store and `db restore` exclude each other, across processes.

Swapping a restored file in under a process that still has the old one open loses that
process's later writes (they go to the replaced file) or corrupts the new one. So:

* every process that writes the store (the app, `record`, `sync`, `db upgrade`) holds a
  *writer lock* for as long as it may write: a small file of its own in ``<db>.locks/``,
  locked with an OS file lock (released by the OS when the process dies, even by kill -9),
  with a JSON note beside it saying which program and process it is;
* `db restore` holds the *gate* for its whole run. Writers register only while holding the
  gate for a moment, and the restore looks at the writers only once it holds the gate, so a
  writer cannot slip in between the check and the swap.

A writer lock of the restoring process itself does not count: the app pauses its own
recorder and sync before it restores from its File menu.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import URL

log = logging.getLogger(__name__)

GATE = "gate.lock"


class StoreBusyError(RuntimeError):
    """Another process holds the lock; the message names it and says what to do."""


@dataclass(frozen=True, slots=True)
class Holder:
    pid: int
    role: str
    command: str
    since: str

    def describe(self) -> str:
        when = self.since[11:16] + " UTC" if len(self.since) >= 16 else self.since
        return f"{self.role} (process {self.pid}, `{self.command}`, since {when})"


def lock_folder(database: Path) -> Path:
    return database.with_name(f".{database.name}.locks")


def sqlite_path(url: URL) -> Path | None:
    """The store's file for a SQLite URL, None for a server or an in-memory database."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(str(url.database)).expanduser().resolve()


# --- OS file locks ------------------------------------------------------------------------


def _try_lock(handle: IO[bytes]) -> bool:
    """An exclusive, non-blocking lock on an open file; False when someone else holds it."""
    if sys.platform == "win32":
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(handle: IO[bytes]) -> None:
    if sys.platform == "win32":
        import msvcrt

        with contextlib.suppress(OSError):
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _note(role: str) -> dict[str, Any]:
    command = " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv[:3]))
    return {
        "pid": os.getpid(),
        "role": role,
        "command": command or "python",
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _read_note(path: Path) -> Holder | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Holder(int(data["pid"]), str(data["role"]), str(data["command"]), str(data["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


class _Gate:
    def __init__(self, folder: Path) -> None:
        self.path = folder / GATE
        self.note = folder / "gate.json"
        self.handle: IO[bytes] | None = None

    def try_acquire(self, role: str) -> Holder | None:
        """None once held; else who holds it."""
        handle = open(self.path, "a+b")  # noqa: SIM115 - held open while locked
        if not _try_lock(handle):
            handle.close()
            return _read_note(self.note) or Holder(0, "another program", "?", "")
        self.handle = handle
        self.note.write_text(json.dumps(_note(role)), encoding="utf-8")
        return None

    def release(self) -> None:
        if self.handle is not None:
            with contextlib.suppress(OSError):
                self.note.unlink()
            _unlock(self.handle)
            self.handle.close()
            self.handle = None


# --- writers ------------------------------------------------------------------------------


class WriterLock:
    """Held by a process for as long as it may write the store; `release` is idempotent."""

    def __init__(self, database: Path, role: str) -> None:
        self.database = database
        self.role = role
        self.folder = lock_folder(database)
        self._handle: IO[bytes] | None = None
        self._path: Path | None = None

    def acquire(self) -> WriterLock:
        """Register as a writer; StoreBusyError while a restore of this store runs."""
        self.folder.mkdir(parents=True, exist_ok=True)
        gate = _Gate(self.folder)
        busy = gate.try_acquire(self.role)
        if busy is not None:
            raise StoreBusyError(
                f"{self.database} is being restored from a backup by {busy.describe()}; "
                "wait until it has finished, then start again."
            )
        try:
            name = f"writer-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            path = self.folder / f"{name}.lock"
            handle = open(path, "a+b")  # noqa: SIM115 - held open while locked
            if not _try_lock(handle):  # a fresh name: nobody else can hold it
                handle.close()
                raise StoreBusyError(f"Cannot lock {path}.")
            path.with_suffix(".json").write_text(json.dumps(_note(self.role)), encoding="utf-8")
            self._handle, self._path = handle, path
        finally:
            gate.release()
        return self

    def release(self) -> None:
        if self._handle is None or self._path is None:
            return
        with contextlib.suppress(OSError):
            self._path.with_suffix(".json").unlink()
        _unlock(self._handle)
        self._handle.close()
        with contextlib.suppress(OSError):
            self._path.unlink()
        self._handle = self._path = None

    close = release  # for contextlib.closing

    def __enter__(self) -> WriterLock:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()


def _live_writers(folder: Path) -> list[Holder]:
    """Other processes' writer locks still held; stale ones (dead processes) are removed."""
    holders = []
    for path in sorted(folder.glob("writer-*.lock")):
        pid_text = path.stem.split("-")[1]
        if pid_text == str(os.getpid()):
            continue
        try:
            handle = open(path, "a+b")  # noqa: SIM115
        except OSError:
            continue
        try:
            if _try_lock(handle):  # nobody holds it: left by a process that died
                _unlock(handle)
                handle.close()
                with contextlib.suppress(OSError):
                    path.unlink()
                    path.with_suffix(".json").unlink()
                continue
        finally:
            if not handle.closed:
                handle.close()
        note = _read_note(path.with_suffix(".json"))
        holders.append(note or Holder(int(pid_text), "a writer", "?", ""))
    return holders


@contextlib.contextmanager
def exclusive(database: Path, role: str = "a restore") -> Iterator[None]:
    """Hold the store alone (no other writer, no other restore) for the block."""
    folder = lock_folder(database)
    folder.mkdir(parents=True, exist_ok=True)
    gate = _Gate(folder)
    busy = gate.try_acquire(role)
    if busy is not None:
        raise StoreBusyError(
            f"{database} is already being restored by {busy.describe()}. Nothing was changed."
        )
    try:
        writers = _live_writers(folder)
        if writers:
            names = "; ".join(h.describe() for h in writers)
            raise StoreBusyError(
                f"{database} is in use by {names}. Stop it (or close the app) and run the "
                "restore again. Nothing was changed."
            )
        yield
    finally:
        gate.release()


def writer_lock(url: URL, role: str) -> WriterLock | None:
    """An acquired writer lock for a local SQLite store; None for a server database."""
    path = sqlite_path(url)
    if path is None:
        return None
    return WriterLock(path, role).acquire()


_held: dict[Path, WriterLock] = {}


def hold_for_process(url: URL, role: str) -> None:
    """Take the store's writer lock once and keep it until the process ends (the app)."""
    path = sqlite_path(url)
    if path is not None and path not in _held:
        if not _held:
            atexit.register(_release_held)  # closed, not left to the garbage collector
        _held[path] = WriterLock(path, role).acquire()


def _release_held() -> None:
    while _held:
        _held.popitem()[1].release()
