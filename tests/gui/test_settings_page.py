"""The Settings screen through its real widgets: round trip, keyring, band checks, connection test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from compost_desktop import secrets, settings_store
from compost_desktop.db import migrate
from compost_desktop.db.engine import resolve_url
from compost_desktop.domain.units import MassUnit, TemperatureUnit, VolumeUnit
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.settings_page import SettingsPage, _explain_failure
from compost_desktop.gui.tasks import ChangeBus, ImmediateRunner, IoRunner
from compost_desktop.presentation.palette import ERROR
from compost_desktop.settings import Settings

WAIT_MS = 15_000


@pytest.fixture
def keyring_dict(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The OS keyring, replaced by a dict the test can look into."""
    kept: dict[str, str] = {}

    def set_password(key: str, password: str) -> bool:
        kept[key] = password
        return True

    monkeypatch.setattr(secrets, "set_password", set_password)
    monkeypatch.setattr(secrets, "get_password", kept.get)
    return kept


@pytest.fixture
def ctx() -> Iterator[AppContext]:
    """The store inline, but network and keyring on the app's real io threads: what the
    page promises is that waiting on those never blocks the window."""
    bus = ChangeBus()
    io = IoRunner(bus)
    yield AppContext(Settings(), ImmediateRunner(bus), bus, io=io)
    io.shutdown()


@pytest.fixture
def page(qtbot: QtBot, ctx: AppContext) -> SettingsPage:
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    return page


def type_into(qtbot: QtBot, edit: object, text: str) -> None:
    edit.selectAll()  # type: ignore[attr-defined]
    qtbot.keyClicks(edit, text)


def settings_file_text() -> str:
    path = Path(QSettings().fileName())
    return path.read_text() if path.exists() else ""


def test_settings_round_trip_through_the_page_with_passwords_in_the_keyring(
    qtbot: QtBot, page: SettingsPage, ctx: AppContext, keyring_dict: dict[str, str]
) -> None:
    ui = page.ui
    assert ui.embeddedRadio.isChecked()
    assert not ui.saveButton.isEnabled()  # nothing changed yet

    ui.serverRadio.setChecked(True)
    type_into(qtbot, ui.hostEdit, "farm-server")
    ui.portSpin.setValue(5433)
    type_into(qtbot, ui.userEdit, "alice")
    type_into(qtbot, ui.passwordEdit, "hunter2")
    ui.cnLowSpin.setValue(24)
    ui.cnHighSpin.setValue(32)
    ui.cnTargetSpin.setValue(28)
    ui.massCombo.setCurrentIndex(ui.massCombo.findData("lb"))
    ui.volumeCombo.setCurrentIndex(ui.volumeCombo.findData("gal"))
    ui.temperatureCombo.setCurrentIndex(ui.temperatureCombo.findData("°F"))
    assert ui.tooHotSpin.value() == pytest.approx(158.0)  # 70 °C shown in °F
    type_into(qtbot, ui.mqttHostEdit, "broker.farm")
    type_into(qtbot, ui.mqttUserEdit, "sensors")
    type_into(qtbot, ui.mqttPasswordEdit, "s3cret-mqtt")
    ui.mqttTlsCheck.setChecked(True)
    ui.staleSpin.setValue(120)
    assert ui.saveButton.isEnabled()

    with qtbot.waitSignal(page.settings_saved, timeout=WAIT_MS):
        qtbot.mouseClick(ui.saveButton, Qt.MouseButton.LeftButton)

    s = ctx.settings
    assert (s.database.host, s.database.port, s.database.user) == ("farm-server", 5433, "alice")
    assert (s.cn_low, s.cn_target, s.cn_high) == (24, 28, 32)
    assert s.units.mass is MassUnit.LB and s.units.volume is VolumeUnit.US_GALLON
    assert s.units.temperature is TemperatureUnit.FAHRENHEIT
    assert s.alarms.too_hot_c == pytest.approx(70.0)  # stored in °C whatever is shown
    assert (s.mqtt.host, s.mqtt.username, s.mqtt.tls, s.mqtt.stale_after_s) == (
        "broker.farm",
        "sensors",
        True,
        120,
    )
    assert keyring_dict == {
        "db:alice@farm-server:5433/compost": "hunter2",
        "mqtt:sensors@broker.farm:1883": "s3cret-mqtt",
    }
    stored = settings_file_text()
    assert "farm-server" in stored
    assert "hunter2" not in stored and "s3cret-mqtt" not in stored
    assert settings_store.load() == s
    assert "restart" in ui.statusLabel.text()
    assert ui.passwordEdit.text() == "" and ui.mqttPasswordEdit.text() == ""

    # A fresh page (the next start) shows what was saved.
    again = SettingsPage(AppContext(settings_store.load(), ctx.runner, ctx.bus))
    qtbot.addWidget(again)
    assert again.ui.serverRadio.isChecked()
    assert again.ui.hostEdit.text() == "farm-server"
    assert again.ui.cnTargetSpin.value() == 28
    assert again.ui.tooHotSpin.value() == pytest.approx(158.0)
    assert again.ui.tooHotSpin.suffix() == " °F"
    assert not again.ui.saveButton.isEnabled()


def test_band_must_be_low_below_target_below_high(page: SettingsPage) -> None:
    ui = page.ui
    ui.cnTargetSpin.setValue(31)  # above the high end, 30
    assert not ui.saveButton.isEnabled()
    assert "must lie between the lowest (25) and the highest (30)" in ui.bandError.text()
    assert ERROR in ui.cnTargetSpin.styleSheet()

    ui.cnLowSpin.setValue(35)
    assert "lowest C:N (35) must be below the highest (30)" in ui.bandError.text()
    assert not ui.saveButton.isEnabled()

    ui.cnLowSpin.setValue(26)
    ui.cnTargetSpin.setValue(30)  # equal to the high end is not inside the band
    assert not ui.saveButton.isEnabled()
    ui.cnTargetSpin.setValue(28)
    assert ui.bandError.text() == ""
    assert ui.cnTargetSpin.styleSheet() == ""
    assert ui.saveButton.isEnabled()


def test_revert_throws_away_what_was_typed(
    qtbot: QtBot, page: SettingsPage, ctx: AppContext
) -> None:
    type_into(qtbot, page.ui.mqttHostEdit, "typo.example")
    page.ui.cnTargetSpin.setValue(29)
    assert page.ui.revertButton.isEnabled()
    qtbot.mouseClick(page.ui.revertButton, Qt.MouseButton.LeftButton)
    assert page.ui.mqttHostEdit.text() == ""
    assert page.ui.cnTargetSpin.value() == 27.5
    assert page.settings_from_form() == ctx.settings
    assert not page.ui.saveButton.isEnabled()


def test_a_password_inside_a_url_is_refused(qtbot: QtBot, page: SettingsPage) -> None:
    page.ui.urlRadio.setChecked(True)
    type_into(qtbot, page.ui.urlEdit, "postgresql://alice:hunter2@farm/compost")
    assert "Leave the password out of the URL" in page.ui.urlError.text()
    assert not page.ui.saveButton.isEnabled()
    type_into(qtbot, page.ui.urlEdit, "postgresql://alice@farm/compost")
    assert page.ui.urlError.text() == ""
    assert page.ui.saveButton.isEnabled()


def test_no_keyring_is_said_and_the_password_is_not_written_anywhere(
    qtbot: QtBot, page: SettingsPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(secrets, "set_password", lambda _key, _pw: False)
    page.ui.serverRadio.setChecked(True)
    type_into(qtbot, page.ui.hostEdit, "farm")
    type_into(qtbot, page.ui.passwordEdit, "hunter2")
    with qtbot.waitSignal(page.settings_saved, timeout=WAIT_MS):
        page.ui.saveButton.click()
    assert "database password could not be kept" in page.ui.statusLabel.text()
    assert "hunter2" not in settings_file_text()


def test_test_connection_to_an_unreachable_server_says_so_plainly(
    qtbot: QtBot, page: SettingsPage, keyring_dict: dict[str, str]
) -> None:
    page.ui.serverRadio.setChecked(True)
    type_into(qtbot, page.ui.hostEdit, "127.0.0.1")
    page.ui.portSpin.setValue(9)  # discard port: nothing listens
    type_into(qtbot, page.ui.userEdit, "nobody")
    qtbot.mouseClick(page.ui.testButton, Qt.MouseButton.LeftButton)
    assert page.ui.testResult.text() == "Connecting…"  # the window was not blocked
    qtbot.waitUntil(lambda: page.ui.testButton.isEnabled(), timeout=WAIT_MS)
    assert page.ui.testResult.text().startswith("Cannot reach 127.0.0.1:9 — is the server running?")
    assert "Traceback" not in page.ui.testResult.text()


def test_test_connection_to_a_sqlite_file_reports_success(
    qtbot: QtBot, page: SettingsPage, sqlite_url: str
) -> None:
    migrate.upgrade(resolve_url(sqlite_url))
    page.ui.urlRadio.setChecked(True)
    type_into(qtbot, page.ui.urlEdit, sqlite_url)
    with qtbot.waitSignal(page.connection_tested, timeout=WAIT_MS) as tested:
        page.ui.testButton.click()
    assert tested.args[0].ok
    text = page.ui.testResult.text()
    assert text.startswith("Connected to SQLite 3.")
    assert text.endswith("compost.db, schema up to date.")


def test_embedded_choice_tests_the_default_database(qtbot: QtBot, page: SettingsPage) -> None:
    with qtbot.waitSignal(page.connection_tested, timeout=WAIT_MS) as tested:
        page.ui.testButton.click()
    assert tested.args[0].ok
    assert "Connected to SQLite" in page.ui.testResult.text()
    assert "empty" in page.ui.testResult.text()  # a new data folder: created at start


@pytest.mark.parametrize(
    ("driver_message", "expected"),
    [
        (
            'connection failed: FATAL:  password authentication failed for user "alice"',
            "Password refused for user 'alice' at farm:5432 — check the password.",
        ),
        (
            'connection failed: FATAL:  database "compost" does not exist',
            "The server at farm:5432 answers, but has no database 'compost'",
        ),
        (
            'could not translate host name "farm" to address',
            "Cannot find a computer called 'farm'",
        ),
    ],
)
def test_driver_errors_become_plain_words(driver_message: str, expected: str) -> None:
    text = _explain_failure(
        driver_message, "postgresql+psycopg://alice@farm/compost", "farm:5432", False
    )
    assert text.startswith(expected)


@pytest.mark.postgres
def test_test_connection_to_postgres_names_the_server_version(
    qtbot: QtBot, page: SettingsPage, pg_url: str
) -> None:
    page.ui.urlRadio.setChecked(True)
    type_into(qtbot, page.ui.urlEdit, pg_url)
    with qtbot.waitSignal(page.connection_tested, timeout=WAIT_MS) as tested:
        page.ui.testButton.click()
    assert tested.args[0].ok, page.ui.testResult.text()
    assert page.ui.testResult.text().startswith("Connected to PostgreSQL ")


@pytest.mark.qt_log_ignore("This plugin does not support")
def test_a_narrow_window_shows_one_column_without_sideways_scrolling(
    qtbot: QtBot, page: SettingsPage, big_font: object
) -> None:
    """At 150 % on 1366×768 the two columns needed 350 px more than the page had."""
    page.resize(790, 500)  # beside the navigation at 150 % on a 1366×768 screen
    page.show()
    qtbot.waitExposed(page)
    qtbot.waitUntil(page.is_single_column)
    sideways = page.ui.scrollArea.horizontalScrollBar()
    qtbot.waitUntil(lambda: sideways.maximum() == 0)
    page.resize(1600, 900)
    qtbot.waitUntil(lambda: not page.is_single_column())
    assert sideways.maximum() == 0
