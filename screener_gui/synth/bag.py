"""Bags that hold a scan's contents: suitcases, trolleys, backpacks, totes and airport trays.

A bag is built in its own frame (u along its length, v across it, origin at the centre, mm) and
then posed in the scan with a margin of bare belt around it. Seen from above, a box-shaped shell
is its top and bottom panels (one plate of twice the wall) plus its side walls, which the beam
crosses edge-on: a thin rim of large path length.

Long thin parts (walls, zips, tubes) are cut into pieces laid end to end. The canvas evaluates a
part over its whole bounding box, which for a long rotated strip is mostly empty; pieces keep
the drawing time of a bag to a few milliseconds.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from screener_gui.synth.canvas import Part, footprint_box, part, pose
from screener_gui.synth.shapes import Box, Cylinder, Ellipse, Frame, Shape, Textured

BAG_KINDS: tuple[str, ...] = ("suitcase", "trolley", "backpack", "tote", "tray")
_KIND_SHARES = (0.25, 0.32, 0.2, 0.13, 0.1)

# Footprint ranges (length, width) in mm before fitting into the scan.
_SIZES_MM: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "suitcase": ((480, 760), (340, 500)),
    "trolley": ((500, 760), (350, 500)),
    "backpack": ((400, 540), (280, 370)),
    "tote": ((360, 520), (280, 400)),
    "tray": ((560, 660), (400, 460)),
}

# Bags lie along the belt or across it, either way round, turned by up to 15 degrees more.
_HEADINGS_DEG = (0.0, 90.0, 180.0, 270.0)
_HEADING_SHARES = (0.4, 0.1, 0.4, 0.1)
_MIN_WIDTH_MM = 100.0

Point = tuple[float, float]
Chord = tuple[Point, Point]


@dataclass(frozen=True)
class Bag:
    """A bag posed in the scan frame (mm, x along image columns, y along rows).

    Attributes:
        kind: One of :data:`BAG_KINDS`; "tray" is an airport tray with no bag.
        parts: Shell, walls, zips, frame, handles, wheels, ... in the scan frame.
        interior: ``(x_mm, y_mm, width_mm, height_mm, angle_deg)``: centre, size and rotation of
            the free inner rectangle where items and clutter go (width along the rotated x axis).
    """

    kind: str
    parts: tuple[Part, ...]
    interior: tuple[float, float, float, float, float]


def build_bag(rng: np.random.Generator, width_mm: float, height_mm: float, *, kind: str | None = None) -> Bag:
    """A random bag lying on the belt inside a scan of ``width_mm`` x ``height_mm``.

    Args:
        rng: Source of every random choice (same state, same bag).
        width_mm: Scan extent along x (image columns), mm.
        height_mm: Scan extent along y (image rows), mm.
        kind: Force one of :data:`BAG_KINDS`; random (weighted like airport traffic) if None.

    Returns:
        The bag, with at least 15 mm of bare belt between it and every scan border.

    Raises:
        ValueError: For an unknown kind or a scan too small to hold a bag.
    """
    if kind is None:
        kind = str(rng.choice(BAG_KINDS, p=_KIND_SHARES))
    if kind not in _BUILDERS:
        raise ValueError(f"unknown bag kind {kind!r}; known: {', '.join(BAG_KINDS)}")
    margin = rng.uniform(15.0, 45.0)
    angle = float(rng.choice(_HEADINGS_DEG, p=_HEADING_SHARES) + rng.uniform(-15, 15))
    (l_lo, l_hi), (w_lo, w_hi) = _SIZES_MM[kind]
    length, width = rng.uniform(l_lo, l_hi), rng.uniform(w_lo, w_hi)
    detail_seed = int(rng.integers(2**63))
    room = np.array([width_mm, height_mm]) - 2 * margin
    piece = _piece_mm(angle)
    fits = False
    while not fits and width >= _MIN_WIDTH_MM and np.all(room > 0):
        # The same detail seed each time: only the size changes while the bag is fitted.
        parts, interior = _BUILDERS[kind](np.random.default_rng(detail_seed), length, width, piece)
        x0, y0, x1, y1 = footprint_box(parts, pose(0.0, 0.0, angle))
        low, high = np.array([x0, y0]), np.array([x1, y1])
        fits = bool(np.all(high - low <= room))
        # Handles and wheels do not shrink with the body, hence a few rounds.
        shrink = 0.99 * float(np.min(room / (high - low)))
        length, width = length * shrink, width * shrink
    if not fits:
        raise ValueError(f"a {kind} does not fit a {width_mm} x {height_mm} mm scan")
    x = rng.uniform(margin - low[0], width_mm - margin - high[0])
    y = rng.uniform(margin - low[1], height_mm - margin - high[1])
    placement = pose(x, y, angle)
    u, v, w, h = interior
    cx, cy, _ = placement @ np.array([u, v, 1.0])
    return Bag(
        kind,
        tuple(p.moved(placement) for p in parts),
        (float(cx), float(cy), float(w), float(h), angle),
    )


# --- geometry helpers ---------------------------------------------------------------------------


def strip_parts(
    make: Callable[[float], Shape], material: str, start: Point, end: Point, piece_mm: float = 120.0
) -> list[Part]:
    """Pieces of shape ``make(length_mm)`` laid end to end from ``start`` to ``end`` (mm).

    ``make`` builds a shape of the given length along its u axis (a :class:`Box` or a
    :class:`Cylinder`); abutting pieces add up to one seamless strip.
    """
    dx, dy = end[0] - start[0], end[1] - start[1]
    length = math.hypot(dx, dy)
    if length < 1e-6:
        return []
    n = max(1, math.ceil(length / piece_mm))
    angle = math.degrees(math.atan2(dy, dx))
    shape = make(length / n)
    return [
        part(shape, material, start[0] + dx * (i + 0.5) / n, start[1] + dy * (i + 0.5) / n, angle)
        for i in range(n)
    ]


def _piece_mm(angle_deg: float) -> float:
    """Piece length (mm) that draws a thin strip fastest at this angle.

    Cost per piece is a fixed overhead plus its bounding box, which grows with length times
    ``sin(2 angle)``; the optimum of the two, measured, is about 75 mm / sqrt(sin 2a / 2).
    """
    s = abs(math.sin(math.radians(2 * angle_deg))) / 2
    return float(np.clip(75.0 / math.sqrt(max(s, 1e-4)), 100.0, 800.0))


def _outline(
    length: float, width: float, radius: float, inset: float, wall: float = 0.0, tolerance: float = 2.0
) -> list[Chord]:
    """Chords along a rounded rectangle shrunk by ``inset`` mm, counter-clockwise from +u.

    Corners are polygons circumscribed about their arcs (so a wall along them never lies
    inside a plate of the same outline) with enough sides to stay within ``tolerance`` mm of
    the arc, more for wider walls. Chords are lengthened a little at each joint so that a wall
    of ``wall`` mm shows neither gaps on the outside nor overlaps on the inside.
    """
    hl, hw = length / 2 - inset, width / 2 - inset
    # A wall wider than its corner's diameter would fold over itself at the inside.
    r = min(max(radius - inset, wall / 2), hl, hw)
    half_step = math.degrees(math.acos(1 / (1 + tolerance / r))) if r > 0 else 45.0
    sides = int(np.clip(max(math.ceil(45 / half_step), math.ceil(wall / 8)), 2, 6))
    step = math.radians(90 / sides)
    points: list[Point] = []
    for sx, sy, start in ((1, 1, 0), (-1, 1, 90), (-1, -1, 180), (1, -1, 270)):
        cx, cy = sx * (hl - r), sy * (hw - r)
        reach = r / math.cos(step / 2)
        for k in range(sides):
            a = math.radians(start) + (k + 0.5) * step
            points.append((cx + reach * math.cos(a), cy + reach * math.sin(a)))
    extend = wall / 4 * math.tan(step / 2)
    chords: list[Chord] = []
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
        length_c = math.dist((x0, y0), (x1, y1))
        if length_c > 1e-3:
            ux, uy = (x1 - x0) / length_c, (y1 - y0) / length_c
            chords.append(((x0 - extend * ux, y0 - extend * uy), (x1 + extend * ux, y1 + extend * uy)))
    return chords


def _along(chords: list[Chord], make: Callable[[float], Shape], material: str, piece_mm: float) -> list[Part]:
    """Strips of ``make`` along every chord."""
    return [p for start, end in chords for p in strip_parts(make, material, start, end, piece_mm)]


def _corner_inset(radius: float) -> float:
    """Inset (mm) that keeps a rectangle's corners inside a rounded one of this corner radius."""
    return (1 - math.sqrt(0.5)) * radius + 8.0


def _studs(points: list[Point], diameter: float, thickness: float, material: str) -> list[Part]:
    """Rivets, screws or feet: small discs at the given points."""
    disc = Ellipse(diameter, diameter, thickness)
    return [part(disc, material, x, y) for x, y in points]


def _zip_teeth(rng: np.random.Generator) -> tuple[str, float, float]:
    """Material, width and mean path length (mm) of a row of zip teeth (metal or moulded/coil)."""
    material = str(rng.choice(["steel", "brass", "pom", "polyester"], p=[0.35, 0.25, 0.2, 0.2]))
    return material, rng.uniform(4, 7), rng.uniform(1.5, 3.0)


def _zip(
    rng: np.random.Generator, start: Point, end: Point, piece_mm: float, *, textured: bool = False
) -> list[Part]:
    """A zip: a row of teeth from ``start`` to ``end`` and its slider somewhere along it."""
    material, width, height = _zip_teeth(rng)
    if textured:
        seed = int(rng.integers(2**31))
        parts = strip_parts(
            lambda n: Textured(Box(n, width, height), 0.8, 4.0, seed), material, start, end, piece_mm
        )
    else:
        parts = strip_parts(lambda n: Box(n, width, height), material, start, end, piece_mm)
    t = rng.uniform(0.1, 0.9)
    angle = math.degrees(math.atan2(end[1] - start[1], end[0] - start[0]))
    slider_x, slider_y = start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1])
    parts.append(part(Box(rng.uniform(25, 35), 11, 5, 2), "zinc", slider_x, slider_y, angle))
    return parts


def _rim_zip(rng: np.random.Generator, chords: list[Chord], piece_mm: float) -> list[Part]:
    """A zip running round the given chords (the seam of a shell)."""
    material, width, height = _zip_teeth(rng)
    parts = _along(chords, lambda n: Box(n, width, height), material, piece_mm)
    for _ in range(int(rng.integers(1, 3))):
        (x0, y0), (x1, y1) = chords[int(rng.integers(len(chords)))]
        angle = math.degrees(math.atan2(y1 - y0, x1 - x0))
        parts.append(part(Box(30, 12, 5, 2), "zinc", (x0 + x1) / 2, (y0 + y1) / 2, angle))
    return parts


def _hardware(rng: np.random.Generator, length: float, width: float, count: int) -> list[Part]:
    """Small metal fittings scattered near the walls: rivets, D-rings, buckles, cord stops."""
    parts = []
    for _ in range(count):
        along, inset, side = rng.uniform(-0.45, 0.45), rng.uniform(8, 40), float(rng.choice([-1.0, 1.0]))
        if rng.random() < 0.5:
            x, y = along * length, side * (width / 2 - inset)
        else:
            x, y = side * (length / 2 - inset), along * width
        kind = rng.random()
        if kind < 0.5:
            parts.append(part(Ellipse(7, 7, rng.uniform(3, 6)), "steel", x, y))
        elif kind < 0.8:
            size = rng.uniform(20, 35)
            parts.append(part(Frame(size, 0.7 * size, 3, 3, 0.3 * size), "steel", x, y, rng.uniform(0, 180)))
        else:
            parts.append(
                part(Box(rng.uniform(25, 45), rng.uniform(15, 25), 4, 3), "zinc", x, y, rng.uniform(0, 180))
            )
    return parts


def _handle(rng: np.random.Generator, x: float, y: float, angle: float, length: float) -> list[Part]:
    """A carry handle: a moulded grip with a steel strap inside and a screw at each end."""
    grip = str(rng.choice(["abs", "rubber", "leather", "polyester"]))
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    ends = [(x + d * c, y + d * s) for d in (-length / 2 + 8, length / 2 - 8)]
    parts = [
        part(Box(length, 28, rng.uniform(14, 24), 12), grip, x, y, angle),
        *_studs(ends, 8, 6, "steel"),
    ]
    if rng.random() < 0.6:
        parts.append(part(Box(length - 20, 10, 1.2), "steel", x, y, angle))
    return parts


# --- bag builders (own frame: u along the length, v across) --------------------------------------

Built = tuple[list[Part], tuple[float, float, float, float]]


def _shell(rng: np.random.Generator, length: float, width: float, piece: float, style: str) -> Built:
    """Panels, side walls, seam zip and fittings of a box-shaped suitcase."""
    if style == "hard":
        material = str(rng.choice(["polycarbonate", "abs"]))
        # Curved walls: the beam grazes them over a chord of 50–120 mm, not their full height.
        wall, depth, radius = rng.uniform(2, 4), rng.uniform(50, 120), rng.uniform(35, 80)
        plate = 2 * wall
    elif style == "leather":
        material = "leather"
        wall, depth, radius = rng.uniform(1.5, 3), rng.uniform(40, 110), rng.uniform(15, 45)
        plate = 2 * wall + rng.uniform(1, 3)  # with board stiffeners
    else:
        material = str(rng.choice(["polyester", "nylon", "pvc"], p=[0.45, 0.35, 0.2]))  # PVC: coated fabric
        wall, depth, radius = rng.uniform(1.5, 2.5), rng.uniform(30, 90), rng.uniform(30, 70)
        plate = 2 * wall + rng.uniform(0.5, 2)  # fabric, lining and padding
    parts = [part(Box(length, width, plate, radius), material)]
    parts += _along(
        _outline(length, width, radius, wall / 2, wall), lambda n: Box(n, wall, depth), material, piece
    )
    seam = _outline(length, width, radius, wall + 3, tolerance=4.0)
    parts += _rim_zip(rng, seam, piece)
    if style == "hard":
        for v in rng.uniform(-0.4, 0.4, int(rng.integers(0, 3))) * width:
            parts += strip_parts(
                lambda n: Box(n, 5, 3), material, (-0.42 * length, v), (0.42 * length, v), piece
            )
    elif style == "soft" and rng.random() < 0.5:
        # Wire frame that keeps a soft case in shape.
        wire = _outline(length, width, radius, wall + 8, tolerance=4.0)
        parts += _along(wire, lambda n: Cylinder(n, 3.0), "steel", piece)
    if rng.random() < (0.6 if style != "hard" else 0.35):
        # An outer pocket (soft) or the inner divider panel (hard) with its zip.
        v = rng.uniform(-0.25, 0.25) * width
        parts += _zip(rng, (-0.38 * length, v), (0.38 * length, v), piece, textured=True)
    if rng.random() < 0.5:
        # Packing straps across the inside, with a plastic buckle each.
        strap = str(rng.choice(["polyester", "nylon"]))
        for u in (-0.25 * length, 0.25 * length):
            start, end = (u, -width / 2 + 20), (u, width / 2 - 20)
            parts += strip_parts(lambda n: Box(n, 25, 1.5), strap, start, end, piece)
            parts.append(part(Box(45, 38, 6, 4), "pom", u, rng.uniform(-0.2, 0.2) * width))
    if style == "leather":
        clasps = [(length / 2 - 12, s * width * 0.3) for s in (-1, 1)]
        parts += [part(Box(22, 40, 6, 3), "brass", x, y) for x, y in clasps]
    parts += _handle(rng, 0.0, width / 2 - 10, 0.0, rng.uniform(120, 170))
    if rng.random() < 0.5:
        parts += _handle(rng, -length / 2 + 10, 0.0, 90.0, rng.uniform(110, 150))
    if rng.random() < 0.4:
        # A combination lock: zinc body, steel shackle and dials.
        lx, ly = rng.uniform(-0.2, 0.2) * length, width / 2 - 30
        parts += [
            part(Box(60, 30, 12, 4), "abs", lx, ly),
            part(Box(40, 18, 6, 3), "zinc", lx, ly),
            part(Box(30, 4, 4), "steel", lx, ly - 10),
        ]
    parts += _hardware(rng, length, width, int(rng.integers(2, 7)))
    inset = max(wall + rng.uniform(10, 20), _corner_inset(radius))
    return parts, (0.0, 0.0, length - 2 * inset, width - 2 * inset)


def _suitcase(rng: np.random.Generator, length: float, width: float, piece: float) -> Built:
    style = str(rng.choice(["hard", "soft", "leather"], p=[0.45, 0.4, 0.15]))
    return _shell(rng, length, width, piece, style)


def _trolley(rng: np.random.Generator, length: float, width: float, piece: float) -> Built:
    """A wheeled suitcase: telescopic handle tubes along its length, wheels at the far end."""
    parts, interior = _shell(rng, length, width, piece, str(rng.choice(["hard", "soft"])))
    spread = rng.uniform(0.18, 0.3) * width
    tube_d, tube_len = rng.uniform(22, 32), rng.uniform(0.55, 0.8) * length
    top, bottom = length / 2 - 20, length / 2 - 20 - tube_len
    for v in (-spread, spread):
        parts += strip_parts(lambda n: Cylinder(n, tube_d, 1.5), "aluminium", (bottom, v), (top, v), piece)
        parts += strip_parts(
            lambda n: Cylinder(n, tube_d - 6, 1.2), "aluminium", (bottom + 40, v), (top - 10, v), piece
        )
        parts += _studs([(bottom + 15, v), (top - 25, v)], 7, 5, "steel")
    grip = part(Box(45, 2 * spread + tube_d + 30, 28, 14), str(rng.choice(["abs", "rubber"])), top - 5, 0.0)
    parts += [grip, part(Box(12, 2 * spread, 3), "aluminium", top - 5, 0.0)]
    parts.append(part(Box(60, 2 * spread + tube_d + 40, 4, 10), "abs", bottom - 20, 0.0))
    spinner = rng.random() < 0.6
    diameter, tyre = rng.uniform(45, 75), rng.uniform(18, 35)
    ends = (-1, 1) if spinner else (-1,)
    for su in ends:
        for sv in (-1, 1):
            parts += _wheel(rng, su * (length / 2 - diameter * 0.15), sv * (width / 2 - tyre), diameter, tyre)
    return parts, interior


def _wheel(rng: np.random.Generator, x: float, y: float, diameter: float, tyre: float) -> list[Part]:
    """A wheel seen from above: rubber tyre (axle along v), steel axle, plastic housing, screw."""
    housing_u = x - math.copysign(diameter * 0.2, x)
    return [
        part(Cylinder(tyre, diameter), "rubber", x, y, 90.0),
        part(Cylinder(tyre + 18, rng.uniform(6, 9)), "steel", x, y, 90.0),
        part(Box(diameter * 0.9, tyre + 26, 25, 8), "abs", housing_u, y),
        part(Ellipse(7, 7, 5), "steel", housing_u, y - tyre / 2 - 6),
    ]


def _backpack(rng: np.random.Generator, length: float, width: float, piece: float) -> Built:
    """A backpack lying on its back: body, shoulder straps, pockets, zips round the top."""
    material = str(rng.choice(["polyester", "nylon", "pvc"], p=[0.45, 0.35, 0.2]))
    radius = rng.uniform(60, 0.4 * width)
    depth = rng.uniform(30, 80)
    # Fabric front and back with the back panel's foam padding.
    parts = [part(Box(length, width, rng.uniform(3.5, 6.5), radius), material)]
    parts += _along(_outline(length, width, radius, 1), lambda n: Box(n, 2, depth), material, piece)
    top = _outline(length, width, radius, 6, tolerance=4.0)
    top = [c for c in top if c[0][0] + c[1][0] > -0.2 * length]
    parts += _rim_zip(rng, top, piece)
    # Front pocket at the bottom end with a straight zip across it.
    pocket_len = rng.uniform(0.3, 0.45) * length
    pu = -length / 2 + pocket_len / 2 + 15
    parts.append(part(Box(pocket_len, 0.8 * width, 2.0, 30), material, pu, 0.0))
    zip_u = pu + pocket_len / 2 - 15
    parts += _zip(rng, (zip_u, -0.35 * width), (zip_u, 0.35 * width), piece, textured=True)
    strap = str(rng.choice(["polyester", "nylon"]))
    for sv in (-1, 1):
        v = sv * rng.uniform(0.18, 0.26) * width
        parts.append(part(Box(0.7 * length, 60, rng.uniform(4, 8), 25), strap, 0.05 * length, v))
        parts.append(part(Box(40, 32, 5, 4), "pom", -0.3 * length, v))
    if rng.random() < 0.3:
        # Aluminium stays in the back panel.
        for v in (-0.15 * width, 0.15 * width):
            parts += strip_parts(
                lambda n: Box(n, 10, 2), "aluminium", (-0.35 * length, v), (0.35 * length, v), piece
            )
    parts.append(part(Box(25, 80, 4, 10), strap, length / 2 - 30, 0.0))
    parts += _hardware(rng, length, width, int(rng.integers(3, 9)))
    inset = max(25.0, _corner_inset(radius))
    return parts, (0.0, 0.0, length - 2 * inset, width - 2 * inset)


def _tote(rng: np.random.Generator, length: float, width: float, piece: float) -> Built:
    """An open tote or shoulder bag: fabric or leather body, strap handles riveted on."""
    material = str(rng.choice(["cotton", "leather", "polyester", "nylon"], p=[0.3, 0.3, 0.25, 0.15]))
    radius = rng.uniform(10, 40)
    parts = [part(Box(length, width, rng.uniform(1.5, 3.5), radius), material)]
    depth = rng.uniform(20, 60)
    parts += _along(_outline(length, width, radius, 1), lambda n: Box(n, 2, depth), material, piece)
    strap = material if rng.random() < 0.7 else "leather"
    rivet = str(rng.choice(["brass", "steel"]))
    for sv in (-1, 1):
        # A U-shaped handle lying flat over the bag, riveted near the top edge.
        v0, v1 = sv * 0.15 * width, sv * 0.35 * width
        reach = rng.uniform(0.25, 0.4) * length
        corners = [(length / 2 - 20, v0), (length / 2 - 20 - reach, v0 + sv * 10)]
        corners += [(length / 2 - 20 - reach, v1 - sv * 10), (length / 2 - 20, v1)]
        for a, b in itertools.pairwise(corners):
            parts += strip_parts(lambda n: Box(n + 10, 25, 3, 4), strap, a, b, piece)
        parts += _studs([corners[0], corners[-1]], 9, 3, rivet)
    if rng.random() < 0.5:
        parts += [
            part(Ellipse(14, 14, 3), "neodymium_magnet", length / 2 - 25, 0.0),
            part(Ellipse(20, 20, 0.8), "steel", length / 2 - 25, 0.0),
        ]
    else:
        parts += _zip(rng, (length / 2 - 12, -0.4 * width), (length / 2 - 12, 0.4 * width), piece)
    if rng.random() < 0.4:
        feet = [(su * (length / 2 - 25), sv * (width / 2 - 25)) for su in (-1, 1) for sv in (-1, 1)]
        parts += _studs(feet, 14, 4, "brass")
    parts += _hardware(rng, length, width, int(rng.integers(0, 5)))
    inset = max(20.0, _corner_inset(radius))
    return parts, (-10.0, 0.0, length - 2 * inset - 20, width - 2 * inset)


def _tray(rng: np.random.Generator, length: float, width: float, piece: float) -> Built:
    """An airport tray: ABS bottom, sloping side walls and a thick rolled lip (no zips)."""
    slope = rng.uniform(25, 40)  # width of the sloping wall seen from above
    radius = slope + rng.uniform(10, 30)
    parts = [part(Box(length, width, rng.uniform(3, 5), radius), "abs")]
    # The beam crosses a sloping wall obliquely: about three times its 3 mm.
    wall_path = rng.uniform(7, 12)
    parts += _along(
        _outline(length, width, radius, slope / 2 + 6, slope),
        lambda n: Box(n, slope, wall_path),
        "abs",
        piece,
    )
    parts += _along(_outline(length, width, radius, 4, 8), lambda n: Box(n, 8, 22), "abs", piece)
    for v in rng.uniform(-0.35, 0.35, int(rng.integers(0, 3))) * width:
        parts += strip_parts(lambda n: Box(n, 4, 6), "abs", (-0.4 * length, v), (0.4 * length, v), piece)
    inset = slope + 12
    return parts, (0.0, 0.0, length - 2 * inset, width - 2 * inset)


_BUILDERS: dict[str, Callable[[np.random.Generator, float, float, float], Built]] = {
    "suitcase": _suitcase,
    "trolley": _trolley,
    "backpack": _backpack,
    "tote": _tote,
    "tray": _tray,
}
