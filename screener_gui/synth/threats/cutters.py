"""Snap-off box cutters: loose blade segments, whole blades, or the cutter in its holder.

The blade is 0.38-0.7 mm steel, 9, 18 or 25 mm wide, scored at 59° into segments; the tip is
where the slanted front end meets the edge. Frame: spine along v = 0, edge along v = width,
the blade's front towards +u.
"""

from __future__ import annotations

import math

import numpy as np

from screener_gui.synth.canvas import Part
from screener_gui.synth.threats.base import (
    Built,
    MinSize,
    Room,
    centred,
    fit_long,
    inset,
    outline,
    pick,
    rect,
    size,
)

MIN = {"box_cutter": MinSize(20.0, 12.0, 0.4)}

# Blade width, thickness, length and segment pitch along the edge (mm).
BLADES = {9: (9.0, 0.38, 80.0, 6.2), 18: (18.0, 0.5, 100.0, 12.5), 25: (25.0, 0.7, 126.0, 18.0)}
SCORE = 1 / math.tan(math.radians(59))
GAP_MM = 0.25
"""Width of a score line drawn as a gap between segments (mm)."""


def segments(kind: int, count: int, thick: float, rng: np.random.Generator) -> list[Part]:
    """A blade of ``count`` segments (the rear one square with its slot), front segment first,
    its rear end at u = 0."""
    w, _, _, pitch = BLADES[kind]
    k = w * SCORE
    length = count * pitch + k
    parts = []
    for j in range(count):
        e0, e1 = length - j * pitch, length - (j + 1) * pitch  # edge positions of the two score lines
        last = j == count - 1
        back = [(0.0, w), (0.0, 0.0)] if last else [(e1 + GAP_MM / 2, w), (e1 - k + GAP_MM / 2, 0.0)]
        ring = [*back, (e0 - k - GAP_MM / 2 * (j > 0), 0.0), (e0 - GAP_MM / 2 * (j > 0), w)]
        rings = [ring]
        if last:  # the slot the slider's hook catches
            rings.append(rect(2.0, w * 0.35, 2.0 + max(w * 0.3, 2.5), w * 0.65))
        parts.append(
            outline(rings, thick, "steel", sharp=(len(back) + 1,), bevel=min(1.5, w * 0.15), edge=0.35)
        )
    return parts


def box_cutter(long: float, short: float, depth: float, t: float, rng: np.random.Generator) -> Built:
    """Loose segments when subtle, a blade or a pack of blades, the whole cutter when obvious."""
    stage = int(np.clip(round(2.3 * t + rng.normal(0, 0.4)), 0, 2))
    kinds = [k for k in BLADES if BLADES[k][1] <= depth and BLADES[k][0] + BLADES[k][0] * SCORE <= long]
    kinds = [k for k in kinds if BLADES[k][0] <= short - 0.2] or [9]
    weights = [{9: 1.5 - t, 18: 0.6 + t, 25: 0.1 + 0.6 * t}[k] for k in kinds]
    kind = int(pick(rng, [str(k) for k in kinds], weights))
    # The chosen width first, then the others, before settling for less of a cutter.
    order = [kind] + [k for k in sorted(kinds) if k != kind]
    for level in range(stage, 0, -1):
        for k in order:
            w, thick, length, pitch = BLADES[k]
            if level == 2:
                built = _cutter(k, long, short, depth, t, rng)
                if built is not None:
                    return built
                continue
            pack = int(min(max(1, round(size(1, 4, t, rng, 0.3))), depth // thick))
            parts = fit_long(segments(k, round((length - w * SCORE) / pitch), thick * pack, rng), long, short)
            if parts is not None:
                text = f"{pack} snap-off blades" if pack > 1 else "snap-off blade"
                return parts, f"{text} {w:.0f} mm wide, {length:.0f} mm long, {thick} mm steel", 15.0
    w, thick, _, _ = BLADES[kind]
    # Loose segments strewn in the room.
    room = Room(long, short, depth)
    count = int(rng.integers(1, 4))
    parts: list[Part] = []
    for _ in range(count):
        n = int(rng.integers(1, 3))
        placed = room.put(segments(kind, n, thick, rng), thick, rng)
        if placed is None and not parts:
            placed = room.put(segments(kind, 1, thick, rng), thick, rng, angles=(0.0,), tries=200)
        parts += placed or []
    if not parts:
        raise ValueError(f"no blade segment fits {long:.0f}x{short:.0f} mm")
    return parts, f"loose snap-off blade segments, {w:.0f} mm wide, {thick} mm steel", 0.0


def _cutter(
    kind: int, long: float, short: float, depth: float, t: float, rng: np.random.Generator
) -> Built | None:
    """The blade in its holder, a few segments out, or None when it does not fit."""
    w, thick, length, pitch = BLADES[kind]
    n_full = round((length - w * SCORE) / pitch)
    body_len = length * rng.uniform(1.4, 1.65)
    top, bottom = rng.uniform(3.0, 5.0), rng.uniform(3.0, 6.0)  # holder beyond the spine and edge
    body_h = w * 0.4 + rng.uniform(6.0, 9.0)
    if body_h > depth:
        return None
    metal = rng.random() < 0.3
    mat = (
        pick(rng, ("aluminium", "stainless")) if metal else pick(rng, ("abs", "polyethylene", "pom", "nylon"))
    )
    wall = rng.uniform(0.8, 1.2) if metal else rng.uniform(1.3, 2.0)
    nose = (w + top) * rng.uniform(0.6, 1.0)
    shape = [(2.0, -top), (body_len - nose, -top), (body_len, w * 0.6), (body_len, w + bottom)]
    shape += [(2.0, w + bottom), (0.0, w + bottom - 2.0), (0.0, -top + 2.0)]
    channel = 0.5
    parts = [outline([shape], 2 * wall, mat)]
    parts.append(outline([shape, inset(shape, wall)], body_h - 2 * wall - thick, mat))
    parts.append(
        outline([rect(body_len * 0.1, -0.6, body_len - nose - 1.0, w + 0.6)], 2 * channel, "stainless")
    )
    out = int(rng.integers(0, 4))
    blade = segments(kind, n_full, thick, rng)
    rear = body_len - (n_full * pitch + w * SCORE) + out * pitch
    parts += [p.moved(np.array([[1.0, 0, rear], [0, 1.0, 0], [0, 0, 1.0]])) for p in blade]
    slider = body_len * rng.uniform(0.3, 0.6)
    parts.append(
        outline([rect(slider, -top - 2.5, slider + 12.0, -top)], body_h * 0.6, pick(rng, ("abs", "pom")))
    )
    parts.append(outline([rect(slider, -top + wall + 0.3, slider + 10.0, -0.8)], 1.0, "steel"))
    parts.append(outline([rect(wall + 0.5, 0.5, wall + 6.0, w - 0.5)], 1.0, "steel"))
    fitted = fit_long(centred(parts, rng.random() < 0.5, rng.random() < 0.5), long, short)
    if fitted is None:
        return None
    what = "metal" if metal else "plastic"
    text = f"box cutter, {mat} ({what}) holder {body_len:.0f}x{w + top + bottom:.0f}x{body_h:.0f} mm"
    return fitted, f"{text}, {w:.0f} mm snap-off blade {out} segment(s) out", 10.0
