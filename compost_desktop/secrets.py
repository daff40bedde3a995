"""Passwords live in the OS keyring, never in a settings file."""

from __future__ import annotations

import contextlib
import logging

import keyring
from keyring.errors import KeyringError

from compost_desktop import APP_ID

log = logging.getLogger(__name__)


def get_password(key: str) -> str | None:
    try:
        return keyring.get_password(APP_ID, key)
    except KeyringError as exc:  # no keyring on this desktop: the user is asked instead
        log.warning("Keyring unavailable: %s", exc)
        return None


def set_password(key: str, password: str) -> bool:
    """False when the OS offers no keyring; the caller tells the user it was not kept."""
    try:
        if password:
            keyring.set_password(APP_ID, key, password)
        else:
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                keyring.delete_password(APP_ID, key)
        return True
    except KeyringError as exc:
        log.warning("Keyring unavailable: %s", exc)
        return False
