"""No database statement, network connect, keyring look-up or thread join on the GUI thread.

The whole window runs as in the app (the real database thread, a real broker, every page
built and visited, a cycle opened on each tab, settings saved and applied) while hooks record
any of those made on the main thread. A hit is a frozen window on a slow disk, a hung
server or a locked keyring: the screen must hand the work to the task runner instead.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import shiboken6
import sqlalchemy as sa
from pytestqt.qtbot import QtBot

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.gui.app import DatabaseConnector, build_window
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.monitoring.page import MonitoringPage
from compost_desktop.gui.tasks import ChangeBus, DatabaseRunner, IoRunner
from compost_desktop.services.manual_readings import ManualReadingDraft, add_manual_reading
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft, InputDraft
from compost_desktop.settings import Settings
from tests.support.servers import MosquittoServer

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


class GuiThreadIo:
    """Where the GUI thread did I/O: each hit with the code that made it."""

    def __init__(self) -> None:
        self.active = False
        self.hits: list[str] = []

    def note(self, what: str) -> None:
        if self.active and threading.current_thread() is threading.main_thread():
            frames = [
                f"{Path(f.filename).name}:{f.lineno} {f.name}"
                for f in traceback.extract_stack()[:-2]
                if "compost_desktop" in f.filename
            ]
            self.hits.append(f"{what} from {' <- '.join(reversed(frames[-4:]))}")


_WATCH: GuiThreadIo | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    # Audit hooks cannot be removed, so this one is installed once and asks the active watch.
    if _WATCH is None or event not in ("socket.connect", "sqlite3.connect"):
        return
    if event == "socket.connect":
        # paho's loop_start() makes its wake-up socket pair by a loopback connect to a
        # listener it has just opened: instant, and not the network.
        if any(f.name == "_socketpair_compat" for f in traceback.extract_stack()):
            return
        _WATCH.note(f"socket.connect {args[1]}")
    else:
        _WATCH.note(f"sqlite3.connect {args[0]}")


sys.addaudithook(_audit)


@pytest.fixture
def watch(monkeypatch: pytest.MonkeyPatch) -> Iterator[GuiThreadIo]:
    global _WATCH
    import keyring

    seen = GuiThreadIo()

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.note(f"SQL {' '.join(statement.split())[:60]}")

    sa.event.listen(sa.Engine, "before_cursor_execute", on_statement)
    for name in ("get_password", "set_password", "delete_password", "get_keyring"):
        original = getattr(keyring, name)

        def spy(*args: Any, _original: Any = original, _name: str = name) -> Any:
            seen.note(f"keyring.{_name}")
            return _original(*args)

        monkeypatch.setattr(keyring, name, spy)
    join = threading.Thread.join

    def watched_join(thread: threading.Thread, timeout: float | None = None) -> None:
        if thread.is_alive():
            seen.note(f"join of thread {thread.name}")
        join(thread, timeout)

    monkeypatch.setattr(threading.Thread, "join", watched_join)
    _WATCH = seen
    try:
        yield seen
    finally:
        _WATCH = None
        sa.event.remove(sa.Engine, "before_cursor_execute", on_statement)


def _farm(url: str) -> int:
    """A store with an active cycle, its deliveries and a day of hand readings."""
    migrate.upgrade(resolve_url(url))
    engine = make_engine(resolve_url(url))
    store = Store(engine)
    cycle = store.save_cycle(CycleDraft("Bay 1", date(2026, 6, 1)))
    for m in store.materials()[:3]:
        store.add_input(cycle.id, InputDraft(m.id, mass_kg=400.0))
    store.activate(cycle.id)
    start = datetime(2026, 6, 2, 8, tzinfo=UTC)
    for day in range(3):
        add_manual_reading(
            engine,
            ManualReadingDraft(cycle.id, start + timedelta(days=day), "North", 56.0 + day),
            now=start + timedelta(days=5),
        )
    engine.dispose()
    return cycle.id


def test_the_gui_thread_never_waits_on_io(
    qtbot: QtBot, sqlite_url: str, mqtt_broker: MosquittoServer, watch: GuiThreadIo
) -> None:
    cycle_id = _farm(sqlite_url)
    settings = Settings()
    settings.mqtt = replace(
        settings.mqtt, host=mqtt_broker.host, port=mqtt_broker.port, username="farm"
    )
    bus = ChangeBus()
    runner = DatabaseRunner(bus)
    io = IoRunner(bus)
    ctx = AppContext(settings, runner, bus, io)
    window = build_window(ctx, "/tmp/log")
    connector = DatabaseConnector(ctx, window, sqlite_url, syncing=False)
    try:
        with qtbot.waitSignal(ctx.store_ready, timeout=20_000):
            connector.start()
        watch.active = True
        window.show()
        window.build_all_pages()
        for key in ("cycles", "monitoring", "materials", "devices", "settings"):
            window.show_page(key)
            qtbot.wait(150)
        window.show_page("cycles")
        cycles: Any = window.page("cycles")
        cycles.open_cycle(cycle_id)
        tabs = cycles.detail.ui.tabs
        for i in range(tabs.count()):
            tabs.setCurrentIndex(i)
            qtbot.wait(150)
        settings_page: Any = window.page("settings")
        # Broker changes saved and applied: the hub stops its client, restarts on the new one
        # (another user, the demo, back to the farm's broker).
        monitoring_page = window.page("monitoring")
        assert isinstance(monitoring_page, MonitoringPage)
        hub = monitoring_page.hub
        for host, user, source in (
            (mqtt_broker.host, "farm-office", "live"),
            ("", "", "demo"),
            (mqtt_broker.host, "", "live"),
        ):
            settings_page.ui.mqttHostEdit.setText(host)
            settings_page.ui.mqttUserEdit.setText(user)
            settings_page.on_save_clicked()

            def switched(s: str = source) -> bool:
                return hub.source == s

            qtbot.waitUntil(switched, timeout=10_000)
            qtbot.wait(300)
        qtbot.waitUntil(lambda: hub.link_state == "connected", timeout=10_000)
        watch.active = False
        assert watch.hits == []
    finally:
        watch.active = False
        monitoring: Any = window.page("monitoring")
        monitoring.hub.shutdown()
        # Deleted before the runner stops, so no page timer submits work to it afterwards.
        window.close()
        window.deleteLater()
        qtbot.waitUntil(lambda: not shiboken6.isValid(window), timeout=5_000)
        io.shutdown()
        runner.shutdown()
        ctx.deleteLater()  # with it the device registry keeper and its reload timer
