"""Set-based reads and writes of synced rows: a handful of statements per table and batch.

Everything is driven by the engine's table registry (`ENTITIES`, `FOREIGN`), so a new
synced table needs only its line there. Reads join the parents' uuids in; server writes go
through a temporary table filled by COPY, with the conflict rules decided in one SELECT and
the accepted rows written by one UPDATE … FROM and one INSERT … SELECT; local writes are
one executemany upsert. Whatever a set cannot settle (a constraint the server enforces, an
activation that must yield) falls back to the row-by-row rules, which stay the reference.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Connection, Table, select
from sqlalchemy.dialects import sqlite

from compost_desktop.sync.readings import _driver

if TYPE_CHECKING:
    from compost_desktop.sync.engine import Outcome, Payload

CHUNK = 500  # uuids per IN list (SQLite's variable limit is far above)


def _registry() -> tuple[dict[str, Table], dict[str, dict[str, str]], set[str]]:
    from compost_desktop.sync import engine

    return engine.ENTITIES, engine.FOREIGN, engine.SKIP


def payload_columns(entity: str) -> list[Column[Any]]:
    entities, _foreign, skip = _registry()
    return [c for c in entities[entity].columns if c.name not in skip]


def read_payloads(
    conn: Connection, entity: str, uuids: Iterable[str] | None = None
) -> dict[str, tuple[Payload, int | None]]:
    """Rows as they travel (foreign keys as uuids) with their sync_seq; all when uuids=None."""
    from compost_desktop.sync.engine import _encode

    entities, foreign, _skip = _registry()
    table = entities[entity]
    links = foreign.get(entity, {})
    parents = {col: entities[parent].alias(f"p_{col}") for col, parent in links.items()}
    columns = [
        parents[c.name].c.uuid.label(c.name) if c.name in parents else c
        for c in payload_columns(entity)
    ]
    joined: Any = table
    for col, alias in parents.items():
        joined = joined.outerjoin(alias, alias.c.id == table.c[col])
    query = select(*columns, table.c.sync_seq.label("_seq")).select_from(joined)
    out: dict[str, tuple[Payload, int | None]] = {}
    batches: Iterable[list[str] | None]
    if uuids is None:
        batches = [None]
    else:
        wanted = list(uuids)
        batches = [wanted[i : i + CHUNK] for i in range(0, len(wanted), CHUNK)]
    for batch in batches:
        q = query if batch is None else query.where(table.c.uuid.in_(batch))
        for row in conn.execute(q).mappings().all():
            payload = {k: _encode(v) for k, v in row.items() if k != "_seq"}
            out[payload["uuid"]] = (payload, row["_seq"])
    return out


def _id_maps(conn: Connection, entity: str) -> dict[str, dict[str, int]]:
    entities, foreign, _skip = _registry()
    maps: dict[str, dict[str, int]] = {}
    for parent in set(foreign.get(entity, {}).values()):
        t = entities[parent]
        maps[parent] = {u: i for u, i in conn.execute(select(t.c.uuid, t.c.id))}
    return maps


def write_local(
    conn: Connection, entity: str, rows: list[tuple[Payload, int | None]]
) -> list[tuple[Payload, int | None, str]]:
    """Upsert pulled rows into the local store in one executemany; hand back the rows that
    could not go (a parent missing here), with the reason, for the caller to report."""
    from compost_desktop.sync.engine import DECODERS

    if not rows:
        return []
    entities, foreign, _skip = _registry()
    table = entities[entity]
    links = foreign.get(entity, {})
    maps = _id_maps(conn, entity)
    decoders = DECODERS[entity]
    names = [c.name for c in payload_columns(entity)]
    values = []
    refused = []
    for payload, seq in rows:
        row: dict[str, Any] = {}
        missing = None
        for name in names:
            value = payload.get(name)
            if name in links:
                parent = maps[links[name]].get(value) if value is not None else None
                if value is not None and parent is None:
                    missing = f"{links[name]} {value} is not there"
                row[name] = parent
            else:
                row[name] = decoders[name](value) if name in decoders else value
        if missing:
            refused.append((payload, seq, missing))
            continue
        row["sync_seq"] = seq
        values.append(row)
    if values:
        stmt = sqlite.insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.uuid],
            set_={n: stmt.excluded[n] for n in [*names, "sync_seq"] if n != "uuid"},
        )
        conn.execute(stmt, values)
    return refused


# --- server side ---------------------------------------------------------------------


def _temp_name(entity: str) -> str:
    return f"sync_in_{entity}"


def _create_incoming(conn: Connection, entity: str) -> list[str]:
    """A temporary table shaped like the payload (foreign keys as text uuids)."""
    _entities, foreign, _skip = _registry()
    links = foreign.get(entity, {})
    defs = ["_k integer", "_op text", "_base bigint"]
    names = []
    for c in payload_columns(entity):
        kind = "text" if c.name in links else c.type.compile(dialect=conn.dialect)
        defs.append(f'"{c.name}" {kind}')
        names.append(c.name)
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {_temp_name(entity)} ({', '.join(defs)}) "
        "ON COMMIT DELETE ROWS"
    )
    conn.exec_driver_sql(f"TRUNCATE {_temp_name(entity)}")
    return names


def _comparable(entity: str) -> list[str]:
    from compost_desktop.services import totals

    return [
        c.name
        for c in payload_columns(entity)
        if c.name != "updated_at" and c.name not in totals.DERIVED_CYCLE_COLUMNS
    ]


def apply_on_server_bulk(
    conn: Connection,
    origin: str,
    entity: str,
    groups: list[dict[str, Any]],
    cycles_touched: set[int],
) -> list[Outcome]:
    """Apply one table's share of a push; a database error (a constraint the server
    enforces) makes the caller roll back to its savepoint and apply the rows one by one."""
    from compost_desktop.sync.engine import Outcome, _automatic, read_payload

    entities, foreign, _skip = _registry()
    table = entities[entity]
    links = foreign.get(entity, {})
    names = _create_incoming(conn, entity)
    temp = _temp_name(entity)
    raw = _driver(conn)
    with raw.cursor() as cur:
        quoted = ", ".join(f'"{n}"' for n in names)
        with cur.copy(f"COPY {temp} (_k, _op, _base, {quoted}) FROM STDIN") as copy:
            for k, g in enumerate(groups):
                payload = g["payload"] or {"uuid": g["uuid"]}
                copy.write_row([k, g["op"], g["base"], *(payload.get(n) for n in names)])
        same = " AND ".join(
            f'(s."{n}" IS NOT DISTINCT FROM i."{n}")'
            if n not in links
            else f'(sp_{n}.uuid IS NOT DISTINCT FROM i."{n}")'
            for n in _comparable(entity)
        )
        joins = " ".join(
            f'LEFT JOIN {entities[p].name} sp_{n} ON sp_{n}.id = s."{n}" '
            f'LEFT JOIN {entities[p].name} ip_{n} ON ip_{n}.uuid = i."{n}"'
            for n, p in links.items()
        )
        missing = (
            " OR ".join(f'(i."{n}" IS NOT NULL AND ip_{n}.id IS NULL)' for n in links) or "false"
        )
        which_missing = (
            "CASE "
            + " ".join(
                f"WHEN i.\"{n}\" IS NOT NULL AND ip_{n}.id IS NULL THEN '{p}'"
                for n, p in links.items()
            )
            + " END"
            if links
            else "NULL"
        )
        parent_of_old = (
            's."batch_id"' if entity == "cycle_waste_input" and "batch_id" in links else "NULL"
        )
        cur.execute(
            f"""
            SELECT i._k, s.uuid IS NOT NULL, COALESCE(o.latest, 0) > COALESCE(i._base, 0),
                   {same or "true"}, {missing}, {which_missing}, s.sync_seq, {parent_of_old}
            FROM {temp} i
            LEFT JOIN {table.name} s ON s.uuid = i.uuid
            LEFT JOIN (SELECT l.uuid, max(l.seq) AS latest FROM sync_log l
                       WHERE l.uuid IN (SELECT uuid FROM {temp})
                         AND (l.origin IS NULL OR l.origin <> %s)
                       GROUP BY l.uuid) o ON o.uuid = i.uuid
            {joins}
            ORDER BY i._k
            """,
            (origin,),
        )
        flags = cur.fetchall()
    outcomes: list[Outcome | None] = [None] * len(groups)
    to_update: list[int] = []
    to_insert: list[int] = []
    to_delete: list[int] = []
    for k, exists, newer, equal, missing_parent, parent, seq, old_cycle in flags:
        g = groups[k]
        if g["op"] == "delete":
            if not exists:
                outcomes[k] = Outcome("already")
            elif newer:
                theirs, seq = read_payload(conn, entity, g["uuid"])
                outcomes[k] = Outcome(
                    "conflict", seq, theirs, "changed on another PC while you deleted it"
                )
            else:
                to_delete.append(k)
                if old_cycle is not None:
                    cycles_touched.add(old_cycle)
        elif exists and equal:
            outcomes[k] = Outcome("already", seq)
        elif not exists and newer:
            outcomes[k] = Outcome(
                "conflict", None, None, "deleted on another PC while you changed it", True
            )
        elif exists and newer:
            theirs, seq = read_payload(conn, entity, g["uuid"])
            if _automatic(entity, theirs) and not missing_parent:
                # Only a program touched the server's row (a device seen on the broker):
                # a person's edit here wins without a conflict.
                to_update.append(k)
                if old_cycle is not None:
                    cycles_touched.add(old_cycle)
            elif _automatic(entity, g["payload"]):
                outcomes[k] = Outcome("superseded", seq, theirs)  # ours yields, quietly
            else:
                outcomes[k] = Outcome(
                    "conflict", seq, theirs, "changed on another PC while you changed it"
                )
        elif missing_parent:
            theirs, seq = read_payload(conn, entity, g["uuid"])
            outcomes[k] = Outcome(
                "conflict",
                seq,
                theirs,
                f"it refers to a {parent} deleted on another PC",
            )
        else:
            (to_update if exists else to_insert).append(k)
            if old_cycle is not None:
                cycles_touched.add(old_cycle)
    values = ", ".join(
        f'"{n}" = ip_{n}.id' if n in links else f'"{n}" = i."{n}"' for n in names if n != "uuid"
    )
    source_joins = " ".join(
        f'LEFT JOIN {entities[p].name} ip_{n} ON ip_{n}.uuid = i."{n}"' for n, p in links.items()
    )
    selected = ", ".join(f"ip_{n}.id" if n in links else f'i."{n}"' for n in names)
    quoted = ", ".join(f'"{n}"' for n in names)
    with raw.cursor() as cur:
        if to_delete:
            cur.execute(
                f"DELETE FROM {table.name} t USING {temp} i "
                "WHERE t.uuid = i.uuid AND i._k = ANY(%s)",
                (to_delete,),
            )
        if to_update:
            cur.execute(
                f"UPDATE {table.name} AS t SET {values} FROM {temp} i {source_joins} "
                "WHERE t.uuid = i.uuid AND i._k = ANY(%s)",
                (to_update,),
            )
        if to_insert:
            cur.execute(
                f"INSERT INTO {table.name} ({quoted}) SELECT {selected} FROM {temp} i "
                f"{source_joins} WHERE i._k = ANY(%s)",
                (to_insert,),
            )
        written = to_update + to_insert
        seqs: dict[str, int] = {}
        if written:
            cur.execute(
                f"SELECT t.uuid, t.sync_seq FROM {table.name} t JOIN {temp} i "
                "ON i.uuid = t.uuid WHERE i._k = ANY(%s)",
                (written,),
            )
            seqs = dict(cur.fetchall())
        if entity == "cycle_waste_input" and written:
            cur.execute(
                f"SELECT DISTINCT t.batch_id FROM {table.name} t JOIN {temp} i "
                "ON i.uuid = t.uuid WHERE i._k = ANY(%s) AND t.batch_id IS NOT NULL",
                (written,),
            )
            cycles_touched.update(cid for (cid,) in cur.fetchall())
    for k in to_delete:
        outcomes[k] = Outcome("applied", None)
    for k in written:
        outcomes[k] = Outcome("applied", seqs.get(groups[k]["uuid"]))
    assert all(o is not None for o in outcomes)
    return [o for o in outcomes if o is not None]
