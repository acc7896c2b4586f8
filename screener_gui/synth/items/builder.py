"""Collecting an item's parts: a :class:`Builder` merges small pieces into clusters; mirroring."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from screener_gui.synth.canvas import Part, part
from screener_gui.synth.item import Cavity
from screener_gui.synth.items.item_shapes import Cluster, Member, Scaled, Stud, ring_shape
from screener_gui.synth.shapes import Box, Cylinder, Ellipse, Frame, Shape

# Mirror x in the item frame and v in the part frame: an exact mirror image for shapes that are
# symmetric about their u axis (all the shapes used here), with a proper rotation left over.
_MIRROR_X = np.diag([-1.0, 1.0, 1.0])
_MIRROR_V = np.diag([1.0, -1.0, 1.0])

_MIN_CLUSTER = 12
"""Fewest small pieces of one material worth a cluster (fewer are drawn as parts)."""
_MAX_MEMBER_MM = 30.0
"""Largest side of a cluster member (mm); larger pieces are parts (cheaper per pixel)."""


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
