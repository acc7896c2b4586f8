"""Cameras lying on their back, lens pointing up into the beam: DSLR, mirrorless, compact.

Frame: x along the body's width (grip at -x), y along its height (top plate at -y). The beam
runs along the optical axis, so lens barrels appear as bright rings (their walls edge-on),
glass elements as lens-shaped discs, the battery standing in the grip as a dense block.
The battery's cell is a slot (``battery_cells``): its contents can be replaced inside its can.
"""

from __future__ import annotations

import numpy as np

from screener_gui.synth.canvas import part
from screener_gui.synth.item import Cavity, Item
from screener_gui.synth.items import builder as bld
from screener_gui.synth.items import components as c
from screener_gui.synth.items import item_shapes as ishapes
from screener_gui.synth.shapes import Box, Cylinder, Ellipse, Ellipsoid, Frame

# Body width, height, depth ranges (mm), grip width, share.
_STYLES = {
    "dslr": ((125.0, 150.0), (92.0, 112.0), (65.0, 80.0), 34.0, 0.35),
    "mirrorless": ((115.0, 135.0), (78.0, 95.0), (45.0, 62.0), 28.0, 0.3),
    "compact": ((95.0, 115.0), (55.0, 68.0), (25.0, 42.0), 0.0, 0.35),
}


def build(rng: np.random.Generator) -> Item:
    """A random camera: DSLR or mirrorless with a lens, or a compact."""
    names = list(_STYLES)
    style = names[int(rng.choice(len(names), p=[s[4] for s in _STYLES.values()]))]
    w_range, h_range, d_range, grip, _ = _STYLES[style]
    width, height, depth = rng.uniform(*w_range), rng.uniform(*h_range), rng.uniform(*d_range)
    metal = rng.random() < (0.5 if style != "compact" else 0.6)
    shell = ("magnesium" if style != "compact" else "aluminium") if metal else "polycarbonate"
    sheets = rng.uniform(1.6, 2.4) if metal else rng.uniform(3.0, 4.0)  # front + back plates
    wall = 1.5 if metal else 2.0
    radius = rng.uniform(6, 12) if style != "compact" else rng.uniform(4, 8)
    hw, hh = width / 2, height / 2
    xi, yi = hw - wall - 1.5, hh - wall - 1.5

    outline = part(ishapes.Shell(width, height, sheets, radius, wall, depth - sheets), shell)
    b = c.Builder()
    cavities: list[Cavity] = []
    if style == "compact":
        _compact(b, cavities, width, height, depth, xi, yi, rng)
    else:
        _interchangeable(b, cavities, style, grip, width, height, depth, xi, yi, rng)
    c.screws_around(b, xi - 3, yi - 3, rng, int(rng.integers(5, 10)), 1.6, 4.0)
    return bld.finish("camera", outline, b, cavities, rng)


def _lens(
    b: c.Builder,
    x: float,
    y: float,
    diameter: float,
    length: float,
    n_glass: int,
    rng: np.random.Generator,
) -> float:
    """Barrel rings, focus motor and glass elements; returns the summed glass thickness (mm).

    The elements are merged by shape: the convex ones into one lens-shaped part whose centre
    thickness is their sum, the flat ones (plates, meniscus lenses) into one disc.
    """
    barrel = "aluminium" if rng.random() < 0.4 else "polycarbonate"
    b.extend([c.ring(x, y, diameter, diameter - 3.0, length, barrel)])
    b.extend([c.ring(x, y, diameter - 9.0, diameter - 11.5, length * 0.7, "polycarbonate")])
    b.extend([c.ring(x, y, diameter - 5.0, diameter - 14.0, 3.0, "steel")])  # focus motor stator
    convex = flat = 0.0
    d_convex = d_flat = 0.0
    for k in range(n_glass):
        d = (diameter - 8.0) * (1.0 - 0.5 * k / max(n_glass, 1)) * rng.uniform(0.9, 1.0)
        t = rng.uniform(2.5, 8.0) * d / diameter
        if rng.random() < 0.7:
            convex, d_convex = convex + t, max(d_convex, d)
        else:
            flat, d_flat = flat + t, max(d_flat, d)
    if convex:
        b.add(Ellipsoid(d_convex, d_convex, convex), "glass", x, y)
    if flat:
        b.add(Ellipse(d_flat, d_flat, flat), "glass", x, y)
    b.add(Ellipse(diameter * 0.5, diameter * 0.5, 0.4), "steel", x, y)  # aperture blades
    return convex + flat


def _interchangeable(
    b: c.Builder,
    cavities: list[Cavity],
    style: str,
    grip: float,
    width: float,
    height: float,
    depth: float,
    xi: float,
    yi: float,
    rng: np.random.Generator,
) -> None:
    """DSLR / mirrorless: mount, lens, sensor assembly, mirror and prism or EVF, grip battery."""
    mount_o = 62.0 if style == "dslr" else rng.uniform(54, 60)
    mx = -width / 2 + grip + (width - grip) * rng.uniform(0.42, 0.5)
    my = min(height * rng.uniform(0.04, 0.1), yi - mount_o / 2 - 1)
    lens_d = min(rng.uniform(60, 82), 2 * (yi - my) - 2, 2 * (xi - mx) - 2)
    lens_len = rng.uniform(45, 110)
    glass = _lens(b, mx, my, lens_d, lens_len, int(rng.integers(3, 7)), rng)
    b.extend([c.ring(mx, my, mount_o, mount_o - 12, 4.0, "steel")])  # stainless bayonet
    for k in range(4):
        a = np.pi / 4 + k * np.pi / 2
        c.screw(b, mx + 0.45 * mount_o * np.cos(a), my + 0.45 * mount_o * np.sin(a), 1.6, 3.0)
    # Sensor on its steel stabiliser plate (with its coil magnets), shutter blades in front,
    # and the main board behind.
    b.add(Box(55.0, 45.0, 1.2 + 0.4, 2.0), "steel", mx, my)  # plate and shutter merged
    b.add(Box(48.0, 38.0, 1.5, 1.0), "fr4", mx, my)  # sensor package
    b.add(Box(36.0, 24.0, 0.7), "silicon", mx, my)
    for sx in (-1, 1):
        b.add(Box(8.0, 14.0, 2.0, 0.5), "neodymium_magnet", mx + sx * 24.0, my)
    board_w = width - grip - 20
    c.circuit_board(b, mx + 2, 4.0, board_w, height * 0.7, 1.2, 0.12)
    c.processor(b, mx + board_w * 0.3, -height * 0.15, 15.0, 15.0, die=0.55)
    c.chip(b, mx - board_w * 0.3, height * 0.2, 12.0, 10.0, bga=False)
    b.add(Box(min(76.0, width - 40), 52.0, 2.0, 2.0), "lcd", mx + 4, 6.0)
    top = -yi + 2
    if style == "dslr":
        b.add(Box(36.0, 24.0, 1.8), "glass", mx, my)  # mirror at 45°
        prism_y = max(my - mount_o / 2 - 10, top + 14)
        b.add(Box(44.0, 28.0, 26.0, 3.0), "glass", mx, prism_y)
        fx = min(mx + 36, xi - 18)  # flash capacitor: aluminium can around paper-foil windings
        b.add(Cylinder(32.0, 13.0, wall=0.4), "aluminium", fx, top + 8)
        b.add(Cylinder(31.0, 12.0), "paper", fx, top + 8)
    else:
        b.add(Box(16.0, 12.0, 2.0), "lcd", mx - 30, top + 8)
        b.add(Box(20.0, 16.0, 8.0, 2.0), "glass", mx - 30, top + 8)
    # Battery standing in the grip, memory card slot beside it, tripod socket in the base.
    gx = -xi + grip / 2 + 1
    # The pack in its plastic case: the cell's copper foils are FOIL_SHARE of its volume.
    b.add(Box(21.0, 56.0, 2.0, 2.0), "polycarbonate", gx, 8.0)
    with b.slot("battery_cells") as s:  # the cell's contents; its aluminium can stays
        s.cores.append(part(Box(19.0, 52.0, 34.0 * (1 - c.FOIL_SHARE), 1.0), "li_ion_cell", gx, 8.0))
        s.extend(s.cores)
        s.add(Box(18.0, 51.0, 34.0 * c.FOIL_SHARE, 1.0), "copper", gx, 8.0)
        s.room = s.bounds(34.0)
    b.add(Frame(19.0, 52.0, 0.4, 34.0, 1.0), "aluminium", gx, 8.0)
    b.add(Box(24.0, 32.0, 0.6), "steel", gx + 4, -yi + 20)
    b.add(Cylinder(8.0, 8.0, wall=1.2), "steel", mx, yi - 5.0, 90.0)  # tripod socket
    b.add(Box(8.0, 5.0, 3.0), "steel", -xi + 3, top + 8)
    b.add(Box(8.0, 5.0, 3.0), "steel", xi - 3, top + 8)

    inner = 0.6 * (lens_d - 12)
    # Inside the barrel, between the glass groups (a hollowed-out lens).
    cavities.append(Cavity(mx, my, inner, inner, round(float(np.clip(lens_len - glass - 8, 3.0, 35.0)), 2)))
    box = 30.0 if style == "dslr" else 24.0
    cavities.append(Cavity(mx, my, box, box, round(depth * (0.4 if style == "dslr" else 0.25), 2)))
    side = bld.cavity_between(
        gx + 11.5, -yi + 38, mx - mount_o / 2 - 2, yi - 3, min(depth - 12, 30.0), min_side_mm=10
    )
    if side is not None:
        cavities.append(side)


def _compact(
    b: c.Builder,
    cavities: list[Cavity],
    width: float,
    height: float,
    depth: float,
    xi: float,
    yi: float,
    rng: np.random.Generator,
) -> None:
    """Compact camera: retracted zoom lens, small sensor, side battery, flash capacitor, LCD."""
    lens_d = min(rng.uniform(30, 44), 2 * yi - 6)
    lx = xi - lens_d / 2 - rng.uniform(4, 14)
    ly = rng.uniform(-0.1, 0.1) * height
    glass = _lens(b, lx, ly, lens_d, depth * 0.7, 3, rng)
    b.add(Box(14.0, 12.0, 1.2), "fr4", lx, ly)  # sensor package
    b.add(Box(8.0, 6.0, 0.6), "silicon", lx, ly)
    c.circuit_board(b, -width * 0.08, 0.0, width * 0.6, height * 0.72, 1.0, 0.1)
    c.processor(b, -width * 0.15, -height * 0.12, 12.0, 12.0, die=0.55)
    c.shield_can(b, -width * 0.15 + 16, -height * 0.12, 12.0, 10.0, 1.2)
    b.add(Box(width - 28, height - 12, 2.0, 2.0), "lcd", -2.0, 0.0)
    bx = -xi + 16
    with b.slot("battery_cells") as s:  # the cell's contents; the pack's case stays
        s.cores.append(part(Box(28.0, 40.0, 8.0, 1.0), "li_ion_cell", bx, 2.0))
        s.extend(s.cores)
        s.add(Box(27.0, 39.0, 8.0 * c.FOIL_SHARE, 1.0), "copper", bx, 2.0)
        s.room = s.bounds(8.0)
    b.add(Frame(29.0, 41.0, 0.4, 8.0, 1.0), "aluminium", bx, 2.0)
    b.add(Box(29.0, 41.0, 0.6, 1.0), "aluminium", bx, 2.0)  # the pack's case, top and bottom
    b.add(Cylinder(28.0, 10.0, wall=0.4), "aluminium", bx + 26, -yi + 7)
    b.add(Cylinder(27.0, 9.0), "paper", bx + 26, -yi + 7)
    b.add(Cylinder(6.0, 6.5, wall=1.0), "steel", 0.0, yi - 4.0, 90.0)
    cavities.append(
        Cavity(lx, ly, 0.6 * (lens_d - 12), 0.6 * (lens_d - 12), round(max(depth * 0.7 - glass - 4, 2.0), 2))
    )
    side = bld.cavity_between(
        bx + 16, -yi + 15, lx - lens_d / 2 - 3, yi - 3, min(depth - 10, 25.0), min_side_mm=8
    )
    if side is not None:
        cavities.append(side)
