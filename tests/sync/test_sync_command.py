"""`compost-desktop sync`: exit codes, messages and the server from Settings."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from compost_desktop.db import migrate
from compost_desktop.db.engine import default_url, make_engine, resolve_url
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft
from compost_desktop.sync import command
from compost_desktop.sync.engine import SyncEngine

DEAD = "postgresql+psycopg://farm:secret@127.0.0.1:9/compost"


def test_an_unreachable_server_is_a_plain_message_and_exit_1(data_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "compost_desktop", "sync", "--server", DEAD],
        env={**os.environ, "COMPOST_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: cannot reach the farm server (PostgreSQL compost")
    assert "Traceback" not in done.stderr and "secret" not in done.stderr


def test_no_server_anywhere_says_where_to_set_one(data_dir: Path) -> None:
    err = io.StringIO()
    assert command.run(None, lambda: None, err=err) == 1
    assert "set one in Settings or pass --server" in err.getvalue()


@pytest.mark.postgres
def test_the_settings_server_is_used_and_conflicts_exit_3(pg_url: str, data_dir: Path) -> None:
    migrate.upgrade(resolve_url(pg_url))
    err, out = io.StringIO(), io.StringIO()
    assert command.run(None, lambda: pg_url, err=err, out=out) == 0, err.getvalue()
    assert "Synced with PostgreSQL" in out.getvalue()
    local = make_engine(resolve_url(default_url()))
    server = make_engine(resolve_url(pg_url))
    try:
        mine = Store(local).save_cycle(CycleDraft("Bay 1", date(2026, 6, 1), notes="a"))
        assert command.run(pg_url, err=err, out=out) == 0
        with server.begin() as conn:  # another PC changes it meanwhile
            conn.exec_driver_sql("UPDATE compost_batch SET notes = 'server' WHERE name = 'Bay 1'")
        Store(local).save_cycle(CycleDraft("Bay 1", date(2026, 6, 1), notes="mine"), mine.id)
        err = io.StringIO()
        assert command.run(pg_url, err=err, out=out) == 3
        assert "1 conflict(s) wait for a choice" in err.getvalue()
        assert len(SyncEngine(local, server).conflicts()) == 1
    finally:
        local.dispose()
        server.dispose()
