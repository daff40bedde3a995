"""Waiting on a real process, broker or database in tests, without Qt's event loop."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(
    condition: Callable[[], bool], timeout: float = 15.0, what: str = "condition"
) -> None:
    """Poll until `condition` holds; fail the test, saying `what`, once `timeout` s pass."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.02)
