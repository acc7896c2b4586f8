"""Caps per scan: a huge false detection is screened with bounded work and says so; generated
bags are screened exactly as without caps."""

from __future__ import annotations

import json

import numpy as np
import pytest

from screener_gui.core.pipeline.caps import (
    MAX_BAG_PIXELS,
    MAX_ITEM_PIXELS,
    MAX_ITEMS,
    MAX_SUPERPIXELS_PER_BAG,
    MAX_SUPERPIXELS_PER_ITEM,
    Caps,
    plan_bag,
)
from screener_gui.core.pipeline.detectors import PaperDetector
from screener_gui.core.pipeline.objects import ObjectInstance
from screener_gui.core.pipeline.screen import Screener
from screener_gui.core.pipeline.superpixels import DEFAULT_SUPERPIXEL_AREA, SlicPlan, segment_objects
from screener_gui.core.scan import Scan
from screener_gui.synth.scene import SynthSettings, generate_scan, planted_scan

SEED = 424242  # a seed no training, validation or test dataset uses


class FixedSegmenter:
    """Stands in for the Mask R-CNN: returns the masks it was given, best score first."""

    def __init__(self, masks: list[np.ndarray]):
        self.masks = masks

    def detect(self, rgb: np.ndarray) -> tuple[ObjectInstance, ...]:
        objects = []
        for i, mask in enumerate(self.masks):
            rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
            box = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
            objects.append(ObjectInstance(i, "laptop", 0.99 - 0.01 * i, box, mask))
        return tuple(objects)


class ConstantClassifier:
    """Stands in for the region classifier (per-crop mode): every crop scores 0.1."""

    strategy, mode, input_size = "subcomponent", "crop", (150, 190)
    device = "cpu"
    region_threshold = object_threshold = 0.5

    def __init__(self):
        self.metadata = {"superpixel_area": DEFAULT_SUPERPIXEL_AREA}
        self.crops_seen = 0

    def score(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.crops_seen += len(crops)
        return np.full(len(crops), 0.1, np.float32), np.ones((len(crops), 5, 6), np.float32)


def _textured(shape: tuple[int, int], seed: int = 0, part: int = 200) -> np.ndarray:
    """Parts of ``part`` x ``part`` px in random colours, with detector-like noise."""
    rng = np.random.default_rng(seed)
    parts = rng.integers(90, 200, (shape[0] // part + 1, shape[1] // part + 1, 3))
    flat = parts.repeat(part, 0).repeat(part, 1)[: shape[0], : shape[1]]
    return np.clip(flat + rng.normal(0, 8, (*shape, 3)), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def huge_item() -> tuple[np.ndarray, np.ndarray]:
    """A 2000 x 2000 scan whose 'item' covers 3.2 million pixels (a false detection of the bag)."""
    mask = np.zeros((2000, 2000), bool)
    mask[100:1900, 100:1900] = True
    mask[100:500, 100:500] = False  # not a plain rectangle
    return _textured(mask.shape), mask


def test_a_huge_detection_is_screened_with_capped_work_and_says_so(huge_item):
    rgb, mask = huge_item
    classifier = ConstantClassifier()
    result = Screener(FixedSegmenter([mask]), PaperDetector(classifier)).screen(Scan(rgb=rgb, source="huge"))
    assert result.capped == ("superpixels_per_item", "item_pixels")
    sp = result.superpixels
    assert 0.7 * MAX_SUPERPIXELS_PER_ITEM <= sp.count <= MAX_SUPERPIXELS_PER_ITEM
    assert classifier.crops_seen == sp.count
    # Bigger superpixels, yet every pixel of the item still lies in one, and none outside it.
    assert (sp.labels[mask] > 0).all() and (sp.labels[~mask] == 0).all()
    assert np.array_equal(np.unique(sp.labels[mask]), np.arange(1, sp.count + 1))
    summary = json.loads(json.dumps(result.summary()))
    assert summary["capped"] == ["superpixels_per_item", "item_pixels"]
    assert len(summary["objects"][0]["regions"]) == sp.count


def test_only_the_best_detections_are_screened_beyond_the_item_cap():
    rgb = _textured((600, 900), seed=1, part=30)
    masks = []
    for i in range(MAX_ITEMS + 2):  # small squares, in the segmenter's best-first order
        mask = np.zeros(rgb.shape[:2], bool)
        mask[20 + 70 * i : 80 + 70 * i, 40:100] = True
        masks.append(mask)
    result = Screener(FixedSegmenter(masks), PaperDetector(ConstantClassifier())).screen(Scan(rgb=rgb))
    assert result.capped == ("items",)
    assert [o.index for o in result.objects] == list(range(MAX_ITEMS))
    assert [o.score for o in result.objects] == sorted((o.score for o in result.objects), reverse=True)
    assert set(result.regions.object_of) == set(range(MAX_ITEMS))
    assert len(result.summary()["objects"]) == MAX_ITEMS


def test_a_generated_bag_is_split_exactly_as_without_caps():
    bag = planted_scan(SEED, "laptop", None)  # a 1000 x 800 bag with the largest kind of item
    masks = [bag.objects_mask == o.index for o in bag.objects]
    plan = plan_bag([int(m.sum()) for m in masks], DEFAULT_SUPERPIXEL_AREA)
    assert plan.capped == () and plan.keep == len(masks) and set(plan.slic.shrink) == {1}
    plain = segment_objects(bag.rgb, masks)
    capped = segment_objects(bag.rgb, masks, plan=plan.slic)
    assert plain.count > 30
    assert np.array_equal(capped.labels, plain.labels)
    assert np.array_equal(capped.object_of, plain.object_of)


def test_a_full_generated_bag_through_the_screener_is_not_capped():
    scan = generate_scan(SEED, 1, SynthSettings())
    masks = [scan.objects_mask == o.index for o in scan.objects]
    result = Screener(FixedSegmenter(masks), PaperDetector(ConstantClassifier())).screen(Scan(rgb=scan.rgb))
    assert result.capped == () and result.summary()["capped"] == []
    assert np.array_equal(result.superpixels.labels, segment_objects(scan.rgb, masks).labels)


def test_the_largest_items_give_way_first_and_the_bag_stays_within_its_caps():
    small, medium, huge = 20_000, 150_000, 900_000  # pixels
    plan = plan_bag([huge, medium, small], DEFAULT_SUPERPIXEL_AREA)
    assert plan.capped == ("superpixels_per_item", "superpixels_per_bag", "item_pixels", "bag_pixels")
    huge_n, medium_n, small_n = plan.slic.segments
    assert small_n == round(small / DEFAULT_SUPERPIXEL_AREA)  # the small item keeps its usual size
    assert sum(plan.slic.segments) <= MAX_SUPERPIXELS_PER_BAG and huge_n <= MAX_SUPERPIXELS_PER_ITEM
    assert huge_n == medium_n  # both cut to the same level
    seen = [a / k**2 for a, k in zip((huge, medium, small), plan.slic.shrink, strict=True)]
    assert max(seen) <= MAX_ITEM_PIXELS and sum(seen) <= MAX_BAG_PIXELS
    assert plan.slic.shrink[2] == 1  # small items stay at full resolution


def test_superpixels_slic_makes_past_a_cap_are_merged_into_their_neighbours(huge_item):
    rgb, mask = huge_item
    second = np.zeros_like(mask)
    second[1900:1990, 100:1990] = True
    masks = [mask, second]
    sp = segment_objects(rgb, masks, plan=SlicPlan((80, 40), (4, 2), max_per_object=50, max_total=70))
    assert sp.of_object(0).size == 50 and sp.of_object(1).size == 20
    assert (sp.labels[mask | second] > 0).all()
    assert np.array_equal(np.unique(sp.labels[sp.labels > 0]), np.arange(1, sp.count + 1))


def test_caps_that_cannot_work_are_refused():
    with pytest.raises(ValueError, match="items"):
        Caps(items=0)
    with pytest.raises(ValueError, match="one superpixel per item"):
        Caps(items=10, superpixels_per_bag=5)
    with pytest.raises(ValueError, match="plan covers"):
        segment_objects(np.zeros((10, 10, 3), np.uint8), [], plan=SlicPlan((1,), (1,)))
