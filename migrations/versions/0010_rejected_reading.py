"""Quarantine for readings the database refused for their content.

A reading the database refuses (a value too long for its column, a byte PostgreSQL text
cannot hold) used to be put back and retried forever, blocking every later reading. The
writer now splits such a batch, stores the good rows and keeps each refused one here with
the reason and its raw values (control characters escaped), so nothing is silently lost and
recording goes on. Local to the database the writer records into; not synced.

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rejected_reading",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("device_id", sa.Text, nullable=False),
        sa.Column("quantity", sa.Text, nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("measured_at", sa.DateTime(timezone=True)),
        sa.Column("received_at", sa.DateTime(timezone=True)),
        sa.Column("topic", sa.Text),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rejected_reading"),
    )
    op.create_index("ix_rejected_reading_rejected_at", "rejected_reading", ["rejected_at"])


def downgrade() -> None:
    op.drop_index("ix_rejected_reading_rejected_at", table_name="rejected_reading")
    op.drop_table("rejected_reading")
