"""Fixtures for the Cycles screens: a real migrated SQLite store and an inline runner."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QMessageBox

from compost_desktop.db import migrate
from compost_desktop.db.engine import make_engine, resolve_url
from compost_desktop.gui.context import AppContext
from compost_desktop.gui.tasks import ChangeBus, ImmediateRunner
from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft, InputDraft
from compost_desktop.settings import Settings


@pytest.fixture(autouse=True)
def english_numbers() -> Iterator[None]:
    """Tests read '25.9'; the screens follow whatever the system locale is."""
    before = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    yield
    QLocale.setDefault(before)


@pytest.fixture(autouse=True)
def discard_on_close(monkeypatch: pytest.MonkeyPatch) -> None:
    """A form closed with unsaved changes asks first; tests that end with one open discard it.

    Tests that check the question patch `QMessageBox.question` themselves, over this one.
    """
    real = QMessageBox.question

    def question(parent: object, title: str, *args: object, **kwargs: object) -> object:
        if title == "Discard changes?":
            return QMessageBox.StandardButton.Discard
        return real(parent, title, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(QMessageBox, "question", question)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once per run; each test gets a copy (a real upgraded SQLite file)."""
    path = tmp_path_factory.mktemp("template") / "compost.db"
    migrate.upgrade(resolve_url(f"sqlite:///{path}"))
    return path


@pytest.fixture
def store(sqlite_url: str, migrated_template: Path) -> Iterator[Store]:
    url = resolve_url(sqlite_url)
    assert url.database is not None
    shutil.copyfile(migrated_template, url.database)
    engine = make_engine(url)
    yield Store(engine)
    engine.dispose()


@pytest.fixture
def ctx(store: Store) -> AppContext:
    bus = ChangeBus()
    context = AppContext(Settings(), ImmediateRunner(bus), bus)
    context.set_store(store, "SQLite test")
    return context


def material_id(store: Store, name: str) -> int:
    found = store.find_material(name)
    assert found is not None, name
    return found.id


def make_cycle(
    store: Store, name: str, inputs: tuple[tuple[str, float], ...] = (), **fields: object
) -> int:
    draft = CycleDraft(
        name,
        fields.pop("start", date(2026, 4, 1)),  # type: ignore[arg-type]
        fields.pop("end", date(2026, 7, 1)),  # type: ignore[arg-type]
        **fields,  # type: ignore[arg-type]
    )
    cid = store.save_cycle(draft).id
    for material, kg in inputs:
        store.add_input(cid, InputDraft(material_id(store, material), mass_kg=kg))
    return cid
