"""What the user can set, as typed values; persisted by the GUI (QSettings), never passwords."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from compost_desktop.domain.units import MassUnit, TemperatureUnit, VolumeUnit
from compost_desktop.domain.validation import ValidationError

if TYPE_CHECKING:
    from compost_desktop.domain.mix import TargetBand
    from compost_desktop.domain.pathogen import PathogenRule


@dataclass
class DatabaseSettings:
    """Empty url and host mean the embedded SQLite default."""

    url: str = ""  # a full SQLAlchemy URL wins over the fields below
    host: str = ""
    port: int = 5432
    name: str = "compost"
    user: str = ""
    # libpq's TLS settings: "" (libpq's default, prefer), disable, require, verify-ca,
    # verify-full; the root certificate file checks the server's (verify-ca/verify-full).
    sslmode: str = ""
    sslrootcert: str = ""

    def effective_url(self, password: str | None = None) -> str | None:
        if self.url.strip():
            return self.url.strip()
        if not self.host.strip():
            return None
        from sqlalchemy.engine import URL

        query = {"sslmode": self.sslmode, "sslrootcert": self.sslrootcert.strip()}
        return URL.create(
            "postgresql+psycopg",
            username=self.user or None,
            password=password or None,
            host=self.host.strip(),
            port=self.port,
            database=self.name,
            query={k: v for k, v in query.items() if v},
        ).render_as_string(hide_password=False)

    @property
    def secret_key(self) -> str:
        return f"db:{self.user}@{self.host}:{self.port}/{self.name}"


@dataclass
class MqttSettings:
    """Empty host means: start the local demo broker and simulator."""

    host: str = ""
    port: int = 1883
    username: str = ""
    tls: bool = False
    ca_file: str = ""  # PEM file of the CA that signed the broker's certificate; "" = system's
    client_id: str = ""  # stable per PC so the broker keeps the QoS 1 session
    data_topic: str = "compost/sensor/data"
    status_topic: str = "compost/status/+"
    esphome_topic: str = "+/sensor/+/state"
    tasmota_topic: str = "tele/+/SENSOR"
    esphome_status_topic: str = "+/status"
    tasmota_lwt_topic: str = "tele/+/LWT"
    timezone: str = ""  # farm-wide: zone of device clocks that send no offset; "" = this PC's
    stale_after_s: int = 300

    @property
    def secret_key(self) -> str:
        return f"mqtt:{self.username}@{self.host}:{self.port}"


@dataclass
class AlarmSettings:
    too_hot_c: float = 70.0
    too_cold_active_c: float = 40.0
    too_dry_pct: float = 40.0
    too_wet_pct: float = 65.0
    silent_after_s: int = 600
    hysteresis_c: float = 2.0
    hysteresis_pct: float = 2.0


@dataclass
class UnitSettings:
    mass: MassUnit = MassUnit.KG
    temperature: TemperatureUnit = TemperatureUnit.CELSIUS
    volume: VolumeUnit = VolumeUnit.LITRE
    # The site's own loader units (domain.units.parse_farm_units); the planner offers them.
    farm_units: str = "loader bucket = 1.5 m³; wheelbarrow = 80 L"


@dataclass
class PathogenSettings:
    """The rule the detail view judges by, and the farm's own rules (JSON, see domain.pathogen)."""

    rule: str = "epa-pfrp-in-vessel"
    custom_rules_json: str = "[]"


@dataclass
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    mqtt: MqttSettings = field(default_factory=MqttSettings)
    alarms: AlarmSettings = field(default_factory=AlarmSettings)
    units: UnitSettings = field(default_factory=UnitSettings)
    pathogen: PathogenSettings = field(default_factory=PathogenSettings)
    password_store: str = "keyring"  # keyring, session or file (see compost_desktop.secrets)
    cn_low: float = 25.0
    cn_high: float = 30.0
    cn_target: float = 27.5

    @property
    def band(self) -> TargetBand:
        from compost_desktop.domain.mix import TargetBand  # the mix engine loads on first use

        return TargetBand(self.cn_low, self.cn_high, self.cn_target)

    def custom_rules(self) -> list[PathogenRule]:
        """The farm's own rules; a damaged stored list is logged and read as none."""
        from compost_desktop.domain.pathogen import rules_from_json

        try:
            return rules_from_json(self.pathogen.custom_rules_json)
        except ValidationError as exc:
            logging.getLogger(__name__).warning("Ignoring stored pathogen rules: %s", exc)
            return []

    def rules(self) -> dict[str, PathogenRule]:
        """Every rule the user can choose: the presets, then their own."""
        from compost_desktop.domain.pathogen import available_rules

        return available_rules(self.custom_rules())
