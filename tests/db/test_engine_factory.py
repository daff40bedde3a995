"""The one engine factory's read-only connections: a snapshot that never takes the lock."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url


def test_a_read_only_connection_reads_beside_a_writer_and_cannot_write(sqlite_url: str) -> None:
    url = resolve_url(sqlite_url)
    migrate.upgrade(url)
    writer = make_engine(url)
    reader = make_engine(url, read_only=True)
    try:
        with writer.begin() as w:  # BEGIN IMMEDIATE: the write lock is held
            w.execute(sa.text("CREATE TABLE probe (x INTEGER)"))
            with reader.connect() as r:  # a deferred snapshot still reads meanwhile
                assert r.execute(sa.text("SELECT count(*) FROM compost_batch")).scalar_one() == 0
        with reader.connect() as r, pytest.raises(sa.exc.OperationalError, match="readonly"):
            r.execute(sa.text("DELETE FROM probe"))
    finally:
        reader.dispose()
        writer.dispose()
