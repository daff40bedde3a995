"""Sync between a PC's local SQLite store and the farm's PostgreSQL.

Push: the outbox (filled by triggers in the same transaction as each change) is grouped by
row, and each row's current local version is sent with the server version it was based
on. The server accepts it unless another PC changed the row since; then the server keeps
its version, and ours is kept in `sync_conflict` for the user to choose. A retried push of
a version the server already holds changes nothing. Pull: the server's change sequence
(`sync_log`, numbered in commit order by a trigger) says which rows changed since the last
pull; their current versions are copied in. Rows travel by uuid: integer ids are local.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid as uuid_module
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast

import psycopg
from sqlalchemy import Connection, Engine, Table, delete, func, insert, select, text, update
from sqlalchemy.exc import (
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    PendingRollbackError,
)

from compost_desktop.db.models import (
    AlarmRecord,
    Cycle,
    FarmSetting,
    Input,
    Material,
    SensorDevice,
    SyncConflict,
    SyncOutbox,
    SyncState,
    Turning,
)
from compost_desktop.db.types import DateOnly, UtcDateTime
from compost_desktop.services import totals
from compost_desktop.sync import bulk
from compost_desktop.sync import readings as readings_module
from compost_desktop.sync.readings import ReadingSync, _driver

log = logging.getLogger(__name__)

# Parents before children, so foreign keys resolve on both sides.
ENTITIES: dict[str, Table] = {
    "compost_materials": Material.__table__,  # type: ignore[dict-item]
    "compost_batch": Cycle.__table__,  # type: ignore[dict-item]
    "cycle_waste_input": Input.__table__,  # type: ignore[dict-item]
    "cycle_turning": Turning.__table__,  # type: ignore[dict-item]
    "alarm_event": AlarmRecord.__table__,  # type: ignore[dict-item]
    "farm_setting": FarmSetting.__table__,  # type: ignore[dict-item]
    "sensor_device": SensorDevice.__table__,  # type: ignore[dict-item]
}
ORDER = {name: i for i, name in enumerate(ENTITIES)}
# column -> referenced entity; values travel as the referenced row's uuid.
FOREIGN: dict[str, dict[str, str]] = {
    "cycle_waste_input": {"batch_id": "compost_batch", "material_id": "compost_materials"},
    "cycle_turning": {"batch_id": "compost_batch"},
    "alarm_event": {"batch_id": "compost_batch"},
}
SKIP = {"id", "sync_seq"}
# Rows a program creates by itself (a device seen on the broker): such a row, untouched by a
# person, never overrides a person's edit and is never worth a conflict.
_AUTOMATIC_FIELDS: dict[str, tuple[str, ...]] = {
    "sensor_device": ("role_confirmed", "name", "position", "timezone", "colour", "ignored"),
}


def _automatic(entity: str, payload: Payload | None) -> bool:
    fields = _AUTOMATIC_FIELDS.get(entity)
    return fields is not None and payload is not None and not any(payload.get(f) for f in fields)


FK_CACHE = "compost_sync_fk_cache"
# One server transaction per 2,000 rows: each batch pays a temp table, a savepoint and a totals
# refresh, so 500-row batches cost a quarter more time (bench_sync) for no gain in progress.
PUSH_BATCH = 2000
PULL_BATCH = 2000
READING_BATCH = 5000

Payload = dict[str, Any]
Progress = Callable[[str, int, int], None]


class SyncCancelled(Exception):
    pass


class ServerUnreachable(RuntimeError):
    pass


@dataclass
class SyncReport:
    pushed: int = 0
    already: int = 0
    conflicts: int = 0
    pulled: int = 0
    readings_pushed: int = 0
    readings_pulled: int = 0
    readings_refused: int = 0
    waiting: int = 0
    open_conflicts: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ConflictRecord:
    id: int
    entity: str
    uuid: str
    reason: str
    mine: Payload | None
    theirs: Payload | None
    detected_at: datetime


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _decoder(table: Table) -> dict[str, Callable[[Any], Any]]:
    decoders: dict[str, Callable[[Any], Any]] = {}
    for column in table.columns:
        if isinstance(column.type, UtcDateTime):
            decoders[column.name] = lambda v: None if v is None else datetime.fromisoformat(v)
        elif isinstance(column.type, DateOnly):
            decoders[column.name] = lambda v: None if v is None else date.fromisoformat(v[:10])
    return decoders


DECODERS = {name: _decoder(table) for name, table in ENTITIES.items()}


def canonical(payload: Payload | None) -> str:
    return json.dumps(payload, sort_keys=True, default=str)


def _uuid_of(conn: Connection, entity: str, row_id: int | None) -> str | None:
    if row_id is None:
        return None
    cache = conn.info.get(FK_CACHE)
    if cache is not None and (entity, row_id) in cache:
        return cast(str | None, cache[(entity, row_id)])
    table = ENTITIES[entity]
    found = conn.execute(select(table.c.uuid).where(table.c.id == row_id)).scalar()
    if cache is not None and found is not None:
        cache[(entity, row_id)] = found
        cache[(entity, found)] = row_id
    return found


def _id_of(conn: Connection, entity: str, row_uuid: str | None) -> int | None:
    if row_uuid is None:
        return None
    cache = conn.info.get(FK_CACHE)
    if cache is not None and (entity, row_uuid) in cache:
        return cast(int | None, cache[(entity, row_uuid)])
    table = ENTITIES[entity]
    found = conn.execute(select(table.c.id).where(table.c.uuid == row_uuid)).scalar()
    if cache is not None and found is not None:
        cache[(entity, row_uuid)] = found
        cache[(entity, found)] = row_uuid
    return found


@contextmanager
def fk_cache(conn: Connection) -> Iterator[None]:
    """Parent id↔uuid lookups remembered for one batch: most inputs share a few cycles."""
    conn.info[FK_CACHE] = {}
    try:
        yield
    finally:
        conn.info.pop(FK_CACHE, None)


def _forget(conn: Connection, entity: str, row_uuid: str) -> None:
    cache = conn.info.get(FK_CACHE)
    if cache is not None:
        row_id = cache.pop((entity, row_uuid), None)
        cache.pop((entity, row_id), None)


def read_payload(conn: Connection, entity: str, row_uuid: str) -> tuple[Payload | None, int | None]:
    """The row as it travels: column values, foreign keys as uuids; and its sync_seq."""
    table = ENTITIES[entity]
    row = conn.execute(select(table).where(table.c.uuid == row_uuid)).mappings().first()
    if row is None:
        return None, None
    foreign = FOREIGN.get(entity, {})
    payload: Payload = {}
    for name, value in row.items():
        if name in SKIP:
            continue
        if name in foreign:
            payload[name] = _uuid_of(conn, foreign[name], value)
        else:
            payload[name] = _encode(value)
    return payload, row["sync_seq"]


class MissingParent(Exception):
    def __init__(self, entity: str, row_uuid: str) -> None:
        super().__init__(f"{entity} {row_uuid} is not there")
        self.entity = entity
        self.row_uuid = row_uuid


def write_payload(conn: Connection, entity: str, payload: Payload, seq: int | None = None) -> None:
    """Insert or update the row with this uuid from a payload; foreign uuids become ids."""
    table = ENTITIES[entity]
    values: dict[str, Any] = {}
    decoders = DECODERS[entity]
    foreign = FOREIGN.get(entity, {})
    for name, value in payload.items():
        if name not in table.c:
            continue  # a newer PC may send columns this version does not know
        if name in foreign:
            parent = _id_of(conn, foreign[name], value)
            if value is not None and parent is None:
                raise MissingParent(foreign[name], value)
            values[name] = parent
        else:
            values[name] = decoders[name](value) if name in decoders else value
    if seq is not None:
        values["sync_seq"] = seq
    existing = conn.execute(select(table.c.id).where(table.c.uuid == payload["uuid"])).scalar()
    if existing is None:
        conn.execute(insert(table).values(**values))
    else:
        conn.execute(update(table).where(table.c.id == existing).values(**values))


# --- server side ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: str  # "applied", "already", "conflict", "superseded"
    seq: int | None = None
    theirs: Payload | None = None
    reason: str = ""
    server_deleted: bool = False


def apply_on_server(
    conn: Connection,
    origin: str,
    entity: str,
    row_uuid: str,
    op: str,
    mine: Payload | None,
    base: int | None,
    others_latest: int | None = None,
    deferred_totals: set[int] | None = None,
) -> Outcome:
    """Apply one row's change inside the caller's transaction (its own savepoint).

    `others_latest` is the newest change number other origins made to this row (looked up
    for a whole batch at once); `deferred_totals` collects cycles whose totals the caller
    recomputes once at the end of the batch.
    """
    theirs, seq = read_payload(conn, entity, row_uuid)
    if others_latest is None:
        others_latest = _others_latest(conn, origin, [row_uuid]).get(row_uuid)
    newer_by_others = (others_latest or 0) > (base or 0)
    if op == "delete":
        if theirs is None:
            return Outcome("already")
        if newer_by_others:
            return Outcome("conflict", seq, theirs, "changed on another PC while you deleted it")
    else:
        assert mine is not None
        if theirs is not None and canonical(_comparable(theirs)) == canonical(_comparable(mine)):
            return Outcome("already", seq)
        if theirs is None and newer_by_others:
            # Someone else deleted it (a re-sent insert must not bring it back).
            return Outcome(
                "conflict", None, None, "deleted on another PC while you changed it", True
            )
        if theirs is not None and newer_by_others and _automatic(entity, theirs):
            newer_by_others = False  # nothing a person did is overwritten
        elif theirs is not None and newer_by_others and _automatic(entity, mine):
            return Outcome("superseded", seq, theirs)
        if theirs is not None and newer_by_others:
            return Outcome("conflict", seq, theirs, "changed on another PC while you changed it")
    savepoint = conn.begin_nested()
    try:
        if op == "delete":
            table = ENTITIES[entity]
            conn.execute(delete(table).where(table.c.uuid == row_uuid))
            _forget(conn, entity, row_uuid)
            _refresh_parent_totals(conn, entity, theirs, deferred_totals)
        else:
            assert mine is not None
            write_payload(conn, entity, mine)
            _refresh_parent_totals(conn, entity, mine, deferred_totals)
        savepoint.commit()
    except MissingParent as exc:
        savepoint.rollback()
        return Outcome(
            "conflict", seq, theirs, f"it refers to a {exc.entity} deleted on another PC"
        )
    except (IntegrityError, DataError) as exc:
        savepoint.rollback()
        reason = _constraint_reason(entity, exc)
        if entity == "compost_batch" and theirs is None and mine and "one_active" in str(exc.orig):
            # A cycle made and activated on a PC while another was activated elsewhere: the
            # server takes it as planned, so it and its inputs are on the farm's record; the
            # activation waits as a conflict for the user to keep (a switch) or drop.
            return _as_planned(conn, row_uuid, mine, reason, deferred_totals)
        return Outcome("conflict", seq, theirs, reason)
    table = ENTITIES[entity]
    new_seq = conn.execute(select(table.c.sync_seq).where(table.c.uuid == row_uuid)).scalar()
    return Outcome("applied", new_seq)


def _as_planned(
    conn: Connection, row_uuid: str, mine: Payload, reason: str, deferred: set[int] | None
) -> Outcome:
    planned = {**mine, "status": "planning", "activated_at": None, "completed_at": None}
    savepoint = conn.begin_nested()
    try:
        write_payload(conn, "compost_batch", planned)
        savepoint.commit()
    except (IntegrityError, DataError, MissingParent):
        savepoint.rollback()
        return Outcome("conflict", None, None, reason)
    theirs, seq = read_payload(conn, "compost_batch", row_uuid)
    return Outcome("conflict", seq, theirs, reason)


def _others_latest(conn: Connection, origin: str, uuids: list[str]) -> dict[str, int]:
    """Per row, the newest change number made by anyone but `origin` (the old system too)."""
    if not uuids:
        return {}
    rows = conn.execute(
        text(
            "SELECT uuid, max(seq) FROM sync_log WHERE uuid = ANY(:u) "
            "AND (origin IS NULL OR origin <> :me) GROUP BY uuid"
        ),
        {"u": uuids, "me": origin},
    ).all()
    return {row_uuid: seq for row_uuid, seq in rows}


def _comparable(payload: Payload) -> Payload:
    # Derived totals and the save time differ per side without anyone having changed the row.
    return {
        k: v
        for k, v in payload.items()
        if k != "updated_at" and k not in totals.DERIVED_CYCLE_COLUMNS
    }


def _refresh_parent_totals(
    conn: Connection, entity: str, payload: Payload | None, deferred: set[int] | None = None
) -> None:
    """After an input arrives or leaves, its cycle's totals follow, on either side."""
    if entity == "cycle_waste_input" and payload and payload.get("batch_id"):
        cycle_id = _id_of(conn, "compost_batch", payload["batch_id"])
        if cycle_id is None:
            return
        if deferred is None:
            totals.refresh(conn, cycle_id)
        else:
            deferred.add(cycle_id)


def _constraint_reason(entity: str, exc: IntegrityError | DataError) -> str:
    text_ = str(exc.orig)
    if "one_active" in text_:
        return "another cycle was made active on another PC; the server keeps that one active"
    if "compost_materials_name" in text_ or ("name" in text_ and entity == "compost_materials"):
        return "another PC added a material with the same name"
    if "foreign key" in text_.lower():
        return "it is still used by other records on the server"
    return f"the server refused it: {text_.splitlines()[0]}"


# --- client side ---------------------------------------------------------------------


class SyncEngine:
    """One PC's sync with the server; safe to interrupt at any point and run again."""

    def __init__(self, local: Engine, server: Engine, client_id: str | None = None) -> None:
        self.local = local
        self.server = server
        self.client_id = client_id or self._client_id()
        self._lock = threading.Lock()
        # Test hook: called with a stage name; raising there simulates a crash at that point.
        self.fault: Callable[[str], None] = lambda _stage: None

    def _client_id(self) -> str:
        with self.local.begin() as conn:
            value = conn.execute(
                select(SyncState.value).where(SyncState.key == "client_id")
            ).scalar()
            if value is None:
                value = f"pc-{uuid_module.uuid4()}"
                conn.execute(insert(SyncState).values(key="client_id", value=value))
            return value

    # --- status ---

    def waiting(self) -> int:
        return waiting_changes(self.local)

    def conflicts(self) -> list[ConflictRecord]:
        with self.local.connect() as conn:
            rows = (
                conn.execute(
                    select(SyncConflict)
                    .where(SyncConflict.resolved_at.is_(None))
                    .order_by(SyncConflict.id)
                )
                .mappings()
                .all()
            )
        return [
            ConflictRecord(
                r["id"],
                r["entity"],
                r["uuid"],
                r["reason"],
                json.loads(r["mine"]) if r["mine"] else None,
                json.loads(r["theirs"]) if r["theirs"] else None,
                r["detected_at"],
            )
            for r in rows
        ]

    # --- the round ---

    def sync(
        self, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> SyncReport:
        """Push, then pull; raises ServerUnreachable when the server cannot be reached."""
        report = SyncReport()
        readings = ReadingSync(self.local, self.server, self.client_id, self.fault)

        def check() -> None:
            self._check(cancel)

        with self._lock:
            try:
                self._initial_pull(report, progress, cancel)
                self._push(report, progress, cancel)
                readings.push_deletes(check)
                report.readings_pushed, report.readings_refused = readings.push(check, progress)
                self._pull(report, progress, cancel)
                report.readings_pulled = readings.pull(check, progress)
            except (OperationalError, InterfaceError, PendingRollbackError) as exc:
                if _is_local(exc):
                    raise
                raise ServerUnreachable(_unreachable(exc)) from exc
            except psycopg.OperationalError as exc:  # from the readings' raw COPY
                raise ServerUnreachable(_unreachable(exc)) from exc
        report.waiting = self.waiting()
        report.open_conflicts = len(self.conflicts())
        return report

    def _check(self, cancel: threading.Event | None) -> None:
        if cancel is not None and cancel.is_set():
            raise SyncCancelled()

    def _server_tx(self) -> Any:
        conn = self.server.connect()
        tx = conn.begin()
        conn.execute(text("SELECT set_config('compost.origin', :o, true)"), {"o": self.client_id})
        return conn, tx

    def _push(
        self, report: SyncReport, progress: Progress | None, cancel: threading.Event | None
    ) -> None:
        while True:
            self._check(cancel)
            groups = self._outbox_groups()
            if not groups:
                return
            total = len(groups)
            for start in range(0, total, PUSH_BATCH):
                self._check(cancel)
                batch = groups[start : start + PUSH_BATCH]
                results = self._push_batch(batch)
                self.fault("after_server_commit")
                self._acknowledge(batch, results, report)
                if progress:
                    progress("push", min(start + PUSH_BATCH, total), total)
            # Anything edited during the push is picked up by the next loop.

    def _outbox_groups(self) -> list[dict[str, Any]]:
        with self.local.connect() as conn:
            rows = conn.execute(select(SyncOutbox).order_by(SyncOutbox.id)).mappings().all()
            groups: dict[tuple[str, str], dict[str, Any]] = {}
            for r in rows:
                key = (r["entity"], r["uuid"])
                g = groups.setdefault(
                    key, {"entity": r["entity"], "uuid": r["uuid"], "first": r["id"], "bases": []}
                )
                g["last"] = r["id"]
                g["bases"].append(r["base_seq"])
            for entity in ENTITIES:
                mine = [g for g in groups.values() if g["entity"] == entity]
                found = bulk.read_payloads(conn, entity, [g["uuid"] for g in mine]) if mine else {}
                for g in mine:
                    payload, seq = found.get(g["uuid"], (None, None))
                    g["op"] = "delete" if payload is None else "upsert"
                    g["payload"] = payload
                    known = [b for b in [*g["bases"], seq] if b is not None]
                    g["base"] = max(known) if known else None
        # Parents first, then in the order the changes were made.
        return sorted(groups.values(), key=lambda g: (ORDER[g["entity"]], g["first"]))

    def _push_batch(self, batch: list[dict[str, Any]]) -> list[Outcome]:
        """One server transaction: per table a set-based apply, or row by row when a
        constraint (one active cycle, a name taken, a row still used) needs its rules."""
        conn, tx = self._server_tx()
        try:
            results: dict[int, Outcome] = {}
            cycles_touched: set[int] = set()
            with fk_cache(conn):
                for entity in ENTITIES:
                    index = [i for i, g in enumerate(batch) if g["entity"] == entity]
                    if not index:
                        continue
                    groups = [batch[i] for i in index]
                    touched: set[int] = set()
                    savepoint = conn.begin_nested()
                    try:
                        outcomes = bulk.apply_on_server_bulk(
                            conn, self.client_id, entity, groups, touched
                        )
                        savepoint.commit()
                    except (psycopg.IntegrityError, psycopg.DataError, IntegrityError, DataError):
                        savepoint.rollback()
                        touched = set()
                        others = _others_latest(conn, self.client_id, [g["uuid"] for g in groups])
                        outcomes = [
                            apply_on_server(
                                conn,
                                self.client_id,
                                g["entity"],
                                g["uuid"],
                                g["op"],
                                g["payload"],
                                g["base"],
                                others.get(g["uuid"], 0),
                                touched,
                            )
                            for g in groups
                        ]
                    cycles_touched |= touched
                    results.update(zip(index, outcomes, strict=True))
                # Once per cycle, not per input: one new version of each cycle per batch.
                totals.refresh_many(conn, cycles_touched)
            self.fault("before_server_commit")
            tx.commit()
            return [results[i] for i in range(len(batch))]
        except BaseException:
            tx.rollback()
            raise
        finally:
            conn.close()

    def _acknowledge(
        self, batch: list[dict[str, Any]], results: list[Outcome], report: SyncReport
    ) -> None:
        seqs: dict[str, list[tuple[int, str]]] = {}
        done: list[tuple[str, int]] = []
        with self.local.begin() as conn:
            _applying(conn, True)
            for g, outcome in zip(batch, results, strict=True):
                if outcome.kind == "conflict":
                    self._record_conflict(
                        conn, g["entity"], g["uuid"], outcome.reason, g["payload"], outcome.theirs
                    )
                    # The server's version wins locally too; ours waits in sync_conflict. A row
                    # the server never had (refused on a constraint) stays until resolved.
                    if outcome.server_deleted:
                        self._delete_local(conn, g["entity"], g["uuid"])
                    elif outcome.theirs is not None:
                        self._write_local(conn, g["entity"], outcome.theirs, outcome.seq)
                    report.conflicts += 1
                elif outcome.kind == "superseded" and outcome.theirs is not None:
                    # Our automatic row yields to the server's edited one, quietly.
                    self._write_local(conn, g["entity"], outcome.theirs, outcome.seq)
                    report.already += 1
                else:
                    if outcome.seq is not None:
                        seqs.setdefault(g["entity"], []).append((outcome.seq, g["uuid"]))
                    if outcome.kind == "applied":
                        report.pushed += 1
                    else:
                        report.already += 1
                done.append((g["uuid"], g["last"]))
            raw = _driver(conn)
            for entity, pairs in seqs.items():
                raw.executemany(
                    f"UPDATE {ENTITIES[entity].name} SET sync_seq = ? WHERE uuid = ?", pairs
                )
            raw.executemany("DELETE FROM sync_outbox WHERE uuid = ? AND id <= ?", done)
            _applying(conn, False)

    def _initial_pull(
        self, report: SyncReport, progress: Progress | None, cancel: threading.Event | None
    ) -> None:
        """First contact: copy every server row (old rows predate the change log)."""
        with self.local.connect() as conn:
            if self._state(conn, "pulled_seq") is not None:
                return
        with self.server.connect() as sconn, sconn.begin():
            sconn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            top = sconn.execute(text("SELECT coalesce(max(seq), 0) FROM sync_log")).scalar_one()
            snapshot = {entity: bulk.read_payloads(sconn, entity) for entity in ENTITIES}
        total = sum(len(rows) for rows in snapshot.values())
        with self.local.begin() as conn, fk_cache(conn):
            _applying(conn, True)
            pending = set(conn.execute(select(SyncOutbox.uuid)).scalars())
            cycles_touched: set[int] = set()
            done = 0
            for entity, rows in snapshot.items():
                wanted = [(p, seq) for u, (p, seq) in rows.items() if u not in pending]
                self._write_many(conn, entity, wanted, report, cycles_touched)
                done += len(rows)
                if progress:
                    progress("pull", done, total)
            # The server's cycles carry the totals the server computed from these same
            # inputs: recomputing them here could only make this PC disagree with it.
            self._set_state(conn, "pulled_seq", str(top))
            _applying(conn, False)
        report.pulled += total

    def _write_many(
        self,
        conn: Connection,
        entity: str,
        rows: list[tuple[Payload, int | None]],
        report: SyncReport,
        cycles_touched: set[int],
    ) -> int:
        """Write pulled rows of one table: most in one executemany; a library material
        (matched by name) and an activation (which may make a local one yield) one by one."""
        special = [
            r
            for r in rows
            if entity == "compost_materials"
            or (entity == "compost_batch" and r[0].get("status") == "active")
        ]
        plain = [r for r in rows if r not in special] if special else rows
        written = 0
        failed: list[tuple[Payload, int | None, str]] = []
        savepoint = conn.begin_nested()
        try:
            failed = bulk.write_local(conn, entity, plain)
            savepoint.commit()
            written += len(plain) - len(failed)
        except IntegrityError:
            savepoint.rollback()
            special = rows  # a local constraint: settle each row on its own
        for payload, seq in special:
            row_savepoint = conn.begin_nested()
            try:
                self._write_local(conn, entity, payload, seq, cycles_touched)
                row_savepoint.commit()
                written += 1
            except (IntegrityError, MissingParent) as exc:
                row_savepoint.rollback()
                failed.append((payload, seq, str(exc)))
        for payload, _seq, reason in failed:
            log.warning(
                "Could not apply %s %s from the server: %s", entity, payload["uuid"], reason
            )
            report.errors.append(f"{entity} {payload['uuid']}: {reason}")
        if entity == "cycle_waste_input" and plain:
            cycle_uuids = sorted({str(p["batch_id"]) for p, _ in plain if p.get("batch_id")})
            for start in range(0, len(cycle_uuids), 500):
                cycles_touched.update(
                    conn.execute(
                        select(Cycle.id).where(Cycle.uuid.in_(cycle_uuids[start : start + 500]))
                    ).scalars()
                )
        return written

    def _pull(
        self, report: SyncReport, progress: Progress | None, cancel: threading.Event | None
    ) -> None:
        while True:
            self._check(cancel)
            with self.local.connect() as conn:
                since = self._state_int(conn, "pulled_seq")
            with self.server.connect() as sconn:
                changes = (
                    sconn.execute(
                        text(
                            "SELECT seq, entity, uuid, op, origin FROM sync_log WHERE seq > :s "
                            "ORDER BY seq LIMIT :n"
                        ),
                        {"s": since, "n": PULL_BATCH},
                    )
                    .mappings()
                    .all()
                )
                if not changes:
                    return
                latest: dict[str, Any] = {}
                for c in changes:
                    if c["entity"] in ENTITIES:
                        latest[c["uuid"]] = c
                # Skip what this PC already holds (its own pushes come back here) before
                # fetching anything: most of a busy PC's pull is its own changes.
                latest = self._not_yet_held(latest)
                fetched: dict[str, tuple[Payload, int | None]] = {}
                for entity in ENTITIES:
                    uuids = [u for u, c in latest.items() if c["entity"] == entity]
                    if uuids:
                        fetched.update(bulk.read_payloads(sconn, entity, uuids))
            top = changes[-1]["seq"]
            with self.local.begin() as conn, fk_cache(conn):
                _applying(conn, True)
                pending = set(conn.execute(select(SyncOutbox.uuid)).scalars())
                cycles_touched: set[int] = set()
                for entity in ENTITIES:
                    mine = sorted(
                        (
                            c
                            for c in latest.values()
                            if c["entity"] == entity and c["uuid"] not in pending
                        ),
                        key=lambda c: c["seq"],
                    )
                    # A row deleted since it was numbered: gone here too.
                    for c in (c for c in mine if c["uuid"] not in fetched):
                        savepoint = conn.begin_nested()
                        try:
                            self._delete_local(conn, entity, c["uuid"])
                            savepoint.commit()
                            report.pulled += 1
                        except IntegrityError as exc:
                            savepoint.rollback()
                            log.warning("Could not delete %s %s: %s", entity, c["uuid"], exc)
                            report.errors.append(f"{entity} {c['uuid']}: {exc}")
                    # The current version, numbered with the change that made it.
                    rows = [
                        (fetched[c["uuid"]][0], fetched[c["uuid"]][1] or c["seq"])
                        for c in mine
                        if c["uuid"] in fetched
                    ]
                    report.pulled += self._write_many(conn, entity, rows, report, cycles_touched)
                totals.refresh_many(conn, cycles_touched)
                self._set_state(conn, "pulled_seq", str(top))
                _applying(conn, False)
            if progress:
                progress("pull", len(changes), len(changes))

    # --- conflicts ---

    def resolve(self, conflict_id: int, choice: str, merged: Payload | None = None) -> None:
        """`theirs` keeps the server's version; `mine` or a field-wise `merged` one replaces it."""
        with self.local.begin() as conn:
            row = (
                conn.execute(select(SyncConflict).where(SyncConflict.id == conflict_id))
                .mappings()
                .one()
            )
            entity = row["entity"]
            if choice in ("mine", "merge"):
                payload = merged if choice == "merge" else json.loads(row["mine"] or "null")
                if payload is None:  # my version was a deletion
                    table = ENTITIES[entity]
                    conn.execute(delete(table).where(table.c.uuid == row["uuid"]))
                else:
                    if entity == "compost_batch" and payload.get("status") == "active":
                        # Keeping my activation is a switch: the other active cycle completes.
                        conn.execute(
                            update(Cycle)
                            .where(Cycle.status == "active", Cycle.uuid != row["uuid"])
                            .values(status="completed", completed_at=datetime.now(UTC))
                        )
                    write_payload(conn, entity, payload)
            elif choice != "theirs":
                raise ValueError(f"unknown choice {choice!r}")
            conn.execute(
                update(SyncConflict)
                .where(SyncConflict.id == conflict_id)
                .values(resolved_at=datetime.now(UTC), resolution=choice)
            )

    # --- state ---

    def _state(self, conn: Connection, key: str) -> str | None:
        return conn.execute(select(SyncState.value).where(SyncState.key == key)).scalar()

    def _state_int(self, conn: Connection, key: str) -> int:
        return int(self._state(conn, key) or 0)

    def _set_state(self, conn: Connection, key: str, value: str) -> None:
        if (
            conn.execute(update(SyncState).where(SyncState.key == key).values(value=value)).rowcount
            == 0
        ):
            conn.execute(insert(SyncState).values(key=key, value=value))

    def _yield_local_activation(self, conn: Connection, winner_uuid: str) -> None:
        """The server's active cycle wins; a cycle activated here meanwhile becomes a conflict.

        The local one goes back to planning and its unpushed version is kept in
        sync_conflict, so the user sees it and can keep it (which makes it a switch).
        """
        table = ENTITIES["compost_batch"]
        loser = conn.execute(
            select(table.c.uuid).where(table.c.status == "active", table.c.uuid != winner_uuid)
        ).scalar()
        if loser is None:
            return
        mine, _ = read_payload(conn, "compost_batch", loser)
        self._record_conflict(
            conn,
            "compost_batch",
            loser,
            "another cycle was made active on another PC; the server keeps that one active",
            mine,
            None,
        )
        conn.execute(delete(SyncOutbox).where(SyncOutbox.uuid == loser))
        conn.execute(update(table).where(table.c.uuid == loser).values(status="planning"))

    def _not_yet_held(self, latest: dict[str, Any]) -> dict[str, Any]:
        with self.local.connect() as conn:
            held: dict[str, int | None] = {}
            for entity, table in ENTITIES.items():
                uuids = [u for u, c in latest.items() if c["entity"] == entity]
                for start in range(0, len(uuids), 500):
                    rows = conn.execute(
                        select(table.c.uuid, table.c.sync_seq).where(
                            table.c.uuid.in_(uuids[start : start + 500])
                        )
                    ).all()
                    held.update((row_uuid, seq) for row_uuid, seq in rows)
        return {
            u: c for u, c in latest.items() if c["op"] == "delete" or (held.get(u) or -1) < c["seq"]
        }

    def _delete_local(self, conn: Connection, entity: str, row_uuid: str) -> None:
        before, _ = read_payload(conn, entity, row_uuid)
        table = ENTITIES[entity]
        conn.execute(delete(table).where(table.c.uuid == row_uuid))
        _forget(conn, entity, row_uuid)
        _refresh_parent_totals(conn, entity, before)

    def _write_local(
        self,
        conn: Connection,
        entity: str,
        payload: Payload,
        seq: int | None,
        deferred_totals: set[int] | None = None,
    ) -> None:
        if entity == "compost_batch" and payload.get("status") == "active":
            self._yield_local_activation(conn, payload["uuid"])
        if entity == "compost_materials":
            self._merge_material(conn, payload)
        write_payload(conn, entity, payload, seq)
        _refresh_parent_totals(conn, entity, payload, deferred_totals)

    def _merge_material(self, conn: Connection, theirs: Payload) -> None:
        """A library material of the same name but another identity (each side seeded its
        defaults, or both added one): it becomes the server's row here. While neither side
        edited it, that is all; otherwise this PC's version waits as a conflict."""
        table = ENTITIES["compost_materials"]
        if conn.execute(select(table.c.id).where(table.c.uuid == theirs["uuid"])).scalar():
            return
        twin = conn.execute(
            select(table.c.uuid).where(func.lower(table.c.name) == str(theirs["name"]).lower())
        ).scalar()
        if twin is None:
            return
        mine, _ = read_payload(conn, "compost_materials", twin)
        assert mine is not None
        edited_here = self._pending(conn, twin) or not is_default_material(mine)
        same = _material_values(mine) == _material_values(theirs)
        conn.execute(update(table).where(table.c.uuid == twin).values(uuid=theirs["uuid"]))
        conn.execute(delete(SyncOutbox).where(SyncOutbox.uuid == twin))
        _forget(conn, "compost_materials", twin)
        if same or (not edited_here and is_default_material(theirs)):
            return
        kept = {**mine, "uuid": theirs["uuid"]}
        reason = (
            "the server has its own version of this library material (matched by name); "
            "choose which values to keep"
        )
        self._record_conflict(conn, "compost_materials", theirs["uuid"], reason, kept, theirs)

    def _record_conflict(
        self,
        conn: Connection,
        entity: str,
        row_uuid: str,
        reason: str,
        mine: Payload | None,
        theirs: Payload | None,
    ) -> None:
        """Once per row: a conflict already open for it is brought up to date instead."""
        open_id = conn.execute(
            select(SyncConflict.id).where(
                SyncConflict.uuid == row_uuid, SyncConflict.resolved_at.is_(None)
            )
        ).scalar()
        values = {
            "reason": reason,
            "mine": None if mine is None else canonical(mine),
            "theirs": None if theirs is None else canonical(theirs),
            "detected_at": datetime.now(UTC),
        }
        if open_id is None:
            conn.execute(insert(SyncConflict).values(entity=entity, uuid=row_uuid, **values))
        else:
            conn.execute(update(SyncConflict).where(SyncConflict.id == open_id).values(**values))

    def _pending(self, conn: Connection, row_uuid: str) -> bool:
        return (
            conn.execute(select(SyncOutbox.id).where(SyncOutbox.uuid == row_uuid).limit(1)).first()
            is not None
        )


def waiting_changes(local: Engine) -> int:
    """Rows changed here and readings recorded here that the server has not accepted yet."""
    with local.connect() as conn:
        changes = conn.execute(select(func.count(func.distinct(SyncOutbox.uuid)))).scalar_one()
        return int(changes) + readings_module.unsent(conn)


_MATERIAL_VALUES = (
    "material_type",
    "carbon_nitrogen_ratio",
    "nitrogen_pct",
    "moisture_pct",
    "density_kg_per_liter",
)


def _material_values(payload: Payload) -> tuple[Any, ...]:
    def norm(v: Any) -> Any:
        return round(float(v), 6) if isinstance(v, int | float) else v

    return (str(payload.get("name", "")).lower(), *(norm(payload.get(k)) for k in _MATERIAL_VALUES))


def is_default_material(payload: Payload) -> bool:
    """Still exactly the shipped default of that name (nobody has edited it)."""
    from compost_desktop.domain.defaults import DEFAULT_MATERIALS

    for d in DEFAULT_MATERIALS:
        if d.name.lower() == str(payload.get("name", "")).lower():
            shipped = {
                "name": d.name,
                "material_type": str(d.kind.value),
                "carbon_nitrogen_ratio": d.cn_ratio,
                "nitrogen_pct": d.nitrogen_pct,
                "moisture_pct": d.moisture_pct,
                "density_kg_per_liter": d.density_kg_per_l,
            }
            return _material_values(shipped) == _material_values(payload)
    return False


def _is_local(exc: Exception) -> bool:
    """An error of this PC's SQLite store is not the server being away."""
    orig = getattr(exc, "orig", None)
    return type(orig).__module__.startswith("sqlite3") or "sqlite" in str(exc).lower()[:200]


def _unreachable(exc: BaseException) -> str:
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = detail[0] if detail else type(exc).__name__
    return f"server unreachable: {first}"


def _applying(conn: Connection, on: bool) -> None:
    """Changes written by the sync itself must not go back into the outbox."""
    if on:
        conn.execute(delete(SyncState).where(SyncState.key == "applying"))
        conn.execute(insert(SyncState).values(key="applying", value="1"))
    else:
        conn.execute(delete(SyncState).where(SyncState.key == "applying"))
