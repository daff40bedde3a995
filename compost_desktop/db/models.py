"""ORM models over the farm's tables; column names follow the old server system's schema."""

from __future__ import annotations

import uuid as uuid_module
from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from compost_desktop.db.types import Amount, DateOnly, UtcDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

STATUSES = ("planning", "active", "completed", "archived")
KINDS = ("green", "brown")


def new_uuid() -> str:
    return str(uuid_module.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Material(Base):
    """An entry of the materials library."""

    __tablename__ = "compost_materials"
    __table_args__ = (
        CheckConstraint(_in("material_type", KINDS), name="kind"),
        CheckConstraint("carbon_nitrogen_ratio > 0", name="cn_positive"),
        CheckConstraint("nitrogen_pct IS NULL OR nitrogen_pct > 0", name="n_positive"),
        CheckConstraint(
            "moisture_pct IS NULL OR (moisture_pct >= 0 AND moisture_pct < 100)",
            name="moisture_range",
        ),
        CheckConstraint(
            "density_kg_per_liter IS NULL OR density_kg_per_liter > 0", name="density_positive"
        ),
        Index("idx_compost_materials_type", "material_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    sync_seq: Mapped[int | None] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column("material_type", String(50))
    cn_ratio: Mapped[float] = mapped_column("carbon_nitrogen_ratio", Amount(8, 2))
    density_kg_per_l: Mapped[float | None] = mapped_column("density_kg_per_liter", Amount(6, 3))
    description: Mapped[str | None] = mapped_column(Text)
    nitrogen_pct: Mapped[float | None] = mapped_column(Amount(6, 3))
    moisture_pct: Mapped[float | None] = mapped_column(Amount(5, 2))
    source: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime(), default=utcnow, onupdate=utcnow
    )
    # Stock on hand as counted, and when; deliveries logged since draw it down (0011).
    stock_kg: Mapped[float | None] = mapped_column(Amount())
    stock_counted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Cycle(Base):
    """One compost batch; the table keeps the old system's name."""

    __tablename__ = "compost_batch"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(
            "projected_end_date IS NULL OR start_date IS NULL OR projected_end_date >= start_date",
            name="end_after_start",
        ),
        # The sensors sit in one pile: the database itself refuses a second active cycle.
        Index(
            "uq_compost_batch_one_active",
            "status",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("idx_compost_batch_status", "status"),
        Index("ix_compost_batch_activated_at", "activated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    sync_seq: Mapped[int | None] = mapped_column(BigInteger)
    name: Mapped[str | None] = mapped_column(String(120))
    start_date: Mapped[date | None] = mapped_column(DateOnly())
    projected_end_date: Mapped[date | None] = mapped_column(DateOnly())
    status: Mapped[str] = mapped_column(String(20), default="planning")
    green_waste_kg: Mapped[float | None] = mapped_column(Amount())
    brown_waste_kg: Mapped[float | None] = mapped_column(Amount())
    total_volume_liters: Mapped[float | None] = mapped_column(Amount(12, 2))
    cn_ratio: Mapped[float | None] = mapped_column(Amount(8, 2))
    initial_volume_liters: Mapped[float | None] = mapped_column(Amount(12, 2))
    current_volume_liters: Mapped[float | None] = mapped_column(Amount(12, 2))
    capacity_liters: Mapped[float | None] = mapped_column(Amount(12, 2))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime(), default=utcnow, onupdate=utcnow
    )
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    inputs: Mapped[list[Input]] = relationship(
        back_populates="cycle",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Input.added_at",
    )
    turnings: Mapped[list[Turning]] = relationship(
        back_populates="cycle",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Turning.turned_at",
    )

    @property
    def display_name(self) -> str:
        return self.name or f"Cycle #{self.id}"


class Input(Base):
    """A delivery of material into a cycle; mass is always kept, volume when it was measured."""

    __tablename__ = "cycle_waste_input"
    __table_args__ = (
        CheckConstraint(_in("material_type", KINDS), name="kind"),
        CheckConstraint("amount_kg >= 0", name="amount_not_negative"),
        Index("idx_cycle_waste_input_batch_id", "batch_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    sync_seq: Mapped[int | None] = mapped_column(BigInteger)
    cycle_id: Mapped[int | None] = mapped_column(
        "batch_id", ForeignKey("compost_batch.id", ondelete="CASCADE")
    )
    material_id: Mapped[int | None] = mapped_column(
        ForeignKey("compost_materials.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column("material_type", String(50))
    material_name: Mapped[str | None] = mapped_column(String(100))
    mass_kg: Mapped[float] = mapped_column("amount_kg", Amount())
    volume_l: Mapped[float | None] = mapped_column("volume_liters", Amount(12, 2))
    # Per-delivery values (a lab result beats the library); legacy rows carry only C:N.
    cn_override: Mapped[float | None] = mapped_column("carbon_nitrogen_ratio", Amount(8, 2))
    nitrogen_pct_override: Mapped[float | None] = mapped_column(Amount(6, 3))
    moisture_pct_override: Mapped[float | None] = mapped_column(Amount(5, 2))
    # The columns above hold the values the delivery was mixed with (revision 0007);
    # value_overrides names those typed for it ("cn,n,moisture"), "" none, NULL not stored.
    density_kg_per_l: Mapped[float | None] = mapped_column("density_kg_per_liter", Amount(6, 3))
    value_overrides: Mapped[str | None] = mapped_column(String(40))
    added_at: Mapped[datetime | None] = mapped_column("timestamp", UtcDateTime(), default=utcnow)
    notes: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime(), default=utcnow, onupdate=utcnow
    )

    cycle: Mapped[Cycle | None] = relationship(back_populates="inputs")
    material: Mapped[Material | None] = relationship()


class Turning(Base):
    """A turning of the pile; pathogen-reduction rules count these."""

    __tablename__ = "cycle_turning"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    sync_seq: Mapped[int | None] = mapped_column(BigInteger)
    cycle_id: Mapped[int] = mapped_column(
        "batch_id", ForeignKey("compost_batch.id", ondelete="CASCADE"), index=True
    )
    turned_at: Mapped[datetime] = mapped_column(UtcDateTime())
    operator: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=utcnow)

    cycle: Mapped[Cycle] = relationship(back_populates="turnings")


class SensorReading(Base):
    """One measurement; device + quantity + measured time identify it across PCs."""

    __tablename__ = "sensor_reading"
    __table_args__ = (
        UniqueConstraint("device_id", "quantity", "measured_at", name="uq_sensor_reading_identity"),
        Index("ix_sensor_reading_batch_time", "batch_id", "measured_at"),
        # The server numbers every reading; a PC indexes only the ones not sent yet.
        Index("ix_sensor_reading_sync_seq", "sync_seq", sqlite_where=text("sync_seq IS NULL")),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    cycle_id: Mapped[int | None] = mapped_column(
        "batch_id", ForeignKey("compost_batch.id", ondelete="SET NULL")
    )
    device_id: Mapped[str] = mapped_column(String(120))
    quantity: Mapped[str] = mapped_column(String(60))
    value: Mapped[float] = mapped_column(Float)
    measured_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    source: Mapped[str] = mapped_column(String(20), server_default="mqtt")
    notes: Mapped[str | None] = mapped_column(Text)  # what the operator noted at a hand reading
    # Server: its change number. PC: the server's number once sent/received; NULL = not sent.
    sync_seq: Mapped[int | None] = mapped_column(BigInteger)


class RejectedReading(Base):
    """A reading the database refused for its content, kept with why (never retried)."""

    __tablename__ = "rejected_reading"
    __table_args__ = (Index("ix_rejected_reading_rejected_at", "rejected_at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    device_id: Mapped[str] = mapped_column(Text)  # control characters escaped
    quantity: Mapped[str] = mapped_column(Text)
    value: Mapped[float | None] = mapped_column(Float)
    measured_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    topic: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)
    rejected_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AlarmRecord(Base):
    """An alarm raised while monitoring, kept with its clearing and acknowledgement."""

    __tablename__ = "alarm_event"
    __table_args__ = (Index("ix_alarm_event_raised_at", "raised_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    sync_seq: Mapped[int | None] = mapped_column(BigInteger)
    cycle_id: Mapped[int | None] = mapped_column(
        "batch_id", ForeignKey("compost_batch.id", ondelete="SET NULL")
    )
    device_id: Mapped[str] = mapped_column(String(120))
    quantity: Mapped[str | None] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    value: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime())
    cleared_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))


DEVICE_ROLES = ("pile_probe", "ambient", "other")


class SensorDevice(Base):
    """A device or probe ever seen on the broker: its name, role, place, clock and colour.

    Farm-wide and synced, so every PC and the headless recorder agree which sensors are pile
    probes. The uuid is derived from the device id, so two PCs that discover the same probe
    create the same row rather than two that collide.
    """

    __tablename__ = "sensor_device"
    __table_args__ = (CheckConstraint(_in("role", DEVICE_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    sync_seq: Mapped[int | None] = mapped_column(BigInteger)
    device_id: Mapped[str] = mapped_column(String(120), unique=True)
    node: Mapped[str | None] = mapped_column(String(120))
    name: Mapped[str | None] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20), default="other")
    role_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[str | None] = mapped_column(String(120))
    timezone: Mapped[str | None] = mapped_column(String(64))
    ignored: Mapped[bool] = mapped_column(Boolean, default=False)
    colour: Mapped[str | None] = mapped_column(String(9))  # None: an automatic colour
    updated_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime(), default=utcnow, onupdate=utcnow
    )


class SyncLog(Base):
    """The server's change sequence: one row per accepted version of a synced row."""

    __tablename__ = "sync_log"
    __table_args__ = (Index("ix_sync_log_uuid", "uuid", "seq"),)

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    entity: Mapped[str] = mapped_column(String(40))
    uuid: Mapped[str] = mapped_column(String(36))
    op: Mapped[str] = mapped_column(String(10))
    data: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str | None] = mapped_column(String(64))
    change_id: Mapped[str | None] = mapped_column(String(36))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SyncOutbox(Base):
    """Local changes not yet accepted by the server; written by triggers."""

    __tablename__ = "sync_outbox"
    __table_args__ = (Index("ix_sync_outbox_uuid", "uuid", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    change_id: Mapped[str] = mapped_column(String(36))
    entity: Mapped[str] = mapped_column(String(40))
    uuid: Mapped[str] = mapped_column(String(36))
    op: Mapped[str] = mapped_column(String(10))
    base_seq: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[str] = mapped_column(String(40))


class SyncState(Base):
    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)


class SyncConflict(Base):
    """A version the server did not keep, held for the user to choose."""

    __tablename__ = "sync_conflict"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(40))
    uuid: Mapped[str] = mapped_column(String(36))
    reason: Mapped[str] = mapped_column(Text)
    mine: Mapped[str | None] = mapped_column(Text)
    theirs: Mapped[str | None] = mapped_column(Text)
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolution: Mapped[str | None] = mapped_column(String(20))


class FarmSetting(Base):
    """One farm-wide setting (alarm thresholds, topics, time zone, units) as JSON, synced so
    every PC and the headless recorder use the same values.

    The uuid is derived from the key (`farm_config.setting_uuid`), so the same setting made
    on two PCs is one row on the server, not two.
    """

    __tablename__ = "farm_setting"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    sync_seq: Mapped[int | None] = mapped_column(BigInteger)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ReadingDeleteOutbox(Base):
    """A sent reading deleted on this PC, waiting to be deleted on the server; by trigger."""

    __tablename__ = "reading_delete_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(String(120))
    quantity: Mapped[str] = mapped_column(String(60))
    measured_at: Mapped[datetime] = mapped_column(UtcDateTime())
    base_seq: Mapped[int | None] = mapped_column(BigInteger)


class ReadingTombstone(Base):
    """On the server: a deleted reading, numbered in the readings' sequence so PCs follow."""

    __tablename__ = "reading_tombstone"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    device_id: Mapped[str] = mapped_column(String(120))
    quantity: Mapped[str] = mapped_column(String(60))
    measured_at: Mapped[datetime] = mapped_column(UtcDateTime())
    origin: Mapped[str | None] = mapped_column(String(64))
    deleted_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SyncRejected(Base):
    """What the server refused for its content, kept with the reason instead of retried."""

    __tablename__ = "sync_rejected"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(40))
    row_key: Mapped[str] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    rejected_at: Mapped[datetime] = mapped_column(UtcDateTime())
