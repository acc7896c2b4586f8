"""Knife blades and fixed knives: steel with a guard and handle, or zirconia (ceramic).

Blades are drawn from several profiles (drop point, clip point, tanto, spear, sheepsfoot,
wharncliffe), optionally serrated, with a random grind: the thickness falls from the spine to
a sharp edge. Frame: the blade's heel at u = 0 and its tip at u = length, the spine along
v = 0 and the edge along v = width (v grows towards the edge).
"""

from __future__ import annotations

import numpy as np

from screener_gui.synth.canvas import Part, part
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
    size,
)

MIN = {"blade_fixed": MinSize(60.0, 14.0, 1.5), "ceramic_blade": MinSize(60.0, 14.0, 1.8)}
STYLES = ("drop point", "clip point", "tanto", "spear point", "sheepsfoot", "wharncliffe")

Points = list[tuple[float, float]]


def profile(style: str, length: float, width: float, rng: np.random.Generator, serrated: bool = False):
    """A blade's outline and the indices of its sharpened edges (see the module's frame).

    Returns:
        (points, sharp): the outline, heel at the spine first, and the edge indices (edge i runs
        from point i to point i + 1) ground to an edge.
    """
    L, W = length, width
    tip_ctrl = L * rng.uniform(0.9, 0.97)
    heel = L * rng.uniform(0.02, 0.08)  # unsharpened ricasso
    if style == "drop point":
        a, d = rng.uniform(0.55, 0.72), rng.uniform(0.22, 0.38)
        spine = [(0.0, 0.0), (a * L, 0.0), *bezier((a * L, 0.0), (tip_ctrl, 0.0), (L, d * W), 6)[1:]]
        belly = bezier((L, d * W), (tip_ctrl, W), (L * rng.uniform(0.4, 0.6), W), 8)
    elif style == "clip point":
        a, d = rng.uniform(0.45, 0.62), rng.uniform(0.28, 0.42)
        ctrl = (L * (a + 0.45 * (1 - a)), d * W * rng.uniform(0.55, 0.85))
        spine = [(0.0, 0.0), (a * L, 0.0), *bezier((a * L, 0.0), ctrl, (L, d * W), 5)[1:]]
        belly = bezier((L, d * W), (tip_ctrl, W), (L * rng.uniform(0.45, 0.62), W), 8)
    elif style == "tanto":
        d = rng.uniform(0.05, 0.15)
        spine = [(0.0, 0.0), (L * rng.uniform(0.88, 0.95), 0.0), (L, d * W)]
        belly = [(L, d * W), (L - W * rng.uniform(0.25, 0.5), W)]
    elif style == "spear point":
        a = rng.uniform(0.5, 0.7)
        spine = [(0.0, 0.0), (a * L, 0.0), *bezier((a * L, 0.0), (tip_ctrl, 0.0), (L, W / 2), 6)[1:]]
        belly = bezier((L, W / 2), (tip_ctrl, W), (a * L, W), 6)
    elif style == "sheepsfoot":
        a = rng.uniform(0.55, 0.75)
        spine = [(0.0, 0.0), (a * L, 0.0), *bezier((a * L, 0.0), (L, 0.0), (L, W * 0.97), 6)[1:]]
        belly = [(L, W)]
    else:  # wharncliffe: the spine falls all the way to the tip
        a = rng.uniform(0.2, 0.4)
        spine = [(0.0, 0.0), (a * L, 0.0), *bezier((a * L, 0.0), (L * 0.85, W * 0.1), (L, W), 7)[1:]]
        belly = [(L, W)]
    edge = belly + _serrations(belly[-1][0], heel, W, rng) if serrated else [*belly, (heel, W)]
    points = spine + edge[1:] + [(0.0, W)]
    start = len(spine) - 1
    sharp = list(range(start, start + len(edge) - 1))
    if style == "spear point" and rng.random() < 0.5:  # a dagger: both edges sharp
        sharp += list(range(1, start))
    return points, tuple(sharp)


def _serrations(u_from: float, heel: float, width: float, rng: np.random.Generator) -> Points:
    """Edge points from ``u_from`` back to ``heel`` with scallops cut over the rear part."""
    pitch, depth = rng.uniform(2.5, 5.0), min(rng.uniform(1.0, 1.8), width * 0.12)
    stop = heel + (u_from - heel) * rng.uniform(0.0, 0.4)  # teeth run from here back to the heel
    pts: Points = [(stop, width)] if stop < u_from - 1 else []
    u = stop
    while u - pitch > heel + 1:
        pts += [
            (u - pitch * 0.35, width - depth),
            (u - pitch * 0.65, width - depth * 0.6),
            (u - pitch, width),
        ]
        u -= pitch
    return [*pts, (heel, width)]


def blade_part(
    material: str, length: float, width: float, spine: float, rng: np.random.Generator, holes=(), style=None
) -> tuple[Part, str]:
    """A ground blade of a random (or given) style, the heel at u = 0: the part and its style."""
    style = style or pick(rng, STYLES, (0.3, 0.2, 0.12, 0.13, 0.13, 0.12))
    serrated = rng.random() < 0.25
    points, sharp = profile(style, length, width, rng, serrated)
    grind = width * (rng.uniform(0.6, 1.0) if rng.random() < 0.6 else rng.uniform(0.3, 0.5))
    blade = outline([points, *holes], spine, material, sharp=sharp, bevel=grind, edge=rng.uniform(0.08, 0.15))
    return blade, style + (", serrated" if serrated else "")


def handle_outline(u0: float, u1: float, top: float, bottom: float, rng: np.random.Generator) -> Points:
    """A handle from its front ``u1`` back to its butt ``u0`` (u0 < u1), between ``top`` and
    ``bottom`` (v): random top line, finger groove, guard bump and butt (round, flared or cut
    at a slant), all inside that band."""
    length, h = u1 - u0, bottom - top
    ends = top + h * rng.uniform(0.0, 0.1), bottom - h * rng.uniform(0.0, 0.1)
    waist = h * rng.uniform(0.0, 0.12)  # how much narrower the middle is than the ends
    butt = pick(rng, ("round", "flare", "slant"))
    r = min(h * rng.uniform(0.15, 0.4), length * 0.2)
    slant = length * rng.uniform(0.03, 0.08) if butt == "slant" else 0.0
    flare = 0.0 if butt != "flare" else h * rng.uniform(0.05, 0.1)
    b_top, b_bottom = max(ends[0] - flare, top), min(ends[1] + flare, bottom)
    pts = [(u1, ends[0])]
    pts += bezier((u1 - length * 0.08, ends[0]), (u0 + length * 0.5, top + waist), (u0 + r, b_top), 5)
    if butt == "round":
        pts += bezier((u0 + r * 0.3, b_top), (u0, b_top), (u0, b_top + r), 2)[1:]
        pts += bezier((u0, b_bottom - r), (u0, b_bottom), (u0 + r * 0.3, b_bottom), 2)
    else:
        pts += [(u0 + slant, b_top + 0.5), (u0, b_bottom - 0.5)]
    groove = h * rng.uniform(0.0, 0.14)
    front = u1 - length * rng.uniform(0.1, 0.2)
    low = (u0 + length * 0.55, bottom - waist - groove)
    pts += bezier((u0 + r, b_bottom), low, (front, ends[1] - groove), 5)
    pts += [(u1 - length * 0.04, bottom), (u1, bottom - h * rng.uniform(0.05, 0.2))]
    return pts


def blade_fixed(long: float, short: float, depth: float, t: float, rng: np.random.Generator) -> Built:
    """A fixed-blade knife: a bare blade when subtle, full or hidden tang with handle when obvious."""
    mat = pick(rng, ("stainless", "steel"), (0.6, 0.4))
    spine = float(min(size(1.6, 4.5, t, rng), depth))
    total = float(np.clip(size(100, 250, t, rng), MIN["blade_fixed"].long_mm - 0.2, long - 0.2))
    bare = rng.random() < 0.7 - 0.9 * t or total < 90
    kinds = [k for k, need in (("full", spine + 4.0), ("stick", 10.0), ("skeleton", spine)) if need <= depth]
    kind = (
        "bare"
        if bare
        else pick(rng, kinds, [{"full": 0.45, "stick": 0.35, "skeleton": 0.2}[k] for k in kinds])
    )
    blade_len = min(total, 180.0) if kind == "bare" else total * rng.uniform(0.48, 0.58)
    width = float(np.clip(blade_len * rng.uniform(0.17, 0.3), 11.0, min(short - 0.2, 50.0)))
    blade, style = blade_part(mat, blade_len, width, spine, rng)
    parts = [blade]
    text = f"{mat} {style} blade {blade_len:.0f}x{width:.0f} mm, spine {spine:.1f} mm"
    if kind != "bare":
        more, what = _handle(kind, total - blade_len, width, spine, mat, short, depth, rng)
        parts += more
        text = f"fixed knife {total:.0f} mm ({what}): {text}"
    fitted = fit_long(centred(parts, rng.random() < 0.5, rng.random() < 0.5), long, short)
    if fitted is None:
        raise ValueError(f"knife does not fit {long:.0f}x{short:.0f} mm")
    return fitted, text, 8.0


def _handle(kind, length, width, spine, mat, short, depth, rng) -> tuple[list[Part], str]:
    """Handle parts behind the heel (u < 0) of a ``width`` mm blade: what and its description."""
    wh = float(np.clip(width * rng.uniform(0.7, 1.0), 12.0, min(30.0, short - 0.3)))
    vc = float(np.clip(width * rng.uniform(0.35, 0.5), wh / 2, short - 0.2 - wh / 2))
    top, bottom = vc - wh / 2, vc + wh / 2
    parts: list[Part] = []
    if kind == "stick":
        thick = float(min(rng.uniform(12, 22), depth))
        guard_w = rng.uniform(3, 7)
        gh = float(min(wh + rng.uniform(4, 14), short - 0.3))
        pommel = rng.uniform(5, 10)
        u1, u0 = -guard_w, -length + pommel
        metal = pick(rng, ("brass", "stainless", "steel", "aluminium"))
        scale = pick(rng, ("wood", "rubber", "polyester", "nylon"))
        shape = handle_outline(u0, u1, top, bottom, rng)
        sharp = tuple(range(len(shape)))
        parts.append(outline([shape], thick - spine, scale, sharp=sharp, bevel=wh * 0.3, edge=0.45))
        half = min(width * 0.2, wh / 2 - 1.5)
        tang = [(0.0, vc - half), (u1 - (u1 - u0) * 0.75, vc - half / 2)]
        tang += [(u1 - (u1 - u0) * 0.75, vc + half / 2), (0.0, vc + half)]
        parts.append(outline([tang], spine, mat))
        lo, hi, room = min(0.0, top), max(width, bottom), short - 0.3
        gh = min(gh, room)
        g0 = float(np.clip(vc - gh / 2, hi - room, lo + room - gh))
        guard = [(-guard_w, g0), (0, g0), (0, g0 + gh), (-guard_w, g0 + gh)]
        parts.append(outline([guard], min(rng.uniform(5, 9), thick - spine), metal))
        cap = [(u0 - pommel, top + 1), (u0, top), (u0, bottom), (u0 - pommel, bottom - 1)]
        parts.append(outline([cap], min(thick * 0.8, thick - spine), metal))
        return parts, f"{scale} handle {thick:.0f} mm thick, {metal} guard"
    shape = handle_outline(-length, 0.0, top, bottom, rng)
    n_pins = int(rng.integers(2, 4))
    pins = [(-length * (k + 0.6) / (n_pins + 0.4), vc) for k in range(n_pins)]
    pin_d = rng.uniform(3.5, 6.0)
    if kind == "skeleton":
        holes = [circle(u, vc, min(wh * 0.45, pin_d * 2), 12) for u, _ in pins[1:]]
        parts.append(outline([shape, *holes], spine, mat))
        return parts, "skeletonised tang"
    side = float(min(rng.uniform(2.5, 6.0), (depth - spine) / 2))
    scale = pick(rng, ("wood", "fr4", "polyester", "nylon", "rubber"))
    holes = [circle(u, v, pin_d, 12) for u, v in pins]
    parts.append(outline([shape, *holes], spine, mat))
    parts.append(
        outline([shape, *holes], 2 * side, scale, sharp=tuple(range(len(shape))), bevel=wh * 0.25, edge=0.5)
    )
    pin_mat = pick(rng, ("brass", "stainless", "steel"))
    parts += [part(Ellipse(pin_d, pin_d, spine + 2 * side), pin_mat, u, v) for u, v in pins]
    return parts, f"full tang, {pin_mat} pins, {scale} scales {spine + 2 * side:.0f} mm thick"


def ceramic_blade(long: float, short: float, depth: float, t: float, rng: np.random.Generator) -> Built:
    """A zirconia kitchen or utility blade (2-3 mm spine), with its plastic handle when obvious."""
    spine = float(min(size(2.0, 3.0, t, rng, 0.08), depth))
    handle = t > 0.3 and rng.random() < 0.4 + 0.6 * t and depth >= 8.0
    total = float(np.clip(size(80, 250, t, rng), MIN["ceramic_blade"].long_mm - 0.2, long - 0.2))
    blade_len = total * rng.uniform(0.5, 0.6) if handle else min(total, 160.0)
    style = pick(rng, ("drop point", "sheepsfoot", "spear point", "wharncliffe"), (0.4, 0.3, 0.2, 0.1))
    width = float(np.clip(blade_len * rng.uniform(0.18, 0.32), 11.0, min(short - 0.2, 48.0)))
    blade, style = blade_part("zirconia", blade_len, width, spine, rng, style=style)
    parts = [blade]
    text = f"zirconia {style} blade {blade_len:.0f}x{width:.0f} mm, spine {spine:.1f} mm"
    if handle:
        length = total - blade_len
        wh = float(np.clip(width * rng.uniform(0.6, 0.9), 12.0, min(28.0, short - 0.3)))
        vc = float(np.clip(width * 0.45, wh / 2, short - 0.2 - wh / 2))
        thick = float(min(rng.uniform(12, 20), depth))
        shape = handle_outline(-length, 0.0, vc - wh / 2, vc + wh / 2, rng)
        plastic = pick(rng, ("polyethylene", "abs", "pom"))
        sharp = tuple(range(len(shape)))
        parts.append(outline([shape], thick - spine, plastic, sharp=sharp, bevel=wh * 0.3, edge=0.4))
        half = min(width * 0.22, wh / 2 - 1.5)
        tang = [
            (0.0, vc - half),
            (-length * 0.55, vc - half / 2),
            (-length * 0.55, vc + half / 2),
            (0.0, vc + half),
        ]
        parts.append(outline([tang], spine, "zirconia"))
        text += f", {plastic} handle {length:.0f} mm"
    fitted = fit_long(centred(parts, rng.random() < 0.5, rng.random() < 0.5), long, short)
    if fitted is None:
        raise ValueError(f"ceramic knife does not fit {long:.0f}x{short:.0f} mm")
    return fitted, text, 8.0
