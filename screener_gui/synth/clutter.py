"""Everyday things packed in a bag: clothes, shoes, bottles, toiletries, books, cables, keys, ...

Each builder makes one object in its own frame (long axis along u, origin near its centre) no
larger than the room it is given; :func:`build_clutter_item` then puts it at a random position
and angle inside a bag's interior rectangle. Objects overlap each other freely, as in a packed
bag. Folded clothes are the bulk of a bag's organic mass; the textured layer that gives them
their folds is the most expensive part to draw, so a bag holds at most three garments.

Densities of bulk goods are folded into path lengths: 10 mm of folded cotton here means 10 mm
of solid fibre (about 60 mm of a loosely folded garment).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np

from screener_gui.synth.bag import strip_parts
from screener_gui.synth.canvas import Part, part, pose
from screener_gui.synth.shapes import Box, Cylinder, Ellipse, Ellipsoid, Frame, Polygon, Textured

CLUTTER_KINDS: tuple[str, ...] = (
    "clothes",
    "shoes",
    "bottle",
    "toiletries",
    "book",
    "charger",
    "cable",
    "keys",
    "coins",
    "umbrella",
    "belt",
    "glasses_case",
    "food",
    "pen",
    "batteries",
    "sundries",
)
# How often each kind other than clothes turns up among a bag's smaller things.
_SMALL_SHARES: dict[str, float] = {
    "shoes": 0.09,
    "bottle": 0.1,
    "toiletries": 0.1,
    "book": 0.1,
    "charger": 0.08,
    "cable": 0.1,
    "keys": 0.06,
    "coins": 0.06,
    "umbrella": 0.05,
    "belt": 0.06,
    "glasses_case": 0.05,
    "food": 0.07,
    "pen": 0.08,
    "batteries": 0.05,
    "sundries": 0.08,
}
_MAX_GARMENTS = 3
# Clutter count ranges (inclusive) per bag kind.
_COUNTS: dict[str, tuple[int, int]] = {
    "suitcase": (10, 18),
    "trolley": (10, 18),
    "backpack": (6, 12),
    "tote": (4, 9),
    "tray": (0, 2),
}

Interior = tuple[float, float, float, float, float]
Room = tuple[float, float]


def clutter_count(bag_kind: str, rng: np.random.Generator) -> int:
    """A typical number of clutter objects for a bag of this kind (a tray holds 0–2).

    Raises:
        ValueError: For a kind not in :data:`screener_gui.synth.bag.BAG_KINDS`.
    """
    if bag_kind not in _COUNTS:
        raise ValueError(f"unknown bag kind {bag_kind!r}; known: {', '.join(_COUNTS)}")
    low, high = _COUNTS[bag_kind]
    return int(rng.integers(low, high + 1))


def build_clutter(rng: np.random.Generator, interior: Interior, count: int) -> tuple[Part, ...]:
    """``count`` everyday objects at random poses inside ``interior`` (scan frame, mm).

    From four objects on, two or three of them are garments (one for two or three objects);
    the rest are drawn from the other kinds with shares typical of luggage.

    Args:
        rng: Source of every random choice.
        interior: ``(x_mm, y_mm, width_mm, height_mm, angle_deg)`` of the free inner rectangle.
        count: Number of objects.

    Returns:
        All parts of all objects, in the scan frame.
    """
    if count >= 4:
        garments = int(rng.integers(2, _MAX_GARMENTS + 1))
    elif count >= 2:
        garments = 1
    else:
        garments = int(rng.random() < 0.3) * count
    names = list(_SMALL_SHARES)
    shares = np.array([_SMALL_SHARES[n] for n in names])
    kinds = ["clothes"] * garments + [
        str(k) for k in rng.choice(names, count - garments, p=shares / shares.sum())
    ]
    return tuple(p for kind in kinds for p in build_clutter_item(kind, rng, interior))


def build_clutter_item(kind: str, rng: np.random.Generator, interior: Interior) -> tuple[Part, ...]:
    """One object of ``kind`` (see :data:`CLUTTER_KINDS`) at a random pose inside ``interior``.

    The object is built no larger than the interior and placed wholly inside it.

    Raises:
        ValueError: For an unknown kind.
    """
    try:
        builder = _BUILDERS[kind]
    except KeyError:
        raise ValueError(f"unknown clutter kind {kind!r}; known: {', '.join(CLUTTER_KINDS)}") from None
    x, y, width, height, angle = interior
    long_side, short_side = max(width, height), min(width, height)
    parts = builder(rng, (long_side, short_side))
    # Long axis of the object along the interior's long axis, before the object's own turn.
    base = 0.0 if width >= height else 90.0
    aligned = kind in ("clothes", "book", "toiletries", "shoes")
    return tuple(_place(parts, rng, (width, height), base, aligned, pose(x, y, angle)))


def _place(
    parts: list[Part],
    rng: np.random.Generator,
    size: Room,
    base: float,
    aligned: bool,
    frame: np.ndarray,
) -> list[Part]:
    """Move ``parts`` to a random pose inside a ``size`` rectangle centred in ``frame``."""
    corners = []
    for p in parts:
        hw, hh = p.shape.half_extent()
        corners.append((p.transform @ np.array([[-hw, hw, hw, -hw], [-hh, -hh, hh, hh], [1, 1, 1, 1]]))[:2])
    xy = np.concatenate(corners, axis=1)
    centre = (xy.min(axis=1) + xy.max(axis=1)) / 2
    half = (xy.max(axis=1) - xy.min(axis=1)) / 2
    limit = np.array(size) / 2
    # Try random turns (near the axes for things packed square), then the plain aligned pose.
    turns = [
        rng.uniform(-12, 12) + 180 * rng.integers(2) if aligned else rng.uniform(0, 360) for _ in range(6)
    ]
    for turn in [*turns, 0.0, 180.0]:
        angle = base + turn
        c, s = abs(math.cos(math.radians(angle))), abs(math.sin(math.radians(angle)))
        extent = np.array([c * half[0] + s * half[1], s * half[0] + c * half[1]])
        if np.all(extent <= limit + 1e-6):
            break
    slack = np.maximum(limit - extent, 0.0)
    x, y = rng.uniform(-slack, slack)
    placement = frame @ pose(x, y, angle) @ pose(-centre[0], -centre[1])
    return [p.moved(placement) for p in parts]


def _fit(value: float, limit: float) -> float:
    return min(value, 0.95 * limit)


# --- object builders: own frame, long axis along u, within room = (long, short) in mm ----------


def _clothes(rng: np.random.Generator, room: Room) -> list[Part]:
    """A folded or rolled garment: smooth bulk layers plus one textured layer for the folds."""
    material = str(rng.choice(["cotton", "polyester", "nylon"], p=[0.55, 0.33, 0.12]))
    seed = int(rng.integers(2**31))
    if rng.random() < 0.2:
        # Rolled up: a long soft sausage.
        length, width = _fit(rng.uniform(180, 320), room[0]), _fit(rng.uniform(60, 110), room[1])
        shape = Ellipsoid(length, width, rng.uniform(10, 20))
        return [part(Textured(shape, 0.25, rng.uniform(40, 70), seed), material)]
    # Folded: anything from a T-shirt to a jacket, packed to the size of the bag.
    length = _fit(min(rng.uniform(0.5, 0.95) * room[0], 480), room[0])
    width = _fit(min(rng.uniform(0.6, 1.0) * room[1], 380), room[1])
    thickness = rng.uniform(4, 8)
    bulk = Ellipsoid(length, width, thickness * rng.uniform(2, 3))
    if rng.random() < 0.5:
        bulk = Box(length, width, thickness * rng.uniform(1.2, 2), rng.uniform(15, 40))
    parts = [part(bulk, material)]
    # The textured layer is the costliest part of a scan to draw: keep it to a fold or two.
    fold_l, fold_w = min(rng.uniform(140, 230), length), min(rng.uniform(100, 170), width)
    du, dv = (length - fold_l) / 2 * rng.uniform(-1, 1), (width - fold_w) / 2 * rng.uniform(-1, 1)
    folds = Textured(Box(fold_l, fold_w, thickness, rng.uniform(10, 30)), 0.3, rng.uniform(40, 90), seed)
    parts.append(part(folds, material, du, dv))
    if rng.random() < 0.5:
        lw, lh = length * rng.uniform(0.4, 0.8), width * rng.uniform(0.5, 1.0)
        du, dv = (length - lw) / 2 * rng.uniform(-1, 1), (width - lh) / 2 * rng.uniform(-1, 1)
        parts.append(part(Box(lw, lh, thickness * rng.uniform(0.5, 1.0), 15), material, du, dv))
    if material == "cotton" and rng.random() < 0.35:
        # Jeans: copper rivets, a brass zip and a steel button.
        zu, zv = rng.uniform(-0.3, 0.3) * length, rng.uniform(-0.3, 0.3) * width
        parts.append(part(Box(90, 7, 1.5), "brass", zu, zv, 90.0))
        parts.append(part(Ellipse(15, 15, 2.5), "steel", zu, zv + 55))
        rivets = [
            (zu + rng.uniform(-80, 80), zv + rng.uniform(-60, 60)) for _ in range(int(rng.integers(3, 7)))
        ]
        parts += [part(Ellipse(7, 7, 2), "copper", u, v) for u, v in rivets]
    return parts


def _shoes(rng: np.random.Generator, room: Room) -> list[Part]:
    """A shoe or a pair: rubber sole and heel, leather or fabric upper, sometimes a steel shank."""
    length, width = _fit(rng.uniform(240, 300), room[0]), rng.uniform(85, 110)
    upper = str(rng.choice(["leather", "polyester", "nylon"], p=[0.5, 0.3, 0.2]))
    sole_t, shank = rng.uniform(10, 25), rng.random() < 0.4
    pair = rng.random() < 0.7 and 2 * width + 10 < 0.95 * room[1]
    parts = []
    for i, v in enumerate((-(width + 10) / 2, (width + 10) / 2) if pair else (0.0,)):
        turn = 180.0 * i if rng.random() < 0.5 else 0.0
        shoe = [
            part(Ellipse(length, width, sole_t), "rubber"),
            part(Ellipse(0.3 * length, 0.8 * width, rng.uniform(8, 20)), "rubber", -0.33 * length, 0.0),
            part(Ellipsoid(0.95 * length, 0.95 * width, rng.uniform(6, 14)), upper, 0.03 * length, 0.0),
        ]
        if shank:
            shoe.append(part(Box(0.33 * length, 12, 1.5), "steel", -0.12 * length, 0.0))
        parts += [p.moved(pose(0.0, v, turn)) for p in shoe]
    return parts


def _bottle(rng: np.random.Generator, room: Room) -> list[Part]:
    """A drink: PET or glass bottle lying down, a bottle standing up, or a steel flask."""
    style = str(rng.choice(["pet", "glass", "standing", "flask"], p=[0.45, 0.25, 0.15, 0.15]))
    if style == "standing":
        d, h = rng.uniform(55, 85), rng.uniform(120, 240)
        wall = ("glass", 4.0) if rng.random() < 0.4 else ("polyester", 0.4)
        fill = h * rng.uniform(0.3, 0.9)
        return [
            part(Ellipse(d - 2 * wall[1], d - 2 * wall[1], fill), "water"),
            part(Frame(d, d, wall[1], h, d / 2), wall[0]),
        ]
    length, d = _fit(rng.uniform(160, 300), room[0]) - 40, _fit(rng.uniform(55, 85), room[1])
    neck_d = 0.4 * d
    if style == "flask":
        return [
            part(Cylinder(length, d, 0.7), "stainless"),
            part(Cylinder(length - 6, d - 8, 0.5), "stainless"),
            part(Cylinder(length - 12, d - 10), "water"),
            part(Cylinder(40, d + 4, 2.5), "abs", length / 2 + 15, 0.0),
        ]
    wall_material, wall = ("glass", rng.uniform(3, 5)) if style == "glass" else ("polyester", 0.4)
    return [
        part(Cylinder(length, d, wall), wall_material),
        part(Cylinder(length * rng.uniform(0.5, 1.0), d - 2 * wall), "water"),
        part(Cylinder(35, neck_d, wall), wall_material, length / 2 + 17, 0.0),
        part(Cylinder(15, neck_d + 4, 1.5), "abs" if style == "pet" else "aluminium", length / 2 + 37, 0.0),
    ]


def _toiletries(rng: np.random.Generator, room: Room) -> list[Part]:
    """A wash bag with a zip, holding a few of: gel tube, aerosol, cream jar, toothbrush, razor."""
    length, width = _fit(rng.uniform(180, 260), room[0]), _fit(rng.uniform(100, 160), room[1])
    parts = [part(Box(length, width, 1.5, 20), str(rng.choice(["nylon", "polyester"])))]
    parts += strip_parts(
        lambda n: Box(n, 5, 2), "steel", (-length / 2 + 10, width / 2 - 6), (length / 2 - 10, width / 2 - 6)
    )
    things: list[Callable[[float], list[Part]]] = [_gel_tube, _aerosol, _jar, _toothbrush, _razor]
    for i in rng.choice(len(things), int(rng.integers(2, 5)), replace=False):
        item = things[i](min(length - 20, 190))
        u = rng.uniform(-0.15, 0.15) * length
        v = rng.uniform(-0.3, 0.3) * width
        parts += [p.moved(pose(u, v, rng.uniform(-10, 10))) for p in item]
    return parts


def _gel_tube(max_len: float) -> list[Part]:
    length = min(150.0, max_len - 20)
    return [part(Ellipsoid(length, 45, 22), "gel"), part(Cylinder(20, 26), "abs", length / 2 + 8, 0.0)]


def _aerosol(max_len: float) -> list[Part]:
    length = min(160.0, max_len - 30)
    return [
        part(Cylinder(length, 50, 0.4), "aluminium"),
        part(Cylinder(length - 10, 48), "water", -5.0, 0.0),
        part(Cylinder(8, 30, 1.0), "steel", length / 2 + 3, 0.0),
        part(Cylinder(25, 50, 1.5), "abs", length / 2 + 12, 0.0),
    ]


def _jar(max_len: float) -> list[Part]:
    d = min(65.0, max_len)
    return [
        part(Frame(d, d, 3, 45, d / 2), "glass"),
        part(Ellipse(d, d, 5), "glass"),
        part(Ellipse(d - 6, d - 6, 35), "gel"),
        part(Ellipse(d + 2, d + 2, 0.4), "aluminium"),
    ]


def _toothbrush(max_len: float) -> list[Part]:
    return [part(Box(min(185.0, max_len), 12, 10, 5), "abs")]


def _razor(max_len: float) -> list[Part]:
    return [part(Box(min(110.0, max_len), 12, 8, 5), "abs"), part(Box(8, 38, 1.5), "steel", 55.0, 0.0)]


def _book(rng: np.random.Generator, room: Room) -> list[Part]:
    """A paperback, hardback, magazine or spiral notebook."""
    style = str(rng.choice(["paperback", "hardback", "magazine", "notebook"], p=[0.35, 0.2, 0.25, 0.2]))
    if style == "magazine":
        length, width, thickness = rng.uniform(270, 300), rng.uniform(200, 230), rng.uniform(3, 10)
    else:
        length, width, thickness = rng.uniform(180, 250), rng.uniform(120, 175), rng.uniform(10, 40)
    length, width = _fit(length, room[0]), _fit(width, room[1])
    parts = [part(Box(length, width, thickness), "paper")]
    if style == "hardback":
        parts.append(part(Box(length + 6, width + 6, 5), "paper"))
    if style == "notebook":
        parts.append(
            part(
                Textured(Box(length, 7, 3), 1.0, 4.0, int(rng.integers(2**31))), "steel", 0.0, -width / 2 + 4
            )
        )
    return parts


def _charger(rng: np.random.Generator, room: Room) -> list[Part]:
    """A mains charger: plastic case, transformer (copper coil, ferrite core), board, pins."""
    brick = rng.random() < 0.4
    length, width = (
        (rng.uniform(100, 150), rng.uniform(55, 75)) if brick else (rng.uniform(45, 70), rng.uniform(40, 55))
    )
    depth = rng.uniform(25, 35)
    core = 0.35 * width
    parts = [
        part(Box(length, width, 5, 5), "abs"),
        part(Frame(length, width, 2.0, depth, 5), "abs"),
        part(Box(length - 8, width - 8, 1.6), "fr4"),
        part(Box(core, core, depth - 12), "ferrite", -0.15 * length, 0.0),
        part(Frame(core + 8, core + 8, 4, depth - 14, 3), "copper", -0.15 * length, 0.0),
        part(Cylinder(0.25 * length, 10), "aluminium", 0.2 * length, 0.2 * width),  # capacitor
    ]
    if brick:
        parts.append(part(Box(0.5 * length, 18, 2), "aluminium", 0.1 * length, -0.25 * width))  # heat sink
    else:
        parts += [part(Box(18, 5, 1.5), "brass", length / 2 + 8, dv) for dv in (-9.0, 9.0)]
    if rng.random() < 0.5 and room[0] - length > 120:
        tail, half = _cable_path(rng, (room[0] - length) * 0.8, room[1] * 0.8, 3)
        parts += [p.moved(pose(-length / 2 - half, 0.0)) for p in tail]
    return parts


def _cable(rng: np.random.Generator, room: Room) -> list[Part]:
    """A cable with a plug: coiled in loops, or lying loose in a few straight runs."""
    d = rng.uniform(3, 6)
    if rng.random() < 0.6 and room[1] > 80:
        size = _fit(rng.uniform(70, 140), room[1])
        parts = []
        for _ in range(int(rng.integers(2, 4))):
            w, h = size * rng.uniform(0.75, 1.0), size * rng.uniform(0.6, 1.0)
            du, dv = rng.uniform(-6, 6, 2)
            parts.append(part(Frame(w, h, d, 0.8 * d, min(w, h) / 2), "pvc", du, dv))
            parts.append(part(Frame(w - d / 2, h - d / 2, 0.3 * d, 0.3 * d, min(w, h) / 2), "copper", du, dv))
        parts += _plug(rng, size / 2, 0.0)
        return parts
    # Leave room for the plug (about 40 mm) beyond the cable's end.
    parts, _ = _cable_path(rng, max(room[0] - 100, 40), max(room[1] - 100, 40), int(rng.integers(4, 8)), d)
    return parts


def _cable_path(
    rng: np.random.Generator, max_u: float, max_v: float, segments: int, d: float = 4.0
) -> tuple[list[Part], float]:
    """A loose cable (PVC sheath, copper core) in a few straight runs, a plug at its far end.

    Returns the parts, centred, and the half length of their extent along u.
    """
    heading, points = rng.uniform(-0.5, 0.5), [np.zeros(2)]
    for _ in range(segments):
        heading += rng.uniform(-1.2, 1.2)
        points.append(points[-1] + rng.uniform(50, 120) * np.array([math.cos(heading), math.sin(heading)]))
    xy = np.array(points)
    span = np.maximum(xy.max(axis=0) - xy.min(axis=0), 1e-6)
    xy = (xy - (xy.max(axis=0) + xy.min(axis=0)) / 2) * min(1.0, max_u / span[0], max_v / span[1])
    parts = []
    for a, b in itertools.pairwise(xy):
        parts += strip_parts(lambda n: Cylinder(n + d, d), "pvc", tuple(a), tuple(b))
        parts += strip_parts(lambda n: Cylinder(n, 0.35 * d), "copper", tuple(a), tuple(b))
    end, before = xy[-1], xy[-2]
    parts += _plug(rng, float(end[0]), float(end[1]), math.degrees(math.atan2(*(end - before)[::-1])))
    return parts, float(np.abs(xy[:, 0]).max())


def _plug(rng: np.random.Generator, u: float, v: float, angle: float = 0.0) -> list[Part]:
    """A USB-style plug: moulded body and steel shell."""
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return [
        part(Box(28, 14, 8, 3), "abs", u + 14 * c, v + 14 * s, angle),
        part(Box(12, 8, 1.2), str(rng.choice(["steel", "nickel"])), u + 33 * c, v + 33 * s, angle),
    ]


def _keys(rng: np.random.Generator, room: Room) -> list[Part]:
    """A key ring with a few keys fanned out, sometimes a car key fob."""
    ring = rng.uniform(22, 32)
    parts = [part(Frame(ring, ring, 1.8, 1.8, ring / 2), "steel")]
    bow = Polygon(tuple((12 * math.cos(a), 12 * math.sin(a)) for a in np.linspace(0, 2 * np.pi, 7)[:-1]), 2.0)
    head = ring / 2 + 12
    for _ in range(int(rng.integers(2, 6))):
        angle = rng.uniform(0, 360)
        c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        blade, material = rng.uniform(30, 50), str(rng.choice(["brass", "steel", "nickel"]))
        parts.append(part(bow, material, head * c, head * s, angle + rng.uniform(0, 60)))
        tip = head + 10 + blade / 2
        parts.append(part(Box(blade, 8, 2.0), material, tip * c, tip * s, angle))
    if rng.random() < 0.4:
        a = math.radians(rng.uniform(0, 360))
        fu, fv = (ring / 2 + 35) * math.cos(a), (ring / 2 + 35) * math.sin(a)
        parts += [
            part(Box(55, 30, 10, 8), "abs", fu, fv, math.degrees(a)),
            part(Box(40, 20, 1.0), "fr4", fu, fv, math.degrees(a)),
            part(Ellipse(20, 20, 3.2), "stainless", fu, fv),
        ]
    return parts


def _coins(rng: np.random.Generator, room: Room) -> list[Part]:
    """Loose coins, sometimes in a leather wallet with plastic cards."""
    parts = []
    if rng.random() < 0.5:
        parts += [part(Box(115, 95, 4, 6), "leather"), part(Box(86, 54, 0.76 * rng.integers(1, 5), 3), "pvc")]
    for _ in range(int(rng.integers(2, 8))):
        d = rng.uniform(16, 28)
        material = str(rng.choice(["cupronickel", "brass", "steel", "nickel"], p=[0.4, 0.3, 0.2, 0.1]))
        u, v = rng.uniform(-35, 35), rng.uniform(-25, 25)
        parts.append(part(Ellipse(d, d, rng.uniform(1.5, 2.3)), material, u, v))
    return parts


def _umbrella(rng: np.random.Generator, room: Room) -> list[Part]:
    """A folded umbrella: aluminium or steel shaft, steel ribs, polyester canopy, handle."""
    length = _fit(rng.uniform(230, 320) if rng.random() < 0.7 else rng.uniform(500, 800), room[0]) - 90
    shaft = str(rng.choice(["aluminium", "steel"]))
    parts = [
        part(Ellipsoid(0.9 * length, rng.uniform(40, 60), rng.uniform(8, 15)), "polyester"),
        part(Cylinder(length, 10, 1.0), shaft),
        part(Cylinder(90, 28), str(rng.choice(["abs", "rubber"])), -length / 2 - 40, 0.0),
        part(Box(30, 14, 3), "steel", rng.uniform(-0.2, 0.2) * length, 0.0),
    ]
    for _ in range(int(rng.integers(6, 9))):
        v = rng.uniform(-15, 15)
        parts.append(part(Box(0.85 * length, 1.8, 1.5), "steel", 0.05 * length, v, rng.uniform(-2, 2)))
    return parts


def _belt(rng: np.random.Generator, room: Room) -> list[Part]:
    """A leather belt, rolled up or laid out folded, with its metal buckle."""
    width, thickness = rng.uniform(28, 40), rng.uniform(3, 4.5)
    buckle = str(rng.choice(["steel", "zinc", "brass"]))
    if rng.random() < 0.5:
        d = rng.uniform(80, 110)
        return [
            part(Frame(d, d, rng.uniform(12, 22), width, d / 2), "leather"),
            part(Box(70, width, thickness, 4), "leather", d / 2 + 30, 0.0),
            part(Frame(width + 14, 45, 5, 4, 6), buckle, d / 2 + 70, 0.0, 90.0),
            part(Box(38, 3, 3), "steel", d / 2 + 70, 0.0),
        ]
    run = _fit(rng.uniform(250, 400), room[0] - 80)
    gap = width + rng.uniform(5, 40)
    runs = max(1, min(int(rng.integers(2, 4)), int(0.9 * room[1] // gap)))
    parts = []
    for i in range(runs):
        parts.append(part(Box(run, width, thickness, 4), "leather", 0.0, i * gap))
    parts += [
        part(Frame(45, width + 14, 5, 4, 6), buckle, run / 2 + 15, 0.0),
        part(Box(38, 3, 3), "steel", run / 2 + 15, 0.0),
    ]
    return parts


def _glasses_case(rng: np.random.Generator, room: Room) -> list[Part]:
    """A hard (steel-lined) or soft glasses case with a pair of glasses inside."""
    length, width = 160.0, rng.uniform(55, 70)
    if rng.random() < 0.6:
        parts = [
            part(Box(length, width, 0.6, width / 2), "steel"),
            part(Frame(length, width, 0.5, rng.uniform(25, 40), width / 2), "steel"),
            part(Box(30, 6, 2), "steel", 0.0, width / 2 - 3),
        ]
    else:
        parts = [part(Box(length, width, 2.5, width / 2), str(rng.choice(["leather", "polyester"])))]
    lens, frame_metal = str(rng.choice(["polycarbonate", "glass"])), rng.random() < 0.5
    for u in (-35.0, 35.0):
        parts.append(part(Ellipse(50, 36, 2.5), lens, u, 0.0))
        if frame_metal:
            parts.append(part(Frame(54, 40, 1.5, 2.0, 18), "nickel", u, 0.0))
    temple = "nickel" if frame_metal else "polycarbonate"
    parts += [part(Box(125, 3, 3), temple, 0.0, dv) for dv in (-12.0, 12.0)]
    return parts


def _food(rng: np.random.Generator, room: Room) -> list[Part]:
    """Fruit, a sandwich, a chocolate bar or a tin can."""
    style = str(
        rng.choice(["fruit", "banana", "sandwich", "chocolate", "can"], p=[0.3, 0.15, 0.25, 0.15, 0.15])
    )
    if style == "fruit":
        d = rng.uniform(65, 85)
        return [part(Ellipsoid(d, d, d * 0.9), "water")]
    if style == "banana":
        return [part(Ellipsoid(180, 38, 35), "water")]
    if style == "sandwich":
        # Bread is mostly starch (cellulose's formula) with air: a few mm of solid.
        return [
            part(Box(140, 125, 0.3), "paper"),
            part(Box(130, 115, rng.uniform(8, 14), 15), "paper"),
            part(Ellipsoid(110, 100, rng.uniform(5, 12)), "water"),
        ]
    if style == "chocolate":
        # Fat and sugar: polyethylene is a fair stand-in for their attenuation.
        return [part(Box(160, 75, 10, 3), "polyethylene"), part(Box(162, 77, 0.05), "aluminium")]
    return [part(Cylinder(110, 75, 0.25), "steel"), part(Cylinder(108, 74), "water")]


def _pen(rng: np.random.Generator, room: Room) -> list[Part]:
    """A ballpoint pen: plastic or metal barrel, refill with brass tip, spring, clip."""
    length = rng.uniform(130, 150)
    barrel = str(rng.choice(["abs", "polycarbonate", "aluminium", "brass"], p=[0.45, 0.25, 0.2, 0.1]))
    parts = [
        part(Cylinder(length, 10, 1.0), barrel),
        part(Cylinder(length - 25, 3), "polyethylene", -5.0, 0.0),
        part(Cylinder(6, 2.2), "brass", length / 2 - 4, 0.0),
        part(Cylinder(12, 3.5, 0.4), "steel", length / 2 - 15, 0.0),
    ]
    if rng.random() < 0.6:
        parts.append(part(Box(40, 3, 0.6), "steel", -length / 2 + 22, 5.0))
    return parts


def _batteries(rng: np.random.Generator, room: Room) -> list[Part]:
    """A few AA or AAA alkaline cells: steel can, zinc/manganese core, brass-capped nub."""
    length, d = (50.5, 14.5) if rng.random() < 0.7 else (44.5, 10.5)
    parts = []
    for i in range(int(rng.integers(1, 5))):
        v = i * (d + 1)
        parts += [
            part(Cylinder(length, d, 0.3), "steel", 0.0, v),
            part(Cylinder(length - 3, d - 1), "alkaline_cell", 0.0, v),
            part(Cylinder(1.5, 5), "brass", length / 2 + 0.7, v),
        ]
    return parts


def _sundries(rng: np.random.Generator, room: Room) -> list[Part]:
    """Pocket odds and ends: a lighter, nail clippers, safety pins, paper clips, hair grips."""
    parts = []
    for _ in range(int(rng.integers(1, 4))):
        u, v, turn = rng.uniform(-40, 40), rng.uniform(-30, 30), rng.uniform(0, 180)
        kind = rng.integers(4)
        if kind == 0:
            # Butane is close to polyethylene in composition.
            thing = [
                part(Box(60, 22, 10, 4), "abs"),
                part(Box(52, 18, 6, 4), "polyethylene"),
                part(Box(12, 22, 10, 2), "steel", 34.0, 0.0),
            ]
        elif kind == 1:
            thing = [part(Box(56, 13, 4, 3), "steel"), part(Box(45, 9, 1.5), "steel", 0.0, 0.0)]
        elif kind == 2:
            thing = [part(Frame(32, 8, 1.0, 1.0, 3), "steel")]
        else:
            thing = [part(Box(55, 1.5, 1.2), "steel", 0.0, dv) for dv in (-1.5, 1.5)]
        parts += [p.moved(pose(u, v, turn)) for p in thing]
    return parts


_BUILDERS: dict[str, Callable[[np.random.Generator, Room], list[Part]]] = {
    "clothes": _clothes,
    "shoes": _shoes,
    "bottle": _bottle,
    "toiletries": _toiletries,
    "book": _book,
    "charger": _charger,
    "cable": _cable,
    "keys": _keys,
    "coins": _coins,
    "umbrella": _umbrella,
    "belt": _belt,
    "glasses_case": _glasses_case,
    "food": _food,
    "pen": _pen,
    "batteries": _batteries,
    "sundries": _sundries,
}
