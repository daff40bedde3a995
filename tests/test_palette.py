"""One colour per meaning (issue 15): colours live in `presentation.palette`, and text stays legible.

A #rrggbb literal in another module is a colour that escaped the palette and will drift from
its twins (the package had two error reds, four greys and six ambers). Text colours keep
WCAG AA contrast, 4.5:1, on white, and a state's colour keeps it on its own background too.
Source-reading, like `test_layers`: no Qt, no display.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

from compost_desktop.presentation import palette

PACKAGE = Path(__file__).resolve().parent.parent / "compost_desktop"
HEX = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b")
# Where string text sits: whole strings up to 3.11, the literal parts of f-strings from 3.12.
_STRING_TOKENS = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}

# Modules still allowed colour literals of their own, and why. Remove an entry once the module
# takes its colours from the palette; `test_every_exclusion_is_still_needed` says when.
NOT_YET: dict[str, str] = {}
# Literals that are not colours anything is drawn in, where they stand.
NOT_COLOURS: dict[str, set[str]] = {
    "monitoring/registry.py": {"#1f77b4"},  # the example in check_colour's error message
}

AA_TEXT = palette.AA_TEXT


def _sources() -> list[Path]:
    return sorted(
        p
        for p in PACKAGE.rglob("*.py")
        if "generated" not in p.parts and p != PACKAGE / "presentation" / "palette.py"
    )


def _literals(path: Path) -> list[tuple[int, str]]:
    """(line, literal) for each #rrggbb or #rgb in the module's strings (comments are free)."""
    found: list[tuple[int, str]] = []
    source = path.read_text(encoding="utf-8")
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in _STRING_TOKENS:
            found += [(token.start[0], m.group().lower()) for m in HEX.finditer(token.string)]
    return found


def _name(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def test_colours_are_written_only_in_the_palette() -> None:
    stray = [
        f"{_name(path)}:{line}: {literal}"
        for path in _sources()
        if _name(path) not in NOT_YET
        for line, literal in _literals(path)
        if literal not in NOT_COLOURS.get(_name(path), set())
    ]
    assert not stray, (
        "colour literals outside presentation/palette.py; use (or add) a named role there:\n"
        + "\n".join(stray)
    )


def test_designer_files_use_palette_colours() -> None:
    """A `.ui` stylesheet cannot import the palette; it may only repeat one of its colours."""
    known = {
        value.lower()
        for value in vars(palette).values()
        if isinstance(value, str) and HEX.fullmatch(value)
    }
    stray = [
        f"{ui.name}: {m.group()}"
        for ui in sorted((PACKAGE.parent / "ui").glob("*.ui"))
        for m in HEX.finditer(ui.read_text(encoding="utf-8"))
        if m.group().lower() not in known
    ]
    assert not stray, "colours in Designer files that are not palette colours:\n" + "\n".join(stray)


def test_every_exclusion_is_still_needed() -> None:
    for name in NOT_YET:
        assert _literals(PACKAGE / name), f"{name} has no colour literal left: drop it from NOT_YET"
    for name, allowed in NOT_COLOURS.items():
        left = {literal for _, literal in _literals(PACKAGE / name)}
        assert allowed <= left, f"{name} no longer has {allowed - left}: drop it from NOT_COLOURS"


contrast = palette.contrast


def test_contrast_matches_the_wcag_examples() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the AA grey


# Every palette colour that text is written in (labels, table cells, the report's spans).
TEXT_COLOURS: dict[str, str] = {
    "ERROR": palette.ERROR,
    "WARNING": palette.WARNING,
    "OK": palette.OK,
    "MUTED_TEXT": palette.MUTED_TEXT,
    "INACTIVE": palette.INACTIVE,
    "INK": palette.INK,
    "SOFT_INK": palette.SOFT_INK,
    "ACCENT": palette.ACCENT,
    "THRESHOLD_LINE": palette.THRESHOLD_LINE,  # its label is written in it
    **{f"STATUS_COLOURS[{k.name}]": v for k, v in palette.STATUS_COLOURS.items()},
    **{f"CLOSENESS_COLOURS[{k.name}]": v for k, v in palette.CLOSENESS_COLOURS.items()},
    **{f"PATHOGEN_COLOURS[{k.name}]": v for k, v in palette.PATHOGEN_COLOURS.items()},
    **{f"MATERIAL_KIND_COLOURS[{k.name}]": v for k, v in palette.MATERIAL_KIND_COLOURS.items()},
}


@pytest.mark.parametrize(("name", "colour"), TEXT_COLOURS.items(), ids=list(TEXT_COLOURS))
def test_text_colours_are_legible_on_white(name: str, colour: str) -> None:
    assert contrast(colour, palette.PAPER) >= AA_TEXT, f"{name} {colour} on white"


# Text on a tinted box, and white text on a filled status badge.
PAIRS: dict[str, tuple[str, str]] = {
    "ERROR on ERROR_BACKGROUND": (palette.ERROR, palette.ERROR_BACKGROUND),
    "WARNING on WARNING_BACKGROUND": (palette.WARNING, palette.WARNING_BACKGROUND),
    "OK on OK_BACKGROUND": (palette.OK, palette.OK_BACKGROUND),
    "INK on TABLE_HEADING": (palette.INK, palette.TABLE_HEADING),
    **{
        f"ON_FILL on STATUS_COLOURS[{k.name}]": (palette.ON_FILL, v)
        for k, v in palette.STATUS_COLOURS.items()
    },
}


@pytest.mark.parametrize(("name", "pair"), PAIRS.items(), ids=list(PAIRS))
def test_text_is_legible_on_its_background(name: str, pair: tuple[str, str]) -> None:
    assert contrast(*pair) >= AA_TEXT, name


@pytest.mark.parametrize(
    "band",
    [palette.GAUGE_COLD, palette.GAUGE_GOOD, palette.GAUGE_CAUTION, palette.GAUGE_BAD],
)
def test_a_band_label_is_its_hue_dark_enough_to_read(band: str) -> None:
    shade = palette.legible(band)
    assert contrast(shade, palette.PAPER) >= AA_TEXT
    assert contrast(band, palette.PAPER) < AA_TEXT  # each band needed darkening
