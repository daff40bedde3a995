"""Migrations on both backends: a new database, an adopted legacy one, and refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.db.models import Base
from compost_desktop.db.rollup import with_rollup
from compost_desktop.domain.defaults import DEFAULT_MATERIALS
from tests.db import legacy
from tests.support.probe import run_probe


def _run_sql(url: str, sql: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.connection.driver_connection.executescript(sql)  # type: ignore[union-attr]
        else:
            conn.exec_driver_sql(sql)
    engine.dispose()


def _snapshot(url: str, tables: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as the values a person would compare."""
    engine = make_engine(url)
    with engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
        result = {
            t: [dict(r._mapping) for r in conn.execute(sa.text(f"SELECT * FROM {t} ORDER BY id"))]
            for t in tables
            if t in names
        }
    engine.dispose()
    return result


def test_new_database_gets_the_full_schema_matching_the_models(any_url: str) -> None:
    url = resolve_url(any_url)
    assert migrate.status(url).state is migrate.SchemaState.EMPTY
    after = migrate.upgrade(url)
    assert after.state is migrate.SchemaState.CURRENT
    assert after.backup is None  # nothing to back up in a new file
    engine = make_engine(url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), with_rollup(Base.metadata))
        names = [r[0] for r in conn.execute(sa.text("SELECT name FROM compost_materials"))]
    engine.dispose()
    assert diffs == []
    assert sorted(names) == sorted(d.name for d in DEFAULT_MATERIALS)


def test_upgrade_twice_is_harmless(any_url: str) -> None:
    url = resolve_url(any_url)
    migrate.upgrade(url)
    before = _snapshot(any_url, ("compost_materials",))
    again = migrate.upgrade(url)
    assert again.state is migrate.SchemaState.CURRENT
    assert _snapshot(any_url, ("compost_materials",)) == before


@pytest.mark.parametrize("phase", [1, 2])
def test_legacy_database_is_adopted_with_every_row_kept(any_url: str, phase: int) -> None:
    url = resolve_url(any_url)
    _run_sql(any_url, legacy.script(url.get_backend_name(), phase))
    before = _snapshot(any_url, legacy.LEGACY_TABLES)
    assert migrate.status(url).state is migrate.SchemaState.LEGACY

    result = migrate.upgrade(url)

    assert result.state is migrate.SchemaState.CURRENT
    after = _snapshot(any_url, legacy.LEGACY_TABLES)
    assert after["sensor_data"] == before["sensor_data"]  # not ours: untouched
    for table, rows in before.items():
        kept = after[table][: len(rows)]
        added = after[table][len(rows) :]
        assert not added or table == "compost_materials", table  # only defaults are added
        for old, new in zip(rows, kept, strict=True):
            for column, value in old.items():
                assert new[column] == value, (table, old["id"], column)
            assert new.get("uuid", "x")  # every adopted row gains an identity
    materials = {r["name"]: r for r in after["compost_materials"]}
    if phase == 2:
        # The farm's own values win; defaults only fill in what it lacks.
        assert materials["Kitchen Scraps"]["carbon_nitrogen_ratio"] == 20
        assert "Kitchen scraps" not in materials
        assert materials["Brewery grain"]["description"] == "from the brewery next door"
        linked = {r["material_name"]: r["material_id"] for r in after["cycle_waste_input"]}
        assert linked["Straw"] == materials["Straw"]["id"]
        assert linked["Mystery mix"] is None
    assert "Sawdust" in materials


def test_adopted_legacy_database_enforces_one_active(any_url: str) -> None:
    url = resolve_url(any_url)
    _run_sql(any_url, legacy.script(url.get_backend_name(), 2))
    migrate.upgrade(url)
    engine = make_engine(url)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text("UPDATE compost_batch SET status = 'active' WHERE id = 1"))
    engine.dispose()


def test_legacy_data_breaking_a_rule_is_refused_and_nothing_changes(any_url: str) -> None:
    url = resolve_url(any_url)
    _run_sql(any_url, legacy.script(url.get_backend_name(), 2))
    _run_sql(any_url, "UPDATE compost_batch SET status = 'active'")
    before = _snapshot(any_url, legacy.LEGACY_TABLES)

    with pytest.raises(migrate.MigrationError) as info:
        migrate.upgrade(url)

    message = str(info.value)
    assert "id 1, 2" in message and "only one cycle may be active" in message
    assert "nothing was changed" in message
    assert _snapshot(any_url, legacy.LEGACY_TABLES) == before
    assert migrate.status(url).state is migrate.SchemaState.LEGACY


def test_database_from_a_newer_version_is_refused(any_url: str) -> None:
    url = resolve_url(any_url)
    migrate.upgrade(url)
    _run_sql(any_url, "UPDATE alembic_version SET version_num = '9999_future'")
    assert migrate.status(url).state is migrate.SchemaState.NEWER
    with pytest.raises(migrate.NewerDatabaseError, match="newer Compost Desktop"):
        migrate.upgrade(url)


def test_sqlite_file_is_backed_up_before_upgrade(tmp_path: Path) -> None:
    url_text = f"sqlite:///{tmp_path / 'farm.db'}"
    _run_sql(url_text, legacy.script("sqlite", 2))
    result = migrate.upgrade(resolve_url(url_text))
    assert result.backup is not None and result.backup.exists()
    copy = _snapshot(f"sqlite:///{result.backup}", ("compost_batch",))
    assert len(copy["compost_batch"]) == 2
    assert "uuid" not in copy["compost_batch"][0]  # the copy is the pre-upgrade file


def test_failed_sqlite_upgrade_rolls_back_the_schema_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after some DDL ran must leave the file as it was (transactional DDL)."""
    url_text = f"sqlite:///{tmp_path / 'farm.db'}"
    _run_sql(url_text, legacy.script("sqlite", 2))
    before = _snapshot(url_text, legacy.LEGACY_TABLES)
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "m0001", migrate.migrations_dir() / "versions" / "0001_adopt_or_create.py"
    )
    assert spec and spec.loader
    # Break the last step: everything before it (columns, constraints) must be undone.
    original = Path(spec.origin or "").read_text()
    broken = original.replace(
        "    _link_inputs_to_materials(bind)\n\n\ndef downgrade",
        "    raise RuntimeError('disk full')\n\n\ndef downgrade",
    )
    assert broken != original
    scripts = tmp_path / "migrations"
    (scripts / "versions").mkdir(parents=True)
    for name in ("env.py", "script.py.mako"):
        (scripts / name).write_text((migrate.migrations_dir() / name).read_text())
    (scripts / "versions" / "0001_adopt_or_create.py").write_text(broken)
    monkeypatch.setattr(migrate, "migrations_dir", lambda: scripts)

    with pytest.raises(migrate.MigrationError, match="disk full"):
        migrate.upgrade(resolve_url(url_text))

    assert _snapshot(url_text, legacy.LEGACY_TABLES) == before


def test_the_quick_revision_check_agrees_with_alembic(any_url: str) -> None:
    """Start-up reads the chain and the stamp without Alembic; both must be Alembic's own."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrate.migrations_dir()))
    script = ScriptDirectory.from_config(config)
    oldest_first = [rev.revision for rev in script.walk_revisions()][::-1]
    assert list(migrate.revision_chain()) == oldest_first
    assert migrate.head_revision() == script.get_current_head()

    url = resolve_url(any_url)
    assert migrate.status(url).state is migrate.SchemaState.EMPTY
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            stamped = MigrationContext.configure(conn).get_current_revision()
        assert migrate.status(url).current == stamped == script.get_current_head()
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '0003'"))
        assert migrate.status(url).state is migrate.SchemaState.OUTDATED
    finally:
        engine.dispose()


def test_a_current_database_is_checked_without_loading_alembic(tmp_path: Path) -> None:

    url = f"sqlite:///{tmp_path / 'compost.db'}"
    migrate.upgrade(resolve_url(url))
    probe = (
        "import sys\n"
        "from compost_desktop.db import migrate\n"
        "from compost_desktop.db.engine import resolve_url\n"
        f"state = migrate.ensure_current(resolve_url({url!r})).state\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako'))\n"
        "print(state, loaded)\n"
    )
    out = run_probe(probe)
    assert out == "current []"
