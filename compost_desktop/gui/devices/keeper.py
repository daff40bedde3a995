"""The window's one device registry: loaded on the database thread, refreshed, saved as seen.

The monitoring hub notes every device it sees (`observe`); new ones are written in the
background. Other PCs and the recorder change the table too, so it is re-read every
`RELOAD_INTERVAL_MS`. `changed` fires whenever names, roles, colours or zones may differ.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Final

from PySide6.QtCore import QObject, QTimer, Signal

from compost_desktop.gui.context import CYCLES, MATERIALS, AppContext
from compost_desktop.monitoring.registry import DeviceEntry, DeviceRegistry

log = logging.getLogger(__name__)

DEVICES: Final = "devices"  # change-bus kind: the registry was edited
RELOAD_INTERVAL_MS: Final = 30_000
SAVE_DELAY_MS: Final = 500


class DeviceRegistryKeeper(QObject):
    """Owns the `DeviceRegistry` the hub, plots and Devices page share."""

    changed = Signal()

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.ctx = ctx
        self.registry = DeviceRegistry(None)
        self._saving = False
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.on_save_due)
        self._reload_timer = QTimer(self)
        self._reload_timer.setInterval(RELOAD_INTERVAL_MS)
        self._reload_timer.timeout.connect(self.reload)
        ctx.store_ready.connect(self.on_store_ready)
        ctx.bus.changed.connect(self.on_data_changed)
        if ctx.store is not None:
            self.on_store_ready()

    def on_store_ready(self) -> None:
        """Use the store's database; read what is registered, then save what was seen."""
        engine = getattr(self.ctx.store, "engine", None)
        self.registry.engine = engine
        if engine is not None:
            self.reload()
            self._reload_timer.start()

    def on_data_changed(self, kinds: frozenset[str]) -> None:
        """A sync pull (announced as cycles and materials) may have brought other rows."""
        if kinds & {CYCLES, MATERIALS}:
            self.reload()

    def reload(self) -> None:
        if self.registry.engine is None:
            return
        self.ctx.runner.submit(self.registry.load, self.on_loaded, _log_error)

    def on_loaded(self, _entries: object = None) -> None:
        self.changed.emit()
        if self.registry.has_unsaved:
            self._save_timer.start()

    def observe(self, device_id: str, quantity: str | None, fmt: str | None) -> None:
        """A device seen on the broker; a new one is guessed now and saved shortly."""
        if self.registry.observe(device_id, quantity, fmt):
            self.changed.emit()
            self._save_timer.start()

    def on_save_due(self) -> None:
        if self._saving or self.registry.engine is None or not self.registry.has_unsaved:
            return
        self._saving = True
        self.ctx.runner.submit(self.registry.save_new, self.on_saved, self.on_save_failed)

    def on_saved(self, _count: object = None) -> None:
        self._saving = False
        self.changed.emit()

    def on_save_failed(self, error: BaseException) -> None:
        self._saving = False
        _log_error(error)
        self._save_timer.start(10_000)  # the database may be back later

    def update(
        self,
        device_id: str,
        changes: dict[str, Any],
        on_done: Callable[[DeviceEntry], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Save a user's edit on the database thread; `changed` follows."""

        def done(entry: object) -> None:
            self.changed.emit()
            self.ctx.bus.changed.emit(frozenset({DEVICES}))
            if on_done is not None and isinstance(entry, DeviceEntry):
                on_done(entry)

        def work() -> DeviceEntry:
            return self.registry.update(device_id, **changes)

        if self.registry.engine is None:
            try:
                done(work())
            except (ValueError, LookupError) as exc:
                if on_error is not None:
                    on_error(exc)
            return
        self.ctx.runner.submit(work, done, on_error or _log_error)


def keeper_for(ctx: AppContext) -> DeviceRegistryKeeper:
    """The context's one keeper, made on first use."""
    found = getattr(ctx, "_device_registry_keeper", None)
    if isinstance(found, DeviceRegistryKeeper):
        return found
    keeper = DeviceRegistryKeeper(ctx)
    ctx._device_registry_keeper = keeper  # type: ignore[attr-defined]
    return keeper


def _log_error(error: BaseException) -> None:
    log.warning("Device registry: %s", error)
