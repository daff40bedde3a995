"""Where the app keeps its files; light enough to import before the window shows."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

from compost_desktop import APP_ID

ENV_DATA_DIR = "COMPOST_DATA_DIR"


def data_dir() -> Path:
    """The embedded database and logs; overridable so tests never touch a home folder."""
    override = os.environ.get(ENV_DATA_DIR)
    path = Path(override) if override else user_data_path(APP_ID, appauthor=False)
    path.mkdir(parents=True, exist_ok=True)
    return path


def resource_path(relative: str) -> Path:
    """A file under resources/: beside the package in a checkout, inside the frozen bundle."""
    import sys

    bundle = getattr(sys, "_MEIPASS", None)
    base = Path(bundle) if bundle else Path(__file__).resolve().parents[1]
    return base / "resources" / relative
