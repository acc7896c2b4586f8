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
    assert full != partial and areas[partial - 1] >= 500
    anomalies = (sp.labels == full).astype(np.uint8)  # anomaly 1 covers superpixel ``full`` entirely
    pixels = np.flatnonzero(sp.labels.ravel() == partial)
    anomalies.ravel()[pixels[:12]] = 2  # 12 pixels of anomaly 2 in superpixel ``partial`` ...
    rest = np.flatnonzero(sp.labels.ravel() == 0)[:100]
    anomalies.ravel()[rest] = 2  # ... whose other 100 pixels lie in no superpixel
    truth = superpixel_targets(sp, anomalies)
    assert truth.targets.dtype == np.int8 and truth.fractions.dtype == np.float32
    assert truth.targets.shape == truth.anomaly_ids.shape == (sp.count,)
    assert truth.targets[full - 1] == 1 and truth.fractions[full - 1] == 1.0
    assert truth.anomaly_ids[full - 1] == 1
    # 12 pixels, 11 % of anomaly 2, under 2 % of the superpixel: neither anomaly nor benign.
    assert truth.targets[partial - 1] == -1 and truth.anomaly_pixels[partial - 1] == 12
    assert truth.anomaly_ids[partial - 1] == 2
    others = np.setdiff1d(np.arange(sp.count), [full - 1, partial - 1])
    assert (truth.targets[others] == 0).all() and (truth.anomaly_ids[others] == 0).all()


def _one_superpixel(size: int = 50) -> Superpixels:
    """One square superpixel of ``size`` x ``size`` pixels in the top left of a 100 x 100 scan."""
    labels = np.zeros((100, 100), np.int32)
    labels[:size, :size] = 1
    return Superpixels(labels=labels, object_of=np.array([-1, 0], np.int32))


def _anomaly(inside: int, outside: int) -> np.ndarray:
    """Anomaly 1 with ``inside`` pixels in the superpixel and ``outside`` pixels below it."""
    anomalies = np.zeros((100, 100), np.uint8)
    rows, cols = np.nonzero(_one_superpixel().labels == 1)
    anomalies[rows[:inside], cols[:inside]] = 1
    anomalies[60:, :].reshape(-1)[:outside] = 1  # rows 60.. are contiguous: a view
    return anomalies


@pytest.mark.parametrize(
    ("inside", "outside", "expected"),
    [
        (35, 1000, 1),  # a screw-sized 35 pixels in a 2500-pixel superpixel: >= 30 pixels
        (29, 1000, -1),  # 29 pixels, 3 % of the anomaly, 1 % of the superpixel: grazing
        (10, 1000, -1),
        (4, 1000, 0),  # fewer than 5 pixels and under 2 %: benign
        (0, 1000, 0),
        (10, 20, 1),  # a third of a 30-pixel anomaly lies in it
        (750, 5000, 1),  # 30 % of the superpixel
    ],
)
def test_the_label_rule_covers_small_threats(inside, outside, expected):
    truth = superpixel_targets(_one_superpixel(), _anomaly(inside, outside))
    assert truth.targets[0] == expected
    assert truth.anomaly_pixels[0] == inside
    assert truth.anomaly_ids[0] == (0 if expected == 0 else 1)  # a benign superpixel carries none


def test_forty_percent_of_a_hundred_pixel_anomaly_makes_its_superpixel_anomalous():
    truth = superpixel_targets(_one_superpixel(), _anomaly(inside=40, outside=60))
    assert truth.targets[0] == 1


def test_each_superpixel_carries_the_anomaly_with_most_pixels_in_it():
    sp = _grid_superpixels()
    anomalies = np.zeros(sp.labels.shape, np.uint8)
    anomalies[0:10, 0:3] = 5  # 30 pixels of anomaly 5 in superpixel 1
    anomalies[0:10, 3:10] = 9  # 70 pixels of anomaly 9
    truth = superpixel_targets(sp, anomalies)
    assert truth.anomaly_ids.tolist() == [9, 0, 0, 0]
    assert truth.targets.tolist() == [1, 0, 0, 0]


def test_the_rule_needs_the_anomaly_label_map_not_a_boolean_mask():
    sp = _grid_superpixels()
    with pytest.raises(ValueError, match="label map"):
        superpixel_targets(sp, np.zeros(sp.labels.shape, bool))


def test_an_object_holds_an_anomaly_with_half_its_pixels_or_twenty():
    first = np.zeros((40, 40), bool)
    first[:20] = True
    second = ~first
    anomalies = np.zeros((40, 40), np.uint8)
    anomalies[0, :12] = 3  # two screws' worth, 12 pixels, all in the first object
    anomalies[39, :19] = 4  # 19 pixels of anomaly 4 in the second object ...
    anomalies[0:1, 20:40] = 4  # ... and 20 in the first: the first holds more than half
    truth = object_targets([first, second], anomalies)
    assert truth.targets.dtype == np.int8
    assert truth.targets.tolist() == [1, 0]
    assert truth.anomaly_ids == ((3, 4), ())
    anomalies[38, :2] = 4  # 21 pixels of it in the second object now: 20 or more
    assert object_targets([first, second], anomalies).anomaly_ids == ((3, 4), (4,))
