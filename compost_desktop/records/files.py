"""Files the user asked for appear whole or not at all, with ordinary permissions."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replaced_when_done(out_path: Path) -> Iterator[Path]:
    """A temporary path beside `out_path` that becomes it only if the block succeeds.

    The temporary file is made with a plain exclusive open rather than mkstemp, whose files
    only their owner can read: an export or report keeps the permissions the user's umask
    gives any new document.
    """
    out_path = out_path.expanduser()
    tmp = out_path.with_name(f".{out_path.name}.{uuid.uuid4().hex[:8]}.part")
    with open(tmp, "xb"):
        pass
    try:
        yield tmp
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, out_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, blob: bytes) -> Path:
    """Write `blob` to `path` through a temporary file beside it."""
    with replaced_when_done(path) as tmp:
        tmp.write_bytes(blob)
    return path.expanduser()
