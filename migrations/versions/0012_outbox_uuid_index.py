"""An index on the outbox's uuid: acknowledging a pushed row deletes its outbox entries by uuid.

Without it every acknowledged row scanned the whole outbox, so pushing 10,000 offline changes
(19,000 outbox entries) spent half a second in those deletes alone, growing with the square of
the backlog.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_sync_outbox_uuid", "sync_outbox", ["uuid", "id"])


def downgrade() -> None:
    op.drop_index("ix_sync_outbox_uuid", table_name="sync_outbox")
