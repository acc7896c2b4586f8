"""Threat image projection: random foreign objects added to items' raw dual-energy data in training.

Why: the generator hides a fixed family of templates (refilled cells, plates, blades, wires…). A
detector that learns only those learns the templates, and real threats are other shapes. Scanners'
own training mode (TIP, threat image projection) solves the same problem by projecting threat
images into real bags; here the threats are drawn at random: blobs, plates, blades, wires,
clusters of small parts, frames and rings, of metals, ceramics and organics, flat, domed or
wedged, at any angle and size, some assembled from several materials (a body with a handle of
another material, small metal parts inside it) — so what the network can learn is "something that
does not belong to this item", not a shape.

Physics, as a scanner sees it: the object's own transmission per channel comes from the scanner
model (polychromatic Beer–Lambert over its thickness map, blurred like the detector); it
multiplies the item's transmissions (projection's usual approximation; beam hardening through
both is ignored), and the photon noise the object would have added is added. Both the window and
its copy with the object are rendered with the same colour table. The object's pixels are
anomalous when their mean CIEDE2000 colour change reaches ``min_delta_e``, ignored when fainter,
and the one-pixel ring around them is ignored (its edge is blurred).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage
from skimage.color import deltaE_ciede2000, rgb2lab

from screener_gui.core.false_colour import render_dual_energy
from screener_gui.core.physics import Scanner, default_scanner
from screener_gui.core.training.item_cache import IGNORE

MIN_PIXELS = 12
"""An object clipped to fewer item pixels than this is drawn again."""
_PASTE_PX = 4  # the colours change this far around the object (the colour table smooths by 1 px)
_SQUARE = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]])  # corners of a box, scaled by half sides
_RENDER_PX = 8  # rendered this far around it, so the pasted part is free of border effects

# (material, thinnest mm, thickest mm): thickness is drawn log-uniform in that range.
MATERIALS: dict[str, tuple[tuple[str, float, float], ...]] = {
    "metal": (
        ("steel", 0.3, 6.0),
        ("stainless", 0.3, 5.0),
        ("copper", 0.2, 4.0),
        ("brass", 0.3, 5.0),
        ("aluminium", 1.0, 15.0),
        ("titanium", 0.5, 8.0),
        ("lead", 0.2, 3.0),
        ("zinc", 0.5, 6.0),
        ("tin", 0.3, 4.0),
        ("nickel", 0.2, 3.0),
    ),
    "inorganic": (
        ("ceramic", 1.0, 10.0),
        ("zirconia", 0.5, 6.0),
        ("glass", 1.0, 10.0),
        ("lead_azide", 0.5, 4.0),
        ("black_powder", 2.0, 20.0),
    ),
    "organic": (
        ("plastic_explosive", 2.0, 30.0),
        ("sheet_explosive", 1.0, 8.0),
        ("petn", 2.0, 25.0),
        ("tnt", 2.0, 30.0),
        ("powder", 3.0, 40.0),
        ("water", 4.0, 40.0),
        ("gel", 4.0, 40.0),
        ("rubber", 2.0, 15.0),
        ("pom", 2.0, 20.0),
        ("gf_nylon", 2.0, 15.0),
        ("marzipan", 3.0, 30.0),
    ),
}
GROUP_SHARES = {"metal": 0.45, "inorganic": 0.2, "organic": 0.35}
SHAPES = ("blob", "plate", "blade", "wire", "cluster", "frame", "ring")


@dataclass(frozen=True)
class Projected:
    """One window with an object projected into it.

    Attributes:
        rgb: The false colour with the object, uint8 (S, S, 3).
        target: 1 on the object's pixels, :data:`IGNORE` on its ring (and on the object when
            fainter than the cut), the input target elsewhere.
        delta_e: The object's mean colour change.
        shape, material: What was drawn.
    """

    rgb: np.ndarray
    target: np.ndarray
    delta_e: float
    shape: str
    material: str


def _rotate(points: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return points @ np.array([[c, s], [-s, c]])


def _polygon(draw: ImageDraw.ImageDraw, points: np.ndarray, centre: np.ndarray, angle: float) -> None:
    xy = _rotate(points, angle) + centre
    draw.polygon([(float(x), float(y)) for x, y in xy], fill=255)


def _draw_shape(shape: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """A bool mask (size, size) of one random ``shape`` centred in it (pixels of 0.8 mm)."""
    image = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(image)
    centre, angle = np.array([size / 2, size / 2]), float(rng.uniform(0, np.pi))
    half = size / 2 - 2
    if shape == "blob":
        n = int(rng.integers(5, 13))
        radius = rng.uniform(3, half * 0.9) * rng.uniform(0.6, 1.0, n)
        theta = np.sort(rng.uniform(0, 2 * np.pi, n))
        aspect = rng.uniform(0.4, 1.0)
        _polygon(draw, np.stack([radius * np.cos(theta), aspect * radius * np.sin(theta)], 1), centre, angle)
    elif shape == "plate":
        length = rng.uniform(8, 2 * half)
        width = max(3.0, length / rng.uniform(1, 10))
        box = _SQUARE * [length / 2, width / 2]
        _polygon(draw, box, centre, angle)
    elif shape == "blade":
        length = rng.uniform(min(30.0, half), 2 * half)
        width = rng.uniform(6, max(7.0, min(40.0, length / 3)))
        tip = rng.uniform(0.15, 0.45) * length
        back = rng.uniform(-0.5, 0.5) * width
        points = [
            (-length / 2, -width / 2),
            (length / 2 - tip, -width / 2),
            (length / 2, back),
            (length / 2 - tip * rng.uniform(0.3, 1), width / 2),
            (-length / 2, width / 2),
        ]
        _polygon(draw, np.array(points), centre, angle)
    elif shape == "wire":
        for _ in range(int(rng.integers(1, 4))):
            steps = int(rng.integers(8, 30))
            heading = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.35, steps))
            step = rng.uniform(2, 8)
            path = np.cumsum(np.stack([np.cos(heading), np.sin(heading)], 1) * step, 0)
            path = path - path.mean(0) + centre + rng.normal(0, half / 4, 2)
            path = np.clip(path, 4, size - 5)
            draw.line([(float(x), float(y)) for x, y in path], fill=255, width=int(rng.integers(1, 5)))
    elif shape == "cluster":
        for _ in range(int(rng.integers(2, 13))):
            where = centre + rng.uniform(-half * 0.6, half * 0.6, 2)
            radius = rng.uniform(2, 10)
            if rng.random() < 0.5:
                draw.ellipse([*(where - radius), *(where + radius)], fill=255)
            else:
                box = _SQUARE * [radius, radius * rng.uniform(0.3, 1)]
                _polygon(draw, box, where, float(rng.uniform(0, np.pi)))
    elif shape == "frame":  # two bars at an angle: a gun frame, a tool, a bracket
        length = rng.uniform(min(20.0, 0.9 * half), 0.9 * half)
        for turn, shift in ((0.0, 0.0), (rng.uniform(np.pi / 3, np.pi / 2), rng.uniform(0.3, 0.5))):
            width = rng.uniform(4, 16)
            box = np.array([[0, -1], [1, -1], [1, 1], [0, 1]]) * [length * (1 - shift), width / 2]
            _polygon(draw, box, centre, angle + turn)
    else:  # ring: a coil, a washer, a magnet
        outer = rng.uniform(5, half * 0.8)
        draw.ellipse([*(centre - outer), *(centre + outer)], fill=255)
        inner = outer * rng.uniform(0.3, 0.85)
        draw.ellipse([*(centre - inner), *(centre + inner)], fill=0)
    return np.asarray(image) > 0


def _attachments(
    body: np.ndarray, body_material: str, rng: np.random.Generator
) -> list[tuple[np.ndarray, tuple[str, float]]]:
    """Parts of other materials for a composite object whose body is ``body`` (a bool mask): a part
    joined at one edge (a handle, a grip) and / or small dense parts inside it, each with its
    (material, thickness mm); at least one of the two."""
    ys, xs = np.nonzero(body)
    centre = np.array([ys.mean(), xs.mean()])
    extent = max(float(np.ptp(ys)), float(np.ptp(xs)), 4.0)
    parts = []
    joined = rng.random() < 0.6
    if joined:  # a handle: a bar of another material, from an edge of the body outward
        edge = body & ~ndimage.binary_erosion(body)
        ey, ex = np.nonzero(edge)
        k = int(rng.integers(ey.size))
        direction = np.array([ey[k], ex[k]]) - centre
        direction = direction / max(float(np.hypot(*direction)), 1.0)
        length = rng.uniform(0.3, 0.8) * extent
        size = int(np.ceil(length)) + 4
        image = Image.new("L", (size, size), 0)
        half_width = rng.uniform(0.1, 0.3) * length
        bar = _SQUARE * [length / 2, half_width]
        angle = float(np.arctan2(direction[0], direction[1]))
        _polygon(ImageDraw.Draw(image), bar, np.array([size / 2, size / 2]), angle)
        drawn = np.asarray(image) > 0
        middle = np.array([ey[k], ex[k]]) + direction * length / 2 - size // 2
        parts.append((_placed(drawn, middle.astype(int), body.shape), _other_material(body_material, rng)))
    if not joined or rng.random() < 0.7:  # pins, springs, screws: small metal parts over the body
        dots = Image.new("L", body.shape[::-1], 0)
        draw = ImageDraw.Draw(dots)
        for _ in range(int(rng.integers(2, 16))):
            k = int(rng.integers(ys.size))
            where = np.array([xs[k], ys[k]], float)
            radius = rng.uniform(1, 3)
            if rng.random() < 0.5:
                draw.ellipse([*(where - radius), *(where + radius)], fill=255)
            else:
                bar = _SQUARE * [radius * rng.uniform(2, 4), radius / 2]
                _polygon(draw, bar, where, float(rng.uniform(0, np.pi)))
        parts.append(((np.asarray(dots) > 0) & body, _material(rng, "metal", thinnest_mm=1.0)))
    return parts


def _placed(drawn: np.ndarray, corner: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``drawn`` put with its top-left at ``corner`` (row, col) into a False array of ``shape``."""
    out = np.zeros(shape, bool)
    y0, x0 = int(corner[0]), int(corner[1])
    sy0, sx0 = max(y0, 0), max(x0, 0)
    sy1, sx1 = min(y0 + drawn.shape[0], shape[0]), min(x0 + drawn.shape[1], shape[1])
    if sy1 > sy0 and sx1 > sx0:
        out[sy0:sy1, sx0:sx1] = drawn[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0]
    return out


def _other_material(name: str, rng: np.random.Generator) -> tuple[str, float]:
    """A material of another group than ``name``'s (a steel blade gets a plastic or wooden handle)."""
    while True:
        other, mm = _material(rng)
        if _group(other) != _group(name):
            return other, mm


def _group(name: str) -> str:
    return next(group for group, materials in MATERIALS.items() if any(m[0] == name for m in materials))


def _profile(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Relative thickness over the mask: flat, domed (a lump, a bag of powder) or wedged (an edge)."""
    kind = rng.choice(["flat", "dome", "wedge"], p=[0.5, 0.3, 0.2])
    if kind == "dome":
        depth = ndimage.distance_transform_edt(mask)
        profile = np.sqrt(depth / max(float(depth.max()), 1.0))
    elif kind == "wedge":
        angle = rng.uniform(0, 2 * np.pi)
        ys, xs = np.indices(mask.shape)
        ramp = np.cos(angle) * xs + np.sin(angle) * ys
        low, high = ramp[mask].min(), ramp[mask].max()
        profile = 0.25 + 0.75 * (ramp - low) / max(high - low, 1.0)
    else:
        profile = np.ones(mask.shape)
    texture = 1 + 0.05 * ndimage.gaussian_filter(rng.normal(size=mask.shape), 2) * 4
    return np.where(mask, profile * texture, 0.0).astype(np.float32)


def _material(
    rng: np.random.Generator, group: str | None = None, thinnest_mm: float = 0.0
) -> tuple[str, float]:
    """A material (of ``group``, or of a group drawn by :data:`GROUP_SHARES`) and its thickness,
    log-uniform in its range (never under ``thinnest_mm``)."""
    if group is None:
        groups = list(GROUP_SHARES)
        group = groups[int(rng.choice(len(groups), p=list(GROUP_SHARES.values())))]
    name, thinnest, thickest = MATERIALS[group][int(rng.integers(len(MATERIALS[group])))]
    return name, float(np.exp(rng.uniform(np.log(max(thinnest, thinnest_mm)), np.log(thickest))))


@cache
def _lookup(name: str, scanner: Scanner) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(thickness mm, T_high, T_low) of ``name`` on a fine grid: one spectral integral per material."""
    grid = np.concatenate([[0.0], np.geomspace(0.01, 200.0, 400)]).astype(np.float32)
    high, low = scanner.transmission({name: grid})
    return grid, high.astype(np.float32), low.astype(np.float32)


def object_transmissions(thickness: np.ndarray, name: str, scanner: Scanner) -> tuple[np.ndarray, np.ndarray]:
    """Transmissions (high, low) of ``thickness`` mm of material ``name`` alone, detector-blurred."""
    grid, t_high, t_low = _lookup(name, scanner)
    high = np.interp(thickness, grid, t_high).astype(np.float32)
    low = np.interp(thickness, grid, t_low).astype(np.float32)
    if scanner.blur_px > 0:
        high = ndimage.gaussian_filter(high, scanner.blur_px, mode="nearest")
        low = ndimage.gaussian_filter(low, scanner.blur_px, mode="nearest")
    return high, low


def project(
    rgb: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    item: np.ndarray,
    target: np.ndarray,
    rng: np.random.Generator,
    *,
    min_delta_e: float,
    composite_share: float = 0.0,
    scanner: Scanner | None = None,
) -> Projected | None:
    """Project one random object into a window of an item.

    Args:
        rgb: The window's false colour (the rendering of ``high`` and ``low``), uint8 (S, S, 3).
        high, low: The window's transmissions in (0, 1], float32 (S, S).
        item: bool (S, S), the item's pixels: the object is clipped to them (it is concealed
            inside the item, not lying beside it).
        target: The window's target (0 / 1 / :data:`IGNORE`); kept where the object is not.
        rng: Random source.
        min_delta_e: Mean colour change from which the object is labelled anomalous.
        composite_share: Share of objects made of several materials: a body with a part of
            another material joined to it (a knife's handle, a grip) and / or small metal parts
            inside it (pins, springs, screws). Real threats are assemblies: a pistol is mostly a
            polymer frame dotted with steel parts.
        scanner: Physics and noise (default scanner).

    Returns:
        The projected window, or None when no object could be placed on enough item pixels.
    """
    scanner = scanner or default_scanner()
    height, width = item.shape
    ys, xs = np.nonzero(item)
    if ys.size < MIN_PIXELS:
        return None
    for _ in range(5):
        shape = SHAPES[int(rng.integers(len(SHAPES)))]
        size = int(rng.integers(24, max(min(height, width, 240), 25)))
        drawn = _draw_shape(shape, size, rng)
        k = int(rng.integers(ys.size))
        mask = _placed(drawn, np.array([ys[k] - size // 2, xs[k] - size // 2]), item.shape) & item
        if mask.sum() >= MIN_PIXELS:
            break
    else:
        return None
    name, mm = _material(rng)
    parts = [(mask, name, mm)]
    if rng.random() < composite_share:
        parts += [(part & item, *material) for part, material in _attachments(mask, name, rng)]
        parts = [part for part in parts if part[0].any()]
        mask = np.logical_or.reduce([part[0] for part in parts])
        name, shape = "+".join(dict.fromkeys(part[1] for part in parts)), f"{shape}, composite"
    # Only the object's neighbourhood changes: render that (with room for the colour table's
    # smoothing) and paste its inside back.
    rows, cols = np.nonzero(ndimage.binary_dilation(mask, iterations=_PASTE_PX))
    y0, y1 = max(int(rows.min()) - _RENDER_PX, 0), min(int(rows.max()) + _RENDER_PX + 1, height)
    x0, x1 = max(int(cols.min()) - _RENDER_PX, 0), min(int(cols.max()) + _RENDER_PX + 1, width)
    box = (slice(y0, y1), slice(x0, x1))
    obj_high = obj_low = np.float32(1.0)
    for part, part_name, part_mm in parts:  # the parts lie on top of one another: transmissions multiply
        part_high, part_low = object_transmissions(_profile(part[box], rng) * part_mm, part_name, scanner)
        obj_high, obj_low = obj_high * part_high, obj_low * part_low
    new = []
    for base, obj, quanta in (
        (high[box], obj_high, scanner.quanta_high),
        (low[box], obj_low, scanner.quanta_low),
    ):
        t = base * obj
        # The object removes photons: the relative noise it would have added on top of the window's.
        extra = np.sqrt(np.clip(t * (1 - obj), 0, None) / quanta)
        new.append(np.clip(t + extra * rng.standard_normal(t.shape).astype(np.float32), 1 / 65535, 1.0))
    after = rgb.copy()
    paste = ndimage.binary_dilation(mask, iterations=_PASTE_PX)[box]
    after[box][paste] = render_dual_energy(new[0], new[1], scanner)[paste]
    delta_e = float(deltaE_ciede2000(rgb2lab(rgb[mask][None]), rgb2lab(after[mask][None])).mean())
    out_target = target.copy()
    ring = ndimage.binary_dilation(mask, iterations=1) & ~mask
    out_target[ring] = IGNORE
    out_target[mask] = 1 if delta_e >= min_delta_e else IGNORE
    return Projected(after, out_target, delta_e, shape, name)
