"""Closed laptops, 11.6" to 17.3": the base and the display lid are both in the beam.

Frame: x across the laptop, y from the hinge (-y, back) to the palm rest (+y, front). The
back band holds the mainboard, fans and heat pipes under the keyboard; the front band the
battery under the palm rest, the trackpad and, on some models, an optical or 2.5" drive bay.
A random mirror image swaps left and right (a laptop scanned upside down looks the same).

Slots (components a smuggler empties and refills): the battery's cells (``battery_cells``:
the jelly rolls inside the 18650 cans, or the pouch pack), the optical drive's mechanism
(``optical_bay``) and a 2.5" drive's mechanism inside its casting (``drive_internals``).

What makes a laptop read as metal in a scan is its internals, not its casing: the display
panel's steel (or aluminium) back plate spans the whole lid, the keyboard sits on a perforated
steel plate, the mainboard carries 0.1–0.25 mm of copper under its packages, shield cans,
solder and screws, the CPU's copper cold plate and heat pipes run to the fin stacks, and the
battery's NMC cathodes and copper foils make it the densest block.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from screener_gui.synth.canvas import part, pose
from screener_gui.synth.item import Cavity, Item
from screener_gui.synth.items import builder as bld
from screener_gui.synth.items import components as c
from screener_gui.synth.items import hard_drive
from screener_gui.synth.items import item_shapes as ishapes
from screener_gui.synth.shapes import Box, Cylinder, Frame

# Diagonal (inch), outer width and depth ranges (mm), share of laptops.
_SIZES = (
    (11.6, (282.0, 300.0), (193.0, 206.0), 0.10),
    (13.3, (300.0, 325.0), (205.0, 226.0), 0.24),
    (14.0, (318.0, 338.0), (215.0, 236.0), 0.26),
    (15.6, (355.0, 385.0), (235.0, 262.0), 0.30),
    (17.3, (395.0, 418.0), (262.0, 285.0), 0.10),
)


@dataclass(frozen=True)
class _Chassis:
    materials: tuple[str, ...]
    sheets: tuple[float, float]  # base top + base bottom + lid back, summed (mm)
    wall: float  # side wall thickness (mm)
    base_h: tuple[float, float]  # base height (mm)
    lid_h: tuple[float, float]
    radius: tuple[float, float]  # corner radius (mm)
    share: float


_CHASSIS = (
    _Chassis(("aluminium",), (2.6, 3.4), 1.2, (12.0, 19.0), (4.5, 6.5), (6.0, 12.0), 0.35),
    _Chassis(("magnesium",), (3.0, 3.8), 1.2, (15.0, 23.0), (5.0, 7.0), (4.0, 10.0), 0.20),
    _Chassis(("abs", "polycarbonate"), (4.0, 5.5), 1.8, (18.0, 28.0), (6.0, 8.0), (4.0, 10.0), 0.45),
)

_CELL_PITCH = c.CELL_18650[1] + 0.3
_MAX_DRIVER_MM = 140.0  # source-driver strip: at most two pieces
_KEY_PITCH = 19.05


@dataclass
class _Layout:
    """Geometry decided so far and what has been built (mutable while building)."""

    width: float
    depth: float
    base_h: float
    xi: float  # inner half width (inside the walls, mm)
    yi: float
    back_depth: float  # depth of the back band (board, fans)
    b: c.Builder = field(default_factory=c.Builder)
    cavities: list[Cavity] = field(default_factory=list)

    @property
    def front_y0(self) -> float:
        return -self.yi + self.back_depth + 2.0

    @property
    def free_h(self) -> float:
        """Free height inside the base under the top deck (mm)."""
        return min(self.base_h - 4.0, 16.0)


def build(rng: np.random.Generator) -> Item:
    """A random closed laptop with a realistic, varying internal layout."""
    size = _SIZES[int(rng.choice(len(_SIZES), p=[s[3] for s in _SIZES]))]
    diag = size[0]
    width, depth = rng.uniform(*size[1]), rng.uniform(*size[2])
    chassis = _CHASSIS[int(rng.choice(len(_CHASSIS), p=[ch.share for ch in _CHASSIS]))]
    material = chassis.materials[int(rng.integers(len(chassis.materials)))]
    base_h, lid_h = rng.uniform(*chassis.base_h), rng.uniform(*chassis.lid_h)
    radius = rng.uniform(*chassis.radius)

    sheets = rng.uniform(*chassis.sheets)
    outline = part(ishapes.Shell(width, depth, sheets, radius, chassis.wall, base_h + lid_h), material)
    xi, yi = width / 2 - chassis.wall - 1.5, depth / 2 - chassis.wall - 1.5
    odd = diag >= 15.6 and base_h >= 19.0 and rng.random() < 0.4
    back_depth = 2 * yi * rng.uniform(0.44, 0.52)
    if odd:
        back_depth = min(back_depth, 2 * yi - 132.0)
    lay = _Layout(width, depth, base_h, xi, yi, back_depth)

    _display(lay, material, rng)
    _keyboard_and_trackpad(lay, rng)
    _hinges(lay, rng)
    left, right, fin_stacks = _cooling(lay, diag, material, rng)
    _mainboard(lay, left, right, fin_stacks, rng)
    bay_right = _bay(lay, "odd" if odd else ("hdd" if base_h >= 14 and rng.random() < 0.35 else ""), rng)
    _battery(lay, bay_right, rng)
    # Bottom-cover screws along the rim.
    c.screws_around(lay.b, xi - 5, yi - 5, rng, int(rng.integers(6, 11)), 2.0, 4.0)

    return bld.finish("laptop", outline, lay.b, lay.cavities, rng)


def _display(lay: _Layout, chassis: str, rng: np.random.Generator) -> None:
    """The lid's LCD module inside its bezel.

    Glass cell, polarisers, light guide and films are one ``lcd`` slab; behind them the panel's
    back plate, 0.15–0.3 mm steel on most panels or a thicker aluminium sheet on some thin ones
    (in metal laptops). The source drivers' flex and board run along the panel's bottom edge.
    """
    b = lay.b
    side, top, chin = rng.uniform(5, 16), rng.uniform(5, 12), rng.uniform(10, 24)
    w = lay.width - 2 * side
    y0, y1 = -lay.depth / 2 + chin, lay.depth / 2 - top
    yc = (y0 + y1) / 2
    b.add(Box(w, y1 - y0, rng.uniform(1.0, 1.5), 2.0), "lcd", 0, yc)
    steel = rng.random() < (0.9 if chassis in ("abs", "polycarbonate") else 0.65)
    back = ("steel", rng.uniform(0.15, 0.3)) if steel else ("aluminium", rng.uniform(0.4, 0.7))
    b.add(Box(w - 3, y1 - y0 - 3, back[1], 2.0), back[0], 0, yc)
    # Source drivers: a narrow board and the drivers' flex, folded behind the bottom edge
    # (the panel's bottom is at the hinge); its copper is what shows.
    sw = min(w * rng.uniform(0.45, 0.8), 2 * _MAX_DRIVER_MM)
    c.strip(b, -sw / 2, y0 + 5, sw / 2, y0 + 5, 6.0, 0.15, "copper")


def _keyboard_and_trackpad(lay: _Layout, rng: np.random.Generator) -> None:
    """Keyboard support plate with its grid of cut-outs; trackpad module at the front.

    The plate, 0.4–0.6 mm steel (or 0.6–0.9 mm aluminium), has an opening per key for the
    scissor mechanism; the keycaps and rubber domes above (~1 mm of plastic) hardly show.
    """
    b = lay.b
    kw = min(lay.width - rng.uniform(24, 44), 2 * lay.xi - 6)
    top = -lay.yi + rng.uniform(6, 14)
    kh = 5.5 * _KEY_PITCH + 8.0
    steel = rng.random() < 0.75
    material, t = ("steel", rng.uniform(0.4, 0.6)) if steel else ("aluminium", rng.uniform(0.6, 0.9))
    hole = (rng.uniform(6.0, 9.0), rng.uniform(4.5, 7.0))
    stagger = _KEY_PITCH * (0.25, 0.5)[int(rng.integers(2))]
    plate = ishapes.Perforated(kw, kh, t, (_KEY_PITCH, _KEY_PITCH), hole, 0.0, stagger, 3.0)
    b.add(plate, material, 0, top + kh / 2)
    # The gap between keyboard and mainboard: a thin, wide hiding place.
    gap = rng.uniform(2.0, 4.0)
    lay.cavities.append(Cavity(0, top + kh / 2, kw - 20, kh - 16, round(gap, 2)))

    # Trackpad: glass top on its sensor board, controller, steel stiffener.
    tw = min(rng.uniform(90, 135), kw * 0.45)
    th = rng.uniform(58, 80)
    ty = lay.yi - th / 2 - rng.uniform(6, 14)
    b.add(Box(tw, th, 0.6, 3.0), "glass", 0, ty)  # the sensor board under it (thin FR4) hardly shows
    b.add(Box(tw - 10, th * 0.5, rng.uniform(0.3, 0.5), 2.0), "steel", 0, ty - th * 0.2)
    b.add(Box(7.0, 7.0, 1.2, 0.3), "silicon", tw * 0.3, ty + th * 0.25)  # touch controller


def _hinges(lay: _Layout, rng: np.random.Generator) -> None:
    """Two hinges at the back: steel brackets on base and lid and the steel friction barrel."""
    inset = rng.uniform(14, 40)
    for sx in (-1, 1):
        x = sx * (lay.xi - inset)
        lay.b.rect("steel", x, -lay.yi + 8.0, 24.0, 13.0, 2.5)
        lay.b.rect("steel", x + sx * 4, -lay.yi + 20.0, 14.0, 30.0, 1.5)  # lid side
        lay.b.cylinder("steel", x, -lay.yi + 4.0, 20.0, 7.0)
        for dy in (10.0, 28.0):
            c.screw(lay.b, x + sx * 4, -lay.yi + dy, 2.0, 3.0)


def _cooling(
    lay: _Layout, diag: float, material: str, rng: np.random.Generator
) -> tuple[float, float, list[tuple[float, float, bool]]]:
    """Fans with their fin stacks in the back corners.

    Returns the x range left free for the mainboard and the fin stacks (centre, and whether
    they run along x), where the heat pipes end.
    """
    fan_d = {11.6: 45.0, 13.3: 50.0, 14.0: 55.0, 15.6: 60.0, 17.3: 68.0}[diag] + rng.uniform(-4, 4)
    fanless = diag <= 13.3 and material == "aluminium" and rng.random() < 0.3
    n_fans = 0 if fanless else (2 if rng.random() < (0.45 if diag >= 15.6 else 0.12) else 1)
    box = fan_d + 6
    side_exhaust = rng.random() < 0.4
    left, right = -lay.xi + 1.0, lay.xi - 1.0
    fx = lay.xi - box / 2 - (10.0 if side_exhaust else rng.uniform(2, 18))
    fy = -lay.yi + 9.0 + box / 2 + rng.uniform(0, 6)
    # Fin stacks: 0.1–0.15 mm fins on a ~1.2 mm pitch, 6–8 mm tall, seen edge-on.
    fins = ("copper", rng.uniform(0.5, 0.8)) if rng.random() < 0.4 else ("aluminium", rng.uniform(0.6, 1.0))
    fin_stacks: list[tuple[float, float, bool]] = []
    for i in range(n_fans):
        sx = 1 if i == 0 else -1
        c.fan(lay.b, sx * fx, fy, fan_d, lay.base_h - 4, rng)
        if side_exhaust:
            fin_stacks.append((sx * (lay.xi - 4.5), fy, False))
            lay.b.add(Box(7.0, fan_d * 0.9, fins[1]), fins[0], sx * (lay.xi - 4.5), fy)
        else:
            fin_stacks.append((sx * fx, -lay.yi + 4.5, True))
            lay.b.add(Box(fan_d * 0.9, 7.0, fins[1]), fins[0], sx * fx, -lay.yi + 4.5)
        if sx > 0:
            right = fx - box / 2 - 1.0
        else:
            left = -fx + box / 2 + 1.0
    return left, right, fin_stacks


def _mainboard(
    lay: _Layout,
    left: float,
    right: float,
    fin_stacks: list[tuple[float, float, bool]],
    rng: np.random.Generator,
) -> None:
    """Mainboard in the back band: CPU (and GPU) under copper coolers, VRM, RAM, SSD, Wi-Fi, ports.

    The many small pieces (small packages, passives and their solder, inductors, screws) are
    merged into clusters over the board. Without a fan (passive cooling) the copper spreader
    stays but no heat pipe leaves it.
    """
    b = lay.b
    y0, y1 = -lay.yi + 1.0, -lay.yi + lay.back_depth
    bw, bh = right - left, y1 - y0
    bx, by = (left + right) / 2, (y0 + y1) / 2
    # 6–10 layers: 0.12–0.25 mm of copper in all.
    c.circuit_board(b, bx, by, bw, bh, rng.uniform(1.0, 1.6), rng.uniform(0.12, 0.25))

    cw, ch = rng.uniform(25, 38), rng.uniform(24, 30)
    cx = right - rng.uniform(30, 55)
    cy = by + rng.uniform(-0.15, 0.15) * bh
    c.processor(b, cx, cy, cw, ch, die=rng.uniform(0.35, 0.55))
    processors = [(cx, cy, cw)]
    if bw > 230 and rng.random() < 0.45:
        gx, gy, gs = cx - rng.uniform(60, 80), by + rng.uniform(-0.1, 0.1) * bh, rng.uniform(30, 40)
        c.processor(b, gx, gy, gs, gs, die=0.5)
        for k in range(4):  # graphics memory around the GPU
            ang = np.pi / 4 + k * np.pi / 2
            c.chip(b, gx + 0.95 * gs * np.cos(ang), gy + 0.95 * gs * np.sin(ang), 12.0, 14.0, die=0.7)
        processors.append((gx, gy, gs))
    for px, py, ps in processors:
        # Copper cold plate, pressed on by a steel leaf spring held by four screws.
        b.add(Box(ps + 12, ps + 10, rng.uniform(1.0, 1.8), 2.0), "copper", px, py)
        b.rim("steel", px, py, ps + 18, ps + 16, 5.0, 0.8)
        for sx in (-1, 1):
            for sy in (-1, 1):
                c.screw(b, px + sx * (ps / 2 + 8), py + sy * (ps / 2 + 7), 2.0, 3.5)
        if fin_stacks:
            fx, fy, along_x = min(fin_stacks, key=lambda f: abs(f[0] - px))
            # Parallel pipes side by side along the fin stack, so none leaves the chassis.
            dx, dy = (1.0, 0.0) if along_x else (0.0, 1.0)
            diameter = rng.uniform(5, 8)
            n_pipes = int(rng.integers(1, 3)) + (ps > 32)
            for off in (np.arange(n_pipes) - (n_pipes - 1) / 2) * 8.0:
                c.heat_pipe(b, px + off * dx, py + off * dy, fx + off * dx, fy + off * dy, diameter)

    # Voltage regulators beside the CPU: inductors and MOSFETs in a row.
    vy = cy + ch / 2 + 9 if cy < by else cy - ch / 2 - 9
    for k in range(int(rng.integers(3, 6))):
        vx = cx - cw / 2 + 4 + 8.5 * k
        c.inductor(b, vx, vy, 6.5, 3.5)
        c.chip(b, vx, vy + (6.0 if vy > cy else -6.0), 4.0, 5.0, bga=False)
    # Fields of passives (capacitors, resistors) over the board.
    for _ in range(int(rng.integers(4, 7))):
        c.passives(
            b,
            bx + rng.uniform(-0.4, 0.4) * bw,
            by + rng.uniform(-0.35, 0.35) * bh,
            rng.uniform(12, 30),
            rng.uniform(5, 10),
            rng,
            int(rng.integers(8, 16)),
            angle=90.0 * int(rng.integers(2)),
        )
    # Chipset (PCH), embedded controller, audio codec under a shield, small logic.
    c.processor(b, cx - cw / 2 - 22, by + rng.uniform(-0.3, 0.3) * bh, 20.0, 20.0, die=0.35)
    ex, ey = bx + rng.uniform(-0.3, 0.1) * bw, by + rng.uniform(-0.35, 0.35) * bh
    c.chip(b, ex, ey, 10.0, 10.0, bga=False)
    c.shield_can(b, ex - 22, ey, 16.0, 14.0)
    c.chip(b, ex - 22, ey, 6.0, 6.0, bga=False)
    for _ in range(int(rng.integers(4, 9))):
        side = rng.uniform(2.5, 7)
        c.chip(
            b,
            bx + rng.uniform(-0.45, 0.45) * bw,
            by + rng.uniform(-0.4, 0.4) * bh,
            side,
            side * rng.uniform(0.5, 1.0),
            bga=False,
            angle=90.0 * int(rng.integers(2)),
        )
    b.disc("steel", left + 18, y1 - 16, 20.0, 0.6)  # CR2032: steel can, Li / MnO2 inside
    b.disc("li_ion_cell", left + 18, y1 - 16, 18.0, 2.2)

    # Memory: one or two SO-DIMMs (stacked in their sockets) or soldered chips under a shield.
    rx = left + 45 + rng.uniform(0, max(bw - 200, 1) * 0.3)
    if rng.random() < 0.6:
        stacked = 2 if lay.base_h > 16 else 1
        ry = by + rng.uniform(-0.2, 0.2) * bh
        b.add(Box(67.6, 30.0, 1.0 * stacked, 1.0), "fr4", rx, ry)
        # The modules' copper planes, gold fingers and socket contacts; the socket's steel latches.
        b.add(Box(68.0, 30.0, 0.1 * stacked + 0.3), "copper", rx, ry + 1.0)
        for sx in (-1, 1):
            b.rect("steel", rx + sx * 36.0, ry + 6.0, 4.0, 12.0, 0.4 * stacked)
        for k in range(4):
            c.chip(b, rx - 22 + 14.5 * k, ry - 3, 10.0, 11.0, die=0.7)
    else:
        mx0 = cx - cw / 2 - 10 - 14 * 3
        for k in range(4):
            c.chip(b, cx - cw / 2 - 10 - 14 * k, cy + (k % 2) * 16, 12.0, 14.0, die=0.7)
        c.shield_can(b, (mx0 + cx - cw / 2 - 10) / 2, cy + 8, 14 * 3 + 16, 34.0)

    # M.2 SSD: controller, two flash packages; its retaining screw.
    ssd_x, ssd_y = rx + rng.uniform(-10, 25), y1 - 15.0
    b.add(Box(80.0, 22.0, 0.8, 1.0), "fr4", ssd_x, ssd_y)  # 4 thin copper layers: hardly any copper
    c.chip(b, ssd_x - 28, ssd_y, 9.0, 9.0, die=0.6)
    for k in range(2):
        c.chip(b, ssd_x - 10 + 18 * k, ssd_y, 14.0, 16.0, die=0.8)
    c.screw(b, ssd_x + 40, ssd_y, 2.0, 3.0)
    # Wi-Fi card under its shield, antenna cables running to a hinge.
    wx, wy = left + 15.0 + 8 * rng.random(), y0 + 25.0
    b.add(Box(22.0, 30.0, 0.8, 1.0), "fr4", wx, wy)
    c.shield_can(b, wx, wy - 3, 20.0, 18.0)
    for k in range(2):
        c.cable(b, [(wx - 5 + 6 * k, wy + 12), (wx + 40 + 6 * k, -lay.yi + 6)], 1.1, 0.4)
    # Display cable from the board to a hinge; battery flex to the front band.
    dx0 = bx + rng.uniform(-0.3, 0.3) * bw
    c.cable(b, [(dx0, by), (dx0 + rng.uniform(-40, 40), -lay.yi + 5)], 3.0, 0.15)
    b.add(Box(12.0, 30.0, 0.06), "copper", bx + rng.uniform(-0.3, 0.3) * bw, y1 + 5)

    _ports(lay, left, right, y0, y1, rng)
    for _ in range(int(rng.integers(3, 7))):
        c.screw(b, bx + rng.uniform(-0.45, 0.45) * bw, by + rng.uniform(-0.4, 0.4) * bh, 2.0, 4.0)


def _ports(lay: _Layout, left: float, right: float, y0: float, y1: float, rng: np.random.Generator) -> None:
    kinds = ("usb_a", "usb_c", "hdmi", "usb_c", "jack", "usb_a")
    if lay.base_h >= 20 and rng.random() < 0.4:
        kinds = (*kinds, "rj45")
    for sx, edge in ((-1, left), (1, right)):
        # Where a fan sits at that wall, the ports go in front of it.
        y = y1 - 30 if abs(sx * lay.xi - edge) > 20 else y0 + 25
        for _ in range(int(rng.integers(1, 4))):
            if y > y1 - 10:
                break
            kind = kinds[int(rng.integers(len(kinds)))]
            x = sx * (lay.xi - 8.0)
            c.port(lay.b, x, y, 0.0, kind)
            y += rng.uniform(17, 24)


def _bay(lay: _Layout, kind: str, rng: np.random.Generator) -> float:
    """An optical drive or a 2.5" drive bay in the front-left corner; returns its right edge."""
    if not kind:
        return -lay.xi
    b = lay.b
    if kind == "odd":
        w, d, h = 128.0, 126.0, 12.7 if lay.base_h >= 22 else 9.5
        x, y = -lay.xi + w / 2 + 0.5, lay.yi - d / 2 - 0.5
        if rng.random() < 0.65:  # an optical drive: steel sheet case, spindle, sled rails, board
            b.add(Box(w, d, 0.6, 1.0), "steel", x, y)
            b.add(Box(w - 6, 10.0, 3.0), "polyester", x, y + d / 2 - 6)
            with b.slot("optical_bay") as s:  # the mechanism; the case and bezel stay
                s.disc("ferrite", x + 5, y - 8, 28.0, 2.0)
                s.disc("steel", x + 5, y - 8, 12.0, 2.5)
                for off in (-14.0, 14.0):
                    s.add(Cylinder(70.0, 3.0), "steel", x + 5 + off * 2.4, y + 22, 90)
                s.add(Box(26.0, 18.0, 4.0), "steel", x + 5, y + 30)  # pickup sled
                c.circuit_board(s, x - 20, y - d / 4, 70.0, 50.0, 0.8, 0.06)
                c.chip(s, x - 20, y - d / 4, 12.0, 12.0, bga=False)
                # Inside the case's sheets, up to the bezel.
                s.room = Cavity(x, y - 2.0, w - 4.0, d - 8.0, round(h - 0.6, 2))
            lay.cavities.append(Cavity(x, y - 4, w - 14, d - 30, round(h - 5.5, 2)))
        else:  # empty bay or a plastic weight saver
            b.add(Frame(w, d, 1.2, h - 1, 3.0), "polyester", x, y)
            lay.cavities.append(Cavity(x, y, w - 8, d - 8, round(h - 1.5, 2)))
        return x + w / 2
    w, d = 100.0, 69.85
    x, y = -lay.xi + w / 2 + 3.0, lay.yi - d / 2 - 3.0
    if rng.random() < 0.6:
        drive = hard_drive.build_form("2.5", rng, 7.0, gutted=True)
        transform = pose(x, y, 180.0 if rng.random() < 0.5 else 0.0)
        b.extend([drive.outline.moved(transform)])
        b.extend(p.moved(transform) for p in drive.parts)
        for slot in drive.slots:
            b.add_slot(bld.move_slot(slot, transform))
        lay.cavities.extend(bld.move_cavity(k, transform) for k in drive.cavities)
    else:  # an empty bay (SSD-only laptop): a plastic cradle and the SATA connector
        b.add(Frame(w + 2, d + 2, 1.0, 6.0, 2.0), "polyester", x, y)
        b.add(Box(6.0, 40.0, 5.0), "polyester", x + w / 2 - 4, y)
        b.add(Box(3.0, 36.0, 0.5), "copper", x + w / 2 - 4, y)
        lay.cavities.append(Cavity(x - 4, y, w - 14, d - 6, round(min(lay.free_h, 9.0), 2)))
    return x + w / 2 + 3.0


def _battery(lay: _Layout, bay_right: float, rng: np.random.Generator) -> None:
    """Battery pack in the front band (18650 cells in thick laptops, pouch cells in thin ones)."""
    b = lay.b
    x0, x1 = bay_right + 3.0, lay.xi - 2.0
    y0, y1 = lay.front_y0, lay.yi - 2.0
    avail_w, avail_d = x1 - x0 - 8.0, y1 - y0 - 4.0
    cells = lay.base_h >= 22.0 and rng.random() < 0.8
    if cells:
        options = [("row", n, 1) for n in range(3, 9) if n * _CELL_PITCH + 4 <= avail_w and avail_d >= 78]
        options += [
            ("grid", m, r)
            for m in (2, 3, 4)
            for r in (1, 2)
            if m * 65.6 + 4 <= avail_w and r * _CELL_PITCH + 14 <= avail_d and 3 <= m * r <= 6
        ]
        cells = bool(options)
    if cells:
        style, a, n_rows = options[int(rng.integers(len(options)))]
        w, d = (a * _CELL_PITCH + 4, 78.0) if style == "row" else (a * 65.6 + 4, n_rows * _CELL_PITCH + 14)
        thickness = c.CELL_18650[1]
    else:
        w = min(avail_w * rng.uniform(0.6, 0.95), 330.0)
        d = min(avail_d, rng.uniform(55, 92))
        thickness = float(np.clip(rng.uniform(4.0, 7.5), 3.0, lay.base_h - 7.0))
    bx = x0 + 4 + w / 2 + rng.uniform(0, max(avail_w - w, 0))
    by = y0 + 2 + d / 2 + rng.uniform(0, max(avail_d - d, 0))
    # Protection board (BMS) along the back edge: MOSFETs and fuel gauge.
    bms_y, bms_w = by - d / 2 + (5.0 if cells else 3.5), min(w - 8, rng.uniform(50, 90))
    b.add(Box(bms_w, 6.0, 1.2), "fr4", bx, bms_y)
    for k in range(3):  # MOSFETs and fuel gauge
        b.add(Box(4.0, 4.0, 1.2, 0.3), "silicon", bx + (k - 1) * bms_w / 3, bms_y)
    # The cells' jelly rolls (their steel cans stay), or the whole pouch pack, can be replaced.
    with b.slot("battery_cells") as s:
        if cells:
            cell_y0 = by - d / 2 + 10
            if style == "row":
                x = bx - w / 2 + 2 + _CELL_PITCH * a / 2
                s.cores += c.cell_row(b, x, cell_y0 + 34, 90.0, a, _CELL_PITCH, rolls=s)
                for yy in (cell_y0 + 1.5, cell_y0 + 66.5):
                    b.add(Box(w - 6, 6.0, 0.2), "steel", bx, yy)  # nickel-plated steel strips
            else:
                for j in range(a):
                    x = bx - w / 2 + 2 + 65.6 * (j + 0.5)
                    y = cell_y0 + 1 + _CELL_PITCH * n_rows / 2
                    s.cores += c.cell_row(b, x, y, 0.0, n_rows, _CELL_PITCH, rolls=s)
                for j in range(a + 1):
                    x = bx - w / 2 + 2 + 65.6 * j
                    b.add(Box(3.0, n_rows * _CELL_PITCH - 2, 0.2), "steel", x, cell_y0 + 1 + n_rows * 9.5)
            s.room = s.bounds(c.roll_diameter())
        else:
            s.cores += c.pouch_pack(s, bx, by + 4, w - 8, d - 14, thickness, int(rng.integers(2, 5)), 4.0)
            s.room = s.bounds(thickness)
    lay.cavities.append(Cavity(bx, by, w - 2, d - 2, round(thickness + 0.5, 2)))

    # Free space beside and in front of the battery; speakers sit in the far front corners.
    spk = (rng.uniform(30, 45), rng.uniform(12, 18))
    for sx, inner, outer in ((-1, bx - w / 2, x0), (1, bx + w / 2, x1)):
        corner_x = outer - sx * (spk[0] / 2 + 3)
        has_speaker = abs(outer - inner) > spk[0] + 8
        if has_speaker:
            magnet = "neodymium_magnet" if rng.random() < 0.7 else "ferrite"
            c.speaker(b, corner_x, y1 - spk[1] / 2 - 2, spk[0], spk[1], lay.free_h, magnet)
        top = y1 - spk[1] - 6 if has_speaker else y1 - 2
        cavity = bld.cavity_between(inner + sx * 2, y0 + 2, outer - sx * 2, top, lay.free_h)
        if cavity is not None:
            lay.cavities.append(cavity)
    front = bld.cavity_between(bx - w / 2 + 2, by + d / 2 + 2, bx + w / 2 - 2, y1 - 2, lay.free_h - 3)
    if front is not None:
        lay.cavities.append(front)
