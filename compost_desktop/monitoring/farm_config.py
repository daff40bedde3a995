"""The farm-wide monitoring configuration, kept in the database so every PC and the recorder agree.

What lives here: the alarm thresholds, the MQTT topic patterns, the farm's time zone (for
device clocks that send local time without an offset) and the display units. Each is one
row of `farm_setting` (JSON), synced like the other rows. A key nobody has saved yet is
None in `FarmConfig`: the reader then keeps its own value (a PC its local setting, the
recorder the defaults), so an older database keeps working.

`record --topics/--timezone` override the stored values for one run (`parse_topics`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from compost_desktop.domain.units import MassUnit, TemperatureUnit, VolumeUnit
from compost_desktop.monitoring.parsing import TopicPatterns
from compost_desktop.settings import AlarmSettings, MqttSettings, Settings, UnitSettings

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger(__name__)

ALARMS: Final = "alarms"
TOPICS: Final = "topics"
TIMEZONE: Final = "timezone"
UNITS: Final = "units"
ALARM_TOPIC: Final = "alarm_topic"
DEFAULT_ALARM_TOPIC: Final = "compost/alarm"
_NAMESPACE: Final = uuid.UUID("9c4b1e52-3f0a-4d7e-9a61-0c2f7d5e8b13")

# The names `record --topics` accepts, and the TopicPatterns field each sets.
TOPIC_OPTION_NAMES: Final = {
    "data": "farm_json",
    "status": "status",
    "esphome": "esphome",
    "tasmota": "tasmota",
    "esphome-status": "esphome_status",
    "tasmota-lwt": "tasmota_lwt",
}


class FarmConfigError(ValueError):
    """A topic option or time zone that cannot be used; the message says why."""


@dataclass(frozen=True)
class FarmConfig:
    """The stored farm-wide values; None where nobody has saved one yet."""

    alarms: AlarmSettings | None = None
    topics: dict[str, str | None] | None = None  # TopicPatterns field -> filter (None = off)
    timezone: str | None = None  # IANA name; "" = the clock of the computer reading it
    units: dict[str, str] | None = None  # "temperature", "mass", "volume" -> unit value
    alarm_topic: str | None = None

    def patterns(self, base: TopicPatterns | None = None) -> TopicPatterns:
        """Topic patterns with the stored ones over `base` (default patterns when None)."""
        return with_topics(base or TopicPatterns(), self.topics or {})

    def alarm_settings(self, base: AlarmSettings | None = None) -> AlarmSettings:
        """Stored thresholds, else `base`, else the defaults."""
        return self.alarms or base or AlarmSettings()

    def zone(self) -> tzinfo:
        """The farm's time zone for naive device clocks (the local one when unset)."""
        return zone(self.timezone or "")

    def temperature_unit(self) -> TemperatureUnit:
        """The farm's temperature unit (°C when unset or unknown to this version)."""
        try:
            return TemperatureUnit((self.units or {}).get("temperature", "°C"))
        except ValueError:
            return TemperatureUnit.CELSIUS


def setting_uuid(key: str) -> str:
    """The same uuid for the same key on every PC, so two PCs saving it update one row."""
    return str(uuid.uuid5(_NAMESPACE, f"farm_setting:{key}"))


def zone(name: str) -> tzinfo:
    """An IANA zone by name; "" is this computer's local zone."""
    if not name.strip():
        local = datetime.now().astimezone().tzinfo
        return local if local is not None else UTC
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise FarmConfigError(
            f"Unknown time zone {name!r}: use a name such as Europe/Berlin or Asia/Singapore."
        ) from exc


def with_topics(base: TopicPatterns, topics: dict[str, str | None]) -> TopicPatterns:
    """`base` with the given fields replaced; unknown names (a newer version's) are skipped."""
    known = {f.name for f in dataclasses.fields(TopicPatterns)}
    changes = {k: (v or None) for k, v in topics.items() if k in known}
    try:
        return dataclasses.replace(base, **changes)
    except ValueError as exc:
        raise FarmConfigError(f"Unusable topic pattern: {exc}") from exc


def parse_topics(text: str) -> dict[str, str | None]:
    """`data=farm/+/json,tasmota=` → TopicPatterns fields; an empty value turns a format off."""
    topics: dict[str, str | None] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, pattern = part.partition("=")
        field = TOPIC_OPTION_NAMES.get(name.strip().lower())
        if not sep or field is None:
            names = ", ".join(TOPIC_OPTION_NAMES)
            raise FarmConfigError(
                f"--topics takes NAME=PATTERN pairs separated by commas, NAME one of {names} "
                f"(got {part!r})."
            )
        topics[field] = pattern.strip() or None
    with_topics(TopicPatterns(), topics)  # fail now on a pattern that can never match
    return topics


def load(engine: Engine) -> FarmConfig:
    """Read what is stored; a damaged value is logged and read as unset."""
    # SQLAlchemy loads here, not at import: the window imports this module before it needs it.
    from sqlalchemy import select

    from compost_desktop.db.models import FarmSetting

    with engine.connect() as conn:
        rows = dict(conn.execute(select(FarmSetting.key, FarmSetting.value)).all())
    values: dict[str, Any] = {}
    for key, raw in rows.items():
        try:
            values[key] = json.loads(raw)
        except ValueError:
            log.warning("Ignoring unreadable farm setting %s=%r", key, raw[:80])
    alarms = None
    if isinstance(values.get(ALARMS), dict):
        known = {f.name for f in dataclasses.fields(AlarmSettings)}
        try:
            alarms = AlarmSettings(**{k: v for k, v in values[ALARMS].items() if k in known})
        except TypeError:
            log.warning("Ignoring unreadable farm alarm thresholds")
    topics = values.get(TOPICS) if isinstance(values.get(TOPICS), dict) else None
    tz = values.get(TIMEZONE) if isinstance(values.get(TIMEZONE), str) else None
    units = values.get(UNITS) if isinstance(values.get(UNITS), dict) else None
    topic = values.get(ALARM_TOPIC) if isinstance(values.get(ALARM_TOPIC), str) else None
    return FarmConfig(alarms, topics, tz, units, topic)


def save(engine: Engine, config: FarmConfig) -> None:
    """Store every value that is set; a value equal to the stored one writes nothing."""
    from sqlalchemy import insert, select, update
    from sqlalchemy.exc import IntegrityError

    from compost_desktop.db.models import FarmSetting

    values: dict[str, Any] = {}
    if config.alarms is not None:
        values[ALARMS] = dataclasses.asdict(config.alarms)
    if config.topics is not None:
        values[TOPICS] = config.topics
    if config.timezone is not None:
        values[TIMEZONE] = config.timezone
    if config.units is not None:
        values[UNITS] = config.units
    if config.alarm_topic is not None:
        values[ALARM_TOPIC] = config.alarm_topic
    now = datetime.now(UTC)
    with engine.begin() as conn:
        stored = dict(conn.execute(select(FarmSetting.key, FarmSetting.value)).all())
        for key, value in values.items():
            text = json.dumps(value, sort_keys=True)
            if key not in stored:
                savepoint = conn.begin_nested()
                try:
                    conn.execute(
                        insert(FarmSetting).values(
                            uuid=setting_uuid(key), key=key, value=text, updated_at=now
                        )
                    )
                    savepoint.commit()
                    continue
                except IntegrityError:  # another writer made it meanwhile: update instead
                    savepoint.rollback()
            elif stored[key] == text:
                continue
            conn.execute(
                update(FarmSetting).where(FarmSetting.key == key).values(value=text, updated_at=now)
            )


# TopicPatterns field -> MqttSettings field, for the PC's copy of the farm's topics.
_MQTT_TOPIC_FIELDS: Final = {
    "farm_json": "data_topic",
    "status": "status_topic",
    "esphome": "esphome_topic",
    "tasmota": "tasmota_topic",
    "esphome_status": "esphome_status_topic",
    "tasmota_lwt": "tasmota_lwt_topic",
}
_UNIT_TYPES: Final = {"temperature": TemperatureUnit, "mass": MassUnit, "volume": VolumeUnit}


def from_settings(settings: Settings) -> FarmConfig:
    """The farm-wide part of a PC's settings, as the Settings page saves it."""
    m = settings.mqtt
    return FarmConfig(
        alarms=dataclasses.replace(settings.alarms),
        topics={field: getattr(m, name) or None for field, name in _MQTT_TOPIC_FIELDS.items()},
        timezone=m.timezone,
        units={name: getattr(settings.units, name).value for name in _UNIT_TYPES},
    )


def patterns_from(mqtt_settings: MqttSettings) -> TopicPatterns:
    """The topic patterns a PC's MQTT settings name (an empty field turns a format off)."""
    return with_topics(
        TopicPatterns(),
        {field: getattr(mqtt_settings, name) for field, name in _MQTT_TOPIC_FIELDS.items()},
    )


def merged_into(settings: Settings, config: FarmConfig) -> Settings:
    """`settings` with the farm's stored values over them; unset values keep the PC's own."""
    mqtt = settings.mqtt
    if config.topics is not None:
        changes: dict[str, Any] = {
            name: config.topics[field] or ""
            for field, name in _MQTT_TOPIC_FIELDS.items()
            if field in config.topics
        }
        mqtt = dataclasses.replace(mqtt, **changes)
    if config.timezone is not None:
        mqtt = dataclasses.replace(mqtt, timezone=config.timezone)
    units = settings.units
    if config.units is not None:
        found: dict[str, Any] = {}
        for name, kind in _UNIT_TYPES.items():
            raw = config.units.get(name)
            try:
                found[name] = kind(raw) if raw is not None else getattr(units, name)
            except ValueError:  # a unit a newer version offers: keep the PC's
                found[name] = getattr(units, name)
        units = UnitSettings(**found)
    return dataclasses.replace(
        settings,
        mqtt=mqtt,
        alarms=dataclasses.replace(config.alarms) if config.alarms else settings.alarms,
        units=units,
    )
