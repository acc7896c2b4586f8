"""Regions to classify: their crops and their ground-truth labels.

Crops follow the paper: a region is cut to its bounding box, everything outside the region set
to white (air), padded with white to the crop's aspect ratio (centred) and rescaled. Object crops
are 224 x 224; superpixel (sub-component) crops 190 wide by 150 high.

Labelling rule, from ground-truth anomaly masks:

* a superpixel is **anomaly** (1) when concealed-anomaly pixels cover at least
  :data:`ANOMALY_MIN` (20 %) of it, **benign** (0) when they cover less than :data:`BENIGN_MAX`
  (2 %), and **ignored** (-1) in between: a superpixel that merely grazes an anomaly is neither a
  clean example of one nor of the other, so it is left out of training and of region-level
  metrics;
* an object is **anomaly** when at least :data:`OBJECT_MIN_PIXELS` (20) of its mask pixels are
  anomaly pixels, so a predicted mask that clips a pixel or two of a neighbour's anomaly is not
  called anomalous.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image
from scipy import ndimage

from screener_gui.core.pipeline.superpixels import AIR, Superpixels, mask_box

SUBCOMPONENT_SIZE: tuple[int, int] = (150, 190)  # (height, width): the paper's 190 x 150 crops
OBJECT_SIZE: tuple[int, int] = (224, 224)  # (height, width)

ANOMALY_MIN = 0.20  # fraction of a superpixel's pixels: at or above, the superpixel is an anomaly
BENIGN_MAX = 0.02  # below this fraction it is benign; in between it is ignored
OBJECT_MIN_PIXELS = 20  # anomaly pixels an object must hold to be an anomaly

ANOMALY, BENIGN, IGNORED = 1, 0, -1

Box = tuple[int, int, int, int]  # (y0, x0, y1, x1), end exclusive


def region_crop(
    rgb: np.ndarray, region_mask: np.ndarray, size: tuple[int, int], box: Box | None = None
) -> np.ndarray:
    """The crop of one region, isolated on white and rescaled.

    Args:
        rgb: The scan, uint8 (H, W, 3).
        region_mask: Boolean (H, W), True on the region.
        size: Output (height, width) in pixels, e.g. :data:`OBJECT_SIZE`.
        box: The region's bounding box (y0, x0, y1, x1) if already known (saves a pass over
            the mask); it must contain the whole region.

    Returns:
        uint8 (height, width, 3).

    Raises:
        ValueError: The region is empty.
    """
    if box is None:
        slices = mask_box(region_mask)
        if slices is None:
            raise ValueError("cannot crop an empty region")
    else:
        y0, x0, y1, x1 = box
        slices = slice(y0, y1), slice(x0, x1)
    return _isolated_crop(rgb[slices], region_mask[slices], size)


def superpixel_crops(rgb: np.ndarray, sp: Superpixels, labels: Sequence[int] | None = None) -> np.ndarray:
    """Crops of superpixels, uint8 (M, 150, 190, 3), in the order of ``labels`` (default 1..count)."""
    wanted = np.arange(1, sp.count + 1) if labels is None else np.asarray(labels, dtype=np.int64)
    boxes = ndimage.find_objects(sp.labels, max_label=sp.count)
    out = np.empty((len(wanted), *SUBCOMPONENT_SIZE, 3), np.uint8)
    for row, label in enumerate(wanted):
        if not 1 <= label <= sp.count or boxes[label - 1] is None:
            raise ValueError(f"no superpixel {label} (there are {sp.count})")
        slices = boxes[label - 1]
        out[row] = _isolated_crop(rgb[slices], sp.labels[slices] == label, SUBCOMPONENT_SIZE)
    return out


def object_crops(rgb: np.ndarray, masks: Sequence[np.ndarray]) -> np.ndarray:
    """Crops of whole objects, uint8 (N, 224, 224, 3), one per mask, in order.

    Raises:
        ValueError: A mask is empty (filter those out first: an empty mask is no object).
    """
    out = np.empty((len(masks), *OBJECT_SIZE, 3), np.uint8)
    for row, mask in enumerate(masks):
        out[row] = region_crop(rgb, np.asarray(mask, dtype=bool), OBJECT_SIZE)
    return out


def crop_boxes(sp: Superpixels) -> np.ndarray:
    """Bounding boxes of superpixels 1..count, int64 (count, 4) as (y0, x0, y1, x1), end exclusive.

    A crop of superpixel ``l`` covers ``boxes[l - 1]`` padded to the crop's aspect ratio (see
    :func:`padded_box`), which maps an activation map of the crop back into the scan.
    """
    boxes = np.zeros((sp.count, 4), np.int64)
    for i, slices in enumerate(ndimage.find_objects(sp.labels, max_label=sp.count)):
        if slices is not None:
            rows, cols = slices
            boxes[i] = rows.start, cols.start, rows.stop, cols.stop
    return boxes


def padded_box(box: Box, size: tuple[int, int]) -> Box:
    """The box grown symmetrically to the aspect ratio of ``size`` as :func:`region_crop` pads it.

    The result may reach outside the scan (the crop is padded with white there).
    """
    y0, x0, y1, x1 = box
    top, bottom, left, right = _padding(y1 - y0, x1 - x0, size)
    return y0 - top, x0 - left, y1 + bottom, x1 + right


def superpixel_targets(sp: Superpixels, anomalies: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ground-truth labels of superpixels 1..count by the module's rule.

    Args:
        sp: The superpixels.
        anomalies: (H, W) boolean anomaly mask, or an integer label map (anomaly where > 0).

    Returns:
        ``targets`` int8 (count,) of 1 / 0 / -1 and ``fractions`` float32 (count,), the share of
        each superpixel covered by anomaly pixels; index 0 is superpixel 1.
    """
    fractions = _anomaly_fractions(sp.labels, np.asarray(anomalies) > 0, sp.count)
    return _rule(fractions), fractions.astype(np.float32)


def object_targets(masks: Sequence[np.ndarray], anomalies: np.ndarray) -> np.ndarray:
    """Ground-truth labels of objects, int8 (N,): 1 when they hold ``OBJECT_MIN_PIXELS`` anomaly pixels."""
    anomalous = np.asarray(anomalies) > 0
    counts = [int(np.count_nonzero(anomalous & np.asarray(m, dtype=bool))) for m in masks]
    return (np.asarray(counts, np.int64) >= OBJECT_MIN_PIXELS).astype(np.int8)


def _rule(fractions: np.ndarray) -> np.ndarray:
    targets = np.full(fractions.shape, IGNORED, np.int8)
    targets[fractions >= ANOMALY_MIN] = ANOMALY
    targets[fractions < BENIGN_MAX] = BENIGN
    return targets


def _anomaly_fractions(labels: np.ndarray, anomalous: np.ndarray, count: int) -> np.ndarray:
    """Float64 (count,): share of each superpixel's pixels that are anomaly pixels."""
    if anomalous.shape != labels.shape:
        raise ValueError(f"anomaly mask has shape {anomalous.shape}, the superpixels {labels.shape}")
    area = np.bincount(labels.ravel(), minlength=count + 1)[1 : count + 1]
    hit = np.bincount(labels[anomalous], minlength=count + 1)[1 : count + 1]
    return hit / np.maximum(area, 1)


def _padding(height: int, width: int, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """White margins (top, bottom, left, right) that bring (height, width) to the aspect of ``size``."""
    out_h, out_w = size
    if width * out_h > height * out_w:  # too wide: pad above and below
        extra = max(0, round(width * out_h / out_w) - height)
        return extra // 2, extra - extra // 2, 0, 0
    extra = max(0, round(height * out_w / out_h) - width)
    return 0, 0, extra // 2, extra - extra // 2


def _isolated_crop(patch: np.ndarray, region: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``patch`` with pixels outside ``region`` white, padded to the aspect of ``size``, resized."""
    if not region.any():
        raise ValueError("cannot crop an empty region")
    top, bottom, left, right = _padding(*region.shape, size)
    canvas = np.full((region.shape[0] + top + bottom, region.shape[1] + left + right, 3), AIR, np.uint8)
    inner = canvas[top : top + region.shape[0], left : left + region.shape[1]]
    inner[region] = patch[region]
    if canvas.shape[:2] == tuple(size):
        return canvas
    # Pillow's bilinear resize widens its kernel when shrinking, so downscaling is antialiased.
    image = Image.fromarray(canvas).resize((size[1], size[0]), Image.Resampling.BILINEAR)
    return np.asarray(image, dtype=np.uint8)
