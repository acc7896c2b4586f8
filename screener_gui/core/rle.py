"""COCO-style run-length encoding of binary masks (the compressed string form).

The encoding is COCO's: runs are counted over the mask in column-major order, starting with
a run of zeros; each run length (from the third on, as the difference to the run two before)
is written as little-endian 5-bit groups with a continuation bit, offset into printable ASCII.
Any COCO tool (``pycocotools.mask.decode``) reads what :func:`encode` writes, and :func:`decode`
reads theirs. The generator writes dataset segmentations with it, the dataset reader reads them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def _runs(mask: np.ndarray) -> list[int]:
    flat = np.asarray(mask, bool).reshape(-1, order="F")
    if flat.size == 0:
        return [0]
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat[0]:
        runs.insert(0, 0)
    return runs


def encode(mask: np.ndarray) -> dict:
    """``{"size": [h, w], "counts": str}`` for a 2-D boolean mask."""
    runs = _runs(mask)
    chars = []
    for i, run in enumerate(runs):
        x = run - runs[i - 2] if i > 2 else run
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = x != -1 if c & 0x10 else x != 0
            if more:
                c |= 0x20
            chars.append(chr(c + 48))
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": "".join(chars)}


def decode(rle: Mapping) -> np.ndarray:
    """The boolean (h, w) mask of an RLE made by :func:`encode` (or by any COCO tool).

    Raises:
        ValueError: The runs do not cover ``size`` exactly, or a run is negative (a corrupt string).
    """
    h, w = rle["size"]
    counts = rle["counts"]
    runs: list[int] = []
    pos = 0
    while pos < len(counts):
        x, shift, more = 0, 0, True
        while more:
            if pos >= len(counts):
                raise ValueError("RLE string ends inside a run length")
            c = ord(counts[pos]) - 48
            x |= (c & 0x1F) << (5 * shift)
            more = bool(c & 0x20)
            pos += 1
            shift += 1
            if not more and c & 0x10:
                x |= -1 << (5 * shift)
        if len(runs) > 2:
            x += runs[-2]
        runs.append(x)
    if any(run < 0 for run in runs):
        raise ValueError("RLE holds a negative run length")
    values = np.zeros(len(runs), bool)
    values[1::2] = True
    flat = np.repeat(values, runs)
    if flat.size != h * w:
        raise ValueError(f"RLE covers {flat.size} pixels, expected {h}x{w}")
    return flat.reshape((h, w), order="F")
