"""The headless recorder as an operator starts it: `compost-desktop record` in its own process."""

from __future__ import annotations

import sys


def record_command(database: str, broker: str, client_id: str, *options: str) -> list[str]:
    """The command line of `record` on this interpreter (a fixed client id: a persistent
    session, as on the farm)."""
    return [
        sys.executable,
        "-m",
        "compost_desktop",
        "record",
        "--database",
        database,
        "--broker",
        broker,
        "--client-id",
        client_id,
        *options,
    ]
