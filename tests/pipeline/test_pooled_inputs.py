"""Object inputs of the pooled mode: the object alone on white, its superpixels renumbered, batched."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from screener_gui.core.models.pooled import ALIGN
from screener_gui.core.pipeline.pooled import MARGIN, input_batch, object_input, place_heat
from screener_gui.core.pipeline.superpixels import AIR, segment_objects
from screener_gui.synth.scene import SynthSettings, generate_scan


@pytest.fixture(scope="module")
def segmented():
    scan = generate_scan(0, 0, SynthSettings(width_px=400, height_px=320, items_only=True))
    masks = [scan.objects_mask == o.index for o in scan.objects]
    return scan.rgb, masks, segment_objects(scan.rgb, masks, superpixel_area=1500)


def test_an_object_input_holds_the_object_alone_with_its_own_superpixels(segmented):
    rgb, masks, sp = segmented
    item = object_input(rgb, sp, 0)
    y0, x0, y1, x1 = item.box
    inside = item.labels > 0
    assert item.image.shape[:2] == item.labels.shape == (y1 - y0, x1 - x0)
    assert np.array_equal(inside, masks[0][y0:y1, x0:x1])
    assert np.all(item.image[~inside] == AIR)
    assert np.array_equal(item.image[inside], rgb[y0:y1, x0:x1][inside])
    # Local label i + 1 is scan superpixel ids[i], and every superpixel of the object is there.
    assert np.array_equal(np.sort(item.ids), sp.of_object(0))
    assert np.array_equal(item.ids[item.labels[inside] - 1], sp.labels[y0:y1, x0:x1][inside])
    rows = np.flatnonzero(masks[0].any(1))
    assert y0 == max(0, rows[0] - MARGIN)


def test_an_object_without_superpixels_gives_no_input(segmented):
    rgb, _, sp = segmented
    assert object_input(rgb, sp, len(sp.object_of) + 5) is None


def test_a_batch_is_scaled_and_padded_on_white_to_a_whole_number_of_cells(segmented):
    rgb, _, sp = segmented
    item = object_input(rgb, sp, 0)
    small = (item.image[:50, :70], item.labels[:50, :70])
    x, labels = input_batch([item.image, small[0]], [item.labels, small[1]], 0.5, (0.5,) * 3, (0.5,) * 3)
    h, w = round(item.labels.shape[0] * 0.5), round(item.labels.shape[1] * 0.5)
    assert x.shape[2] % ALIGN == 0 and x.shape[3] % ALIGN == 0 and x.shape[2] >= h and x.shape[3] >= w
    assert torch.all(x[1, :, 25:] == 1.0) and torch.all(labels[1, 25:] == 0)  # white, no superpixel
    assert set(labels[0].unique().tolist()) == {0, *range(1, item.count + 1)}


def test_the_heatmap_is_each_pixels_superpixel_probability_times_the_normalised_map(segmented):
    rgb, _, sp = segmented
    item = object_input(rgb, sp, 0)
    heat = np.full(rgb.shape[:2], np.nan, np.float32)
    scores = np.linspace(0.0, 1.0, item.count).astype(np.float32)
    stride = 16
    cells = (
        -(-item.labels.shape[0] // ALIGN) * ALIGN // stride,
        -(-item.labels.shape[1] // ALIGN) * ALIGN // stride,
    )
    place_heat(heat, item, np.ones(cells, np.float32), scores, 1.0, stride)
    y0, x0, y1, x1 = item.box
    inside = item.labels > 0
    # A flat map normalises to 1 everywhere: the heat is the probability of the pixel's superpixel.
    assert np.allclose(heat[y0:y1, x0:x1][inside], scores[item.labels[inside] - 1])
    assert np.isnan(heat[y0:y1, x0:x1][~inside]).all()
