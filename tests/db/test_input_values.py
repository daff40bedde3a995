"""A delivery keeps the C:N, %N, moisture and density it was mixed with (issue 11 item 4)."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.domain.pathogen import PRESETS
from compost_desktop.records.export import export
from compost_desktop.services.report_data import gather_report
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft, InputDraft, MaterialDraft
from tests.db import legacy
from tests.db.test_migrations import _run_sql


def _plain(value: object) -> object:
    """PostgreSQL hands NUMERIC back as Decimal; compare as the app reads them."""
    return float(value) if isinstance(value, Decimal) else value


def _material(store: Store, name: str) -> int:
    found = store.find_material(name)
    assert found is not None
    return found.id


def _edit(store: Store, material_id: int, **changes: object) -> None:
    m = store.material(material_id)
    values = {
        "name": m.name,
        "kind": m.kind,
        "cn_ratio": m.cn_ratio,
        "nitrogen_pct": m.nitrogen_pct,
        "moisture_pct": m.moisture_pct,
        "density_kg_per_l": m.density_kg_per_l,
        "source": m.source,
        "description": m.description,
    }
    values.update(changes)
    store.save_material(MaterialDraft(**values), material_id)  # type: ignore[arg-type]


def _pile(store: Store, name: str) -> int:
    cycle = store.save_cycle(CycleDraft(name, date(2026, 6, 1))).id
    scraps, leaves = _material(store, "Kitchen scraps"), _material(store, "Leaves, shredded")
    store.add_input(cycle, InputDraft(scraps, mass_kg=10))
    store.add_input(cycle, InputDraft(leaves, mass_kg=5))
    return cycle


def test_library_edit_leaves_a_completed_cycle_and_its_report_unchanged(store: Store) -> None:
    done = _pile(store, "Done")
    store.activate(done)
    store.complete(done)
    planned = _pile(store, "Planned")
    before = store.cycle(done)
    report_before = gather_report(
        store.engine, done, next(iter(PRESETS.values())), datetime.now(UTC)
    )
    assert before.cn_ratio == pytest.approx(25.89, abs=0.01)  # the brief's worked check

    leaves = _material(store, "Leaves, shredded")
    assert [c.name for c in store.cycles_to_reapply(leaves)] == []
    _edit(store, leaves, cn_ratio=70.0, nitrogen_pct=0.7, moisture_pct=20.0, density_kg_per_l=0.2)

    after = store.cycle(done)
    assert after.cn_ratio == before.cn_ratio
    assert [i.cn_ratio for i in after.inputs] == [15.0, 54.0]
    mix = store.mix_of(done)
    assert mix is not None and mix.cn_ratio == pytest.approx(25.89, abs=0.01)
    report_after = gather_report(
        store.engine, done, next(iter(PRESETS.values())), datetime.now(UTC)
    )
    assert report_before.mix is not None and report_after.mix is not None
    assert report_after.mix.analysis == report_before.mix.analysis
    assert report_after.inputs == report_before.inputs

    # Only the planning cycle is offered, by name; re-applying changes it and nothing else.
    assert [c.name for c in store.cycles_to_reapply(leaves)] == ["Planned"]
    assert store.reapply_material(leaves) == ["Planned"]
    changed = store.cycle(planned)
    leaves_input = next(i for i in changed.inputs if i.material_name == "Leaves, shredded")
    assert (leaves_input.cn_ratio, leaves_input.nitrogen_pct, leaves_input.moisture_pct) == (
        70.0,
        0.7,
        20.0,
    )
    assert leaves_input.density_kg_per_l == 0.2
    assert changed.cn_ratio != before.cn_ratio
    assert store.cycle(done).cn_ratio == before.cn_ratio
    assert store.cycles_to_reapply(leaves) == []

    # New deliveries take the library as it is now.
    store.add_input(planned, InputDraft(leaves, mass_kg=1.0))
    assert store.cycle(planned).inputs[-1].cn_ratio == 70.0


def test_a_value_typed_for_a_delivery_survives_reapply(store: Store) -> None:
    cycle = store.save_cycle(CycleDraft("Lab", date(2026, 6, 1))).id
    scraps = _material(store, "Kitchen scraps")
    store.add_input(cycle, InputDraft(scraps, mass_kg=10, moisture_pct_override=75.0))
    _edit(store, scraps, moisture_pct=60.0, nitrogen_pct=2.0)
    assert store.reapply_material(scraps) == ["Lab"]
    (row,) = store.cycle(cycle).inputs
    assert (row.moisture_pct, row.nitrogen_pct, row.overridden) == (75.0, 2.0, ("moisture",))


def test_inputs_export_carries_the_stored_values(store: Store, tmp_path: Path) -> None:
    cycle = _pile(store, "Exported")
    _edit(store, _material(store, "Kitchen scraps"), cn_ratio=99.0)
    out = tmp_path / "inputs.csv"
    export(store.engine, "inputs", out, cycle_id=cycle)
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    got = [
        (
            r["material_name"],
            r["cn_ratio"],
            r["nitrogen_pct"],
            r["moisture_pct"],
            r["density_kg_per_l"],
        )
        for r in rows
    ]
    assert got == [
        ("Kitchen scraps", "15.0", "2.4", "70.0", "0.42"),
        ("Leaves, shredded", "54.0", "0.9", "38.0", "0.12"),
    ]


def test_adoption_stores_legacy_values_keeping_their_own_cn(any_url: str) -> None:
    url = resolve_url(any_url)
    _run_sql(any_url, legacy.script(url.get_backend_name(), 2))
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT material_name, carbon_nitrogen_ratio, nitrogen_pct_override, "
                    "moisture_pct_override, density_kg_per_liter, value_overrides "
                    "FROM cycle_waste_input ORDER BY id"
                )
            ).all()
        # Legacy materials carry only C:N (and density); the row's own C:N is kept.
        assert [tuple(_plain(v) for v in r) for r in rows] == [
            ("Kitchen Scraps", 20.0, None, None, 0.5, ""),
            ("Straw", 80.0, None, None, 0.1, ""),
            ("Mystery mix", None, None, None, None, None),
        ]
        if engine.dialect.name == "postgresql":
            # The old API goes on inserting deliveries by name with a C:N of its own.
            with engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO cycle_waste_input (batch_id, material_type, material_name, "
                        "amount_kg, carbon_nitrogen_ratio) VALUES (2, 'brown', 'Sawdust', 5, 400)"
                    )
                )
                new = conn.execute(
                    sa.text(
                        "SELECT carbon_nitrogen_ratio, nitrogen_pct_override, "
                        "moisture_pct_override, density_kg_per_liter, value_overrides "
                        "FROM cycle_waste_input WHERE material_name = 'Sawdust'"
                    )
                ).one()
            assert tuple(_plain(v) for v in new) == (400.0, 0.2, 39.0, 0.24, "cn")
    finally:
        engine.dispose()
