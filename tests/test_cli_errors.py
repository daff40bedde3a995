"""Every bad input and failure of issue 17 ends in one plain message and the right exit code.

Exit 2 for bad input, 1 for a failed operation, never a traceback, never a password. The
commands run as real processes. A full disk and a read-only folder are real too: a small
tmpfs (or a read-only one) mounted in a private mount namespace (`unshare`) around the
command, so nothing outside the test sees it.
"""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.records.test_export import make_db, populate
from tests.support.readings import insert_readings
from tests.test_cli import _exe, run

PASSWORD = "s3cr3t-Pa55"


def _db(tmp_path: Path, readings: int = 0) -> str:
    """A current SQLite store with three cycles (and `readings` extra readings)."""
    url = f"sqlite:///{tmp_path / 'farm.db'}"
    engine = make_db(url)
    populate(engine)
    if readings:
        start = datetime(2026, 5, 2, tzinfo=UTC)
        rows = [(f"node-{i % 8}", start + timedelta(seconds=i), 50.0) for i in range(readings)]
        insert_readings(engine, None, rows)
    engine.dispose()
    return url


def _path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


# --- damage a SQLite file the ways the issue did ------------------------------------------


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:5000])


def _garbage_header(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[0:100] = os.urandom(100)
    path.write_bytes(bytes(data))


def _garbage_schema_page(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xa5" * 3996
    path.write_bytes(bytes(data))


DAMAGES: dict[str, Callable[[Path], None]] = {
    "truncated": _truncate,
    "header": _garbage_header,
    "schema page": _garbage_schema_page,
}


@dataclass(frozen=True)
class Case:
    args: list[str]  # {db} = the store's URL, {tmp} = the test's folder
    code: int
    says: str
    stdin: str = ""


CASES: dict[str, Case] = {
    "export up to the last day there is": Case(
        ["export", "cycles", "--database", "{db}", "--out", "{tmp}/c.csv", "--to", "9999-12-31"],
        0,
        "3 cycles written",
    ),
    "export with a date that is not one": Case(
        ["export", "readings", "--database", "{db}", "--out", "{tmp}/r.csv", "--from", "June"],
        2,
        "is not a date",
    ),
    "export with the range reversed": Case(
        [
            *["export", "readings", "--database", "{db}", "--out", "{tmp}/r.csv"],
            *["--from", "2026-07-01", "--to", "2026-06-01"],
        ],
        2,
        "is before --from",
    ),
    "report of a cycle number too large for any database": Case(
        ["report", "99999999999999999999", "--database", "{db}", "--out", "{tmp}/r.pdf"],
        2,
        "is not a cycle number",
    ),
    "report of a cycle that is not a number": Case(
        ["report", "seven", "--database", "{db}", "--out", "{tmp}/r.pdf"], 2, "not a whole number"
    ),
    "URL with a port that is not a number": Case(
        ["db", "status", "--database", f"postgresql://farm:{PASSWORD}@server:fivefour/compost"],
        2,
        "the port must be a number",
    ),
    "URL with an unknown driver": Case(
        ["db", "status", "--database", f"postgresql+nosuch://farm:{PASSWORD}@server/compost"],
        2,
        "Unknown database driver 'postgresql+nosuch'",
    ),
    "URL that is not one": Case(
        ["export", "cycles", "--database", f"farm:{PASSWORD}@server", "--out", "{tmp}/c.csv"],
        2,
        "not a database URL",
    ),
    "URL of an unsupported database": Case(
        ["db", "upgrade", "--database", "mysql://root@localhost/x"], 2, "Unsupported database"
    ),
    "recorder with a broker address that is not one": Case(
        ["record", "--database", "{db}", "--broker", f"mqtt://u:{PASSWORD}@broker:port"],
        2,
        "invalid port",
    ),
    "mix with a huge integer mass": Case(
        ["mix"],
        2,
        "too large",
        stdin='{"inputs": [{"name": "x", "kg": 1' + "0" * 400 + ', "cn": 20}]}',
    ),
    "mix with an integer mass beyond Python's digit limit": Case(
        ["mix"],
        2,
        "too large",
        stdin='{"inputs": [{"name": "x", "kg": 1' + "0" * 5000 + ', "cn": 20}]}',
    ),
    "SQLite path that is a folder": Case(
        ["db", "status", "--database", "sqlite:///{tmp}"], 1, "Cannot open the database file"
    ),
    "restore of a file that is not a backup": Case(
        ["db", "restore", "--database", "{db}", "{tmp}/farm.db"], 1, "not a Compost Desktop backup"
    ),
}


def _expand(args: list[str], url: str, tmp: Path) -> list[str]:
    return [a.replace("{db}", url).replace("{tmp}", str(tmp)) for a in args]


def _assert_plain(result: subprocess.CompletedProcess[str], code: int, says: str) -> None:
    assert result.returncode == code, result.stderr
    output = result.stdout + result.stderr
    assert says in output
    assert "Traceback" not in output
    assert PASSWORD not in output
    if code:
        assert "server is running" not in output or "postgresql" in output.lower()


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_and_failures_end_in_a_message(name: str, tmp_path: Path, data_dir: Path) -> None:
    case = CASES[name]
    url = _db(tmp_path)
    result = run(*_expand(case.args, url, tmp_path), stdin=case.stdin)
    _assert_plain(result, case.code, case.says)
    log = data_dir / "logs" / "compost-desktop.log"
    if log.exists():
        assert PASSWORD not in log.read_text()
        assert stat.S_IMODE(log.stat().st_mode) == 0o600


READERS = [
    ["db", "status", "--database", "{db}"],
    ["db", "upgrade", "--database", "{db}"],
    ["db", "backup", "--database", "{db}", "--out", "{tmp}/b.sqlite"],
    ["export", "cycles", "--database", "{db}", "--out", "{tmp}/c.csv"],
    ["report", "1", "--database", "{db}", "--out", "{tmp}/r.pdf"],
    ["mix", "--database", "{db}"],
]


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_store_gives_a_message_on_every_command_and_restore_repairs_it(
    damage: str, tmp_path: Path
) -> None:
    url = _db(tmp_path)
    good = tmp_path / "good.sqlite"
    assert run("db", "backup", "--database", url, "--out", str(good)).returncode == 0
    DAMAGES[damage](_path(url))
    recipe = json.dumps({"inputs": [{"name": "Straw", "kg": 10}]})
    for args in READERS:
        result = run(*_expand(args, url, tmp_path), stdin=recipe)
        _assert_plain(result, 1, "damaged")
        assert "db restore" in result.stderr
    assert not (tmp_path / "b.sqlite").exists()

    restored = run("db", "restore", "--database", url, str(good))
    assert restored.returncode == 0, restored.stderr
    status = run("db", "status", "--database", url)
    assert status.returncode == 0 and "up to date" in status.stdout
    kept = list(tmp_path.glob("farm.db.before-restore-*Z"))
    assert len(kept) == 1  # the damaged file, kept aside as it was
    exported = run("export", "cycles", "--database", url, "--out", str(tmp_path / "c.csv"))
    assert exported.returncode == 0 and "3 cycles" in exported.stdout


def test_backup_of_a_store_with_damaged_data_pages_is_refused(tmp_path: Path) -> None:
    url = _db(tmp_path, readings=20_000)
    path = _path(url)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2 // 4096 * 4096  # a page of readings, far from the schema
    data[middle : middle + 4096] = b"\xa5" * 4096
    path.write_bytes(bytes(data))
    out = tmp_path / "b.sqlite"
    result = run("db", "backup", "--database", url, "--out", str(out))
    _assert_plain(result, 1, "damaged pages")
    assert "no backup was written" in result.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".b.sqlite*"))


def test_on_a_newer_database_commands_say_so_and_do_not_advise_upgrading(tmp_path: Path) -> None:
    url = _db(tmp_path)
    with sqlite3.connect(_path(url)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'ffff_from_the_future'")
    conn.close()
    recipe = json.dumps({"inputs": [{"name": "Straw", "kg": 10}]})
    for args in READERS[3:]:  # export, report, mix
        result = run(*_expand(args, url, tmp_path), stdin=recipe)
        _assert_plain(result, 1, "made by a newer Compost Desktop")
        assert "db upgrade" not in result.stderr


# --- a real full disk and a real read-only folder --------------------------------------------


def _in_private_mount(mount: str, folder: Path, script: str) -> subprocess.CompletedProcess[str]:
    """Run `script` (sh) with a tmpfs mounted on `folder`, seen by no other process."""
    namespace = ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "-rm"]
    inner = f"mount -t tmpfs -o {mount} tmpfs {shlex.quote(str(folder))} && {script}"
    return subprocess.run(
        [*namespace, "sh", "-c", inner],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _cli() -> str:
    return " ".join(shlex.quote(part) for part in _exe())


def test_full_disk_during_backup(tmp_path: Path) -> None:
    url = _db(tmp_path, readings=30_000)  # a few MB, more than the disk below holds
    disk = tmp_path / "small-disk"
    disk.mkdir()
    result = _in_private_mount(
        "size=256k",
        disk,
        f"{_cli()} db backup --database {shlex.quote(url)} --out {disk}/b.sqlite; "
        f"echo rc=$?; ls -A {disk}",
    )
    assert "rc=1" in result.stdout, result.stderr
    assert "The disk is full" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.strip().endswith("rc=1")  # nothing left on the full disk


def test_full_disk_during_restore_leaves_the_store_intact(tmp_path: Path) -> None:
    source = _db(tmp_path, readings=30_000)
    backup = tmp_path / "big.sqlite"
    assert run("db", "backup", "--database", source, "--out", str(backup)).returncode == 0
    disk = tmp_path / "small-disk"
    disk.mkdir()
    target = f"sqlite:///{disk}/farm.db"
    check = (
        "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
        "print('integrity', c.execute('PRAGMA integrity_check').fetchone()[0], "
        "c.execute('SELECT count(*) FROM compost_batch').fetchone()[0])"
    )
    python = shlex.quote(_exe()[0]) if len(_exe()) > 1 else "python3"
    result = _in_private_mount(
        "size=1m",
        disk,
        f"{_cli()} db upgrade --database {target} >/dev/null && "
        f"{_cli()} db restore --database {target} {backup}; echo rc=$?; "
        f"{python} -c {shlex.quote(check)} {disk}/farm.db; ls -A {disk}",
    )
    assert "rc=1" in result.stdout, result.stdout + result.stderr
    assert "The disk is full" in result.stderr
    assert "Traceback" not in result.stderr
    assert "integrity ok 0" in result.stdout  # the store as it was: intact, its 0 cycles
    leftovers = set(result.stdout.split("integrity ok 0", 1)[1].split())
    assert leftovers <= {"farm.db", ".farm.db.locks", "farm.db-wal", "farm.db-shm"}


def test_read_only_data_folder(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    result = _in_private_mount(
        "ro,size=64k",
        folder,
        f"COMPOST_DATA_DIR={folder} {_cli()} db status; echo rc=$?; "
        f"COMPOST_DATA_DIR={folder} {_cli()} db upgrade; echo rc=$?",
    )
    assert result.stdout.count("rc=1") == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "no log file" in result.stderr
    assert "server is running" not in result.stderr
    assert "Cannot open the database file" in result.stderr or "No permission" in result.stderr
