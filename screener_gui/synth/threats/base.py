"""What the threat builders share: the room's minimum, sizes, centred parts and a height map.

Every builder works in a local frame centred on the room (u along its long side, mm) and keeps
two promises: each part's bounding rectangle lies inside the room, and the summed path length of
the parts nowhere exceeds the room's depth. Groups of parts are built around their own centre,
then placed with :class:`Room`, which tracks how much height is already used where.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from screener_gui.synth.canvas import Part, footprint_box, pose
from screener_gui.synth.threats.shapes import Outline, Revolved, Tube

Built = tuple[list[Part], str, float]
"""What a builder returns: parts (room frame), a description, the largest turn allowed (deg)."""
Builder = Callable[[float, float, float, float, np.random.Generator], Built]

GAP_MM = 0.05
"""Clearance kept between a group and the room's edges (mm)."""


@dataclass(frozen=True)
class MinSize:
    """Smallest room a kind needs: long and short side of the footprint, depth (mm)."""

    long_mm: float
    short_mm: float
    depth_mm: float


def size(small: float, large: float, t: float, rng: np.random.Generator, jitter: float = 0.12) -> float:
    """A size between ``small`` (t = 0) and ``large`` (t = 1), jittered by ±``jitter``."""
    return float((small + (large - small) * t) * rng.uniform(1 - jitter, 1 + jitter))


def pick(rng: np.random.Generator, options: Sequence[str], weights: Sequence[float] | None = None) -> str:
    """One of ``options`` (as a plain str), with optional relative ``weights``."""
    p = None if weights is None else np.asarray(weights, float) / float(np.sum(weights))
    return str(options[int(rng.choice(len(options), p=p))])


def bezier(p0: tuple[float, float], c: tuple[float, float], p1: tuple[float, float], n: int = 8):
    """``n`` + 1 points of the quadratic Bézier curve from ``p0`` over ``c`` to ``p1``."""
    s = np.linspace(0.0, 1.0, n + 1)[:, None]
    pts = (1 - s) ** 2 * np.asarray(p0) + 2 * s * (1 - s) * np.asarray(c) + s**2 * np.asarray(p1)
    return [(float(x), float(y)) for x, y in pts]


def circle(x: float, y: float, d: float, n: int = 16) -> list[tuple[float, float]]:
    """An ``n``-gon around the ``d`` mm circle at (x, y): a hole that a disc of ``d`` fills."""
    a = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    r = d / 2 / np.cos(np.pi / n)
    return [(float(x + r * np.cos(k)), float(y + r * np.sin(k))) for k in a]


def rect(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    """The rectangle between two corners as a counter-clockwise ring."""
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def inset(points: Sequence[tuple[float, float]], d: float) -> list[tuple[float, float]]:
    """A (mostly convex) polygon with its edges moved ``d`` mm inwards."""
    pts = np.asarray(points, float)
    n = len(pts)
    sign = 1.0 if _area(pts) > 0 else -1.0
    starts, dirs = [], []
    for i in range(n):
        e = pts[(i + 1) % n] - pts[i]
        normal = np.array([-e[1], e[0]]) * sign / max(float(np.hypot(*e)), 1e-9)  # inward
        starts.append(pts[i] + normal * d)
        dirs.append(e)
    out = []
    for i in range(n):
        p, e, q, f = starts[i - 1], dirs[i - 1], starts[i], dirs[i]
        det = e[0] * f[1] - e[1] * f[0]
        if abs(det) < 1e-9:
            out.append((float(q[0]), float(q[1])))
            continue
        s = ((q[0] - p[0]) * f[1] - (q[1] - p[1]) * f[0]) / det
        out.append((float(p[0] + s * e[0]), float(p[1] + s * e[1])))
    return out


def _area(pts: np.ndarray) -> float:
    x, y = pts[:, 0], pts[:, 1]
    return float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y) / 2)


def outline(rings: Iterable[Sequence[tuple[float, float]]], thickness: float, material: str, **kw) -> Part:
    """An :class:`Outline` part whose rings keep their coordinates (shape centred on its box)."""
    rings = [np.asarray(r, float) for r in rings]
    lo, hi = rings[0].min(axis=0), rings[0].max(axis=0)
    c = (lo + hi) / 2
    shape = Outline(tuple(tuple(map(tuple, r - c)) for r in rings), thickness, **kw)
    return Part(shape, material, pose(float(c[0]), float(c[1])))


def revolved(outer, bore, material: str, x: float = 0.0, y: float = 0.0, angle: float = 0.0) -> Part:
    """A :class:`Revolved` part with its axis from (x, y) along ``angle`` (profile u from 0)."""
    u0, u1 = outer[0][0], outer[-1][0]
    c = (u0 + u1) / 2
    shape = Revolved(tuple((u - c, r) for u, r in outer), tuple((u - c, r) for u, r in bore))
    return Part(shape, material, pose(x, y, angle) @ pose(c, 0.0))


def tube(points: Sequence[tuple[float, float]], diameter: float, material: str, wall: float = 0.0) -> Part:
    """A :class:`Tube` part along ``points`` (shape centred on its box)."""
    pts = np.asarray(points, float)
    c = (pts.min(axis=0) + pts.max(axis=0)) / 2
    return Part(Tube(tuple(map(tuple, pts - c)), diameter, wall), material, pose(float(c[0]), float(c[1])))


def wire(points: Sequence[tuple[float, float]], core: float, outer: float, core_mat: str = "copper"):
    """An insulated wire: its copper core and PVC sheath along the same polyline."""
    return [tube(points, core, core_mat), tube(points, outer, "pvc", wall=(outer - core) / 2)]


def moved(parts: Iterable[Part], matrix: np.ndarray) -> list[Part]:
    """The parts with ``matrix`` applied (a pose, possibly mirrored)."""
    return [p.moved(matrix) for p in parts]


def centred(parts: Iterable[Part], flip_u: bool = False, flip_v: bool = False) -> list[Part]:
    """The parts moved (and mirrored) so that their bounding box is centred on the origin."""
    mirror = np.diag([-1.0 if flip_u else 1.0, -1.0 if flip_v else 1.0, 1.0])
    parts = moved(parts, mirror)
    u0, v0, u1, v1 = footprint_box(parts)
    return moved(parts, pose(-(u0 + u1) / 2, -(v0 + v1) / 2))


def spans(parts: Iterable[Part]) -> tuple[float, float]:
    """Width and height (mm) of the parts' bounding box."""
    u0, v0, u1, v1 = footprint_box(parts)
    return u1 - u0, v1 - v0


def fit_long(parts: list[Part], long: float, short: float) -> list[Part] | None:
    """Centred parts turned so their longer side runs along u, or None when they do not fit."""
    parts = centred(parts)
    w, h = spans(parts)
    if h > w:
        parts, (w, h) = centred(moved(parts, pose(0.0, 0.0, 90.0))), (h, w)
    ok = w <= long - 2 * GAP_MM and h <= short - 2 * GAP_MM
    return parts if ok else None


class Room:
    """The room's footprint as a grid of cells holding the height (mm) used there so far.

    A group is placed with its bounding rectangle (grown by a cell) clear of the room's edges and
    with its envelope thickness on top of what lies there below the depth; placed groups may thus
    overlap only where their stacked envelopes still fit.
    """

    def __init__(self, long: float, short: float, depth: float, cell: float = 0.5) -> None:
        self.long, self.short, self.depth, self.cell = long, short, depth, cell
        nu, nv = max(math.ceil(long / cell), 1), max(math.ceil(short / cell), 1)
        self.height = np.zeros((nv, nu))
        self.us = (np.arange(nu) + 0.5) * cell - long / 2
        self.vs = (np.arange(nv) + 0.5) * cell - short / 2

    def _mask(self, x: float, y: float, w: float, h: float, angle: float) -> np.ndarray:
        a = np.deg2rad(angle)
        du, dv = self.us[None, :] - x, self.vs[:, None] - y
        pu, pv = du * np.cos(a) + dv * np.sin(a), -du * np.sin(a) + dv * np.cos(a)
        pad = self.cell
        return (np.abs(pu) <= w / 2 + pad) & (np.abs(pv) <= h / 2 + pad)

    def place(
        self,
        w: float,
        h: float,
        thick: float,
        rng: np.random.Generator,
        angles: Sequence[float] | None = None,
        tries: int = 60,
    ) -> tuple[float, float, float] | None:
        """A free pose (x, y, angle) for a ``w`` x ``h`` rectangle ``thick`` mm high, or None.

        Angles come from ``angles`` (any angle when None); the pose is marked as used.
        """
        if thick > self.depth:
            return None
        for k in range(tries):
            angle = float(rng.uniform(0, 180)) if angles is None else float(angles[k % len(angles)])
            a = np.deg2rad(angle)
            eu = abs(np.cos(a)) * w / 2 + abs(np.sin(a)) * h / 2
            ev = abs(np.sin(a)) * w / 2 + abs(np.cos(a)) * h / 2
            free_u, free_v = self.long / 2 - GAP_MM - eu, self.short / 2 - GAP_MM - ev
            if free_u < 0 or free_v < 0:
                continue
            x, y = float(rng.uniform(-free_u, free_u)), float(rng.uniform(-free_v, free_v))
            mask = self._mask(x, y, w, h, angle)
            if not mask.any() or self.height[mask].max() + thick <= self.depth + 1e-9:
                self.height[mask] += thick
                return x, y, angle
        return None

    def put(
        self,
        parts: list[Part],
        thick: float,
        rng: np.random.Generator,
        angles: Sequence[float] | None = None,
        tries: int = 60,
    ) -> list[Part] | None:
        """The group of ``parts`` (any frame) placed at a free pose, or None when none is found."""
        parts = centred(parts)
        w, h = spans(parts)
        spot = self.place(w, h, thick, rng, angles, tries)
        return None if spot is None else moved(parts, pose(*spot))
