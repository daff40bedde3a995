"""Farm-wide monitoring settings: stored once, the same for every PC and the recorder."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.monitoring import farm_config
from compost_desktop.monitoring.farm_config import FarmConfig, FarmConfigError
from compost_desktop.monitoring.parsing import TopicPatterns
from compost_desktop.settings import AlarmSettings
from compost_desktop.sync.engine import SyncEngine


@pytest.fixture
def engine(any_engine: sa.Engine) -> sa.Engine:
    return any_engine


def test_nothing_stored_reads_as_unset_and_the_reader_keeps_its_own(engine: sa.Engine) -> None:
    config = farm_config.load(engine)
    assert config == FarmConfig()
    local = AlarmSettings(too_hot_c=66.0)
    assert config.alarm_settings(local) is local
    assert config.patterns() == TopicPatterns()


def test_saved_values_come_back_and_saving_again_changes_nothing(engine: sa.Engine) -> None:
    config = FarmConfig(
        alarms=AlarmSettings(too_hot_c=68.0, hysteresis_c=1.5),
        topics={"farm_json": "farm/+/data", "tasmota": None},
        timezone="Asia/Singapore",
        units={"temperature": "F"},
    )
    farm_config.save(engine, config)
    with engine.connect() as conn:
        before = conn.execute(sa.text("SELECT key, updated_at FROM farm_setting")).all()
    farm_config.save(engine, config)
    loaded = farm_config.load(engine)
    assert loaded == config
    patterns = loaded.patterns()
    assert patterns.farm_json == "farm/+/data" and patterns.tasmota is None
    noon = datetime(2026, 6, 11, 12, 0)
    assert noon.replace(tzinfo=loaded.zone()).utcoffset() == timedelta(hours=8)
    with engine.connect() as conn:
        after = conn.execute(sa.text("SELECT key, updated_at FROM farm_setting")).all()
    assert sorted(after) == sorted(before)  # unchanged values are not rewritten
    farm_config.save(engine, FarmConfig(timezone=""))
    assert farm_config.load(engine).alarms == config.alarms  # other keys untouched


def test_topics_option() -> None:
    assert farm_config.parse_topics("data=farm/+/data, tasmota=") == {
        "farm_json": "farm/+/data",
        "tasmota": None,
    }
    with pytest.raises(FarmConfigError, match="NAME=PATTERN"):
        farm_config.parse_topics("weather=x/+")
    with pytest.raises(FarmConfigError, match="Unusable topic pattern"):
        farm_config.parse_topics("data=farm/#/x")
    with pytest.raises(FarmConfigError, match="Unknown time zone"):
        farm_config.zone("Mars/Olympus")
    assert datetime(2026, 6, 11).replace(tzinfo=farm_config.zone("")).utcoffset() is not None


@pytest.mark.postgres
def test_thresholds_saved_on_one_pc_reach_the_server_and_another_pc(
    tmp_path: Path, pg_url: str
) -> None:
    server_url = resolve_url(pg_url)
    migrate.upgrade(server_url)
    server = make_engine(server_url)
    pcs = []
    for n in range(2):
        url = resolve_url(f"sqlite:///{tmp_path / f'pc{n}.db'}")
        migrate.upgrade(url)
        local = make_engine(url)
        pcs.append((local, SyncEngine(local, server, client_id=f"pc-{n}")))
    try:
        (a, sync_a), (b, sync_b) = pcs
        farm_config.save(a, FarmConfig(alarms=AlarmSettings(too_hot_c=64.0)))
        farm_config.save(b, FarmConfig(timezone="Europe/Berlin"))
        sync_a.sync()
        sync_b.sync()
        sync_a.sync()
        # The headless recorder reads the server; both PCs see both values.
        for engine in (server, a, b):
            loaded = farm_config.load(engine)
            assert loaded.alarms is not None and loaded.alarms.too_hot_c == 64.0
            assert loaded.timezone == "Europe/Berlin"
        # The same key made on two PCs is one row (the uuid comes from the key).
        farm_config.save(b, FarmConfig(alarms=AlarmSettings(too_hot_c=62.0)))
        sync_b.sync()
        sync_a.sync()
        assert farm_config.load(a).alarms == AlarmSettings(too_hot_c=62.0)
        with server.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM farm_setting")).scalar() == 2
    finally:
        for local, _ in pcs:
            local.dispose()
        server.dispose()
