"""Passwords never go into a settings file: the OS keyring, this session only, or a vault.

Where they are kept is the user's choice (Settings → "Keep passwords in"):

* ``keyring``: the OS keyring (the default where the desktop has one);
* ``session``: nowhere; the app asks for them at each start and holds them in memory;
* ``file``: an encrypted file in the data folder (``passwords.vault``, mode 0600), unlocked
  with a passphrase asked once per session. Fernet (AES-128-CBC + HMAC-SHA256) with a key
  derived from the passphrase by scrypt, from the `cryptography` package: a desktop without
  a keyring (many Linux set-ups, services) can still keep passwords safely.

Whatever the mode, a password typed or unlocked in this session is held in memory, so
`get_password` answers without asking twice.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
from enum import StrEnum
from pathlib import Path

from compost_desktop import APP_ID

log = logging.getLogger(__name__)

VAULT_NAME = "passwords.vault"
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1


class PasswordMode(StrEnum):
    KEYRING = "keyring"
    SESSION = "session"
    FILE = "file"


class WrongPassphraseError(ValueError):
    """The passphrase does not open the password file."""


_mode = PasswordMode.KEYRING
_session: dict[str, str] = {}
_passphrase: str | None = None


def configure(mode: str | PasswordMode) -> None:
    """Where passwords are kept from now on (the app calls it with the user's setting)."""
    global _mode
    try:
        _mode = PasswordMode(mode)
    except ValueError:
        log.warning("Unknown password store %r; using the OS keyring", mode)
        _mode = PasswordMode.KEYRING


def mode() -> PasswordMode:
    return _mode


def keyring_available() -> bool:
    """False on a desktop with no usable keyring (keyring's fail or null backend)."""
    import keyring  # a twentieth of a second: loaded when a password is first wanted

    backend = keyring.get_keyring()
    priority = getattr(backend, "priority", 0)
    return bool(priority and priority > 0)


def get_password(key: str) -> str | None:
    if key in _session:
        return _session[key]
    if _mode is PasswordMode.FILE:
        return _read_vault().get(key) if _passphrase is not None else None
    if _mode is PasswordMode.SESSION:
        return None
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(APP_ID, key)
    except KeyringError as exc:  # no keyring on this desktop: the user is asked instead
        log.warning("Keyring unavailable: %s", exc)
        return None


def set_password(key: str, password: str) -> bool:
    """Keep `password` where the user chose; False when it could not be kept there."""
    if password:
        _session[key] = password
    else:
        _session.pop(key, None)
    if _mode is PasswordMode.SESSION:
        return True
    if _mode is PasswordMode.FILE:
        if _passphrase is None:
            return False
        stored = _read_vault()
        if password:
            stored[key] = password
        else:
            stored.pop(key, None)
        _write_vault(stored, _passphrase)
        return True
    if not keyring_available():  # keyring's null or fail backend would drop it silently
        return False
    import keyring
    from keyring.errors import KeyringError, PasswordDeleteError

    try:
        if password:
            keyring.set_password(APP_ID, key, password)
        else:
            with contextlib.suppress(PasswordDeleteError):
                keyring.delete_password(APP_ID, key)
        return True
    except KeyringError as exc:
        log.warning("Keyring unavailable: %s", exc)
        return False


def remember_for_session(key: str, password: str) -> None:
    """A password the user typed when asked at start: held in memory only."""
    _session[key] = password


# --- the encrypted file ----------------------------------------------------------------------


def vault_path() -> Path:
    from compost_desktop.paths import data_dir

    return data_dir() / VAULT_NAME


def vault_exists() -> bool:
    return vault_path().is_file()


def is_unlocked() -> bool:
    return _passphrase is not None


def unlock(passphrase: str) -> None:
    """Open the password file (or start a new one) with `passphrase` for this session."""
    global _passphrase
    if not passphrase:
        raise WrongPassphraseError("The passphrase is empty.")
    if vault_exists():
        _decrypt(vault_path().read_bytes(), passphrase)  # raises WrongPassphraseError
    else:
        _write_vault({}, passphrase)
    _passphrase = passphrase


def lock() -> None:
    """Forget the passphrase and every password held in memory."""
    global _passphrase
    _passphrase = None
    _session.clear()


def _key(passphrase: str, salt: bytes) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    kdf = Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return base64.urlsafe_b64encode(kdf.derive(passphrase.encode("utf-8")))


def _decrypt(blob: bytes, passphrase: str) -> dict[str, str]:
    from cryptography.fernet import Fernet, InvalidToken

    try:
        envelope = json.loads(blob)
        salt = base64.b64decode(envelope["salt"])
        token = envelope["token"].encode("ascii")
    except (ValueError, KeyError, TypeError) as exc:
        raise WrongPassphraseError(f"{vault_path()} is not a password file.") from exc
    try:
        data = json.loads(Fernet(_key(passphrase, salt)).decrypt(token))
    except InvalidToken as exc:
        raise WrongPassphraseError("The passphrase does not open the password file.") from exc
    return {str(k): str(v) for k, v in data.items()}


def _read_vault() -> dict[str, str]:
    if _passphrase is None or not vault_exists():
        return {}
    try:
        return _decrypt(vault_path().read_bytes(), _passphrase)
    except (OSError, WrongPassphraseError) as exc:
        log.warning("Password file unreadable: %s", exc)
        return {}


def _write_vault(data: dict[str, str], passphrase: str) -> None:
    from cryptography.fernet import Fernet

    salt = os.urandom(16)
    token = Fernet(_key(passphrase, salt)).encrypt(json.dumps(data).encode("utf-8"))
    envelope = {
        "format": "compost-desktop-passwords",
        "version": 1,
        "kdf": {"name": "scrypt", "n": _SCRYPT_N, "r": _SCRYPT_R, "p": _SCRYPT_P},
        "salt": base64.b64encode(salt).decode("ascii"),
        "token": token.decode("ascii"),
    }
    path = vault_path()
    tmp = path.with_name(f".{path.name}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(envelope, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
