"""Detonators with their leg wires, and wire bundles, cable hanks and coils.

Wires are drawn as :class:`~screener_gui.synth.threats.shapes.Tube` polylines: a copper (or
steel) core inside a PVC sheath. Runs of wires follow a path that always moves on along u, and
parallel wires are copies of it shifted along v, so that no wire ever lies on another unless
meant to (a twisted pair, the turns of a hank).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from screener_gui.synth.canvas import Part, part
from screener_gui.synth.items.item_shapes import Annulus, Shell
from screener_gui.synth.shapes import Box, Ellipse
from screener_gui.synth.threats.base import GAP_MM, Built, MinSize, pick, revolved, size, tube, wire
from screener_gui.synth.threats.shapes import Spring

MIN = {"detonator": MinSize(50.0, 9.0, 6.2), "wire_bundle": MinSize(30.0, 8.0, 1.6)}
_SLOPE = math.radians(35)
"""Steepest a run of wires turns away from u (rad)."""


def path(
    u0: float, u1: float, v_lim: float, rng: np.random.Generator, v0: float | None = None, step: float = 6.0
):
    """A wandering polyline from u0 to u1 that always moves on along u, with |v| <= ``v_lim``."""
    n = max(int((u1 - u0) / step), 1)
    us = np.linspace(u0, u1, n + 1)
    v = float(rng.uniform(-v_lim, v_lim)) if v0 is None else v0
    heading = 0.0
    pts = [(float(us[0]), v)]
    for a, b in itertools.pairwise(us):
        heading = float(np.clip(heading + rng.normal(0, 0.35), -_SLOPE, _SLOPE))
        if abs(v + math.tan(heading) * (b - a)) > v_lim:  # bounce off the side
            heading = -heading
        v = float(np.clip(v + math.tan(heading) * (b - a), -v_lim, v_lim))
        pts.append((float(b), v))
    return pts


def _run(pts, n: int, core: float, outer: float, material: str = "copper", twist: bool = False) -> list[Part]:
    """``n`` insulated wires along ``pts``: side by side (copies shifted along v), or two twisted."""
    pitch = outer / math.cos(_SLOPE) + 0.05
    parts: list[Part] = []
    if twist and n == 2:
        us = np.array([p[0] for p in pts])
        fine = np.linspace(us[0], us[-1], max(int((us[-1] - us[0]) / 1.5), 2))
        centre = np.interp(fine, us, [p[1] for p in pts])
        phase = 2 * np.pi * (fine - fine[0]) / (outer * 8)
        for sign in (1, -1):
            line = list(zip(fine.tolist(), (centre + sign * pitch / 2 * np.cos(phase)).tolist(), strict=True))
            parts += wire(line, core, outer, material)
        return parts
    for k in range(n):
        dv = (k - (n - 1) / 2) * pitch
        parts += wire([(u, v + dv) for u, v in pts], core, outer, material)
    return parts


def _width(n: int, outer: float) -> float:
    """Width across a flat run of ``n`` wires (mm)."""
    return (n - 1) * (outer / math.cos(_SLOPE) + 0.05) + outer


def detonator(long: float, short: float, depth: float, t: float, rng: np.random.Generator) -> Built:
    """An electric detonator: a 6-7.5 mm aluminium or copper tube holding a PETN base charge and
    a lead azide primary, sealed by a rubber plug, with 2-4 leg wires; sometimes wired to a
    battery and a small circuit board."""
    od = float(np.clip(size(6.0, 7.5, t, rng, 0.04), 6.0, min(7.5, depth - 0.05, short - 0.2)))
    shell = pick(rng, ("aluminium", "copper"), (0.6, 0.4))
    length = float(np.clip(size(35, 65, t, rng, 0.15), 30.0, min(70.0, long - 15.0)))
    r, wall = od / 2, rng.uniform(0.3, 0.5)
    ri = r - wall
    crimp = length - rng.uniform(3, 5)
    outer = [(0, r - 0.4), (0.6, r), (crimp - 1.5, r), (crimp - 0.5, r - 0.45), (crimp + 0.5, r - 0.45)]
    outer += [(crimp + 1.5, r), (length, r)]
    bore = [
        (wall, ri),
        (crimp - 1.5, ri),
        (crimp - 0.5, ri - 0.45),
        (crimp + 0.5, ri - 0.45),
        (crimp + 1.5, ri),
    ]
    bore.append((length, ri))
    parts = [revolved(outer, bore, shell, 0.0, 0.0)]
    # From the closed end: base charge, inner cup with the primary, fusehead, rubber plug.
    plug0 = crimp - rng.uniform(2.0, 4.0)
    fuse = plug0 - 1.5
    base_len = float(min(length * rng.uniform(0.22, 0.32), fuse - 1.3 - 2.5 - 2.0 - wall - 1.4))
    base = pick(rng, ("petn", "plastic_explosive"), (0.7, 0.3))
    # Half a pixel and more between a charge and a closed end (no sub-pixel overlap).
    parts.append(revolved([(wall + 0.5, ri - 0.05), (wall + 0.5 + base_len, ri - 0.05)], [], base))
    cup0 = wall + 0.5 + base_len + 0.1
    prim = float(min(rng.uniform(3.0, 6.0), fuse - 1.3 - 2.5 - 0.5 - cup0))
    cup = [(cup0, ri - 0.05), (cup0 + prim + 3.0, ri - 0.05)]
    parts.append(revolved(cup, [(cup0 + 0.3, ri - 0.35), (cup0 + prim + 3.0, ri - 0.35)], shell))
    parts.append(revolved([(cup0 + 0.8, ri - 0.4), (cup0 + 0.8 + prim, ri - 0.4)], [], "lead_azide"))
    parts.append(revolved([(plug0, ri - 0.5), (length, ri - 0.5)], [], "rubber"))
    # Leg wires: into the plug to the fusehead, then out along u.
    n = int(pick(rng, ("2", "3", "4"), (0.7, 0.2, 0.1)))
    core = rng.uniform(0.5, 0.8)
    across = (n - 1) / math.cos(_SLOPE) + 1  # a flat run's width in sheaths
    sheath = float(min(core + rng.uniform(0.6, 1.0), (short - 2 * GAP_MM - 0.5 - 0.05 * n) / across))
    leg = pick(rng, ("copper", "steel"), (0.7, 0.3))
    for k in range(min(n, 2)):
        parts.append(tube([(fuse, (k - 0.5) * 1.2), (length + 0.3 + sheath / 2, (k - 0.5) * 1.2)], core, leg))
    parts.append(part(Ellipse(2.0, 2.5, 1.5), "glass", fuse, 0.0))
    left = -long / 2 + GAP_MM
    parts = [p.moved(np.array([[1.0, 0, left], [0, 1.0, 0], [0, 0, 1.0]])) for p in parts]
    # Extras at the far end, when obvious and there is room: a battery and a board.
    u_end = long / 2 - GAP_MM - sheath / 2
    charge = base.replace("_", " ")
    text = f"{shell} detonator {od:.1f}x{length:.0f} mm, {charge} base charge, lead azide primary"
    extras: list[Part] = []
    what = ""
    if t > 0.4 and rng.random() < 0.35 + 0.5 * t:
        extras, what, span = _power(long, short, depth, rng)
        if extras:
            u_end -= span + 2.0
    start = left + length + 0.3 + sheath / 2
    if u_end - start < 8:
        extras, u_end = [], long / 2 - GAP_MM - sheath / 2
    text += f", wired to {what}" if extras else ""
    bundle = _width(n, sheath)
    v_lim = max(short / 2 - GAP_MM - bundle / 2 - 0.2, 0.0)
    pts = path(start, u_end, v_lim, rng, v0=0.0, step=rng.uniform(5, 10))
    twist = n == 2 and rng.random() < 0.5 and depth >= 2 * sheath + 0.1 and v_lim >= sheath * 0.6
    parts += _run(pts, n, core, sheath, leg, twist)
    text += f", {n} {'twisted ' if twist else ''}leg wires {pts[-1][0] - pts[0][0]:.0f} mm"
    parts += extras
    flip = np.diag([-1.0 if rng.random() < 0.5 else 1.0, -1.0 if rng.random() < 0.5 else 1.0, 1.0])
    return [p.moved(flip) for p in parts], text, 0.0


def _power(
    long: float, short: float, depth: float, rng: np.random.Generator
) -> tuple[list[Part], str, float]:
    """A battery or a small board at the room's +u end: parts, what, length along u (mm)."""
    end = long / 2 - GAP_MM
    if depth >= 17.6 and short >= 26.8 and long >= 110 and rng.random() < 0.5:
        u = end - 48.5 / 2
        can = part(Shell(48.5, 26.5, 0.6, 1.5, 0.3, 16.9), "steel", u, 0.0)
        cells = part(Box(47.3, 25.3, 16.9 * 0.85, 1.0), "alkaline_cell", u, 0.0)
        return [can, cells], "a 9 V battery", 48.5 + 0.2
    w = float(min(rng.uniform(25, 40), long * 0.3))
    h = float(min(rng.uniform(15, 30), short - 2 * GAP_MM))
    if w < 15 or depth < 2.0:
        return [], "", 0.0
    u = end - w / 2
    parts = [part(Box(w, h, 1.6, 1.0), "fr4", u, 0.0)]
    free = depth - 1.6
    if free >= 3.3 and min(w, h) > 21:
        parts += [part(Ellipse(20.0, 20.0, 0.5), "steel", u + w / 2 - 11, 0.0)]
        parts += [part(Ellipse(19.0, 19.0, 2.7), "li_ion_cell", u + w / 2 - 11, 0.0)]
        what = "a board with a coin cell"
        chips_to = u + w / 2 - 22
    else:
        what = "a small circuit board"
        chips_to = u + w / 2 - 1
    chip = float(min(1.2, free * 0.8))
    x = u - w / 2 + 2
    while x + 6 < chips_to and chip > 0.2:
        cw, ch = rng.uniform(3, 7), rng.uniform(3, min(7, h - 2))
        parts.append(
            part(Box(cw, ch, chip, 0.3), "abs", x + cw / 2, rng.uniform(-(h - ch) / 2 + 1, (h - ch) / 2 - 1))
        )
        x += cw + rng.uniform(1, 3)
    return parts, what, w


def wire_bundle(long: float, short: float, depth: float, t: float, rng: np.random.Generator) -> Built:
    """Wires: a flat run, a hank of coiled cable or a wound coil, thicker and more as ``t`` grows."""
    core = float(min(size(0.5, 2.0, t, rng, 0.2), depth - 0.7))
    sheath = float(min(core + 2 * rng.uniform(0.3, 0.8), depth - 0.05))
    modes = ["run"]
    if min(long, short) >= 24 and depth >= 2 * sheath + 0.1:
        modes.append("hank")
    if min(long, short) >= 14 and depth >= 3.0:
        modes.append("coil")
    mode = pick(rng, modes, [{"run": 0.55, "hank": 0.25, "coil": 0.2}[m] for m in modes])
    if mode == "hank":
        return _hank(long, short, depth, t, core, sheath, rng)
    if mode == "coil":
        return _coil(long, short, depth, t, rng)
    n = int(np.clip(round(1 + 6 * t + rng.normal(0, 1)), 1, 10))
    while n > 1 and _width(n, sheath) > short - 2 * GAP_MM - 0.4:
        n -= 1
    span = float(np.clip(size(0.4, 1.0, t, rng, 0.15), 0.3, 1.0)) * (long - 2 * GAP_MM - sheath)
    u0 = -span / 2
    v_lim = max(short / 2 - GAP_MM - _width(n, sheath) / 2 - 0.2, 0.0)
    pts = path(u0, u0 + span, v_lim, rng, step=rng.uniform(5, 12))
    mat = pick(rng, ("copper", "aluminium"), (0.9, 0.1))
    parts = _run(pts, n, core, sheath, mat)
    ties = 0
    if depth >= sheath + 2.6 and n > 1 and rng.random() < 0.5:
        across = _width(n, sheath) + 2.0
        for u, v in pts[1:-1:3]:
            if abs(v) + across / 2 <= short / 2 - GAP_MM:
                parts.append(part(Box(3.5, across, 2.4, 0.5), "nylon", u, v))
                ties += 1
    text = f"{n} {mat} wire(s) {core:.1f} mm core, {sheath:.1f} mm PVC, {span:.0f} mm run"
    return parts, text + (f", {ties} cable ties" if ties else ""), 0.0


def _hank(long, short, depth, t, core, sheath, rng) -> Built:
    """A cable coiled into a hank: its turns lie on one another (each turn a part of its own)."""
    turns = int(np.clip(round(size(2, 6, t, rng, 0.3)), 2, depth // sheath))
    ry = float(min(rng.uniform(12, 35) * (0.7 + 0.5 * t), (short / 2 - GAP_MM - sheath / 2 - 0.5) / 1.05))
    rx = float(min(ry * rng.uniform(1.0, 1.6), (long / 2 - GAP_MM - sheath / 2 - 0.5) / 1.05))
    steps = 28
    parts: list[Part] = []
    for turn in range(turns):
        pts = []
        for k in range(steps + 1):
            a = 2 * np.pi * k / steps
            wobble = 1 + 0.03 * math.sin(3 * a + turn) - 0.06 * (turn + k / steps) / turns + 0.02
            pts.append((rx * wobble * math.cos(a), ry * wobble * math.sin(a)))
        parts += wire(pts, core, sheath)
    text = f"hank of cable, {turns} turns {2 * rx:.0f}x{2 * ry:.0f} mm, {core:.1f} mm core"
    return parts, text, 0.0


def _coil(long, short, depth, t, rng) -> Built:
    """A wound coil: a toroid seen face-on, or a solenoid on its bobbin seen from the side."""
    h = float(min(size(3.0, 12.0, t, rng, 0.2), depth))
    if rng.random() < 0.5:
        od = float(min(size(14, 45, t, rng, 0.2), min(long, short) - 2 * GAP_MM - 0.2))
        inner = od * rng.uniform(0.45, 0.65)
        layer = min(rng.uniform(0.5, 1.5) * (0.6 + t), (od - inner) / 6, h / 4)
        parts = [Part(Annulus(od - 2 * layer, inner + 2 * layer, h - 2 * layer), "ferrite", np.eye(3))]
        parts.append(Part(Annulus(od, inner, 2 * layer * 0.8), "copper", np.eye(3)))
        return parts, f"toroidal coil {od:.0f} mm, {h:.0f} mm high, copper winding on ferrite", 0.0
    d = float(min(h, short - 2 * GAP_MM - 0.2))
    length = float(min(size(12, 60, t, rng, 0.2), long - 2 * GAP_MM - 2.2))
    wire_d = min(rng.uniform(0.3, 0.9), d / 6)
    rb = d / 2 - wire_d
    bobbin = revolved(
        [(0, rb), (length + 2, rb)], [(0, rb - 0.8), (length + 2, rb - 0.8)], "abs", -(length + 2) / 2
    )
    spring = part(Spring(length, d, wire_d, length / (wire_d * rng.uniform(1.05, 3.0))), "copper")
    return [bobbin, spring], f"solenoid coil {length:.0f} mm long, {d:.1f} mm across, magnet wire", 0.0
