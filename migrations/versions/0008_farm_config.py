"""Farm-wide settings: alarm thresholds, topic patterns, the farm's time zone and units.

Kept in the database (and synced like the other rows) so the headless recorder and every
office PC judge the same readings by the same thresholds, subscribe to the same topics and
read device clocks in the same time zone. One row per setting, its value as JSON.

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLE = "farm_setting"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("sync_seq", sa.BigInteger),
        sa.Column("key", sa.String(60), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_farm_setting"),
        sa.UniqueConstraint("uuid", name="uq_farm_setting_uuid"),
        sa.UniqueConstraint("key", name="uq_farm_setting_key"),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _outbox_triggers()
    elif dialect == "postgresql":
        # The change-numbering function comes from 0003; register this table with it.
        op.execute(
            f"CREATE TRIGGER sync_stamp BEFORE INSERT OR UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION compost_sync_stamp()"
        )


def _outbox_triggers() -> None:
    """As 0003 does for the other synced tables: every change goes to the outbox."""
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
    op.drop_table(TABLE)
