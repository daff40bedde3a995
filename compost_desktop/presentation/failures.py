"""A failed load or save in words a farm office user can act on.

A load and a save fail for the same reasons but call for different advice: a failed load
said "Not saved … press Save again", though nothing had been typed.
"""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from compost_desktop.domain.validation import ValidationError

_UNREACHABLE = "The database could not be reached"


def explain_save(exc: BaseException) -> str:
    """Why a save failed, and that the user's entries are still there to save again."""
    if isinstance(exc, ValidationError):
        return str(exc)
    if isinstance(exc, OperationalError):
        return (
            f"{_UNREACHABLE}, so nothing more was saved. Your entries are still here: check "
            "the connection (status bar) and press Save again."
        )
    return f"Not saved: {exc}. Your entries are still here; fix the problem and press Save again."


def explain_load(exc: BaseException) -> str:
    """Why something could not be shown; nothing the user typed is at stake."""
    if isinstance(exc, ValidationError):
        return str(exc)
    if isinstance(exc, OperationalError):
        return (
            f"{_UNREACHABLE}: check the connection (status bar). Nothing was changed; this "
            "shows again once the database answers."
        )
    return f"{exc}. Nothing was changed."
