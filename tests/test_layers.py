"""The package's layers, checked from the source: a lower layer never imports a higher one.

Widgets stay in `gui` (and the two entry points that start it), so the domain, the database,
the services, monitoring, sync and records run and are tested without a display, and the
headless recorder never loads a Qt module. `presentation` (formats, colours, words) may use
QtCore's locale; `reports` draws with QtGui and no widget, so `compost-desktop report` renders
a PDF with no widget module loaded. The map below is the contract; widening it is a design
decision to make in review, not a way to make this test pass.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.probe import run_probe

PACKAGE = Path(__file__).resolve().parent.parent / "compost_desktop"

# What each part of the package may import from the package (besides itself).
ALLOWED: dict[str, set[str]] = {
    "paths": set(),
    "logs": {"paths"},
    "secrets": {"paths"},
    "domain": set(),
    "settings": {"domain"},
    "db": {"domain", "paths"},
    "monitoring": {"db", "domain", "settings", "paths", "logs"},
    "services": {"db", "domain", "settings", "paths"},
    "records": {"db", "domain", "services", "paths"},
    "sync": {"db", "domain", "services", "paths"},
    "presentation": {"domain", "settings"},  # and SQLAlchemy's error types
    "settings_store": {"settings", "secrets"},
    "reports": {"domain", "presentation", "records", "services", "settings"},
    "mixcli": {"domain", "services", "db"},
    "plancli": {"domain", "mixcli", "services"},
    "clierrors": {"db", "logs", "records", "monitoring", "sync", "paths"},
    "gui": {
        "db",
        "domain",
        "logs",
        "monitoring",
        "paths",
        "presentation",
        "records",
        "reports",
        "secrets",
        "services",
        "settings_store",
        "settings",
        "sync",
        "mixcli",
    },
}
# Entry points: they may start anything.
ENTRY_POINTS = {"__init__", "__main__", "cli", "selftest"}
QT_ALLOWED = {"gui", "cli", "selftest"}
# Parts below the GUI that may use some of Qt, and which of it.
QT_PARTLY: dict[str, tuple[str, ...]] = {
    "presentation": ("PySide6.QtCore",),
    "settings_store": ("PySide6.QtCore",),  # QSettings
    "reports": ("PySide6.QtCore", "PySide6.QtGui"),
}


def _part(path: Path) -> str:
    rel = path.relative_to(PACKAGE).parts
    return rel[0] if len(rel) > 1 else path.stem


def _imports(path: Path) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "generated" not in p.parts)


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_layer(path: Path) -> None:
    part = _part(path)
    if part in ENTRY_POINTS:
        return
    assert part in ALLOWED, f"{part} is a new part of the package: place it in the layer map"
    wrong = []
    for line, module in _imports(path):
        qt = module.startswith(("PySide6", "shiboken6", "pyqtgraph"))
        if qt and part not in QT_ALLOWED and module not in QT_PARTLY.get(part, ()):
            wrong.append(f"line {line}: {module} (Qt belongs in gui)")
        if module.startswith("compost_desktop."):
            target = module.split(".")[1]
            if target != part and target not in ALLOWED[part]:
                wrong.append(f"line {line}: {module} ({part} may not import {target})")
    assert not wrong, f"{path.relative_to(PACKAGE)} crosses the layers:\n" + "\n".join(wrong)


def test_the_layer_map_has_no_cycles() -> None:
    seen: dict[str, int] = {}

    def visit(part: str, stack: tuple[str, ...]) -> None:
        assert part not in stack, f"import cycle between layers: {' -> '.join((*stack, part))}"
        if seen.get(part) == 2:
            return
        for target in ALLOWED.get(part, set()):
            visit(target, (*stack, part))
        seen[part] = 2

    for part in ALLOWED:
        visit(part, ())


def test_the_report_command_loads_no_widget_module(tmp_path: Path) -> None:
    """`compost-desktop report` writes a PDF with no widget module loaded (it imported
    `gui.report` and `gui.settings_store`, and with them QtWidgets)."""

    probe = f"""
import sys
from datetime import date
from compost_desktop import cli
from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.services.values import CycleDraft
from compost_desktop.services.store import Store

url = "sqlite:///{tmp_path / "farm.db"}"
migrate.upgrade(resolve_url(url))
engine = make_engine(resolve_url(url))
cycle = Store(engine).save_cycle(CycleDraft("Bay 1", date(2026, 5, 1))).id
engine.dispose()
code = cli.main(["report", str(cycle), "--out", "{tmp_path / "r.pdf"}", "--database", url])
assert code == 0, code
print(sorted(m for m in sys.modules if m.startswith(
    ("PySide6.QtWidgets", "PySide6.QtPrintSupport", "compost_desktop.gui"))))
"""
    out = run_probe(probe, timeout=120)
    assert out.splitlines()[-1] == "[]"
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
