"""The planner dialog uses the cycle screens' fixtures (a migrated store, inline runner)."""

from tests.gui.cycles.conftest import (  # noqa: F401
    ctx,
    english_numbers,
    migrated_template,
    store,
)
