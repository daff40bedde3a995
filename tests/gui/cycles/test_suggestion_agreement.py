"""The cycle dialog's C:N indicator and `mix` give the same suggestion (one policy, domain.mix)."""

from __future__ import annotations

import json

import pytest
from pytestqt.qtbot import QtBot

from compost_desktop import mixcli
from compost_desktop.domain.mix import MixComponent
from compost_desktop.gui.cycles.cn_indicator import CnIndicator

LIBRARY = mixcli.builtin_library.materials


def component(name: str, kg: float) -> MixComponent:
    m = mixcli.builtin_library(name)
    assert m is not None
    return MixComponent(m.name, kg, m.cn_ratio, m.nitrogen_pct, m.moisture_pct)


RECIPES = [
    # 27.38:1, inside the band: the case where the dialog used to offer grams of cardboard
    (("Kitchen scraps", 10), ("Leaves, shredded", 6.0008)),
    (("Kitchen scraps", 20), ("Leaves, shredded", 5)),  # too green: a brown
    (("Kitchen scraps", 20),),  # too green, no brown in the mix: the library's best
    (("Straw", 10),),  # too brown: a green
    (("Straw", 10), ("Grass clippings", 2)),  # too brown, a green in the mix
    (("Sawdust", 5), ("Chicken manure", 3)),
    (("Kitchen scraps", 10), ("Leaves, shredded", 5)),  # 25.9, in the band
]


@pytest.mark.parametrize("recipe", RECIPES)
def test_dialog_and_mix_command_suggest_the_same(
    qtbot: QtBot, recipe: tuple[tuple[str, float], ...]
) -> None:
    components = [component(name, kg) for name, kg in recipe]
    indicator = CnIndicator()
    qtbot.addWidget(indicator)
    indicator.set_library(LIBRARY)
    indicator.set_components(components)
    assert indicator.proposal is not None

    out = mixcli.run(
        json.dumps({"inputs": [{"name": c.name, "kg": c.mass_kg} for c in components]})
    )
    dialog = indicator.proposal.suggestion
    if out["suggestion"] is None:
        assert dialog is None or dialog.kg == 0, indicator.suggestion_label.text()
        assert "nothing to add" in indicator.suggestion_label.text()
        assert not indicator.add_button.isEnabled()
    else:
        assert dialog is not None and dialog.kg is not None
        assert dialog.material == out["suggestion"]["material"]
        assert round(dialog.kg, 2) == out["suggestion"]["kg"]
        assert indicator.add_button.isEnabled()


def test_the_27_38_case_suggests_nothing_in_both() -> None:
    out = mixcli.run(
        json.dumps(
            {"inputs": [{"name": "Kitchen scraps", "kg": 10}, {"name": "Leaves", "kg": 6.0008}]}
        )
    )
    assert out["cn_ratio"] == pytest.approx(27.38, abs=0.01)
    assert out["suggestion"] is None
