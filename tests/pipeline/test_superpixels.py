"""Superpixels: inside their object, covering it, numbered 1..count, sized by superpixel_area."""

from __future__ import annotations

import numpy as np
import pytest

from screener_gui.core.pipeline.superpixels import Superpixels, segment_objects
from screener_gui.synth.scene import SynthSettings, generate_scan


@pytest.fixture(scope="module")
def scan():
    """A phone (about 18 000 pixels) hiding a knife blade, alone on the belt."""
    return generate_scan(0, 0, SynthSettings(width_px=400, height_px=320, items_only=True))


@pytest.fixture(scope="module")
def blocks() -> tuple[np.ndarray, list[np.ndarray]]:
    """A scan with two non-overlapping textured rectangles as objects."""
    rng = np.random.default_rng(1)
    rgb = np.full((120, 160, 3), 255, np.uint8)
    first = np.zeros(rgb.shape[:2], bool)
    first[10:60, 10:90] = True
    second = np.zeros(rgb.shape[:2], bool)
    second[70:110, 40:150] = True
    for mask, colour in ((first, (200, 120, 40)), (second, (60, 160, 80))):
        rgb[mask] = np.clip(np.array(colour) + rng.normal(0, 8, (int(mask.sum()), 3)), 0, 255)
    rgb[30:60, 10:50] = (30, 60, 200)  # a "component" of another colour
    return rgb, [first, second]


def _check_partition(sp: Superpixels, masks: list[np.ndarray]) -> None:
    union = np.zeros(sp.labels.shape, bool)
    for i, mask in enumerate(masks):
        own = mask & ~union  # earlier objects keep shared pixels
        assert (sp.labels[own] > 0).all(), f"object {i} is not covered"
        assert (sp.object_of[sp.labels[own]] == i).all(), f"object {i} holds another's superpixels"
        union |= mask
    assert (sp.labels[~union] == 0).all(), "superpixels outside every object"


def test_superpixels_lie_inside_their_object_and_cover_it(scan):
    masks = [scan.objects_mask == o.index for o in scan.objects]
    sp = segment_objects(scan.rgb, masks)
    assert sp.labels.dtype == np.int32 and sp.labels.shape == scan.rgb.shape[:2]
    assert sp.count >= 2
    _check_partition(sp, masks)


def test_labels_start_at_one_and_are_consecutive_across_objects(blocks):
    rgb, masks = blocks
    sp = segment_objects(rgb, masks, superpixel_area=400)
    assert np.array_equal(np.unique(sp.labels[sp.labels > 0]), np.arange(1, sp.count + 1))
    assert sp.object_of.dtype == np.int32 and sp.object_of[0] == -1
    first, second = sp.of_object(0), sp.of_object(1)
    # Object 0's superpixels are numbered before object 1's.
    assert first.size > 1 and second.size > 1
    assert first.max() < second.min()
    assert np.array_equal(np.concatenate([first, second]), np.arange(1, sp.count + 1))
    _check_partition(sp, masks)


def test_count_follows_superpixel_area(scan):
    masks = [scan.objects_mask == o.index for o in scan.objects]
    area = int(masks[0].sum())
    counts = {a: segment_objects(scan.rgb, masks, superpixel_area=a).count for a in (500, 2500, 10000)}
    assert counts[500] > counts[2500] > counts[10000] >= 1
    # Roughly area / superpixel_area (SLIC merges a few fragments away).
    assert 0.5 * area / 500 <= counts[500] <= 1.2 * area / 500


def test_empty_masks_get_no_superpixels_and_tiny_ones_one(blocks):
    rgb, (first, second) = blocks
    empty = np.zeros_like(first)
    tiny = np.zeros_like(first)
    tiny[65, 5:8] = True  # three pixels
    sp = segment_objects(rgb, [empty, first, tiny, second], superpixel_area=400)
    assert 0 not in sp.object_of
    assert sp.of_object(0).size == 0
    assert sp.of_object(2).size == 1
    assert (sp.labels[tiny] == sp.of_object(2)[0]).all()
    _check_partition(sp, [empty, first, tiny, second])


def test_one_superpixel_when_the_object_is_smaller_than_the_setting(blocks):
    rgb, (first, _) = blocks
    sp = segment_objects(rgb, [first], superpixel_area=100_000)
    assert sp.count == 1
    assert np.array_equal(sp.labels > 0, first)


def test_where_masks_overlap_the_first_object_keeps_the_pixel(blocks):
    rgb, (first, _) = blocks
    later = np.zeros_like(first)
    later[40:80, 60:120] = True  # overlaps the bottom-right corner of ``first``
    sp = segment_objects(rgb, [first, later], superpixel_area=400)
    overlap = first & later
    assert (sp.object_of[sp.labels[overlap]] == 0).all()
    assert (sp.object_of[sp.labels[later & ~first]] == 1).all()
    assert np.array_equal(np.unique(sp.labels[sp.labels > 0]), np.arange(1, sp.count + 1))


def test_bad_input_is_refused(blocks):
    rgb, masks = blocks
    with pytest.raises(ValueError, match="shape"):
        segment_objects(rgb, [masks[0][:-1]])
    with pytest.raises(ValueError, match="superpixel_area"):
        segment_objects(rgb, masks, superpixel_area=0)
    with pytest.raises(ValueError, match="image"):
        segment_objects(rgb[..., 0], masks)
