"""Stock on hand: a count in the yard, drawn down by deliveries logged after it (both backends)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from compost_desktop.db.models import Material
from compost_desktop.domain.validation import ValidationError
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft, InputDraft
from compost_desktop.sync.engine import read_payload


def _id(store: Store, name: str) -> int:
    found = store.find_material(name)
    assert found is not None
    return found.id


def test_deliveries_after_the_count_draw_the_stock_down(store: Store) -> None:
    straw = _id(store, "Straw")
    assert store.material(straw).stock_kg is None  # not counted: not tracked
    cid = store.save_cycle(CycleDraft("Bay 1", date(2026, 6, 1), date(2026, 8, 1))).id
    store.add_input(cid, InputDraft(straw, mass_kg=100))  # before the count: already gone
    counted = store.set_stock(straw, 1_000)
    assert counted.stock_kg == 1_000
    store.add_input(cid, InputDraft(straw, mass_kg=250))  # a planned cycle's delivery
    store.add_input(cid, InputDraft(straw, volume_l=1_000))  # 1 m³ at 120 kg/m³
    by_name = {m.name: m for m in store.materials()}
    assert by_name["Straw"].stock_kg == pytest.approx(1_000 - 250 - 120)
    assert store.material(straw).stock_kg == pytest.approx(630)
    assert by_name["Sawdust"].stock_kg is None
    # Never shown below zero, and a new count starts again from what is there.
    store.add_input(cid, InputDraft(straw, mass_kg=5_000))
    assert store.material(straw).stock_kg == 0
    assert store.set_stock(straw, 400).stock_kg == 400
    assert store.material(straw).stock_kg == 400
    assert store.set_stock(straw, None).stock_kg is None


def test_a_backdated_delivery_does_not_draw_a_later_count(store: Store) -> None:
    chips = _id(store, "Wood chips")
    store.set_stock(chips, 500)
    cid = store.save_cycle(CycleDraft("Bay 2", date(2026, 6, 1), date(2026, 8, 1))).id
    then = store.material(chips)
    assert then.stock_kg == 500
    store.add_input(
        cid, InputDraft(chips, mass_kg=50, added_at=datetime.now(UTC) - timedelta(days=3))
    )
    assert store.material(chips).stock_kg == 500


def test_negative_stock_is_refused(store: Store) -> None:
    with pytest.raises(ValidationError, match="negative"):
        store.set_stock(_id(store, "Straw"), -1)


def test_stock_travels_in_the_sync_payload(store: Store) -> None:
    """Sync payloads are built from the table's columns, so the new ones go along."""
    straw = _id(store, "Straw")
    store.set_stock(straw, 750)
    with store.engine.connect() as conn:
        uuid = conn.execute(sa.select(Material.uuid).where(Material.id == straw)).scalar_one()
        payload, _seq = read_payload(conn, "compost_materials", uuid)
    assert payload is not None
    assert payload["stock_kg"] == 750
    assert payload["stock_counted_at"] is not None
