"""The old system's per-cycle summary columns, kept true wherever inputs are written.

They are derived from the inputs, so the store, the server side of a sync push and a pull
all recompute them the same way; two PCs adding inputs to one cycle is then never a
conflict over these columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, select, update

from compost_desktop.db.models import Cycle, Input, Material
from compost_desktop.domain.mix import MixComponent, analyse

DERIVED_CYCLE_COLUMNS = frozenset(
    {"green_waste_kg", "brown_waste_kg", "total_volume_liters", "cn_ratio"}
)

_V = TypeVar("_V")


def mixed_with(stored: _V | None, overrides: str | None, library: _V | None) -> _V | None:
    """The value a delivery was mixed with: its stored one, once the row stores its values.

    `overrides` is NULL only on rows written without stored values (inserted by plain SQL
    into a local store); those still read the library, as every row did before revision 0007.
    """
    if overrides is not None or stored is not None:
        return stored
    return library


def refresh(conn: Connection, cycle_id: int) -> None:
    rows = conn.execute(_input_rows().where(Input.cycle_id == cycle_id)).all()
    conn.execute(update(Cycle).where(Cycle.id == cycle_id).values(**_derived(rows)))


def refresh_many(conn: Connection, cycle_ids: Iterable[int]) -> None:
    """`refresh` for a sync batch's cycles: one read of their inputs, and an update only
    of the cycles whose stored totals are not already right."""
    wanted = sorted(set(cycle_ids))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        by_cycle: dict[int, list[Any]] = {cid: [] for cid in chunk}
        for row in conn.execute(
            _input_rows()
            .add_columns(Input.cycle_id.label("cycle_id"))
            .where(Input.cycle_id.in_(chunk))
        ):
            by_cycle[row.cycle_id].append(row)
        stored = {
            row.id: {c: getattr(row, c) for c in DERIVED_CYCLE_COLUMNS}
            for row in conn.execute(
                select(
                    Cycle.id,
                    Cycle.green_waste_kg,
                    Cycle.brown_waste_kg,
                    Cycle.total_volume_liters,
                    Cycle.cn_ratio,
                ).where(Cycle.id.in_(chunk))
            )
        }
        for cycle_id, rows in by_cycle.items():
            values = _derived(rows)
            if cycle_id in stored and not _same(stored[cycle_id], values):
                conn.execute(update(Cycle).where(Cycle.id == cycle_id).values(**values))


def _same(stored: dict[str, Any], values: dict[str, Any]) -> bool:
    for key, value in values.items():
        old = stored.get(key)
        if (old is None) != (value is None):
            return False
        if old is not None and abs(float(old) - float(value)) > 1e-6:
            return False
    return True


def _input_rows() -> Select[*tuple[Any, ...]]:
    return select(
        Input.kind.label("kind"),
        Input.mass_kg.label("mass_kg"),
        Input.volume_l.label("volume_l"),
        Input.cn_override.label("cn_override"),
        Input.nitrogen_pct_override.label("n_override"),
        Input.moisture_pct_override.label("m_override"),
        Input.value_overrides.label("own"),
        Input.material_name.label("name"),
        Material.cn_ratio.label("cn"),
        Material.nitrogen_pct.label("n"),
        Material.moisture_pct.label("m"),
    ).outerjoin(Material, Material.id == Input.material_id)


def _derived(rows: Sequence[Any]) -> dict[str, Any]:
    green = sum(r.mass_kg for r in rows if r.kind == "green")
    brown = sum(r.mass_kg for r in rows if r.kind == "brown")
    volumes = [r.volume_l for r in rows if r.volume_l is not None]
    components = []
    for r in rows:
        cn = mixed_with(r.cn_override, r.own, r.cn)
        if cn is None or r.mass_kg <= 0:
            continue
        n = mixed_with(r.n_override, r.own, r.n)
        m = mixed_with(r.m_override, r.own, r.m)
        components.append(MixComponent(r.name or "material", r.mass_kg, cn, n, m))
    return {
        "green_waste_kg": green,
        "brown_waste_kg": brown,
        "total_volume_liters": sum(volumes) if volumes else None,
        "cn_ratio": round(analyse(components).cn_ratio, 2) if components else None,
    }
