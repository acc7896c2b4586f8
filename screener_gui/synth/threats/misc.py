"""Sheet explosive cut to a board's shape, and coins or metal slugs spread or stacked."""

from __future__ import annotations

import numpy as np

from screener_gui.synth.canvas import Part, part
from screener_gui.synth.items.item_shapes import Annulus
from screener_gui.synth.shapes import Box, Ellipse, Textured
from screener_gui.synth.threats.base import (
    GAP_MM,
    Built,
    MinSize,
    Room,
    circle,
    outline,
    pick,
    rect,
    revolved,
    size,
    spans,
)

MIN = {"sheet_explosive": MinSize(30.0, 20.0, 1.0), "coins": MinSize(19.0, 19.0, 1.3)}

# Worst-case thickness factor of Textured: 1 + amplitude * 5 / sqrt(5/2).
_PEAK = 5 / np.sqrt(2.5)


def _board(width: float, height: float, rng: np.random.Generator) -> tuple[list, list]:
    """A board-like outline centred on the origin, with notches bitten out of its edges and
    corners, and its mounting and cut-out holes."""
    hw, hh = width / 2, height / 2
    bites = []
    for side in range(4):
        if rng.random() < 0.35:
            span = (width if side % 2 == 0 else height) * rng.uniform(0.12, 0.3)
            deep = (height if side % 2 == 0 else width) * rng.uniform(0.08, 0.2)
            where = rng.uniform(0.25, 0.75)
            bites.append((side, where, span, deep))
    pts: list[tuple[float, float]] = []
    corners = [(-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh)]
    chamfer = rng.uniform(0, min(width, height) * 0.08) if rng.random() < 0.5 else 0.0
    for side in range(4):
        a, b = np.array(corners[side]), np.array(corners[(side + 1) % 4])
        d = (b - a) / np.linalg.norm(b - a)
        inward = np.array([-d[1], d[0]])  # corners run clockwise in v-down: this points inside
        pts.append(tuple(a + d * chamfer) if chamfer else tuple(a))
        for s, where, span, deep in bites:
            if s == side:
                length = float(np.linalg.norm(b - a))
                m = a + d * (where * length)
                for p in (
                    m - d * span / 2,
                    m - d * span / 2 + inward * deep,
                    m + d * span / 2 + inward * deep,
                    m + d * span / 2,
                ):
                    pts.append(tuple(p))
        if chamfer:
            pts.append(tuple(b - d * chamfer))
    holes = []
    inset = min(width, height) * 0.06 + 2.0
    hole_d = rng.uniform(2.5, 3.5)
    if rng.random() < 0.7:
        for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            x, y = sx * (hw - inset - chamfer / 2), sy * (hh - inset - chamfer / 2)
            if _clear(x, y, hole_d, bites, hw, hh):
                holes.append(circle(x, y, hole_d, 10))
    if rng.random() < 0.35 and min(width, height) > 30:
        w, h = width * rng.uniform(0.15, 0.3), height * rng.uniform(0.15, 0.3)
        holes.append(rect(-w / 2, -h / 2, w / 2, h / 2))
    return pts, holes


def _clear(x: float, y: float, d: float, bites, hw: float, hh: float) -> bool:
    """Whether a hole at (x, y) keeps clear of the notches (checked against their boxes)."""
    for side, where, span, deep in bites:
        if side % 2 == 0:
            cx, cy = -hw + where * 2 * hw if side == 0 else hw - where * 2 * hw, -hh if side == 0 else hh
            near = abs(x - cx) < span / 2 + d and abs(y - cy) < deep + d
        else:
            cy, cx = -hh + where * 2 * hh if side == 1 else hh - where * 2 * hh, hw if side == 1 else -hw
            near = abs(y - cy) < span / 2 + d and abs(x - cx) < deep + d
        if near:
            return False
    return True


def sheet_explosive(long: float, short: float, depth: float, t: float, rng: np.random.Generator) -> Built:
    """A thin, wide sheet of PETN sheet explosive (or rolled plastic explosive) cut to a board's
    outline, 1 mm thick when subtle up to 6 mm when obvious."""
    mat = pick(rng, ("sheet_explosive", "plastic_explosive"), (0.65, 0.35))
    film = 0.08 if rng.random() < 0.5 else 0.0
    amp = rng.uniform(0.01, 0.04)
    thick = float(min(size(1.0, 6.0, t, rng, 0.15), (depth - film) / (1 + amp * _PEAK)))
    share = rng.uniform(0.7, 0.85) + 0.15 * t
    width = float(min(long * min(share + rng.uniform(-0.05, 0.1), 1.0), long) - 2 * GAP_MM)
    height = float(min(short * min(share + rng.uniform(-0.05, 0.1), 1.0), short) - 2 * GAP_MM)
    width, height = (
        max(width, MIN["sheet_explosive"].long_mm - 1),
        max(height, MIN["sheet_explosive"].short_mm - 1),
    )
    pts, holes = _board(width, height, rng)
    sheet = outline([pts, *holes], thick, mat)
    body = Textured(sheet.shape, amp, rng.uniform(10, 30), int(rng.integers(2**31)))
    parts = [Part(body, mat, sheet.transform)]
    if film:
        parts.append(part(Box(width, height, film, 1.0), "polyethylene"))
    cut = f", {len(holes)} hole(s)" if holes else ""
    return (
        parts,
        f"{mat.replace('_', ' ')} sheet {width:.0f}x{height:.0f}x{thick:.1f} mm cut to a board{cut}",
        3.0,
    )


# Coins: diameter, thickness (mm), metal, and a second metal for the centre of bimetallic coins.
COINS = (
    (16.3, 1.67, "steel", ""),
    (18.8, 1.67, "steel", ""),
    (19.8, 1.93, "brass", ""),
    (21.3, 1.67, "steel", ""),
    (22.3, 2.14, "brass", ""),
    (24.3, 2.38, "brass", ""),
    (23.3, 2.33, "cupronickel", "brass"),
    (25.8, 2.20, "brass", "cupronickel"),
    (24.3, 1.75, "cupronickel", ""),
    (21.2, 1.95, "cupronickel", ""),
    (19.1, 1.52, "zinc", ""),
    (20.0, 1.20, "aluminium", ""),
    (28.4, 1.78, "cupronickel", ""),
)


def _coin(kind: int, thick_scale: float = 1.0) -> tuple[list[Part], float, float, str]:
    """One coin lying flat (centred): parts, diameter, thickness, name."""
    d, th, metal, centre = COINS[kind]
    th *= thick_scale
    if centre:
        parts = [
            Part(Annulus(d, d * 0.68, th), metal, np.eye(3)),
            part(Ellipse(d * 0.68, d * 0.68, th), centre),
        ]
        return parts, d, th, f"bimetallic {metal}/{centre} coin"
    return [part(Ellipse(d, d, th), metal)], d, th, f"{metal} coin"


def _slug(rng: np.random.Generator, depth: float) -> tuple[list[Part], float, float, str]:
    """A metal slug: a lead disc or bar, or a steel washer."""
    kind = pick(rng, ("lead disc", "lead bar", "washer"))
    th = float(min(rng.uniform(1.5, 4.0), depth))
    if kind == "lead disc":
        d = rng.uniform(16, 26)
        return [part(Ellipse(d, d, th), "lead")], d, th, "lead slug"
    if kind == "lead bar":
        w, h = rng.uniform(18, 30), rng.uniform(8, 14)
        return [part(Box(w, h, th, 1.0), "lead")], max(w, h), th, "lead bar"
    d = rng.uniform(16, 30)
    th = float(min(rng.uniform(1.2, 3.0), depth))
    return [Part(Annulus(d, d * rng.uniform(0.35, 0.55), th), "steel", np.eye(3))], d, th, "steel washer"


def _size(group: list[Part]) -> float:
    """The larger side (mm) of a group's bounding box."""
    return max(spans(group))


def coins(long: float, short: float, depth: float, t: float, rng: np.random.Generator) -> Built:
    """Coins or slugs: a few spread when subtle; stacks, rolls and many when obvious."""
    room = Room(long, short, depth)
    usable = [k for k, (d, th, _, _) in enumerate(COINS) if d <= min(long, short) - 0.2 and th <= depth]
    if not usable:
        usable = [min(range(len(COINS)), key=lambda k: COINS[k][0])]
    kinds = [int(rng.choice(usable)) for _ in range(int(rng.integers(1, 4)))]
    scale = min(1.0, depth / max(COINS[k][1] for k in kinds))
    slugs = rng.random() < 0.25
    target = int(np.clip(round(size(2, 40, t, rng, 0.3)), 1, 60))
    parts: list[Part] = []
    names: list[str] = []
    placed = 0
    # Rolls (coins on edge, wrapped in paper) when the room is deep enough.
    d0, th0 = COINS[kinds[0]][0], COINS[kinds[0]][1]
    if not slugs and t > 0.5 and d0 + 0.3 <= depth and rng.random() < 0.5:
        n = int(min(target * 0.6, (long - 1) // th0))
        if n >= 5:
            length = n * th0
            roll = [revolved([(0, d0 / 2), (length, d0 / 2)], [], COINS[kinds[0]][2])]
            paper = [(-0.5, d0 / 2 + 0.1), (length + 0.5, d0 / 2 + 0.1)]
            roll.append(revolved(paper, [(-0.5, d0 / 2), (length + 0.5, d0 / 2)], "paper"))
            got = room.put(roll, d0 + 0.2, rng, angles=(0.0, 90.0, 20.0, 160.0))
            if got:
                parts += got
                placed += n
                names.append(f"roll of {n} coins")
    stack_max = max(1, int(depth // (COINS[kinds[0]][1] * scale)))
    misses = 0
    while placed < target and misses < 12:
        if slugs:
            group, _, th, name = _slug(rng, depth)
            height = 1
        else:
            group, _, th, name = _coin(kinds[int(rng.integers(len(kinds)))], scale)
            height = int(min(rng.integers(1, max(2, round(1 + t * stack_max))), stack_max, target - placed))
            height = max(1, min(height, int(depth // th)))
        stack = []
        mess = float(np.clip((min(long, short) - 2 * GAP_MM - 0.1 - _size(group)) / 2, 0.0, 0.4))
        for k in range(height):  # a slightly messy stack
            dx, dy = rng.uniform(-mess, mess, 2) if k else (0.0, 0.0)
            stack += [p.moved(np.array([[1.0, 0, dx], [0, 1.0, dy], [0, 0, 1.0]])) for p in group]
        got = room.put(stack, th * height, rng, tries=40)
        if got is None:
            misses += 1
            continue
        parts += got
        placed += height
        names.append(name if height == 1 else f"stack of {height}")
    if not parts:  # a cramped room: the smallest coin, flat in the middle
        group, _, th, name = _coin(min(usable, key=lambda k: COINS[k][0]), scale)
        parts = room.put(group, th, rng, angles=(0.0,), tries=200) or []
        placed, names = len(parts) and 1, [name]
    if not parts:
        raise ValueError(f"no coin fits {long:.0f}x{short:.0f}x{depth:.1f} mm")
    what = "metal slugs" if slugs else "coins"
    return parts, f"{placed} {what}: {', '.join(names[:6])}{' ...' if len(names) > 6 else ''}", 0.0
