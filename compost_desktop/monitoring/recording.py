"""Recording readings and alarms: batched, off the GUI thread, surviving database outages.

Readings belong to the cycle that was active when they were measured. Inserts skip readings
already stored (same device, quantity and measured time), so several PCs recording the same
broker, or a batch retried after a lost acknowledgement, store each reading once.
"""

from __future__ import annotations

import bisect
import functools
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, insert, or_, select, text, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError, StatementError
from sqlalchemy.orm import Session

from compost_desktop.db.errors import first_line
from compost_desktop.db.models import (
    AlarmRecord,
    Cycle,
    RejectedReading,
    SensorReading,
    new_uuid,
)
from compost_desktop.db.types import sqlite_text, utc
from compost_desktop.monitoring.parsing import Reading
from compost_desktop.monitoring.validation import printable

log = logging.getLogger(__name__)

FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class _Window:
    start: datetime
    end: datetime
    cycle_id: int


class CycleWindows:
    """Which cycle was active at a given time, from activated_at/completed_at.

    The database keeps the authoritative answer (revision 0007 attributes every non-manual
    reading on insert and again whenever a window changes), so this cached copy is only the
    writer's first guess and alarms' cycle; it follows the same rule: cycles not in
    planning, ``activated_at <= t < completed_at`` (open while active), latest start wins.
    """

    def __init__(self, windows: list[_Window], settled_before: datetime = FAR_FUTURE) -> None:
        self._settled_before = settled_before
        self._windows = sorted(windows, key=lambda w: (w.start, w.cycle_id))
        self._starts = [w.start for w in self._windows]
        # Latest end among windows up to each index: the backward search stops below it.
        self._reach: list[datetime] = []
        for w in self._windows:
            self._reach.append(max(w.end, self._reach[-1]) if self._reach else w.end)

    @classmethod
    def load(cls, engine: Engine, settled_only: bool = False) -> CycleWindows:
        """With `settled_only`, times from the load on are left to the database (None).

        A status changed after loading is stamped later than the load, so an earlier time's
        answer cannot go stale; a later one can, which is the writer's ~10 s cache gap.
        """
        loaded = datetime.now(UTC)
        with engine.connect() as conn:
            rows = conn.execute(
                select(Cycle.id, Cycle.activated_at, Cycle.completed_at).where(
                    Cycle.activated_at.is_not(None), Cycle.status != "planning"
                )
            ).all()
        return cls(
            [_Window(start, end or FAR_FUTURE, cycle_id) for cycle_id, start, end in rows if start],
            loaded if settled_only else FAR_FUTURE,
        )

    def cycle_at(self, when: datetime) -> int | None:
        if when >= self._settled_before:
            return None
        i = bisect.bisect_right(self._starts, when) - 1
        while i >= 0 and self._reach[i] > when:
            w = self._windows[i]
            if w.end > when:
                return w.cycle_id
            i -= 1
        return None


Receipt = Any
Settled = Callable[[list[Receipt]], None]

# Two recorders on one broker stamp a reading without device time with their own receive
# times, milliseconds apart; a 1 Hz sensor's next reading comes about a second later.
RECEIVE_TOLERANCE = timedelta(milliseconds=500)
_CLAIMED_MAX = 200_000
_IDENTITY_LOCK = 0x636F6D70  # pg_advisory_xact_lock key shared by every recorder
_QUARANTINE_LOG_FIRST = 100

# SQLSTATEs of refusals worth a readable reason in the quarantine.
_REFUSALS: dict[str, str] = {
    "22001": "value_too_long",
    "22003": "numeric_out_of_range",
    "22008": "datetime_out_of_range",
    "22021": "invalid_encoding",
    "22P05": "untranslatable_character",
    "23502": "missing_value",
    "23503": "foreign_key",
    "23505": "duplicate",
    "23514": "check_violation",
}


def content_refused(exc: BaseException) -> bool:
    """True when the database refused the rows themselves, so retrying them cannot help.

    PostgreSQL says so exactly: SQLSTATE class 22 (data exception) or 23 (integrity). Errors
    without a SQLSTATE are the drivers' own checks before sending (psycopg's NUL check,
    sqlite3's constraints and bindings) or a bind value SQLAlchemy could not convert. Anything
    else (connection refused or lost, timeouts, a locked or full disk, a missing table) means
    the database is unavailable: the rows are kept and retried.
    """
    if isinstance(exc, DBAPIError):
        state = getattr(exc.orig, "sqlstate", None)
        if state:
            return str(state)[:2] in ("22", "23")
        return isinstance(exc, DataError | IntegrityError) or isinstance(
            exc.orig, sqlite3.InterfaceError | sqlite3.ProgrammingError
        )
    if isinstance(exc, StatementError):
        return True  # a parameter failed to convert before reaching the database
    return isinstance(exc, ValueError | TypeError | UnicodeError | OverflowError)


def _refusal(exc: BaseException) -> tuple[str, str]:
    """A short reason code and the database's first line of explanation."""
    orig = getattr(exc, "orig", None) or exc
    state = getattr(orig, "sqlstate", None)
    message = (str(orig).splitlines() or [""])[0]
    if state:
        return _REFUSALS.get(str(state), f"refused_{state}"), message
    if "NUL" in message:
        return "nul_character", message
    return f"refused_{type(orig).__name__.lower()}"[:40], message


class ReadingWriter:
    """Buffers readings and writes them in batches on its own thread.

    While the database is unreachable the buffer grows (up to `max_buffer`, then the oldest
    are dropped and counted) and the writer retries with backoff; nothing waits on it. A batch
    the database refuses for its content is split until the refused readings are found; they
    go to `rejected_reading` with the reason and are never retried.

    Items given to `add` that are not readings are receipts (the MQTT client's deliveries):
    each is handed to `on_settled` once every reading added before it is committed or
    quarantined, in order, so the broker is acknowledged only for what is safely stored.
    """

    def __init__(
        self,
        engine: Engine,
        batch_size: int = 2000,
        interval_s: float = 0.5,
        max_buffer: int = 2_000_000,
        windows_ttl_s: float = 0.0,  # reload per batch: one small indexed query
        on_settled: Settled | None = None,
    ) -> None:
        self.engine = engine
        self.batch_size = batch_size
        self.interval_s = interval_s
        self.max_buffer = max_buffer
        self.written = 0  # rows new to the database
        self.duplicates = 0  # rows it already had
        self.dropped = 0
        self.quarantined = 0  # refused for their content, kept in rejected_reading
        self.lost = 0  # refused, and even the escaped copy could not be quarantined
        self.last_error: str | None = None
        self._on_settled = on_settled
        self._buffer: deque[Any] = deque()
        self._receipts = 0  # items in the buffer that are receipts, not readings
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Event()  # set while the buffer is empty and nothing is failing
        self._idle.set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._windows: CycleWindows | None = None
        self._windows_loaded = 0.0
        self._windows_ttl = windows_ttl_s
        self._insert = ReadingInsert(engine.dialect.name, engine.dialect.paramstyle)
        # Rows this writer inserted or matched without device time, so none counts twice.
        self._claimed: set[int] = set()
        self._claimed_order: deque[int] = deque()

    @property
    def pending(self) -> int:
        """Readings held, not yet written."""
        return len(self._buffer) - self._receipts

    def add(self, readings: Iterable[Any]) -> None:
        """Queue readings (and receipts, see the class); never blocks on the database."""
        items = readings if isinstance(readings, list) else list(readings)
        receipts = 0
        for item in items:
            if type(item) is not Reading:
                receipts += 1
        with self._lock:
            self._buffer.extend(items)
            self._receipts += receipts
            if items:
                self._idle.clear()
            overflow = len(self._buffer) - self._receipts - self.max_buffer
            if overflow > 0:
                # Oldest first; their receipts go too, so the broker is never told "stored".
                while overflow > 0 and self._buffer:
                    if type(self._buffer.popleft()) is Reading:
                        overflow -= 1
                        self.dropped += 1
                    else:
                        self._receipts -= 1
        if receipts or len(self._buffer) >= self.batch_size:
            self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="reading-writer", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> bool:
        """Write what is held, then stop; False if the database kept some of it unwritten.

        The final write runs on the writer's thread, so a database that hangs (rather than
        refuses) delays the caller by `timeout` at most.
        """
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is None:
            self.flush()
        else:
            thread.join(timeout)
            if thread.is_alive():
                log.error(
                    "The database did not answer within %.0f s; stopping with %d readings "
                    "unwritten",
                    timeout,
                    self.pending,
                )
                return False
        return not self._buffer

    def flush(self) -> int:
        """Write everything buffered now; returns rows written, 0 if the database is away."""
        total = 0
        while self._buffer:
            written = self._write_batch()
            if written < 0:
                break
            total += written
        return total

    def invalidate_cycles(self) -> None:
        """Call after a cycle is activated or completed so new readings go to the right one."""
        self._windows = None

    def wait_idle(self, timeout: float) -> bool:
        """Until the writer's thread has written everything added (True), or `timeout` s
        passed or the database failed meanwhile (False).

        A producer on another thread of the same process that waits here while the writer
        writes leaves it the GIL: parsing on while sqlite3 releases and retakes the GIL
        around every step costs the writer about half again its CPU time (measured).
        """
        return self._idle.wait(timeout)

    def _run(self) -> None:
        backoff = self.interval_s
        while not self._stop.is_set():
            self._wake.wait(backoff)
            self._wake.clear()
            ok = True
            while self._buffer and not self._stop.is_set():
                if self._write_batch() < 0:
                    ok = False
                    break
            if ok:
                with self._lock:
                    if not self._buffer:
                        self._idle.set()
            backoff = self.interval_s if ok else min(backoff * 2, 30.0)
        self.flush()

    def _write_batch(self) -> int:
        with self._lock:
            batch = [self._buffer.popleft() for _ in range(min(self.batch_size, len(self._buffer)))]
            receipts = 0
            for item in batch:
                if type(item) is not Reading:
                    receipts += 1
            self._receipts -= receipts
        if not batch:
            return 0
        done, new = self._store(batch, retried=False)
        if done < len(batch):
            rest = batch[done:]
            with self._lock:
                self._buffer.extendleft(reversed(rest))  # keep order for the retry
                self._receipts += sum(1 for item in rest if type(item) is not Reading)
        if receipts and self._on_settled is not None:
            settled = [item for item in batch[:done] if type(item) is not Reading]
            if settled:
                try:
                    self._on_settled(settled)
                except Exception:
                    log.exception("Could not acknowledge %d stored messages", len(settled))
        if done < len(batch):
            return -1
        self.last_error = None
        return new

    def _store(self, items: list[Any], retried: bool) -> tuple[int, int]:
        """Insert the readings among `items`; returns (items handled in order, new rows).

        Handled means committed, already stored, or quarantined. A content refusal splits the
        items in two and tries each half, down to the single refused reading; an unavailable
        database stops at the first unhandled item.
        """
        readings = [item for item in items if type(item) is Reading]
        if not readings:
            return len(items), 0
        try:
            new = self._insert_readings(readings)
        except Exception as exc:
            if not content_refused(exc):
                self._unavailable(exc)
                return 0, 0
            if isinstance(exc, IntegrityError) and not retried:
                self._windows = None  # a cycle deleted since the windows were read
                return self._store(items, retried=True)
            if len(readings) == 1:
                return (len(items), 0) if self._quarantine(readings[0], exc) else (0, 0)
            half = readings[len(readings) // 2]
            cut = next(i for i, item in enumerate(items) if item is half)
            first, second = items[:cut], items[cut:]
            done, new = self._store(first, retried=True)
            if done < len(first):
                return done, new
            done2, new2 = self._store(second, retried=True)
            return len(first) + done2, new + new2
        return len(items), new

    def _insert_readings(self, readings: list[Reading]) -> int:
        windows = self._cycle_windows()
        # Without device time the reading carries its receive time twice (see parsing).
        stamped = [r for r in readings if r.measured_at != r.received_at]
        unstamped = (
            [r for r in readings if r.measured_at == r.received_at]
            if len(stamped) < len(readings)
            else []
        )
        new = 0
        claims: list[int] = []
        with self.engine.begin() as conn:
            if stamped:
                # RETURNING lists only rows actually inserted; rowcount is unreliable here.
                new += len(self._insert(conn, stamped, windows))
            if unstamped:
                fresh, claims = self._unclaimed(conn, unstamped)
                if fresh:
                    ids = self._insert(conn, fresh, windows)
                    new += len(ids)
                    claims.extend(ids)
        self._claim(claims)
        self.written += new
        self.duplicates += len(readings) - new
        return new

    def _unclaimed(
        self, conn: Connection, readings: list[Reading]
    ) -> tuple[list[Reading], list[int]]:
        """The readings no other recorder has stored yet, and the rows that match the rest.

        Readings without device time have no shared identity: each recorder stamps its own
        receive time. A stored row (also without device time, written by someone else, not
        yet matched) with the same device, quantity and value within RECEIVE_TOLERANCE is
        the same reading. Matching is one to one and nearest first, and this writer's own
        rows never match, so two equal readings of one sensor in quick succession both stay.
        One lock per database makes the check and the insert atomic between recorders.
        """
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _IDENTITY_LOCK})
        table = SensorReading
        times = [r.measured_at for r in readings]
        rows = conn.execute(
            select(table.id, table.device_id, table.quantity, table.value, table.measured_at).where(
                table.source == "mqtt",
                table.measured_at == table.received_at,
                table.device_id.in_({r.device_id for r in readings}),
                table.measured_at >= min(times) - RECEIVE_TOLERANCE,
                table.measured_at <= max(times) + RECEIVE_TOLERANCE,
            )
        ).all()
        candidates: dict[tuple[str, str, float], list[tuple[datetime, int]]] = {}
        for row_id, device, quantity, value, at in rows:
            if row_id not in self._claimed:
                candidates.setdefault((device, quantity, value), []).append((at, row_id))
        fresh: list[Reading] = []
        matched: list[int] = []
        for reading in readings:
            found = candidates.get((reading.device_id, reading.quantity, reading.value))
            best = None
            if found:
                gaps = [abs(at - reading.measured_at) for at, _ in found]
                nearest = min(range(len(found)), key=gaps.__getitem__)
                if gaps[nearest] <= RECEIVE_TOLERANCE:
                    best = nearest
            if best is None:
                fresh.append(reading)
            else:
                matched.append(found.pop(best)[1])  # type: ignore[union-attr]
        return fresh, matched

    def _claim(self, ids: list[int]) -> None:
        for row_id in ids:
            if row_id not in self._claimed:
                self._claimed.add(row_id)
                self._claimed_order.append(row_id)
        while len(self._claimed_order) > _CLAIMED_MAX:
            self._claimed.discard(self._claimed_order.popleft())

    def _quarantine(self, reading: Reading, refused: BaseException) -> bool:
        """Keep a refused reading aside with why; False if the database became unavailable."""
        reason, detail = _refusal(refused)
        device, quantity = printable(reading.device_id), printable(reading.quantity)
        row: dict[str, Any] = {
            "device_id": device,
            "quantity": quantity,
            "value": reading.value if isinstance(reading.value, float) else None,
            "measured_at": reading.measured_at,
            "received_at": reading.received_at,
            "topic": printable(reading.topic),
            "reason": reason,
            "detail": printable(detail),
            "rejected_at": datetime.now(UTC),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(RejectedReading), [row])
        except Exception as exc:
            if not content_refused(exc):
                self._unavailable(exc)
                return False
            self.lost += 1
            log.error(
                "Reading from %s refused (%s) and could not be quarantined either: %s",
                device[:80],
                reason,
                first_line(exc),
            )
            return True
        self.quarantined += 1
        if self.quarantined <= _QUARANTINE_LOG_FIRST or self.quarantined % 1000 == 0:
            log.warning(
                "Reading from %s (%s) refused by the database (%s: %s); kept in "
                "rejected_reading (%d so far)",
                device[:80],
                quantity[:60],
                reason,
                detail[:200],
                self.quarantined,
            )
        return True

    def _unavailable(self, exc: BaseException) -> None:
        message = first_line(exc)
        if not isinstance(exc, SQLAlchemyError):
            log.error("Unexpected error writing readings", exc_info=exc)
        if message != self.last_error:
            log.warning("Readings kept in memory, database unavailable: %s", message)
        self.last_error = message

    def _cycle_windows(self) -> CycleWindows:
        now = time.monotonic()
        if self._windows is None or now - self._windows_loaded > self._windows_ttl:
            # Readings measured after the load go in with no cycle; the database sets it.
            self._windows = CycleWindows.load(self.engine, settled_only=True)
            self._windows_loaded = now
        return self._windows


class ReadingInsert:
    """Inserts MQTT readings, skipping ones already stored; returns the ids of the new rows.

    One ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` per chunk of readings, bound by the
    driver itself. SQLAlchemy's insert processed every parameter of every row in Python (its
    compiled-parameter dicts and the datetime binds): about two thirds of the writer's time
    on SQLite (bench_mqtt_pipeline, writer only). A reading's fields are already plain
    values, and the times take the same form as through the ORM (`db.types`, tested to the
    character), so nothing is lost by going around it.

    SQLite gets multi-row VALUES. PostgreSQL gets six arrays and ``unnest``: psycopg parses a
    statement's placeholders in Python and caches only short statements, so a thousand-row
    VALUES was parsed again at every batch (1.4 s of 4 s for 80,000 readings).
    """

    COLUMNS = ("batch_id", "device_id", "quantity", "value", "measured_at", "received_at")
    # Numbers and times go in binary (%b): as text, psycopg escaped every element in Python.
    # Text stays text (%s): psycopg itself then refuses a NUL, with a clear reason.
    _PG_ARRAYS = (
        ("%b", "bigint[]"),
        ("%s", "text[]"),
        ("%s", "text[]"),
        ("%b", "float8[]"),
        ("%b", "timestamptz[]"),
        ("%b", "timestamptz[]"),
    )

    def __init__(
        self, dialect: str, paramstyle: str | None, rows_per_statement: int | None = None
    ) -> None:
        head = f"INSERT INTO {SensorReading.__tablename__} ({', '.join(self.COLUMNS)}, source) "
        # Per dialect: the statement for a chunk of n rows, and the rows as its parameters.
        self._params: Callable[[list[tuple[Any, ...]]], tuple[Any, ...]]
        if dialect == "sqlite":
            # SQLite takes 999 parameters per statement before 3.32 and 32,766 since; 1,000
            # rows wrote 15 % faster than 166 (bench, writer only) and stay one statement
            # the driver prepares once.
            self._chunk = 1000 if sqlite3.sqlite_version_info >= (3, 32) else 166
            self._time: Callable[[datetime], Any] = sqlite_text
            mark = "?" if paramstyle == "qmark" else "%s"
            row = "(" + ", ".join([mark] * len(self.COLUMNS)) + ", 'mqtt')"

            def statement(n: int) -> str:
                values = ", ".join([row] * n)
                return f"{head}VALUES {values} ON CONFLICT DO NOTHING RETURNING id"

            self._params = _flat
        elif dialect == "postgresql":
            self._chunk = 5000
            self._time = utc
            arrays = ", ".join(f"{mark}::{kind}" for mark, kind in self._PG_ARRAYS)
            unnest = (
                f"{head}SELECT *, 'mqtt' FROM unnest({arrays}) "
                "ON CONFLICT ON CONSTRAINT uq_sensor_reading_identity DO NOTHING RETURNING id"
            )

            def statement(n: int) -> str:
                return unnest  # the same for any number of rows

            self._params = _columns
        else:
            raise ValueError(f"Unsupported database {dialect}")
        self._chunk = rows_per_statement or self._chunk
        # A few sizes: the full chunk and the latest partial ones (each is a long string).
        self._statement = functools.lru_cache(maxsize=4)(statement)

    def __call__(
        self, conn: Connection, readings: list[Reading], windows: CycleWindows
    ) -> list[int]:
        ids: list[int] = []
        for start in range(0, len(readings), self._chunk):
            chunk = readings[start : start + self._chunk]
            params = self._params(self._rows(chunk, windows))
            ids += conn.exec_driver_sql(self._statement(len(chunk)), params).scalars().all()
        return ids

    def _rows(self, readings: list[Reading], windows: CycleWindows) -> list[tuple[Any, ...]]:
        cycle_at, stamp = windows.cycle_at, self._time
        # A message's readings share their times: each distinct time is converted once.
        measured = received = None
        measured_at = received_at = None
        rows = []
        for r in readings:
            if r.measured_at is not measured:
                measured = r.measured_at
                measured_at = stamp(measured)
            if r.received_at is not received:
                received = r.received_at
                received_at = stamp(received)
            rows.append(
                (cycle_at(measured), r.device_id, r.quantity, r.value, measured_at, received_at)
            )
        return rows


def _columns(rows: list[tuple[Any, ...]]) -> tuple[list[Any], ...]:
    """One list per column: psycopg sends a list as an array (a tuple would be a record)."""
    return tuple(list(column) for column in zip(*rows, strict=True))


def _flat(rows: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    flat: list[Any] = []
    for row in rows:
        flat += row
    return tuple(flat)


@dataclass(frozen=True, slots=True)
class AlarmEntry:
    id: int
    device_id: str
    quantity: str | None
    kind: str
    message: str
    value: float | None
    threshold: float | None
    raised_at: datetime
    cleared_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None


SAME_ALARM_WITHIN = timedelta(minutes=15)  # rows of one condition logged by several recorders


class DatabaseAlarmLog:
    """The alarm history kept in the database, with acknowledgement."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def raised(
        self,
        device_id: str,
        quantity: str | None,
        kind: str,
        message: str,
        value: float | None,
        threshold: float | None,
        at: datetime,
    ) -> int:
        cycle_id = CycleWindows.load(self.engine).cycle_at(at)
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(AlarmRecord).values(
                    uuid=new_uuid(),
                    cycle_id=cycle_id,
                    device_id=device_id,
                    quantity=quantity,
                    kind=kind,
                    message=message,
                    value=value,
                    threshold=threshold,
                    raised_at=at,
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def cleared(self, device_id: str, kind: str, quantity: str | None, at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(AlarmRecord)
                .where(
                    AlarmRecord.device_id == device_id,
                    AlarmRecord.kind == kind,
                    AlarmRecord.cleared_at.is_(None),
                    (AlarmRecord.quantity == quantity)
                    if quantity is not None
                    else AlarmRecord.quantity.is_(None),
                )
                .values(cleared_at=at)
            )

    def acknowledge(self, alarm_id: int, who: str | None = None) -> None:
        """Acknowledge the alarm, and the same condition logged by another PC or the recorder.

        Each PC and the headless recorder log what they see, so one hot spell can be several
        rows (same device and kind, raised minutes apart); seeing one is seeing them all.
        """
        with self.engine.begin() as conn:
            row = conn.execute(
                select(AlarmRecord.device_id, AlarmRecord.kind, AlarmRecord.raised_at).where(
                    AlarmRecord.id == alarm_id
                )
            ).first()
            if row is None:
                return
            device_id, kind, raised_at = row
            conn.execute(
                update(AlarmRecord)
                .where(
                    AlarmRecord.acknowledged_at.is_(None),
                    or_(
                        AlarmRecord.id == alarm_id,
                        and_(
                            AlarmRecord.device_id == device_id,
                            AlarmRecord.kind == kind,
                            AlarmRecord.raised_at >= raised_at - SAME_ALARM_WITHIN,
                            AlarmRecord.raised_at <= raised_at + SAME_ALARM_WITHIN,
                        ),
                    ),
                )
                .values(acknowledged_at=datetime.now(UTC), acknowledged_by=who)
            )

    def recent(self, limit: int = 200) -> list[AlarmEntry]:
        return self._entries(None, limit)

    def needing_attention(self, limit: int = 500) -> list[AlarmEntry]:
        """Alarms still raised or not yet acknowledged, newest first: what a restart must show."""
        return self._entries(
            or_(AlarmRecord.cleared_at.is_(None), AlarmRecord.acknowledged_at.is_(None)), limit
        )

    def _entries(self, where: Any, limit: int) -> list[AlarmEntry]:
        query = select(AlarmRecord).order_by(AlarmRecord.raised_at.desc()).limit(limit)
        if where is not None:
            query = query.where(where)
        with Session(self.engine) as session:
            rows = session.scalars(query).all()
            return [
                AlarmEntry(
                    r.id,
                    r.device_id,
                    r.quantity,
                    r.kind,
                    r.message,
                    r.value,
                    r.threshold,
                    r.raised_at,
                    r.cleared_at,
                    r.acknowledged_at,
                    r.acknowledged_by,
                )
                for r in rows
            ]
