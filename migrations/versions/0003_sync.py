"""Offline-first sync: change sequence, outbox, conflicts.

Every synced row carries `sync_seq`, the server change sequence of the version it holds.
On the server, `sync_log` is that sequence (ordering comes from the server, never from PC
clocks) and remembers which client change produced each version, so a push retried after
a lost acknowledgement is recognised. In a local SQLite store, triggers put every insert,
update and delete into `sync_outbox` in the same transaction as the change itself, so
nothing saved can be lost between saving and syncing, whichever code path wrote it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SYNCED = ("compost_materials", "compost_batch", "cycle_waste_input", "cycle_turning", "alarm_event")


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    for table in SYNCED:
        op.add_column(table, sa.Column("sync_seq", sa.BigInteger))
    op.create_table(
        "sync_log",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("op", sa.String(10), nullable=False),
        sa.Column("data", sa.Text),
        sa.Column("origin", sa.String(64)),
        sa.Column("change_id", sa.String(36)),
        sa.Column("changed_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_sync_log"),
    )
    op.create_index("ix_sync_log_uuid", "sync_log", ["uuid", "seq"])
    op.create_table(
        "sync_outbox",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("change_id", sa.String(36), nullable=False),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("op", sa.String(10), nullable=False),
        sa.Column("base_seq", sa.BigInteger),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_outbox"),
    )
    op.create_table(
        "sync_state",
        sa.Column("key", sa.String(60), nullable=False),
        sa.Column("value", sa.Text),
        sa.PrimaryKeyConstraint("key", name="pk_sync_state"),
    )
    op.create_table(
        "sync_conflict",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("mine", sa.Text),
        sa.Column("theirs", sa.Text),
        sa.Column("detected_at", _ts(), nullable=False),
        sa.Column("resolved_at", _ts()),
        sa.Column("resolution", sa.String(20)),
        sa.PrimaryKeyConstraint("id", name="pk_sync_conflict"),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in SYNCED:
            _outbox_triggers(table)
    elif dialect == "postgresql":
        _server_triggers()


def _server_triggers() -> None:
    """Every write to a synced table on the server gets the next change number.

    Done in the database so that writes from anywhere (sync pushes, the old server system,
    scripts) reach the other PCs; the advisory lock makes numbers follow commit order, so a
    PC that pulled up to N never misses a change numbered below N committed later.
    """
    op.execute(
        """
        CREATE FUNCTION compost_sync_stamp() RETURNS trigger AS $$
        DECLARE
            next_seq BIGINT;
        BEGIN
            PERFORM pg_advisory_xact_lock(7012025);
            IF TG_OP = 'DELETE' THEN
                INSERT INTO sync_log (entity, uuid, op, origin, changed_at)
                VALUES (TG_TABLE_NAME, OLD.uuid, 'delete',
                        current_setting('compost.origin', true), now());
                RETURN OLD;
            END IF;
            INSERT INTO sync_log (entity, uuid, op, origin, change_id, changed_at)
            VALUES (TG_TABLE_NAME, NEW.uuid, 'upsert', current_setting('compost.origin', true),
                    current_setting('compost.change_id', true), now())
            RETURNING seq INTO next_seq;
            NEW.sync_seq := next_seq;
            RETURN NEW;
        END
        $$ LANGUAGE plpgsql
        """
    )
    for table in SYNCED:
        # Rows inserted by the old server system carry no uuid: give them one.
        op.execute(f"ALTER TABLE {table} ALTER COLUMN uuid SET DEFAULT gen_random_uuid()::text")
        op.execute(
            f"CREATE TRIGGER sync_stamp BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION compost_sync_stamp()"
        )


def _outbox_triggers(table: str) -> None:
    # Changes applied by the sync engine itself set sync_state 'applying' and are skipped.
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
            f"CREATE TRIGGER sync_{table}_{event.lower()} AFTER {event} ON {table} "
            f"WHEN {guard} BEGIN "
            f"INSERT INTO sync_outbox (change_id, entity, uuid, op, base_seq, created_at) VALUES "
            f"({change_id}, '{table}', {ref}.uuid, '{kind}', {base}, "
            "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')); "
            "END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in SYNCED:
            op.execute(f"DROP TRIGGER IF EXISTS sync_stamp ON {table}")
        op.execute("DROP FUNCTION IF EXISTS compost_sync_stamp()")
    if op.get_bind().dialect.name == "sqlite":
        for table in SYNCED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS sync_{table}_{event}")
    for name in ("sync_conflict", "sync_state", "sync_outbox", "sync_log"):
        op.drop_table(name)
    for table in SYNCED:
        op.drop_column(table, "sync_seq")
