"""An activation that reaches the server later claims the readings it recorded meanwhile."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.monitoring.parsing import Reading
from compost_desktop.monitoring.recording import ReadingWriter
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft
from compost_desktop.sync.engine import SyncEngine
from tests.sync.test_sync import server_rows

pytestmark = pytest.mark.postgres


def test_offline_activation_synced_later_claims_the_servers_readings(
    tmp_path: Path, pg_url: str
) -> None:
    migrate.upgrade(resolve_url(pg_url))
    server = make_engine(resolve_url(pg_url))
    local_url = resolve_url(f"sqlite:///{tmp_path / 'pc.db'}")
    migrate.upgrade(local_url)
    local = make_engine(local_url)
    try:
        pc = Store(local)
        sync = SyncEngine(local, server, client_id="pc-offline")
        cycle = pc.save_cycle(CycleDraft("Offline pile", date(2026, 6, 1))).id
        sync.sync()  # the server knows the cycle, in planning
        pc.activate(cycle)  # offline
        activated = pc.cycle(cycle).activated_at
        assert activated is not None
        # Meanwhile the server's recorder stores readings: no cycle is active there.
        recorder = ReadingWriter(server)
        recorder.add(
            Reading("probe-1", "temperature", 50.0 + i, at, at, "compost/sensor/data")
            for i, at in ((i, activated + timedelta(minutes=i - 2)) for i in range(10))
        )
        recorder.flush()
        assert server_rows(
            pg_url, "SELECT count(*) FROM sensor_reading WHERE batch_id IS NULL"
        ) == [(10,)]
        sync.sync()  # the activation arrives, with the PC's time
        uuid = pc.cycle(cycle).uuid
        rows = server_rows(
            pg_url,
            "SELECT count(*) FILTER (WHERE r.batch_id = b.id), "
            "count(*) FILTER (WHERE r.batch_id IS NULL) "
            f"FROM sensor_reading r, compost_batch b WHERE b.uuid = '{uuid}'",
        )
        # Two were measured before the activation and stay without a cycle.
        assert rows == [(8, 2)]
        (server_time,) = server_rows(
            pg_url, f"SELECT activated_at FROM compost_batch WHERE uuid = '{uuid}'"
        )[0]
        assert isinstance(server_time, datetime)
        assert server_time.astimezone(UTC) == activated
    finally:
        local.dispose()
        server.dispose()
