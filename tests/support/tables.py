"""The Table behind a mapped class, typed as one."""

from __future__ import annotations

import sqlalchemy as sa

from compost_desktop.db.models import Base


def table_of(model: type[Base]) -> sa.Table:
    """`model.__table__`: declarative typing says FromClause, which insert() and delete() refuse;
    every model here is mapped to a plain Table."""
    table = model.__table__
    assert isinstance(table, sa.Table)
    return table
