"""Which readings count for the pile, as SQL: charts, history and the report filter alike."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from compost_desktop.db.models import SensorDevice
from compost_desktop.domain.devices import Role


def pile_probe_clause(device_column: Any) -> ColumnElement[bool]:
    """SQL: the reading's device is not registered as anything but a counted pile probe."""
    d = SensorDevice.__table__.c
    excluded = sa.select(d.device_id).where(sa.or_(d.role != Role.PILE_PROBE.value, d.ignored))
    clause: ColumnElement[bool] = sa.not_(device_column.in_(excluded))
    return clause
