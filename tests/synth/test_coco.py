"""COCO run-length encoding round-trips and matches the reference format."""

from __future__ import annotations

import numpy as np

from screener_gui.synth import coco


def test_random_masks_round_trip():
    rng = np.random.default_rng(0)
    for _ in range(300):
        shape = (int(rng.integers(1, 50)), int(rng.integers(1, 50)))
        mask = rng.random(shape) < rng.random()
        assert np.array_equal(coco.decode(coco.encode(mask)), mask)


def test_known_encoding():
    # Column-major, this mask is 2 zeros, 2 ones, 2 zeros; a small run n is written as chr(48 + n).
    mask = np.array([[0, 1, 0], [0, 1, 0]], bool)
    assert coco.encode(mask) == {"size": [2, 3], "counts": "222"}
    # A mask starting with ones begins with an empty run of zeros.
    assert coco.encode(np.ones((1, 3), bool))["counts"] == "03"


def test_bbox_is_x_y_width_height():
    mask = np.zeros((10, 20), bool)
    mask[2:5, 7:15] = True
    assert coco.bbox(mask) == [7, 2, 8, 3]
