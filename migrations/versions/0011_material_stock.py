"""Stock on hand: how much of each library material is in the yard, and when it was counted.

The available amount is the count less every delivery logged since (planned cycles' inputs
included), worked out when read, so two PCs logging deliveries never fight over a counter.
Both columns travel with the material row in sync payloads like any other column.

Revision ID: 0011
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("compost_materials", sa.Column("stock_kg", sa.Numeric(12, 3, asdecimal=False)))
    op.add_column("compost_materials", sa.Column("stock_counted_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("compost_materials", "stock_counted_at")
    op.drop_column("compost_materials", "stock_kg")
