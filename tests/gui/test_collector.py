"""Garbage cycles holding Qt objects are freed on the GUI thread, never on a worker's."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from compost_desktop.gui.collector import MainThreadCollector


class _Cyclic(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.me = self  # only the cycle collector can free it


def test_a_qt_object_let_go_while_a_worker_allocates_is_freed_on_the_gui_thread(
    qtbot: QtBot,
) -> None:
    gc.enable()  # as in a fresh process: the collector itself must turn automatic runs off
    collector = MainThreadCollector()
    collector.start()
    try:
        assert not gc.isenabled()
        freed_on: list[str] = []
        doomed = _Cyclic()
        weakref.finalize(doomed, lambda: freed_on.append(threading.current_thread().name))
        del doomed

        def allocate() -> None:
            # Enough new garbage cycles that an automatic collection would run right here.
            for _ in range(5_000):
                node: list[object] = []
                node.append(node)

        worker = threading.Thread(target=allocate, name="mqtt-like-worker")
        worker.start()
        worker.join()
        assert freed_on == []
        qtbot.waitUntil(lambda: freed_on != [], timeout=3_000)
        assert freed_on == [threading.main_thread().name]
        assert collector.collections >= 1
    finally:
        collector.stop()
        gc.disable()  # the test session's own setting (tests/conftest.py)
