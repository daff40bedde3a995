"""A stock count travels to the other PCs, and their deliveries draw it down there too."""

from __future__ import annotations

from datetime import date

import pytest

from compost_desktop.services.values import CycleDraft, InputDraft
from tests.sync.test_sync import Pc, _material, pcs, server_rows, server_url  # noqa: F401

pytestmark = pytest.mark.postgres


def test_stock_count_syncs_and_every_pcs_deliveries_draw_it_down(
    pcs: list[Pc],  # noqa: F811
    server_url: str,  # noqa: F811
) -> None:
    a, b = pcs[0], pcs[1]
    a.sync.sync()
    b.sync.sync()
    a.store.set_stock(_material(a.store, "Straw"), 2_000)
    a.sync.sync()
    (stock,) = server_rows(
        server_url, "SELECT stock_kg FROM compost_materials WHERE name = 'Straw'"
    )[0]
    assert float(stock) == 2_000  # type: ignore[arg-type]
    b.sync.sync()
    straw_b = _material(b.store, "Straw")
    assert b.store.material(straw_b).stock_kg == 2_000
    cycle = b.store.save_cycle(CycleDraft("Bay 4", date(2026, 6, 1)))
    b.store.add_input(cycle.id, InputDraft(straw_b, mass_kg=300))
    b.sync.sync()
    a.sync.sync()
    assert a.store.material(_material(a.store, "Straw")).stock_kg == pytest.approx(1_700)
