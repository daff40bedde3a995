"""The one place where a command's failure becomes a plain message and an exit code.

Exit 2: the input was wrong (a URL, a date, a number, a recipe); exit 1: the operation
failed (a database that is away, damaged or busy, a full disk, a refused upgrade). No
traceback reaches the terminal; an unexpected error's traceback goes to the log file.
"""

from __future__ import annotations

import argparse
import errno
import sqlite3

from compost_desktop.db.errors import first_line

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


class CommandError(Exception):
    """Raised by commands for an explained failure; `code` is the exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


class BadInput(CommandError):
    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_BAD_INPUT)


def _known() -> tuple[type[BaseException], ...]:
    from compost_desktop.db.engine import DatabaseUrlError
    from compost_desktop.db.lock import StoreBusyError
    from compost_desktop.db.migrate import MigrationError
    from compost_desktop.records.backup import BackupError
    from compost_desktop.records.export import ExportError

    return (
        CommandError,
        DatabaseUrlError,
        StoreBusyError,
        MigrationError,
        BackupError,
        ExportError,
    )


def expected(exc: BaseException) -> bool:
    """True for failures whose message already says everything (no traceback to log)."""
    if isinstance(exc, (*_known(), OSError, sqlite3.Error)):
        return True
    from sqlalchemy.exc import DBAPIError

    return isinstance(exc, DBAPIError)


def explain(exc: BaseException) -> tuple[int, str]:
    """(exit code, message) for any exception a command let through."""
    from compost_desktop.db.engine import DatabaseUrlError

    if isinstance(exc, CommandError):
        return exc.code, str(exc)
    if isinstance(exc, DatabaseUrlError):
        return EXIT_BAD_INPUT, str(exc)
    if isinstance(exc, _known()):
        return EXIT_FAILURE, str(exc)
    if isinstance(exc, OSError):
        return EXIT_FAILURE, os_error(exc)
    sqlite_error = _sqlite_cause(exc)
    if sqlite_error is not None:
        return EXIT_FAILURE, sqlite_message(sqlite_error)
    from sqlalchemy.exc import DBAPIError  # loaded only once a command fails

    if isinstance(exc, DBAPIError):
        return EXIT_FAILURE, f"The database refused or failed the operation: {first_line(exc)}"
    return EXIT_FAILURE, f"Unexpected error: {type(exc).__name__}: {first_line(exc)}"


def os_error(exc: OSError) -> str:
    """A file-system failure in words: which file, and what to do."""
    where = f" {exc.filename}" if exc.filename else ""
    if exc.errno == errno.ENOSPC:
        return f"The disk is full (writing{where}). Free some space and try again."
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"No permission to write{where or ' there'} ({exc.strerror}). Check the folder's "
            "permissions, or set COMPOST_DATA_DIR to a folder you may write to."
        )
    if exc.errno == errno.ENOENT:
        return f"{exc.filename or 'The file'} does not exist."
    return f"{exc.strerror or exc}{':' + where if where else ''}"


def _sqlite_cause(exc: BaseException) -> sqlite3.Error | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, sqlite3.Error):
            return seen
        orig = getattr(seen, "orig", None)
        if isinstance(orig, sqlite3.Error):
            return orig
        seen = seen.__cause__
    return None


def sqlite_message(exc: sqlite3.Error) -> str:
    text = first_line(exc)
    lowered = text.lower()
    if "full" in lowered:
        return f"The disk is full ({text}). Free some space and try again; nothing was changed."
    if "not a database" in lowered or "malformed" in lowered:
        return (
            f"The database file is damaged ({text}). Restore a backup with "
            "`compost-desktop db restore FILE`."
        )
    if "readonly" in lowered or "unable to open" in lowered:
        return f"Cannot write the database file ({text}): check the folder's permissions."
    if "locked" in lowered or "busy" in lowered:
        return f"The database file is busy ({text}); try again in a moment."
    return f"SQLite error: {text}"


def scrub(message: str, args: argparse.Namespace) -> str:
    """Mask any password the user gave us in URLs, whatever printed it."""
    from compost_desktop.db.engine import mask_url

    message = mask_url(message)
    for name in ("database", "broker"):
        raw = getattr(args, name, None)
        if isinstance(raw, str) and raw and mask_url(raw) != raw:
            message = message.replace(raw, mask_url(raw))
    return message


def log_hint() -> str:
    try:
        from compost_desktop.logs import log_file

        return str(log_file())
    except OSError:
        return "the log"
