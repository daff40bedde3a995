"""Passwords without an OS keyring: this session only, or an encrypted file (issue 17, item 13)."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from compost_desktop import secrets


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    secrets.lock()
    yield
    secrets.lock()
    secrets.configure("keyring")


def test_without_a_keyring_the_test_suite_sees_none() -> None:
    assert not secrets.keyring_available()  # conftest selects keyring's null backend


def test_session_mode_keeps_passwords_in_memory_only(data_dir: Path) -> None:
    secrets.configure("session")
    assert secrets.get_password("db:farm") is None  # the app asks
    secrets.remember_for_session("db:farm", "hunter2")
    assert secrets.get_password("db:farm") == "hunter2"
    assert secrets.set_password("mqtt:x", "pw") is True
    assert not list(data_dir.rglob("*.vault"))
    secrets.lock()  # a new session
    assert secrets.get_password("db:farm") is None


def test_encrypted_file_round_trip_and_wrong_passphrase(data_dir: Path) -> None:
    secrets.configure("file")
    assert secrets.set_password("db:farm", "hunter2") is False  # not unlocked yet
    secrets.lock()
    secrets.unlock("correct horse battery staple")
    assert secrets.set_password("db:farm", "hunter2") is True
    assert secrets.set_password("mqtt:farm", "m0squ1tto") is True
    path = secrets.vault_path()
    blob = path.read_bytes()
    assert b"hunter2" not in blob and b"m0squ1tto" not in blob
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    secrets.lock()  # the next session: nothing until the passphrase is given
    assert secrets.get_password("db:farm") is None
    with pytest.raises(secrets.WrongPassphraseError):
        secrets.unlock("wrong")
    assert not secrets.is_unlocked()
    secrets.unlock("correct horse battery staple")
    assert secrets.get_password("db:farm") == "hunter2"
    assert secrets.get_password("mqtt:farm") == "m0squ1tto"
    assert secrets.set_password("db:farm", "") is True  # cleared
    secrets.lock()
    secrets.unlock("correct horse battery staple")
    assert secrets.get_password("db:farm") is None


def test_a_failing_keyring_still_lets_this_session_use_the_password() -> None:
    secrets.configure("keyring")
    assert secrets.set_password("db:farm", "hunter2") is False  # the null keyring refuses
    assert secrets.get_password("db:farm") == "hunter2"
