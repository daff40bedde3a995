"""Seeded random rounds of edits, crashes and network cuts across three PCs, then invariants.

SYNC_FAULT_ROUNDS sets how many rounds run (CI default below); SYNC_FAULT_SEED the seed.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.domain.lifecycle import CycleStatus, TransitionError
from compost_desktop.domain.validation import ValidationError
from compost_desktop.services.manual_readings import (
    ManualReadingDraft,
    add_manual_reading,
    delete_manual_reading,
    position_of,
)
from compost_desktop.services.store import ActiveCycleConflict, NotFoundError, Store
from compost_desktop.services.values import CycleDraft, InputDraft
from compost_desktop.sync.engine import ServerUnreachable, SyncEngine

pytestmark = pytest.mark.postgres

ROUNDS = int(os.environ.get("SYNC_FAULT_ROUNDS", "60"))
SEED = int(os.environ.get("SYNC_FAULT_SEED", "20261122"))
DEAD_SERVER = "postgresql+psycopg://nobody@127.0.0.1:9/none"
STAGES = (
    "before_server_commit",
    "after_server_commit",
    "readings_before_server_commit",
    "readings_after_server_commit",
    "reading_deletes_before_server_commit",
    "reading_deletes_after_server_commit",
)
HAND_T0 = datetime(2026, 6, 2, tzinfo=UTC)
HAND_NOW = datetime(2026, 12, 1, tzinfo=UTC)


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing catches it by accident."""


@dataclass
class Pc:
    name: str
    store: Store
    sync: SyncEngine
    engine: sa.Engine
    tokens: dict[str, str] = field(default_factory=dict)  # cycle uuid -> last notes saved here
    delivered: set[str] = field(default_factory=set)


def _cycles_by_uuid(pc: Pc) -> dict[str, tuple[int, str | None, CycleStatus]]:
    return {c.uuid: (c.id, c.notes, c.status) for c in pc.store.cycles()}


def _input_markers(engine: sa.Engine) -> list[float]:
    with engine.connect() as conn:
        return sorted(
            float(v) for (v,) in conn.execute(sa.text("SELECT amount_kg FROM cycle_waste_input"))
        )


def _hand_readings(engine: sa.Engine) -> list[tuple[str, float]]:
    """Every hand reading as (position, temperature): each position is used once."""
    with engine.connect() as conn:
        return sorted(
            (position_of(device), float(value))
            for device, value in conn.execute(
                sa.text(
                    "SELECT device_id, value FROM sensor_reading "
                    "WHERE source = 'manual' AND quantity = 'temperature'"
                )
            )
        )


def _hand_spots(engine: sa.Engine) -> list[tuple[int, datetime, str]]:
    with engine.connect() as conn:
        return [
            (int(batch), at, position_of(device))
            for batch, at, device in conn.execute(
                sa.select(
                    sa.column("batch_id", sa.Integer()),
                    sa.column("measured_at", sa.DateTime()),
                    sa.column("device_id", sa.String()),
                )
                .select_from(sa.table("sensor_reading"))
                .where(sa.text("source = 'manual' AND quantity = 'temperature'"))
                .where(sa.text("batch_id IS NOT NULL"))
            )
        ]


def test_random_edits_crashes_and_cuts_keep_every_invariant(tmp_path: Path, pg_url: str) -> None:
    rng = random.Random(SEED)
    server_url = resolve_url(pg_url)
    migrate.upgrade(server_url)
    server = make_engine(server_url)
    dead = make_engine(resolve_url(DEAD_SERVER), connect_args={"connect_timeout": 1})
    pcs: list[Pc] = []
    for n in range(3):
        url = resolve_url(f"sqlite:///{tmp_path / f'pc{n}.db'}")
        migrate.upgrade(url)
        local = make_engine(url)
        pcs.append(Pc(f"pc{n}", Store(local), SyncEngine(local, server, f"pc-{n}"), local))
    added: set[float] = set()
    deleted: set[float] = set()
    hand_added: set[tuple[str, float]] = set()
    hand_deleted: set[tuple[str, float]] = set()
    marker = 0
    stats = {"syncs": 0, "crashes": 0, "cuts": 0, "conflicts": 0, "edits": 0}
    straw_cache: dict[str, int] = {}

    def straw(pc: Pc) -> int:
        if pc.name not in straw_cache:
            found = pc.store.find_material("Straw")
            assert found is not None
            straw_cache[pc.name] = found.id
        return straw_cache[pc.name]

    def edit(pc: Pc) -> None:
        nonlocal marker
        cycles = pc.store.cycles()
        action = rng.choice(
            [
                "create",
                "notes",
                "notes",
                "input",
                "input",
                "delete",
                "activate",
                "complete",
                "reading",
                "reading",
                "unreading",
            ]
        )
        stats["edits"] += 1
        try:
            if action == "create" or not cycles:
                c = pc.store.save_cycle(CycleDraft(f"{pc.name}-{marker}", date(2026, 6, 1)))
                pc.tokens[c.uuid] = ""
                marker += 1
                return
            c = rng.choice(cycles)
            if action == "notes":
                token = f"{pc.name}:{marker}"
                marker += 1
                pc.store.save_cycle(
                    CycleDraft(c.name, c.start_date or date(2026, 6, 1), notes=token), c.id
                )
                pc.tokens[c.uuid] = token
            elif action == "input":
                mass = round(1 + marker / 1000, 3)
                marker += 1
                pc.store.add_input(c.id, InputDraft(straw(pc), mass_kg=mass))
                added.add(mass)
            elif action == "delete" and c.inputs:
                victim = rng.choice(c.inputs)
                pc.store.delete_input(victim.id)
                deleted.add(victim.mass_kg)
            elif action == "reading":
                position = f"{pc.name}-spot-{marker}"
                at = HAND_T0 + timedelta(minutes=marker)
                temperature = float(marker % 90)
                marker += 1
                add_manual_reading(
                    pc.engine,
                    ManualReadingDraft(c.id, at, position, temperature, 50.0),
                    now=HAND_NOW,
                )
                hand_added.add((position, temperature))
            elif action == "unreading":
                spots = _hand_spots(pc.engine)
                if spots:
                    cycle_id, at, position = rng.choice(spots)
                    temperature = dict(_hand_readings(pc.engine))[position]
                    delete_manual_reading(pc.engine, cycle_id, at.replace(tzinfo=UTC), position)
                    hand_deleted.add((position, temperature))
            elif action == "activate":
                pc.store.activate(c.id, switch=rng.random() < 0.5)
            elif action == "complete":
                pc.store.complete(c.id)
        except (ActiveCycleConflict, TransitionError, NotFoundError, ValidationError):
            pass  # what a user would be told; nothing saved

    def sync(pc: Pc, faults: bool) -> None:
        roll = rng.random() if faults else 1.0
        stage = rng.choice(STAGES) if roll < 0.24 else None

        def fault(at: str) -> None:
            if at == stage:
                raise Crash(at)

        engine = SyncEngine(pc.engine, dead if 0.24 <= roll < 0.36 else server, pc.sync.client_id)
        engine.fault = fault
        stats["syncs"] += 1
        try:
            report = engine.sync()
        except Crash:
            stats["crashes"] += 1
            return
        except ServerUnreachable:
            stats["cuts"] += 1
            return
        stats["conflicts"] += report.conflicts
        local = _cycles_by_uuid(pc)
        for cycle_uuid, token in pc.tokens.items():
            if (
                token
                and cycle_uuid in local
                and local[cycle_uuid][1] == token
                and engine.waiting() == 0
            ):
                pc.delivered.add(token)

    for _ in range(ROUNDS):
        for pc in pcs:
            for _ in range(rng.randint(0, 3)):
                edit(pc)
        for pc in rng.sample(pcs, rng.randint(1, 3)):
            sync(pc, faults=True)
        with server.connect() as conn:
            actives = conn.execute(
                sa.text("SELECT count(*) FROM compost_batch WHERE status = 'active'")
            ).scalar_one()
        assert actives <= 1

    for _ in range(3):  # the network is back for good
        for pc in pcs:
            sync(pc, faults=False)

    server_inputs = _input_markers(server)
    assert len(server_inputs) == len(set(server_inputs)), "an input reached the server twice"
    assert set(server_inputs) == added - deleted, "an input was lost or a deleted one came back"
    with server.connect() as conn:
        server_cycles = {
            u: (notes, status)
            for u, notes, status in conn.execute(
                sa.text("SELECT uuid, notes, status FROM compost_batch")
            )
        }
    assert sum(1 for _, s in server_cycles.values() if s == "active") <= 1
    server_hand = _hand_readings(server)
    assert len(server_hand) == len(set(server_hand)), "a hand reading reached the server twice"
    assert set(server_hand) == hand_added - hand_deleted, (
        "a hand reading was lost or a deleted one came back"
    )
    for pc in pcs:
        assert pc.sync.waiting() == 0
        here = {u: (notes, status.value) for u, (_, notes, status) in _cycles_by_uuid(pc).items()}
        assert here == server_cycles, f"{pc.name} did not converge"
        assert _input_markers(pc.engine) == server_inputs
        assert _hand_readings(pc.engine) == server_hand, f"{pc.name}'s readings differ"
        kept = {(c.mine or {}).get("notes") for c in pc.sync.conflicts()}
        for cycle_uuid, token in pc.tokens.items():
            if token:
                assert (
                    token in pc.delivered
                    or token in kept
                    or server_cycles.get(cycle_uuid, (None,))[0] == token
                ), f"{pc.name} lost the edit {token}"
    stats["hand_readings"] = len(server_hand)
    stats["hand_deletes"] = len(hand_deleted)
    print(f"\nsync fault rounds={ROUNDS} seed={SEED} {stats}")
    for pc in pcs:
        pc.engine.dispose()
    server.dispose()
    dead.dispose()
