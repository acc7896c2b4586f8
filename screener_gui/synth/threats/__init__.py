"""Procedural threats (weapons, their parts, explosives, detonators) to hide inside items.

Each kind has a builder ``(long, short, depth, t, rng) -> (parts, description, max_turn_deg)``
that builds the threat in a room ``long`` x ``short`` mm (long >= short, u along the long side,
centred on the origin) with ``depth`` mm free along the beam; ``t`` in [0, 1] runs from subtle
(small, thin, a part or two) to obvious (large, thick, the whole thing). Every part's bounding
rectangle lies inside the room and the summed path length nowhere exceeds ``depth``. A room
below the kind's :data:`THREAT_MIN` may raise ``ValueError``: callers check it first.
"""

from __future__ import annotations

from screener_gui.synth.threats import blades, cutters, folders, guns, misc, wires
from screener_gui.synth.threats.base import Builder, Built, MinSize

THREAT_BUILDERS: dict[str, Builder] = {
    "handgun": guns.handgun,
    "gun_parts": guns.gun_parts,
    "detonator": wires.detonator,
    "blade_fixed": blades.blade_fixed,
    "blade_folding": folders.blade_folding,
    "box_cutter": cutters.box_cutter,
    "ceramic_blade": blades.ceramic_blade,
    "sheet_explosive": misc.sheet_explosive,
    "coins": misc.coins,
    "wire_bundle": wires.wire_bundle,
}
"""Kind -> builder."""

THREAT_MIN: dict[str, MinSize] = {
    **guns.MIN,
    **wires.MIN,
    **blades.MIN,
    **folders.MIN,
    **cutters.MIN,
    **misc.MIN,
}
"""Kind -> the smallest room it can be built in."""

THREAT_WEIGHTS: dict[str, float] = {
    "handgun": 1.0,
    "gun_parts": 0.7,
    "detonator": 1.0,
    "blade_fixed": 0.8,
    "blade_folding": 0.8,
    "box_cutter": 0.6,
    "ceramic_blade": 0.5,
    "sheet_explosive": 1.0,
    "coins": 0.4,
    "wire_bundle": 0.5,
}
"""Kind -> relative frequency."""

__all__ = ["THREAT_BUILDERS", "THREAT_MIN", "THREAT_WEIGHTS", "Builder", "Built", "MinSize"]
