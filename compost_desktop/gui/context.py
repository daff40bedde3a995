"""What every screen needs: settings, the data store once open, the runner and the change bus."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from compost_desktop.gui.tasks import ChangeBus, Runner

if TYPE_CHECKING:
    from compost_desktop.services.store import Store
    from compost_desktop.settings import Settings

# Kinds of change announced on the bus; screens refresh on the ones they show.
CYCLES = "cycles"
MATERIALS = "materials"
SETTINGS = "settings"
READINGS = "readings"
# A count of the yard: the library, the planner and the server need it; no cycle row shows it,
# so the cycle list does not reload ten thousand rows for it.
STOCK = "stock"


class AppContext(QObject):
    """Shared by the screens; `store` is None until the database has been opened."""

    store_ready = Signal()
    settings_changed = Signal()

    def __init__(
        self, settings: Settings, runner: Runner, bus: ChangeBus, io: Runner | None = None
    ) -> None:
        super().__init__()
        self.settings = settings
        self.runner = runner  # the local store's one writer thread
        # Keyring, network, joins. Tests give one runner for both: everything runs inline.
        self.io = io if io is not None else runner
        self.bus = bus
        self.store: Store | None = None
        self.database_label = ""

    def set_store(self, store: Store, label: str) -> None:
        self.store = store
        self.database_label = label
        self.store_ready.emit()

    def apply_settings(self, settings: Settings) -> None:
        self.settings = settings
        self.settings_changed.emit()
        self.bus.changed.emit(frozenset({SETTINGS}))
