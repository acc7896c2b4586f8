"""Folding knives and snap-off box cutters.

A folding knife lies flat, open or closed: its blade between two liners (or the slabs of a frame
lock), handle scales outside them, a steel pivot and a screw through the stack, a back spacer at
the butt and a pocket clip. A box cutter is a holder (plastic or metal) around a steel channel
and a snap-off blade of 0.4-0.7 mm steel scored into segments; subtle ones are loose segments or
blades.
"""

from __future__ import annotations

import math

import numpy as np

from screener_gui.synth.canvas import part
from screener_gui.synth.shapes import Ellipse
from screener_gui.synth.threats.base import (
    Built,
    MinSize,
    bezier,
    centred,
    circle,
    fit_long,
    outline,
    pick,
    rect,
    size,
)
from screener_gui.synth.threats.blades import STYLES, profile

MIN = {"blade_folding": MinSize(70.0, 15.0, 6.0)}


def _handle(length: float, width: float, rng: np.random.Generator) -> list[tuple[float, float]]:
    """A folder's handle outline: u in [0, length], v in [0, width], round at the pivot end (+u),
    with smaller rounded corners at the butt."""
    r = width / 2
    rb = rng.uniform(2.5, r * 0.9)
    arc = np.linspace(-np.pi / 2, np.pi / 2, 9)
    pts = [(float(length - r + r * math.cos(a)), float(r + r * math.sin(a))) for a in arc]
    pts += bezier((rb, width), (0.0, width), (0.0, width - rb), 3)
    pts += bezier((0.0, rb), (0.0, 0.0), (rb, 0.0), 3)
    return pts


def _stack(lock: str, spine: float, depth: float, rng: np.random.Generator):
    """Liner (or slab) and scale thickness per side, clip, spine (mm), thinned to fit ``depth``."""
    if lock == "frame":
        liner, side = rng.uniform(2.5, 3.5), 0.0
    else:
        liner = rng.uniform(0.8, 1.3)
        side = rng.uniform(2.5, 4.0) if lock == "liner" else rng.uniform(2.0, 3.0)
    clip = rng.uniform(0.8, 1.3) if rng.random() < 0.75 else 0.0
    thinnest = 1.5 if lock == "frame" else 0.6
    # Thin it down until it fits: the clip, the scales, the liners, the blade last.
    while 2 * liner + 2 * side + spine + 0.6 + clip > depth:
        if clip:
            clip = 0.0
        elif side > 1.5:
            side = max(side - 0.5, 1.5)
        elif liner > thinnest:
            liner = max(liner - 0.3, thinnest)
        elif side > 0:
            side = 0.0
        elif spine > 1.0:
            spine = max(spine - 0.2, 1.0)
        else:
            raise ValueError(f"a folding knife needs more than {depth:.1f} mm")
    return float(liner), float(side), float(clip), float(spine)


def blade_folding(long: float, short: float, depth: float, t: float, rng: np.random.Generator) -> Built:
    """A folding knife, closed or open, growing in size and thickness with ``t``."""
    length = float(np.clip(size(70, 125, t, rng, 0.1), MIN["blade_folding"].long_mm - 0.2, long - 0.2))
    width = float(np.clip(length * rng.uniform(0.2, 0.27), 14.0, short - 0.3))
    lock = pick(rng, ("liner", "frame", "slim"), (0.5, 0.3, 0.2))
    liner, side, clip, spine = _stack(lock, size(2.2, 4.0, t, rng, 0.1), depth, rng)
    if lock == "frame":
        liner_mat, scale_mat = pick(rng, ("titanium", "aluminium", "stainless")), ""
    else:
        liner_mat = pick(rng, ("stainless", "titanium"), (0.7, 0.3))
        scale_mat = (
            pick(rng, ("fr4", "aluminium", "nylon", "polyester", "wood")) if lock == "liner" else "nylon"
        )
    gap = spine + 0.6  # the blade between two washers
    through = 2 * liner + 2 * side + gap
    handle = _handle(length, width, rng)
    vp = width / 2
    rt = width / 2 - rng.uniform(1.5, 3.0)  # radius of the blade's tang around the pivot
    pivot = (length - width / 2, vp)
    pivot_d = min(rng.uniform(7.0, 12.0), 2 * rt - 2.0)
    # Back spacer: a block at the butt with a screw through it.
    sp0 = 2.0 + width * 0.15
    sp1 = sp0 + rng.uniform(4.0, 8.0)
    screw_d = min(rng.uniform(3.0, 4.5), sp1 - sp0 - 1.0)
    screw = ((sp0 + sp1) / 2, vp)
    screw_hole, pivot_hole = circle(*screw, screw_d, 10), circle(*pivot, pivot_d, 16)
    # The blade, its heel rounded around the pivot hole, perhaps a thumb hole near the spine.
    bw, c = 2 * rt, rt * 0.5
    blade_len = (pivot[0] - c - sp1 - 1.0) * rng.uniform(0.9, 1.0)
    style = pick(rng, STYLES, (0.3, 0.15, 0.1, 0.1, 0.2, 0.15))
    serrated = rng.random() < 0.2
    points, sharp = profile(style, blade_len, bw, rng, serrated)
    points += [
        (-c + rt * math.cos(a), bw / 2 + rt * math.sin(a)) for a in np.linspace(np.pi / 2, 1.5 * np.pi, 9)
    ]
    holes = [circle(-c, bw / 2, pivot_d, 16)]
    if rng.random() < 0.5 and bw > 14:
        d = min(bw * 0.4, 13.0)
        holes.append(circle(blade_len * 0.1 + d / 2 + 1, bw * 0.08 + d / 2 + 1, d, 14))
    steel = pick(rng, ("stainless", "steel"), (0.7, 0.3))
    blade = outline([points, *holes], spine, steel, sharp=sharp, bevel=bw * 0.7, edge=0.1)
    # Open when the room is long enough and the knife is to be obvious.
    open_len = pivot[0] + c + blade_len + 0.5
    is_open = t > 0.4 and rng.random() < 0.3 + 0.5 * t and open_len <= long - 0.2
    sign = 1.0 if is_open else -1.0
    place = np.array([[sign, 0.0, pivot[0] + sign * c], [0.0, 1.0, vp - bw / 2], [0.0, 0.0, 1.0]])
    parts = [blade.moved(place)]
    cuts = _cutouts(sp1, width, pivot[0] - rt, rng)
    parts.append(outline([handle, pivot_hole, screw_hole, *cuts], 2 * liner, liner_mat))
    if side:
        edges = tuple(range(len(handle)))
        parts.append(
            outline([handle, pivot_hole, screw_hole], 2 * side, scale_mat, sharp=edges, bevel=1.5, edge=0.6)
        )
    spacer = rect(sp0, width * 0.22, sp1, width * 0.78)
    parts.append(outline([spacer, screw_hole], gap, pick(rng, ("stainless", "fr4", "aluminium"))))
    parts.append(part(Ellipse(pivot_d, pivot_d, through), "steel", *pivot))
    parts.append(part(Ellipse(screw_d, screw_d, through), "steel", *screw))
    if clip:
        cl, cw = length * rng.uniform(0.5, 0.7), rng.uniform(6, 9)
        strip = [(1.5, 1.0), (1.5 + cl, 1.0 + cw * 0.2), (1.5 + cl, 1.0 + cw * 0.8), (1.5, 1.0 + cw)]
        parts.append(outline([strip], clip, pick(rng, ("stainless", "titanium"))))
    fitted = fit_long(centred(parts, rng.random() < 0.5, rng.random() < 0.5), long, short)
    if fitted is None:
        raise ValueError(f"folding knife does not fit {long:.0f}x{short:.0f} mm")
    what = f"{liner_mat} frame lock" if lock == "frame" else f"{liner_mat} liners, {scale_mat} scales"
    state = "open" if is_open else "closed"
    text = f"{state} folding knife {length:.0f} mm, {steel} {style} blade {blade_len:.0f} mm, {what}"
    return fitted, f"{text}, {through + clip:.1f} mm thick", 8.0


def _cutouts(u0: float, width: float, u1: float, rng: np.random.Generator) -> list:
    """Lightening slots in the liners between the spacer (``u0``) and the pivot's tang (``u1``)."""
    if rng.random() < 0.5 or width < 16:
        return []
    u0, u1 = u0 + 2.0, u1 - 4.0
    n = int(rng.integers(1, 3))
    span = (u1 - u0) / n
    v0, v1 = width * 0.3, width * 0.55
    return [rect(u0 + k * span + 1.5, v0, u0 + (k + 1) * span - 1.5, v1) for k in range(n) if span > 8]
