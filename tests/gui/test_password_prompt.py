"""Passwords asked at start when the user keeps them in no keyring (issue 17, item 13)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from compost_desktop import secrets
from compost_desktop.gui.password_prompt import unlock_at_start
from compost_desktop.settings import Settings


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    secrets.lock()
    yield
    secrets.lock()
    secrets.configure("keyring")


def _settings(store: str) -> Settings:
    s = Settings(password_store=store)
    s.database.host, s.database.user = "farm-server", "alice"
    s.mqtt.host, s.mqtt.username = "broker", "sensors"
    return s


def test_session_mode_asks_for_each_password_once() -> None:
    s = _settings("session")
    asked: list[str] = []

    def ask(_title: str, label: str) -> str:
        asked.append(label)
        return f"pw{len(asked)}"

    unlock_at_start(s, ask)
    assert len(asked) == 2 and "farm-server" in asked[0] and "broker" in asked[1]
    assert secrets.get_password(s.database.secret_key) == "pw1"
    assert secrets.get_password(s.mqtt.secret_key) == "pw2"
    unlock_at_start(s, ask)  # already known this session: not asked again
    assert len(asked) == 2


@pytest.mark.log_allowed("^Password file left locked")
def test_file_mode_asks_the_passphrase_until_right_three_times_at_most() -> None:
    s = _settings("file")
    secrets.configure("file")
    secrets.unlock("right")
    secrets.set_password(s.database.secret_key, "hunter2")
    secrets.lock()
    answers = iter(["wrong", "right"])
    labels: list[str] = []

    def ask(_title: str, label: str) -> str | None:
        labels.append(label)
        return next(answers)

    unlock_at_start(s, ask)
    assert "does not open" in labels[1]
    assert secrets.get_password(s.database.secret_key) == "hunter2"

    secrets.lock()
    tries: list[str] = []

    def wrong(_title: str, _label: str) -> str:
        tries.append("x")
        return "wrong"

    unlock_at_start(s, wrong)
    assert len(tries) == 3 and not secrets.is_unlocked()


def test_keyring_mode_asks_nothing() -> None:
    unlock_at_start(_settings("keyring"), lambda _t, _l: pytest.fail("asked"))
