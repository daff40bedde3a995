"""A database error in words, without loading SQLAlchemy: screens import this before it."""

from __future__ import annotations


def first_line(exc: BaseException) -> str:
    """An error in one line without a traceback: the database driver's own words when it has
    them, else the message, else the error's name."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
