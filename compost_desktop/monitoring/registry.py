"""The farm's device registry: which sensor is a pile probe, what it is called, where its clock is.

Every device or probe the parser names is registered the first time it is seen, with a guessed
role the user confirms on the Devices page:

* **pile probe**: a DS18x20 (or MAX31850/MAX31855/MAX6675 thermocouple), a sensor whose name
  says core, probe or pile, the farm's own JSON nodes and hand readings;
* **ambient air**: SHT3X/SHT4X, BME280/BMP280/BME680, DHT, AHT, HTU21, SCD30/SCD4x, and names
  saying air, ambient, room, outside, shed;
* **other**: everything else (chip temperature, Wi-Fi signal, an unknown ESPHome sensor).

Only pile probes that are not ignored count for the pathogen tracker, the lowest-probe curve
and the pile alarms (`DeviceRegistry.is_pile_probe`, `pile_probe_clause`); a device the
registry does not know yet (readings recorded before it existed, hand readings) counts as it
always did. The table is synced like the other records; its uuid is derived from the device
id, so two PCs (or a PC and the recorder) that discover the same probe write the same row.
Colours: one the user pinned, else an automatic one distinct from the others, from the palette
the caller passes (`DeviceRegistry.colours`; the GUI's is `presentation.palette.DEVICE_COLOURS`,
a layer above this one).
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid as uuid_module
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import tzinfo
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from compost_desktop.db.models import SensorDevice, utcnow
from compost_desktop.domain.devices import Role
from compost_desktop.monitoring.parsing import MessageParser, Reading

log = logging.getLogger(__name__)

_NAMESPACE: Final = uuid_module.UUID("6f1d3c1e-5b7a-4f53-9a64-0c2b7f0e9d11")


ROLE_LABELS: Final[dict[Role, str]] = {
    Role.PILE_PROBE: "Pile probe",
    Role.AMBIENT: "Ambient air",
    Role.OTHER: "Other",
}

_COLOUR_RE: Final = re.compile(r"#[0-9a-fA-F]{6}")

_PILE_WORDS: Final = frozenset(
    {
        "ds18b20", "ds18s20", "ds1822", "ds18x20", "max31850", "max31855", "max6675",
        "max31865", "pt100", "pt1000", "thermocouple", "probe", "core", "pile", "compost",
        "windrow", "heap", "hand",
    }
)  # fmt: skip
_AMBIENT_WORDS: Final = frozenset(
    {
        "sht1x", "sht3x", "sht4x", "sht30", "sht31", "sht35", "sht40", "sht41", "sht45",
        "bme280", "bmp280", "bme680", "bme688", "bmp180", "bmp085", "bmp388", "dht11",
        "dht21", "dht22", "am2301", "am2302", "am2320", "htu21", "si7021", "aht10", "aht20",
        "aht2x", "scd30", "scd40", "scd41", "scd4x", "air", "ambient", "room", "outside",
        "outdoor", "weather", "shed",
    }
)  # fmt: skip
_OTHER_WORDS: Final = frozenset(
    {
        "esp32", "esp8266", "esp", "chip", "cpu", "internal", "wifi", "signal", "rssi",
        "uptime", "voltage", "battery", "enclosure", "case", "board",
    }
)  # fmt: skip
_WORD_SPLIT_RE: Final = re.compile(r"[^a-z0-9]+")


def device_uuid(device_id: str) -> str:
    """The registry row's uuid, the same on every PC for the same device."""
    return str(uuid_module.uuid5(_NAMESPACE, device_id))


def node_of(device_id: str) -> str | None:
    """The node a probe belongs to (``barn`` for ``barn/DS18B20-…``), None for a node."""
    node = device_id.rpartition("/")[0]
    return node or None


def ancestors(device_id: str) -> list[str]:
    """The device itself, then each enclosing node, nearest first."""
    found = [device_id]
    node = node_of(device_id)
    while node:
        found.append(node)
        node = node_of(node)
    return found


def _words(text: str) -> set[str]:
    return {w for w in _WORD_SPLIT_RE.split(text.lower()) if w}


def _role_of_words(words: set[str]) -> Role | None:
    if words & _AMBIENT_WORDS:
        return Role.AMBIENT
    if words & _OTHER_WORDS:
        return Role.OTHER
    if words & _PILE_WORDS:
        return Role.PILE_PROBE
    return None


def guess_role(device_id: str, quantity: str | None = None, fmt: str | None = None) -> Role:
    """A sensible first guess from the names; the sensor's own segment speaks first."""
    segments = device_id.split("/")
    for segment in reversed(segments):
        words = _words(segment)
        # "ds18b20-0316a279": the part before the id is the model.
        words |= {w.rstrip("0123456789") for w in words if w.startswith("probe")}
        found = _role_of_words(words)
        if found is not None:
            return found
    if quantity is not None:
        found = _role_of_words(_words(quantity))
        if found is not None:
            return found
    if device_id.startswith("hand:") or fmt == "farm":
        # The farm's own nodes and the hand probe measure the pile.
        return Role.PILE_PROBE
    return Role.OTHER


@dataclass(frozen=True, slots=True)
class DeviceEntry:
    """One registry row as plain data."""

    device_id: str
    role: Role
    node: str | None = None
    name: str | None = None
    role_confirmed: bool = False
    position: str | None = None
    timezone: str | None = None
    ignored: bool = False
    colour: str | None = None

    @property
    def label(self) -> str:
        """What the window calls it: the user's name, else the device id."""
        return self.name or self.device_id

    @property
    def counts_as_pile(self) -> bool:
        return self.role is Role.PILE_PROBE and not self.ignored


def check_timezone(name: str) -> tzinfo:
    """An IANA zone name ("Asia/Shanghai") as a tzinfo, or ValueError saying why not."""
    cleaned = name.strip()
    if not cleaned:
        raise ValueError("A time zone name is empty.")
    try:
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"'{cleaned}' is not a time zone name; use one like Europe/Berlin or Asia/Shanghai."
        ) from exc


def check_colour(colour: str) -> str:
    """A #rrggbb colour, lower case, or ValueError."""
    if not _COLOUR_RE.fullmatch(colour.strip()):
        raise ValueError(f"'{colour}' is not a colour like #1f77b4.")
    return colour.strip().lower()


def _entry(row: Any) -> DeviceEntry:
    try:
        role = Role(row["role"])
    except ValueError:
        role = Role.OTHER
    return DeviceEntry(
        device_id=row["device_id"],
        role=role,
        node=row["node"],
        name=row["name"],
        role_confirmed=bool(row["role_confirmed"]),
        position=row["position"],
        timezone=row["timezone"],
        ignored=bool(row["ignored"]),
        colour=row["colour"],
    )


class DeviceRegistry:
    """The registry table with an in-memory copy; lookups never touch the database.

    `load`, `save_new` and `update` do I/O: call them off the GUI thread. `observe`,
    `entry`, `is_pile_probe` and `colours` read memory and are safe from any thread.
    """

    def __init__(self, engine: Engine | None = None) -> None:
        self.engine = engine
        self._entries: dict[str, DeviceEntry] = {}
        self._unsaved: dict[str, DeviceEntry] = {}
        self._lock = threading.Lock()
        self.version = 0  # bumped on every change, so views know to refresh

    # -- memory --

    @property
    def entries(self) -> dict[str, DeviceEntry]:
        """Every known device, saved or not yet."""
        with self._lock:
            return {**self._entries, **self._unsaved}

    def entry(self, device_id: str) -> DeviceEntry | None:
        return self._unsaved.get(device_id) or self._entries.get(device_id)

    def is_pile_probe(self, device_id: str) -> bool:
        """Whether this device counts for the pile (pathogen tracker, lowest probe, alarms)."""
        found = self.entry(device_id)
        if found is None:
            # Not seen yet: counts as it always did, unless its name says otherwise.
            return guess_role(device_id, fmt="farm") is Role.PILE_PROBE
        return found.counts_as_pile

    def is_ignored(self, device_id: str) -> bool:
        found = self.entry(device_id)
        return found is not None and found.ignored

    def label(self, device_id: str) -> str:
        found = self.entry(device_id)
        return found.label if found is not None else device_id

    def observe(self, device_id: str, quantity: str | None = None, fmt: str | None = None) -> bool:
        """Note a device seen on the broker; True when it is new (then `save_new` it)."""
        if device_id in self._entries or device_id in self._unsaved:
            return False
        entry = DeviceEntry(
            device_id=device_id, role=guess_role(device_id, quantity, fmt), node=node_of(device_id)
        )
        with self._lock:
            self._unsaved[device_id] = entry
            self.version += 1
        return True

    @property
    def has_unsaved(self) -> bool:
        return bool(self._unsaved)

    def colours(
        self, palette: Sequence[str], device_ids: Iterable[str] | None = None
    ) -> dict[str, str]:
        """A colour per device: the pinned one, else the first of `palette` not taken (more
        devices than colours wrap around)."""
        entries = self.entries
        ids = sorted(entries if device_ids is None else set(device_ids) | set(entries))
        out: dict[str, str] = {}
        for device_id in ids:
            found = entries.get(device_id)
            if found is not None and found.colour:
                out[device_id] = found.colour
        taken = set(out.values())
        free = [c for c in palette if c not in taken] or list(palette)
        i = 0
        for device_id in ids:
            if device_id not in out:
                out[device_id] = free[i % len(free)]
                i += 1
        return out

    def timezones(self) -> dict[str, tzinfo]:
        """Per-device clock zones for the parser; a bad name is logged and skipped."""
        zones: dict[str, tzinfo] = {}
        for device_id, found in self.entries.items():
            if found.timezone:
                try:
                    zones[device_id] = check_timezone(found.timezone)
                except ValueError as exc:
                    log.warning("Device %s: %s", device_id, exc)
        return zones

    # -- database --

    def load(self) -> dict[str, DeviceEntry]:
        """Read the table (another PC or the recorder may have changed it)."""
        if self.engine is None:
            return self.entries
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(SensorDevice.__table__)).mappings().all()
        loaded = {row["device_id"]: _entry(row) for row in rows}
        with self._lock:
            self._entries = loaded
            for device_id in list(self._unsaved):
                if device_id in loaded:
                    del self._unsaved[device_id]
            self.version += 1
        return self.entries

    def save_new(self) -> int:
        """Write the devices seen but not yet stored; one already there is left as it is."""
        if self.engine is None or not self._unsaved:
            return 0
        with self._lock:
            pending = list(self._unsaved.values())
        table: Any = SensorDevice.__table__
        rows = [
            {
                "uuid": device_uuid(e.device_id),
                "device_id": e.device_id,
                "node": e.node,
                "role": e.role.value,
                "role_confirmed": False,
                "ignored": False,
                "updated_at": utcnow(),
            }
            for e in pending
        ]
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            stmt: Any = postgresql.insert(table).on_conflict_do_nothing()
        else:
            stmt = sqlite.insert(table).on_conflict_do_nothing()
        with self.engine.begin() as conn:
            conn.execute(stmt, rows)
        self.load()
        return len(rows)

    def update(self, device_id: str, **changes: Any) -> DeviceEntry:
        """Change a device's name, role, position, time zone, ignored flag or colour.

        Values are checked first (ValueError says what is wrong); setting the role confirms it.
        """
        allowed = {"name", "role", "position", "timezone", "ignored", "colour"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"Unknown device fields: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for key, value in changes.items():
            if key in ("name", "position", "timezone", "colour"):
                value = (value or "").strip() or None
                if key == "timezone" and value is not None:
                    check_timezone(value)
                if key == "colour" and value is not None:
                    value = check_colour(value)
                if value is not None and len(value) > (64 if key == "timezone" else 120):
                    raise ValueError(f"The {key} is too long.")
            elif key == "role":
                value = Role(value).value
                values["role_confirmed"] = True
            elif key == "ignored":
                value = bool(value)
            values[key] = value
        if self.engine is None:
            current = self.entry(device_id) or DeviceEntry(device_id, guess_role(device_id))
            fields: dict[str, Any] = {k: Role(v) if k == "role" else v for k, v in values.items()}
            updated = replace(current, **fields)
            with self._lock:
                self._entries[device_id] = updated
                self._unsaved.pop(device_id, None)
                self.version += 1
            return updated
        if device_id in self._unsaved:
            self.save_new()
        table: Any = SensorDevice.__table__
        with self.engine.begin() as conn:
            done = conn.execute(
                sa.update(table)
                .where(table.c.device_id == device_id)
                .values(**values, updated_at=utcnow())
            )
            if done.rowcount == 0:
                raise LookupError(f"Device {device_id} is not in the registry.")
        self.load()
        found = self.entry(device_id)
        assert found is not None
        return found


def partition_by_role(
    registry: DeviceRegistry, device_ids: Iterable[str]
) -> tuple[list[str], list[str]]:
    """(pile probes, everything else), for showing ambient sensors apart."""
    pile: list[str] = []
    rest: list[str] = []
    for device_id in device_ids:
        (pile if registry.is_pile_probe(device_id) else rest).append(device_id)
    return pile, rest


class RegistryFollower:
    """The headless recorder's side of the registry: register what it sees, follow edits.

    Runs on its own thread so the recording loop never waits on it: new devices are written
    every `save_every_s`; the table is re-read every `reload_every_s` (the office PCs edit it)
    and the devices' clock zones are handed to the parser. A database that is away only
    delays both.
    """

    def __init__(
        self,
        engine: Engine,
        parser: MessageParser,
        save_every_s: float = 5.0,
        reload_every_s: float = 60.0,
    ) -> None:
        self.registry = DeviceRegistry(engine)
        self.parser = parser
        self.save_every_s = save_every_s
        self.reload_every_s = reload_every_s
        # The first save waits a while: at start-up the writer has the backlog to write.
        self._saved_at = time.monotonic()
        self._loaded_at = -reload_every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="device-registry", daemon=True)
            self._thread.start()

    def stop(self, *, save: bool = True) -> None:
        """Write what was seen, then stop; `save=False` when the database is not answering,
        so a hung server cannot hold a shutdown (new devices are noted again next time)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10 if save else 1)
            self._thread = None
        if save:
            self._saved_at = -self.save_every_s
            self.tick()

    def seen(self, readings: Iterable[Reading]) -> None:
        """Note devices (memory only; the thread writes them)."""
        known = self.registry._entries
        for r in readings:
            if r.device_id not in known:
                self.registry.observe(r.device_id, r.quantity, self.parser.format_of(r.topic))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(1.0)

    def tick(self) -> None:
        now = time.monotonic()
        try:
            if now - self._loaded_at >= self.reload_every_s:
                self._loaded_at = now
                self.registry.load()
                self.parser.set_device_timezones(self.registry.timezones())
            if self.registry.has_unsaved and now - self._saved_at >= self.save_every_s:
                self._saved_at = now
                count = self.registry.save_new()
                log.info("Registered %d new device(s)", count)
        except SQLAlchemyError as exc:
            log.warning("Device registry unavailable: %s", str(exc).splitlines()[0])
