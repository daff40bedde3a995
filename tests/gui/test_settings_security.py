"""Settings: TLS for the server and the broker, and where passwords are kept (issue 17)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from compost_desktop import secrets
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.settings_page import SettingsPage
from compost_desktop.gui.tasks import ChangeBus, ImmediateRunner
from compost_desktop.settings import Settings
from tests.gui.test_settings_page import WAIT_MS, settings_file_text, type_into


@pytest.fixture(autouse=True)
def fresh_secrets() -> Iterator[None]:
    secrets.lock()
    yield
    secrets.lock()
    secrets.configure("keyring")


@pytest.fixture
def ctx() -> AppContext:
    bus = ChangeBus()
    return AppContext(Settings(), ImmediateRunner(bus), bus)


@pytest.fixture
def page(qtbot: QtBot, ctx: AppContext) -> SettingsPage:
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 768)
    return page


def test_tls_settings_and_an_encrypted_password_file(
    qtbot: QtBot, page: SettingsPage, ctx: AppContext, tmp_path: Path
) -> None:
    root = tmp_path / "root.pem"
    root.write_text("-----BEGIN CERTIFICATE-----\n")
    ui = page.ui
    ui.serverRadio.setChecked(True)
    type_into(qtbot, ui.hostEdit, "farm-server")
    type_into(qtbot, ui.userEdit, "alice")
    type_into(qtbot, ui.passwordEdit, "hunter2")
    page.sslModeCombo.setCurrentIndex(page.sslModeCombo.findData("verify-full"))
    type_into(qtbot, page.rootCertEdit, str(tmp_path / "missing.pem"))
    assert not ui.saveButton.isEnabled()
    assert "No certificate file" in page.securityError.text()
    type_into(qtbot, page.rootCertEdit, str(root))
    type_into(qtbot, page.caFileEdit, str(root))
    ui.mqttTlsCheck.setChecked(True)
    page.passwordStoreCombo.setCurrentIndex(page.passwordStoreCombo.findData("file"))
    asked: list[bool] = []

    def ask_passphrase() -> str:
        asked.append(True)
        return "correct horse"

    page.ask_passphrase = ask_passphrase  # type: ignore[method-assign]
    assert ui.saveButton.isEnabled()
    with qtbot.waitSignal(page.settings_saved, timeout=WAIT_MS):
        ui.saveButton.click()
    assert asked == [True]
    assert "Settings saved" in ui.statusLabel.text()
    saved = ctx.settings
    assert saved.password_store == "file"
    assert saved.mqtt.ca_file == str(root)
    url = saved.database.effective_url("pw")
    assert url is not None and "sslmode=verify-full" in url and "sslrootcert=" in url
    assert "hunter2" not in settings_file_text()
    assert b"hunter2" not in secrets.vault_path().read_bytes()

    secrets.lock()  # the next session opens the file with the passphrase
    secrets.unlock("correct horse")
    assert secrets.get_password(saved.database.secret_key) == "hunter2"

    page.grab().save(str(tmp_path / "settings-security.png"))


def test_without_a_keyring_the_message_offers_the_other_stores(
    qtbot: QtBot, page: SettingsPage
) -> None:
    ui = page.ui  # the test suite runs with keyring's null backend: no keyring
    ui.serverRadio.setChecked(True)
    type_into(qtbot, ui.hostEdit, "farm")
    type_into(qtbot, ui.passwordEdit, "hunter2")
    with qtbot.waitSignal(page.settings_saved, timeout=WAIT_MS):
        ui.saveButton.click()
    text = ui.statusLabel.text()
    assert "database password could not be kept" in text
    assert "encrypted file" in text and "this session only" in text
    assert secrets.get_password("db:@farm:5432/compost") == "hunter2"  # usable this session
