"""At start, ask for what the user chose not to keep in a keyring (see compost_desktop.secrets)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QWidget

from compost_desktop import secrets
from compost_desktop.settings import Settings

log = logging.getLogger(__name__)

Ask = Callable[[str, str], str | None]  # (title, label) -> text, or None when cancelled
ATTEMPTS = 3


def needed_passwords(settings: Settings) -> list[tuple[str, str]]:
    """(key, what it is for) of the passwords the configured server and broker use."""
    needed = []
    db = settings.database
    if db.host.strip() and not db.url.strip() and db.user:
        needed.append((db.secret_key, f"the farm server {db.host} (user {db.user})"))
    mqtt = settings.mqtt
    if mqtt.host.strip() and mqtt.username:
        needed.append((mqtt.secret_key, f"the broker {mqtt.host} (user {mqtt.username})"))
    return needed


def ask_with_dialog(parent: QWidget | None = None) -> Ask:
    def ask(title: str, label: str) -> str | None:
        from compost_desktop.gui.inputs import install_input_guard

        app = QApplication.instance()
        if isinstance(app, QApplication):
            install_input_guard(app)  # asked before the window, which installs it otherwise
        text, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Password)
        return text if ok and text else None

    return ask


def unlock_at_start(settings: Settings, ask: Ask | None = None) -> None:
    """Apply the user's choice of password store and ask for what this session needs."""
    secrets.configure(settings.password_store)
    needed = needed_passwords(settings)
    if secrets.mode() is secrets.PasswordMode.KEYRING or not needed:
        return
    ask = ask or ask_with_dialog()
    if secrets.mode() is secrets.PasswordMode.FILE:
        if not secrets.vault_exists():
            return  # nothing kept yet: Settings asks for a passphrase when one is saved
        label = "Passphrase of the password file (server and broker passwords):"
        for _ in range(ATTEMPTS):
            passphrase = ask("Unlock passwords", label)
            if passphrase is None:
                break
            try:
                secrets.unlock(passphrase)
                return
            except secrets.WrongPassphraseError:
                label = "That passphrase does not open the password file. Try again:"
        log.warning("Password file left locked: the server and broker connect without passwords")
        return
    for key, what in needed:
        if secrets.get_password(key) is None:
            password = ask("Password", f"Password for {what} (kept until the app closes):")
            if password:
                secrets.remember_for_session(key, password)
