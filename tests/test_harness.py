"""The test harness itself: private PostgreSQL and Mosquitto servers really work.

Everything else in the suite trusts these servers, so these tests talk to them
over real connections and check the behaviours other tests lean on: isolation,
data surviving a restart, outages being visible, QoS 1 queueing across restarts.
"""

from __future__ import annotations

import queue
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support import servers
from tests.support.servers import MosquittoServer, PostgresServer, free_port

WAIT = 10.0  # seconds; generous, every wait below returns as soon as its event happens

# ------------------------------------------------------------------------ general


def test_free_port_is_bindable_and_not_a_system_service() -> None:
    port = free_port()
    assert port not in (5432, 1883)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_missing_postgres_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(servers, "_PG_BINDIR_GLOB", str(tmp_path / "nothing" / "*" / "bin"))
    with pytest.raises(RuntimeError, match="apt-get install postgresql"):
        PostgresServer()


def test_missing_mosquitto_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(servers, "_MOSQUITTO_FALLBACK", str(tmp_path / "mosquitto"))
    with pytest.raises(RuntimeError, match="apt-get install mosquitto"):
        MosquittoServer()


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port some other process already listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


# --------------------------------------------------------------------- PostgreSQL


def test_pg_first_start_moves_off_a_port_taken_meanwhile(busy_port: int) -> None:
    server = PostgresServer()
    server.port = busy_port  # as if another process grabbed our free port
    try:
        server.start()
        assert server.port != busy_port
        with server.connect() as conn:
            assert conn.execute("SHOW port").fetchone() == (str(server.port),)
    finally:
        server.cleanup()
    assert not server.is_running
    assert not server.base_dir.exists()


def test_pg_server_is_private_and_tuned(pg_server: PostgresServer) -> None:
    assert pg_server.is_running
    assert pg_server.port != 5432
    with pg_server.connect() as conn:
        settings = {
            name: conn.execute(f"SHOW {name}").fetchone()
            for name in ("port", "listen_addresses", "fsync", "synchronous_commit")
        }
        assert conn.execute("SELECT current_user").fetchone() == ("postgres",)
        assert conn.execute("SHOW server_encoding").fetchone() == ("UTF8",)
    assert settings == {
        "port": (str(pg_server.port),),
        "listen_addresses": ("127.0.0.1",),
        "fsync": ("off",),
        "synchronous_commit": ("off",),
    }


def test_pg_url_is_a_fresh_database_usable_from_sqlalchemy(
    pg_server: PostgresServer, pg_url: str
) -> None:
    url = make_url(pg_url)
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.port, url.username) == ("127.0.0.1", pg_server.port, "postgres")
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT current_database()")) == url.database
            tables = conn.scalar(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
            assert tables == 0
    finally:
        engine.dispose()


def test_create_database_gives_an_isolated_database(pg_server: PostgresServer) -> None:
    first, second = (f"iso_{uuid.uuid4().hex[:10]}" for _ in range(2))
    pg_server.create_database(first)
    pg_server.create_database(second)
    try:
        with pg_server.connect(first) as conn:
            conn.execute("CREATE TABLE only_here (x int)")
        with pg_server.connect(second) as conn:
            assert conn.execute("SELECT to_regclass('only_here')").fetchone() == (None,)
    finally:
        pg_server.drop_database(first)
        pg_server.drop_database(second)
    with pg_server.connect() as conn:
        left = conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname IN (%s, %s)", (first, second)
        ).fetchone()
    assert left == (0,)


def test_drop_database_disconnects_lingering_clients(pg_server: PostgresServer) -> None:
    name = f"busy_{uuid.uuid4().hex[:10]}"
    pg_server.create_database(name)
    with pg_server.connect(name) as lingering:
        pg_server.drop_database(name)
        with pytest.raises(psycopg.OperationalError):
            lingering.execute("SELECT 1")


def test_restart_keeps_port_and_data(pg_server: PostgresServer, pg_url: str) -> None:
    dbname = make_url(pg_url).database
    assert dbname
    with pg_server.connect(dbname) as conn:
        conn.execute("CREATE TABLE survivor (id int PRIMARY KEY, note text)")
        conn.execute("INSERT INTO survivor VALUES (1, 'still here')")
    port = pg_server.port

    pg_server.restart()

    assert pg_server.is_running
    assert pg_server.port == port
    with pg_server.connect(dbname) as conn:
        assert conn.execute("SELECT note FROM survivor").fetchall() == [("still here",)]


def test_connecting_while_stopped_fails_then_recovers(
    pg_server: PostgresServer, pg_url: str
) -> None:
    dbname = make_url(pg_url).database
    assert dbname
    pg_server.stop()
    try:
        assert not pg_server.is_running
        with pytest.raises(psycopg.OperationalError):
            pg_server.connect(dbname, timeout=2).close()
    finally:
        pg_server.start()
    with pg_server.connect(dbname) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


# ---------------------------------------------------------------------- Mosquitto


class _Client:
    """paho-mqtt 2 client whose callbacks land in events and a queue the test waits on."""

    def __init__(
        self, broker: MosquittoServer, client_id: str = "", *, clean_session: bool = True
    ) -> None:
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.session_present: bool | None = None
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=clean_session,
            protocol=mqtt.MQTTv311,
        )
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port, keepalive=30)
        self.client.loop_start()
        assert self.connected.wait(WAIT), "no CONNACK from the broker"

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any
    ) -> None:
        self.session_present = flags.session_present
        self.connected.set()

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, rcs: Any, props: Any
    ) -> None:
        self.subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self.messages.put(msg)

    def subscribe(self, topic: str, qos: int = 1) -> None:
        self.client.subscribe(topic, qos=qos)
        assert self.subscribed.wait(WAIT), "no SUBACK from the broker"

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> None:
        info = self.client.publish(topic, payload, qos=qos)
        info.wait_for_publish(timeout=WAIT)
        assert info.is_published(), "broker did not acknowledge the publish"

    def next_message(self) -> mqtt.MQTTMessage:
        try:
            return self.messages.get(timeout=WAIT)
        except queue.Empty:
            pytest.fail(f"no message within {WAIT} s")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_mqtt_subscriber_receives_published_message(mqtt_broker: MosquittoServer) -> None:
    assert mqtt_broker.url == f"mqtt://127.0.0.1:{mqtt_broker.port}"
    assert mqtt_broker.port != 1883
    topic = f"harness/{uuid.uuid4().hex}"
    subscriber = _Client(mqtt_broker)
    publisher = _Client(mqtt_broker)
    try:
        subscriber.subscribe(topic)
        publisher.publish(topic, b"21.5")
        msg = subscriber.next_message()
        assert (msg.topic, msg.payload) == (topic, b"21.5")
    finally:
        publisher.close()
        subscriber.close()


@pytest.mark.parametrize("restart_broker", [False, True], ids=["reconnect", "broker-restart"])
def test_qos1_message_queued_for_offline_persistent_session(
    fresh_mqtt_broker: MosquittoServer, restart_broker: bool
) -> None:
    broker = fresh_mqtt_broker
    topic = "harness/queued"
    client_id = f"harness-sub-{uuid.uuid4().hex[:8]}"

    subscriber = _Client(broker, client_id, clean_session=False)
    subscriber.subscribe(topic, qos=1)
    subscriber.close()

    publisher = _Client(broker)
    try:
        publisher.publish(topic, b"while you were out", qos=1)
    finally:
        publisher.close()

    if restart_broker:
        port = broker.port
        broker.restart()
        assert broker.is_running
        assert broker.port == port

    subscriber = _Client(broker, client_id, clean_session=False)
    try:
        assert subscriber.session_present is True
        msg = subscriber.next_message()
        assert (msg.topic, msg.payload, msg.qos) == (topic, b"while you were out", 1)
    finally:
        subscriber.close()


def test_mqtt_fixed_busy_port_fails_with_the_broker_log(busy_port: int) -> None:
    broker = MosquittoServer(port=busy_port)
    try:
        with pytest.raises(RuntimeError, match=r"(?s)exited with code.*Address already in use"):
            broker.start()
        assert not broker.is_running
    finally:
        broker.cleanup()


def test_mqtt_context_manager_starts_and_cleans_up() -> None:
    with MosquittoServer() as broker:
        assert broker.is_running
        client = _Client(broker)
        client.close()
    assert not broker.is_running
    assert not broker.base_dir.exists()


def test_mqtt_first_start_moves_off_a_port_taken_meanwhile(busy_port: int) -> None:
    broker = MosquittoServer()
    broker.port = busy_port
    try:
        broker.start()
        assert broker.port != busy_port
        client = _Client(broker)
        client.close()
    finally:
        broker.cleanup()


def test_mqtt_kill_makes_broker_unreachable_until_started(
    fresh_mqtt_broker: MosquittoServer,
) -> None:
    broker = fresh_mqtt_broker
    port = broker.port
    broker.kill()
    assert not broker.is_running
    probe = mqtt.Client(CallbackAPIVersion.VERSION2)
    try:
        with pytest.raises(ConnectionRefusedError):
            probe.connect(broker.host, broker.port)
    finally:
        probe.disconnect()

    broker.start()
    assert broker.port == port
    client = _Client(broker)
    client.close()
