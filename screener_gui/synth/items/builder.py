"""Collecting an item's parts: a :class:`Builder` merges small pieces into clusters; slots; mirroring."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import numpy as np

from screener_gui.synth.canvas import Part, part
from screener_gui.synth.item import Cavity, Item, Slot
from screener_gui.synth.items.item_shapes import Cluster, Member, Scaled, Stud, ring_shape
from screener_gui.synth.shapes import Box, Cylinder, Ellipse, Frame, Polygon, Shape

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

    A component that can be emptied and refilled (a battery's cells, a drive bay) is collected
    in a :meth:`slot` of its own: its pieces are never merged with the rest of the item.
    """

    def __init__(self) -> None:
        self._parts: list[Part] = []
        self._members: dict[str, list[Member]] = {}
        self._slots: list[Slot] = []

    @contextmanager
    def slot(self, name: str) -> Iterator[SlotBuilder]:
        """Collects a removable component's insides into a :class:`Slot` of this item.

        Everything added to the yielded builder becomes the slot's parts (clustered among
        themselves only); set its ``room`` (and add its ``cores``) before the block ends::

            with b.slot("battery_cells") as s:
                s.cores += c.pouch_pack(s, x, y, width, height, thickness)
                s.room = s.bounds(thickness)

        Raises:
            ValueError: When the block ends without a room, or without parts.
        """
        s = SlotBuilder(name)
        yield s
        self.add_slot(s.to_slot())

    def add_slot(self, slot: Slot) -> None:
        """Adds a finished slot (e.g. a part's own slot, moved into this item's frame)."""
        self._slots.append(slot)

    def slots(self) -> list[Slot]:
        """The slots collected so far."""
        return list(self._slots)

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


class SlotBuilder(Builder):
    """A :class:`Builder` for a slot's insides, with the slot's room and refillable cores.

    Attributes:
        name: The slot's name.
        room: The free volume once the insides are out; None until set.
        cores: Volumes refillable in place (item frame, original material).
    """

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.room: Cavity | None = None
        self.cores: list[Part] = []

    def bounds(self, depth_mm: float, margin_mm: float = 0.0) -> Cavity:
        """An axis-aligned room around everything collected so far, ``depth_mm`` deep."""
        x0, y0, x1, y1 = parts_bounds(self.parts())
        m = margin_mm
        return Cavity((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0 + 2 * m, y1 - y0 + 2 * m, round(depth_mm, 2))

    def to_slot(self) -> Slot:
        """The finished slot."""
        parts = self.parts()
        if self.room is None or not parts or self._slots:
            raise ValueError(f"slot {self.name!r} needs parts and a room (and holds no slots)")
        return Slot(self.name, tuple(parts), self.room, tuple(self.cores))


def parts_bounds(parts: Iterable[Part]) -> tuple[float, float, float, float]:
    """The axis-aligned box (x0, y0, x1, y1) around the parts (their polygons or bounding boxes, mm)."""
    xs, ys = [], []
    for p in parts:
        if isinstance(p.shape, Polygon):
            u, v = np.array(p.shape.points, float).T
        else:
            hw, hh = p.shape.half_extent()
            u, v = np.array([-hw, hw, hw, -hw]), np.array([-hh, -hh, hh, hh])
        corners = p.transform @ np.vstack([u, v, np.ones_like(u)])
        xs += corners[0].tolist()
        ys += corners[1].tolist()
    return min(xs), min(ys), max(xs), max(ys)


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


def mirror_slot(slot: Slot) -> Slot:
    """A slot reflected about the item's y axis: its parts, room and cores."""
    parts, cores = tuple(mirror_x(slot.parts)), tuple(mirror_x(slot.cores))
    return Slot(slot.name, parts, mirror_cavity(slot.room), cores)


def move_cavity(cavity: Cavity, transform: np.ndarray) -> Cavity:
    """A cavity expressed in the frame ``transform`` (a rigid pose) maps its frame into."""
    x, y = (transform @ np.array([cavity.x_mm, cavity.y_mm, 1.0]))[:2]
    angle = cavity.angle_deg + float(np.rad2deg(np.arctan2(transform[1, 0], transform[0, 0])))
    return Cavity(float(x), float(y), cavity.width_mm, cavity.height_mm, cavity.depth_mm, angle)


def move_slot(slot: Slot, transform: np.ndarray) -> Slot:
    """A slot expressed in the frame ``transform`` (a rigid pose) maps its frame into."""
    parts = tuple(p.moved(transform) for p in slot.parts)
    cores = tuple(p.moved(transform) for p in slot.cores)
    return Slot(slot.name, parts, move_cavity(slot.room, transform), cores)


def finish(
    category: str,
    outline: Part,
    b: Builder,
    cavities: list[Cavity],
    rng: np.random.Generator | None = None,
) -> Item:
    """The item from what ``b`` collected; mirrored left to right half the time if ``rng`` is given."""
    parts, slots = b.parts(), b.slots()
    if rng is not None and rng.random() < 0.5:
        parts, slots = mirror_x(parts), [mirror_slot(s) for s in slots]
        cavities = [mirror_cavity(k) for k in cavities]
    return Item(category, outline, tuple(parts), tuple(cavities), tuple(slots))


def cavity_between(
    x0: float, y0: float, x1: float, y1: float, depth_mm: float, *, min_side_mm: float = 12.0
) -> Cavity | None:
    """An axis-aligned cavity spanning the rectangle (x0, y0)–(x1, y1), or None when too thin."""
    w, h = abs(x1 - x0), abs(y1 - y0)
    if min(w, h) < min_side_mm or depth_mm < 1.0:
        return None
    return Cavity((x0 + x1) / 2, (y0 + y1) / 2, w, h, depth_mm)
