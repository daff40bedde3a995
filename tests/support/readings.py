"""Readings written straight into the table, attached to a cycle as the recorder stores them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from compost_desktop.db.models import SensorReading
from tests.support.tables import table_of


def insert_readings(
    engine: Engine,
    cycle_id: int | None,
    rows: Iterable[tuple[str, datetime, float]],
    quantity: str = "temperature",
    source: str = "mqtt",
) -> None:
    """(device, measured_at, value) rows of one quantity, received when measured."""
    with engine.begin() as conn:
        conn.execute(
            sa.insert(table_of(SensorReading)),
            [
                {
                    "batch_id": cycle_id,
                    "device_id": device,
                    "quantity": quantity,
                    "value": value,
                    "measured_at": at,
                    "received_at": at,
                    "source": source,
                }
                for device, at, value in rows
            ],
        )
