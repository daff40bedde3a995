"""A long history's list starts with the cycles it shows first: what runs, what is coming,
then the newest of the record."""

from __future__ import annotations

from datetime import date

from compost_desktop.services.store import Store
from compost_desktop.services.values import CycleDraft, InputDraft


def _cycle(store: Store, name: str, start: date) -> int:
    return store.save_cycle(CycleDraft(name, start)).id


def test_the_first_cycles_are_the_top_of_the_list_with_their_inputs(store: Store) -> None:
    done = {}
    for year in (2021, 2023, 2022, 2024):
        done[year] = _cycle(store, f"Done {year}", date(year, 4, 1))
        store.activate(done[year])
        store.complete(done[year])
    store.archive(done[2024])  # archived: listed after every completed cycle
    straw = store.find_material("Straw")
    assert straw is not None
    store.add_input(done[2023], InputDraft(straw.id, mass_kg=100))
    store.add_input(done[2021], InputDraft(straw.id, mass_kg=50))
    _cycle(store, "Next", date(2027, 1, 1))
    store.activate(_cycle(store, "Running", date(2026, 3, 1)))

    first, total = store.first_cycles(4)

    assert total == 6
    assert sorted(c.name for c in first) == ["Done 2022", "Done 2023", "Next", "Running"]
    inputs = {c.name: [i.mass_kg for i in c.inputs] for c in first}
    assert inputs["Done 2023"] == [100] and inputs["Done 2022"] == []
    everything, _ = store.first_cycles(100)
    assert sorted(c.name for c in everything) == sorted(c.name for c in store.cycles())
