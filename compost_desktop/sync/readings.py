"""Readings both ways, set-based: COPY up, one INSERT … ON CONFLICT; a streamed pull down.

Up: the PC's readings not on the server yet (``sync_seq IS NULL``) go in batches through
COPY into a temporary table and one ``INSERT … SELECT … ON CONFLICT`` keyed by device,
quantity and measured time, so a re-sent batch or a reading two PCs recorded is stored
once. A reading the server refuses for its content (too long an id, a NUL) is split out and
kept in ``sync_rejected`` with the reason, never retried forever, so it cannot stop a PC's
sync. Deleted sent readings go up as tombstones.

Down: every reading and tombstone numbered above this PC's watermark, in the server's
order, streamed by a server-side cursor and written in chunks with the driver's
executemany; the active cycle's readings first, so its screens are right within seconds.

Local ``sync_seq``: NULL not sent, -1 refused by the server, 0 sent (number unknown), else
the server's number of the version this PC holds.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, String

from compost_desktop.db.models import SensorReading

log = logging.getLogger(__name__)

PUSH_BATCH = 5_000
PULL_CHUNK = 5_000
SENT_UNKNOWN = 0
REFUSED = -1
PRIORITY_STAGE = "receiving the active cycle's readings"
PULL_STAGE = "receiving readings"
PUSH_STAGE = "readings"

Progress = Callable[[str, int, int], None]
Check = Callable[[], None]

_table: Any = SensorReading.__table__
LIMITS = {
    c.name: c.type.length
    for c in _table.columns
    if isinstance(c.type, String) and c.type.length is not None
}
_SQLITE_TEXT_TIME = "YYYY-MM-DD HH24:MI:SS.US"  # how SQLAlchemy stores UtcDateTime in SQLite

# Local unsent readings with their cycle's uuid (ids are per PC).
_UNSENT = """
SELECT r.id, b.uuid, r.device_id, r.quantity, r.value, r.measured_at, r.received_at,
       r.source, r.notes
FROM sensor_reading r LEFT JOIN compost_batch b ON b.id = r.batch_id
WHERE r.sync_seq IS NULL AND r.id > ? ORDER BY r.id LIMIT ?
"""
_INCOMING = """
CREATE TEMP TABLE IF NOT EXISTS sync_reading_in (
    k bigint, batch_uuid text, device_id text, quantity text, value float8,
    measured_at timestamptz, received_at timestamptz, source text, notes text
) ON COMMIT DELETE ROWS
"""
# The server's attribution to a cycle wins; a PC only fills one that is missing.
_UPSERT = """
INSERT INTO sensor_reading AS r (batch_id, device_id, quantity, value, measured_at,
                                 received_at, source, notes)
SELECT b.id, i.device_id, i.quantity, i.value, i.measured_at, i.received_at,
       COALESCE(i.source, 'mqtt'), i.notes
FROM sync_reading_in i LEFT JOIN compost_batch b ON b.uuid = i.batch_uuid
ON CONFLICT ON CONSTRAINT uq_sensor_reading_identity DO UPDATE SET
    value = excluded.value, notes = excluded.notes, source = excluded.source,
    batch_id = COALESCE(r.batch_id, excluded.batch_id)
WHERE (r.value, r.notes, r.source) IS DISTINCT FROM (excluded.value, excluded.notes,
                                                     excluded.source)
   OR (r.batch_id IS NULL AND excluded.batch_id IS NOT NULL)
"""
# Per sent reading, the server's number when it now holds exactly this PC's version.
_HELD = """
SELECT i.k, CASE WHEN (r.value, r.notes, r.source, b.uuid)
                      IS NOT DISTINCT FROM (i.value, i.notes, COALESCE(i.source, 'mqtt'),
                                            i.batch_uuid)
                 THEN r.sync_seq ELSE 0 END
FROM sync_reading_in i
JOIN sensor_reading r ON r.device_id = i.device_id AND r.quantity = i.quantity
                     AND r.measured_at = i.measured_at
LEFT JOIN compost_batch b ON b.id = r.batch_id
"""
_GONE = """
CREATE TEMP TABLE IF NOT EXISTS sync_reading_gone (
    device_id text, quantity text, measured_at timestamptz, base_seq bigint
) ON COMMIT DELETE ROWS
"""
# A reading changed on the server since this PC's version stays (base 0: sent before
# numbers were known).
_DELETE = """
DELETE FROM sensor_reading r USING sync_reading_gone g
WHERE r.device_id = g.device_id AND r.quantity = g.quantity AND r.measured_at = g.measured_at
  AND (COALESCE(g.base_seq, 0) = 0 OR r.sync_seq <= g.base_seq)
"""
_COLUMNS = f"""
    r.sync_seq, 'u', b.uuid, r.device_id, r.quantity, r.value,
    to_char(r.measured_at AT TIME ZONE 'UTC', '{_SQLITE_TEXT_TIME}'),
    to_char(r.received_at AT TIME ZONE 'UTC', '{_SQLITE_TEXT_TIME}'), r.source, r.notes
"""
_TOMBSTONE_COLUMNS = f"""
    t.seq, 'd', NULL, t.device_id, t.quantity, NULL,
    to_char(t.measured_at AT TIME ZONE 'UTC', '{_SQLITE_TEXT_TIME}'), NULL, NULL, NULL
"""
_PULL_ALL = f"""
SELECT * FROM (
    SELECT {_COLUMNS} FROM sensor_reading r LEFT JOIN compost_batch b ON b.id = r.batch_id
    WHERE r.sync_seq > %(since)s AND r.sync_seq <= %(top)s
      AND NOT (r.batch_id IS NOT DISTINCT FROM %(first)s AND r.sync_seq <= %(first_top)s)
    UNION ALL
    SELECT {_TOMBSTONE_COLUMNS} FROM reading_tombstone t
    WHERE t.seq > %(since)s AND t.seq <= %(top)s
) x ORDER BY 1
"""
_PULL_CYCLE = f"""
SELECT {_COLUMNS} FROM sensor_reading r JOIN compost_batch b ON b.id = r.batch_id
WHERE r.batch_id = %(first)s AND r.sync_seq > %(since)s AND r.sync_seq <= %(top)s
"""
_TOP = """
SELECT GREATEST((SELECT max(sync_seq) FROM sensor_reading),
                (SELECT max(seq) FROM reading_tombstone), 0)
"""
_COUNT = """
SELECT (SELECT count(*) FROM sensor_reading WHERE sync_seq > %(since)s AND sync_seq <= %(top)s)
     + (SELECT count(*) FROM reading_tombstone WHERE seq > %(since)s AND seq <= %(top)s)
"""
# A version from the server replaces only one this PC got from the server before: a
# reading recorded or edited here and not sent yet is settled by the next push.
_STORE = """
INSERT INTO sensor_reading (batch_id, device_id, quantity, value, measured_at, received_at,
                            source, notes, sync_seq)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (device_id, quantity, measured_at) DO UPDATE SET
    batch_id = excluded.batch_id, value = excluded.value, received_at = excluded.received_at,
    source = excluded.source, notes = excluded.notes, sync_seq = excluded.sync_seq
WHERE sensor_reading.sync_seq IS NOT NULL AND sensor_reading.sync_seq < excluded.sync_seq
"""
_FORGET = """
DELETE FROM sensor_reading WHERE device_id = ? AND quantity = ? AND measured_at = ?
AND sync_seq IS NOT NULL AND sync_seq < ?
"""


class Refused(Exception):
    """The server refused a batch for its content (not for being unreachable)."""


def content_problem(row: Sequence[Any]) -> str | None:
    """Why the server would refuse this reading, checked before sending; None when fine."""
    _id, _batch, device, quantity, value, _measured, _received, source, notes = row
    for name, text in (("device_id", device), ("quantity", quantity), ("source", source)):
        if text is None:
            continue
        if "\x00" in text:
            return f"{name} contains a NUL character"
        limit = LIMITS.get(name)
        if limit is not None and len(text) > limit:
            return f"{name} is {len(text)} characters long; the server holds at most {limit}"
    if notes is not None and "\x00" in notes:
        return "notes contain a NUL character"
    if not isinstance(value, int | float) or not math.isfinite(value):
        return f"value {value!r} is not a finite number"
    return None


def _driver(conn: Connection) -> Any:
    return conn.connection.driver_connection


def _set_origin(cur: Any, origin: str) -> None:
    cur.execute("SELECT set_config('compost.origin', %s, true)", (origin,))


def _applying(cur: Any, on: bool) -> None:
    cur.execute("DELETE FROM sync_state WHERE key = 'applying'")
    if on:
        cur.execute("INSERT INTO sync_state (key, value) VALUES ('applying', '1')")


def _now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class ReadingSync:
    """The readings half of one PC's sync round; the caller holds the round's lock."""

    def __init__(
        self,
        local: Engine,
        server: Engine,
        origin: str,
        fault: Callable[[str], None],
    ) -> None:
        self.local = local
        self.server = server
        self.origin = origin
        self.fault = fault

    # --- up ---

    def push_deletes(self, check: Check) -> int:
        """Send tombstones of sent readings deleted here; a re-sent one deletes nothing."""
        done = 0
        while True:
            check()
            with self.local.connect() as conn:
                rows = conn.exec_driver_sql(
                    "SELECT id, device_id, quantity, measured_at, base_seq "
                    "FROM reading_delete_outbox ORDER BY id LIMIT ?",
                    (PUSH_BATCH,),
                ).all()
            if not rows:
                return done
            with self.server.connect() as sconn, sconn.begin():
                with _driver(sconn).cursor() as cur:
                    _set_origin(cur, self.origin)
                    cur.execute(_GONE)
                    with cur.copy(
                        "COPY sync_reading_gone (device_id, quantity, measured_at, base_seq) "
                        "FROM STDIN"
                    ) as copy:
                        for _id, device, quantity, measured, base in rows:
                            copy.write_row((device, quantity, measured, base))
                    cur.execute(_DELETE)
                self.fault("reading_deletes_before_server_commit")
            self.fault("reading_deletes_after_server_commit")
            with self.local.begin() as conn:
                conn.exec_driver_sql(
                    "DELETE FROM reading_delete_outbox WHERE id <= ?", (rows[-1][0],)
                )
            done += len(rows)

    def push(self, check: Check, progress: Progress | None) -> tuple[int, int]:
        """Send every reading not on the server yet; hand back (sent, refused)."""
        with self.local.connect() as conn:
            total = conn.exec_driver_sql(
                "SELECT count(*) FROM sensor_reading WHERE sync_seq IS NULL"
            ).scalar_one()
        sent = refused = 0
        after = 0
        while True:
            check()
            with self.local.connect() as conn:
                rows = conn.exec_driver_sql(_UNSENT, (after, PUSH_BATCH)).all()
            if not rows:
                return sent, refused
            after = rows[-1][0]
            good = []
            for row in rows:
                problem = content_problem(row)
                if problem is None:
                    good.append(tuple(row))
                else:
                    self._refuse(row, problem)
                    refused += 1
            s, r = self._send(good)
            sent += s
            refused += r
            if progress:
                progress(PUSH_STAGE, min(sent + refused, total), total)

    def _send(self, rows: list[tuple[Any, ...]]) -> tuple[int, int]:
        if not rows:
            return 0, 0
        try:
            held = self._send_batch(rows)
        except Refused as exc:
            if len(rows) == 1:
                self._refuse(rows[0], str(exc))
                return 0, 1
            middle = len(rows) // 2  # halve until the offending rows stand alone
            a = self._send(rows[:middle])
            b = self._send(rows[middle:])
            return a[0] + b[0], a[1] + b[1]
        self.fault("readings_after_server_commit")
        with self.local.begin() as conn:
            _driver(conn).executemany(
                "UPDATE sensor_reading SET sync_seq = ? WHERE id = ? AND sync_seq IS NULL",
                [(seq, k) for k, seq in held],
            )
        return len(rows), 0

    def _send_batch(self, rows: list[tuple[Any, ...]]) -> list[tuple[int, int]]:
        with self.server.connect() as sconn:
            tx = sconn.begin()
            try:
                with _driver(sconn).cursor() as cur:
                    _set_origin(cur, self.origin)
                    cur.execute(_INCOMING)
                    with cur.copy(
                        "COPY sync_reading_in (k, batch_uuid, device_id, quantity, value, "
                        "measured_at, received_at, source, notes) FROM STDIN"
                    ) as copy:
                        for row in rows:
                            copy.write_row(row)
                    cur.execute(_UPSERT)
                    cur.execute(_HELD)
                    held = [(int(k), int(seq)) for k, seq in cur.fetchall()]
                self.fault("readings_before_server_commit")
                tx.commit()
            except (psycopg.DataError, psycopg.IntegrityError) as exc:
                tx.rollback()
                raise Refused(str(exc).splitlines()[0]) from exc
            except BaseException:
                if tx.is_active:
                    tx.rollback()
                raise
        return held

    def _refuse(self, row: Sequence[Any], reason: str) -> None:
        log.warning("The server refuses reading %s/%s at %s: %s", row[2], row[3], row[5], reason)
        key = json.dumps({"device_id": row[2], "quantity": row[3], "measured_at": str(row[5])})
        payload = json.dumps(
            dict(
                zip(
                    (
                        "id",
                        "batch",
                        "device_id",
                        "quantity",
                        "value",
                        "measured_at",
                        "received_at",
                        "source",
                        "notes",
                    ),
                    [str(v) if v is not None else None for v in row],
                    strict=True,
                )
            )
        )
        with self.local.begin() as conn:
            raw = _driver(conn)
            raw.execute(
                "INSERT INTO sync_rejected (entity, row_key, payload, reason, rejected_at) "
                "VALUES ('sensor_reading', ?, ?, ?, ?)",
                (key, payload, reason, _now_text()),
            )
            raw.execute("UPDATE sensor_reading SET sync_seq = ? WHERE id = ?", (REFUSED, row[0]))

    # --- down ---

    def pull(
        self,
        check: Check,
        progress: Progress | None,
        cancel: threading.Event | None = None,
    ) -> int:
        """Receive what the server numbered since the last pull; the active cycle's first."""
        with self.local.connect() as conn:
            since = int(
                conn.exec_driver_sql(
                    "SELECT value FROM sync_state WHERE key = 'readings_pulled_seq'"
                ).scalar()
                or 0
            )
            active = conn.exec_driver_sql(
                "SELECT uuid FROM compost_batch WHERE status = 'active'"
            ).scalar()
        received = 0
        with self.server.connect() as sconn, sconn.begin():
            raw = _driver(sconn)
            raw.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            top = raw.execute(_TOP).fetchone()[0]
            if top <= since:
                return 0
            first = None
            if active is not None:
                found = raw.execute(
                    "SELECT id FROM compost_batch WHERE uuid = %s", (active,)
                ).fetchone()
                first = found[0] if found else None
            params = {"since": since, "top": top, "first": first, "first_top": top}
            total = raw.execute(_COUNT, params).fetchone()[0]
            if first is not None:
                received += self._stream(
                    raw, _PULL_CYCLE, params, check, progress, PRIORITY_STAGE, total, None
                )
            else:
                params["first_top"] = 0
            received += self._stream(
                raw, _PULL_ALL, params, check, progress, PULL_STAGE, total, received
            )
        return received

    def _stream(
        self,
        raw: Any,
        query: str,
        params: dict[str, Any],
        check: Check,
        progress: Progress | None,
        stage: str,
        total: int,
        done_before: int | None,
    ) -> int:
        """Rows from a server-side cursor, written chunk by chunk; the watermark moves only
        in the ordered pass (`done_before` given), so an interrupted pull resumes there."""
        done = 0
        with raw.cursor(name=f"compost_pull_{stage[:9].replace(' ', '_')}") as cur:
            cur.itersize = PULL_CHUNK
            cur.execute(query, params)
            while True:
                check()
                chunk = cur.fetchmany(PULL_CHUNK)
                if not chunk:
                    break
                self._store(chunk, watermark=done_before is not None)
                done += len(chunk)
                if progress:
                    progress(stage, (done_before or 0) + done, total)
        if done_before is not None:
            with self.local.begin() as conn:
                conn.exec_driver_sql(
                    "INSERT INTO sync_state (key, value) VALUES ('readings_pulled_seq', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(params["top"]),),
                )
        return done

    def _store(self, chunk: list[tuple[Any, ...]], watermark: bool) -> None:
        with self.local.begin() as conn:
            raw = _driver(conn)
            cycles = dict(raw.execute("SELECT uuid, id FROM compost_batch").fetchall())
            _applying(raw, True)
            upserts = []
            deletes = []
            for (
                seq,
                kind,
                batch,
                device,
                quantity,
                value,
                measured,
                received,
                source,
                notes,
            ) in chunk:
                if kind == "u":
                    upserts.append(
                        (
                            cycles.get(batch),
                            device,
                            quantity,
                            value,
                            measured,
                            received,
                            source,
                            notes,
                            seq,
                        )
                    )
                else:
                    if upserts:  # keep the server's order around a delete
                        raw.executemany(_STORE, upserts)
                        upserts = []
                    deletes.append((device, quantity, measured, seq))
                    raw.executemany(_FORGET, deletes)
                    deletes = []
            if upserts:
                raw.executemany(_STORE, upserts)
            if watermark:
                raw.execute(
                    "INSERT INTO sync_state (key, value) VALUES ('readings_pulled_seq', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(chunk[-1][0]),),
                )
            _applying(raw, False)


def unsent(conn: Connection) -> int:
    """Readings and reading deletions made here that the server has not received yet."""
    readings = conn.exec_driver_sql(
        "SELECT count(*) FROM sensor_reading WHERE sync_seq IS NULL"
    ).scalar_one()
    deletes = conn.exec_driver_sql("SELECT count(*) FROM reading_delete_outbox").scalar_one()
    return int(readings) + int(deletes)
