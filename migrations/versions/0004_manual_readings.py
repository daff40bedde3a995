"""Hand-probe readings: a notes column on sensor readings.

Operators walk the pile with a hand probe; those readings are stored as ordinary sensor
readings (``source = 'manual'``, one series per probe position) so charts, the pathogen
tracker and exports see them, and the operator's remark about the spot goes in ``notes``.
Existing readings keep every value; their notes are NULL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sensor_reading", sa.Column("notes", sa.Text))


def downgrade() -> None:
    # SQLite ≥ 3.35 drops a column in place, so the readings table is not rebuilt.
    op.drop_column("sensor_reading", "notes")
