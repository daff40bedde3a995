"""Background sync with the farm's server, and what the status bar says about it."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from compost_desktop.gui.context import CYCLES, MATERIALS, READINGS, STOCK, AppContext
from compost_desktop.presentation.formats import clock_text

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from compost_desktop.sync.engine import SyncEngine, SyncReport

log = logging.getLogger(__name__)

SYNC_INTERVAL_MS = 30_000
AFTER_CHANGE_MS = 2_000


class SyncService(QObject):
    """Runs sync rounds on its own thread: every 30 s, soon after a local change, or on demand."""

    state_changed = Signal(str, str)  # text for the status bar, level: ok/busy/offline/conflict
    progressed = Signal(str, int, int)
    synced = Signal(object)  # SyncReport

    def __init__(self, ctx: AppContext, local: Engine, server_url: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.local = local
        self.server_url = server_url
        self.engine: SyncEngine | None = None
        self.offline_since: datetime | None = None
        self.last_synced: datetime | None = None
        self.running = False
        self.paused = False
        self.cancel = threading.Event()
        self._again = False
        self._timer = QTimer(self)
        self._timer.setInterval(SYNC_INTERVAL_MS)
        self._timer.timeout.connect(self.sync_now)
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(AFTER_CHANGE_MS)
        self._soon.timeout.connect(self.sync_now)
        ctx.bus.changed.connect(self.on_data_changed)

    def start(self) -> None:
        self._timer.start()
        self.sync_now()

    def stop(self) -> None:
        self._timer.stop()
        self._soon.stop()
        self.cancel.set()

    def pause(self) -> None:
        """Stop, and let no saved change start a round, until `resume` (a restore runs)."""
        self.paused = True
        self.stop()

    def resume(self) -> None:
        self.paused = False
        self.start()

    @Slot()
    def sync_now(self) -> None:
        if self.running:
            self._again = True
            return
        self.running = True
        self.cancel.clear()
        self.state_changed.emit("Syncing…", "busy")
        # On the app's io threads: a round waits on the server. Quit cancels it (stop) and
        # then waits for it to notice, between two batches, so no batch is cut in half.
        self.ctx.io.submit(self._round, lambda outcome: self.on_round_finished(*outcome))

    @Slot(frozenset)
    def on_data_changed(self, changes: frozenset[str]) -> None:
        if changes & {CYCLES, MATERIALS, STOCK} and not self.paused:
            self._soon.start()

    def _round(self) -> tuple[SyncReport | None, BaseException | None, int]:
        try:
            engine = self._engine()
            report = engine.sync(
                progress=lambda stage, done, total: self.progressed.emit(stage, done, total),
                cancel=self.cancel,
            )
            return report, None, report.waiting
        except Exception as exc:  # reported in the status bar; the next round retries
            from compost_desktop.sync.engine import waiting_changes

            try:
                waiting = waiting_changes(self.local)
            except Exception:
                waiting = -1
            return None, exc, waiting

    def _engine(self) -> SyncEngine:
        if self.engine is None:
            from compost_desktop.db import migrate
            from compost_desktop.db.engine import make_engine, resolve_url
            from compost_desktop.sync.engine import SyncEngine

            url = resolve_url(self.server_url)
            migrate.ensure_current(url)
            self.engine = SyncEngine(self.local, make_engine(url))
        return self.engine

    @Slot(object, object, int)
    def on_round_finished(
        self, report: SyncReport | None, error: BaseException | None, waiting: int
    ) -> None:
        from compost_desktop.sync.engine import SyncCancelled

        self.running = False
        now = datetime.now().astimezone()
        if error is not None and not isinstance(error, SyncCancelled):
            if self.offline_since is None:
                self.offline_since = now
                log.warning("Sync failed: %s", error)
            self.state_changed.emit(
                f"Offline since {clock_text(self.offline_since)} — {max(waiting, 0)} change(s) "
                "waiting; retrying every 30 s",
                "offline",
            )
        elif report is not None:
            self.offline_since = None
            self.last_synced = now
            conflicts = report.open_conflicts
            if conflicts:
                self.state_changed.emit(f"{conflicts} sync conflict(s) need attention", "conflict")
            elif report.waiting:
                self.state_changed.emit(f"{report.waiting} change(s) waiting", "busy")
            else:
                self.state_changed.emit(f"Synced at {clock_text(now)}", "ok")
            changed = set()
            if report.pulled or report.conflicts:
                changed |= {CYCLES, MATERIALS}
            if report.readings_pulled:  # history, tracker and reports re-read them
                changed.add(READINGS)
            if changed:
                self.ctx.bus.changed.emit(frozenset(changed))
            self.synced.emit(report)
        if self._again:
            self._again = False
            self.sync_now()
