"""Sensor readings recorded against cycles, and the alarm log.

A reading is identified by device, quantity and measurement time, so several PCs recording
the same broker store it once (the unique constraint plus INSERT … ON CONFLICT DO NOTHING).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sensor_reading",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "batch_id",
            sa.Integer,
            sa.ForeignKey(
                "compost_batch.id",
                ondelete="SET NULL",
                name="fk_sensor_reading_batch_id_compost_batch",
            ),
        ),
        sa.Column("device_id", sa.String(120), nullable=False),
        sa.Column("quantity", sa.String(60), nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("measured_at", _ts(), nullable=False),
        sa.Column("received_at", _ts(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False, server_default="mqtt"),
        sa.PrimaryKeyConstraint("id", name="pk_sensor_reading"),
        sa.UniqueConstraint(
            "device_id", "quantity", "measured_at", name="uq_sensor_reading_identity"
        ),
    )
    op.create_index("ix_sensor_reading_batch_time", "sensor_reading", ["batch_id", "measured_at"])
    op.create_table(
        "alarm_event",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column(
            "batch_id",
            sa.Integer,
            sa.ForeignKey(
                "compost_batch.id",
                ondelete="SET NULL",
                name="fk_alarm_event_batch_id_compost_batch",
            ),
        ),
        sa.Column("device_id", sa.String(120), nullable=False),
        sa.Column("quantity", sa.String(60)),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("threshold", sa.Float),
        sa.Column("raised_at", _ts(), nullable=False),
        sa.Column("cleared_at", _ts()),
        sa.Column("acknowledged_at", _ts()),
        sa.Column("acknowledged_by", sa.String(100)),
        sa.PrimaryKeyConstraint("id", name="pk_alarm_event"),
        sa.UniqueConstraint("uuid", name="uq_alarm_event_uuid"),
    )
    op.create_index("ix_alarm_event_raised_at", "alarm_event", ["raised_at"])


def downgrade() -> None:
    op.drop_table("alarm_event")
    op.drop_table("sensor_reading")
