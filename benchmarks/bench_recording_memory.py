"""Memory while recording one simulated day: 8 probes, temperature and moisture once a second.

86,400 s x 8 probes of farm JSON (PileModel values) go through MessageParser and a running
ReadingWriter into a temp SQLite as fast as they can, fed a simulated minute at a time. The
process RSS (VmRSS) is sampled every simulated hour; after the first hour it must stay flat.

The feeder waits while the writer holds more than MAX_BACKLOG readings, as the real recorder
never builds a backlog at 16 readings/s: without that the benchmark would measure a buffer
it made itself. The baseline is this same process's RSS before the first message.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.db.models import SensorReading
from compost_desktop.monitoring.parsing import MessageParser, Reading
from compost_desktop.monitoring.recording import ReadingWriter
from compost_desktop.monitoring.simulator import FARM_TOPIC, PileModel

DEVICES = 8
DAY_S = 86_400
HOUR_S = 3_600
CHUNK_S = 60  # simulated seconds fed per writer.add()
MAX_BACKLOG = 20_000  # readings the writer may hold before the feeder waits
BUDGET_S = 75.0  # stop at an hour boundary when the next hour would not fit
FLAT_LIMIT = 0.10


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def _chunk(model: PileModel, base: datetime, age0: float, start_s: int) -> list[bytes]:
    """Farm JSON for CHUNK_S simulated seconds of all probes, one message per probe a second.

    PileModel is sampled once per probe per chunk (its noise changes once a minute anyway):
    sampling every message would make generating the day slower than recording it.
    """
    values = []
    for device in range(DEVICES):
        sample = model.sample(device, age0 + start_s)
        values.append((f"node-{device + 1}", sample["temperature"], sample["moisture"]))
    out: list[bytes] = []
    for s in range(start_s, start_s + CHUNK_S):
        stamp = (base + timedelta(seconds=s)).isoformat().replace("+00:00", "Z")
        for device_id, temperature, moisture in values:
            out.append(
                f'{{"device_id": "{device_id}", "temperature": {temperature:.2f}, '
                f'"moisture": {moisture:.1f}, "timestamp": "{stamp}"}}'.encode()
            )
    return out


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="compost-bench-") as tmp:
        url = resolve_url(f"sqlite:///{Path(tmp) / 'recording.db'}")
        migrate.upgrade(url)
        engine = make_engine(url)
        writer = ReadingWriter(engine)
        try:
            _record_day(engine, writer)
        finally:
            writer.stop()
            engine.dispose()


def _record_day(engine: Engine, writer: ReadingWriter) -> None:
    model = PileModel(seed=11, gases=False)
    parser = MessageParser()
    # The day ends now: every timestamp is in the past and unique per probe.
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=DAY_S)
    age0 = 4 * 86_400.0  # thermophilic phase
    messages = 0
    max_backlog = 0
    backpressure_s = 0.0

    writer.start()
    rss_start = _rss_kib()
    hourly: list[int] = []
    hour_ends: list[float] = []
    began = time.perf_counter()
    stopped_early = False
    for start_s in range(0, DAY_S, CHUNK_S):
        payloads = _chunk(model, base, age0, start_s)
        readings: list[Reading] = []
        for payload in payloads:
            readings.extend(parser.parse(FARM_TOPIC, payload))  # type: ignore[arg-type]
        messages += len(payloads)
        writer.add(readings)
        max_backlog = max(max_backlog, writer.pending)
        if writer.pending > MAX_BACKLOG:
            waited = time.perf_counter()
            while writer.pending > MAX_BACKLOG // 2:
                time.sleep(0.005)
            backpressure_s += time.perf_counter() - waited
        if (start_s + CHUNK_S) % HOUR_S == 0:
            hourly.append(_rss_kib())
            elapsed = time.perf_counter() - began
            hour_ends.append(elapsed)
            hours = len(hourly)
            if hours < DAY_S // HOUR_S and elapsed + elapsed / hours > BUDGET_S:
                stopped_early = True
                break
    feed_s = time.perf_counter() - began
    writer.stop()  # flushes the rest
    total_s = time.perf_counter() - began
    rss_end = _rss_kib()

    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(SensorReading)).scalar_one()
    hours = len(hourly)
    expected = messages * 2

    print(
        f"simulated {hours} h of {DAY_S // HOUR_S} h: {messages} messages, "
        f"{expected} readings from {DEVICES} probes (temperature + moisture at 1/s)"
    )
    if stopped_early:
        projected = total_s * (DAY_S // HOUR_S) / hours
        print(
            f"STOPPED EARLY: the full day was projected at {projected:.0f} s, over the "
            f"{BUDGET_S:.0f} s budget; the figures below are for the {hours} h done"
        )
    print(
        f"time: {total_s:.1f} s ({feed_s:.1f} s feeding, {backpressure_s:.1f} s of it waiting "
        f"for the writer; {expected / total_s:.0f} readings/s); rows written {writer.written} "
        f"(database holds {rows}), duplicates {writer.duplicates}, dropped {writer.dropped}, "
        f"rejected {parser.rejected}, largest writer backlog {max_backlog}"
    )
    print(f"RSS at start (baseline, before the first message): {_mib(rss_start)}")
    print(f"RSS after simulated hour 1:                        {_mib(hourly[0])}")
    print(f"RSS at the end (after the final flush):            {_mib(rss_end)}")
    peak = max([rss_start, rss_end, *hourly])
    print(f"RSS max of samples:                                {_mib(peak)}")
    print("RSS per simulated hour (MiB): " + " ".join(f"{k / 1024:.0f}" for k in hourly))
    durations = [end - start for start, end in zip([0.0, *hour_ends], hour_ends, strict=False)]
    print(
        "seconds per simulated hour (is the writer slowing as the table grows?): "
        + " ".join(f"{d:.1f}" for d in durations)
    )
    growth = (rss_end - hourly[0]) / hourly[0]
    verdict = "flat" if growth < FLAT_LIMIT else "GROWING"
    print(
        f"growth hour 1 -> end: {_mib(rss_end - hourly[0])} ({growth * 100:+.1f} %): {verdict} "
        f"(limit {FLAT_LIMIT * 100:.0f} %); start -> hour 1: {_mib(hourly[0] - rss_start)} "
        f"({(hourly[0] - rss_start) / rss_start * 100:+.1f} % of the baseline)"
    )
