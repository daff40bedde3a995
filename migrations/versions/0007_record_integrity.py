"""The record keeps itself: activation times, reading attribution, Phase 1 history, mix values.

* **Activation times.** Whoever changes a cycle's status (this app, the old API's plain
  UPDATE, a script, sync), a trigger stamps ``activated_at``/``completed_at`` in the same
  transaction; a value the statement sets itself is kept (sync carries the other side's).
  Existing cycles activated or completed without them are back-filled (see _backfill_times).
* **Readings belong to the cycle active when they were measured.** The database attributes
  them, so the recorder, the app's recording, sync and the old listener's copies agree: a
  non-manual reading inserted with no cycle gets the one whose window holds its measured
  time, and when a window changes (an activation arriving late by sync, the old API
  activating a cycle, a switch) the readings in the changed span with no cycle, of that
  cycle or of a cycle overlapping the span are re-derived. Hand readings keep the cycle the
  operator chose. The rule: the cycle, not in planning, whose ``activated_at <= t`` and
  ``t < completed_at`` (open while active), the latest activation winning.
* **Phase 1 history.** The old listener's ``sensor_data`` rows are copied into
  ``sensor_reading`` (``source = 'phase1'``), now and by a trigger for rows it writes later;
  the table itself is not changed, and a copy that fails never fails the listener's insert.
* **Deliveries keep their values.** ``cycle_waste_input`` stores the C:N, %N, moisture and
  density each delivery was mixed with. ``value_overrides`` lists those typed for the
  delivery rather than taken from the library ('' for none); NULL means the row was written
  without stored values (the old API), which a PostgreSQL trigger fills from the library at
  insert. Existing rows are filled from the library as it is now (exactly what screens
  showed before), keeping a legacy row's own C:N.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Readings whose cycle the database derives; hand readings keep the operator's choice.
DERIVED = "source <> 'manual'"
PG_INF = "'infinity'::timestamptz"
SQLITE_INF = "'9999-12-31 23:59:59.999999'"
# SQLAlchemy's SQLite DATETIME text format, so text comparisons order correctly.
SQLITE_NOW = "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')"


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    op.add_column("cycle_waste_input", sa.Column("density_kg_per_liter", sa.Numeric(6, 3)))
    op.add_column("cycle_waste_input", sa.Column("value_overrides", sa.String(40)))
    op.create_index("ix_compost_batch_activated_at", "compost_batch", ["activated_at"])
    _backfill_times(bind)
    _backfill_input_values(bind)
    if sqlite:
        _sqlite_status_triggers()
        _sqlite_attribution_triggers()
    else:
        _pg_status_trigger()
        _pg_attribution()
        _pg_input_values_trigger()
    op.execute(_attribute_unassigned(sqlite))
    if "sensor_data" in sa.inspect(bind).get_table_names():
        _adopt_phase1(sqlite)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in (
            "status_times_insert",
            "status_times_update",
            "reading_cycle_insert",
            "reading_cycle_window",
            "reading_cycle_window_insert",
            "sensor_data_to_reading",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS status_times ON compost_batch")
        op.execute("DROP TRIGGER IF EXISTS reading_cycle ON sensor_reading")
        op.execute("DROP TRIGGER IF EXISTS reading_cycle_window ON compost_batch")
        op.execute("DROP TRIGGER IF EXISTS input_values ON cycle_waste_input")
        if "sensor_data" in sa.inspect(bind).get_table_names():
            op.execute("DROP TRIGGER IF EXISTS sensor_data_to_reading ON sensor_data")
        for fn in (
            "compost_status_times()",
            "compost_reading_cycle()",
            "compost_cycle_window()",
            "compost_reattribute(timestamptz, timestamptz, integer)",
            "compost_cycle_at(timestamptz)",
            "compost_input_values()",
            "compost_sensor_data_copy()",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.drop_index("ix_compost_batch_activated_at", "compost_batch")
    # In place (SQLite ≥ 3.35): rebuilding the table would lose its sync triggers.
    op.drop_column("cycle_waste_input", "value_overrides")
    op.drop_column("cycle_waste_input", "density_kg_per_liter")


# --- activation times ------------------------------------------------------------------


def _pg_status_trigger() -> None:
    op.execute(
        """
        CREATE FUNCTION compost_status_times() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            was text := CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END;
            old_a timestamptz := CASE WHEN TG_OP = 'UPDATE' THEN OLD.activated_at END;
            old_c timestamptz := CASE WHEN TG_OP = 'UPDATE' THEN OLD.completed_at END;
        BEGIN
            IF NEW.status = 'planning' THEN
                NEW.activated_at := NULL;
                NEW.completed_at := NULL;
            ELSIF NEW.status = 'active' THEN
                IF was IS DISTINCT FROM 'active' THEN
                    IF NEW.activated_at IS NULL OR NEW.activated_at IS NOT DISTINCT FROM old_a THEN
                        NEW.activated_at := now();
                    END IF;
                    NEW.completed_at := NULL;
                ELSIF NEW.activated_at IS NULL THEN
                    NEW.activated_at := coalesce(old_a, now());
                END IF;
            ELSIF was = 'active' AND NEW.completed_at IS NOT DISTINCT FROM old_c THEN
                NEW.completed_at := now();
            ELSIF NEW.completed_at IS NULL AND NEW.activated_at IS NOT NULL THEN
                NEW.completed_at := now();
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER status_times BEFORE INSERT OR UPDATE OF status, activated_at, completed_at
            ON compost_batch FOR EACH ROW EXECUTE FUNCTION compost_status_times();
        """
    )


def _sqlite_stamped(was: str, old_a: str, old_c: str) -> tuple[str, str]:
    """The activated_at and completed_at a row must end with (the same rule as on PostgreSQL)."""
    activated = f"""CASE
        WHEN NEW.status = 'planning' THEN NULL
        WHEN NEW.status = 'active' AND {was} IS NOT 'active'
             AND (NEW.activated_at IS NULL OR NEW.activated_at IS {old_a}) THEN {SQLITE_NOW}
        WHEN NEW.status = 'active' AND NEW.activated_at IS NULL
             THEN coalesce({old_a}, {SQLITE_NOW})
        ELSE NEW.activated_at END"""
    completed = f"""CASE
        WHEN NEW.status = 'planning' THEN NULL
        WHEN NEW.status = 'active' AND {was} IS NOT 'active' THEN NULL
        WHEN NEW.status = 'active' THEN NEW.completed_at
        WHEN {was} = 'active' AND NEW.completed_at IS {old_c} THEN {SQLITE_NOW}
        WHEN NEW.completed_at IS NULL AND NEW.activated_at IS NOT NULL THEN {SQLITE_NOW}
        ELSE NEW.completed_at END"""
    return activated, completed


def _sqlite_status_triggers() -> None:
    # SQLite cannot change NEW: an AFTER trigger updates the row when the rule says so.
    for event, was, old_a, old_c in (
        ("insert", "NULL", "NULL", "NULL"),
        ("update", "OLD.status", "OLD.activated_at", "OLD.completed_at"),
    ):
        activated, completed = _sqlite_stamped(was, old_a, old_c)
        on = "INSERT" if event == "insert" else "UPDATE OF status, activated_at, completed_at"
        op.execute(
            f"""
            CREATE TRIGGER status_times_{event} AFTER {on} ON compost_batch
            WHEN NEW.activated_at IS NOT ({activated}) OR NEW.completed_at IS NOT ({completed})
            BEGIN
                UPDATE compost_batch SET activated_at = ({activated}),
                    completed_at = ({completed})
                WHERE id = NEW.id;
            END
            """
        )


def _as_datetime(value: Any) -> datetime | None:
    """A legacy date or timestamp (SQLite gives text) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


def _backfill_times(bind: sa.Connection) -> None:
    """Cycles activated or completed without times (the old API, before this revision).

    Activation: the start date (a legacy start is a timestamp), else the creation time.
    Completion: the next cycle's activation (only one is active at a time, so it ended by
    then), else its last save, else now — the same end the recorder gave it before, which
    kept attributing readings to it until another cycle started.
    """
    sqlite = bind.dialect.name == "sqlite"
    rows = bind.execute(
        sa.text(
            "SELECT id, status, start_date, created_at, updated_at, activated_at, completed_at "
            "FROM compost_batch WHERE status <> 'planning'"
        )
    ).all()
    now = datetime.now(UTC)
    starts: dict[int, datetime] = {}
    for r in rows:
        start = _as_datetime(r.activated_at)
        if start is None and r.status in ("active", "completed"):
            start = _as_datetime(r.start_date) or _as_datetime(r.created_at) or now
        if start is not None:
            starts[r.id] = start
    changes: list[dict[str, Any]] = []
    for r in rows:
        start = starts.get(r.id)
        end = _as_datetime(r.completed_at)
        if start is not None and end is None and r.status != "active":
            later = sorted(s for i, s in starts.items() if i != r.id and s > start)
            saved = _as_datetime(r.updated_at)
            end = later[0] if later else (saved if saved and saved > start else now)
        if r.status == "active":
            end = None
        if start != _as_datetime(r.activated_at) or end != _as_datetime(r.completed_at):
            changes.append(
                {"id": r.id, "a": _bind_time(start, sqlite), "c": _bind_time(end, sqlite)}
            )
    if changes:
        bind.execute(
            sa.text("UPDATE compost_batch SET activated_at = :a, completed_at = :c WHERE id = :id"),
            changes,
        )


def _bind_time(value: datetime | None, sqlite: bool) -> Any:
    if value is None or not sqlite:
        return value
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


# --- reading attribution ---------------------------------------------------------------


def _sqlite_window(at: str) -> str:
    return f"""(SELECT w.id FROM compost_batch w WHERE w.status <> 'planning'
        AND w.activated_at IS NOT NULL AND w.activated_at <= {at}
        AND (w.completed_at IS NULL OR {at} < w.completed_at)
        ORDER BY w.activated_at DESC, w.id DESC LIMIT 1)"""


def _sqlite_reattribute(lo: str, hi: str, guard: str) -> str:
    """Re-derive the cycle of readings measured in [lo, hi), through the (batch_id, time) index."""
    window = _sqlite_window("sensor_reading.measured_at")
    in_range = f"measured_at >= {lo} AND measured_at < {hi} AND {DERIVED}"
    return f"""
    UPDATE sensor_reading SET batch_id = {window}
    WHERE ({guard}) AND id IN (
        SELECT id FROM sensor_reading WHERE batch_id IS NULL AND {in_range}
        UNION ALL
        SELECT id FROM sensor_reading WHERE batch_id IN (
            SELECT b.id FROM compost_batch b WHERE b.id = NEW.id OR (
                b.activated_at IS NOT NULL AND b.activated_at < {hi}
                AND coalesce(b.completed_at, {SQLITE_INF}) > {lo}))
        AND {in_range})
    AND batch_id IS NOT {window};
    """


def _sqlite_attribution_triggers() -> None:
    # Only rows inserted with no cycle are touched: the rollup counted nothing for them, so
    # this UPDATE adds them through the rollup's update trigger, whichever trigger runs first.
    op.execute(
        f"""
        CREATE TRIGGER reading_cycle_insert AFTER INSERT ON sensor_reading
        WHEN NEW.{DERIVED} AND NEW.batch_id IS NULL
             AND {_sqlite_window("NEW.measured_at")} IS NOT NULL
        BEGIN
            UPDATE sensor_reading SET batch_id = {_sqlite_window("NEW.measured_at")}
            WHERE id = NEW.id;
        END
        """
    )
    # A cycle's window before and after the change; planning cycles have none.
    oa = "(CASE WHEN OLD.status <> 'planning' THEN OLD.activated_at END)"
    na = "(CASE WHEN NEW.status <> 'planning' THEN NEW.activated_at END)"
    oe = f"coalesce(OLD.completed_at, {SQLITE_INF})"
    ne = f"coalesce(NEW.completed_at, {SQLITE_INF})"
    body = "".join(
        (
            _sqlite_reattribute(na, ne, f"{oa} IS NULL AND {na} IS NOT NULL"),
            _sqlite_reattribute(oa, oe, f"{na} IS NULL AND {oa} IS NOT NULL"),
            _sqlite_reattribute(
                f"min({oa}, {na})", f"max({oa}, {na})", f"{oa} IS NOT NULL AND {na} IS NOT NULL"
            ),
            _sqlite_reattribute(
                f"min({oe}, {ne})", f"max({oe}, {ne})", f"{oa} IS NOT NULL AND {na} IS NOT NULL"
            ),
        )
    )
    op.execute(
        "CREATE TRIGGER reading_cycle_window AFTER UPDATE OF status, activated_at, completed_at "
        f"ON compost_batch BEGIN {body} END"
    )
    op.execute(
        "CREATE TRIGGER reading_cycle_window_insert AFTER INSERT ON compost_batch "
        f"WHEN {na} IS NOT NULL BEGIN {_sqlite_reattribute(na, ne, '1')} END"
    )


def _pg_attribution() -> None:
    op.execute(
        f"""
        CREATE FUNCTION compost_cycle_at(at timestamptz) RETURNS integer
        LANGUAGE sql STABLE AS $$
            SELECT w.id FROM compost_batch w WHERE w.status <> 'planning'
              AND w.activated_at IS NOT NULL AND w.activated_at <= at
              AND (w.completed_at IS NULL OR at < w.completed_at)
            ORDER BY w.activated_at DESC, w.id DESC LIMIT 1
        $$;
        CREATE FUNCTION compost_reattribute(lo timestamptz, hi timestamptz, changed integer)
        RETURNS void LANGUAGE sql AS $$
            UPDATE sensor_reading s SET batch_id = compost_cycle_at(s.measured_at)
            WHERE s.id IN (
                SELECT id FROM sensor_reading WHERE batch_id IS NULL
                   AND measured_at >= lo AND measured_at < hi AND {DERIVED}
                UNION ALL
                SELECT id FROM sensor_reading WHERE batch_id IN (
                    SELECT b.id FROM compost_batch b WHERE b.id = changed OR (
                        b.activated_at IS NOT NULL AND b.activated_at < hi
                        AND coalesce(b.completed_at, {PG_INF}) > lo))
                   AND measured_at >= lo AND measured_at < hi AND {DERIVED})
            AND s.batch_id IS DISTINCT FROM compost_cycle_at(s.measured_at);
        $$;
        CREATE FUNCTION compost_reading_cycle() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.batch_id := compost_cycle_at(NEW.measured_at);
            RETURN NEW;
        END $$;
        CREATE TRIGGER reading_cycle BEFORE INSERT ON sensor_reading
            FOR EACH ROW WHEN (NEW.{DERIVED} AND NEW.batch_id IS NULL)
            EXECUTE FUNCTION compost_reading_cycle();
        CREATE FUNCTION compost_cycle_window() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            oa timestamptz; oe timestamptz;
            na timestamptz := CASE WHEN NEW.status <> 'planning' THEN NEW.activated_at END;
            ne timestamptz := coalesce(NEW.completed_at, {PG_INF});
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                oa := CASE WHEN OLD.status <> 'planning' THEN OLD.activated_at END;
                oe := coalesce(OLD.completed_at, {PG_INF});
            END IF;
            IF oa IS NULL AND na IS NULL THEN
                RETURN NULL;
            ELSIF oa IS NULL THEN
                PERFORM compost_reattribute(na, ne, NEW.id);
            ELSIF na IS NULL THEN
                PERFORM compost_reattribute(oa, oe, NEW.id);
            ELSE
                IF oa <> na THEN
                    PERFORM compost_reattribute(least(oa, na), greatest(oa, na), NEW.id);
                END IF;
                IF oe <> ne THEN
                    PERFORM compost_reattribute(least(oe, ne), greatest(oe, ne), NEW.id);
                END IF;
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER reading_cycle_window
            AFTER INSERT OR UPDATE OF status, activated_at, completed_at ON compost_batch
            FOR EACH ROW EXECUTE FUNCTION compost_cycle_window();
        """
    )


def _attribute_unassigned(sqlite: bool) -> str:
    """Readings stored with no cycle that a (back-filled) window holds; none is taken away."""
    if sqlite:
        window = _sqlite_window("sensor_reading.measured_at")
        return (
            f"UPDATE sensor_reading SET batch_id = {window} "
            f"WHERE {DERIVED} AND batch_id IS NULL AND {window} IS NOT NULL"
        )
    return (
        "UPDATE sensor_reading SET batch_id = compost_cycle_at(measured_at) "
        f"WHERE {DERIVED} AND batch_id IS NULL AND compost_cycle_at(measured_at) IS NOT NULL"
    )


# --- Phase 1 history -------------------------------------------------------------------

PHASE1_QUANTITIES = ("temperature", "humidity", "moisture")


def _phase1_rows(row: str, sqlite: bool) -> str:
    """The readings one sensor_data row holds, one per measured quantity."""
    if sqlite:
        at = f"(strftime('%Y-%m-%d %H:%M:%f', {row}.timestamp) || '000')"
        value = "CAST({row}.{q} AS REAL)"
    else:
        at = f"{row}.timestamp"
        value = "CAST({row}.{q} AS double precision)"
    return " UNION ALL ".join(
        f"SELECT coalesce({row}.device_id, 'unknown') AS device_id, '{q}' AS quantity, "
        f"{value.format(row=row, q=q)} AS value, {at} AS at "
        f"{'FROM sensor_data ' + row if row == 'd' else ''} "
        f"WHERE {row}.{q} IS NOT NULL AND {row}.timestamp IS NOT NULL"
        for q in PHASE1_QUANTITIES
    )


def _phase1_insert(select: str) -> str:
    return (
        "INSERT INTO sensor_reading (device_id, quantity, value, measured_at, received_at, "
        f"source) SELECT device_id, quantity, value, at, at, 'phase1' FROM ({select}) p "
        "WHERE true ON CONFLICT (device_id, quantity, measured_at) DO NOTHING"
    )


def _adopt_phase1(sqlite: bool) -> None:
    """Copy the old listener's rows, and every row it writes from now on."""
    op.execute(_phase1_insert(_phase1_rows("d", sqlite)))
    if sqlite:
        op.execute(
            "CREATE TRIGGER sensor_data_to_reading AFTER INSERT ON sensor_data BEGIN "
            f"{_phase1_insert(_phase1_rows('NEW', True))}; END"
        )
        return
    op.execute(
        f"""
        CREATE FUNCTION compost_sensor_data_copy() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            BEGIN
                {_phase1_insert(_phase1_rows("NEW", False))};
            EXCEPTION WHEN OTHERS THEN
                -- The old listener must go on storing its rows whatever happens here.
                RAISE WARNING 'Compost Desktop could not copy sensor_data row %: %',
                    NEW.id, SQLERRM;
            END;
            RETURN NULL;
        END $$;
        CREATE TRIGGER sensor_data_to_reading AFTER INSERT ON sensor_data
            FOR EACH ROW EXECUTE FUNCTION compost_sensor_data_copy();
        """
    )


# --- delivery values -------------------------------------------------------------------


def _backfill_input_values(bind: sa.Connection) -> None:
    """Store what each delivery was mixed with as screens computed it until now.

    A value the delivery already carries is kept (a legacy row's C:N, a per-delivery
    override); a missing one comes from its library material. A C:N that differs from the
    library's, and any %N or moisture given per delivery, is marked as the delivery's own,
    so re-applying a library edit later leaves it alone.
    """
    rows = bind.execute(
        sa.text(
            "SELECT i.id, i.carbon_nitrogen_ratio, i.nitrogen_pct_override, "
            "i.moisture_pct_override, m.carbon_nitrogen_ratio, m.nitrogen_pct, m.moisture_pct, "
            "m.density_kg_per_liter FROM cycle_waste_input i "
            "JOIN compost_materials m ON m.id = i.material_id"
        )
    ).all()
    updates = []
    for id_, cn, n, moist, lib_cn, lib_n, lib_m, lib_d in rows:
        own = []
        if cn is not None and lib_cn is not None and abs(float(cn) - float(lib_cn)) > 0.005:
            own.append("cn")
        if n is not None:
            own.append("n")
        if moist is not None:
            own.append("moisture")
        updates.append(
            {
                "id": id_,
                "cn": cn if cn is not None else lib_cn,
                "n": n if n is not None else lib_n,
                "m": moist if moist is not None else lib_m,
                "d": lib_d,
                "own": ",".join(own),
            }
        )
    if updates:
        bind.execute(
            sa.text(
                "UPDATE cycle_waste_input SET carbon_nitrogen_ratio = :cn, "
                "nitrogen_pct_override = :n, moisture_pct_override = :m, "
                "density_kg_per_liter = :d, value_overrides = :own WHERE id = :id"
            ),
            updates,
        )


def _pg_input_values_trigger() -> None:
    """The old API still inserts deliveries with a material name and at most a C:N."""
    op.execute(
        """
        CREATE FUNCTION compost_input_values() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            m compost_materials%ROWTYPE;
        BEGIN
            IF NEW.material_id IS NULL AND NEW.material_name IS NOT NULL THEN
                SELECT id INTO NEW.material_id FROM compost_materials
                WHERE lower(name) = lower(NEW.material_name) LIMIT 1;
            END IF;
            -- value_overrides is NULL only on rows written without stored values.
            IF NEW.material_id IS NOT NULL AND NEW.value_overrides IS NULL THEN
                SELECT * INTO m FROM compost_materials WHERE id = NEW.material_id;
                NEW.value_overrides := CASE
                    WHEN NEW.carbon_nitrogen_ratio IS NOT NULL
                     AND abs(NEW.carbon_nitrogen_ratio - m.carbon_nitrogen_ratio) > 0.005
                    THEN 'cn' ELSE '' END;
                IF NEW.carbon_nitrogen_ratio IS NULL THEN
                    NEW.carbon_nitrogen_ratio := m.carbon_nitrogen_ratio;
                END IF;
                IF NEW.nitrogen_pct_override IS NULL THEN
                    NEW.nitrogen_pct_override := m.nitrogen_pct;
                END IF;
                IF NEW.moisture_pct_override IS NULL THEN
                    NEW.moisture_pct_override := m.moisture_pct;
                END IF;
                IF NEW.density_kg_per_liter IS NULL THEN
                    NEW.density_kg_per_liter := m.density_kg_per_liter;
                END IF;
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER input_values BEFORE INSERT ON cycle_waste_input
            FOR EACH ROW EXECUTE FUNCTION compost_input_values();
        """
    )
