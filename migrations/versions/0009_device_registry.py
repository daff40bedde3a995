"""The farm-wide device registry: every device and probe seen, with its role and clock.

Synced like the other records (uuid, sync_seq, outbox triggers on SQLite, the change-number
trigger on PostgreSQL), so the recorder and every PC agree which sensors are pile probes.
Existing readings are untouched; a device without a row counts as before until it is seen.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLE = "sensor_device"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("sync_seq", sa.BigInteger),
        sa.Column("device_id", sa.String(120), nullable=False),
        sa.Column("node", sa.String(120)),
        sa.Column("name", sa.String(120)),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("role_confirmed", sa.Boolean, nullable=False),
        sa.Column("position", sa.String(120)),
        sa.Column("timezone", sa.String(64)),
        sa.Column("ignored", sa.Boolean, nullable=False),
        sa.Column("colour", sa.String(9)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(
            "role IN ('pile_probe', 'ambient', 'other')", name="ck_sensor_device_role"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sensor_device"),
        sa.UniqueConstraint("uuid", name="uq_sensor_device_uuid"),
        sa.UniqueConstraint("device_id", name="uq_sensor_device_device_id"),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _outbox_triggers()
    elif dialect == "postgresql":
        # compost_sync_stamp() is the change-number function of 0003.
        op.execute(f"ALTER TABLE {TABLE} ALTER COLUMN uuid SET DEFAULT gen_random_uuid()::text")
        op.execute(
            f"CREATE TRIGGER sync_stamp BEFORE INSERT OR UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION compost_sync_stamp()"
        )


def _outbox_triggers() -> None:
    """The same outbox triggers as 0003 gives the other synced tables."""
    guard = "(SELECT value FROM sync_state WHERE key = 'applying') IS NULL"
    change_id = (
        "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(2)) "
        "|| '-' || hex(randomblob(2)) || '-' || hex(randomblob(6)))"
    )
    for event, ref, kind, base in (
        ("INSERT", "NEW", "upsert", "NULL"),
        ("UPDATE", "NEW", "upsert", "OLD.sync_seq"),
        ("DELETE", "OLD", "delete", "OLD.sync_seq"),
    ):
        op.execute(
            f"CREATE TRIGGER sync_{TABLE}_{event.lower()} AFTER {event} ON {TABLE} "
            f"WHEN {guard} BEGIN "
            f"INSERT INTO sync_outbox (change_id, entity, uuid, op, base_seq, created_at) VALUES "
            f"({change_id}, '{TABLE}', {ref}.uuid, '{kind}', {base}, "
            "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')); "
            "END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS sync_stamp ON {TABLE}")
    if op.get_bind().dialect.name == "sqlite":
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS sync_{TABLE}_{event}")
    op.drop_table(TABLE)
