"""The services on both backends: lifecycle rules, inputs, materials, the single-active rule."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.domain.lifecycle import CycleStatus, MaterialKind, TransitionError
from compost_desktop.domain.validation import ValidationError
from compost_desktop.services.store import (
    ActiveCycleConflict,
    MaterialInUseError,
    Store,
)
from compost_desktop.services.values import CycleDraft, InputDraft, MaterialDraft


def _cycle(store: Store, name: str) -> int:
    return store.save_cycle(CycleDraft(name, date(2026, 6, 1), date(2026, 8, 1))).id


def _material(store: Store, name: str) -> int:
    found = store.find_material(name)
    assert found is not None
    return found.id


def test_cycle_with_two_inputs_gives_the_briefs_mix(store: Store) -> None:
    cid = _cycle(store, "Bay 1")
    store.add_input(cid, InputDraft(_material(store, "Kitchen scraps"), mass_kg=10))
    store.add_input(cid, InputDraft(_material(store, "Leaves, shredded"), mass_kg=5))
    mix = store.mix_of(cid)
    assert mix is not None
    assert mix.cn_ratio == pytest.approx(25.89, abs=0.01)
    cycle = store.cycle(cid)
    assert cycle.green_kg == 10 and cycle.brown_kg == 5
    assert cycle.cn_ratio == pytest.approx(25.89, abs=0.01)  # legacy summary column kept true


def test_input_by_volume_keeps_both_and_converts_with_density(store: Store) -> None:
    cid = _cycle(store, "Bay 1")
    record = store.add_input(cid, InputDraft(_material(store, "Straw"), volume_l=1000))
    assert record.volume_l == 1000
    assert record.mass_kg == pytest.approx(120.0)  # 120 kg/m³
    by_mass = store.add_input(cid, InputDraft(_material(store, "Kitchen scraps"), mass_kg=42))
    assert by_mass.volume_l == pytest.approx(100.0)  # estimated from 420 kg/m³
    assert store.cycle(cid).estimated_volume_l == pytest.approx(1100.0)


def test_per_delivery_override_beats_the_library(store: Store) -> None:
    cid = _cycle(store, "Bay 1")
    rec = store.add_input(
        cid, InputDraft(_material(store, "Kitchen scraps"), mass_kg=10, moisture_pct_override=50)
    )
    assert rec.moisture_pct == 50
    assert rec.nitrogen_pct == 2.4


def test_editing_a_material_changes_a_cycles_mix_only_when_reapplied(store: Store) -> None:
    cid = _cycle(store, "Bay 1")
    straw = store.find_material("Straw")
    assert straw is not None
    store.add_input(cid, InputDraft(straw.id, mass_kg=10))
    store.add_input(cid, InputDraft(_material(store, "Kitchen scraps"), mass_kg=10))
    before = store.mix_of(cid)
    store.save_material(
        MaterialDraft(
            straw.name,
            straw.kind,
            120,
            straw.nitrogen_pct,
            straw.moisture_pct,
            straw.density_kg_per_l,
        ),
        straw.id,
    )
    # A delivery keeps the values it was mixed with (issue 11) until the edit is re-applied.
    assert store.mix_of(cid) == before
    assert store.reapply_material(straw.id) == ["Bay 1"]
    after = store.mix_of(cid)
    assert before is not None and after is not None
    assert after.cn_ratio > before.cn_ratio


def test_bad_input_is_refused_and_nothing_is_stored(store: Store) -> None:
    cid = _cycle(store, "Bay 1")
    with pytest.raises(ValidationError, match="more than 0 kg"):
        store.add_input(cid, InputDraft(_material(store, "Straw"), mass_kg=-5))
    with pytest.raises(ValidationError, match="kilograms or in litres"):
        store.add_input(cid, InputDraft(_material(store, "Straw")))
    with pytest.raises(ValidationError, match="library"):
        store.add_input(cid, InputDraft(999_999, mass_kg=5))
    assert store.cycle(cid).inputs == ()


def test_end_before_start_is_refused(store: Store) -> None:
    with pytest.raises(ValidationError) as info:
        store.save_cycle(CycleDraft("x", date(2026, 6, 1), date(2026, 5, 1)))
    assert info.value.field == "projected_end_date"
    assert store.cycles() == []


def test_delete_input_returns_it_for_undo(store: Store) -> None:
    cid = _cycle(store, "Bay 1")
    rec = store.add_input(cid, InputDraft(_material(store, "Straw"), mass_kg=10))
    deleted = store.delete_input(rec.id)
    assert store.cycle(cid).brown_kg == 0
    assert deleted.mass_kg == 10 and deleted.material_id == rec.material_id


def test_material_in_use_cannot_be_deleted_and_says_by_whom(store: Store) -> None:
    cid = _cycle(store, "Spring pile")
    straw = _material(store, "Straw")
    store.add_input(cid, InputDraft(straw, mass_kg=10))
    with pytest.raises(MaterialInUseError, match="Spring pile"):
        store.delete_material(straw)
    unused = _material(store, "Newspaper")
    store.delete_material(unused)
    assert store.find_material("Newspaper") is None


def test_material_values_are_validated(store: Store) -> None:
    with pytest.raises(ValidationError, match="Moisture"):
        store.save_material(MaterialDraft("Mud", MaterialKind.GREEN, 10, 1.0, 120))
    with pytest.raises(ValidationError, match="already exists"):
        store.save_material(MaterialDraft("straw", MaterialKind.BROWN, 80))


def test_lifecycle_and_confirmed_switch(store: Store) -> None:
    first, second = _cycle(store, "First"), _cycle(store, "Second")
    assert store.activate(first).status is CycleStatus.ACTIVE
    with pytest.raises(ActiveCycleConflict) as info:
        store.activate(second)
    assert info.value.active_name == "First"
    assert store.cycle(second).status is CycleStatus.PLANNING  # nothing changed unconfirmed

    store.activate(second, switch=True)
    assert store.cycle(second).status is CycleStatus.ACTIVE
    assert store.cycle(first).status is CycleStatus.COMPLETED
    with pytest.raises(TransitionError):
        store.activate(first)
    store.complete(second)
    store.archive(second)
    assert store.cycle(second).status is CycleStatus.ARCHIVED
    assert store.active_cycle() is None


def test_database_itself_refuses_a_second_active_cycle(store: Store) -> None:
    a, b = _cycle(store, "A"), _cycle(store, "B")
    store.activate(a)
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE compost_batch SET status = 'active' WHERE id = :id"), {"id": b}
        )


def test_turning_log(store: Store) -> None:
    cid = _cycle(store, "A")
    when = datetime(2026, 6, 5, 9, 30, tzinfo=UTC)
    store.add_turning(cid, when, "Sam", "first turn")
    (turning,) = store.cycle(cid).turnings
    assert turning.turned_at == when and turning.operator == "Sam"


def _race(stores: list[Store], ids: list[int], switch: bool) -> list[str]:
    barrier = threading.Barrier(len(stores))
    outcomes: list[str] = []

    def race(store: Store, cycle_id: int) -> None:
        barrier.wait()
        try:
            store.activate(cycle_id, switch=switch)
            outcomes.append("won")
        except ActiveCycleConflict:
            outcomes.append("lost")

    threads = [threading.Thread(target=race, args=pair) for pair in zip(stores, ids, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return sorted(outcomes)


def _active_count(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT count(*) FROM compost_batch WHERE status = 'active'")
            ).scalar_one()
        )


@pytest.mark.postgres
@pytest.mark.parametrize("switch", [False, True])
def test_two_pcs_racing_to_activate_never_leave_two_actives(pg_url: str, switch: bool) -> None:
    """Rounds of two clients (own engines and connections, like two PCs) activating at once."""
    url = resolve_url(pg_url)
    migrate.upgrade(url)
    engines = [make_engine(url), make_engine(url)]
    stores = [Store(e) for e in engines]
    try:
        for round_ in range(10):
            ids = [_cycle(stores[0], f"A{round_}"), _cycle(stores[0], f"B{round_}")]
            outcomes = _race(stores, ids, switch)
            assert _active_count(stores[0]) == 1
            if switch:
                # A confirmed switch may follow the other one: both win in turn, one stays active.
                assert "won" in outcomes
            else:
                assert outcomes == ["lost", "won"]
                winner = stores[0].active_cycle()
                assert winner is not None
                stores[0].complete(winner.id)
    finally:
        for e in engines:
            e.dispose()
