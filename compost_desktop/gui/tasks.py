"""Background work for screens: one writer thread for the database, results back by signal.

Widgets submit a callable and a slot; the callable runs on the single database thread (so
writes never interleave and the GUI thread never waits on I/O), and the slot runs on the GUI
thread. Tests swap in `ImmediateRunner` so nothing waits (Picard's fake thread pool).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt, Signal, Slot

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class Runner(Protocol):
    def submit(
        self,
        fn: Callable[[], Any],
        on_done: Done | None = None,
        on_error: Failed | None = None,
        changes: frozenset[str] = frozenset(),
    ) -> None: ...

    def shutdown(self) -> None: ...


class ChangeBus(QObject):
    """Says what kind of data changed, so screens refresh only what they show (Anki's OpChanges)."""

    changed = Signal(frozenset)


class DatabaseRunner(QObject):
    """Runs submitted work in order on one thread; hands results to the GUI thread."""

    _finished = Signal(object, object, object, object)

    def __init__(self, bus: ChangeBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bus = bus
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db")
        self._finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)

    def submit(
        self,
        fn: Callable[[], Any],
        on_done: Done | None = None,
        on_error: Failed | None = None,
        changes: frozenset[str] = frozenset(),
    ) -> None:
        def work() -> None:
            try:
                result = fn()
            except BaseException as exc:
                self._finished.emit(on_error, None, exc, frozenset())
            else:
                self._finished.emit(on_done, result, None, changes)

        self._executor.submit(work)

    @Slot(object, object, object, object)
    def _on_finished(
        self, callback: Any, result: Any, error: BaseException | None, changes: frozenset[str]
    ) -> None:
        _deliver(self.bus, callback, result, error, changes)

    def shutdown(self) -> None:
        """Finish queued writes before the app exits: nothing saved is dropped."""
        self._executor.shutdown(wait=True)


class ImmediateRunner:
    """Runs work inline; for tests, where waiting on threads only adds flakiness."""

    def __init__(self, bus: ChangeBus) -> None:
        self.bus = bus

    def submit(
        self,
        fn: Callable[[], Any],
        on_done: Done | None = None,
        on_error: Failed | None = None,
        changes: frozenset[str] = frozenset(),
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
    changes: frozenset[str],
) -> None:
    if error is not None:
        if callback is None:
            log.error("Background task failed", exc_info=error)
            raise error
        callback(error)
        return
    if callback is not None:
        callback(result)
    if changes:
        bus.changed.emit(changes)
