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


def test_the_stores_lists_read_while_another_writer_holds_the_lock(sqlite_url: str) -> None:
    """A sync batch or the recorder holding the write lock used to hold every screen's load
    for up to the 15 s busy timeout: the store's reads now go through a snapshot."""
    from datetime import date

    from compost_desktop.services.store import Store
    from compost_desktop.services.values import CycleDraft

    url = resolve_url(sqlite_url)
    migrate.upgrade(url)
    store = Store(make_engine(url), make_engine(url, read_only=True))
    store.save_cycle(CycleDraft("Bay 1", date(2026, 5, 1)))
    other = make_engine(url, connect_args={"timeout": 0.1})
    try:
        with other.begin() as held:  # BEGIN IMMEDIATE: the write lock, as sync takes it
            held.execute(sa.text("UPDATE compost_batch SET notes = 'busy'"))
            assert [c.name for c in store.cycles()] == ["Bay 1"]
            assert store.active_cycle() is None
            assert store.materials()
    finally:
        other.dispose()
        store.dispose()
