"""The recorded readings of the last hours, reduced for the live plots after a restart.

The monitoring window keeps only what arrived since it started; the database holds the rest.
Reading the plotted window back (bucketed in the database, whatever cycle the readings
belong to) means a restart does not empty the plots.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from compost_desktop.db.models import SensorReading
from compost_desktop.services.chart_data import MANUAL, _epoch_sql, _index, epoch

Points = tuple[list[float], list[float]]


def recent_series(
    engine: Engine,
    start: datetime,
    end: datetime,
    quantities: Sequence[str],
    buckets: int = 1500,
) -> dict[tuple[str, str], Points]:
    """Per (device, quantity): bucket mean times (epoch s) and values, oldest first."""
    if buckets < 1:
        raise ValueError("at least one bucket is needed")
    t0, t1 = epoch(start), epoch(end)
    width = max((t1 - t0) / buckets, 1.0)
    r = SensorReading.__table__.c
    out: dict[tuple[str, str], Points] = {}
    with engine.connect() as conn:
        seconds = _epoch_sql(conn)
        bucket = _index(conn, (seconds - t0) / width).label("bucket")
        query = (
            sa.select(r.device_id, r.quantity, bucket, sa.func.avg(seconds), sa.func.avg(r.value))
            .where(
                SensorReading.measured_at >= start,
                SensorReading.measured_at <= end,
                r.quantity.in_(list(quantities)),
                sa.func.coalesce(r.source, "mqtt") != MANUAL,
            )
            .group_by(r.device_id, r.quantity, bucket)
            .order_by(r.device_id, r.quantity, bucket)
        )
        for device, quantity, _b, at, value in conn.execute(query):
            times, values = out.setdefault((device, quantity), ([], []))
            times.append(float(at))
            values.append(float(value))
    return out
