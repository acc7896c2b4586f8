"""Hard disk drives, 3.5" and 2.5": cast aluminium base, platters, spindle, actuator, PCB.

Frame: x along the drive's length (SATA connector at +x), y across; the drive lies on its
cover or on its PCB, so the beam crosses its full height.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from screener_gui.synth.canvas import Part, part
from screener_gui.synth.item import Cavity, Item
from screener_gui.synth.items import components as c
from screener_gui.synth.shapes import Box, Ellipse, Polygon


@dataclass(frozen=True)
class _Form:
    length: float
    width: float
    heights: tuple[float, ...]
    platter_d: float
    platter_t: float  # mm per platter
    max_platters: int
    floor: float  # base casting floor, mm of aluminium (ribs and bosses averaged in)
    wall: float
    cover: tuple[str, float]  # material, thickness (mm)
    spindle_from_end: float  # spindle centre from the -x end (mm)


_FORMS = {
    "3.5": _Form(147.0, 101.6, (26.1,), 95.0, 1.27, 5, 3.5, 4.0, ("steel", 0.8), 51.5),
    "2.5": _Form(100.0, 69.85, (7.0, 9.5), 65.0, 0.64, 3, 1.2, 1.8, ("steel", 0.45), 36.5),
}


def build(rng: np.random.Generator) -> Item:
    """A random hard drive: 3.5" (desktop) or 2.5" (laptop), 1 to 5 platters."""
    return build_form("3.5" if rng.random() < 0.5 else "2.5", rng)


def build_form(form_name: str, rng: np.random.Generator, height_mm: float | None = None) -> Item:
    """A hard drive of the given form factor, ``"3.5"`` or ``"2.5"``.

    ``height_mm`` forces one of the form's heights (a laptop bay takes only 7 mm drives).
    """
    f = _FORMS[form_name]
    height = float(rng.choice(f.heights)) if height_mm is None else height_mm
    hl, hw = f.length / 2, f.width / 2
    parts: list[Part] = []
    outline = part(Box(f.length, f.width, f.floor, 1.0), "aluminium")
    parts += c.shell_walls(f.length, f.width, 1.0, f.wall, height - f.floor, "aluminium")
    cover_material, cover_t = f.cover
    if form_name == "3.5" and rng.random() < 0.3:
        cover_material, cover_t = "aluminium", 1.5  # sealed helium drives
    parts.append(part(Box(f.length - 3, f.width - 3, cover_t, 1.0), cover_material))

    # Platters on the spindle; the hub, clamp and clamp screws sit on top of the stack.
    max_platters = f.max_platters if height > 8 else 2
    n = int(rng.integers(1, max_platters + 1))
    platter_material = "glass" if form_name == "2.5" and rng.random() < 0.6 else "aluminium"
    sx, sy = -hl + f.spindle_from_end, 0.0
    d = f.platter_d
    stack = n * f.platter_t
    parts.append(part(Ellipse(d, d, stack), platter_material, sx, sy))
    parts.append(part(Ellipse(d * 0.26, d * 0.26, stack + 2.0), "aluminium", sx, sy))
    parts.append(part(Ellipse(d * 0.33, d * 0.33, 0.8), "steel", sx, sy))
    parts.append(c.ring(sx, sy, d * 0.25, d * 0.2, 3.0, "neodymium_magnet"))
    parts.append(c.ring(sx, sy, d * 0.19, d * 0.1, 2.5, "copper"))
    parts.append(part(Ellipse(3.0, 3.0, height - 3), "steel", sx, sy))
    clamp_r = d * 0.12
    for k in range(6 if form_name == "3.5" else 3):
        a = 2 * np.pi * k / (6 if form_name == "3.5" else 3)
        parts.append(c.screw(sx + clamp_r * np.cos(a), sy + clamp_r * np.sin(a), 1.2, 2.5))

    # Actuator: pivot near the far corner, arms reaching over the platter, coil behind.
    px, py = hl - 0.26 * f.length, hw - 0.2 * f.width
    to_spindle = np.arctan2(sy - py, sx - px)
    distance = float(np.hypot(sx - px, sy - py))
    head_r = rng.uniform(0.25, 0.45) * d
    arm_len = distance - head_r
    arm_angle = float(np.rad2deg(to_spindle) + rng.uniform(-6, 6))
    a = np.deg2rad(arm_angle)
    ws = f.width / 101.6
    arm = Polygon(((-6 * ws, -7 * ws), (arm_len, -1.5), (arm_len, 1.5), (-6 * ws, 7 * ws)), (n + 1) * 0.9)
    parts.append(part(arm, "aluminium", px, py, arm_angle))  # the arm's u = 0 is the pivot
    parts.append(part(Ellipse(11 * ws, 11 * ws, height - 4), "steel", px, py))
    coil = 14 * ws
    parts.append(
        part(Box(coil, coil * 1.2, 1.6), "copper", px - coil * np.cos(a), py - coil * np.sin(a), arm_angle)
    )
    # Voice-coil magnets between their steel yokes, fixed in the corner behind the pivot.
    vx, vy = hl - f.wall - 1.5 - 19 * ws, hw - f.wall - 1.5 - 12 * ws
    parts.append(part(Box(38 * ws, 24 * ws, 4.0 * ws, 3.0), "steel", vx, vy))
    parts.append(part(Box(32 * ws, 20 * ws, 5.0 * ws, 3.0), "neodymium_magnet", vx, vy))
    parts.append(part(Box(8 * ws, 12 * ws, 3.0), "polycarbonate", sx + d / 2 + 2, sy - d * 0.3))  # ramp

    # PCB on the underside, at the connector end.
    board_w = f.length * rng.uniform(0.55, 0.68)
    board_h = f.width - 2 * f.wall - 4
    bx = hl - f.wall - 1.5 - board_w / 2
    parts += c.circuit_board(bx, 0, board_w, board_h, 1.0, 0.08)
    parts += c.chip(bx - board_w * 0.1, -board_h * 0.2, 14 * ws, 14 * ws, die=0.45)
    parts += c.chip(bx + board_w * 0.15, board_h * 0.15, 10 * ws, 8 * ws, bga=False)
    parts += c.chip(bx - board_w * 0.25, board_h * 0.25, 9 * ws, 9 * ws, bga=False)
    parts.append(c.component_strip(bx, -board_h * 0.38, board_w * 0.6, 4, int(rng.integers(2**31))))
    parts.append(c.inductor(bx + board_w * 0.3, -board_h * 0.25, 5 * ws, 3))
    # SATA data + power connector across the +x end.
    conn_w = min(f.width - 2 * f.wall - 6, 50.0)
    parts.append(part(Box(6.0, conn_w, 5.0, 0.5), "polyester", hl - f.wall - 4, 0))
    parts.append(part(Box(3.0, conn_w - 4, 0.5), "copper", hl - f.wall - 4, 0))
    parts += c.screws_around(hl - f.wall - 2.5, hw - f.wall - 2.5, rng, 6, 2.5 * ws + 0.5, 4.0)

    free = height - f.floor - cover_t - stack - 2.0  # above the platter stack, under the cover
    cavities = [Cavity(sx, sy, d * 0.66, d * 0.66, round(max(free, 1.0), 2))]
    corner = c.cavity_between(
        sx + d / 2 + 2, -hw + f.wall + 2.5, hl - f.wall - 2.5, py - 14 * ws, height - f.floor - cover_t - 2
    )
    if corner is not None:
        cavities.append(corner)
    if rng.random() < 0.5:
        parts = c.mirror_x(parts)
        cavities = [c.mirror_cavity(k) for k in cavities]
    return Item("hard_drive", outline, tuple(parts), tuple(cavities))
