"""Ten-minute rollups of each cycle's readings, kept by triggers, for fast history charts.

Reducing a million readings to chart buckets takes seconds on SQLite (a sort of every row);
reading 100,000 ready ten-minute summaries takes a tenth of that. Triggers keep the rollup
right whoever writes a reading: the recorder, a hand reading, sync or a restore. Each row
holds count, sum, min, max and the sum of the epoch seconds (for the mean time).

SQLite has row triggers only; a deleted reading is subtracted, and the slot's min and max
are re-read only when the deleted value was one of them. PostgreSQL uses statement
triggers with transition tables, so a batch of readings costs one aggregated upsert.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SLOT = 600  # seconds; keep equal to compost_desktop.db.rollup.SLOT_SECONDS
KEY = "batch_id, device_id, quantity, source, slot"

_SQLITE_SLOT = "(CAST(strftime('%s', {row}.measured_at) AS INTEGER) / 600) * 600"
_SQLITE_SECS = "CAST(strftime('%s', {row}.measured_at) AS INTEGER)"


def _sqlite_add(row: str) -> str:
    return f"""
    INSERT INTO reading_rollup (batch_id, device_id, quantity, source, slot, n, total, low, high,
                                t_total)
    SELECT {row}.batch_id, {row}.device_id, {row}.quantity, COALESCE({row}.source, 'mqtt'),
           {_SQLITE_SLOT.format(row=row)}, 1, {row}.value, {row}.value, {row}.value,
           {_SQLITE_SECS.format(row=row)}
    WHERE {row}.batch_id IS NOT NULL
    ON CONFLICT ({KEY}) DO UPDATE SET
        n = n + 1, total = total + excluded.total, low = min(low, excluded.low),
        high = max(high, excluded.high), t_total = t_total + excluded.t_total;
    """


def _sqlite_remove(row: str) -> str:
    match = f"""batch_id = {row}.batch_id AND device_id = {row}.device_id
        AND quantity = {row}.quantity AND source = COALESCE({row}.source, 'mqtt')
        AND slot = {_SQLITE_SLOT.format(row=row)}"""
    in_slot = f"""FROM sensor_reading s WHERE s.batch_id = {row}.batch_id
        AND s.device_id = {row}.device_id AND s.quantity = {row}.quantity
        AND COALESCE(s.source, 'mqtt') = COALESCE({row}.source, 'mqtt')
        AND s.measured_at >= datetime({_SQLITE_SLOT.format(row=row)}, 'unixepoch')
        AND s.measured_at < datetime({_SQLITE_SLOT.format(row=row)} + 600, 'unixepoch')"""
    return f"""
    UPDATE reading_rollup SET n = n - 1, total = total - {row}.value,
        t_total = t_total - {_SQLITE_SECS.format(row=row)}
    WHERE {match};
    DELETE FROM reading_rollup WHERE {match} AND n <= 0;
    UPDATE reading_rollup SET low = (SELECT min(s.value) {in_slot}),
        high = (SELECT max(s.value) {in_slot})
    WHERE {match} AND (low = {row}.value OR high = {row}.value);
    """


_PG_SLOT = "(floor(extract(epoch from {row}.measured_at) / 600) * 600)::bigint"
_PG_SECS = "extract(epoch from {row}.measured_at)::float8"


def _pg_add(table: str) -> str:
    return f"""
    INSERT INTO reading_rollup AS r ({KEY}, n, total, low, high, t_total)
    SELECT batch_id, device_id, quantity, COALESCE(source, 'mqtt'), {_PG_SLOT.format(row="x")},
           count(*), sum(value), min(value), max(value), sum({_PG_SECS.format(row="x")})
    FROM {table} x WHERE batch_id IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT ({KEY}) DO UPDATE SET
        n = r.n + excluded.n, total = r.total + excluded.total,
        low = least(r.low, excluded.low), high = greatest(r.high, excluded.high),
        t_total = r.t_total + excluded.t_total;
    """


def _pg_refresh(table: str) -> str:
    """Recompute every slot the changed rows touched, from the readings now in the table."""
    touched = f"""SELECT DISTINCT batch_id, device_id, quantity, COALESCE(source, 'mqtt') AS source,
               {_PG_SLOT.format(row="x")} AS slot
        FROM {table} x WHERE batch_id IS NOT NULL"""
    return f"""
    DELETE FROM reading_rollup r USING ({touched}) t
    WHERE r.batch_id = t.batch_id AND r.device_id = t.device_id
      AND r.quantity = t.quantity AND r.source = t.source AND r.slot = t.slot;
    INSERT INTO reading_rollup ({KEY}, n, total, low, high, t_total)
    SELECT s.batch_id, s.device_id, s.quantity, t.source, t.slot, count(*),
           sum(s.value), min(s.value), max(s.value), sum({_PG_SECS.format(row="s")})
    FROM ({touched}) t JOIN sensor_reading s
      ON s.batch_id = t.batch_id AND s.device_id = t.device_id AND s.quantity = t.quantity
     AND COALESCE(s.source, 'mqtt') = t.source
     AND s.measured_at >= to_timestamp(t.slot) AND s.measured_at < to_timestamp(t.slot + 600)
    GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT ({KEY}) DO NOTHING;
    """


def upgrade() -> None:
    op.create_table(
        "reading_rollup",
        sa.Column(
            "batch_id",
            sa.Integer,
            sa.ForeignKey("compost_batch.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("device_id", sa.String(120), nullable=False),
        sa.Column("quantity", sa.String(60), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("slot", sa.BigInteger, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("total", sa.Float, nullable=False),
        sa.Column("low", sa.Float, nullable=False),
        sa.Column("high", sa.Float, nullable=False),
        sa.Column("t_total", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint(
            "batch_id", "device_id", "quantity", "source", "slot", name="pk_reading_rollup"
        ),
    )
    if op.get_bind().dialect.name == "sqlite":
        _upgrade_sqlite()
    else:
        _upgrade_postgres()


def _upgrade_sqlite() -> None:
    op.execute(
        f"""
        INSERT INTO reading_rollup ({KEY}, n, total, low, high, t_total)
        SELECT batch_id, device_id, quantity, COALESCE(source, 'mqtt'),
               {_SQLITE_SLOT.format(row="sensor_reading")}, count(*), sum(value), min(value),
               max(value), sum({_SQLITE_SECS.format(row="sensor_reading")})
        FROM sensor_reading WHERE batch_id IS NOT NULL GROUP BY 1, 2, 3, 4, 5
        """
    )
    op.execute(
        "CREATE TRIGGER reading_rollup_insert AFTER INSERT ON sensor_reading "
        f"BEGIN {_sqlite_add('NEW')} END"
    )
    op.execute(
        "CREATE TRIGGER reading_rollup_delete AFTER DELETE ON sensor_reading "
        f"BEGIN {_sqlite_remove('OLD')} END"
    )
    op.execute(
        "CREATE TRIGGER reading_rollup_update AFTER UPDATE OF batch_id, device_id, quantity, "
        f"source, value, measured_at ON sensor_reading "
        f"BEGIN {_sqlite_remove('OLD')} {_sqlite_add('NEW')} END"
    )


def _upgrade_postgres() -> None:
    op.execute(_pg_add("sensor_reading"))
    op.execute(
        f"""
        CREATE FUNCTION compost_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {_pg_add("new_rows")} RETURN NULL; END $$;
        CREATE FUNCTION compost_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {_pg_refresh("old_rows")} RETURN NULL; END $$;
        CREATE FUNCTION compost_rollup_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {_pg_refresh("old_rows")} {_pg_refresh("new_rows")} RETURN NULL; END $$;
        CREATE TRIGGER reading_rollup_insert AFTER INSERT ON sensor_reading
            REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION compost_rollup_insert();
        CREATE TRIGGER reading_rollup_delete AFTER DELETE ON sensor_reading
            REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION compost_rollup_delete();
        CREATE TRIGGER reading_rollup_update AFTER UPDATE ON sensor_reading
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION compost_rollup_update();
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS reading_rollup_{event}")
    else:
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS reading_rollup_{event} ON sensor_reading")
            op.execute(f"DROP FUNCTION IF EXISTS compost_rollup_{event}()")
    op.drop_table("reading_rollup")
