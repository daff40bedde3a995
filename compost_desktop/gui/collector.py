"""Python's cycle collector runs on the GUI thread only.

Left automatic, a collection runs in whichever thread happens to allocate: paho's network
thread, the reading writer, the demo broker. A QObject freed there is destroyed on the wrong
thread, which killed the test suite with a segfault in CI (stop 10). pyqtgraph ships the same
guard (`pyqtgraph.util.garbage_collector`), but importing it loads all of pyqtgraph at start.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_INTERVAL_MS = 500


class MainThreadCollector(QObject):
    """Disables automatic collection and collects from a GUI-thread timer instead."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.collections = 0
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self.on_check_due)

    def start(self) -> None:
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        """Hands collection back to the interpreter (at quit, once the worker threads are gone)."""
        self._timer.stop()
        gc.enable()

    def on_check_due(self) -> None:
        """Collect the generations the interpreter would have collected by now, oldest first."""
        thresholds = gc.get_threshold()
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                self.collections += 1
                return
