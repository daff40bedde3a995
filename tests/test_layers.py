"""The package's layers, checked from the source: a lower layer never imports a higher one.

Qt stays in `gui` (and the two entry points that start it), so the domain, the database, the
services, monitoring, sync and records run and are tested without a display, and the headless
recorder never loads a widget module. The map below is the contract; widening it is a design
decision to make in review, not a way to make this test pass.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

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
    # services still take quantity names from monitoring.parsing (issue 15 moves them down).
    "services": {"db", "domain", "monitoring", "settings", "paths"},
    "records": {"db", "domain", "services", "paths"},
    "sync": {"db", "domain", "services", "paths"},
    "mixcli": {"domain", "services", "db"},
    "plancli": {"domain", "mixcli", "services"},
    "clierrors": {"db", "logs", "records", "monitoring", "sync", "paths"},
    "gui": {
        "db",
        "domain",
        "logs",
        "monitoring",
        "paths",
        "records",
        "secrets",
        "services",
        "settings",
        "sync",
        "mixcli",
    },
}
# Entry points: they may start anything.
ENTRY_POINTS = {"__init__", "__main__", "cli", "selftest"}
QT_ALLOWED = {"gui", "cli", "selftest"}


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
        if module.startswith(("PySide6", "shiboken6", "pyqtgraph")) and part not in QT_ALLOWED:
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
