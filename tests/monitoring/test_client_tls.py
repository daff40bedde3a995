"""MQTT over TLS with the farm's own CA, and a certificate failure said as one (issue 17)."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from compost_desktop.monitoring.client import BrokerConfig, LinkEvent, LinkState, SensorClient
from tests.support.servers import MosquittoServer
from tests.test_cli import run

pytestmark = pytest.mark.mqtt


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_ca_and_server_cert(folder: Path) -> tuple[Path, Path, Path]:
    """A farm CA and a broker certificate for 127.0.0.1 signed by it (PEM files)."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Farm test CA"))
        .issuer_name(_name("Farm test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "broker.pem", folder / "broker.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


class TlsMosquitto(MosquittoServer):
    """The harness broker with its listener speaking TLS."""

    def __init__(self, cert_file: Path, key_file: Path) -> None:
        super().__init__()
        self.cert_file, self.key_file = cert_file, key_file

    def _write_config(self) -> None:
        super()._write_config()
        text = self.config_path.read_text()
        listener = f"listener {self.port} {self.host}\n"
        tls = f"{listener}certfile {self.cert_file}\nkeyfile {self.key_file}\n"
        self.config_path.write_text(text.replace(listener, tls))


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[tuple[TlsMosquitto, Path]]:
    ca_file, cert_file, key_file = make_ca_and_server_cert(tmp_path)
    broker = TlsMosquitto(cert_file, key_file)
    try:
        broker.start()
        yield broker, ca_file
    finally:
        broker.cleanup()


def _events_until(client: SensorClient, wanted: LinkState, timeout: float) -> list[LinkEvent]:
    seen: list[LinkEvent] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen += [i for i in client.drain() if isinstance(i, LinkEvent)]
        if any(e.state is wanted for e in seen):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"no {wanted} within {timeout} s: {seen}")


def test_connects_with_the_farms_ca_file(tls_broker: tuple[TlsMosquitto, Path]) -> None:
    broker, ca_file = tls_broker
    url = f"mqtts://{broker.host}:{broker.port}?ca_file={ca_file}"
    client = SensorClient(BrokerConfig.from_url(url))
    client.start()
    try:
        _events_until(client, LinkState.CONNECTED, 15)
    finally:
        client.stop()


# paho's _ssl_wrap_socket does not close the socket whose handshake failed; the garbage
# collector does, with a ResourceWarning that is paho's, not ours.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_untrusted_certificate_is_said_to_be_one(tls_broker: tuple[TlsMosquitto, Path]) -> None:
    broker, _ca_file = tls_broker
    client = SensorClient(BrokerConfig(broker.host, broker.port, tls=True))  # system CAs only
    client.start()
    try:
        events = _events_until(client, LinkState.RECONNECTING, 15)
    finally:
        client.stop()
    detail = next(e.detail for e in events if e.state is LinkState.RECONNECTING)
    assert "certificate" in detail and "not trusted" in detail
    assert "cannot reach" not in detail


def test_record_ca_file_must_exist(tmp_path: Path) -> None:
    result = run(
        "record",
        "--database",
        f"sqlite:///{tmp_path / 'x.db'}",
        "--broker",
        "mqtts://127.0.0.1:8883",
        "--ca-file",
        str(tmp_path / "missing.pem"),
    )
    assert result.returncode == 2
    assert "no such file" in result.stderr and "Traceback" not in result.stderr
