"""The ten-minute reading rollup that migration 0005 creates and its triggers keep current.

Deliberately not in the ORM metadata: it is derived data, so backups, restores and sync copy
the readings and the triggers rebuild it, instead of copying it and counting twice.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, ForeignKey, Integer, MetaData, String, Table

SLOT_SECONDS = 600

metadata = MetaData()

reading_rollup = Table(
    "reading_rollup",
    metadata,
    Column(
        "batch_id",
        Integer,
        ForeignKey("compost_batch.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("device_id", String(120), primary_key=True),
    Column("quantity", String(60), primary_key=True),
    Column("source", String(20), primary_key=True),
    Column("slot", BigInteger, primary_key=True),  # epoch seconds at the slot's start
    Column("n", Integer, nullable=False),
    Column("total", Float, nullable=False),
    Column("low", Float, nullable=False),
    Column("high", Float, nullable=False),
    Column("t_total", Float, nullable=False),  # sum of epoch seconds, for the mean time
)


def with_rollup(base: MetaData) -> MetaData:
    """The whole schema the migrations build: the ORM's tables plus the rollup."""
    combined = MetaData()
    for table in (*base.tables.values(), reading_rollup):
        table.to_metadata(combined)
    return combined
