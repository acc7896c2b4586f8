"""Footprints with thickness profiles, evaluated in a part's own coordinates (mm).

Every shape answers two questions for points ``(u, v)`` of its local frame: how much of
the pixel it covers (``coverage``, 0–1, anti-aliased over one pixel) and how thick it is
there along the beam (``thickness``, mm). The canvas multiplies the two and adds the
result into the path length of the shape's material.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class _Plain:
    """Stores numeric fields as Python numbers.

    Builders pass NumPy scalars from random draws; a float64 scalar would silently promote
    the float32 pixel grids to float64 and double the cost of every shape.
    """

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if isinstance(value, np.generic):
                object.__setattr__(self, name, value.item())
            elif name == "points":
                object.__setattr__(self, name, tuple((float(x), float(y)) for x, y in value))
            elif name == "taper" and value is not None:
                object.__setattr__(self, name, tuple(float(x) for x in value))


def _coverage(signed_distance: np.ndarray, pixel_mm: float) -> np.ndarray:
    """Fraction of a pixel inside a shape from the signed distance (mm, negative inside)."""
    return np.clip(0.5 - signed_distance / pixel_mm, 0.0, 1.0)


def _box_distance(u: np.ndarray, v: np.ndarray, half_w: float, half_h: float, radius: float) -> np.ndarray:
    qu = np.abs(u)
    qu -= half_w - radius
    qv = np.abs(v)
    qv -= half_h - radius
    # Exact inside and along the sides; the Euclidean corner distance matters only for rounded
    # corners (a square corner's pixel coverage is within a few % either way).
    d = np.maximum(qu, qv)
    if radius > 0:
        corner = (qu > 0) & (qv > 0)
        d[corner] = np.hypot(qu[corner], qv[corner])
        d -= radius
    return d


def _ellipse(u: np.ndarray, v: np.ndarray, width: float, height: float, pixel_mm: float):
    """(coverage, squared normalised radius) of an ellipse ``width`` x ``height`` centred at 0."""
    a, b = width / 2, height / 2
    k2 = (u / a) ** 2 + (v / b) ** 2
    return _coverage((np.sqrt(k2) - 1) * min(a, b), pixel_mm), k2


@dataclass(frozen=True)
class Box(_Plain):
    """Rectangular slab ``width`` x ``height`` (mm, along u / v), ``thickness`` mm, rounded corners."""

    width: float
    height: float
    thickness: float
    radius: float = 0.0

    def half_extent(self) -> tuple[float, float]:
        return self.width / 2, self.height / 2

    def profile(self, u: np.ndarray, v: np.ndarray, pixel_mm: float) -> tuple[np.ndarray, np.ndarray]:
        r = min(self.radius, self.width / 2, self.height / 2)
        d = _box_distance(u, v, self.width / 2, self.height / 2, r)
        return _coverage(d, pixel_mm), np.full_like(u, self.thickness)


@dataclass(frozen=True)
class Frame(_Plain):
    """Rectangular rim: the side walls of a box-shaped shell seen from above.

    The outer footprint is ``width`` x ``height``; the wall is ``wall`` mm wide and the beam
    crosses ``depth`` mm of it (the height of the side wall).
    """

    width: float
    height: float
    wall: float
    depth: float
    radius: float = 0.0

    def half_extent(self) -> tuple[float, float]:
        return self.width / 2, self.height / 2

    def profile(self, u: np.ndarray, v: np.ndarray, pixel_mm: float) -> tuple[np.ndarray, np.ndarray]:
        r = min(self.radius, self.width / 2, self.height / 2)
        outer = _box_distance(u, v, self.width / 2, self.height / 2, r)
        w, h = self.width / 2 - self.wall, self.height / 2 - self.wall
        inner = _box_distance(u, v, w, h, max(r - self.wall, 0))
        d = np.maximum(outer, -inner)
        return _coverage(d, pixel_mm), np.full_like(u, self.depth)


@dataclass(frozen=True)
class Ellipse(_Plain):
    """Elliptic slab (a coin, a disc, a button cell lying flat)."""

    width: float
    height: float
    thickness: float

    def half_extent(self) -> tuple[float, float]:
        return self.width / 2, self.height / 2

    def profile(self, u: np.ndarray, v: np.ndarray, pixel_mm: float) -> tuple[np.ndarray, np.ndarray]:
        coverage, _ = _ellipse(u, v, self.width, self.height, pixel_mm)
        return coverage, np.full_like(u, self.thickness)


@dataclass(frozen=True)
class Ellipsoid(Ellipse):
    """Blob: an ellipsoid ``width`` x ``height`` x ``thickness`` (mm), thickest in the middle."""

    def profile(self, u: np.ndarray, v: np.ndarray, pixel_mm: float) -> tuple[np.ndarray, np.ndarray]:
        coverage, k2 = _ellipse(u, v, self.width, self.height, pixel_mm)
        return coverage, self.thickness * np.sqrt(np.clip(1 - k2, 0.02, 1))


@dataclass(frozen=True)
class Cylinder(_Plain):
    """Solid or hollow cylinder lying on the belt along u: a cell, a pipe, a cable, a bottle.

    ``wall`` of 0 means solid; otherwise a tube with that wall (mm). ``length`` is along u.
    """

    length: float
    diameter: float
    wall: float = 0.0

    def half_extent(self) -> tuple[float, float]:
        return self.length / 2, self.diameter / 2

    def profile(self, u: np.ndarray, v: np.ndarray, pixel_mm: float) -> tuple[np.ndarray, np.ndarray]:
        r = self.diameter / 2
        d = np.maximum(np.abs(u) - self.length / 2, np.abs(v) - r)
        chord = 2 * np.sqrt(np.clip(r * r - v * v, 0, None))
        if self.wall > 0:
            ri = max(r - self.wall, 0.0)
            chord = chord - 2 * np.sqrt(np.clip(ri * ri - v * v, 0, None))
        # Never thinner than a tenth of a pixel's worth of wall at the very edge.
        return _coverage(d, pixel_mm), np.maximum(chord, min(r, pixel_mm) * 0.3)


@dataclass(frozen=True)
class Polygon(_Plain):
    """Convex polygon slab with an optional linear taper (a knife blade's wedge section).

    ``points`` are (u, v) vertices in mm, counter-clockwise or clockwise. With ``taper``,
    thickness falls linearly from ``thickness`` at v = ``taper[0]`` to ``thickness * taper[2]``
    at v = ``taper[1]``.
    """

    points: tuple[tuple[float, float], ...]
    thickness: float
    taper: tuple[float, float, float] | None = None

    def half_extent(self) -> tuple[float, float]:
        pts = np.asarray(self.points)
        return float(np.abs(pts[:, 0]).max()), float(np.abs(pts[:, 1]).max())

    def profile(self, u: np.ndarray, v: np.ndarray, pixel_mm: float) -> tuple[np.ndarray, np.ndarray]:
        pts = np.asarray(self.points, float)
        centre = pts.mean(axis=0)
        d = np.full(u.shape, -np.inf, np.float32)
        for (x0, y0), (x1, y1) in zip(pts, np.roll(pts, -1, axis=0), strict=True):
            nx, ny = y1 - y0, x0 - x1
            norm = np.hypot(nx, ny)
            if norm == 0:
                continue
            nx, ny = float(nx / norm), float(ny / norm)
            # Orient each edge normal outwards.
            if (centre[0] - x0) * nx + (centre[1] - y0) * ny > 0:
                nx, ny = -nx, -ny
            d = np.maximum(d, u * nx + v * ny - float(x0 * nx + y0 * ny))
        thickness = np.full_like(u, self.thickness)
        if self.taper is not None:
            v0, v1, end_share = self.taper
            t = np.clip((v - v0) / (v1 - v0), 0, 1)
            thickness = self.thickness * (1 - t * (1 - end_share))
        return _coverage(d, pixel_mm), thickness


@dataclass(frozen=True)
class Textured(_Plain):
    """Any shape with its thickness modulated by smooth random texture (cloth folds, powder).

    ``amplitude`` is the relative variation; ``scale_mm`` the size of the folds; ``seed``
    picks the pattern so that the same part always looks the same.
    """

    shape: Box | Ellipse | Ellipsoid | Polygon
    amplitude: float
    scale_mm: float
    seed: int

    def half_extent(self) -> tuple[float, float]:
        return self.shape.half_extent()

    def profile(self, u: np.ndarray, v: np.ndarray, pixel_mm: float) -> tuple[np.ndarray, np.ndarray]:
        coverage, thickness = self.shape.profile(u, v, pixel_mm)
        rng = np.random.default_rng(self.seed)
        waves = np.zeros_like(u)
        # A few random plane waves: cheap, smooth, seamless, deterministic.
        for _ in range(5):
            angle = rng.uniform(0, np.pi)
            k = 2 * np.pi / (self.scale_mm * rng.uniform(0.6, 1.6))
            # Python floats keep the arithmetic in float32 (NumPy scalars would promote it).
            ku, kv = float(k * np.cos(angle)), float(k * np.sin(angle))
            phase = float(rng.uniform(0, 2 * np.pi))
            waves += np.sin(u * ku + v * kv + phase)
        factor = np.clip(1 + float(self.amplitude / np.sqrt(5 / 2)) * waves, 0.05, None)
        return coverage, thickness * factor


Shape = Box | Frame | Ellipse | Ellipsoid | Cylinder | Polygon | Textured
