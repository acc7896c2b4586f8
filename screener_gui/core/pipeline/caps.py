"""Caps on the work one scan may cost, decided in one place before the superpixels are made.

Why: the per-crop classifier costs ~25 ms per superpixel on one CPU core, and SLIC ~1 µs per
object pixel. A generated bag (1000 x 800 px, up to 3 items, ~2500 px superpixels) has at most
~100 superpixels and ~250 000 object pixels, but on real scans the segmenter sometimes calls half
the bag (or a suitcase frame) one item of 500 000-700 000 px, and a bag of 400 superpixels took
10-15 s. The caps keep every scan under ~5 s on a 2-core CPU, one thread.

What happens beyond each cap (and which name the result lists in ``capped``):

* ``items`` (:data:`MAX_ITEMS`): only that many detections, the highest-scoring, are screened;
  the others are dropped (they are not in the result).
* ``superpixels_per_item`` (:data:`MAX_SUPERPIXELS_PER_ITEM`) and ``superpixels_per_bag``
  (:data:`MAX_SUPERPIXELS_PER_BAG`): a large item gets bigger superpixels, not more of them. The
  counts are lowered from the largest item down ("water filling"), so small items keep their
  usual superpixel size. SLIC is asked for the capped count and any superpixels it makes past
  the cap are merged into their neighbours, so both caps are hard.
* ``item_pixels`` (:data:`MAX_ITEM_PIXELS`) and ``bag_pixels`` (:data:`MAX_BAG_PIXELS`): an item
  whose mask is larger than the per-item budget, or than its share of the bag budget (again
  taken from the largest items first), is split by SLIC on k x k pixel blocks (k = 2, 3, ...
  the smallest that fits), so its superpixel outlines are coarser; it is still classified from
  full-resolution crops.

The values leave generated bags untouched: over 2500 generated bags (generator 2.0, seeds
4100, 4200 and 4300, true masks) the largest item has 185 000 px (74 superpixels asked at 2500 px)
and the largest bag 3 items, 96 superpixels and 240 000 object px; the segmenter's masks on 500
of them stay below that (no bag capped). A ``superpixel_area`` smaller than the classifier's
2500 px reaches the superpixel caps sooner.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

from screener_gui.core.pipeline.superpixels import SlicPlan

MAX_ITEMS = 6  # detections screened per scan (generated bags: at most 3 items)
MAX_SUPERPIXELS_PER_ITEM = 96  # generated: at most 74
MAX_SUPERPIXELS_PER_BAG = 120  # generated: at most 96; ~3 s of crop classification on one core
MAX_ITEM_PIXELS = 320_000  # mask pixels SLIC sees at full resolution per item (generated: 185 000)
MAX_BAG_PIXELS = 400_000  # the same for all items of a scan together (generated: 240 000)


@dataclass(frozen=True)
class Caps:
    """The caps one screener applies (defaults: the module's constants; see the module docstring)."""

    items: int = MAX_ITEMS
    superpixels_per_item: int = MAX_SUPERPIXELS_PER_ITEM
    superpixels_per_bag: int = MAX_SUPERPIXELS_PER_BAG
    item_pixels: int = MAX_ITEM_PIXELS
    bag_pixels: int = MAX_BAG_PIXELS

    def __post_init__(self):
        for f in fields(self):
            if getattr(self, f.name) < 1:
                raise ValueError(f"cap {f.name} must be at least 1, got {getattr(self, f.name)}")
        if self.superpixels_per_bag < self.items:
            raise ValueError("superpixels_per_bag must leave at least one superpixel per item")


@dataclass(frozen=True)
class BagPlan:
    """What one scan will be screened with.

    Attributes:
        keep: How many detections (the first, best-scoring ones) are screened.
        slic: Superpixel counts and resolutions for those items.
        capped: Names of the caps that changed anything, in :class:`Caps` field order; empty
            when the scan is screened as it would be without caps.
    """

    keep: int
    slic: SlicPlan
    capped: tuple[str, ...]


def plan_bag(areas: Sequence[int], superpixel_area: float, caps: Caps | None = None) -> BagPlan:
    """Apply ``caps`` to a scan's detections.

    Args:
        areas: Mask area (pixels) of each detection, best score first.
        superpixel_area: The screener's superpixel size in pixels (what an uncapped item gets).
        caps: The caps (default :class:`Caps`).
    """
    caps = caps or Caps()
    capped: set[str] = set()
    if len(areas) > caps.items:
        capped.add("items")
    areas = [int(a) for a in areas[: caps.items]]
    # The uncapped count is what segment_objects would ask for without a plan.
    wanted = [max(1, round(a / superpixel_area)) for a in areas]
    per_item = _fill(wanted, caps, "superpixels_per_item", "superpixels_per_bag", capped)
    segments = tuple(math.floor(n) for n in per_item)
    budget = _fill(areas, caps, "item_pixels", "bag_pixels", capped)
    shrink = tuple(_shrink(a, b) for a, b in zip(areas, budget, strict=True))
    order = [f.name for f in fields(Caps)]
    return BagPlan(
        keep=len(areas),
        slic=SlicPlan(
            segments, shrink, max_per_object=caps.superpixels_per_item, max_total=caps.superpixels_per_bag
        ),
        capped=tuple(name for name in order if name in capped),
    )


def _fill(values: list[int], caps: Caps, each: str, total: str, capped: set[str]) -> list[float]:
    """``values`` clipped to the cap named ``each``, then the largest lowered to one level so they
    sum to at most the cap named ``total``; the names of the caps that took anything off are added
    to ``capped``."""
    clipped = [min(v, getattr(caps, each)) for v in values]
    level = _water_level(clipped, getattr(caps, total))
    if clipped != values:
        capped.add(each)
    if level < max(clipped, default=0):
        capped.add(total)
    return [min(c, level) for c in clipped]


def _water_level(values: Sequence[float], total: float) -> float:
    """The largest level L with sum(min(v, L)) <= total (inf when the values fit as they are)."""
    if sum(values) <= total:
        return math.inf
    left, count = total, len(values)
    for i, v in enumerate(sorted(values)):
        if v * (count - i) > left:
            return left / (count - i)
        left -= v
    return math.inf  # not reached: the values did not fit


def _shrink(area: int, budget: float) -> int:
    """The smallest integer block size k with area / k**2 <= budget."""
    if area <= budget:
        return 1
    k = max(2, math.ceil(math.sqrt(area / budget)))
    while area / (k * k) > budget:
        k += 1
    return k
