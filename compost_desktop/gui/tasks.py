"""Background work for the screens, handed back to the GUI thread.

`DatabaseRunner` is the one thread the screens read and write the local store on, so their
writes never interleave; they read through the store's read-only snapshot engine, and the
recorder and sync write on their own connections (every write begins IMMEDIATE). `IoRunner`
is a few threads for work that waits on something else: the keyring, a broker, a farm
server, a sync round, an export or backup. Widgets submit a callable and a slot; the
callable runs on the runner's thread and the slot on the GUI thread, which never waits on
I/O. Tests swap in `ImmediateRunner` so nothing waits (Picard's fake thread pool).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt, Signal, Slot

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]
# What a task changed: known up front, or read off its result (a new cycle's id).
ChangesOf = frozenset[str] | Callable[[Any], frozenset[str]]


class Changes(frozenset[str]):
    """What an operation changed: kinds (`CYCLES`, `MATERIALS`, …) and, where the operation
    knows them, the cycles it touched, so a list can refresh those rows instead of
    reloading ten thousand (Anki's OpChanges). Screens that only ask "did cycles change?"
    use it as the plain set of kinds it is."""

    cycle_ids: frozenset[int] | None

    def __new__(cls, kinds: Iterable[str], cycle_ids: Iterable[int] | None = None) -> Changes:
        made = super().__new__(cls, kinds)
        made.cycle_ids = None if cycle_ids is None else frozenset(cycle_ids)
        return made


def cycle_ids_of(changes: frozenset[str]) -> frozenset[int] | None:
    """The cycles a change names, or None when it may be any of them."""
    return changes.cycle_ids if isinstance(changes, Changes) else None


class Runner(Protocol):
    def submit(
        self,
        fn: Callable[[], Any],
        on_done: Done | None = None,
        on_error: Failed | None = None,
        changes: ChangesOf = frozenset(),
    ) -> None: ...

    def shutdown(self) -> None: ...


class ChangeBus(QObject):
    """Says what kind of data changed, so screens refresh only what they show (Anki's OpChanges)."""

    changed = Signal(frozenset)


class ThreadRunner(QObject):
    """Runs submitted work on its threads; hands results and errors to the GUI thread."""

    _finished = Signal(object, object, object, object)
    WORKERS = 1
    NAME = "work"

    def __init__(self, bus: ChangeBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bus = bus
        self._executor = ThreadPoolExecutor(max_workers=self.WORKERS, thread_name_prefix=self.NAME)
        self._finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)
        self._closed = False

    def submit(
        self,
        fn: Callable[[], Any],
        on_done: Done | None = None,
        on_error: Failed | None = None,
        changes: ChangesOf = frozenset(),
    ) -> None:
        def work() -> None:
            try:
                result = fn()
            except BaseException as exc:
                self._finished.emit(on_error, None, exc, frozenset())
            else:
                self._finished.emit(on_done, result, None, changes)

        if self._closed:
            # A page timer firing while the app quits: nothing can run any more, and raising
            # into Qt's event loop would only turn a quiet quit into an error dialog.
            log.info("Not started, the app is shutting down: %s", getattr(fn, "__qualname__", fn))
            return
        self._executor.submit(work)

    @Slot(object, object, object, object)
    def _on_finished(
        self, callback: Any, result: Any, error: BaseException | None, changes: ChangesOf
    ) -> None:
        _deliver(self.bus, callback, result, error, changes)

    def shutdown(self) -> None:
        """Finish what is queued before the app exits: nothing saved is dropped."""
        self._closed = True
        self._executor.shutdown(wait=True)


class DatabaseRunner(ThreadRunner):
    """One thread, so the screens' database work runs in the order it was asked for."""

    WORKERS = 1
    NAME = "db"


class IoRunner(ThreadRunner):
    """A few threads for waiting on the world (keyring, brokers, servers); never the store.

    At quit `shutdown` waits for what is running. The hub's own stops (paho's thread, the
    reading writer's last flush) keep their threads, because quit waits for those with a
    time limit that an executor cannot give.
    """

    WORKERS = 4
    NAME = "io"


class ImmediateRunner:
    """Runs work inline; for tests, where waiting on threads only adds flakiness."""

    def __init__(self, bus: ChangeBus) -> None:
        self.bus = bus

    def submit(
        self,
        fn: Callable[[], Any],
        on_done: Done | None = None,
        on_error: Failed | None = None,
        changes: ChangesOf = frozenset(),
    ) -> None:
        try:
            result = fn()
        except Exception as exc:
            _deliver(self.bus, on_error, None, exc, frozenset())
        else:
            _deliver(self.bus, on_done, result, None, changes)

    def shutdown(self) -> None:
        pass


def _deliver(
    bus: ChangeBus,
    callback: Any,
    result: Any,
    error: BaseException | None,
    changes: ChangesOf,
) -> None:
    if error is not None:
        if callback is None:
            log.error("Background task failed", exc_info=error)
            raise error
        callback(error)
        return
    if callback is not None:
        callback(result)
    if callable(changes):
        changes = changes(result)
    if changes:
        bus.changed.emit(changes)
