"""Shapes made for electronics: casings, cell rows, perforated plates, clusters of small parts.

They follow the interface of :mod:`screener_gui.synth.shapes` (``half_extent`` and ``profile``)
and exist to keep drawing cheap: one of them stands for what would otherwise be tens of parts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from screener_gui.synth.shapes import Box, Shape


def _floats(values: Iterable[float]) -> tuple[float, ...]:
    return tuple(float(x) for x in values)


def _inner_coverage(d: np.ndarray, pixel_mm: float) -> np.ndarray:
    """``clip(0.5 - d / pixel, 0, 1)`` computed in place: coverage from a signed distance."""
    d *= np.float32(-1 / pixel_mm)
    d += np.float32(0.5)
    np.clip(d, 0.0, 1.0, out=d)
    return d


class _Grid:
    """The affine map from a canvas window's (row, column) to a part's (u, v), recovered from
    the window's corner values (the canvas grid is a rigid image of the part frame)."""

    def __init__(self, u: np.ndarray, v: np.ndarray) -> None:
        rows, cols = u.shape
        self.rows, self.cols = rows, cols
        self.u0, self.v0 = float(u[0, 0]), float(v[0, 0])
        uc = (float(u[0, -1]) - self.u0) / (cols - 1) if cols > 1 else 1.0
        vc = (float(v[0, -1]) - self.v0) / (cols - 1) if cols > 1 else 0.0
        ur = (float(u[-1, 0]) - self.u0) / (rows - 1) if rows > 1 else 0.0
        vr = (float(v[-1, 0]) - self.v0) / (rows - 1) if rows > 1 else 1.0
        det = uc * vr - ur * vc
        if abs(det) < 1e-12:
            det, uc, vc, ur, vr = 1.0, 1.0, 0.0, 0.0, 1.0
        self.uc, self.vc, self.ur, self.vr, self.det = uc, vc, ur, vr, det
        # A pixel's extent along u and v: the margin kept around every box.
        self.mu, self.mv = abs(uc) + abs(ur), abs(vc) + abs(vr)

    def boxes(
        self, x: np.ndarray, y: np.ndarray, bu: np.ndarray, bv: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Pixel windows (r0, r1, c0, c1), clipped to the grid, of the part-frame boxes centred at
        (x, y) with half extents (bu, bv), a pixel of margin included."""
        cs, rs = [], []
        for su in (-1, 1):
            for sv in (-1, 1):
                du = x + su * (bu + self.mu) - self.u0
                dv = y + sv * (bv + self.mv) - self.v0
                cs.append((self.vr * du - self.ur * dv) / self.det)
                rs.append((self.uc * dv - self.vc * du) / self.det)
        c0 = np.clip(np.floor(np.min(cs, axis=0)), 0, self.cols).astype(np.int64)
        c1 = np.clip(np.ceil(np.max(cs, axis=0)) + 1, 0, self.cols).astype(np.int64)
        r0 = np.clip(np.floor(np.min(rs, axis=0)), 0, self.rows).astype(np.int64)
        r1 = np.clip(np.ceil(np.max(rs, axis=0)) + 1, 0, self.rows).astype(np.int64)
        return r0, r1, c0, c1


@dataclass(frozen=True)
class Shell(Box):
    """A casing as one part: its sheets (``thickness``, summed) and its side walls.

    The walls, ``wall`` mm wide along the rounded-rectangle rim, are seen edge-on: the beam
    crosses their full ``depth`` there, the dark rim of every casing. As a :class:`Box` it is the
    item's outline (the footprint is the same); drawing the walls with it saves the dozen strips
    that would trace the rim, and the rounded corners come out exact.
    """

    wall: float = 0.0
    depth: float = 0.0

    def profile(self, u: np.ndarray, v: np.ndarray, pixel_mm: float) -> tuple[np.ndarray, np.ndarray]:
        f32 = np.float32
        hw, hh = self.width / 2, self.height / 2
        r = min(self.radius, hw, hh)
        qu = np.abs(u)
        qu -= f32(hw - r)
        qv = np.abs(v)
        qv -= f32(hh - r)
        d = np.maximum(qu, qv)
        if r > 0:
            corner = (qu > 0) & (qv > 0)
            d[corner] = np.hypot(qu[corner], qv[corner])
            d -= f32(r)
        # The rim: where the distance to the edge is below the wall (d > -wall inside).
        rim = np.add(d, f32(self.wall), out=qu)
        rim *= f32(1 / pixel_mm)
        rim += f32(0.5)
        np.clip(rim, 0.0, 1.0, out=rim)
        rim *= f32(self.depth)
        rim += f32(self.thickness)
        return _inner_coverage(d, pixel_mm), rim


@dataclass(frozen=True)
class CellRow:
    """``count`` equal cylinders side by side: a row of cells in a pack, as one part.

    Each cylinder lies along u, ``length`` long and ``diameter`` across, a tube when ``wall``
    is not 0; their axes are ``pitch`` apart along v, centred on the part. The path is the chord
    through each cylinder, times ``share`` (the share of the volume that is this material).
    One part per material instead of one per cell: a pack of eight costs what one cell costs.
    """

    count: int
    length: float
    diameter: float
    pitch: float
    wall: float = 0.0
    share: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "count", int(self.count))
        for name in ("length", "diameter", "pitch", "wall", "share"):
            object.__setattr__(self, name, float(getattr(self, name)))

    def half_extent(self) -> tuple[float, float]:
        return self.length / 2, ((self.count - 1) * self.pitch + self.diameter) / 2

    def profile(self, u: np.ndarray, v: np.ndarray, pixel_mm: float) -> tuple[np.ndarray, np.ndarray]:
        f32 = np.float32
        r = self.diameter / 2
        # Offset from the nearest cylinder's axis.
        first = -(self.count - 1) * self.pitch / 2
        dv = np.subtract(v, f32(first))
        dv *= f32(1 / self.pitch)
        np.rint(dv, out=dv)
        np.clip(dv, 0, self.count - 1, out=dv)
        dv *= f32(-self.pitch)
        dv += v
        dv -= f32(first)
        # Coverage: inside the cylinder's outline (length along u, diameter along v).
        d = np.abs(u)
        d -= f32(self.length / 2)
        q = np.abs(dv)
        q -= f32(r)
        np.maximum(d, q, out=d)
        coverage = _inner_coverage(d, pixel_mm)
        # Chord through the cylinder, minus the bore of a tube; never below a sliver.
        dv *= dv
        # (np.clip with both bounds is much faster than np.maximum on arrays with negatives)
        chord = np.subtract(f32(r * r), dv)
        np.clip(chord, 0.0, r * r, out=chord)
        np.sqrt(chord, out=chord)
        if self.wall > 0:
            ri = max(r - self.wall, 0.0)
            bore = np.subtract(f32(ri * ri), dv, out=dv)
            np.clip(bore, 0.0, ri * ri, out=bore)
            np.sqrt(bore, out=bore)
            chord -= bore
        chord *= f32(2 * self.share)
        np.clip(chord, min(r, pixel_mm) * 0.3 * self.share, 2 * r * self.share, out=chord)
        return coverage, chord


@dataclass(frozen=True)
class Perforated:
    """A plate with a regular grid of rectangular openings (keyboard plates, grilles, fin stacks).

    The openings, ``hole`` (u, v) mm on a ``pitch`` (u, v) lattice centred on the plate, keep
    ``hole_thickness`` (0: through holes; more than ``thickness`` turns the openings into raised
    blocks). Row k of the lattice is shifted by ``k * stagger`` mm along u (keyboard rows). Only
    whole openings at least ``margin`` mm inside the plate's edge are cut.
    """

    width: float
    height: float
    thickness: float
    pitch: tuple[float, float]
    hole: tuple[float, float]
    hole_thickness: float = 0.0
    stagger: float = 0.0
    margin: float = 0.0

    def __post_init__(self) -> None:
        for name in ("width", "height", "thickness", "hole_thickness", "stagger", "margin"):
            object.__setattr__(self, name, float(getattr(self, name)))
        object.__setattr__(self, "pitch", _floats(self.pitch))
        object.__setattr__(self, "hole", _floats(self.hole))

    def half_extent(self) -> tuple[float, float]:
        return self.width / 2, self.height / 2

    def profile(self, u: np.ndarray, v: np.ndarray, pixel_mm: float) -> tuple[np.ndarray, np.ndarray]:
        # Arithmetic in place where it can be: fewer temporaries over a large window.
        f32 = np.float32
        hw, hh = self.width / 2, self.height / 2
        (pu, pv), (hu, hv) = self.pitch, self.hole
        coverage = np.abs(u)
        coverage -= f32(hw)
        q = np.abs(v)
        q -= f32(hh)
        np.maximum(coverage, q, out=coverage)
        _inner_coverage(coverage, pixel_mm)
        # Lattice rows and columns whose openings fit inside the margin.
        n_v = math.floor((hh - self.margin - hv / 2) / pv)
        reach = (hw - self.margin - hu / 2) / pu
        k_lo, k_hi = -math.floor(reach), math.floor(reach - 1 if self.stagger else reach)
        if n_v < 0 or k_hi < k_lo:
            return coverage, np.full((1, 1), self.thickness, f32)
        row = np.multiply(v, f32(1 / pv))
        np.rint(row, out=row)
        np.clip(row, -n_v, n_v, out=row)
        dv = np.multiply(row, f32(-pv))
        dv += v
        np.abs(dv, out=dv)
        dv -= f32(hv / 2)
        if self.stagger:  # each row shifted by a multiple of the stagger, modulo the pitch
            row *= f32(self.stagger)
            # row modulo the pitch (np.remainder is many times slower than this)
            k = np.multiply(row, f32(1 / pu))
            np.floor(k, out=k)
            k *= f32(-pu)
            row += k
            uu = np.subtract(u, row, out=row)
        else:
            uu = u
        du = np.multiply(uu, f32(1 / pu))
        np.rint(du, out=du)
        np.clip(du, k_lo, k_hi, out=du)
        du *= f32(-pu)
        du += uu
        np.abs(du, out=du)
        du -= f32(hu / 2)
        np.maximum(du, dv, out=du)
        opening = _inner_coverage(du, pixel_mm)
        thickness = np.multiply(opening, f32(self.hole_thickness - self.thickness))
        thickness += f32(self.thickness)
        return coverage, thickness


_KINDS = {"r": 0, "e": 1, "o": 2, "f": 3, "c": 4, "s": 5}
Member = tuple[str, float, float, float, float, float, float, float]


@dataclass(frozen=True)
class Cluster:
    """Many small pieces of one material as one part.

    ``members`` are ``(kind, x, y, width, height, thickness, angle_deg, extra)`` in the cluster
    frame, plain Python numbers:

    - ``"r"`` a rectangle; ``"e"`` an ellipse (a disc when width = height);
    - ``"o"`` a ring of outer diameter ``width`` and inner diameter ``height``;
    - ``"f"`` a rectangular rim ``extra`` mm wide (a shield can's walls seen edge-on);
    - ``"c"`` a cylinder lying along its u axis, ``width`` long and ``height`` across, a tube
      when ``extra`` (its wall) is not 0, its chord scaled by ``thickness``;
    - ``"s"`` a screw: head of diameter ``width`` and ``thickness``, shaft of diameter
      ``height`` and length ``extra`` along the beam.

    A part of its own costs the canvas ~100 µs however small it is. A cluster evaluates all its
    members together, each only over its own few pixels (found from the affine map between the
    canvas window and the part frame): a few passes over the cluster's bounding window plus
    a fraction of a µs per member pixel. Overlapping members add up exactly except at their
    anti-aliased edges.
    """

    members: tuple[Member, ...]
    _arrays: dict[str, np.ndarray] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_arrays", None)

    @property
    def _m(self) -> dict[str, np.ndarray]:
        """The members as arrays (built on first use)."""
        if self._arrays is None:
            values = np.array([m[1:] for m in self.members], np.float64).reshape(-1, 7)
            x, y, w, h, t, angle, extra = values.T
            kind = np.array([_KINDS[m[0]] for m in self.members], np.int8)
            a = np.deg2rad(angle)
            ca, sa = np.cos(a), np.sin(a)
            # Half extents of each member's bounding box in the cluster frame.
            hw = w / 2
            hh = np.where((kind == _KINDS["o"]) | (kind == _KINDS["s"]), w / 2, h / 2)
            bu, bv = np.abs(ca) * hw + np.abs(sa) * hh, np.abs(sa) * hw + np.abs(ca) * hh
            arrays = {"kind": kind, "x": x, "y": y, "w": w, "h": h, "t": t, "extra": extra}
            arrays |= {"ca": ca, "sa": sa, "bu": bu, "bv": bv}
            arrays |= {k + "32": v.astype(np.float32) for k, v in list(arrays.items())}
            object.__setattr__(self, "_arrays", arrays)
        return self._arrays

    def half_extent(self) -> tuple[float, float]:
        m = self._m
        if not len(m["x"]):
            return 0.0, 0.0
        return float(np.max(np.abs(m["x"]) + m["bu"])), float(np.max(np.abs(m["y"]) + m["bv"]))

    def flipped_v(self) -> Cluster:
        """The cluster mirrored about its u axis (what :func:`mirror_x` needs)."""
        return Cluster(tuple((k, x, -y, w, h, t, -a, e) for k, x, y, w, h, t, a, e in self.members))

    def profile(self, u: np.ndarray, v: np.ndarray, pixel_mm: float) -> tuple[np.ndarray, np.ndarray]:
        rows, cols = u.shape
        acc = np.zeros(rows * cols, np.float32)
        cov = np.zeros(rows * cols, np.float32)
        m = self._m
        r0, r1, c0, c1 = _Grid(u, v).boxes(m["x"], m["y"], m["bu"], m["bv"])
        # Every pixel of every member's box, listed once (no padding): its window index and member.
        heights, widths = np.maximum(r1 - r0, 0), np.maximum(c1 - c0, 0)
        areas = heights * widths
        owner = np.repeat(np.arange(len(areas)), areas)
        if len(owner):
            k = np.arange(len(owner)) - np.repeat(np.cumsum(areas) - areas, areas)
            w_of = widths[owner]
            index = (r0[owner] + k // w_of) * cols + c0[owner] + k % w_of
            us, vs = u.reshape(-1).take(index), v.reshape(-1).take(index)
            kinds = m["kind"]
            present = np.unique(kinds[areas > 0])
            for kind in present.tolist():
                sel = np.flatnonzero(kinds.take(owner) == kind) if len(present) > 1 else slice(None)
                d, path = self._coverage(kind, owner[sel], us[sel], vs[sel], pixel_mm)
                np.maximum.at(cov, index[sel], d)
                np.add.at(acc, index[sel], path)
            # Path = coverage x thickness: the thickness is the summed path over the largest coverage.
            np.clip(cov, 1e-6, 1.0, out=cov)
            acc /= cov
        return cov.reshape(rows, cols), acc.reshape(rows, cols)

    def _coverage(
        self, kind: int, owner: np.ndarray, us: np.ndarray, vs: np.ndarray, pixel_mm: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """(coverage, path length) at the given pixels, each belonging to member ``owner``."""
        f32 = np.float32
        m = self._m

        def param(name: str) -> np.ndarray:
            return m[name + "32"].take(owner)

        du = us - param("x")
        dv = vs - param("y")
        if np.any(m["sa"] != 0):
            ca, sa = param("ca"), param("sa")
            du, dv = du * ca + dv * sa, dv * ca - du * sa
        w, h, t = param("w"), param("h"), param("t")
        w *= f32(0.5)
        h *= f32(0.5)
        hole = None  # signed distance to the hole of a ring or rim
        if kind in (_KINDS["r"], _KINDS["f"], _KINDS["c"]):
            if kind == _KINDS["c"]:
                # Chord through the cylinder (minus the bore of a tube), never below a sliver.
                chord = np.maximum(h * h - dv * dv, 0)
                np.sqrt(chord, out=chord)
                wall = param("extra")
                ri = np.maximum(h - wall, 0)
                bore = np.maximum(ri * ri - dv * dv, 0)
                np.sqrt(bore, out=bore)
                bore *= wall > 0
                chord -= bore
                chord *= 2
                t *= np.maximum(chord, np.minimum(h, f32(pixel_mm)) * f32(0.3))
            np.abs(du, out=du)
            np.abs(dv, out=dv)
            if kind == _KINDS["f"]:
                rim = param("extra")
                hole = np.maximum(du - (w - rim), dv - (h - rim))
            du -= w
            dv -= h
            d = np.maximum(du, dv, out=du)
        else:
            b = h if kind == _KINDS["e"] else w
            du /= w
            dv /= b
            r = np.multiply(du, du, out=du)
            r += np.multiply(dv, dv, out=dv)
            np.sqrt(r, out=r)
            if kind in (_KINDS["o"], _KINDS["s"]):
                hole = (r * (w / h) - f32(1.0)) * h  # distance to the inner circle
            d = r - f32(1.0)
            d *= np.minimum(w, b)
        d = _inner_coverage(d, pixel_mm)
        if kind == _KINDS["s"]:
            # A screw: the head's path plus the shaft's length where the shaft is.
            return d, d * t + _inner_coverage(hole, pixel_mm) * param("extra")
        if hole is not None:
            d -= _inner_coverage(hole, pixel_mm)
        return d, d * t


@dataclass(frozen=True)
class Scaled:
    """A shape with its thickness multiplied by ``factor`` (one constituent of a mixed volume)."""

    shape: Shape
    factor: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "factor", float(self.factor))

    def half_extent(self) -> tuple[float, float]:
        return self.shape.half_extent()

    def profile(self, u: np.ndarray, v: np.ndarray, pixel_mm: float) -> tuple[np.ndarray, np.ndarray]:
        coverage, thickness = self.shape.profile(u, v, pixel_mm)
        return coverage, thickness * np.float32(self.factor)


@dataclass(frozen=True)
class Annulus:
    """A ring seen face-on, ``outer`` and ``inner`` diameters (mm), ``thickness`` along the beam.

    The same footprint as a fully rounded :class:`~screener_gui.synth.shapes.Frame` at a
    fraction of the cost, and exact for walls thinner than a pixel.
    """

    outer: float
    inner: float
    thickness: float

    def __post_init__(self) -> None:
        for name in ("outer", "inner", "thickness"):
            object.__setattr__(self, name, float(getattr(self, name)))

    def half_extent(self) -> tuple[float, float]:
        return self.outer / 2, self.outer / 2

    def profile(self, u: np.ndarray, v: np.ndarray, pixel_mm: float) -> tuple[np.ndarray, np.ndarray]:
        r = np.multiply(u, u)
        r += np.multiply(v, v)
        np.sqrt(r, out=r)  # np.hypot guards against overflow and is much slower
        hole = r - np.float32(self.inner / 2)
        r -= np.float32(self.outer / 2)
        coverage = _inner_coverage(r, pixel_mm)
        coverage -= _inner_coverage(hole, pixel_mm)
        return coverage, np.full((1, 1), self.thickness, np.float32)


@dataclass(frozen=True)
class Stud:
    """A screw standing along the beam as a part of its own: head disc and a longer shaft."""

    head: float  # diameter (mm)
    head_thickness: float
    shaft: float  # diameter (mm)
    length: float  # shaft length along the beam (mm)

    def __post_init__(self) -> None:
        for name in ("head", "head_thickness", "shaft", "length"):
            object.__setattr__(self, name, float(getattr(self, name)))

    def half_extent(self) -> tuple[float, float]:
        return self.head / 2, self.head / 2

    def profile(self, u: np.ndarray, v: np.ndarray, pixel_mm: float) -> tuple[np.ndarray, np.ndarray]:
        r = np.hypot(u, v)
        coverage = np.clip(0.5 - (r - self.head / 2) / pixel_mm, 0.0, 1.0)
        shaft = np.clip(0.5 - (r - self.shaft / 2) / pixel_mm, 0.0, 1.0)
        # Path = coverage x head + shaft coverage x length, returned as coverage x thickness.
        thickness = self.head_thickness + shaft * (self.length / np.maximum(coverage, 1e-3))
        return coverage, thickness


def ring_shape(outer: float, inner: float, depth: float) -> Annulus:
    """The shape of :func:`ring`."""
    return Annulus(outer, inner, depth)
