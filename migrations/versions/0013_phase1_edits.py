"""The old listener's history stays a mirror: an edit or a delete in ``sensor_data`` reaches
its copies in ``sensor_reading`` too.

Revision 0007 copies every ``sensor_data`` row into ``sensor_reading`` (``source = 'phase1'``)
when it is inserted. A correction made afterwards in the old system (a wrong value fixed, a
faulty node's rows deleted by plain SQL) left the copies as they were, so this app's history,
report and exports disagreed with the old system's table. Now:

* an UPDATE deletes the copies the old row gave and the new row no longer gives, and writes the
  new row's values over its copies;
* a DELETE deletes the copies, unless another ``sensor_data`` row still gives the same reading
  (same device and time): duplicates in the old table keep their one copy.

Only copies (``source = 'phase1'``) are touched: a reading this app recorded at the same
device and time is never changed by the old system. On the server the readings' own triggers
then number the edit or leave a tombstone, so every PC follows at its next sync. On
PostgreSQL a mirror that fails never fails the old system's statement (a warning instead).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

QUANTITIES = ("temperature", "humidity", "moisture")


def _rows(row: str, sqlite: bool) -> str:
    """The readings one sensor_data row gives, one per measured quantity (as in 0007)."""
    if sqlite:
        at = f"(strftime('%Y-%m-%d %H:%M:%f', {row}.timestamp) || '000')"
        cast = "REAL"
    else:
        at = f"{row}.timestamp"
        cast = "double precision"
    return " UNION ALL ".join(
        f"SELECT coalesce({row}.device_id, 'unknown') AS device_id, '{q}' AS quantity, "
        f"CAST({row}.{q} AS {cast}) AS value, {at} AS at "
        f"WHERE {row}.{q} IS NOT NULL AND {row}.timestamp IS NOT NULL"
        for q in QUANTITIES
    )


def _forget_old(sqlite: bool, exclude_self: bool) -> str:
    """Delete OLD's copies that NEW (on an update) and no other old-system row still give."""
    same_time = "d.timestamp = OLD.timestamp"
    other = (
        "SELECT 1 FROM sensor_data d WHERE coalesce(d.device_id, 'unknown') = o.device_id "
        f"AND {same_time}" + (" AND d.id <> OLD.id" if exclude_self else "")
    )
    kept = (
        f" AND NOT EXISTS (SELECT 1 FROM ({_rows('NEW', sqlite)}) n WHERE n.device_id = "
        "o.device_id AND n.quantity = o.quantity AND n.at = o.at)"
        if exclude_self
        else ""
    )
    match = (
        "sensor_reading.device_id = o.device_id AND sensor_reading.quantity = o.quantity "
        "AND sensor_reading.measured_at = o.at"
    )
    return (
        "DELETE FROM sensor_reading WHERE source = 'phase1' AND EXISTS ("
        f"SELECT 1 FROM ({_rows('OLD', sqlite)}) o WHERE {match}{kept} "
        f"AND NOT EXISTS ({other}))"
    )


def _write_new(sqlite: bool) -> str:
    return (
        "INSERT INTO sensor_reading (device_id, quantity, value, measured_at, received_at, "
        f"source) SELECT device_id, quantity, value, at, at, 'phase1' FROM ({_rows('NEW', sqlite)}) "
        "p WHERE true ON CONFLICT (device_id, quantity, measured_at) DO UPDATE SET value = "
        "excluded.value WHERE sensor_reading.source = 'phase1' "
        "AND sensor_reading.value IS DISTINCT FROM excluded.value"
    )


def upgrade() -> None:
    bind = op.get_bind()
    if "sensor_data" not in sa.inspect(bind).get_table_names():
        return
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER sensor_data_edit_to_reading AFTER UPDATE ON sensor_data BEGIN "
            f"{_forget_old(True, True)}; {_write_new(True)}; END"
        )
        op.execute(
            "CREATE TRIGGER sensor_data_delete_to_reading AFTER DELETE ON sensor_data BEGIN "
            f"{_forget_old(True, False)}; END"
        )
        return
    op.execute(
        f"""
        CREATE FUNCTION compost_sensor_data_mirror() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            BEGIN
                IF TG_OP = 'UPDATE' THEN
                    {_forget_old(False, True)};
                    {_write_new(False)};
                ELSE
                    {_forget_old(False, False)};
                END IF;
            EXCEPTION WHEN OTHERS THEN
                -- The old system's correction must go through whatever happens here.
                RAISE WARNING 'Compost Desktop could not mirror sensor_data row %: %',
                    OLD.id, SQLERRM;
            END;
            RETURN NULL;
        END $$;
        CREATE TRIGGER sensor_data_mirror AFTER UPDATE OR DELETE ON sensor_data
            FOR EACH ROW EXECUTE FUNCTION compost_sensor_data_mirror();
        """
    )


def downgrade() -> None:
    bind = op.get_bind()
    if "sensor_data" not in sa.inspect(bind).get_table_names():
        return
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS sensor_data_edit_to_reading")
        op.execute("DROP TRIGGER IF EXISTS sensor_data_delete_to_reading")
        return
    op.execute("DROP TRIGGER IF EXISTS sensor_data_mirror ON sensor_data")
    op.execute("DROP FUNCTION IF EXISTS compost_sensor_data_mirror()")
