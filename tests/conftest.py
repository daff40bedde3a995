"""Shared fixtures: every test gets a throwaway data folder; databases come on both backends."""

from __future__ import annotations

import gc
import logging
import os
import re
import threading
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sqlalchemy import Engine

# Before any Qt or app import: tests run headless and never touch the user's real data.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"

pytest_plugins = ["tests.support.fixtures"]

# Property tests explore new examples on a developer's machine, and the same ones in CI
# (derandomized), so a submission is judged on what was tested before it, and an edge
# case found locally is fixed on purpose rather than landing as a random red CI.
if os.environ.get("CI"):
    from hypothesis import settings

    settings.register_profile("ci", derandomize=True, database=None)
    settings.load_profile("ci")


class _LoggedWarnings(logging.Handler):
    """Warnings and errors logged by any thread while a test body runs."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """A logged warning the test did not expect fails it, as Qt's warnings do (qutebrowser).

    A test that provokes one on purpose names it: ``@pytest.mark.log_allowed("regex", ...)``.
    """
    # A thread an earlier test left running (a watchdog, a recorder winding down) may log
    # during this one: only this test's own threads and the main thread count.
    earlier = {t.ident for t in threading.enumerate() if t is not threading.main_thread()}
    seen = _LoggedWarnings()
    root = logging.getLogger()
    root.addHandler(seen)
    try:
        result = yield
    finally:
        root.removeHandler(seen)
    allowed = [re.compile(p) for m in item.iter_markers("log_allowed") for p in m.args]
    unexpected = [
        f"{r.levelname} {r.name}: {r.getMessage()}"
        for r in seen.records
        if r.thread not in earlier and not any(p.search(r.getMessage()) for p in allowed)
    ]
    if unexpected:
        pytest.fail(
            "Unexpected logged warnings (mark the test log_allowed if they are the point):\n"
            + "\n".join(unexpected[:10]),
            pytrace=False,
        )
    return result


@pytest.fixture(autouse=True)
def data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("COMPOST_DATA_DIR", str(path))
    monkeypatch.delenv("COMPOST_DATABASE_URL", raising=False)
    return path


@pytest.fixture(autouse=True, scope="session")
def qt_settings_in_a_temp_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """QSettings would otherwise write into the developer's own configuration."""
    from PySide6.QtCore import QSettings

    folder = str(tmp_path_factory.mktemp("qsettings"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, folder)


_collections_off_the_main_thread: list[str] = []


def _note_collection_thread(phase: str, info: dict[str, int]) -> None:
    if phase == "start" and threading.current_thread() is not threading.main_thread():
        _collections_off_the_main_thread.append(threading.current_thread().name)


@pytest.fixture(autouse=True, scope="session")
def collector_on_the_main_thread() -> Iterator[None]:
    """As in the app (gui/collector.py): a QObject freed by a collection on paho's or the
    writer's thread is destroyed on the wrong thread, a segfault that once killed CI."""
    gc.collect()
    gc.freeze()  # what the imports built lives all session; later collections skip it
    gc.disable()
    gc.callbacks.append(_note_collection_thread)
    yield
    gc.callbacks.remove(_note_collection_thread)
    gc.enable()


@pytest.fixture(autouse=True)
def collect_after_each_test() -> Iterator[None]:
    """Runs after qtbot's teardown (autouse fixtures are set up first, torn down last)."""
    yield
    gc.collect()
    threads, _collections_off_the_main_thread[:] = list(_collections_off_the_main_thread), []
    assert not threads, f"the cycle collector ran on {threads}: only the GUI thread may run it"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'compost.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test on the embedded default and on a real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'compost.db'}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def any_engine(any_url: str) -> Iterator[Engine]:
    """An engine on `any_url`'s database, migrated to the current schema."""
    from compost_desktop.db import migrate
    from compost_desktop.db.engine import make_engine, resolve_url

    url = resolve_url(any_url)
    migrate.upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
