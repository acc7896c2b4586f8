"""Building blocks shared by the item builders: shells, cells, screws, chips, ports (mm).

Each function returns parts in the parent item's frame. Sizes are those of real parts;
thickness is always the path length along the beam for an item lying flat on the belt.
Layers of one material that cover the same area are merged into one part (drawing cost
grows with the number and the area of parts, the physics only sees summed path lengths).
"""

from __future__ import annotations

import numpy as np

from screener_gui.synth.canvas import Part, part
from screener_gui.synth.item import Cavity
from screener_gui.synth.shapes import Box, Cylinder, Ellipse, Frame, Textured

# Mirror x in the item frame and v in the part frame: an exact mirror image for shapes that are
# symmetric about their u axis (all the shapes used here), with a proper rotation left over.
_MIRROR_X = np.diag([-1.0, 1.0, 1.0])
_MIRROR_V = np.diag([1.0, -1.0, 1.0])

CELL_18650 = (65.0, 18.4)
"""Length and diameter (mm) of an 18650 lithium-ion cell."""
CELL_21700 = (70.0, 21.2)

# Longest piece of a strip or rod (mm). The canvas evaluates each part over its axis-aligned
# bounding window, which for a long thin part on a rotated item is mostly empty; each extra
# piece costs a fixed overhead instead. ~140 mm balances the two for items up to 420 mm.
_MAX_STRIP_MM = 140.0


def mirror_x(parts: list[Part] | tuple[Part, ...]) -> list[Part]:
    """The parts reflected about the item's y axis (left becomes right)."""
    return [Part(p.shape, p.material, _MIRROR_X @ p.transform @ _MIRROR_V) for p in parts]


def mirror_cavity(cavity: Cavity) -> Cavity:
    """A cavity reflected about the item's y axis."""
    return Cavity(
        -cavity.x_mm, cavity.y_mm, cavity.width_mm, cavity.height_mm, cavity.depth_mm, -cavity.angle_deg
    )


def cavity_between(
    x0: float, y0: float, x1: float, y1: float, depth_mm: float, *, min_side_mm: float = 12.0
) -> Cavity | None:
    """An axis-aligned cavity spanning the rectangle (x0, y0)–(x1, y1), or None when too thin."""
    w, h = abs(x1 - x0), abs(y1 - y0)
    if min(w, h) < min_side_mm or depth_mm < 1.0:
        return None
    return Cavity((x0 + x1) / 2, (y0 + y1) / 2, w, h, depth_mm)


def strip(
    x0: float, y0: float, x1: float, y1: float, width: float, thickness: float, material: str
) -> list[Part]:
    """A straight slab strip from (x0, y0) to (x1, y1), ``width`` across, split into short pieces.

    Pieces abut exactly, and their anti-aliased ends add up to full coverage at the joints.
    """
    length = float(np.hypot(x1 - x0, y1 - y0))
    if length <= 0:
        return []
    n = max(int(np.ceil(length / _MAX_STRIP_MM)), 1)
    angle = float(np.rad2deg(np.arctan2(y1 - y0, x1 - x0)))
    shape = Box(length / n, width, thickness)
    return [
        part(shape, material, x0 + (x1 - x0) * (k + 0.5) / n, y0 + (y1 - y0) * (k + 0.5) / n, angle)
        for k in range(n)
    ]


def shell_walls(
    width: float, height: float, radius: float, wall_mm: float, depth_mm: float, material: str
) -> list[Part]:
    """Side walls of a rounded-rectangle shell, seen edge-on (dark rim of every casing).

    Straight strips (split like :func:`strip`) plus chord strips across the rounded corners;
    cheaper to draw than one :class:`Frame`, whose window covers the whole item. Every strip's
    outer edge lies on or inside the outline, so walls never leak out of the instance mask.
    """
    r = min(radius, width / 2 - wall_mm, height / 2 - wall_mm)
    r = max(r, 0.0)
    hw, hh = width / 2, height / 2
    parts = []
    for sy in (-1, 1):
        parts += strip(
            -(hw - r), sy * (hh - wall_mm / 2), hw - r, sy * (hh - wall_mm / 2), wall_mm, depth_mm, material
        )
    for sx in (-1, 1):
        parts += strip(
            sx * (hw - wall_mm / 2), -(hh - r), sx * (hw - wall_mm / 2), hh - r, wall_mm, depth_mm, material
        )
    if r > 2 * wall_mm:
        # Chords of the rounded corners, pushed inwards so that their outer corners sit on the arc.
        segments = 1 if r < 9.0 else 2
        half = np.pi / 4 / segments
        chord = 2 * r * np.sin(half)
        inset = r * np.cos(half) - 0.6 * wall_mm
        for sx in (-1, 1):
            for sy in (-1, 1):
                cx, cy = sx * (hw - r), sy * (hh - r)
                middle = np.arctan2(sy, sx)
                for i in range(segments):
                    angle = middle - np.pi / 4 + (2 * i + 1) * half
                    x = cx + inset * np.cos(angle)
                    y = cy + inset * np.sin(angle)
                    chord_strip = Box(chord, wall_mm * 1.2, depth_mm)
                    parts.append(part(chord_strip, material, x, y, np.rad2deg(angle) + 90))
    return parts


def cylindrical_cell(
    x: float, y: float, angle_deg: float, size: tuple[float, float] = CELL_18650, *, cap: bool = True
) -> list[Part]:
    """A cylindrical Li-ion cell lying on the belt: jelly roll in a nickel-plated steel can.

    The roll has a hollow core (the light line along real cells); ``cap`` adds the positive
    cap assembly, a dense bar across one end.
    """
    length, diameter = size
    can = 0.25
    roll_d = diameter - 2 * can - 0.2
    parts = [
        part(Cylinder(length - 1.5, roll_d, wall=roll_d / 2 - 1.6), "li_ion_cell", x, y, angle_deg),
        part(Cylinder(length, diameter, wall=can), "steel", x, y, angle_deg),
    ]
    if cap:
        a = np.deg2rad(angle_deg)
        off = length / 2 - 1.5
        parts.append(
            part(
                Cylinder(2.0, diameter * 0.8, wall=0.8),
                "steel",
                x + off * np.cos(a),
                y + off * np.sin(a),
                angle_deg,
            )
        )
    return parts


def pouch_pack(
    x: float, y: float, width: float, height: float, thickness: float, cells: int = 1, gap: float = 3.0
) -> list[Part]:
    """Flat lithium-polymer pouch cells side by side along x, filling ``width`` x ``height``.

    The electrode stacks' copper foils (about 3.5 % of the thickness: ~25 layers of 8 µm per
    6 mm) are what makes real cells look dense; the ``li_ion_cell`` material leaves them out,
    so they are added as one copper sheet over the pack (one part instead of one per cell).
    """
    cell_w = (width - gap * (cells - 1)) / cells
    parts = [
        part(
            Box(cell_w, height, thickness, 1.5),
            "li_ion_cell",
            x - width / 2 + cell_w / 2 + k * (cell_w + gap),
            y,
        )
        for k in range(cells)
    ]
    parts.append(part(Box(width - 2.0, height - 2.0, 0.035 * thickness, 1.5), "copper", x, y))
    return parts


def screw(x: float, y: float, diameter: float = 2.0, length: float = 4.0) -> Part:
    """A screw standing along the beam: a dense dot (shaft and head merged into one disc)."""
    return part(Ellipse(diameter * 1.6, diameter * 1.6, length * 0.55 + 1.0), "steel", x, y)


def screws_around(
    half_w: float, half_h: float, rng: np.random.Generator, count: int, diameter: float, length: float
) -> list[Part]:
    """``count`` screws spread along the inside of a rectangle's edge (mm from the centre)."""
    parts = []
    perimeter = 4 * (half_w + half_h)
    for s in (np.arange(count) + rng.uniform(0, 1)) / count * perimeter:
        s = float(s)
        if s < 2 * half_w:
            x, y = -half_w + s, -half_h
        elif s < 2 * half_w + 2 * half_h:
            x, y = half_w, -half_h + (s - 2 * half_w)
        elif s < 4 * half_w + 2 * half_h:
            x, y = half_w - (s - 2 * half_w - 2 * half_h), half_h
        else:
            x, y = -half_w, half_h - (s - 4 * half_w - 2 * half_h)
        parts.append(screw(x, y, diameter, length))
    return parts


def circuit_board(
    x: float, y: float, width: float, height: float, thickness: float = 1.2, copper_mm: float = 0.12
) -> list[Part]:
    """A printed circuit board: FR4 with its copper layers merged into one sheet."""
    return [
        part(Box(width, height, thickness, 2.0), "fr4", x, y),
        part(Box(width - 1.0, height - 1.0, copper_mm, 1.5), "copper", x, y),
    ]


def chip(
    x: float, y: float, width: float, height: float, *, die: float = 0.5, bga: bool = True, angle: float = 0.0
) -> list[Part]:
    """An IC package: moulding (FR4-like epoxy), a silicon die and, for BGAs, the solder balls.

    ``die`` is the die's share of the package side. The ball grid is merged into one thin tin
    sheet: a part per ball would cost far more to draw than it adds to the image.
    """
    if max(width, height) < 8.0:  # small packages: the die and leadframe hardly show
        return [part(Box(width, height, 1.0, 0.3), "silicon", x, y, angle)]
    parts = [
        part(Box(width, height, 1.0, 0.3), "fr4", x, y, angle),
        part(Box(width * die, height * die, 0.5), "silicon", x, y, angle),
    ]
    if bga:
        parts.append(part(Box(width - 1.0, height - 1.0, 0.15), "tin", x, y, angle))
    return parts


def component_strip(
    x: float, y: float, width: float, height: float, seed: int, material: str = "ceramic", angle: float = 0.0
) -> Part:
    """A row of small passives (capacitors, resistors): a grainy thin strip."""
    return part(Textured(Box(width, height, 0.5), 0.9, 1.6, seed), material, x, y, angle)


def inductor(x: float, y: float, side: float = 7.0, height: float = 4.0) -> Part:
    """A power inductor: ferrite cube around a copper coil, a dark square on a board."""
    return part(Box(side, side, height, 0.5), "ferrite", x, y)


def port(x: float, y: float, angle_deg: float, kind: str) -> list[Part]:
    """A connector at a side wall: ``usb_a``, ``usb_c``, ``hdmi``, ``micro_usb`` or ``jack``.

    In the part frame u runs into the item (the connector's depth), v across its opening.
    Metal shells are seen as two sheets (top and bottom) plus their side walls edge-on.
    """
    dims = {  # width across the opening, depth into the item, shell height (mm)
        "usb_a": (12.5, 14.0, 4.5),
        "usb_c": (8.9, 7.5, 3.2),
        "hdmi": (15.0, 11.0, 5.5),
        "micro_usb": (7.5, 5.5, 2.6),
    }
    if kind == "jack":
        return [
            part(Box(12.0, 7.0, 6.0, 1.0), "abs", x, y, angle_deg),
            part(Box(6.0, 1.2, 4.0), "brass", x, y, angle_deg),
        ]
    w, d, h = dims[kind]
    # The plastic tongue inside hardly shows and is left out.
    return [
        part(Frame(d, w, 0.35, h, 0.6), "steel", x, y, angle_deg),
        part(Box(d - 0.7, w - 0.7, 0.7), "steel", x, y, angle_deg),
    ]


def speaker(x: float, y: float, width: float, height: float, depth: float, magnet: str) -> list[Part]:
    """A micro speaker: plastic enclosure and its magnet (the thin steel cup merged into it)."""
    m = min(width, height) * 0.45
    return [
        part(Box(width, height, min(depth, 3.0), 2.0), "abs", x, y),
        part(Box(m, m, min(depth * 0.4, 3.0) + 0.5, 0.5), magnet, x, y),
    ]


def fan(x: float, y: float, diameter: float, depth: float, rng: np.random.Generator) -> list[Part]:
    """A blower fan: housing plates, plastic impeller, motor (rotor cup and magnet merged as steel)."""
    box = diameter + 6.0
    housing = "aluminium" if rng.random() < 0.5 else "abs"
    return [
        part(Box(box, box, 0.6 if housing == "aluminium" else 1.6, 6.0), housing, x, y),
        part(Ellipse(diameter, diameter, depth * 0.25), "polyester", x, y),
        part(Ellipse(diameter * 0.38, diameter * 0.38, 2.4), "steel", x, y),
    ]


def rod(
    x0: float, y0: float, x1: float, y1: float, diameter: float, material: str, wall: float = 0.0
) -> list[Part]:
    """A straight cylinder (pipe, cable, rail) from (x0, y0) to (x1, y1), in pieces like :func:`strip`."""
    length = float(np.hypot(x1 - x0, y1 - y0))
    n = max(int(np.ceil(length / _MAX_STRIP_MM)), 1)
    angle = float(np.rad2deg(np.arctan2(y1 - y0, x1 - x0)))
    shape = Cylinder(length / n, diameter, wall=wall)
    return [
        part(shape, material, x0 + (x1 - x0) * (k + 0.5) / n, y0 + (y1 - y0) * (k + 0.5) / n, angle)
        for k in range(n)
    ]


def heat_pipe(x0: float, y0: float, x1: float, y1: float, diameter: float = 6.0) -> list[Part]:
    """A copper heat pipe: hollow, 0.45 mm wall (flattened pipes hold the same copper)."""
    return rod(x0, y0, x1, y1, diameter, "copper", wall=0.45)


def magnet_bar(x: float, y: float, width: float, height: float, thickness: float, angle: float = 0.0) -> Part:
    """A neodymium magnet bar (cover magnets, speaker and camera motors)."""
    return part(Box(width, height, thickness, 0.3), "neodymium_magnet", x, y, angle)


def ring(x: float, y: float, outer: float, inner: float, depth: float, material: str) -> Part:
    """An annulus seen face-on (a lens barrel, a mount, a coil): a fully rounded frame."""
    return part(Frame(outer, outer, (outer - inner) / 2, depth, outer / 2), material, x, y)
