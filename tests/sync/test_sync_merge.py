"""Merging, not overwriting: library materials by name, and a cycle made offline."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from compost_desktop.domain.lifecycle import CycleStatus
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft, InputDraft, MaterialDraft
from tests.sync.support import Pc

pytestmark = pytest.mark.postgres


def _scalar(engine: sa.Engine, sql: str) -> object:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


def _edit_straw(store: Store, cn: float) -> None:
    straw = store.find_material("Straw")
    assert straw is not None
    store.save_material(
        MaterialDraft(
            straw.name,
            straw.kind,
            cn,
            straw.nitrogen_pct,
            straw.moisture_pct,
            straw.density_kg_per_l,
            straw.source,
            straw.description,
        ),
        straw.id,
    )


def test_untouched_defaults_adopt_the_servers_identity_without_a_conflict(
    pcs: list[Pc], server: sa.Engine
) -> None:
    a, _b = pcs
    report = a.sync.sync()
    assert report.conflicts == 0 and a.sync.conflicts() == []
    with a.engine.connect() as conn:
        local: dict[str, str] = dict(
            conn.execute(sa.text("SELECT name, uuid FROM compost_materials")).all()
        )
    with server.connect() as conn:
        remote: dict[str, str] = dict(
            conn.execute(sa.text("SELECT name, uuid FROM compost_materials")).all()
        )
    assert local == remote
    assert a.sync.waiting() == 0


def test_a_default_edited_here_is_a_conflict_not_overwritten(
    pcs: list[Pc], server: sa.Engine
) -> None:
    a, _b = pcs
    _edit_straw(a.store, 95.0)  # edited before this PC ever met the server
    report = a.sync.sync()
    (conflict,) = a.sync.conflicts()
    assert conflict.entity == "compost_materials"
    assert conflict.mine is not None and conflict.theirs is not None
    assert conflict.mine["carbon_nitrogen_ratio"] == 95.0
    assert conflict.theirs["carbon_nitrogen_ratio"] == 80.0
    assert conflict.mine["uuid"] == conflict.theirs["uuid"]  # one material, two versions
    assert report.conflicts == 0  # recorded on the pull, once
    a.sync.resolve(conflict.id, "mine")
    a.sync.sync()
    assert (
        float(
            _scalar(
                server, "SELECT carbon_nitrogen_ratio FROM compost_materials WHERE name='Straw'"
            )  # type: ignore[arg-type]
        )
        == 95.0
    )
    assert _scalar(server, "SELECT count(*) FROM compost_materials WHERE name = 'Straw'") == 1
    assert a.sync.conflicts() == [] and a.sync.waiting() == 0


def test_a_default_edited_on_the_server_is_a_conflict_too(pcs: list[Pc], server: sa.Engine) -> None:
    a, _b = pcs
    with server.begin() as conn:
        conn.execute(
            sa.text("UPDATE compost_materials SET carbon_nitrogen_ratio = 70 WHERE name = 'Straw'")
        )
    a.sync.sync()
    (conflict,) = a.sync.conflicts()
    assert conflict.theirs is not None and conflict.theirs["carbon_nitrogen_ratio"] == 70.0
    straw = a.store.find_material("Straw")
    assert straw is not None and straw.cn_ratio == 70.0  # the server's version shows
    a.sync.resolve(conflict.id, "theirs")
    assert a.sync.conflicts() == []


def test_a_cycle_made_offline_reaches_the_server_with_its_inputs_and_one_conflict(
    pcs: list[Pc], server: sa.Engine
) -> None:
    a, b = pcs
    x = a.store.save_cycle(CycleDraft("X", date(2026, 6, 1)))
    a.sync.sync()
    b.sync.sync()
    # B, offline: a new cycle, activated, three inputs. A activates X meanwhile.
    straw = b.store.find_material("Straw")
    assert straw is not None
    y = b.store.save_cycle(CycleDraft("Y (made on B)", date(2026, 6, 2)))
    b.store.activate(y.id)
    for kg in (10.0, 20.0, 30.0):
        b.store.add_input(y.id, InputDraft(straw.id, mass_kg=kg))
    a.store.activate(x.id)
    a.sync.sync()
    report = b.sync.sync()

    assert report.conflicts == 1
    (conflict,) = b.sync.conflicts()
    assert "active" in conflict.reason and conflict.mine is not None
    assert conflict.mine["status"] == "active"
    with server.connect() as conn:
        statuses: dict[str, str] = dict(
            conn.execute(sa.text("SELECT name, status FROM compost_batch")).all()
        )
        kgs = sorted(
            float(v)
            for (v,) in conn.execute(
                sa.text(
                    "SELECT i.amount_kg FROM cycle_waste_input i JOIN compost_batch b "
                    "ON b.id = i.batch_id WHERE b.name = 'Y (made on B)'"
                )
            )
        )
    assert statuses == {"X": "active", "Y (made on B)": "planning"}
    assert kgs == [10.0, 20.0, 30.0]
    local = {c.name: c.status for c in b.store.cycles()}
    assert local == {"X": CycleStatus.ACTIVE, "Y (made on B)": CycleStatus.PLANNING}

    b.sync.resolve(conflict.id, "theirs")
    b.sync.sync()
    a.sync.sync()
    assert b.sync.conflicts() == [] and b.sync.waiting() == 0
    assert {c.name for c in a.store.cycles()} == {"X", "Y (made on B)"}
    a_y = next(c for c in a.store.cycles() if c.name == "Y (made on B)")
    assert sorted(i.mass_kg for i in a_y.inputs) == [10.0, 20.0, 30.0]
