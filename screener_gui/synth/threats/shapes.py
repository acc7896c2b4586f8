"""Shapes the threat builders need beyond :mod:`screener_gui.synth.shapes` (all in mm).

They follow the same interface (``half_extent`` and ``profile``): a footprint with anti-aliased
coverage and the path length along the beam at each point of the part's own frame.

- :class:`Outline`: any polygon, concave and with holes, optionally ground to a sharp edge.
- :class:`Revolved`: a solid or hollow body of revolution lying along u (barrels, cartridges).
- :class:`Spring`: a helical coil spring lying along u, seen from the side.
- :class:`Tube`: a round wire or tube following a polyline (leg wires, cable bundles).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Point = tuple[float, float]
Ring = tuple[Point, ...]


def _cover(d: np.ndarray, pixel_mm: float) -> np.ndarray:
    """Fraction of a pixel inside from the signed distance (mm, negative inside)."""
    return np.clip(0.5 - d * np.float32(1 / pixel_mm), 0.0, 1.0)


def _segments(u: np.ndarray, v: np.ndarray, ring: Ring, closed: bool):
    """Yield (squared distance to each segment, crossing flag) of a polyline, one per edge."""
    f32 = np.float32
    n = len(ring)
    for i in range(n if closed else n - 1):
        (x0, y0), (x1, y1) = ring[i], ring[(i + 1) % n]
        ex, ey = x1 - x0, y1 - y0
        length2 = ex * ex + ey * ey
        wx, wy = u - f32(x0), v - f32(y0)
        if length2 > 0:
            s = wx * f32(ex / length2) + wy * f32(ey / length2)
            np.clip(s, 0.0, 1.0, out=s)
            dx, dy = wx - s * f32(ex), wy - s * f32(ey)
        else:
            dx, dy = wx, wy
        d2 = dx * dx + dy * dy
        cross = None
        if closed and ey != 0:
            # Even-odd rule: does a ray from the point towards +u cross this edge?
            cross = (v < y0) != (v < y1)
            cross &= u < f32(x0) + wy * f32(ex / ey)
        yield i, d2, cross


def _floats(ring) -> Ring:
    return tuple((float(x), float(y)) for x, y in ring)


@dataclass(frozen=True)
class Outline:
    """A flat slab with any polygonal outline: ``rings[0]`` is the outline, further rings holes.

    Concave outlines and holes follow the even-odd rule. With ``bevel`` > 0 the thickness falls
    from ``thickness`` to ``thickness * edge`` towards the edges listed in ``sharp`` (indices
    of ``rings[0]``'s edges, edge i running from point i to point i+1), reaching full
    thickness ``bevel`` mm from them: a blade's grind, or a handle's rounded sides.
    """

    rings: tuple[Ring, ...]
    thickness: float
    sharp: tuple[int, ...] = ()
    bevel: float = 0.0
    edge: float = 0.1

    def __post_init__(self) -> None:
        object.__setattr__(self, "rings", tuple(_floats(r) for r in self.rings))
        object.__setattr__(self, "sharp", tuple(int(i) for i in self.sharp))
        for name in ("thickness", "bevel", "edge"):
            object.__setattr__(self, name, float(getattr(self, name)))

    def half_extent(self) -> tuple[float, float]:
        pts = np.asarray(self.rings[0])
        return float(np.abs(pts[:, 0]).max()), float(np.abs(pts[:, 1]).max())

    def profile(self, u: np.ndarray, v: np.ndarray, pixel_mm: float) -> tuple[np.ndarray, np.ndarray]:
        inside = np.zeros(u.shape, bool)
        d2 = np.full(u.shape, np.inf, np.float32)
        graded = self.bevel > 0 and bool(self.sharp)
        s2 = np.full(u.shape, np.inf, np.float32) if graded else None
        sharp = set(self.sharp)
        for k, ring in enumerate(self.rings):
            for i, dd, cross in _segments(u, v, ring, closed=True):
                np.minimum(d2, dd, out=d2)
                if s2 is not None and k == 0 and i in sharp:
                    np.minimum(s2, dd, out=s2)
                if cross is not None:
                    inside ^= cross
        d = np.sqrt(d2)
        d[inside] *= -1
        coverage = _cover(d, pixel_mm)
        if s2 is None:
            return coverage, np.full((1, 1), self.thickness, np.float32)
        share = np.sqrt(s2)
        share *= np.float32((1 - self.edge) / self.bevel)
        np.clip(share, 0.0, 1 - self.edge, out=share)
        share += np.float32(self.edge)
        return coverage, share * np.float32(self.thickness)


@dataclass(frozen=True)
class Revolved:
    """A body of revolution lying along u: ``outer`` gives its radius along the axis as (u, r)
    points (u ascending), ``bore`` the radius of its hollow (none when empty). The path is the
    chord through the solid, minus the chord through the bore."""

    outer: Ring
    bore: Ring = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "outer", _floats(self.outer))
        object.__setattr__(self, "bore", _floats(self.bore))

    def half_extent(self) -> tuple[float, float]:
        us, rs = zip(*self.outer, strict=True)
        return max(abs(us[0]), abs(us[-1])), max(rs)

    def profile(self, u: np.ndarray, v: np.ndarray, pixel_mm: float) -> tuple[np.ndarray, np.ndarray]:
        f32 = np.float32
        us, rs = (np.asarray(a, float) for a in zip(*self.outer, strict=True))
        r = np.interp(u, us, rs).astype(f32)
        d = np.abs(v) - r
        np.maximum(d, f32(us[0]) - u, out=d)
        np.maximum(d, u - f32(us[-1]), out=d)
        v2 = v * v
        chord = np.sqrt(np.clip(r * r - v2, 0.0, None))
        if self.bore:
            # Pixels partly past an end take the section at that end (an open mouth stays open).
            uc = np.clip(u, us[0], us[-1])
            bu, br = (np.asarray(a, float) for a in zip(*self.bore, strict=True))
            rb = np.interp(uc, bu, br, left=0.0, right=0.0).astype(f32)
            chord -= np.sqrt(np.clip(rb * rb - v2, 0.0, None))
        chord *= 2
        # Never thinner than a sliver at the very edge (as the base Cylinder).
        np.maximum(chord, f32(min(float(rs.max()), pixel_mm) * 0.3), out=chord)
        return _cover(d, pixel_mm), chord


@dataclass(frozen=True)
class Spring:
    """A helical spring lying along u: ``length`` and outer ``diameter`` (mm), ``wire`` diameter,
    ``turns`` along the length. Seen from the side its wire traces a sinusoid; where the wire
    turns along the beam (at the sides of the coil) the path is longest."""

    length: float
    diameter: float
    wire: float
    turns: float

    def __post_init__(self) -> None:
        for name in ("length", "diameter", "wire", "turns"):
            object.__setattr__(self, name, float(getattr(self, name)))

    def half_extent(self) -> tuple[float, float]:
        return self.length / 2, self.diameter / 2

    def profile(self, u: np.ndarray, v: np.ndarray, pixel_mm: float) -> tuple[np.ndarray, np.ndarray]:
        f32 = np.float32
        radius = (self.diameter - self.wire) / 2
        pitch = self.length / self.turns
        outside = np.maximum(np.abs(u) - f32(self.length / 2), np.abs(v) - f32(self.diameter / 2))
        if pitch < 2 * self.wire:
            # Close-wound: a tube one wire thick, filled to the wire's share of it.
            ro, ri = self.diameter / 2, self.diameter / 2 - self.wire
            v2 = v * v
            shell = np.sqrt(np.clip(f32(ro * ro) - v2, 0.0, None))
            shell -= np.sqrt(np.clip(f32(ri * ri) - v2, 0.0, None))
            fill = np.pi * self.wire / (4 * pitch)
            return _cover(outside, pixel_mm), shell * f32(2 * min(fill, 1.0))
        k = 2 * np.pi / pitch
        theta = (u + f32(self.length / 2)) * f32(k)
        slope = np.sin(theta) * f32(radius * k)
        d = np.abs(v - np.cos(theta) * f32(radius)) / np.sqrt(1 + slope * slope) - f32(self.wire / 2)
        np.maximum(d, outside, out=d)
        # Where the wire turns along the beam (|v| near the radius) its chord grows: 1/sqrt(1 - tz^2)
        # with tz the wire direction's share along the beam, taken from v (smooth across the wire).
        along = np.clip(v * f32(1 / radius), -1.0, 1.0) * f32(radius / np.hypot(pitch / (2 * np.pi), radius))
        stretch = 1 / np.sqrt(np.clip(1 - along * along, 1e-4, 1.0))
        cap = 2 * np.sqrt(radius * self.wire + self.wire**2 / 4)
        path = np.minimum(stretch * f32(self.wire), f32(cap))
        return _cover(d, pixel_mm), path


@dataclass(frozen=True)
class Tube:
    """A round wire (``wall`` 0) or tube of ``diameter`` following the polyline ``points``."""

    points: Ring
    diameter: float
    wall: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", _floats(self.points))
        object.__setattr__(self, "diameter", float(self.diameter))
        object.__setattr__(self, "wall", float(self.wall))

    def half_extent(self) -> tuple[float, float]:
        pts = np.asarray(self.points)
        r = self.diameter / 2
        return float(np.abs(pts[:, 0]).max()) + r, float(np.abs(pts[:, 1]).max()) + r

    def profile(self, u: np.ndarray, v: np.ndarray, pixel_mm: float) -> tuple[np.ndarray, np.ndarray]:
        f32 = np.float32
        r = self.diameter / 2
        d2 = np.full(u.shape, np.inf, f32)
        for _, dd, _ in _segments(u, v, self.points, closed=False):
            np.minimum(d2, dd, out=d2)
        chord = np.sqrt(np.clip(f32(r * r) - d2, 0.0, None))
        if self.wall > 0:
            ri = max(r - self.wall, 0.0)
            chord -= np.sqrt(np.clip(f32(ri * ri) - d2, 0.0, None))
        chord *= 2
        np.maximum(chord, f32(min(r, pixel_mm) * 0.3), out=chord)
        return _cover(np.sqrt(d2) - f32(r), pixel_mm), chord
