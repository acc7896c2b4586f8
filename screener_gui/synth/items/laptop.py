"""Closed laptops, 11.6" to 17.3": the base and the display lid are both in the beam.

Frame: x across the laptop, y from the hinge (-y, back) to the palm rest (+y, front). The
back band holds the mainboard, fans and heat pipes under the keyboard; the front band the
battery under the palm rest, the trackpad and, on some models, an optical or 2.5" drive bay.
A random mirror image swaps left and right (a laptop scanned upside down looks the same).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from screener_gui.synth.canvas import Part, part, pose
from screener_gui.synth.item import Cavity, Item
from screener_gui.synth.items import components as c
from screener_gui.synth.items import hard_drive
from screener_gui.synth.shapes import Box, Cylinder, Ellipse, Frame

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


@dataclass
class _Layout:
    """Geometry decided so far and what has been built (mutable while building)."""

    width: float
    depth: float
    base_h: float
    xi: float  # inner half width (inside the walls, mm)
    yi: float
    back_depth: float  # depth of the back band (board, fans)
    parts: list[Part] = field(default_factory=list)
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
    material = str(rng.choice(chassis.materials))
    base_h, lid_h = rng.uniform(*chassis.base_h), rng.uniform(*chassis.lid_h)
    radius = rng.uniform(*chassis.radius)

    outline = part(Box(width, depth, rng.uniform(*chassis.sheets), radius), material)
    xi, yi = width / 2 - chassis.wall - 1.5, depth / 2 - chassis.wall - 1.5
    odd = diag >= 15.6 and base_h >= 19.0 and rng.random() < 0.4
    back_depth = 2 * yi * rng.uniform(0.44, 0.52)
    if odd:
        back_depth = min(back_depth, 2 * yi - 132.0)
    lay = _Layout(width, depth, base_h, xi, yi, back_depth)
    lay.parts += c.shell_walls(width, depth, radius, chassis.wall, base_h + lid_h, material)

    _display(lay, rng)
    _keyboard_and_trackpad(lay, rng)
    _hinges(lay, rng)
    left, right, fin_stacks = _cooling(lay, diag, material, rng)
    _mainboard(lay, left, right, fin_stacks, rng)
    bay_right = _bay(lay, "odd" if odd else ("hdd" if base_h >= 14 and rng.random() < 0.35 else ""), rng)
    _battery(lay, bay_right, rng)
    lay.parts += c.screws_around(xi - 5, yi - 5, rng, int(rng.integers(5, 10)), 2.0, 4.0)

    parts, cavities = lay.parts, lay.cavities
    if rng.random() < 0.5:
        parts, cavities = c.mirror_x(parts), [c.mirror_cavity(k) for k in cavities]
    return Item("laptop", outline, tuple(parts), tuple(cavities))


def _display(lay: _Layout, rng: np.random.Generator) -> None:
    """The lid's LCD panel (glass, light guide and back plate merged into one slab) inside its bezel."""
    side, top, chin = rng.uniform(5, 16), rng.uniform(5, 12), rng.uniform(10, 24)
    w = lay.width - 2 * side
    y0, y1 = -lay.depth / 2 + chin, lay.depth / 2 - top
    lay.parts.append(part(Box(w, y1 - y0, rng.uniform(1.2, 2.0), 2.0), "lcd", 0, (y0 + y1) / 2))


def _keyboard_and_trackpad(lay: _Layout, rng: np.random.Generator) -> None:
    """Keyboard plate (keycaps, ~1 mm of ABS, are lost under the rest); trackpad at the front.

    Rows of keycaps would be long thin parts whose drawing windows blow up when the laptop is
    rotated, for almost no contrast.
    """
    kw = min(lay.width - rng.uniform(24, 44), 2 * lay.xi - 6)
    top = -lay.yi + rng.uniform(6, 14)
    kh = 5 * 19.0 + 12.0
    plate = ("steel", rng.uniform(0.3, 0.45)) if rng.random() < 0.5 else ("aluminium", rng.uniform(0.5, 0.8))
    lay.parts.append(part(Box(kw, kh, plate[1], 2.0), plate[0], 0, top + kh / 2))
    # The gap between keyboard and mainboard: a thin, wide hiding place.
    gap = rng.uniform(2.0, 4.0)
    lay.cavities.append(Cavity(0, top + kh / 2, kw - 20, kh - 16, round(gap, 2)))

    tw = min(rng.uniform(90, 135), kw * 0.45)
    th = rng.uniform(58, 80)
    ty = lay.yi - th / 2 - rng.uniform(6, 14)
    lay.parts.append(part(Box(tw, th, 0.6, 3.0), "glass", 0, ty))


def _hinges(lay: _Layout, rng: np.random.Generator) -> None:
    """Two hinges at the back: a steel bracket and a steel or zinc barrel each."""
    metal = "zinc" if rng.random() < 0.4 else "steel"
    inset = rng.uniform(14, 40)
    for sx in (-1, 1):
        x = sx * (lay.xi - inset)
        lay.parts.append(part(Box(24.0, 13.0, 2.5, 1.0), "steel", x, -lay.yi + 8.0))
        lay.parts.append(part(Cylinder(20.0, 7.0), metal, x, -lay.yi + 4.0))


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
    fins = "copper" if rng.random() < 0.4 else "aluminium"
    fin_stacks: list[tuple[float, float, bool]] = []
    for i in range(n_fans):
        sx = 1 if i == 0 else -1
        lay.parts += c.fan(sx * fx, fy, fan_d, lay.base_h - 4, rng)
        if side_exhaust:
            fin_stacks.append((sx * (lay.xi - 4.5), fy, False))
            lay.parts.append(part(Box(7.0, fan_d * 0.9, 0.7), fins, sx * (lay.xi - 4.5), fy))
        else:
            fin_stacks.append((sx * fx, -lay.yi + 4.5, True))
            lay.parts.append(part(Box(fan_d * 0.9, 7.0, 0.7), fins, sx * fx, -lay.yi + 4.5))
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

    Without a fan (passive cooling) the copper spreader stays but no heat pipe leaves it.
    """
    y0, y1 = -lay.yi + 1.0, -lay.yi + lay.back_depth
    bw, bh = right - left, y1 - y0
    bx, by = (left + right) / 2, (y0 + y1) / 2
    lay.parts += c.circuit_board(bx, by, bw, bh, rng.uniform(1.0, 1.6), rng.uniform(0.12, 0.25))

    cw, ch = rng.uniform(25, 38), rng.uniform(24, 30)
    cx = right - rng.uniform(30, 55)
    cy = by + rng.uniform(-0.15, 0.15) * bh
    lay.parts += c.chip(cx, cy, cw, ch, die=rng.uniform(0.35, 0.55))
    processors = [(cx, cy, cw)]
    if bw > 230 and rng.random() < 0.45:
        gx, gy, gs = cx - rng.uniform(60, 80), by + rng.uniform(-0.1, 0.1) * bh, rng.uniform(30, 40)
        lay.parts += c.chip(gx, gy, gs, gs, die=0.5)
        for k in range(4):
            ang = np.pi / 4 + k * np.pi / 2
            lay.parts.append(
                part(
                    Box(14.0, 12.0, 1.0),
                    "silicon",
                    gx + 0.95 * gs * np.cos(ang),
                    gy + 0.95 * gs * np.sin(ang),
                )
            )
        processors.append((gx, gy, gs))
    for px, py, ps in processors:
        lay.parts.append(part(Box(ps + 12, ps + 10, 1.0, 2.0), "copper", px, py))
        if fin_stacks:
            fx, fy, along_x = min(fin_stacks, key=lambda f: abs(f[0] - px))
            # Parallel pipes side by side along the fin stack, so none leaves the chassis.
            dx, dy = (1.0, 0.0) if along_x else (0.0, 1.0)
            diameter = rng.uniform(5, 8)
            n_pipes = int(rng.integers(1, 3)) + (ps > 32)
            for off in (np.arange(n_pipes) - (n_pipes - 1) / 2) * 8.0:
                lay.parts += c.heat_pipe(px + off * dx, py + off * dy, fx + off * dx, fy + off * dy, diameter)
        for sx in (-1, 1):
            for sy in (-1, 1):
                lay.parts.append(c.screw(px + sx * (ps / 2 + 9), py + sy * (ps / 2 + 8), 2.0, 3.5))

    # Voltage regulators beside the CPU, passives, the chipset and the CMOS coin cell.
    vy = cy + ch / 2 + 9 if cy < by else cy - ch / 2 - 9
    for k in range(int(rng.integers(2, 5))):
        lay.parts.append(c.inductor(cx - cw / 2 + 4 + 8.5 * k, vy, 6.5, 3.5))
    for _ in range(2):
        lay.parts.append(
            c.component_strip(
                bx + rng.uniform(-0.35, 0.35) * bw,
                by + rng.uniform(-0.35, 0.35) * bh,
                rng.uniform(15, 40),
                rng.uniform(3, 6),
                int(rng.integers(2**31)),
                angle=float(rng.choice([0.0, 90.0])),
            )
        )
    lay.parts += c.chip(cx - cw / 2 - 22, by + rng.uniform(-0.3, 0.3) * bh, 20.0, 20.0, die=0.3, bga=False)
    lay.parts.append(part(Ellipse(20.0, 20.0, 1.0), "steel", left + 18, y1 - 16))  # CR2032, can + MnO2

    # Memory: two stacked SO-DIMMs (merged, same footprint) or soldered chips.
    rx = left + 45 + rng.uniform(0, max(bw - 200, 1) * 0.3)
    if rng.random() < 0.6:
        stacked = 2 if lay.base_h > 16 else 1
        ry = by + rng.uniform(-0.2, 0.2) * bh
        lay.parts.append(part(Box(67.6, 30.0, 1.0 * stacked, 1.0), "fr4", rx, ry))
        for k in range(4):
            lay.parts.append(part(Box(10.0, 11.0, 0.8 * stacked), "silicon", rx - 22 + 14.5 * k, ry - 3))
    else:
        for k in range(4):
            lay.parts.append(
                part(Box(12.0, 14.0, 1.0), "silicon", cx - cw / 2 - 10 - 14 * k, cy + (k % 2) * 16)
            )
    # M.2 SSD (controller and two flash packages) and Wi-Fi card; an antenna cable runs to a hinge.
    ssd_x, ssd_y = rx + rng.uniform(-10, 25), y1 - 15.0
    lay.parts.append(part(Box(80.0, 22.0, 0.8, 1.0), "fr4", ssd_x, ssd_y))
    lay.parts.append(part(Box(9.0, 9.0, 1.0), "silicon", ssd_x - 28, ssd_y))
    for k in range(2):
        lay.parts.append(part(Box(14.0, 16.0, 1.0), "silicon", ssd_x - 10 + 18 * k, ssd_y))
    wx, wy = left + 15.0 + 8 * rng.random(), y0 + 25.0
    lay.parts.append(part(Box(22.0, 30.0, 0.8, 1.0), "fr4", wx, wy))
    lay.parts.append(part(Box(20.0, 18.0, 0.25), "steel", wx, wy - 3))
    lay.parts += c.rod(wx, wy, wx + 40, -lay.yi + 6, 1.1, "copper")  # antenna cable

    # Small ICs and passives scattered over the board.
    for _ in range(int(rng.integers(3, 7))):
        side = rng.uniform(3, 10)
        x = bx + rng.uniform(-0.45, 0.45) * bw
        y = by + rng.uniform(-0.4, 0.4) * bh
        material = "silicon" if side > 5 else "ceramic"
        lay.parts.append(
            part(Box(side, side * rng.uniform(0.5, 1.0), 1.0), material, x, y, float(rng.choice([0, 90])))
        )
    # Battery cable: a flat flex from the board to the front band.
    lay.parts.append(part(Box(12.0, 30.0, 0.06), "copper", bx + rng.uniform(-0.3, 0.3) * bw, y1 + 5))

    _ports(lay, left, right, y0, y1, rng)
    for _ in range(int(rng.integers(1, 4))):
        lay.parts.append(c.screw(bx + rng.uniform(-0.45, 0.45) * bw, by + rng.uniform(-0.4, 0.4) * bh))


def _ports(lay: _Layout, left: float, right: float, y0: float, y1: float, rng: np.random.Generator) -> None:
    kinds = ("usb_a", "usb_c", "hdmi", "usb_c", "jack", "usb_a")
    for sx, edge in ((-1, left), (1, right)):
        # Where a fan sits at that wall, the ports go in front of it.
        y = y1 - 30 if abs(sx * lay.xi - edge) > 20 else y0 + 25
        for _ in range(int(rng.integers(1, 3))):
            if y > y1 - 10:
                break
            kind = str(rng.choice(kinds))
            x = sx * (lay.xi - 8.0)
            lay.parts += c.port(x, y, 0.0, kind)
            y += rng.uniform(17, 24)


def _bay(lay: _Layout, kind: str, rng: np.random.Generator) -> float:
    """An optical drive or a 2.5" drive bay in the front-left corner; returns its right edge."""
    if not kind:
        return -lay.xi
    if kind == "odd":
        w, d, h = 128.0, 126.0, 12.7 if lay.base_h >= 22 else 9.5
        x, y = -lay.xi + w / 2 + 0.5, lay.yi - d / 2 - 0.5
        if rng.random() < 0.65:  # an optical drive: steel sheet case, spindle, sled rails, board
            lay.parts.append(part(Box(w, d, 0.6, 1.0), "steel", x, y))
            lay.parts.append(part(Box(w - 6, 10.0, 3.0), "abs", x, y + d / 2 - 6))
            lay.parts.append(part(Ellipse(28.0, 28.0, 2.0), "ferrite", x + 5, y - 8))
            lay.parts.append(part(Ellipse(12.0, 12.0, 2.5), "steel", x + 5, y - 8))
            for off in (-14.0, 14.0):
                lay.parts.append(part(Cylinder(70.0, 3.0), "steel", x + 5 + off * 2.4, y + 22, 90))
            lay.parts.append(part(Box(26.0, 18.0, 4.0), "zinc", x + 5, y + 30))
            lay.parts += c.circuit_board(x - 20, y - d / 4, 70.0, 50.0, 0.8, 0.06)
            lay.cavities.append(Cavity(x, y - 4, w - 14, d - 30, round(h - 5.5, 2)))
        else:  # empty bay or a plastic weight saver
            lay.parts.append(part(Frame(w, d, 1.2, h - 1, 3.0), "abs", x, y))
            lay.cavities.append(Cavity(x, y, w - 8, d - 8, round(h - 1.5, 2)))
        return x + w / 2
    w, d = 100.0, 69.85
    x, y = -lay.xi + w / 2 + 3.0, lay.yi - d / 2 - 3.0
    if rng.random() < 0.6:
        drive = hard_drive.build_form("2.5", rng, 7.0)
        transform = pose(x, y, 180.0 if rng.random() < 0.5 else 0.0)
        lay.parts.append(drive.outline.moved(transform))
        lay.parts += [p.moved(transform) for p in drive.parts]
        for k in drive.cavities:
            cx, cy = (transform @ np.array([k.x_mm, k.y_mm, 1.0]))[:2]
            angle = k.angle_deg + float(np.rad2deg(np.arctan2(transform[1, 0], transform[0, 0])))
            lay.cavities.append(Cavity(float(cx), float(cy), k.width_mm, k.height_mm, k.depth_mm, angle))
    else:  # an empty bay (SSD-only laptop): a plastic cradle and the SATA connector
        lay.parts.append(part(Frame(w + 2, d + 2, 1.0, 6.0, 2.0), "abs", x, y))
        lay.parts.append(part(Box(6.0, 40.0, 5.0), "polyester", x + w / 2 - 4, y))
        lay.cavities.append(Cavity(x - 4, y, w - 14, d - 6, round(min(lay.free_h, 9.0), 2)))
    return x + w / 2 + 3.0


def _battery(lay: _Layout, bay_right: float, rng: np.random.Generator) -> None:
    """Battery pack in the front band (18650 cells in thick laptops, pouch cells in thin ones)."""
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
        style, a, b = options[int(rng.integers(len(options)))]
        w, d = (a * _CELL_PITCH + 4, 78.0) if style == "row" else (a * 65.6 + 4, b * _CELL_PITCH + 14)
        thickness = c.CELL_18650[1]
    else:
        w = min(avail_w * rng.uniform(0.6, 0.95), 330.0)
        d = min(avail_d, rng.uniform(55, 92))
        thickness = float(np.clip(rng.uniform(4.0, 7.5), 3.0, lay.base_h - 7.0))
    bx = x0 + 4 + w / 2 + rng.uniform(0, max(avail_w - w, 0))
    by = y0 + 2 + d / 2 + rng.uniform(0, max(avail_d - d, 0))
    if cells:
        # BMS board along the back edge, nickel strips joining the cells.
        lay.parts.append(part(Box(w - 6, 7.0, 1.0), "fr4", bx, by - d / 2 + 5))
        lay.parts += c.chip(bx - w / 4, by - d / 2 + 5, 5.0, 5.0, bga=False)
        cell_y0 = by - d / 2 + 10
        if style == "row":
            for i in range(a):
                x = bx - w / 2 + 2 + _CELL_PITCH * (i + 0.5)
                lay.parts += c.cylindrical_cell(x, cell_y0 + 34, 90.0 if i % 2 else -90.0, cap=False)
            for yy in (cell_y0 + 1.5, cell_y0 + 66.5):
                lay.parts.append(part(Box(w - 6, 6.0, 0.2), "nickel", bx, yy))
        else:
            for j in range(a):
                for r in range(b):
                    x = bx - w / 2 + 2 + 65.6 * (j + 0.5)
                    lay.parts += c.cylindrical_cell(x, cell_y0 + 1 + _CELL_PITCH * (r + 0.5), 0.0, cap=False)
            for j in range(a + 1):
                x = bx - w / 2 + 2 + 65.6 * j
                lay.parts.append(part(Box(3.0, b * _CELL_PITCH - 2, 0.2), "nickel", x, cell_y0 + 1 + b * 9.5))
    else:
        lay.parts += c.pouch_pack(bx, by + 4, w - 8, d - 14, thickness, int(rng.integers(2, 5)), 4.0)
        lay.parts.append(part(Box(w - 10, 6.0, 1.0), "fr4", bx, by - d / 2 + 3.5))
        lay.parts += c.chip(bx, by - d / 2 + 3.5, 4.0, 4.0, bga=False)
    lay.cavities.append(Cavity(bx, by, w - 2, d - 2, round(thickness + 0.5, 2)))

    # Free space beside and in front of the battery; speakers sit in the far front corners.
    spk = (rng.uniform(30, 45), rng.uniform(12, 18))
    for sx, inner, outer in ((-1, bx - w / 2, x0), (1, bx + w / 2, x1)):
        corner_x = outer - sx * (spk[0] / 2 + 3)
        has_speaker = abs(outer - inner) > spk[0] + 8
        if has_speaker:
            magnet = "neodymium_magnet" if rng.random() < 0.7 else "ferrite"
            lay.parts += c.speaker(corner_x, y1 - spk[1] / 2 - 2, spk[0], spk[1], lay.free_h, magnet)
        top = y1 - spk[1] - 6 if has_speaker else y1 - 2
        cavity = c.cavity_between(inner + sx * 2, y0 + 2, outer - sx * 2, top, lay.free_h)
        if cavity is not None:
            lay.cavities.append(cavity)
    front = c.cavity_between(bx - w / 2 + 2, by + d / 2 + 2, bx + w / 2 - 2, y1 - 2, lay.free_h - 3)
    if front is not None:
        lay.cavities.append(front)
