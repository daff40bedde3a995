"""One farm record on every PC: the headless recorder on the server, two PCs, `sync`.

Real PostgreSQL and Mosquitto. The old system activates a cycle with plain SQL, the
recorder stores an hour of readings (measured times spread over the hour after activation,
published in seconds), PC A adds and deletes hand readings, both PCs run `compost-desktop
sync`, and the cycle's report data is the same on PC A, PC B and the server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.domain.pathogen import EPA_PFRP_IN_VESSEL
from compost_desktop.services.manual_readings import (
    ManualReadingDraft,
    add_manual_reading,
    delete_manual_reading,
)
from compost_desktop.services.report_data import gather_report
from tests.support.recorder import record_command
from tests.support.servers import MosquittoServer

pytestmark = [pytest.mark.postgres, pytest.mark.mqtt]

PROBES = ("probe-1", "probe-2", "probe-3")
MINUTES = 60


def _sync(data_dir: Path, server_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COMPOST_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "compost_desktop", "sync", "--server", server_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM sensor_reading")).scalar_one())


def _report_facts(engine: sa.Engine, cycle_uuid: str, now: datetime) -> dict[str, Any]:
    with engine.connect() as conn:
        cycle_id = conn.execute(
            sa.text("SELECT id FROM compost_batch WHERE uuid = :u"), {"u": cycle_uuid}
        ).scalar_one()
    data = gather_report(engine, cycle_id, EPA_PFRP_IN_VESSEL, now)
    assert data.chart is not None and data.chart.lowest is not None
    result = data.pathogen.result
    return {
        "readings": data.readings.count,
        "devices": [
            (d.device_id, d.quantity, d.count, d.low, d.high) for d in data.readings.devices
        ],
        "lowest": (data.chart.lowest.times, data.chart.lowest.mean),
        "pathogen": (result.status, result.met_at, result.run_start, result.run_end),
        "headline": data.pathogen.headline,
    }


def test_the_cycle_report_is_the_same_on_both_pcs_and_the_server(
    pg_url: str, fresh_mqtt_broker: MosquittoServer, tmp_path: Path
) -> None:
    server_url = resolve_url(pg_url)
    migrate.upgrade(server_url)
    server = make_engine(server_url)
    with server.begin() as conn:  # the old system, with its own plain SQL
        conn.execute(
            sa.text(
                "INSERT INTO compost_batch (name, start_date, status) "
                "VALUES ('Bay 7', :d, 'planning')"
            ),
            {"d": date.today()},
        )
        # As the old system's API does it: a plain status UPDATE; the database stamps the time.
        conn.execute(sa.text("UPDATE compost_batch SET status = 'active' WHERE name = 'Bay 7'"))
        stamped = conn.execute(
            sa.text("SELECT activated_at FROM compost_batch WHERE name = 'Bay 7'")
        ).scalar()
        assert stamped is not None
        # The hour of readings below lies in the past (readings from the future are refused),
        # so the activation happened before it: move the stamp back to then.
        conn.execute(
            sa.text(
                "UPDATE compost_batch SET activated_at = activated_at - interval '70 minutes' "
                "WHERE name = 'Bay 7'"
            )
        )
        cycle_uuid, activated = conn.execute(
            sa.text("SELECT uuid, activated_at FROM compost_batch WHERE name = 'Bay 7'")
        ).one()
    url_text = server_url.render_as_string(hide_password=False)
    recorder = subprocess.Popen(
        record_command(url_text, fresh_mqtt_broker.url, "farm-recorder"),
        stderr=subprocess.PIPE,
        text=True,
    )
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="farm-probes")
    try:
        publisher.connect(fresh_mqtt_broker.host, fresh_mqtt_broker.port)
        publisher.loop_start()

        def publish(device: str, at: datetime, temperature: float) -> None:
            payload = {
                "device_id": device,
                "temperature": temperature,
                "moisture": 52.0,
                "timestamp": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            }
            publisher.publish("compost/sensor/data", json.dumps(payload), qos=1).wait_for_publish(
                10
            )

        start = activated + timedelta(seconds=30)
        deadline = time.monotonic() + 30
        while _count(server) == 0:  # the recorder is subscribed once a first one is stored
            publish(PROBES[0], start, 55.0)
            time.sleep(0.2)
            assert time.monotonic() < deadline, "the recorder never stored a reading"
        # An hour of readings, measured a minute apart, published as fast as the broker takes.
        for minute in range(1, MINUTES + 1):
            for k, probe in enumerate(PROBES):
                publish(probe, start + timedelta(minutes=minute), 54.0 + k + (minute % 7) * 0.5)
        expected = (1 + MINUTES * len(PROBES)) * 2  # temperature and moisture
        deadline = time.monotonic() + 60
        while _count(server) < expected:
            time.sleep(0.2)
            assert time.monotonic() < deadline, f"stored {_count(server)} of {expected}"
    finally:
        publisher.loop_stop()
        publisher.disconnect()
        recorder.send_signal(signal.SIGTERM)
        _, stderr = recorder.communicate(timeout=60)
    assert recorder.returncode == 0, stderr
    with server.connect() as conn:
        attributed = conn.execute(
            sa.text(
                "SELECT count(*) FROM sensor_reading r JOIN compost_batch b ON b.id = r.batch_id "
                "WHERE b.name = 'Bay 7'"
            )
        ).scalar_one()
    assert attributed == expected, "the recorder did not attribute the readings to the cycle"

    pc_a, pc_b = tmp_path / "pc-a", tmp_path / "pc-b"
    first = _sync(pc_a, url_text)
    assert first.returncode == 0, first.stderr
    assert "receiving" in first.stderr  # progress on stderr
    a = make_engine(resolve_url(f"sqlite:///{pc_a / 'compost.db'}"))
    with a.connect() as conn:
        a_cycle = conn.execute(
            sa.text("SELECT id FROM compost_batch WHERE uuid = :u"), {"u": cycle_uuid}
        ).scalar_one()
    taken = (start + timedelta(minutes=20)).replace(second=0, microsecond=0)
    now = start + timedelta(minutes=MINUTES + 1)  # entered after the hour the probes cover
    for position, temperature in (("North", 49.0), ("South", 70.0), ("Toe", 57.5)):
        add_manual_reading(
            a, ManualReadingDraft(a_cycle, taken, position, temperature, 50.0), now=now
        )
    delete_manual_reading(a, a_cycle, taken, "Toe")  # deleted before it was ever sent
    middle = _sync(pc_a, url_text)
    assert middle.returncode == 0, middle.stderr
    delete_manual_reading(a, a_cycle, taken, "South")  # deleted after it was sent
    for pc in (pc_a, pc_b):
        done = _sync(pc, url_text)
        assert done.returncode == 0, done.stderr
    b = make_engine(resolve_url(f"sqlite:///{pc_b / 'compost.db'}"))
    judged = now
    try:
        on_server = _report_facts(server, cycle_uuid, judged)
        on_a = _report_facts(a, cycle_uuid, judged)
        on_b = _report_facts(b, cycle_uuid, judged)
    finally:
        a.dispose()
        b.dispose()
        server.dispose()
    assert on_server["readings"] == expected + 2  # North's temperature and moisture
    for facts in (on_a, on_b):
        # Bucket mean times are sums of epoch seconds in each database's own float
        # arithmetic: equal to well under a millisecond, not bit for bit.
        times, means = facts.pop("lowest")
        assert means == on_server["lowest"][1]
        assert times == pytest.approx(on_server["lowest"][0], abs=0.01)
        assert facts == {k: v for k, v in on_server.items() if k != "lowest"}
    assert "hand:North" in {d[0] for d in on_server["devices"]}
    assert not {"hand:South", "hand:Toe"} & {d[0] for d in on_server["devices"]}
