from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from compost_desktop import settings_store
from compost_desktop.domain.units import MassUnit, TemperatureUnit
from compost_desktop.settings import Settings


def test_settings_round_trip_through_an_ini_file(tmp_path: Path) -> None:
    qs = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    s = Settings()
    s.database.host = "farm-server"
    s.database.port = 5433
    s.mqtt.tls = True
    s.units.mass = MassUnit.LB
    s.units.temperature = TemperatureUnit.FAHRENHEIT
    s.cn_low, s.cn_high, s.cn_target = 24, 32, 28
    settings_store.save(s, qs)

    loaded = settings_store.load(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    assert loaded == s
    assert loaded.band.target == 28


@pytest.mark.log_allowed("^Ignoring unreadable setting")
def test_unreadable_values_fall_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    path.write_text("[mqtt]\nport=not-a-number\n[units]\nmass=stone\n")
    loaded = settings_store.load(QSettings(str(path), QSettings.Format.IniFormat))
    assert loaded.mqtt.port == 1883
    assert loaded.units.mass is MassUnit.KG


def test_password_never_lands_in_the_settings_file(tmp_path: Path) -> None:
    s = Settings()
    s.database.host = "farm"
    s.database.user = "alice"
    assert "hunter2" in (s.database.effective_url("hunter2") or "")
    qs = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    settings_store.save(s, qs)
    assert "hunter2" not in (tmp_path / "s.ini").read_text()
