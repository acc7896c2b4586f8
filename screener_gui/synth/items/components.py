"""Building blocks shared by the item builders: shells, cells, screws, boards, chips, ports (mm).

Sizes and thicknesses are those of real parts; a thickness is always the path length along
the beam for an item lying flat on the belt. The look of an item in the scan comes from the
physics of these materials and thicknesses, so every part is given the metal it really has
(steel support plates and shield cans, copper planes and foils, solder, magnets) and no more.

Drawing cost: the canvas spends ~100 µs on every part, however small, plus a few ns per pixel
of its bounding window (the rotated bounding box on a rotated item). Builders therefore put
their parts in a :class:`Builder`: large layers are parts of their own, while the many small
pieces of each material (screws, packages, solder, shield cans, passives) are merged into one
:class:`Cluster` per material, which costs about what one large part costs whatever the number
of pieces. Regular structure (a keyboard plate's hole grid) is one :class:`Perforated` plate.
Layers of one material that cover the same area are merged into one part (the physics only
sees summed path lengths), and each item keeps to a dozen or so materials.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from screener_gui.synth.canvas import Part, part
from screener_gui.synth.item import Cavity
from screener_gui.synth.shapes import Box, Cylinder, Ellipse, Frame, Shape

# Mirror x in the item frame and v in the part frame: an exact mirror image for shapes that are
# symmetric about their u axis (all the shapes used here), with a proper rotation left over.
_MIRROR_X = np.diag([-1.0, 1.0, 1.0])
_MIRROR_V = np.diag([1.0, -1.0, 1.0])

CELL_18650 = (65.0, 18.4)
"""Length and diameter (mm) of an 18650 lithium-ion cell."""
CELL_21700 = (70.0, 21.2)

CAN_MM = 0.25
"""Wall of a cylindrical cell's nickel-plated steel can (mm)."""
FOIL_SHARE = 0.035
"""Copper share of an electrode stack's thickness: ~25 anode foils of 8–10 µm per 6 mm of cell.

The ``li_ion_cell`` material (graphite, NMC cathode, electrolyte) leaves the foils out; they are
a good part of what makes real cells read so dense, so every cell gets them as copper.
"""

# Longest piece of a strip (mm). The canvas evaluates each part over its axis-aligned bounding
# window, which for a long thin part on a rotated item is mostly empty; each extra piece costs
# a fixed overhead instead. ~140 mm balances the two for items up to 420 mm.
_MAX_STRIP_MM = 140.0

_MIN_CLUSTER = 12
"""Fewest small pieces of one material worth a cluster (fewer are drawn as parts)."""
_MAX_MEMBER_MM = 30.0
"""Largest side of a cluster member (mm); larger pieces are parts (cheaper per pixel)."""


# --- Shapes --------------------------------------------------------------------------------


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


# --- Collecting parts ----------------------------------------------------------------------


class Builder:
    """Collects an item's parts: shapes placed as parts, small pieces merged per material.

    ``add`` places a shape as a part of its own (large layers, and anything that is not one of
    the cluster's kinds). ``rect``, ``rects``, ``disc``, ``ring``, ``rim``, ``cylinder`` and
    ``screw`` add a member to the :class:`Cluster` of their material; :meth:`parts` draws
    members larger than :data:`_MAX_MEMBER_MM`, and materials with fewer than
    :data:`_MIN_CLUSTER` members, as parts of their own instead.
    """

    def __init__(self) -> None:
        self._parts: list[Part] = []
        self._members: dict[str, list[Member]] = {}

    def add(self, shape: Shape, material: str, x: float = 0.0, y: float = 0.0, angle: float = 0.0) -> None:
        self._parts.append(part(shape, material, x, y, angle))

    def extend(self, parts: Iterable[Part]) -> None:
        self._parts.extend(parts)

    def _member(self, material: str, kind: str, *values: float) -> None:
        self._members.setdefault(material, []).append((kind, *map(float, values)))

    def rect(
        self,
        material: str,
        x: float,
        y: float,
        width: float,
        height: float,
        thickness: float,
        angle: float = 0.0,
    ) -> None:
        self._member(material, "r", x, y, width, height, thickness, angle, 0.0)

    def rects(
        self,
        material: str,
        xs: list[float],
        ys: list[float],
        widths: list[float],
        heights: list[float],
        thickness: float,
        angles: list[float],
    ) -> None:
        """Many rectangles of one thickness at once (lists of plain floats)."""
        self._members.setdefault(material, []).extend(
            ("r", x, y, w, h, thickness, a, 0.0)
            for x, y, w, h, a in zip(xs, ys, widths, heights, angles, strict=True)
        )

    def disc(self, material: str, x: float, y: float, diameter: float, thickness: float) -> None:
        self._member(material, "e", x, y, diameter, diameter, thickness, 0.0, 0.0)

    def ring(self, material: str, x: float, y: float, outer: float, inner: float, thickness: float) -> None:
        self._member(material, "o", x, y, outer, inner, thickness, 0.0, 0.0)

    def rim(
        self,
        material: str,
        x: float,
        y: float,
        width: float,
        height: float,
        wall: float,
        depth: float,
        angle: float = 0.0,
    ) -> None:
        """The walls of a rectangular can or shell, ``wall`` wide and ``depth`` deep, seen edge-on."""
        self._member(material, "f", x, y, width, height, depth, angle, wall)

    def cylinder(
        self,
        material: str,
        x: float,
        y: float,
        length: float,
        diameter: float,
        angle: float = 0.0,
        *,
        wall: float = 0.0,
        share: float = 1.0,
    ) -> None:
        """A cylinder lying along ``angle``, a tube when ``wall`` > 0; ``share`` of it is this material."""
        self._member(material, "c", x, y, length, diameter, share, angle, wall)

    def screw(
        self, x: float, y: float, head: float, head_thickness: float, shaft: float, length: float
    ) -> None:
        self._member("steel", "s", x, y, head, shaft, head_thickness, 0.0, length)

    def parts(self) -> list[Part]:
        """Everything collected: the parts, then one cluster per material (or its members as parts)."""
        out = list(self._parts)
        for material, members in self._members.items():
            small = [m for m in members if max(m[3], m[4]) <= _MAX_MEMBER_MM]
            if len(small) < _MIN_CLUSTER:
                small = []
            large = [m for m in members if max(m[3], m[4]) > _MAX_MEMBER_MM] if small else members
            out += [part(_member_shape(m), material, m[1], m[2], m[6]) for m in large]
            if small:
                # Centred on its members: the canvas window is symmetric about the part's origin.
                x = [m[1] for m in small]
                y = [m[2] for m in small]
                reach = [max(m[3], m[4]) * 0.71 for m in small]  # half diagonal at most
                cx = (min(map(float.__sub__, x, reach)) + max(map(float.__add__, x, reach))) / 2
                cy = (min(map(float.__sub__, y, reach)) + max(map(float.__add__, y, reach))) / 2
                moved = tuple((k, mx - cx, my - cy, *rest) for k, mx, my, *rest in small)
                out.append(part(Cluster(moved), material, cx, cy))
        return out


def _member_shape(member: Member) -> Shape:
    """The shape a cluster member stands for, to draw it as a part of its own."""
    kind, _, _, w, h, t, _, extra = member
    if kind == "r":
        return Box(w, h, t)
    if kind == "e":
        return Ellipse(w, h, t)
    if kind == "o":
        return ring_shape(w, h, t)
    if kind == "f":
        return Frame(w, h, extra, t)
    if kind == "s":
        return Stud(w, t, h, extra)
    cylinder = Cylinder(w, h, wall=extra)
    return cylinder if t == 1.0 else Scaled(cylinder, t)


def mirror_x(parts: list[Part] | tuple[Part, ...]) -> list[Part]:
    """The parts reflected about the item's y axis (left becomes right)."""
    out = []
    for p in parts:
        shape = p.shape.flipped_v() if isinstance(p.shape, Cluster) else p.shape
        out.append(Part(shape, p.material, _MIRROR_X @ p.transform @ _MIRROR_V))
    return out


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


# --- Structure -----------------------------------------------------------------------------


def strip(
    b: Builder, x0: float, y0: float, x1: float, y1: float, width: float, thickness: float, material: str
) -> None:
    """A straight slab strip from (x0, y0) to (x1, y1), ``width`` across, in short abutting pieces.

    Pieces abut exactly, and their anti-aliased ends add up to full coverage at the joints.
    """
    length = float(np.hypot(x1 - x0, y1 - y0))
    if length <= 0:
        return
    n = max(math.ceil(length / _MAX_STRIP_MM), 1)
    angle = float(np.rad2deg(np.arctan2(y1 - y0, x1 - x0)))
    shape = Box(length / n, width, thickness)
    for k in range(n):
        t = (k + 0.5) / n
        b.add(shape, material, x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, angle)


def rod(
    b: Builder, x0: float, y0: float, x1: float, y1: float, diameter: float, material: str, wall: float = 0.0
) -> None:
    """A straight cylinder (pipe, cable, rail) from (x0, y0) to (x1, y1)."""
    length = float(np.hypot(x1 - x0, y1 - y0))
    if length > 0:
        angle = float(np.rad2deg(np.arctan2(y1 - y0, x1 - x0)))
        b.cylinder(material, (x0 + x1) / 2, (y0 + y1) / 2, length, diameter, angle, wall=wall)


def cable(b: Builder, points: list[tuple[float, float]], diameter: float, copper_share: float = 0.3) -> None:
    """A round cable along a polyline: its copper (conductors and braid merged into one strand).

    Only the copper is drawn: the thin jacket hardly shows over a casing.
    """
    core = diameter * math.sqrt(copper_share)
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        rod(b, x0, y0, x1, y1, core, "copper")


def ring(x: float, y: float, outer: float, inner: float, depth: float, material: str) -> Part:
    """An annulus seen face-on (a lens barrel, a mount, a coil): a fully rounded frame."""
    return part(ring_shape(outer, inner, depth), material, x, y)


def ring_shape(outer: float, inner: float, depth: float) -> Annulus:
    """The shape of :func:`ring`."""
    return Annulus(outer, inner, depth)


def screw(b: Builder, x: float, y: float, diameter: float = 2.0, length: float = 4.0) -> None:
    """A screw standing along the beam: its head (twice the shaft's diameter, ~0.6 d thick) and
    its shaft seen end-on, the darkest small dots of every device."""
    b.screw(x, y, diameter * 2.0, 0.6 * diameter + 0.2, diameter, length)


def screws_around(
    b: Builder,
    half_w: float,
    half_h: float,
    rng: np.random.Generator,
    count: int,
    diameter: float,
    length: float,
) -> None:
    """``count`` screws spread along the inside of a rectangle's edge (mm from the centre)."""
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
        screw(b, x, y, diameter, length)


# --- Batteries -----------------------------------------------------------------------------


def cell_into(
    b: Builder,
    x: float,
    y: float,
    angle_deg: float,
    size: tuple[float, float] = CELL_18650,
    *,
    cap: bool = True,
) -> None:
    """A cylindrical Li-ion cell lying on the belt: jelly roll in a nickel-plated steel can.

    The roll (its copper foils included, :data:`FOIL_SHARE`) has a hollow core, the light line
    along real cells; the 0.25 mm steel can is densest along its edges, seen edge-on. ``cap``
    adds the positive cap assembly (vent disc, PTC, cap), a dense bar across one end.
    """
    length, diameter = size
    roll_d = diameter - 2 * CAN_MM - 0.2
    a = math.radians(angle_deg)
    ca, sa = math.cos(a), math.sin(a)
    rx, ry = x - 0.5 * ca, y - 0.5 * sa  # the roll sits towards the can's bottom
    core = roll_d / 2 - 1.6
    b.cylinder("li_ion_cell", rx, ry, length - 3.0, roll_d, angle_deg, wall=core, share=1 - FOIL_SHARE)
    b.cylinder("copper", rx, ry, length - 3.0, roll_d, angle_deg, wall=core, share=FOIL_SHARE)
    b.cylinder("steel", x, y, length, diameter, angle_deg, wall=CAN_MM)
    if cap:
        off = length / 2 - 1.5
        b.cylinder("steel", x + off * ca, y + off * sa, 2.0, diameter * 0.8, angle_deg, wall=0.8)


def cylindrical_cell(
    x: float, y: float, angle_deg: float, size: tuple[float, float] = CELL_18650, *, cap: bool = True
) -> list[Part]:
    """The parts of one cylindrical cell (see :func:`cell_into`); their summed path length never
    exceeds the cell's diameter."""
    b = Builder()
    cell_into(b, x, y, angle_deg, size, cap=cap)
    return b.parts()


def cell_row(
    b: Builder,
    x: float,
    y: float,
    angle_deg: float,
    count: int,
    pitch: float,
    size: tuple[float, float] = CELL_18650,
    *,
    caps: bool = True,
) -> None:
    """``count`` cylindrical cells side by side (axes ``pitch`` apart), lying along ``angle_deg``
    and alternating in direction, as in every pack: the parts of :func:`cell_into` for the whole
    row, one :class:`CellRow` per material. The caps sit at alternate ends."""
    length, diameter = size
    roll_d = diameter - 2 * CAN_MM - 0.2
    core = roll_d / 2 - 1.6
    roll = (count, length - 3.0, roll_d, pitch, core)
    b.add(CellRow(*roll, 1 - FOIL_SHARE), "li_ion_cell", x, y, angle_deg)
    b.add(CellRow(*roll, FOIL_SHARE), "copper", x, y, angle_deg)
    b.add(CellRow(count, length, diameter, pitch, CAN_MM), "steel", x, y, angle_deg)
    if caps:
        a = math.radians(angle_deg)
        ca, sa = math.cos(a), math.sin(a)
        off = length / 2 - 1.5
        for k in range(count):
            along = off if k % 2 else -off
            across = (k - (count - 1) / 2) * pitch
            b.cylinder(
                "steel",
                x + along * ca - across * sa,
                y + along * sa + across * ca,
                2.0,
                diameter * 0.8,
                angle_deg,
                wall=0.8,
            )


def pouch_pack(
    b: Builder,
    x: float,
    y: float,
    width: float,
    height: float,
    thickness: float,
    cells: int = 1,
    gap: float = 3.0,
) -> None:
    """Flat lithium-polymer pouch cells side by side along x, filling ``width`` x ``height``.

    Each cell is an electrode stack (``li_ion_cell``) in an aluminium-laminate pouch with a
    ~3 mm sealed rim. The stacks' copper foils (:data:`FOIL_SHARE` of the thickness) are one
    copper sheet over the whole pack (one part instead of one per cell).
    """
    cell_w = (width - gap * (cells - 1)) / cells
    for k in range(cells):
        cx = x - width / 2 + cell_w / 2 + k * (cell_w + gap)
        b.add(Box(cell_w, height, thickness, 2.0), "li_ion_cell", cx, y)
    b.add(Box(width - 2.0, height - 5.0, FOIL_SHARE * thickness, 1.5), "copper", x, y + 1.5)


# --- Electronics ---------------------------------------------------------------------------


def circuit_board(
    b: Builder,
    x: float,
    y: float,
    width: float,
    height: float,
    thickness: float = 1.2,
    copper_mm: float = 0.12,
) -> None:
    """A printed circuit board: FR4 with its copper layers merged into one sheet.

    ``copper_mm`` is the summed copper of all layers: 4–10 layers of 18–35 µm, planes nearly
    full and signal layers ~30 % covered, give 0.06–0.25 mm.
    """
    b.add(Box(width, height, thickness, 2.0), "fr4", x, y)
    b.add(Box(width - 1.0, height - 1.0, copper_mm, 1.5), "copper", x, y)


def chip(
    b: Builder,
    x: float,
    y: float,
    width: float,
    height: float,
    *,
    die: float = 0.5,
    bga: bool = True,
    angle: float = 0.0,
) -> None:
    """An IC package: moulding or substrate, silicon die, solder or leadframe.

    ``die`` is the die's share of the package side. BGA balls (0.3–0.45 mm on a 0.5–0.8 mm
    pitch) hold ~0.1 mm of solder per unit area, far below the pixel: one tin sheet under the
    package. Leaded and QFN packages have a copper leadframe and exposed pad instead. The
    moulding is epoxy with 70–90 % silica filler, drawn as 0.5 mm of silicon over the package
    (organic substrates of large packages are left to :func:`processor`).
    """
    if max(width, height) < 8.0:  # small packages: one block on its solder
        b.rect("silicon", x, y, width, height, 1.0, angle)
        b.rect("tin", x, y, width + 0.4, height + 0.4, 0.05, angle)
        return
    if max(width, height) < 16.0:  # memory and flash packages: die and moulding averaged
        b.rect("silicon", x, y, width, height, 0.5 + 0.7 * die * die, angle)
    else:
        b.rect("silicon", x, y, width, height, 0.5, angle)
        b.rect("silicon", x, y, width * die, height * die, 0.7, angle)
    if bga:
        b.rect("tin", x, y, width - 1.0, height - 1.0, 0.1, angle)
    else:
        b.rect("copper", x, y, width * die + 1.5, height * die + 1.5, 0.25, angle)


def processor(b: Builder, x: float, y: float, width: float, height: float, die: float = 0.45) -> None:
    """A large flip-chip BGA (CPU, GPU, chipset): organic substrate, bare die, solder balls."""
    b.add(Box(width, height, 1.0, 0.5), "fr4", x, y)
    b.add(Box(width * die, height * die, 0.75), "silicon", x, y)
    b.add(Box(width - 1.0, height - 1.0, 0.1), "tin", x, y)


def shield_can(b: Builder, x: float, y: float, width: float, height: float, depth: float = 1.6) -> None:
    """An EMI shield can over part of a board: a 0.2 mm tinned-steel lid, its walls edge-on."""
    b.rect("steel", x, y, width, height, 0.2)
    b.rim("steel", x, y, width, height, 0.3, depth)


def passives(
    b: Builder,
    x: float,
    y: float,
    width: float,
    height: float,
    rng: np.random.Generator,
    count: int = 12,
    angle: float = 0.0,
) -> None:
    """A field of small passives (MLCCs, resistors) scattered in a ``width`` x ``height`` patch.

    0402 to 1206 parts: what shows of them is their nickel-barrier, tin-plated terminations and
    the solder joints, dense specks ~0.15 mm thick (the ceramic bodies hardly show).
    """
    ca, sa = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    lu = (rng.random(count) - 0.5) * width
    lv = (rng.random(count) - 0.5) * height
    sizes = np.array([1.0, 1.6, 2.0, 3.2])[rng.integers(0, 4, count)]
    turns = angle + 90.0 * rng.integers(0, 2, count)
    b.rects(
        "tin",
        (x + lu * ca - lv * sa).tolist(),
        (y + lu * sa + lv * ca).tolist(),
        (sizes + 0.4).tolist(),
        (sizes / 2 + 0.2).tolist(),
        0.15,
        turns.tolist(),
    )


def inductor(b: Builder, x: float, y: float, side: float = 7.0, height: float = 4.0) -> None:
    """A power inductor: a ferrite body moulded around its coil, a dark square (the coil's few
    tenths of a mm of copper are left out)."""
    b.rect("ferrite", x, y, side, side, height)


def port(b: Builder, x: float, y: float, angle_deg: float, kind: str) -> None:
    """A connector at a side wall: ``usb_a``, ``usb_c``, ``hdmi``, ``micro_usb``, ``rj45``, ``jack``.

    In the part frame u runs into the item (the connector's depth), v across its opening.
    Metal shells are two sheets (top and bottom) and side walls seen edge-on; the contacts
    (phosphor bronze, a few tenths of a mm) are merged into the sheets.
    """
    dims = {  # width across the opening, depth into the item, shell height (mm)
        "usb_a": (12.5, 14.0, 4.5),
        "usb_c": (8.9, 7.5, 3.2),
        "hdmi": (15.0, 11.0, 5.5),
        "micro_usb": (7.5, 5.5, 2.6),
        "rj45": (16.0, 21.0, 13.0),
    }
    if kind == "jack":
        b.rect("polyester", x, y, 12.0, 7.0, 6.0, angle_deg)
        b.rect("copper", x, y, 6.0, 1.2, 4.0, angle_deg)
        return
    w, d, h = dims[kind]
    b.rect("steel", x, y, d, w, 1.0, angle_deg)  # the contacts merged into the sheets
    b.rim("steel", x, y, d, w, 0.4, h, angle_deg)


def speaker(b: Builder, x: float, y: float, width: float, height: float, depth: float, magnet: str) -> None:
    """A micro speaker: plastic (LCP) enclosure and its magnet (the thin steel pole plate and
    the coil are left out)."""
    m = min(width, height) * 0.45
    b.rect("polyester", x, y, width, height, min(depth, 3.0))
    b.rect(magnet, x, y, m, m, min(depth * 0.4, 3.0) + 0.3)


def fan(b: Builder, x: float, y: float, diameter: float, depth: float, rng: np.random.Generator) -> None:
    """A blower fan: housing plates, plastic impeller, motor.

    The housing is aluminium sheet or plastic; the impeller's blades, seen end-on, make a denser
    ring around its hub; the motor is a steel rotor cup with its ring magnet.
    """
    box = diameter + 6.0
    housing = "aluminium" if rng.random() < 0.5 else "polyester"
    b.add(Box(box, box, 0.6 if housing == "aluminium" else 1.6, 6.0), housing, x, y)
    b.add(ring_shape(diameter - 1, diameter * 0.62, depth * 0.3), "polyester", x, y)
    b.ring("neodymium_magnet", x, y, diameter * 0.38, diameter * 0.3, 2.5)
    b.disc("steel", x, y, diameter * 0.4, 1.6)


def heat_pipe(b: Builder, x0: float, y0: float, x1: float, y1: float, diameter: float = 6.0) -> None:
    """A copper heat pipe: 0.5 mm of wall and sintered wick, its sides denser seen edge-on."""
    rod(b, x0, y0, x1, y1, diameter, "copper", wall=0.5)


def magnet_bar(
    b: Builder, x: float, y: float, width: float, height: float, thickness: float, angle: float = 0.0
) -> None:
    """A neodymium magnet bar (cover magnets, speaker and camera motors)."""
    b.rect("neodymium_magnet", x, y, width, height, thickness, angle)
