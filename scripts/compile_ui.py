"""Compile ui/*.ui Designer files into compost_desktop/gui/generated/ui_*.py.

The app imports the generated modules (loading .ui at run time breaks frozen builds).
`--check` exits 1 when a generated module is missing or stale, for the test suite.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UI_DIR = ROOT / "ui"
OUT_DIR = ROOT / "compost_desktop" / "gui" / "generated"


def uic() -> str:
    found = shutil.which("pyside6-uic", path=str(Path(sys.executable).parent)) or shutil.which(
        "pyside6-uic"
    )
    if not found:
        raise SystemExit("pyside6-uic not found; install PySide6")
    return found


def compile_one(source: Path) -> str:
    result = subprocess.run(
        [uic(), "--from-imports", "--no-autoconnection", str(source)],
        capture_output=True,
        text=True,
        check=True,
    )
    # uic stamps its own version in the header; drop it so upgrades don't churn the files.
    lines = [
        ln
        for ln in result.stdout.splitlines()
        if "Created by: Qt User Interface Compiler" not in ln
    ]
    return "# ruff: noqa\n# mypy: ignore-errors\n" + "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for source in sorted(UI_DIR.glob("*.ui")):
        target = OUT_DIR / f"ui_{source.stem}.py"
        code = compile_one(source)
        if target.exists() and target.read_text() == code:
            continue
        if check:
            stale.append(target.name)
        else:
            target.write_text(code)
            print(f"compiled {source.name} -> {target.relative_to(ROOT)}")
    if stale:
        print(f"stale generated UI modules (run `make ui`): {', '.join(stale)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
