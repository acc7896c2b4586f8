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

import numpy as np

from screener_gui.synth.canvas import Part, part
from screener_gui.synth.items.builder import Builder
from screener_gui.synth.items.item_shapes import CellRow, ring_shape
from screener_gui.synth.shapes import Box

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


def roll_diameter(size: tuple[float, float] = CELL_18650) -> float:
    """Diameter (mm) of a cylindrical cell's jelly roll: the free height inside its emptied can."""
    return size[1] - 2 * CAN_MM - 0.2


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
    roll_d = roll_diameter(size)
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
    rolls: Builder | None = None,
) -> list[Part]:
    """``count`` cylindrical cells side by side (axes ``pitch`` apart), lying along ``angle_deg``
    and alternating in direction, as in every pack: the parts of :func:`cell_into` for the whole
    row, one :class:`CellRow` per material. The caps sit at alternate ends.

    Args:
        rolls: Where the jelly rolls go (a slot's builder: the cells can be emptied and
            refilled) when not ``b``; the steel cans and caps always go to ``b``.

    Returns:
        Each cell's roll as drawn in ``li_ion_cell`` (its own part, the same path): a slot's
        refillable cores. The rolls' copper foils are drawn apart (one row for all cells).
    """
    length, diameter = size
    roll_d = roll_diameter(size)
    core = roll_d / 2 - 1.6
    roll = (count, length - 3.0, roll_d, pitch, core)
    inside = b if rolls is None else rolls
    inside.add(CellRow(*roll, 1 - FOIL_SHARE), "li_ion_cell", x, y, angle_deg)
    inside.add(CellRow(*roll, FOIL_SHARE), "copper", x, y, angle_deg)
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
    a = math.radians(angle_deg)
    one = CellRow(1, *roll[1:], 1 - FOIL_SHARE)
    across = (np.arange(count) - (count - 1) / 2) * pitch
    return [
        part(one, "li_ion_cell", x - k * math.sin(a), y + k * math.cos(a), angle_deg) for k in across.tolist()
    ]


def pouch_pack(
    b: Builder,
    x: float,
    y: float,
    width: float,
    height: float,
    thickness: float,
    cells: int = 1,
    gap: float = 3.0,
) -> list[Part]:
    """Flat lithium-polymer pouch cells side by side along x, filling ``width`` x ``height``.

    Each cell is an electrode stack (``li_ion_cell``) in an aluminium-laminate pouch with a
    ~3 mm sealed rim. The stacks' copper foils (:data:`FOIL_SHARE` of the thickness) are one
    copper sheet over the whole pack (one part instead of one per cell).

    Returns:
        The electrode stacks' parts (``li_ion_cell``): a slot's refillable cores when the pack
        is a slot's. The copper sheet of their foils is drawn apart.
    """
    cell_w = (width - gap * (cells - 1)) / cells
    stacks = []
    for k in range(cells):
        cx = x - width / 2 + cell_w / 2 + k * (cell_w + gap)
        stacks.append(part(Box(cell_w, height, thickness, 2.0), "li_ion_cell", cx, y))
    b.extend(stacks)
    b.add(Box(width - 2.0, height - 5.0, FOIL_SHARE * thickness, 1.5), "copper", x, y + 1.5)
    return stacks


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
