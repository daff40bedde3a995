"""Recording readings and alarms: batched, off the GUI thread, surviving database outages.

Readings belong to the cycle that was active when they were measured. Inserts skip readings
already stored (same device, quantity and measured time), so several PCs recording the same
broker, or a batch retried after a lost acknowledgement, store each reading once.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from compost_desktop.db.models import AlarmRecord, Cycle, SensorReading, new_uuid
from compost_desktop.monitoring.parsing import Reading

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


class ReadingWriter:
    """Buffers readings and writes them in batches on its own thread.

    While the database is unreachable the buffer grows (up to `max_buffer`, then the oldest
    are dropped and counted) and the writer retries with backoff; nothing waits on it.
    """

    def __init__(
        self,
        engine: Engine,
        batch_size: int = 2000,
        interval_s: float = 0.5,
        max_buffer: int = 2_000_000,
        windows_ttl_s: float = 0.0,  # reload per batch: one small indexed query
    ) -> None:
        self.engine = engine
        self.batch_size = batch_size
        self.interval_s = interval_s
        self.max_buffer = max_buffer
        self.written = 0  # rows new to the database
        self.duplicates = 0  # rows it already had
        self.dropped = 0
        self.last_error: str | None = None
        self._buffer: deque[Reading] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._windows: CycleWindows | None = None
        self._windows_loaded = 0.0
        self._windows_ttl = windows_ttl_s
        self._insert = _insert_ignoring_duplicates(engine)

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def add(self, readings: Iterable[Reading]) -> None:
        with self._lock:
            self._buffer.extend(readings)
            overflow = len(self._buffer) - self.max_buffer
            if overflow > 0:
                for _ in range(overflow):
                    self._buffer.popleft()
                self.dropped += overflow
        if len(self._buffer) >= self.batch_size:
            self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="reading-writer", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Flush what is held, then stop; a database still away keeps the rest unwritten."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.flush()

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
            backoff = self.interval_s if ok else min(backoff * 2, 30.0)

    def _write_batch(self) -> int:
        with self._lock:
            batch = [self._buffer.popleft() for _ in range(min(self.batch_size, len(self._buffer)))]
        if not batch:
            return 0
        try:
            windows = self._cycle_windows()
            rows = [
                {
                    "batch_id": windows.cycle_at(r.measured_at),
                    "device_id": r.device_id,
                    "quantity": r.quantity,
                    "value": r.value,
                    "measured_at": r.measured_at,
                    "received_at": r.received_at,
                    "source": "mqtt",
                }
                for r in batch
            ]
            with self.engine.begin() as conn:
                # RETURNING lists only rows actually inserted; rowcount is unreliable here.
                new = len(conn.execute(self._insert, rows).all())
        except SQLAlchemyError as exc:
            with self._lock:
                self._buffer.extendleft(reversed(batch))  # keep order for the retry
            message = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            if message != self.last_error:
                log.warning("Readings kept in memory, database unavailable: %s", message)
            self.last_error = message
            return -1
        self.last_error = None
        self.written += new
        self.duplicates += len(rows) - new
        return new

    def _cycle_windows(self) -> CycleWindows:
        now = time.monotonic()
        if self._windows is None or now - self._windows_loaded > self._windows_ttl:
            # Readings measured after the load go in with no cycle; the database sets it.
            self._windows = CycleWindows.load(self.engine, settled_only=True)
            self._windows_loaded = now
        return self._windows


def _insert_ignoring_duplicates(engine: Engine) -> Any:
    table: Any = SensorReading.__table__
    if engine.dialect.name == "postgresql":
        stmt: Any = postgresql.insert(table).on_conflict_do_nothing(
            constraint="uq_sensor_reading_identity"
        )
    elif engine.dialect.name == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing()
    else:
        raise ValueError(f"Unsupported database {engine.dialect.name}")
    return stmt.returning(table.c.id)


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


class AlarmLog:
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
