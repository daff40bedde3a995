"""Two PCs synced through one server: the setup most sync tests start from."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from compost_desktop.services.store import Store
from compost_desktop.sync.engine import SyncEngine


@dataclass
class Pc:
    store: Store
    sync: SyncEngine
    engine: sa.Engine
