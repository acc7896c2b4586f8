"""PNGs the project writes read back bit-exactly in a standard decoder."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from screener_gui.core.png import encode_png


@pytest.mark.parametrize(
    ("dtype", "shape"),
    [(np.uint16, (37, 53)), (np.uint8, (37, 53)), (np.uint8, (37, 53, 3)), (np.uint16, (1, 1))],
)
def test_round_trip_through_pillow(dtype, shape):
    array = np.random.default_rng(0).integers(0, np.iinfo(dtype).max, shape, endpoint=True, dtype=dtype)
    back = np.asarray(Image.open(io.BytesIO(encode_png(array))))
    assert back.shape == shape
    assert np.array_equal(back.astype(dtype), array)


def test_refuses_what_it_cannot_write():
    with pytest.raises(ValueError, match="cannot save"):
        encode_png(np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="empty"):
        encode_png(np.zeros((0, 4), np.uint8))
