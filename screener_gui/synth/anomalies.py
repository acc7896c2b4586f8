"""Concealed threats placed inside an item's cavity: the anomalies the screener must find.

Each kind follows the paper's list (organic "marzipan-like" slabs and blobs, extra screws, metal
plates, knife blades) plus wires, extra cells and powders. ``shrink`` runs from 0 (large and
thick, e.g. a 150x80x12 mm slab of plastic explosive in a laptop) to 1 (small and thin, e.g. a
30x20x1 mm sheet, two extra screws, a 0.1 mm steel plate). How visible the result is depends on
the material and on what lies around it, so :mod:`screener_gui.synth.conceal` measures each build
and searches ``shrink`` for the visibility a subtlety asks for.

Contract: every part's footprint lies inside the cavity rectangle (with a 0.5 mm margin) and the
summed path length of the anomaly's parts nowhere exceeds the cavity depth. Sizes shrink to fit the
cavity down to each kind's minimum (:func:`min_size`); below it :func:`build_anomaly` raises
``ValueError``; :func:`fits` says beforehand whether a kind fits.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from screener_gui.synth.canvas import Part, footprint_box, part, pose
from screener_gui.synth.item import Anomaly, Cavity
from screener_gui.synth.items import components as c
from screener_gui.synth.shapes import Box, Cylinder, Ellipse, Ellipsoid, Polygon, Textured
from screener_gui.synth.threats import THREAT_BUILDERS, THREAT_MIN, THREAT_WEIGHTS, MinSize

_PAPER_KINDS: tuple[str, ...] = (
    "organic_slab",
    "organic_blob",
    "screws",
    "metal_plate",
    "knife_blade",
    "wires",
    "extra_cells",
    "powder",
)
CAVITY_KINDS: tuple[str, ...] = (*_PAPER_KINDS, *THREAT_BUILDERS)
"""Kinds built from scratch in a free volume (a cavity, or the room a removed component leaves):
the paper's list, then the procedural threats of :mod:`screener_gui.synth.threats`."""
FILLED_CELLS = "filled_cells"
"""Battery cells whose cores are emptied and refilled in place (:mod:`screener_gui.synth.conceal`)."""
ANOMALY_KINDS: tuple[str, ...] = (*CAVITY_KINDS, FILLED_CELLS)
"""Every kind an annotation can name."""
# The paper's kinds take 55 % of draws, the procedural threats 45 %, each group by its own weights.
_PAPER_WEIGHTS = np.array([0.22, 0.13, 0.12, 0.12, 0.12, 0.10, 0.09, 0.10])
_THREAT_WEIGHTS = np.array([THREAT_WEIGHTS[k] for k in THREAT_BUILDERS])
_KIND_WEIGHTS = np.concatenate(
    [0.55 * _PAPER_WEIGHTS / _PAPER_WEIGHTS.sum(), 0.45 * _THREAT_WEIGHTS / _THREAT_WEIGHTS.sum()]
)

MARGIN_MM = 0.5
"""Clearance kept between an anomaly and its cavity's edges (mm)."""

# Worst-case thickness factor of Textured: 1 + amplitude * 5 / sqrt(5/2).
_TEXTURE_PEAK = 5 / np.sqrt(2.5)


_MIN: dict[str, MinSize] = {
    "organic_slab": MinSize(25.0, 15.0, 2.0),
    "organic_blob": MinSize(20.0, 14.0, 3.0),
    "screws": MinSize(14.0, 7.0, 2.0),
    "metal_plate": MinSize(20.0, 15.0, 0.3),
    "knife_blade": MinSize(50.0, 12.0, 1.2),
    "wires": MinSize(30.0, 4.0, 1.5),
    "extra_cells": MinSize(21.0, 21.0, 3.3),
    "powder": MinSize(20.0, 15.0, 2.0),
    **THREAT_MIN,
}


def min_size(kind: str) -> MinSize:
    """The smallest cavity (footprint and depth) that ``kind`` can be built in."""
    _check_kind(kind)
    return _MIN[kind]


def random_anomaly_kind(rng: np.random.Generator) -> str:
    """An anomaly kind drawn with weights favouring the paper's organic slabs and blobs."""
    return CAVITY_KINDS[int(rng.choice(len(CAVITY_KINDS), p=_KIND_WEIGHTS / _KIND_WEIGHTS.sum()))]


def fits(kind: str, cavity: Cavity) -> bool:
    """Whether an anomaly of ``kind`` can be built inside ``cavity`` (at its smallest)."""
    need = min_size(kind)
    long, short = _room(cavity)
    return long >= need.long_mm and short >= need.short_mm and cavity.depth_mm >= need.depth_mm


def build_anomaly(kind: str, cavity: Cavity, rng: np.random.Generator, shrink: float) -> Anomaly:
    """A concealed object of ``kind`` inside ``cavity``, its parts in the item frame.

    Args:
        kind: One of :data:`CAVITY_KINDS`.
        cavity: Where to hide it; the object is shrunk to fit its footprint and depth.
        rng: Source of randomness (sizes, materials, placement).
        shrink: 0 = as large and thick as the kind gets … 1 = as small and thin.

    Raises:
        ValueError: Unknown kind, shrink outside [0, 1], or a cavity smaller than the kind's
            minimum (see :func:`fits`).
    """
    _check_kind(kind)
    if not 0.0 <= shrink <= 1.0:
        raise ValueError(f"shrink must lie in [0, 1], got {shrink}")
    if not fits(kind, cavity):
        need = _MIN[kind]
        raise ValueError(
            f"{kind} needs a cavity of at least {need.long_mm:g} x {need.short_mm:g} mm and "
            f"{need.depth_mm:g} mm deep (plus {MARGIN_MM} mm margin); got "
            f"{cavity.width_mm:.1f} x {cavity.height_mm:.1f} x {cavity.depth_mm:.1f} mm"
        )
    long, short = _room(cavity)
    local, description, max_turn = _BUILDERS[kind](long, short, cavity.depth_mm, 1.0 - shrink, rng)
    placed = _place(local, long, short, max_turn, rng)
    # Cavity frame with u along its long side.
    frame = pose(cavity.x_mm, cavity.y_mm, cavity.angle_deg)
    if cavity.height_mm > cavity.width_mm:
        frame = frame @ pose(0.0, 0.0, 90.0)
    return Anomaly(kind, description, tuple(p.moved(frame) for p in placed))


def _check_kind(kind: str) -> None:
    if kind not in _MIN:
        raise ValueError(f"unknown anomaly kind {kind!r}; known: {', '.join(CAVITY_KINDS)}")


def _room(cavity: Cavity) -> tuple[float, float]:
    """Usable long and short side of a cavity (mm), margins taken off."""
    a, b = cavity.width_mm - 2 * MARGIN_MM, cavity.height_mm - 2 * MARGIN_MM
    return max(a, b), min(a, b)


def _place(
    parts: list[Part], long: float, short: float, max_turn: float, rng: np.random.Generator
) -> list[Part]:
    """Turn the object a little (when it still fits) and move it to a random spot in the room."""
    for angle in (rng.uniform(-max_turn, max_turn), rng.uniform(-max_turn, max_turn) / 3, 0.0):
        turn = pose(0.0, 0.0, angle)
        u0, v0, u1, v1 = footprint_box(parts, turn)
        if u1 - u0 <= long + 1e-6 and v1 - v0 <= short + 1e-6:
            break
    else:  # pragma: no cover - the builders size objects to the room
        raise RuntimeError(
            f"anomaly of {u1 - u0:.1f} x {v1 - v0:.1f} mm does not fit {long:.1f} x {short:.1f} mm"
        )
    du = rng.uniform(-long / 2 - u0, long / 2 - u1) if long - (u1 - u0) > 1e-9 else -(u0 + u1) / 2
    dv = rng.uniform(-short / 2 - v0, short / 2 - v1) if short - (v1 - v0) > 1e-9 else -(v0 + v1) / 2
    move = pose(du, dv) @ turn
    return [p.moved(move) for p in parts]


def _size(small: float, large: float, t: float, rng: np.random.Generator, limit: float) -> float:
    """A size between ``small`` (subtle) and ``large`` (obvious) at obviousness ``t``, jittered, capped."""
    return float(min((small + (large - small) * t) * rng.uniform(0.85, 1.15), limit))


_Built = tuple[list[Part], str, float]


def _organic_slab(long: float, short: float, depth: float, t: float, rng: np.random.Generator) -> _Built:
    material = str(rng.choice(["plastic_explosive", "tnt", "marzipan"], p=[0.45, 0.25, 0.3]))
    amp = rng.uniform(0.04, 0.1)
    length = max(_size(30, 160, t, rng, long), _MIN["organic_slab"].long_mm)
    width = max(_size(20, 85, t, rng, min(short, length)), _MIN["organic_slab"].short_mm)
    thick = min(_size(1, 14, t, rng, np.inf), (depth - 0.1) / (1 + amp * _TEXTURE_PEAK))
    body = Textured(Box(length - 1, width - 1, thick, 2.0), amp, rng.uniform(8, 25), int(rng.integers(2**31)))
    parts = [part(body, material), part(Box(length, width, 0.1, 2.5), "polyethylene")]
    return parts, f"{material} slab {length:.0f}x{width:.0f}x{thick:.1f} mm in film", 12.0


def _organic_blob(long: float, short: float, depth: float, t: float, rng: np.random.Generator) -> _Built:
    material = str(rng.choice(["plastic_explosive", "marzipan", "tnt"], p=[0.45, 0.35, 0.2]))
    amp = rng.uniform(0.06, 0.14)
    max_thick = depth / (1 + amp * _TEXTURE_PEAK)
    total = max(_size(22, 130, t, rng, long), _MIN["organic_blob"].long_mm)
    n = 1 if t < 0.3 or total < 36 or rng.random() < 0.5 else int(rng.integers(2, 4))
    # Blobs sit side by side along u, touching but not overlapping (no stacked thickness).
    shares = rng.uniform(0.7, 1.3, n)
    widths = shares / shares.sum() * total
    parts, u = [], -total / 2
    for w in widths:
        w = float(w)
        h = float(np.clip(_size(16, 80, t, rng, short), 8.0, short))
        thick = float(min(_size(4, 18, t, rng, np.inf), max_thick, w * 0.6))
        blob = Textured(Ellipsoid(w, h, thick), amp, rng.uniform(6, 18), int(rng.integers(2**31)))
        parts.append(part(blob, material, u + w / 2, rng.uniform(-(short - h) / 2, (short - h) / 2)))
        u += w
    return parts, f"{n} {material} blob(s), {total:.0f} mm across", 30.0


def _screws(long: float, short: float, depth: float, t: float, rng: np.random.Generator) -> _Built:
    n_target = int(np.clip(round(2 + 10 * t + rng.normal(0, 1)), 2, 12))
    metal = "steel" if rng.random() < 0.8 else "stainless"
    diameter = float(min((1.2 + 1.8 * t) * rng.uniform(0.9, 1.1), depth))
    head_d = float(min(diameter * 1.7, depth, short))
    # Short enough that two always fit end to end along the room.
    length = float(min(rng.uniform(4, 10), long / 2 - 0.3))
    spread = 6 + 20 * t  # cluster radius (mm)
    centre = rng.uniform(-0.3, 0.3, 2) * (long, short)
    poses: list[tuple[float, float, float]] = []
    radius = np.hypot(length, head_d) / 2
    for _ in range(n_target * 30):
        if len(poses) == n_target:
            break
        angle = float(rng.uniform(0, 360))
        a = np.deg2rad(angle)
        # Bounding rectangle of the turned screw, to keep it inside the room.
        ext_u = abs(np.cos(a)) * length / 2 + abs(np.sin(a)) * head_d / 2
        ext_v = abs(np.sin(a)) * length / 2 + abs(np.cos(a)) * head_d / 2
        if ext_u > long / 2 or ext_v > short / 2:
            continue
        x = float(np.clip(centre[0] + rng.normal(0, spread / 2), -long / 2 + ext_u, long / 2 - ext_u))
        y = float(np.clip(centre[1] + rng.normal(0, spread / 2), -short / 2 + ext_v, short / 2 - ext_v))
        # Screws never lie on one another, so the pile stays within the depth.
        if all(np.hypot(x - px, y - py) >= 2 * radius for px, py, _ in poses):
            poses.append((x, y, angle))
    if len(poses) < 2:  # a cramped room: two screws end to end
        poses = [(-length / 2 - 0.15, 0.0, 0.0), (length / 2 + 0.15, 0.0, 180.0)]
    parts: list[Part] = []
    shaft = length - 1.5
    for x, y, angle in poses:
        a = np.deg2rad(angle)
        sx, sy = x + np.cos(a) * 0.75, y + np.sin(a) * 0.75
        parts.append(part(Cylinder(shaft, diameter), metal, sx, sy, angle))
        hx, hy = x - np.cos(a) * shaft / 2, y - np.sin(a) * shaft / 2
        parts.append(part(Cylinder(1.5, head_d), metal, hx, hy, angle))
    return parts, f"{len(poses)} {metal} screws M{diameter:.1f}x{length:.0f}", 0.0


def _metal_plate(long: float, short: float, depth: float, t: float, rng: np.random.Generator) -> _Built:
    material = str(rng.choice(["steel", "aluminium", "copper"], p=[0.5, 0.3, 0.2]))
    thick = float(min(_size(0.1, 3.0, t, rng, 3.0), depth))
    length = max(_size(25, 150, t, rng, long), _MIN["metal_plate"].long_mm)
    width = max(_size(18, 90, t, rng, min(short, length)), _MIN["metal_plate"].short_mm)
    plate = part(Box(length, width, thick, rng.uniform(0, 3)), material)
    return [plate], f"{material} plate {length:.0f}x{width:.0f}x{thick:.1f} mm", 20.0


def _knife_blade(long: float, short: float, depth: float, t: float, rng: np.random.Generator) -> _Built:
    material = "stainless" if rng.random() < 0.6 else "steel"
    length = float(np.clip(_size(60, 200, t, rng, long), _MIN["knife_blade"].long_mm, long))
    width = float(np.clip(length * rng.uniform(0.14, 0.24), _MIN["knife_blade"].short_mm, min(short, 45.0)))
    spine = float(min(_size(0.6, 3.0, t, rng, 3.0), depth))
    hl, hw = length / 2, width / 2
    # Spine along v = -hw, edge along v = +hw; convex outline with a pointed tip at +u.
    points = (
        (-hl, -hw),
        (hl - 0.6 * width, -hw),
        (hl, -hw + 0.2 * width),
        (hl - 0.9 * width, hw),
        (-hl, hw),
    )
    blade = Polygon(points, spine, taper=(-hw, hw, 0.08))
    parts = [part(blade, material)]
    tang = min(length * 0.25, 40.0)
    if length - tang >= _MIN["knife_blade"].long_mm and rng.random() < 0.5:
        # A tang instead of the heel: the blade proper is shorter, the outline keeps its length.
        parts = [
            part(Polygon(_shift(points, tang), spine, taper=(-hw, hw, 0.08)), material),
            part(Box(tang, width * 0.35, min(spine, depth)), material, -hl + tang / 2, -hw + width * 0.3),
        ]
    return parts, f"{material} knife blade {length:.0f} mm, spine {spine:.1f} mm", 8.0


def _shift(points: tuple[tuple[float, float], ...], heel: float) -> tuple[tuple[float, float], ...]:
    """Move the heel (the two points at u = -hl) forward by ``heel`` mm."""
    hl = -points[0][0]
    return tuple((u + heel if u == -hl else u, v) for u, v in points)


def _wires(long: float, short: float, depth: float, t: float, rng: np.random.Generator) -> _Built:
    n = int(np.clip(round(2 + 4 * t + rng.normal(0, 0.7)), 1, 6))
    core = float(min(rng.uniform(0.5, 1.5), depth - 0.6))
    outer = core + 0.6  # PVC insulation 0.3 mm
    n = int(max(min(n, (short - 0.2) // (outer + 0.1)), 1))
    length = max(_size(40, 180, t, rng, long), _MIN["wires"].long_mm)
    parts: list[Part] = []
    detonator = depth >= 7.2 and short >= 7.2 and length >= 55 and rng.random() < 0.6
    det_len = rng.uniform(30, 45) if detonator else 0.0
    wire_len = length - det_len
    v0 = -(n - 1) / 2 * (outer + 0.1)
    for k in range(n):
        w_len = wire_len * rng.uniform(0.8, 1.0)
        u = -length / 2 + wire_len - w_len / 2
        v = v0 + k * (outer + 0.1)
        parts.append(part(Cylinder(w_len, core), "copper", u, v))
        parts.append(part(Cylinder(w_len, outer, wall=0.3), "pvc", u, v))
    text = f"bundle of {n} wires {length:.0f} mm"
    if detonator:
        # Aluminium tube with an explosive charge: the classic detonator outline.
        u = length / 2 - det_len / 2
        parts.append(part(Cylinder(det_len, 7.0, wall=0.35), "aluminium", u, 0.0))
        parts.append(part(Cylinder(det_len - 6, 6.2), "plastic_explosive", u + 2.5, 0.0))
        text += " into a detonator"
    return parts, text, 10.0


def _extra_cells(long: float, short: float, depth: float, t: float, rng: np.random.Generator) -> _Built:
    cylinders = [
        (size, name)
        for size, name in (((65.0, 18.4), "18650"), ((50.5, 14.2), "14500"), ((44.5, 10.5), "10440"))
    ]
    usable = [(s, name) for s, name in cylinders if s[0] <= long and s[1] <= short and s[1] + 0.1 <= depth]
    if usable and (t > 0.3 or rng.random() < 0.5):
        # Larger cells when obvious; as many as fit side by side, up to four.
        size, name = usable[0] if t > 0.6 or len(usable) == 1 else usable[int(rng.integers(len(usable)))]
        n = int(min(max(1, round(1 + 3 * t * rng.uniform(0.6, 1.2))), short // (size[1] + 0.3), 4))
        parts: list[Part] = []
        for k in range(n):
            v = (k - (n - 1) / 2) * (size[1] + 0.3)
            parts += c.cylindrical_cell(0.0, v, 0.0 if k % 2 else 180.0, size, cap=False)
        return parts, f"{n} extra {name} Li-ion cell(s)", 10.0
    n = int(min(max(1, round(1 + 3 * t)), long // 20.5, 4))
    parts = []
    for k in range(n):
        u = (k - (n - 1) / 2) * 20.5
        parts.append(part(Ellipse(20.0, 20.0, 0.5), "steel", u, 0.0))
        parts.append(part(Ellipse(19.0, 19.0, 2.7), "li_ion_cell", u, 0.0))
    return parts, f"{n} extra CR2032 coin cell(s)", 10.0


def _powder(long: float, short: float, depth: float, t: float, rng: np.random.Generator) -> _Built:
    material = "black_powder" if rng.random() < 0.4 else "powder"
    amp = rng.uniform(0.12, 0.25)
    length = max(_size(30, 140, t, rng, long), _MIN["powder"].long_mm)
    width = max(_size(20, 85, t, rng, min(short, length)), _MIN["powder"].short_mm)
    thick = min(_size(3, 14, t, rng, np.inf), (depth - 0.12) / (1 + amp * _TEXTURE_PEAK))
    inner = (
        Ellipsoid(length - 2, width - 2, thick)
        if rng.random() < 0.5
        else Box(length - 2, width - 2, thick, min(width / 4, 8.0))
    )
    body = Textured(inner, amp, rng.uniform(5, 15), int(rng.integers(2**31)))
    parts = [part(body, material), part(Box(length, width, 0.12, 3.0), "polyethylene")]
    return parts, f"{material} in a plastic bag {length:.0f}x{width:.0f}x{thick:.1f} mm", 20.0


_BUILDERS: dict[str, Callable[[float, float, float, float, np.random.Generator], _Built]] = {
    "organic_slab": _organic_slab,
    "organic_blob": _organic_blob,
    "screws": _screws,
    "metal_plate": _metal_plate,
    "knife_blade": _knife_blade,
    "wires": _wires,
    "extra_cells": _extra_cells,
    "powder": _powder,
    **THREAT_BUILDERS,
}
