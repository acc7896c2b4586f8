"""Region crops (isolated on white, padded, rescaled) and the labelling rule."""

from __future__ import annotations

import numpy as np
import pytest

from screener_gui.core.pipeline.regions import (
    OBJECT_SIZE,
    SUBCOMPONENT_SIZE,
    crop_boxes,
    object_crops,
    object_targets,
    padded_box,
    region_crop,
    superpixel_crops,
    superpixel_targets,
)
from screener_gui.core.pipeline.superpixels import Superpixels, segment_objects
from screener_gui.synth.scene import SynthSettings, generate_scan

WHITE = 255


@pytest.fixture(scope="module")
def scan():
    return generate_scan(0, 0, SynthSettings(width_px=400, height_px=320, items_only=True))


@pytest.fixture(scope="module")
def segmented(scan):
    masks = [scan.objects_mask == o.index for o in scan.objects]
    return masks, segment_objects(scan.rgb, masks, superpixel_area=1500)


def _grid_superpixels() -> Superpixels:
    """Four 10 x 10 superpixels in a 2 x 2 grid of one object, on a 30 x 30 scan."""
    labels = np.zeros((30, 30), np.int32)
    labels[0:10, 0:10], labels[0:10, 10:20] = 1, 2
    labels[10:20, 0:10], labels[10:20, 10:20] = 3, 4
    return Superpixels(labels=labels, object_of=np.array([-1, 0, 0, 0, 0], np.int32))


@pytest.mark.parametrize("size", [SUBCOMPONENT_SIZE, OBJECT_SIZE])
def test_crop_isolates_the_region_on_white(size):
    rgb = np.zeros((100, 120, 3), np.uint8)  # black everywhere: anything white is air we added
    yy, xx = np.mgrid[:100, :120]
    disc = (yy - 50) ** 2 + (xx - 60) ** 2 <= 30**2
    crop = region_crop(rgb, disc, size)
    assert crop.shape == (*size, 3) and crop.dtype == np.uint8
    h, w = size
    for corner in (crop[0, 0], crop[0, -1], crop[-1, 0], crop[-1, -1]):
        assert (corner == WHITE).all()
    assert (crop[h // 2, w // 2] == 0).all()


def test_padding_is_symmetric_to_the_crop_aspect():
    rgb = np.zeros((200, 200, 3), np.uint8)
    bar = np.zeros((200, 200), bool)
    bar[20:180, 95:105] = True  # tall and thin: padded left and right
    crop = region_crop(rgb, bar, OBJECT_SIZE)
    dark = np.flatnonzero((crop[OBJECT_SIZE[0] // 2] < 128).all(axis=1))
    assert dark.size > 0
    left, right = dark[0], OBJECT_SIZE[1] - 1 - dark[-1]
    assert abs(left - right) <= 2
    assert np.array_equal(padded_box((20, 95, 180, 105), OBJECT_SIZE), (20, 20, 180, 180))


def test_empty_region_is_refused():
    rgb = np.zeros((10, 10, 3), np.uint8)
    with pytest.raises(ValueError, match="empty"):
        region_crop(rgb, np.zeros((10, 10), bool), OBJECT_SIZE)


def test_superpixel_crops_are_the_region_crops_in_label_order(scan, segmented):
    _, sp = segmented
    crops = superpixel_crops(scan.rgb, sp)
    assert crops.shape == (sp.count, 150, 190, 3) and crops.dtype == np.uint8
    for label in (1, sp.count):
        assert np.array_equal(crops[label - 1], region_crop(scan.rgb, sp.labels == label, SUBCOMPONENT_SIZE))
    some = superpixel_crops(scan.rgb, sp, [sp.count, 1])
    assert np.array_equal(some, crops[[sp.count - 1, 0]])
    with pytest.raises(ValueError, match="no superpixel"):
        superpixel_crops(scan.rgb, sp, [sp.count + 1])


def test_object_crops(scan, segmented):
    masks, _ = segmented
    crops = object_crops(scan.rgb, masks)
    assert crops.shape == (len(masks), 224, 224, 3)
    assert (crops[:, 0, 0] == WHITE).all()


def test_crop_boxes_bound_each_superpixel():
    boxes = crop_boxes(_grid_superpixels())
    assert boxes.shape == (4, 4)
    assert np.array_equal(boxes, [[0, 0, 10, 10], [0, 10, 10, 20], [10, 0, 20, 10], [10, 10, 20, 20]])


def test_superpixel_rule_on_a_planted_anomaly(scan, segmented):
    _, sp = segmented
    areas = np.bincount(sp.labels.ravel(), minlength=sp.count + 1)[1:]
    full, partial = 1, int(np.argmax(areas)) + 1
    assert full != partial
    anomalies = sp.labels == full  # covers superpixel ``full`` entirely
    pixels = np.flatnonzero(sp.labels.ravel() == partial)
    anomalies.ravel()[pixels[: len(pixels) // 10]] = True  # 10 % of superpixel ``partial``
    targets, fractions = superpixel_targets(sp, anomalies)
    assert targets.dtype == np.int8 and fractions.dtype == np.float32 and targets.shape == (sp.count,)
    assert targets[full - 1] == 1 and fractions[full - 1] == 1.0
    assert targets[partial - 1] == -1 and fractions[partial - 1] == pytest.approx(0.1, abs=0.01)
    others = np.setdiff1d(np.arange(sp.count), [full - 1, partial - 1])
    assert (targets[others] == 0).all() and (fractions[others] == 0).all()
    # An integer label map (anomaly where > 0) means the same.
    same, _ = superpixel_targets(sp, anomalies.astype(np.uint8) * 7)
    assert np.array_equal(same, targets)


@pytest.mark.parametrize(("pixels", "expected"), [(100, 1), (20, 1), (19, -1), (2, -1), (1, 0), (0, 0)])
def test_superpixel_rule_thresholds(pixels, expected):
    sp = _grid_superpixels()
    anomalies = np.zeros(sp.labels.shape, bool)
    anomalies.ravel()[np.flatnonzero(sp.labels.ravel() == 4)[:pixels]] = True  # superpixel 4: 100 px
    targets, fractions = superpixel_targets(sp, anomalies)
    assert targets[3] == expected
    assert fractions[3] == pytest.approx(pixels / 100)
    assert (targets[:3] == 0).all()


def test_object_rule_needs_twenty_anomaly_pixels():
    first = np.zeros((40, 40), bool)
    first[:20] = True
    second = ~first
    anomalies = np.zeros((40, 40), np.uint8)
    anomalies[0, :19] = 3  # 19 pixels in the first object
    assert np.array_equal(object_targets([first, second], anomalies), [0, 0])
    anomalies[1, 0] = 3  # the twentieth
    assert np.array_equal(object_targets([first, second], anomalies), [1, 0])
    assert object_targets([first, second], anomalies).dtype == np.int8
