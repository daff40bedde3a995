"""The log file is private (0600, rotated files too); a silent database is logged within seconds."""

from __future__ import annotations

import contextlib
import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from compost_desktop import logs
from compost_desktop.db import engine as engine_module
from compost_desktop.db.engine import make_engine
from tests.support.servers import PostgresServer


@pytest.fixture
def own_handlers() -> Iterator[None]:
    root = logging.getLogger()
    before = list(root.handlers)
    yield
    for handler in root.handlers[:]:
        if handler not in before:
            root.removeHandler(handler)
            handler.close()


@pytest.mark.log_allowed("after the rollover", "something about")
def test_log_file_and_its_rotations_are_readable_by_their_owner_only(
    data_dir: Path, own_handlers: None
) -> None:
    path = logs.setup()
    logging.getLogger("test").error("something about postgresql://farm@server/compost")
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_compost", "") == "file")
    assert isinstance(handler, logs.PrivateRotatingFileHandler)
    handler.doRollover()
    logging.getLogger("test").error("after the rollover")
    files = [path, path.with_name(path.name + ".1")]
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@pytest.mark.log_allowed("^PostgreSQL .* (has not answered|answered after)")
@pytest.mark.postgres
def test_a_statement_without_an_answer_is_logged_within_seconds(
    pg_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "SLOW_STATEMENT_S", 1.0)
    engine = make_engine(pg_url)
    try:
        with (
            caplog.at_level(logging.WARNING, logger="compost_desktop.db.engine"),
            engine.connect() as conn,
        ):
            conn.execute(text("SELECT pg_sleep(3)"))
    finally:
        engine.dispose()
    messages = [r.getMessage() for r in caplog.records]
    assert any("has not answered for" in m and "PostgreSQL" in m for m in messages), messages
    assert any("answered after" in m for m in messages)


@pytest.mark.log_allowed("^PostgreSQL ")
@pytest.mark.postgres
def test_a_stopped_server_is_logged_within_seconds_not_after_a_minute(
    pg_server: PostgresServer, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """SIGSTOP on every PostgreSQL process: the kernel still acknowledges, nothing times out."""
    import os
    import signal
    import subprocess
    import threading
    import time

    engine = make_engine(pg_url)
    postmaster = int((pg_server.data_dir / "postmaster.pid").read_text().split()[0])
    pids: list[int] = []
    done = threading.Event()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))  # an established connection, as the recorder has
            children = subprocess.run(
                ["pgrep", "-P", str(postmaster)], capture_output=True, text=True, check=False
            ).stdout.split()
            pids += [postmaster, *map(int, children)]  # our backend among them
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
            started = time.monotonic()
            with caplog.at_level(logging.WARNING, logger="compost_desktop.db.engine"):

                def query() -> None:
                    conn.execute(text("SELECT 1"))
                    done.set()

                worker = threading.Thread(target=query, daemon=True)
                worker.start()
                deadline = time.monotonic() + 15
                while not any("has not answered" in r.getMessage() for r in caplog.records):
                    assert time.monotonic() < deadline, "nothing logged"
                    time.sleep(0.1)
                logged_after = time.monotonic() - started
                assert not done.is_set()
                for pid in pids:
                    os.kill(pid, signal.SIGCONT)
                worker.join(15)
            assert done.is_set()
        assert logged_after < engine_module.SLOW_STATEMENT_S + 3
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        engine.dispose()
