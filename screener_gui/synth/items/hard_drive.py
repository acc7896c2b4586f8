"""Hard disk drives, 3.5" and 2.5": cast aluminium base, platters, spindle, actuator, PCB.

Frame: x along the drive's length (SATA connector at +x), y across; the drive lies on its
cover or on its PCB, so the beam crosses its full height. The die-cast base (floor with ribs,
thick side walls), the steel cover, the platter stack and, darkest of all, the voice-coil
magnets between their steel yokes make a drive one of the densest things in a bag.

A smuggler can take the platters out (their slot, ``drive_platters``) and fill the room they
leave under the cover; a drive built into a laptop offers its whole mechanism instead
(``drive_internals``): platters, motor, actuator and magnets, leaving the empty casting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from screener_gui.synth.canvas import part
from screener_gui.synth.item import Cavity, Item
from screener_gui.synth.items import builder as bld
from screener_gui.synth.items import components as c
from screener_gui.synth.items import item_shapes as ishapes
from screener_gui.synth.shapes import Box, Ellipse, Polygon


@dataclass(frozen=True)
class _Form:
    length: float
    width: float
    heights: tuple[float, ...]
    platter_d: float
    platter_t: float  # mm per platter
    max_platters: int
    floor: float  # base casting floor, mm of aluminium
    wall: float
    cover: tuple[str, float]  # material, thickness (mm)
    spindle_from_end: float  # spindle centre from the -x end (mm)


_FORMS = {
    "3.5": _Form(147.0, 101.6, (26.1,), 95.0, 1.27, 5, 3.0, 4.0, ("steel", 0.8), 51.5),
    "2.5": _Form(100.0, 69.85, (7.0, 9.5), 65.0, 0.64, 3, 1.2, 1.8, ("steel", 0.45), 36.5),
}


def build(rng: np.random.Generator) -> Item:
    """A random hard drive: 3.5" (desktop) or 2.5" (laptop), 1 to 5 platters."""
    return build_form("3.5" if rng.random() < 0.5 else "2.5", rng)


def build_form(
    form_name: str, rng: np.random.Generator, height_mm: float | None = None, *, gutted: bool = False
) -> Item:
    """A hard drive of the given form factor, ``"3.5"`` or ``"2.5"``.

    Args:
        form_name: ``"3.5"`` or ``"2.5"``.
        rng: Random source.
        height_mm: Forces one of the form's heights (a laptop bay takes only 7 mm drives).
        gutted: The slot holds the whole mechanism inside the casting (``drive_internals``)
            rather than the platter stack (``drive_platters``).
    """
    f = _FORMS[form_name]
    height = float(rng.choice(f.heights)) if height_mm is None else height_mm
    hl, hw = f.length / 2, f.width / 2
    ws = f.width / 101.6
    b = c.Builder()
    outline = part(ishapes.Shell(f.length, f.width, f.floor, 1.0, f.wall, height - f.floor), "aluminium")
    cover_material, cover_t = f.cover
    if form_name == "3.5" and rng.random() < 0.3:
        cover_material, cover_t = "aluminium", 1.5  # sealed helium drives
    b.add(Box(f.length - 3, f.width - 3, cover_t, 1.0), cover_material)
    # Casting bosses in the corners beside the spindle (mounting holes).
    for sy in (-1, 1):
        boss = Box(14 * ws, 14 * ws, height * 0.5, 2.0)
        b.add(boss, "aluminium", -hl + f.wall + 7 * ws, sy * (hw - f.wall - 7 * ws))

    # Platters on the spindle; the hub, clamp and clamp screws sit on top of the stack.
    max_platters = f.max_platters if height > 8 else 2
    n = int(rng.integers(1, max_platters + 1))
    platter_material = "glass" if form_name == "2.5" and rng.random() < 0.6 else "aluminium"
    sx, sy = -hl + f.spindle_from_end, 0.0
    d = f.platter_d
    stack = n * f.platter_t
    inside = height - f.floor - cover_t  # under the cover, over the casting's floor
    with b.slot("drive_internals" if gutted else "drive_platters") as s:
        # The platters with the hub, clamp and clamp screws that hold them.
        s.add(Ellipse(d, d, stack), platter_material, sx, sy)
        s.add(Ellipse(d * 0.26, d * 0.26, stack + 2.0), "aluminium", sx, sy)
        s.add(Ellipse(d * 0.33, d * 0.33, 0.6), "steel", sx, sy)
        clamp_r = d * 0.12
        n_screws = 6 if form_name == "3.5" else 3
        for k in range(n_screws):
            a = 2 * np.pi * k / n_screws
            c.screw(s, sx + clamp_r * np.cos(a), sy + clamp_r * np.sin(a), 1.2, 2.5)
        # The motor under the hub stays: the room is the stack's square, as deep as the space
        # over the motor (what the cavity over the stack has, plus the stack).
        s.room = s.bounds(inside - 2.0)
        _mechanism(s if gutted else b, f, height, n, sx, sy, rng)
        if gutted:  # the casting's inside (its corner bosses stay), and where the coil reaches
            x0, y0, x1, y1 = bld.parts_bounds(s.parts())
            x0, y0 = min(x0, -hl + f.wall), min(y0, -hw + f.wall)
            x1, y1 = max(x1, hl - f.wall), max(y1, hw - f.wall)
            s.room = Cavity((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0, round(inside - 1.0, 2))

    # PCB on the underside, at the connector end.
    board_w = f.length * rng.uniform(0.55, 0.68)
    board_h = f.width - 2 * f.wall - 4
    bx = hl - f.wall - 1.5 - board_w / 2
    c.circuit_board(b, bx, 0, board_w, board_h, 1.0, 0.08)
    c.chip(b, bx - board_w * 0.1, -board_h * 0.2, 14 * ws, 14 * ws, die=0.45)
    c.chip(b, bx + board_w * 0.15, board_h * 0.15, 10 * ws, 8 * ws, bga=False)
    c.chip(b, bx - board_w * 0.25, board_h * 0.25, 9 * ws, 9 * ws, bga=False)
    c.passives(b, bx, -board_h * 0.38, board_w * 0.6, 4, rng)
    c.inductor(b, bx + board_w * 0.3, -board_h * 0.25, 5 * ws, 3)
    # SATA data + power connector across the +x end.
    conn_w = min(f.width - 2 * f.wall - 6, 50.0)
    b.add(Box(6.0, conn_w, 5.0, 0.5), "polyester", hl - f.wall - 4, 0)
    b.add(Box(3.0, conn_w - 4, 0.5), "copper", hl - f.wall - 4, 0)
    c.screws_around(b, hl - f.wall - 2.5, hw - f.wall - 2.5, rng, 6, 2.5 * ws + 0.5, 4.0)

    free = height - f.floor - cover_t - stack - 2.0  # above the platter stack, under the cover
    cavities = [Cavity(sx, sy, d * 0.66, d * 0.66, round(max(free, 1.0), 2))]
    py = hw - 0.2 * f.width  # the actuator's pivot
    corner = bld.cavity_between(
        sx + d / 2 + 2, -hw + f.wall + 2.5, hl - f.wall - 2.5, py - 14 * ws, height - f.floor - cover_t - 2
    )
    if corner is not None:
        cavities.append(corner)
    return bld.finish("hard_drive", outline, b, cavities, rng)


def _mechanism(
    b: c.Builder, f: _Form, height: float, n: int, sx: float, sy: float, rng: np.random.Generator
) -> None:
    """Spindle motor under the hub, actuator with its arms over the ``n`` platters, voice coil."""
    hl, hw, ws, d = f.length / 2, f.width / 2, f.width / 101.6, f.platter_d
    # Spindle motor: ring magnet, stator (steel laminations wound with copper), shaft.
    b.add(c.ring_shape(d * 0.25, d * 0.21, 3.0), "neodymium_magnet", sx, sy)
    b.add(c.ring_shape(d * 0.2, d * 0.1, 2.5), "steel", sx, sy)
    b.add(c.ring_shape(d * 0.19, d * 0.12, 1.5), "copper", sx, sy)
    b.add(Ellipse(3.0, 3.0, height - 3), "steel", sx, sy)
    # Actuator: pivot near the far corner, arms reaching over the platter, coil behind.
    px, py = hl - 0.26 * f.length, hw - 0.2 * f.width  # as in build_form
    to_spindle = np.arctan2(sy - py, sx - px)
    distance = float(np.hypot(sx - px, sy - py))
    head_r = rng.uniform(0.25, 0.45) * d
    arm_len = distance - head_r
    arm_angle = float(np.rad2deg(to_spindle) + rng.uniform(-6, 6))
    a = np.deg2rad(arm_angle)
    arm = Polygon(((-6 * ws, -7 * ws), (arm_len, -1.5), (arm_len, 1.5), (-6 * ws, 7 * ws)), (n + 1) * 0.9)
    b.add(arm, "aluminium", px, py, arm_angle)  # the arm's u = 0 is the pivot
    b.add(Ellipse(11 * ws, 11 * ws, height - 4), "steel", px, py)  # pivot bearing
    coil = 14 * ws
    coil_x, coil_y = px - coil * np.cos(a), py - coil * np.sin(a)
    b.add(Box(coil, coil * 1.2, 1.6), "copper", coil_x, coil_y, arm_angle)
    # Flex cable from the actuator to the connector.
    b.add(Box(30 * ws, 8 * ws, 0.1), "copper", px + 12 * ws, py - 16 * ws)
    # Voice-coil magnets between their two steel yokes, fixed in the corner behind the pivot.
    vx, vy = hl - f.wall - 1.5 - 19 * ws, hw - f.wall - 1.5 - 12 * ws
    b.add(Box(38 * ws, 24 * ws, 4.0 * ws, 3.0), "steel", vx, vy)
    b.add(Box(32 * ws, 20 * ws, 5.0 * ws, 3.0), "neodymium_magnet", vx, vy)
    b.add(Box(8 * ws, 12 * ws, 3.0), "polyester", sx + d / 2 + 2, sy - d * 0.3)
