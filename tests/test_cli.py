"""The real `compost-desktop` process, as scripts and services run it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = {
    "target": 30,
    "add": "Leaves",
    "inputs": [
        {"name": "Kitchen scraps", "kg": 10, "n_pct": 2.4, "cn": 15, "moisture_pct": 70},
        {"name": "Leaves", "kg": 5, "n_pct": 0.9, "cn": 54, "moisture_pct": 38},
    ],
}


def _exe() -> list[str]:
    found = shutil.which("compost-desktop", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "compost_desktop"]


def run(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_exe(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_mix_example_from_the_issue() -> None:
    result = run("mix", stdin=json.dumps(EXAMPLE))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["cn_ratio"] == pytest.approx(25.9, abs=0.1)
    assert out["moisture_pct"] == pytest.approx(59.3, abs=0.1)
    assert out["total_kg"] == 15
    assert out["status"] == "optimal"
    assert out["estimate"] is False
    assert out["suggestion"] == {"material": "Leaves", "kg": pytest.approx(3.06, abs=0.01)}


def test_mix_names_library_materials_and_flags_estimates() -> None:
    recipe = {
        "inputs": [{"name": "Kitchen scraps", "kg": 100}, {"name": "Mystery", "kg": 10, "cn": 60}]
    }
    out = json.loads(run("mix", stdin=json.dumps(recipe)).stdout)
    assert out["estimate"] is True
    assert out["status"] == "too_much_green"
    assert out["suggestion"]["material"] == "Mystery"
    assert out["suggestion"]["kg"] > 0


def test_mix_unreachable_suggestion_is_explained() -> None:
    recipe = {**EXAMPLE, "add": "Grass clippings"}
    out = json.loads(run("mix", stdin=json.dumps(recipe)).stdout)
    assert out["suggestion"]["reachable"] is False
    assert "not reachable with Grass clippings" in out["suggestion"]["reason"]


@pytest.mark.parametrize(
    ("stdin", "fragment"),
    [
        ("not json", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"inputs": []}', "non-empty"),
        ('{"inputs": [{"name": "x", "kg": -2, "cn": 20}]}', "more than 0 kg"),
        ('{"inputs": [{"name": "x", "kg": NaN, "cn": 20}]}', "NaN"),
        ('{"inputs": [{"name": "Unobtainium", "kg": 2}]}', "not a material"),
        ('{"inputs": [{"name": "x", "kg": "ten", "cn": 20}]}', "must be a number"),
    ],
)
def test_mix_bad_input_exits_2_with_a_message(stdin: str, fragment: str) -> None:
    result = run("mix", stdin=stdin)
    assert result.returncode == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_mix_uses_the_library_of_the_given_database(any_url: str) -> None:
    assert run("db", "upgrade", "--database", any_url).returncode == 0
    recipe = {"inputs": [{"name": "Straw", "kg": 10}]}
    out = json.loads(run("mix", "--database", any_url, stdin=json.dumps(recipe)).stdout)
    assert out["cn_ratio"] == pytest.approx(80)


def test_db_upgrade_and_status(any_url: str) -> None:
    status = run("db", "status", "--database", any_url)
    assert status.returncode == 0 and "empty" in status.stdout
    up = run("db", "upgrade", "--database", any_url)
    assert up.returncode == 0, up.stderr
    assert "up to date" in up.stdout
    again = run("db", "status", env={"COMPOST_DATABASE_URL": any_url})
    assert again.returncode == 0 and "up to date (revision" in again.stdout


@pytest.mark.parametrize(
    ("url", "fragment", "code"),
    [
        ("nonsense:://", "not a database URL", 2),  # bad input
        ("mysql://root@localhost/x", "Unsupported database", 2),
        ("postgresql+psycopg://nobody@127.0.0.1:9/x", "Cannot reach", 1),  # failed operation
    ],
)
def test_db_failures_are_one_line(url: str, fragment: str, code: int) -> None:
    result = run("db", "upgrade", "--database", url)
    assert result.returncode == code
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_db_upgrade_refuses_two_active_legacy_cycles(tmp_path: Path) -> None:
    import sqlite3

    from tests.db import legacy

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(legacy.script("sqlite", 2) + "UPDATE compost_batch SET status='active';")
    conn.close()
    result = run("db", "upgrade", "--database", f"sqlite:///{path}")
    assert result.returncode == 1
    assert "id 1, 2" in result.stderr


@pytest.mark.parametrize("args", [[], ["db"], ["db", "upgrade"], ["db", "status"], ["mix"]])
def test_every_command_has_help(args: list[str]) -> None:
    result = run(*args, "--help")
    assert result.returncode == 0
    assert "usage: compost-desktop" in result.stdout


def test_gui_starts_and_closes_cleanly(tmp_path: Path) -> None:
    result = run(
        env={
            "QT_QPA_PLATFORM": "offscreen",
            "COMPOST_QUIT_AFTER_SHOWN_MS": "500",
            "COMPOST_DATA_DIR": str(tmp_path),
        }
    )
    assert result.returncode == 0, result.stderr
    assert "main-window-shown" in result.stdout
    assert (tmp_path / "compost.db").exists()  # the embedded default was created
    assert (tmp_path / "logs" / "compost-desktop.log").exists()


def test_export_backup_and_restore_commands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'farm.db'}"
    assert run("db", "upgrade", "--database", url).returncode == 0
    exported = run("export", "cycles", "--database", url, "--out", str(tmp_path / "c.csv"))
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "c.csv").read_text().startswith("cycle_id,cycle_name,status")
    backup = run("db", "backup", "--database", url, "--out", str(tmp_path / "b.sqlite"))
    assert backup.returncode == 0, backup.stderr
    restored = run("db", "restore", "--database", url, str(tmp_path / "b.sqlite"))
    assert restored.returncode == 0, restored.stderr
    refused = run("db", "restore", "--database", url, str(tmp_path / "c.csv"))
    assert refused.returncode == 1 and "error:" in refused.stderr
    bad_date = run("export", "readings", "--database", url, "--out", "x.csv", "--from", "June")
    assert bad_date.returncode == 2 and "Traceback" not in bad_date.stderr


def test_a_plain_launch_reads_as_the_parser_would_read_it() -> None:
    """A launch without arguments skips building the parser (start-up); what it stands in for
    must stay what the parser gives, or an option added later is missing at a plain start."""
    from compost_desktop.cli import _parse, build_parser

    assert vars(_parse([])) == vars(build_parser().parse_args([]))
