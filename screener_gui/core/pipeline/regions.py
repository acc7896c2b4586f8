"""Regions to classify: their crops and their ground-truth labels.

Crops follow the paper: a region is cut to its bounding box, everything outside the region set
to white (air), padded with white to the crop's aspect ratio (centred) and rescaled. Object crops
are 224 x 224; superpixel (sub-component) crops 190 wide by 150 high.

Labelling rule, from the ground-truth anomaly *label map* (one integer id per anomaly), built so
that small threats (a few screws, a detonator) are labelled too, not only large slabs:

* a superpixel is **anomaly** (1) when anomaly pixels cover at least :data:`ANOMALY_MIN` (30 %)
  of it, OR at least :data:`ANOMALY_SHARE_MIN` (30 %) of one anomaly's pixels lie in it, OR it
  holds at least :data:`ANOMALY_MIN_PIXELS` (30) anomaly pixels;
* otherwise it is **benign** (0) when anomaly pixels cover less than :data:`BENIGN_MAX` (2 %) of
  it AND it holds fewer than :data:`BENIGN_MAX_PIXELS` (5) of them;
* anything in between is **ignored** (-1): a superpixel that merely grazes an anomaly is neither a
  clean example of one nor of the other, so it is left out of training and of region-level
  metrics;
* an anomalous or ignored superpixel carries its anomaly: the id of the anomaly holding most of
  its anomaly pixels (a benign one carries none, 0), so training and evaluation can look up that
  anomaly's kind and visibility;
* an object **holds** an anomaly when at least :data:`OBJECT_MIN_SHARE` (half) of that anomaly's
  pixels, or at least :data:`OBJECT_MIN_PIXELS` (20) of them, lie in its mask, and it is
  **anomaly** when it holds one. A predicted mask that clips a few pixels of a neighbour's anomaly
  is not anomalous, while a pair of screws of a dozen pixels each, wholly inside, is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from screener_gui.core.pipeline.superpixels import AIR, Superpixels, mask_box

SUBCOMPONENT_SIZE: tuple[int, int] = (150, 190)  # (height, width): the paper's 190 x 150 crops
OBJECT_SIZE: tuple[int, int] = (224, 224)  # (height, width)

ANOMALY_MIN = 0.30  # share of a superpixel's pixels that are anomaly pixels: at or above, anomaly
ANOMALY_SHARE_MIN = 0.30  # share of one anomaly's pixels lying in a superpixel: at or above, anomaly
ANOMALY_MIN_PIXELS = 30  # anomaly pixels in a superpixel: at or above, anomaly
BENIGN_MAX = 0.02  # benign below this share of anomaly pixels ...
BENIGN_MAX_PIXELS = 5  # ... and with fewer anomaly pixels than this; ignored in between
OBJECT_MIN_SHARE = 0.5  # share of an anomaly's pixels in an object mask for the object to hold it
OBJECT_MIN_PIXELS = 20  # or this many of its pixels

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


@dataclass(frozen=True)
class RegionTruth:
    """Ground truth of superpixels 1..count by the module's rule; index ``l - 1`` is superpixel ``l``.

    Attributes:
        targets: int8 (count,): 1 anomaly, 0 benign, -1 ignored.
        fractions: float32 (count,): share of the superpixel's pixels that are anomaly pixels.
        anomaly_pixels: int32 (count,): anomaly pixels in the superpixel.
        anomaly_ids: int32 (count,): label-map value of the anomaly with most pixels in the
            superpixel; 0 for benign superpixels.
    """

    targets: np.ndarray
    fractions: np.ndarray
    anomaly_pixels: np.ndarray
    anomaly_ids: np.ndarray


@dataclass(frozen=True)
class ObjectTruth:
    """Ground truth of objects by the module's rule.

    Attributes:
        targets: int8 (N,): 1 when the object holds an anomaly, else 0.
        anomaly_ids: Per object, the label-map values of the anomalies it holds (ascending).
    """

    targets: np.ndarray
    anomaly_ids: tuple[tuple[int, ...], ...]


def superpixel_targets(sp: Superpixels, anomaly_map: np.ndarray) -> RegionTruth:
    """Ground-truth labels of superpixels 1..count by the module's rule.

    Args:
        sp: The superpixels.
        anomaly_map: (H, W) integer label map: 0, or the id of the anomaly covering the pixel.

    Raises:
        ValueError: The map is boolean or negative (the rule needs one id per anomaly), or its
            shape differs from the superpixels'.
    """
    ids = _label_map(anomaly_map, sp.labels.shape)
    n = sp.count
    area = np.bincount(sp.labels.ravel(), minlength=n + 1)[1 : n + 1]
    hit = ids > 0
    width = int(ids.max(initial=0)) + 1
    # pixels[s, a]: pixels of anomaly a in superpixel s (row 0 is "in no superpixel")
    pairs = sp.labels[hit].astype(np.int64) * width + ids[hit]
    pixels = np.bincount(pairs, minlength=(n + 1) * width).reshape(n + 1, width)[1:]
    totals = np.bincount(ids[hit], minlength=width)  # each anomaly's pixels in the whole scan
    count = pixels.sum(axis=1)
    fractions = count / np.maximum(area, 1)
    share = (pixels / np.maximum(totals, 1)).max(axis=1, initial=0.0)
    anomalous = (fractions >= ANOMALY_MIN) | (share >= ANOMALY_SHARE_MIN) | (count >= ANOMALY_MIN_PIXELS)
    benign = (fractions < BENIGN_MAX) & (count < BENIGN_MAX_PIXELS)
    targets = np.full(n, IGNORED, np.int8)
    targets[benign] = BENIGN
    targets[anomalous] = ANOMALY
    main = np.where(targets != BENIGN, pixels.argmax(axis=1), 0) if width > 1 else np.zeros(n, np.int64)
    return RegionTruth(
        targets=targets,
        fractions=fractions.astype(np.float32),
        anomaly_pixels=count.astype(np.int32),
        anomaly_ids=main.astype(np.int32),
    )


def object_targets(masks: Sequence[np.ndarray], anomaly_map: np.ndarray) -> ObjectTruth:
    """Ground-truth labels of objects by the module's rule (see the module docstring).

    Args:
        masks: Boolean (H, W) object masks.
        anomaly_map: (H, W) integer anomaly label map, as for :func:`superpixel_targets`.
    """
    ids = np.asarray(anomaly_map)
    held: list[tuple[int, ...]] = []
    if masks:
        ids = _label_map(ids, np.asarray(masks[0]).shape)
    totals = np.bincount(ids.ravel(), minlength=1)
    for mask in masks:
        inside = np.bincount(ids[np.asarray(mask, dtype=bool)], minlength=totals.size)
        holds = (inside >= OBJECT_MIN_PIXELS) | (inside >= OBJECT_MIN_SHARE * np.maximum(totals, 1))
        holds[0] = False
        held.append(tuple(int(a) for a in np.flatnonzero(holds & (inside > 0))))
    return ObjectTruth(np.array([bool(h) for h in held], np.int8), tuple(held))


def _label_map(anomaly_map: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The anomaly label map as int64, checked."""
    ids = np.asarray(anomaly_map)
    if ids.dtype == bool or ids.dtype.kind not in "iu":
        raise ValueError(f"the label rule needs the anomaly label map (integer ids), not {ids.dtype} values")
    if ids.shape != tuple(shape):
        raise ValueError(f"anomaly map has shape {ids.shape}, the superpixels / masks {tuple(shape)}")
    if ids.size and ids.min() < 0:
        raise ValueError("anomaly ids must be 0 (none) or positive")
    return ids.astype(np.int64, copy=False)


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
