"""Pytest fixtures for private PostgreSQL and Mosquitto servers.

Registered from the root conftest (``pytest_plugins = ["tests.support.fixtures"]``).
Session-scoped servers live in the pytest process that uses them, so under
pytest-xdist each worker starts its own on its own free ports.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest

from tests.support.servers import MosquittoServer, PostgresServer

__all__ = ["fresh_mqtt_broker", "mqtt_broker", "pg_server", "pg_url"]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server per session (per xdist worker): initdb costs about a second.

    Tests may ``stop()``/``restart()`` it to simulate outages; ``pg_url`` restarts it
    if a test left it stopped.
    """
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


def _database_name(node_name: str) -> str:
    """Unique, valid identifier that still says which test made it (max 63 bytes)."""
    stem = re.sub(r"[^a-z0-9]+", "_", node_name.lower()).strip("_")[:40]
    return f"t_{stem}_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def pg_url(pg_server: PostgresServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """SQLAlchemy URL of a brand-new empty database, dropped after the test."""
    pg_server.start()  # no-op unless an earlier test left the server stopped
    name = _database_name(request.node.name)
    url = pg_server.create_database(name)
    yield url
    pg_server.start()
    pg_server.drop_database(name)


@pytest.fixture(scope="session")
def mqtt_broker() -> Iterator[MosquittoServer]:
    """One Mosquitto broker per session (per xdist worker). Do not stop it in a test:
    use ``fresh_mqtt_broker`` for that."""
    broker = MosquittoServer()
    try:
        broker.start()
        yield broker
    finally:
        broker.cleanup()


@pytest.fixture
def fresh_mqtt_broker() -> Iterator[MosquittoServer]:
    """A broker of the test's own (a few ms to start), free to stop, kill or restart."""
    broker = MosquittoServer()
    try:
        broker.start()
        yield broker
    finally:
        broker.cleanup()
