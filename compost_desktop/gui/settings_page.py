"""The Settings screen: database, C:N band, units, MQTT broker and alarms.

Passwords go to the OS keyring (on a worker thread, as keyring calls may block), never into
QSettings. "Test connection" also runs on a worker thread and answers in plain words.
"""

from __future__ import annotations

import copy
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from zoneinfo import available_timezones

import shiboken6
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from compost_desktop import secrets, settings_store
from compost_desktop.domain.units import (
    MassUnit,
    TemperatureUnit,
    VolumeUnit,
    celsius_delta_to,
    celsius_to,
    to_celsius,
    to_celsius_delta,
)
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.generated.ui_settings_page import Ui_SettingsPage
from compost_desktop.gui.screen import ColumnFitter
from compost_desktop.monitoring import farm_config
from compost_desktop.monitoring.farm_config import FarmConfigError
from compost_desktop.presentation.palette import ERROR, ERROR_BACKGROUND, MUTED_TEXT, OK
from compost_desktop.settings import DatabaseSettings, MqttSettings, Settings

SSL_MODES = [
    ("libpq's default (encrypt if the server offers it)", ""),
    ("Off", "disable"),
    ("Required, certificate not checked", "require"),
    ("Required, certificate checked against the root certificate", "verify-ca"),
    ("Required, certificate and server name checked", "verify-full"),
]
PASSWORD_STORES = [
    ("the system keyring", "keyring"),
    ("nowhere: ask at each start", "session"),
    ("an encrypted file (passphrase asked at each start)", "file"),
]

log = logging.getLogger(__name__)

INVALID_STYLE = f"border: 1px solid {ERROR}; background: {ERROR_BACKGROUND};"


# --- connection test (runs on a worker thread) --------------------------------------------


@dataclass(frozen=True, slots=True)
class ConnectionReport:
    """The outcome of a connection test, said as a person would say it."""

    ok: bool
    message: str


_SCHEMA_WORDS = {
    "current": "schema up to date",
    "empty": "the database is empty; the tables are created when the app starts with it",
    "legacy": (
        "it holds the old server system's tables; they are adopted (every row kept) when the "
        "app starts with it"
    ),
    "outdated": "the schema is older and is upgraded automatically when the app starts with it",
    "newer": "but it was made by a newer Compost Desktop; update this app before using it",
}


def check_connection(url_text: str) -> ConnectionReport:
    """Connect, read the schema state and explain any failure; never raises."""
    from compost_desktop.db import migrate
    from compost_desktop.db.engine import DatabaseUrlError, make_engine, resolve_url

    try:
        url = resolve_url(url_text)
    except DatabaseUrlError as exc:
        return ConnectionReport(False, str(exc))
    except Exception as exc:  # make_url may raise other parse errors
        return ConnectionReport(False, f"'{url_text}' is not a usable database URL ({exc}).")
    sqlite = url.get_backend_name() == "sqlite"
    where = str(url.database) if sqlite else f"{url.host or 'localhost'}:{url.port or 5432}"
    try:
        state = migrate.status(url)
    except migrate.MigrationError as exc:
        cause = exc.__cause__ or exc
        return ConnectionReport(False, _explain_failure(str(cause), url_text, where, sqlite))
    except Exception as exc:
        log.info("Connection test failed: %s", exc)
        return ConnectionReport(False, _explain_failure(str(exc), url_text, where, sqlite))

    product = f"SQLite {sqlite3.sqlite_version}"
    if not sqlite:
        product = "PostgreSQL"
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                info = conn.dialect.server_version_info or ()
            if info:
                major = info[0]  # an int for PostgreSQL; the dialect types it int | str
                old = isinstance(major, int) and major < 10
                product = f"PostgreSQL {major}" + (f".{info[1]}" if old else "")
        except Exception:  # the version is a courtesy; the status above already answered
            pass
        finally:
            engine.dispose()
    words = _SCHEMA_WORDS.get(state.state.value, state.state.value)
    return ConnectionReport(
        state.state.value != "newer", f"Connected to {product} at {where}, {words}."
    )


def _explain_failure(detail: str, url_text: str, where: str, sqlite: bool) -> str:
    """Turn a driver message into what happened and what to do."""
    text = detail.lower()
    if sqlite:
        return (
            f"Cannot open the database file {where} — check that the folder exists and that "
            f"you may write to it. ({_first_line(detail)})"
        )
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url_text)
        user, database = parsed.username or "", parsed.database or ""
    except Exception:
        user, database = "", ""
    if "password authentication failed" in text or "authentication failed" in text:
        return f"Password refused for user '{user}' at {where} — check the password."
    if "no password supplied" in text:
        return f"The server at {where} asks for a password for '{user}'; type it in Password."
    if "does not exist" in text and "role" in text:
        return f"The server at {where} does not know the user '{user}' — check the user name."
    if "does not exist" in text and "database" in text:
        return (
            f"The server at {where} answers, but has no database '{database}' — check the "
            "name or ask whoever runs the server to create it."
        )
    if "could not translate host name" in text or "name or service not known" in text:
        host = where.rsplit(":", 1)[0]
        return f"Cannot find a computer called '{host}' — check the host name."
    if "pg_hba.conf" in text:
        return f"The server at {where} does not let this PC in (pg_hba.conf) — ask its admin."
    if "ssl" in text:
        return f"Cannot agree on encryption with the server at {where}: {_first_line(detail)}"
    if "timeout" in text or "timed out" in text:
        return f"Cannot reach {where} — no answer within 5 s. Is the server running?"
    return f"Cannot reach {where} — is the server running? ({_first_line(detail)})"


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[0] if lines else "no details"


# --- the page ----------------------------------------------------------------------------

_MASS = [("kilograms (kg)", MassUnit.KG), ("pounds (lb)", MassUnit.LB)]
_TEMPERATURE = [
    ("degrees Celsius (°C)", TemperatureUnit.CELSIUS),
    ("degrees Fahrenheit (°F)", TemperatureUnit.FAHRENHEIT),
]
_VOLUME = [
    ("litres (L)", VolumeUnit.LITRE),
    ("US gallons (gal)", VolumeUnit.US_GALLON),
    ("cubic metres (m³)", VolumeUnit.CUBIC_METRE),
    ("cubic yards (yd³)", VolumeUnit.CUBIC_YARD),
]


class SettingsPage(QWidget):
    """Edits a copy of the settings; Save stores and applies them, Revert throws the copy away."""

    settings_saved = Signal(object)  # Settings
    connection_tested = Signal(object)  # ConnectionReport

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.ui = Ui_SettingsPage()
        self.ui.setupUi(self)
        self._loading = False
        self._saving = False
        self._test_serial = 0
        self._temp_unit = TemperatureUnit.CELSIUS

        for combo, items in (
            (self.ui.massCombo, _MASS),
            (self.ui.temperatureCombo, _TEMPERATURE),
            (self.ui.volumeCombo, _VOLUME),
        ):
            for text, unit in items:
                combo.addItem(text, unit.value)
        for spin in (self.ui.tooHotSpin, self.ui.tooColdSpin):
            spin.setRange(-100, 400)
        self.ui.statusLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.ui.buttonRow.setStretch(0, 1)  # the message takes the width, buttons stay compact
        for spin in (self.ui.cnLowSpin, self.ui.cnTargetSpin, self.ui.cnHighSpin):
            spin.setMaximumWidth(140)
        self.ui.testResult.setMinimumWidth(200)
        self.ui.testResult.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

        self._add_farm_wide_fields()
        self._add_security_fields()
        self.columns = ColumnFitter(
            self.ui.scrollArea, self.ui.columns, self.ui.leftColumn, self.ui.rightColumn
        )
        self._connect_signals()
        save_action = QAction("Save settings", self)
        save_action.setShortcut(QKeySequence.StandardKey.Save)
        save_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        save_action.triggered.connect(self.on_save_clicked)
        self.addAction(save_action)

        self.load_form(ctx.settings)
        ctx.settings_changed.connect(self.on_settings_changed)

    def is_single_column(self) -> bool:
        return self.columns.is_single_column()

    def _add_farm_wide_fields(self) -> None:
        """Status/LWT topics and the clock time zone, and notes saying what is farm-wide."""
        ui = self.ui
        row = _form_row(ui.mqttForm, ui.tasmotaTopicEdit)
        self.esphomeStatusTopicEdit = QLineEdit(ui.mqttGroup)
        self.esphomeStatusTopicEdit.setObjectName("esphomeStatusTopicEdit")
        self.tasmotaLwtTopicEdit = QLineEdit(ui.mqttGroup)
        self.tasmotaLwtTopicEdit.setObjectName("tasmotaLwtTopicEdit")
        self.timezoneCombo = QComboBox(ui.mqttGroup)
        self.timezoneCombo.setObjectName("timezoneCombo")
        self.timezoneCombo.setEditable(True)
        self.timezoneCombo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        # The zone list is read from disk: on a worker, like every other I/O of this page.
        self._start(lambda: sorted(available_timezones()), self.on_time_zones_listed)
        line = self.timezoneCombo.lineEdit()
        assert line is not None  # editable combo
        line.setPlaceholderText("This PC's time zone")
        completer = self.timezoneCombo.completer()
        assert completer is not None  # an editable combo has one
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.timezoneCombo.setToolTip(
            "Time zone of sensor clocks that send local time without an offset (Tasmota at "
            "factory settings). Empty: this PC's zone."
        )
        ui.mqttForm.insertRow(row + 1, "ESPHome status topic", self.esphomeStatusTopicEdit)
        ui.mqttForm.insertRow(row + 2, "Tasmota LWT topic", self.tasmotaLwtTopicEdit)
        ui.mqttForm.insertRow(row + 3, "Sensor clocks' time zone", self.timezoneCombo)
        self.topicsError = QLabel(ui.mqttGroup)
        self.topicsError.setWordWrap(True)
        self.topicsError.setStyleSheet(f"color: {ERROR};")
        self.topicsError.hide()
        ui.mqttForm.insertRow(row + 4, self.topicsError)
        first_topic = _form_row(ui.mqttForm, ui.dataTopicEdit)
        ui.mqttForm.insertRow(first_topic, _farm_note(FARM_TOPICS_NOTE, ui.mqttGroup))
        ui.alarmsForm.insertRow(0, _farm_note(FARM_ALARMS_NOTE, ui.alarmsGroup))
        ui.unitsForm.insertRow(0, _farm_note(FARM_UNITS_NOTE, ui.unitsGroup))

    def on_time_zones_listed(self, zones: Any, exc: Any) -> None:
        """Offer the zones in the drop-down; typing a name works without them."""
        if exc is not None or not isinstance(zones, list):
            return
        typed = self.timezoneCombo.currentText()
        self._loading, was_loading = True, self._loading
        try:
            self.timezoneCombo.addItems(zones)
            self.timezoneCombo.setCurrentText(typed)
        finally:
            self._loading = was_loading

    def _add_security_fields(self) -> None:
        """TLS and password-keeping fields, added beside the Designer form's own rows."""
        ui = self.ui
        self.sslModeCombo = QComboBox(ui.serverFields)
        self.sslModeCombo.setObjectName("sslModeCombo")
        for text, value in SSL_MODES:
            self.sslModeCombo.addItem(text, value)
        ui.serverForm.addRow("Encryption (TLS)", self.sslModeCombo)
        self.rootCertEdit = QLineEdit(ui.serverFields)
        self.rootCertEdit.setObjectName("rootCertEdit")
        self.rootCertEdit.setPlaceholderText("the server's CA certificate (PEM), for checking")
        ui.serverForm.addRow("Root certificate", self._with_browse(self.rootCertEdit))
        self.passwordStoreCombo = QComboBox(ui.databaseGroup)
        self.passwordStoreCombo.setObjectName("passwordStoreCombo")
        for text, value in PASSWORD_STORES:
            self.passwordStoreCombo.addItem(text, value)
        self.passwordStoreCombo.setToolTip(
            "Where the server and broker passwords are kept. Without a system keyring, choose "
            "an encrypted file (one passphrase per session) or to be asked at each start."
        )
        row = QFormLayout()
        row.addRow("Keep passwords in", self.passwordStoreCombo)
        ui.databaseLayout.insertLayout(ui.databaseLayout.indexOf(ui.urlRadio), row)
        self.passwordStoreCombo.currentIndexChanged.connect(self.on_password_store_changed)
        self.caFileEdit = QLineEdit(ui.mqttGroup)
        self.caFileEdit.setObjectName("caFileEdit")
        self.caFileEdit.setPlaceholderText("the broker's CA certificate (PEM); empty: the system's")
        self.caFileLabel = QLabel("CA file", ui.mqttGroup)
        ca_row = _form_row(ui.mqttForm, ui.mqttTlsCheck) + 1
        ui.mqttForm.insertRow(ca_row, self.caFileLabel, self._with_browse(self.caFileEdit))
        self.securityError = QLabel(ui.databaseGroup)
        self.securityError.setObjectName("securityError")
        self.securityError.setStyleSheet(f"color: {ERROR};")
        self.securityError.setWordWrap(True)
        self.securityError.hide()
        ui.databaseLayout.insertWidget(ui.databaseLayout.indexOf(ui.urlRadio), self.securityError)

    @Slot(int)
    def on_password_store_changed(self, _index: int) -> None:
        """The password fields say where what is typed will go."""
        where = {
            "keyring": "kept in the system keyring",
            "session": "used until the app closes, asked again at the next start",
            "file": "kept in the encrypted password file",
        }.get(str(self.passwordStoreCombo.currentData()), "")
        for edit in (self.ui.passwordEdit, self.ui.mqttPasswordEdit):
            edit.setPlaceholderText(f"{where}; empty keeps the stored one")

    def _with_browse(self, edit: QLineEdit) -> QWidget:
        box = QWidget(edit.parentWidget())
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        edit.setParent(box)
        layout.addWidget(edit, 1)
        button = QPushButton("Browse…", box)
        button.clicked.connect(lambda: self.on_browse_certificate(edit))
        layout.addWidget(button)
        return box

    def on_browse_certificate(self, edit: QLineEdit) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose a certificate", edit.text(), "Certificates (*.pem *.crt *.cer);;All (*)"
        )
        if path:
            edit.setText(path)

    def _connect_signals(self) -> None:
        ui = self.ui
        for radio in (ui.embeddedRadio, ui.serverRadio, ui.urlRadio):
            radio.toggled.connect(self.on_form_edited)
        for edit in self.findChildren(QLineEdit):
            edit.textChanged.connect(self.on_form_edited)
        for spin in self.findChildren(QAbstractSpinBox):
            spin.valueChanged.connect(self.on_form_edited)  # type: ignore[attr-defined]
        for combo in self.findChildren(QComboBox):
            combo.currentIndexChanged.connect(self.on_form_edited)
        ui.mqttTlsCheck.toggled.connect(self.on_form_edited)
        ui.temperatureCombo.currentIndexChanged.connect(self.on_temperature_unit_changed)
        ui.testButton.clicked.connect(self.on_test_clicked)
        ui.saveButton.clicked.connect(self.on_save_clicked)
        ui.revertButton.clicked.connect(self.on_revert_clicked)

    # --- form <-> settings ---------------------------------------------------------------

    def load_form(self, s: Settings) -> None:
        """Show settings in the form; passwords stay empty (empty keeps the stored one)."""
        ui = self.ui
        self._loading = True
        try:
            db = s.database
            mode = ui.urlRadio if db.url.strip() else ui.serverRadio if db.host else None
            (mode or ui.embeddedRadio).setChecked(True)
            ui.urlEdit.setText(db.url)
            ui.hostEdit.setText(db.host)
            ui.portSpin.setValue(db.port)
            ui.dbNameEdit.setText(db.name)
            ui.userEdit.setText(db.user)
            ui.passwordEdit.clear()
            self.sslModeCombo.setCurrentIndex(max(self.sslModeCombo.findData(db.sslmode), 0))
            self.rootCertEdit.setText(db.sslrootcert)
            store = self.passwordStoreCombo.findData(s.password_store)
            self.passwordStoreCombo.setCurrentIndex(max(store, 0))

            m = s.mqtt
            ui.mqttHostEdit.setText(m.host)
            ui.mqttPortSpin.setValue(m.port)
            ui.mqttUserEdit.setText(m.username)
            ui.mqttPasswordEdit.clear()
            ui.mqttTlsCheck.setChecked(m.tls)
            self.caFileEdit.setText(m.ca_file)
            ui.mqttClientIdEdit.setText(m.client_id)
            ui.dataTopicEdit.setText(m.data_topic)
            ui.statusTopicEdit.setText(m.status_topic)
            ui.esphomeTopicEdit.setText(m.esphome_topic)
            ui.tasmotaTopicEdit.setText(m.tasmota_topic)
            self.esphomeStatusTopicEdit.setText(m.esphome_status_topic)
            self.tasmotaLwtTopicEdit.setText(m.tasmota_lwt_topic)
            self.timezoneCombo.setCurrentText(m.timezone)
            ui.staleSpin.setValue(m.stale_after_s)

            ui.cnLowSpin.setValue(s.cn_low)
            ui.cnTargetSpin.setValue(s.cn_target)
            ui.cnHighSpin.setValue(s.cn_high)

            ui.massCombo.setCurrentIndex(ui.massCombo.findData(s.units.mass.value))
            ui.volumeCombo.setCurrentIndex(ui.volumeCombo.findData(s.units.volume.value))
            unit = s.units.temperature
            ui.temperatureCombo.setCurrentIndex(ui.temperatureCombo.findData(unit.value))
            self._set_temperature_unit(unit)
            a = s.alarms
            ui.tooHotSpin.setValue(celsius_to(a.too_hot_c, unit))
            ui.tooColdSpin.setValue(celsius_to(a.too_cold_active_c, unit))
            ui.hysteresisCSpin.setValue(celsius_delta_to(a.hysteresis_c, unit))
            ui.tooDrySpin.setValue(a.too_dry_pct)
            ui.tooWetSpin.setValue(a.too_wet_pct)
            ui.silentSpin.setValue(a.silent_after_s)
            ui.hysteresisPctSpin.setValue(a.hysteresis_pct)
        finally:
            self._loading = False
        self.ui.testResult.clear()
        self.on_form_edited()

    def settings_from_form(self) -> Settings:
        """A new Settings built from the form; what is not on the form is kept as it was."""
        ui = self.ui
        s = copy.deepcopy(self.ctx.settings)
        if ui.urlRadio.isChecked():
            url, host = ui.urlEdit.text().strip(), ui.hostEdit.text().strip()
        elif ui.serverRadio.isChecked():
            url, host = "", ui.hostEdit.text().strip()
        else:
            url, host = "", ""
        s.database = DatabaseSettings(
            url=url,
            host=host,
            port=ui.portSpin.value(),
            name=ui.dbNameEdit.text().strip() or "compost",
            user=ui.userEdit.text().strip(),
            sslmode=str(self.sslModeCombo.currentData() or ""),
            sslrootcert=self.rootCertEdit.text().strip(),
        )
        s.password_store = str(self.passwordStoreCombo.currentData() or "keyring")
        s.mqtt = MqttSettings(
            host=ui.mqttHostEdit.text().strip(),
            port=ui.mqttPortSpin.value(),
            username=ui.mqttUserEdit.text().strip(),
            tls=ui.mqttTlsCheck.isChecked(),
            ca_file=self.caFileEdit.text().strip(),
            client_id=ui.mqttClientIdEdit.text().strip(),
            data_topic=ui.dataTopicEdit.text().strip(),
            status_topic=ui.statusTopicEdit.text().strip(),
            esphome_topic=ui.esphomeTopicEdit.text().strip(),
            tasmota_topic=ui.tasmotaTopicEdit.text().strip(),
            esphome_status_topic=self.esphomeStatusTopicEdit.text().strip(),
            tasmota_lwt_topic=self.tasmotaLwtTopicEdit.text().strip(),
            timezone=self.timezoneCombo.currentText().strip(),
            stale_after_s=ui.staleSpin.value(),
        )
        s.cn_low = ui.cnLowSpin.value()
        s.cn_target = ui.cnTargetSpin.value()
        s.cn_high = ui.cnHighSpin.value()
        s.units.mass = MassUnit(ui.massCombo.currentData())
        s.units.volume = VolumeUnit(ui.volumeCombo.currentData())
        unit = TemperatureUnit(ui.temperatureCombo.currentData())
        s.units.temperature = unit
        s.alarms.too_hot_c = round(to_celsius(ui.tooHotSpin.value(), unit), 2)
        s.alarms.too_cold_active_c = round(to_celsius(ui.tooColdSpin.value(), unit), 2)
        s.alarms.hysteresis_c = round(to_celsius_delta(ui.hysteresisCSpin.value(), unit), 2)
        s.alarms.too_dry_pct = ui.tooDrySpin.value()
        s.alarms.too_wet_pct = ui.tooWetSpin.value()
        s.alarms.silent_after_s = ui.silentSpin.value()
        s.alarms.hysteresis_pct = ui.hysteresisPctSpin.value()
        return s

    # --- validation as you type ------------------------------------------------------------

    @Slot()
    def on_form_edited(self, *_args: object) -> None:
        if self._loading:
            return
        ui = self.ui
        ui.serverFields.setEnabled(ui.serverRadio.isChecked())
        ui.urlFields.setEnabled(ui.urlRadio.isChecked())
        valid = self.validate()
        dirty = self.is_dirty()
        ui.saveButton.setEnabled(valid and dirty and not self._saving)
        ui.revertButton.setEnabled(dirty and not self._saving)
        if not self._saving:
            if dirty and valid:
                self._set_status("Changes not saved yet.", None)
            elif dirty:
                self._set_status("Fix the fields marked in red to save.", ERROR)
            elif ui.statusLabel.text() in (
                "Changes not saved yet.",
                "Fix the fields marked in red to save.",
            ):
                self._set_status("", None)

    def is_dirty(self) -> bool:
        """Something differs from the settings in use (a typed password counts)."""
        typed = self.ui.passwordEdit.text() or self.ui.mqttPasswordEdit.text()
        return bool(typed) or self.settings_from_form() != self.ctx.settings

    def validate(self) -> bool:
        """Mark wrong fields red with a message under their group; True when all are right."""
        ui = self.ui
        ok = True

        url_error = ""
        if ui.urlRadio.isChecked():
            url_error = _url_problem(ui.urlEdit.text())
        _mark(ui.urlEdit, bool(url_error))
        ui.urlError.setText(url_error)
        ui.urlError.setVisible(bool(url_error))
        ok &= not url_error
        host_missing = ui.serverRadio.isChecked() and not ui.hostEdit.text().strip()
        _mark(ui.hostEdit, host_missing)
        ui.hostEdit.setToolTip("Enter the server's name or address." if host_missing else "")
        ok &= not host_missing

        low, target, high = ui.cnLowSpin.value(), ui.cnTargetSpin.value(), ui.cnHighSpin.value()
        band_error = ""
        if not low < high:
            band_error = f"The lowest C:N ({low:g}) must be below the highest ({high:g})."
        elif not low < target < high:
            band_error = (
                f"The target ({target:g}) must lie between the lowest ({low:g}) and the "
                f"highest ({high:g})."
            )
        _mark(ui.cnLowSpin, bool(band_error) and not low < high)
        _mark(ui.cnHighSpin, bool(band_error) and not low < high)
        _mark(ui.cnTargetSpin, bool(band_error) and low < high)
        ui.bandError.setText(band_error)
        ui.bandError.setVisible(bool(band_error))
        ok &= not band_error

        alarm_errors = []
        hot_cold = ui.tooColdSpin.value() < ui.tooHotSpin.value()
        dry_wet = ui.tooDrySpin.value() < ui.tooWetSpin.value()
        if not hot_cold:
            alarm_errors.append("'Too cold' must be below 'too hot'.")
        if not dry_wet:
            alarm_errors.append("'Too dry' must be below 'too wet'.")
        _mark(ui.tooColdSpin, not hot_cold)
        _mark(ui.tooDrySpin, not dry_wet)
        ui.alarmsError.setText(" ".join(alarm_errors))
        ui.alarmsError.setVisible(bool(alarm_errors))
        ok &= not alarm_errors

        security_errors = []
        root_cert = self.rootCertEdit.text().strip()
        root_missing = bool(root_cert) and not Path(root_cert).expanduser().is_file()
        if root_missing:
            security_errors.append(f"No certificate file at {root_cert}.")
        ca_file = self.caFileEdit.text().strip()
        ca_missing = bool(ca_file) and not Path(ca_file).expanduser().is_file()
        if ca_missing:
            security_errors.append(f"No CA file at {ca_file}.")
        _mark(self.rootCertEdit, root_missing)
        _mark(self.caFileEdit, ca_missing)
        self.securityError.setText(" ".join(security_errors))
        self.securityError.setVisible(bool(security_errors))
        ok &= not security_errors

        topics_missing = not ui.dataTopicEdit.text().strip()
        _mark(ui.dataTopicEdit, topics_missing)
        ok &= not topics_missing
        ok &= self._validate_farm_topics()
        return bool(ok)

    def _validate_farm_topics(self) -> bool:
        """Topic filters MQTT cannot use and unknown time zones, said under the topics."""
        ui = self.ui
        errors: list[str] = []
        edits = (
            ui.dataTopicEdit,
            ui.statusTopicEdit,
            ui.esphomeTopicEdit,
            ui.tasmotaTopicEdit,
            self.esphomeStatusTopicEdit,
            self.tasmotaLwtTopicEdit,
        )
        mqtt = MqttSettings(
            data_topic=ui.dataTopicEdit.text().strip(),
            status_topic=ui.statusTopicEdit.text().strip(),
            esphome_topic=ui.esphomeTopicEdit.text().strip(),
            tasmota_topic=ui.tasmotaTopicEdit.text().strip(),
            esphome_status_topic=self.esphomeStatusTopicEdit.text().strip(),
            tasmota_lwt_topic=self.tasmotaLwtTopicEdit.text().strip(),
        )
        try:
            farm_config.patterns_from(mqtt)
            bad_topics = False
        except FarmConfigError as exc:
            errors.append(str(exc))
            bad_topics = True
        for edit in edits[1:]:
            _mark(edit, bad_topics and bool(edit.text().strip()))
        try:
            farm_config.zone(self.timezoneCombo.currentText())
            bad_zone = False
        except FarmConfigError as exc:
            errors.append(str(exc))
            bad_zone = True
        _mark(self.timezoneCombo, bad_zone)
        self.topicsError.setText(" ".join(errors))
        self.topicsError.setVisible(bool(errors))
        return not errors

    @Slot(int)
    def on_temperature_unit_changed(self, _index: int) -> None:
        """Show the alarm temperatures in the chosen unit, converting what is typed."""
        if self._loading:
            return
        new = TemperatureUnit(self.ui.temperatureCombo.currentData())
        old = self._temp_unit
        if new is old:
            return
        ui = self.ui
        self._loading = True
        try:
            for spin in (ui.tooHotSpin, ui.tooColdSpin):
                spin.setValue(celsius_to(to_celsius(spin.value(), old), new))
            ui.hysteresisCSpin.setValue(
                celsius_delta_to(to_celsius_delta(ui.hysteresisCSpin.value(), old), new)
            )
            self._set_temperature_unit(new)
        finally:
            self._loading = False
        self.on_form_edited()

    def _set_temperature_unit(self, unit: TemperatureUnit) -> None:
        self._temp_unit = unit
        for spin in (self.ui.tooHotSpin, self.ui.tooColdSpin, self.ui.hysteresisCSpin):
            spin.setSuffix(f" {unit.value}")

    # --- connection test ---------------------------------------------------------------------

    @Slot()
    def on_test_clicked(self) -> None:
        ui = self.ui
        if ui.urlRadio.isChecked() and _url_problem(ui.urlEdit.text()):
            self._show_test(ConnectionReport(False, _url_problem(ui.urlEdit.text())))
            return
        if ui.serverRadio.isChecked() and not ui.hostEdit.text().strip():
            self._show_test(ConnectionReport(False, "Enter the server's name or address first."))
            return
        db = self.settings_from_form().database
        typed = ui.passwordEdit.text()

        def work() -> ConnectionReport:
            if not db.url and not db.host:
                from compost_desktop.db.engine import default_url

                return check_connection(default_url())
            password = typed or (secrets.get_password(db.secret_key) if db.host else None)
            url = db.effective_url(password)
            assert url is not None
            return check_connection(url)

        self._test_serial += 1
        serial = self._test_serial
        ui.testButton.setEnabled(False)
        ui.testResult.setStyleSheet("")
        ui.testResult.setText("Connecting…")
        self._start(work, lambda result, exc: self.on_test_finished(serial, result, exc))

    def on_test_finished(self, serial: int, result: Any, exc: Any) -> None:
        if serial != self._test_serial:  # a newer test was started; this answer is stale
            return
        self.ui.testButton.setEnabled(True)
        if exc is not None:
            log.warning("Connection test crashed: %s", exc)
            result = ConnectionReport(False, f"The test itself failed: {exc}")
        self._show_test(result)

    def _show_test(self, report: ConnectionReport) -> None:
        self.ui.testResult.setText(report.message)
        self.ui.testResult.setStyleSheet(f"color: {OK if report.ok else ERROR};")
        self.connection_tested.emit(report)

    # --- save and revert ---------------------------------------------------------------------

    @Slot()
    def on_save_clicked(self) -> None:
        if self._saving or not self.validate():
            if not self._saving:
                self._set_status("Fix the fields marked in red to save.", ERROR)
            return
        new = self.settings_from_form()
        passwords: list[tuple[str, str, str]] = []
        if self.ui.passwordEdit.text() and new.database.host:
            passwords.append(("database", new.database.secret_key, self.ui.passwordEdit.text()))
        if self.ui.mqttPasswordEdit.text():
            passwords.append(("MQTT", new.mqtt.secret_key, self.ui.mqttPasswordEdit.text()))
        secrets.configure(new.password_store)
        passphrase = None
        if passwords and new.password_store == "file" and not secrets.is_unlocked():
            passphrase = self.ask_passphrase()
            if passphrase is None:
                self._set_status("Not saved: the password file needs its passphrase.", None)
                return
        self._saving = True
        self.ui.saveButton.setEnabled(False)
        self._set_status("Saving…", None)

        def store_passwords() -> list[str]:
            """Names of the passwords that could not be kept where the user chose."""
            if passphrase is not None:
                try:
                    secrets.unlock(passphrase)
                except secrets.WrongPassphraseError as exc:
                    log.warning("Password file not opened: %s", exc)
                    return [what for what, _key, _pw in passwords]
            return [what for what, key, pw in passwords if not secrets.set_password(key, pw)]

        db_password_typed = any(what == "database" for what, _key, _pw in passwords)
        self._start(
            store_passwords,
            lambda failed, exc: self.on_passwords_stored(new, db_password_typed, failed, exc),
        )

    def on_passwords_stored(
        self, new: Settings, db_password_typed: bool, failed: list[str] | None, exc: Any
    ) -> None:
        old = self.ctx.settings
        self._saving = False
        if exc is not None:
            log.warning("Keyring failed: %s", exc)
            failed = ["database", "MQTT"]
        try:
            settings_store.save(new)
        except Exception as error:  # a read-only or full disk; keep the form as typed
            log.error("Settings not saved: %s", error)
            self._set_status(
                f"Not saved: the settings file could not be written ({error}). Your changes are "
                "still in the form; try again.",
                ERROR,
            )
            self.on_form_edited()
            return
        self.ctx.apply_settings(new)
        self._save_farm_wide(new)
        words = ["Settings saved and applied."]
        if new.database != old.database or db_password_typed:
            words.append(
                "The database change takes effect when you restart Compost Desktop; until then "
                "the app keeps using the database shown in the status bar."
            )
        if failed:
            where = {
                "keyring": "this computer offers no keyring",
                "file": "the password file's passphrase was not right",
            }.get(new.password_store, "it could not be stored")
            words.append(
                f"The {' and '.join(failed)} password could not be kept: {where}. It is used "
                "for this session only and was not written anywhere else; under 'Keep "
                "passwords in' choose an encrypted file or to be asked at each start."
            )
        self.ui.passwordEdit.clear()
        self.ui.mqttPasswordEdit.clear()
        self.load_form(new)
        self._set_status(" ".join(words), ERROR if failed else OK)
        self.settings_saved.emit(new)

    def ask_passphrase(self) -> str | None:
        """The passphrase of the password file (a new one names its passphrase here)."""
        new = not secrets.vault_exists()
        text, ok = QInputDialog.getText(
            self,
            "Password file",
            "Choose a passphrase for the new password file:"
            if new
            else "Passphrase of the password file:",
            QLineEdit.EchoMode.Password,
        )
        return text if ok and text else None

    @Slot()
    def on_revert_clicked(self) -> None:
        self.load_form(self.ctx.settings)
        self._set_status("Changes thrown away; the form shows the settings in use.", None)

    @Slot()
    def on_settings_changed(self) -> None:
        """Settings applied elsewhere show here unless the user is in the middle of editing."""
        if not self._saving and not self.ui.revertButton.isEnabled():
            self.load_form(self.ctx.settings)

    def _save_farm_wide(self, new: Settings) -> None:
        """Thresholds, topics, time zone and units go to the farm database, for every PC."""
        engine = getattr(self.ctx.store, "engine", None)
        if engine is None:
            return
        config = farm_config.from_settings(new)
        self.ctx.runner.submit(
            lambda: farm_config.save(engine, config), None, self.on_farm_save_failed
        )

    def on_farm_save_failed(self, error: BaseException) -> None:
        log.warning("Farm-wide settings not stored in the database: %s", error)
        self._set_status(
            "Saved on this PC, but not in the farm database (the other PCs and the recorder "
            f"keep the previous thresholds and topics): {_first_line(str(error))}",
            ERROR,
        )

    # --- helpers -------------------------------------------------------------------------------

    def _start(self, fn: Callable[[], Any], on_finished: Callable[[Any, Any], None]) -> None:
        """Keyring, time zone files and test connections wait on the world: the io runner."""
        self.ctx.io.submit(
            fn,
            lambda result: self._finish(on_finished, result, None),
            lambda exc: self._finish(on_finished, None, exc),
        )

    def _finish(self, on_finished: Callable[[Any, Any], None], result: Any, exc: Any) -> None:
        if not shiboken6.isValid(self.ui.statusLabel):
            return  # the page was closed while the work ran: nobody is left to tell
        on_finished(result, exc)

    def _set_status(self, text: str, colour: str | None) -> None:
        self.ui.statusLabel.setText(text)
        self.ui.statusLabel.setStyleSheet(f"color: {colour};" if colour else "")


FARM_TOPICS_NOTE = (
    "Farm-wide: the topics and the sensor clocks' time zone below are kept in the farm "
    "database and used by every PC and by the headless recorder."
)
FARM_ALARMS_NOTE = "Farm-wide: every PC and the headless recorder raise alarms at these thresholds."
FARM_UNITS_NOTE = "Farm-wide: every PC shows these units."


def _form_row(form: QFormLayout, widget: QWidget) -> int:
    """The row a widget is on in a form (PySide's stubs type the (row, role) pair as object)."""
    row, _role = cast("tuple[int, QFormLayout.ItemRole]", form.getWidgetPosition(widget))
    return row


def _farm_note(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setObjectName("farmWideNote")
    label.setStyleSheet(f"color: {MUTED_TEXT};")
    return label


def _mark(widget: QWidget, invalid: bool) -> None:
    widget.setStyleSheet(f"{type(widget).__name__} {{ {INVALID_STYLE} }}" if invalid else "")


def _url_problem(text: str) -> str:
    """Why a typed URL cannot be used, or '' when it can (no I/O: parsing only)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    text = text.strip()
    if not text:
        return "Enter a database URL, or choose one of the other options."
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        return (
            "This is not a database URL; write e.g. postgresql+psycopg://user@host/compost "
            "or sqlite:///C:/farm/compost.db"
        )
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        return "Compost Desktop works with PostgreSQL and SQLite URLs only."
    if url.password:
        return (
            "Leave the password out of the URL (it would be stored in a plain file): choose "
            '"The farm\'s PostgreSQL server" and type it in Password; it goes to the keyring.'
        )
    return ""
