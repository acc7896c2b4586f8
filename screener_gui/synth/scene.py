"""One synthetic bag scan: compose bag, clutter, electronics and concealed anomalies, then scan it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from screener_gui.core.dataset import Visibility
from screener_gui.core.false_colour import render_dual_energy
from screener_gui.core.physics import Scanner, default_scanner
from screener_gui.synth.bag import build_bag
from screener_gui.synth.canvas import Canvas, Part, pose
from screener_gui.synth.clutter import build_clutter, clutter_count
from screener_gui.synth.conceal import Concealed, Tally, conceal, plant
from screener_gui.synth.item import Item
from screener_gui.synth.items import build_item, random_category
from screener_gui.synth.shapes import Box
from screener_gui.synth.visibility import subtlety_of, target_delta_e

GENERATOR_VERSION = "2.0"

# How many electronics items a bag holds, with probabilities (bags mode).
_ITEM_COUNTS = (0, 1, 2, 3)
_ITEM_COUNT_WEIGHTS = (0.08, 0.5, 0.3, 0.12)


@dataclass(frozen=True)
class SynthSettings:
    """What the generator makes. Shared by the CLI and the dataset writer.

    Attributes:
        width_px: Scan width in pixels (along the belt).
        height_px: Scan height in pixels (along the detector line).
        items_only: One electronics item on an empty belt, no bag and no clutter.
        anomaly_rate: Probability that an electronics item hides an anomaly (0 = clean data).
        scanner: The simulated scanner.
    """

    width_px: int = 1000
    height_px: int = 800
    items_only: bool = False
    anomaly_rate: float = 0.5
    scanner: Scanner = field(default_factory=default_scanner)


@dataclass(frozen=True)
class ObjectTruth:
    """An electronics item in a scan; ``index`` is its value in the object mask (1-based)."""

    index: int
    category: str
    has_anomaly: bool


@dataclass(frozen=True)
class AnomalyTruth:
    """A concealed anomaly; ``index`` is its value in the anomaly mask, ``object_index`` its host.

    ``concealment`` is ``"cavity"`` or ``"replaced:<slot name>"``; ``visibility`` what it changes
    in the scan, measured noise-free; ``subtlety`` (0 … 1) the visibility it was built for.
    """

    index: int
    object_index: int
    kind: str
    description: str
    subtlety: float
    concealment: str
    visibility: Visibility


@dataclass(frozen=True)
class SyntheticScan:
    """A generated scan with everything known about it.

    Attributes:
        raw_high, raw_low: Detector images, uint16, air at ``scanner.air_level``.
        rgb: False-colour rendering of the noisy raw data, uint8 (H, W, 3).
        objects_mask: uint8 (H, W): 0 or the ``index`` of the electronics item there.
        anomalies_mask: uint8 (H, W): 0 or the ``index`` of the anomaly there.
    """

    raw_high: np.ndarray
    raw_low: np.ndarray
    rgb: np.ndarray
    objects_mask: np.ndarray
    anomalies_mask: np.ndarray
    objects: tuple[ObjectTruth, ...]
    anomalies: tuple[AnomalyTruth, ...]
    bag_kind: str
    redraws: int = 0
    dropped: int = 0


def scan_rng(seed: int, index: int) -> np.random.Generator:
    """The random stream of scan ``index`` in a dataset of ``seed``: independent of workers."""
    return np.random.default_rng(np.random.SeedSequence([seed, index]))


def _place(
    item: Item, region: tuple[float, float, float, float, float], occupied: Canvas, rng
) -> np.ndarray | None:
    """A pose for ``item`` inside ``region`` that does not overlap items already placed.

    ``occupied`` is a coarse grid holding the footprints placed so far. The item must lie in
    the region (a cell or two of slack for the coarse grid) and off every other item; after
    40 failed draws the item is left out.
    """
    x, y, w, h, angle = region
    allowed = Canvas(occupied.height, occupied.width, occupied.pixel_mm)
    slack = 2 * occupied.pixel_mm
    allowed.draw(Part(Box(w + slack, h + slack, 1.0), "air", pose(x, y, angle)), instance=1)
    allowed_mask = allowed.instances.astype(bool)
    taken = occupied.instances.astype(bool)
    hw, hh = item.half_extent_mm()
    c, s = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
    for _ in range(40):
        theta = angle + rng.choice([0.0, 90.0, 180.0, 270.0]) + rng.normal(0, 8)
        # Draw the centre where the item's bounding circle can still (mostly) fit.
        reach = 0.8 * np.hypot(hw, hh)
        du = rng.uniform(-1, 1) * max(w / 2 - reach, 0.0)
        dv = rng.uniform(-1, 1) * max(h / 2 - reach, 0.0)
        transform = pose(x + c * du - s * dv, y + s * du + c * dv, theta)
        footprint = item.outline.moved(transform)
        probe = Canvas(occupied.height, occupied.width, occupied.pixel_mm)
        probe.draw(footprint, instance=1)
        inside = probe.instances.astype(bool)
        if not (inside & taken).any() and not (inside & ~allowed_mask).any():
            occupied.draw(footprint, instance=1)
            return transform
    return None


@dataclass
class Scene:
    """A composed, not yet scanned bag: material path lengths and ground truth.

    Concealed anomalies are drawn on their own canvas so that the same bag can be scanned
    with and without them (tests, explanations); their pixels are labelled on ``canvas``. A
    component that an anomaly replaces stays on ``canvas`` and is subtracted on ``hidden``, so
    the scene without anomalies shows its items intact.
    """

    canvas: Canvas
    hidden: Canvas
    objects: tuple[ObjectTruth, ...]
    anomalies: tuple[AnomalyTruth, ...]
    bag_kind: str
    tally: Tally = field(default_factory=Tally)

    def paths(self, with_anomalies: bool = True) -> dict[str, np.ndarray]:
        """Material path lengths (mm) of the whole scene, or of the scene minus anomalies."""
        paths = dict(self.canvas.paths)
        if with_anomalies:
            for name, path in self.hidden.paths.items():
                # Replaced components are negative on ``hidden``: clip float rounding at zero.
                paths[name] = np.maximum(paths[name] + path, 0.0) if name in paths else path
        return paths


def compose_scene(rng: np.random.Generator, settings: SynthSettings) -> Scene:
    """Lay out a bag (or an item alone on the belt) with its electronics and anomalies."""
    px = settings.scanner.pixel_mm
    width_mm, height_mm = settings.width_px * px, settings.height_px * px
    canvas = Canvas(settings.height_px, settings.width_px, px)
    # Item placement is checked on a coarse grid (8x coarser) to stay cheap.
    occupied = Canvas(settings.height_px // 8, settings.width_px // 8, px * 8)

    if settings.items_only:
        bag_kind = "belt"
        region = (width_mm / 2, height_mm / 2, width_mm * 0.9, height_mm * 0.9, 0.0)
        n_items = 1
    else:
        bag = build_bag(rng, width_mm, height_mm)
        bag_kind = bag.kind
        region = bag.interior
        canvas.draw_all(bag.parts)
        n_items = int(rng.choice(_ITEM_COUNTS, p=_ITEM_COUNT_WEIGHTS))

    placed: list[tuple[Item, np.ndarray]] = []
    items = [build_item(random_category(rng), rng) for _ in range(n_items)]
    # Largest first: a laptop needs the room that a phone placed before it might take.
    items.sort(key=lambda it: -np.prod(it.half_extent_mm()))
    for item in items:
        transform = _place(item, region, occupied, rng)
        if transform is None:
            continue
        canvas.draw(item.outline.moved(transform), instance=len(placed) + 1)
        canvas.draw_all(item.intact_parts(), transform)
        placed.append((item, transform))

    if not settings.items_only:
        canvas.draw_all(build_clutter(rng, region, clutter_count(bag_kind, rng)))

    # Anomalies last: their visibility is measured in the finished scene, clutter included.
    scene = Scene(canvas, Canvas(canvas.height, canvas.width, px), (), (), bag_kind)
    objects = []
    for index, (item, transform) in enumerate(placed, start=1):
        found = None
        if settings.anomaly_rate > 0 and rng.random() < settings.anomaly_rate:
            subtlety = round(float(rng.uniform(0, 1)), 3)
            found = conceal(item, transform, canvas, index, subtlety, rng, settings.scanner, scene.tally)
        if found is not None:
            _add(scene, found, transform, index, subtlety)
        objects.append(ObjectTruth(index, item.category, found is not None))
    scene.objects = tuple(objects)
    return _label(scene)


def _add(scene: Scene, found: Concealed, transform: np.ndarray, host: int, subtlety: float) -> None:
    """Draw a concealed anomaly on the scene's hidden canvas and record its ground truth."""
    index = len(scene.anomalies) + 1
    for piece in found.removed:
        scene.hidden.draw(piece.moved(transform), remove=True)
    for piece in found.anomaly.parts:
        scene.hidden.draw(piece.moved(transform), anomaly=index)
    truth = AnomalyTruth(
        index,
        host,
        found.anomaly.kind,
        found.anomaly.description,
        subtlety,
        found.concealment,
        found.visibility,
    )
    scene.anomalies = (*scene.anomalies, truth)


def _label(scene: Scene) -> Scene:
    """Anomaly pixels belong to their host item by construction; enforce it against rounding."""
    labels = scene.hidden.anomalies
    for a in scene.anomalies:
        labels[(labels == a.index) & (scene.canvas.instances != a.object_index)] = 0
    scene.canvas.anomalies[:] = labels
    return scene


def generate_scan(seed: int, index: int, settings: SynthSettings) -> SyntheticScan:
    """Generate scan ``index`` of the dataset with ``seed`` (deterministic)."""
    rng = scan_rng(seed, index)
    return scan_scene(compose_scene(rng, settings), settings, rng)


def scan_scene(scene: Scene, settings: SynthSettings, rng: np.random.Generator) -> SyntheticScan:
    """Put a composed scene through the scanner and render it, with its ground truth."""
    scanner = settings.scanner
    paths = scene.paths()
    if paths:
        high, low = scanner.transmission(paths)
    else:
        high = low = np.ones((settings.height_px, settings.width_px), np.float32)
    raw_high, raw_low = scanner.acquire(high, low, rng)
    rgb = render_dual_energy(*transmissions(raw_high, raw_low, scanner.air_level), scanner)
    return SyntheticScan(
        raw_high=raw_high,
        raw_low=raw_low,
        rgb=rgb,
        objects_mask=scene.canvas.instances.astype(np.uint8),
        anomalies_mask=scene.canvas.anomalies.astype(np.uint8),
        objects=scene.objects,
        anomalies=scene.anomalies,
        bag_kind=scene.bag_kind,
        redraws=scene.tally.redraws,
        dropped=scene.tally.dropped,
    )


def planted_scan(
    seed: int,
    category: str,
    kind: str | None,
    *,
    shrink: float = 0.0,
    slot: str | None = None,
    settings: SynthSettings | None = None,
) -> SyntheticScan:
    """One ``category`` item alone on the belt hiding an anomaly of ``kind`` (None: clean): a
    controlled case for tests, demonstrations and explanations.

    The anomaly is built at ``shrink`` (0 = largest) in the item's largest cavity, or in place
    of the component named ``slot`` (e.g. ``"battery_cells"``; its cores refilled when ``kind``
    is ``"filled_cells"``). Its visibility is measured as in generated bags, and its subtlety is
    the one whose target that visibility is.

    Raises:
        ValueError: The item does not fit the scan, has no such slot, or the kind does not fit.
    """
    settings = settings or SynthSettings(items_only=True)
    rng = scan_rng(seed, 0)
    px = settings.scanner.pixel_mm
    canvas = Canvas(settings.height_px, settings.width_px, px)
    occupied = Canvas(settings.height_px // 8, settings.width_px // 8, px * 8)
    w, h = settings.width_px * px, settings.height_px * px
    item = build_item(category, rng)
    transform = _place(item, (w / 2, h / 2, w * 0.9, h * 0.9, 0.0), occupied, rng)
    if transform is None:
        raise ValueError(f"a {category} does not fit a {settings.width_px}x{settings.height_px} scan")
    canvas.draw(item.outline.moved(transform), instance=1)
    canvas.draw_all(item.intact_parts(), transform)
    scene = Scene(canvas, Canvas(canvas.height, canvas.width, px), (), (), "belt")
    if kind is not None:
        found = plant(item, transform, canvas, 1, kind, shrink, slot, rng, settings.scanner)
        subtlety = subtlety_of(found.visibility.delta_e)
        target = replace(found.visibility, target_delta_e=target_delta_e(subtlety))
        _add(scene, replace(found, visibility=target), transform, 1, subtlety)
    scene.objects = (ObjectTruth(1, category, kind is not None),)
    return scan_scene(_label(scene), settings, rng)


def transmissions(
    raw_high: np.ndarray, raw_low: np.ndarray, air_level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Transmissions in (0, 1] from raw detector counts with a known air level."""
    scale = np.float32(1.0 / air_level)
    floor = np.float32(1.0 / 65535)
    return (
        np.clip(raw_high.astype(np.float32) * scale, floor, 1.0),
        np.clip(raw_low.astype(np.float32) * scale, floor, 1.0),
    )
