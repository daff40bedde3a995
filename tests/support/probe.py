"""Run a snippet in a fresh interpreter: what a start loads is only visible in a new process."""

from __future__ import annotations

import os
import subprocess
import sys


def run_probe(code: str, timeout: float = 60) -> str:
    """The snippet's standard output, stripped; a failing snippet fails the test."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    ).stdout.strip()
