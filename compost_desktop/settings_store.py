"""Typed settings over QSettings, with numbered upgrades of what older versions stored."""

from __future__ import annotations

import dataclasses
import logging
from enum import Enum
from typing import Any

from PySide6.QtCore import QSettings

from compost_desktop.settings import Settings

log = logging.getLogger(__name__)

SETTINGS_VERSION = 1


def _upgrade(qs: QSettings) -> None:
    """Each step moves stored keys from one layout to the next; none yet beyond version 1."""
    version = int(str(qs.value("settings_version", 0) or 0))  # an int, or text from INI
    if version > SETTINGS_VERSION:
        log.warning("Settings written by a newer version (%s); reading what is known", version)
        return
    qs.setValue("settings_version", SETTINGS_VERSION)


def load(qs: QSettings | None = None) -> Settings:
    qs = qs or QSettings()
    _upgrade(qs)
    settings = Settings()
    _read(qs, "", settings)
    return settings


def save(settings: Settings, qs: QSettings | None = None) -> None:
    qs = qs or QSettings()
    _write(qs, "", settings)
    qs.setValue("settings_version", SETTINGS_VERSION)
    qs.sync()


def _read(qs: QSettings, prefix: str, obj: Any) -> None:
    for f in dataclasses.fields(obj):
        key = f"{prefix}{f.name}"
        current = getattr(obj, f.name)
        if dataclasses.is_dataclass(current):
            _read(qs, key + "/", current)
            continue
        raw = qs.value(key)
        if raw is None:
            continue
        try:
            setattr(obj, f.name, _coerce(raw, current))
        except (TypeError, ValueError):
            log.warning("Ignoring unreadable setting %s=%r", key, raw)


def _write(qs: QSettings, prefix: str, obj: Any) -> None:
    for f in dataclasses.fields(obj):
        key = f"{prefix}{f.name}"
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            _write(qs, key + "/", value)
        else:
            qs.setValue(key, value.value if isinstance(value, Enum) else value)


def _coerce(raw: Any, like: Any) -> Any:
    """QSettings hands back strings from INI files: convert to the default's type."""
    if isinstance(like, Enum):
        return type(like)(raw)
    if isinstance(like, bool):
        return raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes")
    if isinstance(like, int):
        return int(raw)
    if isinstance(like, float):
        return float(raw)
    return str(raw)


def settings_server_url() -> str | None:
    """The farm server in the app's Settings (password from the keyring), outside the GUI."""
    from PySide6.QtCore import QCoreApplication

    from compost_desktop import APP_ID, secrets

    # The app's settings live under these names (as the report command reads them).
    QCoreApplication.setOrganizationName(APP_ID)
    QCoreApplication.setApplicationName(APP_ID)
    db = load().database
    return db.effective_url(secrets.get_password(db.secret_key) if db.host.strip() else None)
