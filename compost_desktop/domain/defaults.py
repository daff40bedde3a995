"""Typical material values shipped as editable defaults (NRAES-54, as compiled in public calculators)."""

from __future__ import annotations

from dataclasses import dataclass

from compost_desktop.domain.lifecycle import MaterialKind

SOURCE = "NRAES-54 On-Farm Composting Handbook (typical value)"


@dataclass(frozen=True, slots=True)
class DefaultMaterial:
    name: str
    kind: MaterialKind
    nitrogen_pct: float
    cn_ratio: float
    moisture_pct: float
    density_kg_per_l: float
    note: str = ""


G, B = MaterialKind.GREEN, MaterialKind.BROWN

DEFAULT_MATERIALS: tuple[DefaultMaterial, ...] = (
    DefaultMaterial("Kitchen scraps", G, 2.4, 15, 70, 0.420),
    DefaultMaterial("Garden waste", G, 3.2, 12, 65, 0.360),
    DefaultMaterial("Grass clippings", G, 4.0, 17, 82, 0.200, "bulk density loose"),
    DefaultMaterial("Coffee grounds", G, 2.0, 20, 60, 0.840),
    DefaultMaterial("Leaves, shredded", B, 0.9, 54, 38, 0.120, "bulk density loose"),
    DefaultMaterial("Straw", B, 0.7, 80, 12, 0.120),
    DefaultMaterial("Sawdust", B, 0.2, 440, 39, 0.240),
    DefaultMaterial("Wood chips", B, 0.15, 400, 40, 0.300),
    DefaultMaterial("Cardboard, corrugated", B, 0.1, 560, 8, 0.060),
    DefaultMaterial("Newspaper", B, 0.1, 650, 5, 0.030),
    DefaultMaterial("Cattle manure", G, 2.4, 19, 81, 0.860),
    DefaultMaterial("Horse manure", G, 1.6, 30, 72, 0.815),
    DefaultMaterial("Chicken manure", G, 8.0, 6, 69, 0.875),
)
