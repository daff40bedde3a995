"""A rotating log file the user can open from the Help menu, and stderr for services."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from compost_desktop.paths import data_dir

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def log_file() -> Path:
    folder = data_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "compost-desktop.log"


def setup(to_stderr: bool = False, level: int = logging.INFO) -> Path:
    """Idempotent: the GUI and commands call it once at start."""
    root = logging.getLogger()
    path = log_file()
    if not any(getattr(h, "_compost", False) for h in root.handlers):
        file_handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
        )
        file_handler.setFormatter(logging.Formatter(FORMAT))
        file_handler._compost = True  # type: ignore[attr-defined]
        root.addHandler(file_handler)
        if to_stderr:
            stream = logging.StreamHandler(sys.stderr)
            stream.setFormatter(logging.Formatter(FORMAT))
            stream._compost = True  # type: ignore[attr-defined]
            root.addHandler(stream)
    root.setLevel(level)
    return path
