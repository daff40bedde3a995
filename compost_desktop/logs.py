"""A rotating log file the user can open from the Help menu, and stderr for services.

The log names databases, hosts and errors: it is readable by its owner only (0600, in a
0700 folder), rotated files included. A data folder that cannot be written leaves the
app without a log file, never without a start.
"""

from __future__ import annotations

import contextlib
import io
import logging
import logging.handlers
import os
import sys
from pathlib import Path

from compost_desktop.paths import data_dir

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
PRIVATE = 0o600


def log_file() -> Path:
    folder = data_dir() / "logs"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / "compost-desktop.log"


def _private_opener(path: str, flags: int) -> int:
    return os.open(path, flags, PRIVATE)


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Every file it opens, the first and each rotated one, is created with mode 0600."""

    def _open(self) -> io.TextIOWrapper:
        handle = open(  # noqa: SIM115 - the handler owns and closes it
            self.baseFilename,
            self.mode,
            encoding=self.encoding,
            errors=self.errors,
            opener=_private_opener,
        )
        with contextlib.suppress(OSError):  # a file made by an older version was 0644
            os.chmod(self.baseFilename, PRIVATE)
        assert isinstance(handle, io.TextIOWrapper)  # text mode: the handler's mode is "a"
        return handle


def _has(root: logging.Logger, kind: str) -> bool:
    return any(getattr(h, "_compost", None) == kind for h in root.handlers)


def setup(to_stderr: bool = False, level: int = logging.INFO) -> Path:
    """Idempotent: the GUI and commands call it at start (a later call may add stderr)."""
    root = logging.getLogger()
    path = Path("compost-desktop.log")
    try:
        path = log_file()
        for old in [h for h in root.handlers if getattr(h, "_compost", "") == "file"]:
            # The data folder moved since (another profile, a test): log where it is now.
            if getattr(old, "baseFilename", None) != os.path.abspath(path):
                root.removeHandler(old)
                old.close()
        if not _has(root, "file"):
            file_handler = PrivateRotatingFileHandler(
                path, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
            )
            file_handler.setFormatter(logging.Formatter(FORMAT))
            file_handler._compost = "file"  # type: ignore[attr-defined]
            root.addHandler(file_handler)
            for rotated in path.parent.glob(f"{path.name}.*"):
                with contextlib.suppress(OSError):
                    os.chmod(rotated, PRIVATE)
    except OSError as exc:
        if not _has(root, "none"):
            print(f"warning: no log file ({exc.strerror or exc}: {path})", file=sys.stderr)
            # Without any handler, logging's last resort would print tracebacks on stderr.
            quiet = logging.NullHandler()
            quiet._compost = "none"  # type: ignore[attr-defined]
            root.addHandler(quiet)
    if to_stderr and not _has(root, "stderr"):
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(logging.Formatter(FORMAT))
        stream._compost = "stderr"  # type: ignore[attr-defined]
        root.addHandler(stream)
    root.setLevel(level)
    return path
