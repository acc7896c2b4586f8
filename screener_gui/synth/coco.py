"""COCO geometry of masks: run-length encoding (:mod:`screener_gui.core.rle`) and boxes."""

from __future__ import annotations

import numpy as np

from screener_gui.core.rle import decode, encode

__all__ = ["bbox", "decode", "encode"]


def bbox(mask: np.ndarray) -> list[int]:
    """COCO box ``[x, y, width, height]`` in pixels of a non-empty mask."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return [0, 0, 0, 0]
    return [int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)]
