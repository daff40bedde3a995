"""The headless recorder and a cycle the old server system activates with plain SQL.

Issue 11: such a cycle had no activated_at, so the recorder attributed none of its readings.
Issue 17 item 12: readings in the first ~10 s after an activation elsewhere got no cycle.
"""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from tests.monitoring.test_client_recording import Publisher, _count, _recorder, farm_json
from tests.support.servers import MosquittoServer
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.mqtt, pytest.mark.postgres]


def test_recorder_attributes_readings_right_after_a_plain_sql_activation(
    pg_url: str, fresh_mqtt_broker: MosquittoServer
) -> None:
    proc = _recorder(pg_url, fresh_mqtt_broker)
    engine = None
    try:
        pub = Publisher(fresh_mqtt_broker)
        url = resolve_url(pg_url)
        wait_until(lambda: migrate.status(url).state is migrate.SchemaState.CURRENT, 30)
        engine = make_engine(url)
        with engine.begin() as conn:
            cycle = conn.execute(
                sa.text(
                    "INSERT INTO compost_batch (name, start_date, status) "
                    "VALUES ('Old API pile', '2026-06-01', 'planning') RETURNING id"
                )
            ).scalar_one()
        # The recorder stores (and caches its windows) while nothing is active.
        deadline = time.monotonic() + 30
        while _count(engine) == 0:
            pub.send("compost/sensor/data", farm_json("probe", datetime.now(UTC)))
            time.sleep(0.2)
            assert time.monotonic() < deadline, "recorder never stored a reading"
        with engine.begin() as conn:  # the old API: status only
            conn.execute(
                sa.text("UPDATE compost_batch SET status = 'active' WHERE id = :id"), {"id": cycle}
            )
            activated = conn.execute(
                sa.text("SELECT activated_at FROM compost_batch WHERE id = :id"), {"id": cycle}
            ).scalar_one()
        assert activated is not None
        start = datetime.now(UTC)
        for second in range(1, 121):
            pub.send("compost/sensor/data", farm_json("node-1", start + timedelta(seconds=second)))
        pub.close()
        wait_until(lambda: _count(engine, "device_id = 'node-1'") == 240, 30)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert engine is not None
    assert _count(engine, f"device_id = 'node-1' AND batch_id = {cycle}") == 240
    assert _count(engine, "device_id = 'probe' AND batch_id IS NOT NULL") == 0
    engine.dispose()
