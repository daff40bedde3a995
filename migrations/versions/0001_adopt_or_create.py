"""Adopt the old server system's tables, or create them on an empty database.

A new database is first given the old system's Phase 2 shape and then adopted like a
legacy one, so there is a single path to the current schema and it is exercised on
every fresh install. Adoption never rewrites a value: it adds columns, widens numeric
columns that were too narrow for farm-scale masses, adds constraints and indexes, and
fills the new uuid column. Tables it does not own (such as sensor_data) are not touched.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATUSES = ("planning", "active", "completed", "archived")
KINDS = ("green", "brown")


class LegacyDataError(RuntimeError):
    """Existing rows break a rule the new schema enforces; nothing has been changed."""


def _num(precision: int, scale: int) -> sa.Numeric[Any]:
    return sa.Numeric(precision, scale, asdecimal=False)


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# Columns each table must end up with beyond the old system's, in the order they are added.
BATCH_COLUMNS: list[tuple[str, Any]] = [
    ("projected_end_date", sa.Date),
    ("status", lambda: sa.String(20)),
    ("created_at", _ts),
    ("green_waste_kg", lambda: _num(12, 3)),
    ("brown_waste_kg", lambda: _num(12, 3)),
    ("total_volume_liters", lambda: _num(12, 2)),
    ("cn_ratio", lambda: _num(8, 2)),
    ("initial_volume_liters", lambda: _num(12, 2)),
    ("uuid", lambda: sa.String(36)),
    ("name", lambda: sa.String(120)),
    ("current_volume_liters", lambda: _num(12, 2)),
    ("capacity_liters", lambda: _num(12, 2)),
    ("notes", sa.Text),
    ("updated_at", _ts),
    ("activated_at", _ts),
    ("completed_at", _ts),
]
MATERIAL_COLUMNS: list[tuple[str, Any]] = [
    ("density_kg_per_liter", lambda: _num(6, 3)),
    ("description", sa.Text),
    ("uuid", lambda: sa.String(36)),
    ("nitrogen_pct", lambda: _num(6, 3)),
    ("moisture_pct", lambda: _num(5, 2)),
    ("source", sa.Text),
    ("created_at", _ts),
    ("updated_at", _ts),
]
INPUT_COLUMNS: list[tuple[str, Any]] = [
    ("material_name", lambda: sa.String(100)),
    ("carbon_nitrogen_ratio", lambda: _num(8, 2)),
    ("timestamp", _ts),
    ("uuid", lambda: sa.String(36)),
    ("material_id", sa.Integer),
    ("volume_liters", lambda: _num(12, 2)),
    ("nitrogen_pct_override", lambda: _num(6, 3)),
    ("moisture_pct_override", lambda: _num(5, 2)),
    ("notes", sa.Text),
    ("updated_at", _ts),
]
# (table, column, precision, scale): legacy DECIMAL(5,2) caps a delivery at 999.99 kg.
WIDEN = [
    ("compost_batch", "green_waste_kg", 12, 3),
    ("compost_batch", "brown_waste_kg", 12, 3),
    ("compost_batch", "cn_ratio", 8, 2),
    ("compost_materials", "carbon_nitrogen_ratio", 8, 2),
    ("cycle_waste_input", "amount_kg", 12, 3),
    ("cycle_waste_input", "carbon_nitrogen_ratio", 8, 2),
]

# A frozen copy of domain/defaults.py on purpose: what this revision seeds must not change
# when the app's defaults do later (a migration describes history).
DEFAULT_MATERIALS = [
    # name, kind, %N of dry matter, C:N, moisture % of wet mass, bulk density kg/L, note
    ("Kitchen scraps", "green", 2.4, 15, 70, 0.420, ""),
    ("Garden waste", "green", 3.2, 12, 65, 0.360, ""),
    ("Grass clippings", "green", 4.0, 17, 82, 0.200, "bulk density loose"),
    ("Coffee grounds", "green", 2.0, 20, 60, 0.840, ""),
    ("Leaves, shredded", "brown", 0.9, 54, 38, 0.120, "bulk density loose"),
    ("Straw", "brown", 0.7, 80, 12, 0.120, ""),
    ("Sawdust", "brown", 0.2, 440, 39, 0.240, ""),
    ("Wood chips", "brown", 0.15, 400, 40, 0.300, ""),
    ("Cardboard, corrugated", "brown", 0.1, 560, 8, 0.060, ""),
    ("Newspaper", "brown", 0.1, 650, 5, 0.030, ""),
    ("Cattle manure", "green", 2.4, 19, 81, 0.860, ""),
    ("Horse manure", "green", 1.6, 30, 72, 0.815, ""),
    ("Chicken manure", "green", 8.0, 6, 69, 0.875, ""),
]
SOURCE = "NRAES-54 On-Farm Composting Handbook (typical value)"


def upgrade() -> None:
    bind = op.get_bind()
    tables = set(sa.inspect(bind).get_table_names())
    _preflight(bind, tables)
    _create_missing_legacy_tables(tables)
    for table, columns in (
        ("compost_batch", BATCH_COLUMNS),
        ("compost_materials", MATERIAL_COLUMNS),
        ("cycle_waste_input", INPUT_COLUMNS),
    ):
        _add_missing_columns(bind, table, columns)
        _fill_uuids(bind, table)
    _constrain(bind)
    _create_turning()
    _seed_materials(bind)
    _link_inputs_to_materials(bind)


def downgrade() -> None:
    raise RuntimeError("Downgrading below the first Compost Desktop schema is not supported.")


# --- preflight -----------------------------------------------------------------------


def _preflight(bind: sa.Connection, tables: set[str]) -> None:
    """Refuse, before touching anything, data that the new constraints would reject."""
    problems: list[str] = []
    insp = sa.inspect(bind)

    def columns(table: str) -> set[str]:
        return {c["name"] for c in insp.get_columns(table)} if table in tables else set()

    def ids(sql: str) -> list[Any]:
        return [row[0] for row in bind.execute(sa.text(sql))]

    batch_cols = columns("compost_batch")
    if "status" in batch_cols:
        bad = ids(
            f"SELECT id FROM compost_batch WHERE status IS NULL OR NOT ({_in('status', STATUSES)}) "
            "ORDER BY id"
        )
        if bad:
            problems.append(
                f"compost_batch rows with id {_list(bad)} have a status other than "
                f"{', '.join(STATUSES)}."
            )
        active = ids("SELECT id FROM compost_batch WHERE status = 'active' ORDER BY id")
        if len(active) > 1:
            problems.append(
                f"compost_batch rows with id {_list(active)} are all 'active', but only one "
                "cycle may be active (set the others to 'completed')."
            )
    if {"start_date", "projected_end_date"} <= batch_cols:
        bad = ids("SELECT id FROM compost_batch WHERE projected_end_date < start_date ORDER BY id")
        if bad:
            problems.append(
                f"compost_batch rows with id {_list(bad)} end before they start "
                "(projected_end_date < start_date)."
            )
    if "material_type" in columns("compost_materials"):
        bad = ids(
            "SELECT name FROM compost_materials WHERE NOT "
            f"({_in('material_type', KINDS)}) OR carbon_nitrogen_ratio <= 0 "
            "OR density_kg_per_liter <= 0 ORDER BY name"
        )
        if bad:
            problems.append(
                f"compost_materials {_list(bad)} need material_type 'green' or 'brown', "
                "a C:N above 0 and a density above 0."
            )
    if "material_type" in columns("cycle_waste_input"):
        bad = ids(
            "SELECT id FROM cycle_waste_input WHERE NOT "
            f"({_in('material_type', KINDS)}) OR amount_kg < 0 ORDER BY id"
        )
        if bad:
            problems.append(
                f"cycle_waste_input rows with id {_list(bad)} need material_type 'green' or "
                "'brown' and an amount of 0 kg or more."
            )
    if problems:
        raise LegacyDataError(
            "The existing data breaks rules of the new schema; nothing was changed. "
            + " ".join(problems)
            + " Correct these rows and run the upgrade again."
        )


def _list(values: list[Any], most: int = 20) -> str:
    shown = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values[:most])
    return shown + (f" and {len(values) - most} more" if len(values) > most else "")


# --- shape -----------------------------------------------------------------------------


def _create_missing_legacy_tables(tables: set[str]) -> None:
    """The old system's minimal shape; the adoption steps add everything else."""
    if "compost_batch" not in tables:
        op.create_table(
            "compost_batch",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("start_date", sa.Date),
        )
    if "compost_materials" not in tables:
        op.create_table(
            "compost_materials",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(100), nullable=False),
            sa.Column("material_type", sa.String(50), nullable=False),
            sa.Column("carbon_nitrogen_ratio", _num(8, 2), nullable=False),
            sa.UniqueConstraint("name", name="uq_compost_materials_name"),
        )
    if "cycle_waste_input" not in tables:
        op.create_table(
            "cycle_waste_input",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column(
                "batch_id",
                sa.Integer,
                sa.ForeignKey(
                    "compost_batch.id",
                    ondelete="CASCADE",
                    name="fk_cycle_waste_input_batch_id_compost_batch",
                ),
            ),
            sa.Column("material_type", sa.String(50), nullable=False),
            sa.Column("amount_kg", _num(12, 3), nullable=False),
        )


def _add_missing_columns(bind: sa.Connection, table: str, wanted: list[tuple[str, Any]]) -> None:
    present = {c["name"] for c in sa.inspect(bind).get_columns(table)}
    for name, type_factory in wanted:
        if name not in present:
            op.add_column(table, sa.Column(name, type_factory()))


def _fill_uuids(bind: sa.Connection, table: str) -> None:
    ids = [row[0] for row in bind.execute(sa.text(f"SELECT id FROM {table} WHERE uuid IS NULL"))]
    if ids:
        bind.execute(
            sa.text(f"UPDATE {table} SET uuid = :uuid WHERE id = :id"),
            [{"uuid": str(uuid.uuid4()), "id": i} for i in ids],
        )


def _constrain(bind: sa.Connection) -> None:
    insp = sa.inspect(bind)
    numeric = {
        (t, c["name"]): c["type"]
        for t in ("compost_batch", "compost_materials", "cycle_waste_input")
        for c in insp.get_columns(t)
    }

    def too_narrow(table: str, column: str, precision: int) -> bool:
        type_ = numeric[(table, column)]
        return isinstance(type_, sa.Numeric) and (type_.precision or 0) < precision

    def widen(batch_op: Any, table: str) -> None:
        for t, column, precision, scale in WIDEN:
            if t == table and too_narrow(t, column, precision):
                batch_op.alter_column(column, type_=_num(precision, scale))

    def index_names(table: str) -> set[str]:
        return {ix["name"] for ix in insp.get_indexes(table) if ix["name"]}

    with op.batch_alter_table("compost_batch", recreate="auto") as b:
        widen(b, "compost_batch")
        b.alter_column("uuid", existing_type=sa.String(36), nullable=False)
        b.alter_column(
            "status",
            existing_type=sa.String(20),
            nullable=False,
            server_default="planning",
        )
        b.create_unique_constraint("uq_compost_batch_uuid", ["uuid"])
        b.create_check_constraint("ck_compost_batch_status", _in("status", STATUSES))
        b.create_check_constraint(
            "ck_compost_batch_end_after_start",
            "projected_end_date IS NULL OR start_date IS NULL OR projected_end_date >= start_date",
        )
    with op.batch_alter_table("compost_materials", recreate="auto") as b:
        widen(b, "compost_materials")
        b.alter_column("uuid", existing_type=sa.String(36), nullable=False)
        b.create_unique_constraint("uq_compost_materials_uuid", ["uuid"])
        b.create_check_constraint("ck_compost_materials_kind", _in("material_type", KINDS))
        b.create_check_constraint("ck_compost_materials_cn_positive", "carbon_nitrogen_ratio > 0")
        b.create_check_constraint(
            "ck_compost_materials_n_positive", "nitrogen_pct IS NULL OR nitrogen_pct > 0"
        )
        b.create_check_constraint(
            "ck_compost_materials_moisture_range",
            "moisture_pct IS NULL OR (moisture_pct >= 0 AND moisture_pct < 100)",
        )
        b.create_check_constraint(
            "ck_compost_materials_density_positive",
            "density_kg_per_liter IS NULL OR density_kg_per_liter > 0",
        )
    with op.batch_alter_table("cycle_waste_input", recreate="auto") as b:
        widen(b, "cycle_waste_input")
        b.alter_column("uuid", existing_type=sa.String(36), nullable=False)
        b.create_unique_constraint("uq_cycle_waste_input_uuid", ["uuid"])
        b.create_check_constraint("ck_cycle_waste_input_kind", _in("material_type", KINDS))
        b.create_check_constraint("ck_cycle_waste_input_amount_not_negative", "amount_kg >= 0")
        b.create_foreign_key(
            "fk_cycle_waste_input_material_id_compost_materials",
            "compost_materials",
            ["material_id"],
            ["id"],
            ondelete="RESTRICT",
        )

    # Index names are the old system's, so an adopted database keeps the ones it has.
    if "idx_compost_batch_status" not in index_names("compost_batch"):
        op.create_index("idx_compost_batch_status", "compost_batch", ["status"])
    if "idx_cycle_waste_input_batch_id" not in index_names("cycle_waste_input"):
        op.create_index("idx_cycle_waste_input_batch_id", "cycle_waste_input", ["batch_id"])
    if "idx_compost_materials_type" not in index_names("compost_materials"):
        op.create_index("idx_compost_materials_type", "compost_materials", ["material_type"])
    op.create_index("ix_cycle_waste_input_material_id", "cycle_waste_input", ["material_id"])
    # The sensors sit in one pile: the database itself refuses a second active cycle.
    op.create_index(
        "uq_compost_batch_one_active",
        "compost_batch",
        ["status"],
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )


def _create_turning() -> None:
    op.create_table(
        "cycle_turning",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column(
            "batch_id",
            sa.Integer,
            sa.ForeignKey("compost_batch.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("turned_at", _ts(), nullable=False),
        sa.Column("operator", sa.String(100)),
        sa.Column("notes", sa.Text),
        sa.Column("created_at", _ts()),
        sa.PrimaryKeyConstraint("id", name="pk_cycle_turning"),
        sa.UniqueConstraint("uuid", name="uq_cycle_turning_uuid"),
    )
    op.create_index("ix_cycle_turning_batch_id", "cycle_turning", ["batch_id"])


# --- data ------------------------------------------------------------------------------


def _seed_materials(bind: sa.Connection) -> None:
    """Add the shipped defaults the farm does not have yet; never overwrite its own values."""
    existing = {
        row[0].strip().lower()
        for row in bind.execute(sa.text("SELECT name FROM compost_materials"))
        if row[0]
    }
    rows = [
        {
            "uuid": str(uuid.uuid4()),
            "name": name,
            "kind": kind,
            "n": n,
            "cn": cn,
            "m": m,
            "d": d,
            "desc": note or None,
            "source": SOURCE,
        }
        for name, kind, n, cn, m, d, note in DEFAULT_MATERIALS
        if name.lower() not in existing
    ]
    if rows:
        bind.execute(
            sa.text(
                "INSERT INTO compost_materials (uuid, name, material_type, nitrogen_pct, "
                "carbon_nitrogen_ratio, moisture_pct, density_kg_per_liter, description, source) "
                "VALUES (:uuid, :name, :kind, :n, :cn, :m, :d, :desc, :source)"
            ),
            rows,
        )


def _link_inputs_to_materials(bind: sa.Connection) -> None:
    """Old inputs named their material in text; link the ones whose name matches exactly."""
    bind.execute(
        sa.text(
            "UPDATE cycle_waste_input SET material_id = ("
            " SELECT m.id FROM compost_materials m"
            " WHERE lower(m.name) = lower(cycle_waste_input.material_name))"
            " WHERE material_id IS NULL AND material_name IS NOT NULL"
        )
    )
