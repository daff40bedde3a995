"""Readings travel both ways: a server-side reading sequence, tombstones, a local send mark.

On PostgreSQL every reading carries ``sync_seq`` from its own sequence (a new row gets the
next number by default, an edited one by a trigger); deleted readings leave a numbered
tombstone. A statement trigger takes an advisory lock first, so numbers follow commit order
and a PC that pulled up to N never misses a reading numbered below N committed later. Rows
already on the server are numbered by the column's default when it is added.

In a local SQLite store ``sync_seq`` NULL means "not on the server yet": the push sends
those (a partial index finds them), and an edit of a sent reading clears it again. Deleting
a sent reading leaves a row in ``reading_delete_outbox`` for the push. ``sync_rejected``
keeps what the server refused for its content, with the reason, so one bad row never
stops a PC's sync. Readings sent before this upgrade are marked from the old id watermark.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

LOCK_KEY = 7012026  # readings' own commit-order lock; 7012025 is the rows' (0003)
GUARD = "(SELECT value FROM sync_state WHERE key = 'applying') IS NULL"


def upgrade() -> None:
    op.create_table(
        "sync_rejected",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("row_key", sa.Text, nullable=False),
        sa.Column("payload", sa.Text),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_rejected"),
    )
    # Both tables exist on both sides (one schema); each side uses its own.
    op.create_table(
        "reading_delete_outbox",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("device_id", sa.String(120), nullable=False),
        sa.Column("quantity", sa.String(60), nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("base_seq", sa.BigInteger),
        sa.PrimaryKeyConstraint("id", name="pk_reading_delete_outbox"),
    )
    op.create_table(
        "reading_tombstone",
        sa.Column("seq", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("device_id", sa.String(120), nullable=False),
        sa.Column("quantity", sa.String(60), nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("origin", sa.String(64)),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_reading_tombstone"),
    )
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_server()
    else:
        _upgrade_local()


def _upgrade_server() -> None:
    op.execute("CREATE SEQUENCE reading_sync_seq")
    # A volatile default fills every existing row with its own number as the column is added.
    op.execute(
        "ALTER TABLE sensor_reading ADD COLUMN sync_seq BIGINT DEFAULT nextval('reading_sync_seq')"
    )
    op.execute("CREATE INDEX ix_sensor_reading_sync_seq ON sensor_reading (sync_seq)")
    op.execute(
        "ALTER TABLE reading_tombstone ALTER COLUMN seq SET DEFAULT nextval('reading_sync_seq')"
    )
    op.execute("ALTER TABLE reading_tombstone ALTER COLUMN deleted_at SET DEFAULT now()")
    op.execute(
        f"""
        CREATE FUNCTION compost_reading_lock() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_advisory_xact_lock({LOCK_KEY}); RETURN NULL; END $$;
        CREATE FUNCTION compost_reading_renumber() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF (NEW.batch_id, NEW.value, NEW.notes, NEW.source, NEW.device_id, NEW.quantity,
                NEW.measured_at)
               IS DISTINCT FROM (OLD.batch_id, OLD.value, OLD.notes, OLD.source, OLD.device_id,
                OLD.quantity, OLD.measured_at) THEN
                NEW.sync_seq := nextval('reading_sync_seq');
            END IF;
            RETURN NEW;
        END $$;
        CREATE FUNCTION compost_reading_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO reading_tombstone (device_id, quantity, measured_at, origin)
            SELECT device_id, quantity, measured_at, current_setting('compost.origin', true)
            FROM old_rows ORDER BY measured_at;
            RETURN NULL;
        END $$;
        CREATE TRIGGER reading_sync_lock BEFORE INSERT OR UPDATE OR DELETE ON sensor_reading
            FOR EACH STATEMENT EXECUTE FUNCTION compost_reading_lock();
        CREATE TRIGGER reading_sync_renumber BEFORE UPDATE ON sensor_reading
            FOR EACH ROW EXECUTE FUNCTION compost_reading_renumber();
        CREATE TRIGGER reading_sync_tombstone AFTER DELETE ON sensor_reading
            REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION compost_reading_tombstone();
        """
    )


def _upgrade_local() -> None:
    op.add_column("sensor_reading", sa.Column("sync_seq", sa.BigInteger))
    # Readings the old id-watermark push already sent are on the server.
    op.execute(
        "UPDATE sensor_reading SET sync_seq = 0 WHERE id <= COALESCE("
        "(SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = 'readings_pushed_id'), 0)"
    )
    op.execute("DELETE FROM sync_state WHERE key = 'readings_pushed_id'")
    # Only the readings still to send: the pulled million stay out of this index.
    op.execute(
        "CREATE INDEX ix_sensor_reading_sync_seq ON sensor_reading (sync_seq) "
        "WHERE sync_seq IS NULL"
    )
    op.execute(
        "CREATE TRIGGER sync_sensor_reading_delete AFTER DELETE ON sensor_reading "
        f"WHEN OLD.sync_seq >= 0 AND {GUARD} BEGIN "
        "INSERT INTO reading_delete_outbox (device_id, quantity, measured_at, base_seq) "
        "VALUES (OLD.device_id, OLD.quantity, OLD.measured_at, OLD.sync_seq); END"
    )
    # An edit of a reading the server has sends it again (the server keeps the newer values).
    op.execute(
        "CREATE TRIGGER sync_sensor_reading_update AFTER UPDATE OF batch_id, value, notes "
        f"ON sensor_reading WHEN OLD.sync_seq >= 0 AND {GUARD} BEGIN "
        "UPDATE sensor_reading SET sync_seq = NULL WHERE id = NEW.id; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for trigger in ("reading_sync_lock", "reading_sync_renumber", "reading_sync_tombstone"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON sensor_reading")
        for function in ("lock", "renumber", "tombstone"):
            op.execute(f"DROP FUNCTION IF EXISTS compost_reading_{function}()")
    else:
        for trigger in ("sync_sensor_reading_delete", "sync_sensor_reading_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP INDEX ix_sensor_reading_sync_seq")
    op.drop_column("sensor_reading", "sync_seq")
    for table in ("reading_tombstone", "reading_delete_outbox", "sync_rejected"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE reading_sync_seq")
