"""Sub-component segmentation: SLIC superpixels inside each isolated object.

Each object is cut out of the scan by its mask (everything else set to white, i.e. air, as the
paper does) and split by SLIC (Achanta et al. 2012) in its masked form (maskSLIC, Irving 2016):
seeds are spread over the mask only, and no superpixel leaks onto the belt or a neighbour. The
superpixels of all objects then share one label map in scan coordinates.

The setting is ``superpixel_area`` (pixels per superpixel), not a count per object: a laptop
gets many superpixels and a phone few, so a sub-component (a battery cell, a fan, a chip area)
keeps roughly the same physical size whatever object it sits in, and a classifier trained on
superpixel crops sees parts at one scale.

A :class:`SlicPlan` (made by :func:`~.caps.plan_bag` when screening) can instead fix each
object's count, split a very large object at a reduced resolution, and bound the count per
object and per scan; see :mod:`~.caps` for why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage.segmentation import slic

DEFAULT_SUPERPIXEL_AREA = 2500  # pixels: 40 x 40 mm at the 0.8 mm pitch of the generated scans
DEFAULT_COMPACTNESS = 20.0  # the paper's m = 20

AIR = 255  # white: what the scanner shows where nothing absorbs


@dataclass(frozen=True)
class Superpixels:
    """Superpixels of all objects in a scan.

    Attributes:
        labels: int32 (H, W) in scan coordinates; 0 = in no object, superpixels are numbered
            1..count consecutively, object by object in mask order.
        object_of: int32 (count + 1,): ``object_of[l]`` is the 0-based index (in the masks given
            to :func:`segment_objects`) of the object superpixel ``l`` belongs to;
            ``object_of[0] = -1``.
    """

    labels: np.ndarray
    object_of: np.ndarray

    @property
    def count(self) -> int:
        """Number of superpixels."""
        return len(self.object_of) - 1

    def of_object(self, i: int) -> np.ndarray:
        """The labels (int32, ascending) of object ``i``'s superpixels; empty when it has none."""
        return np.flatnonzero(self.object_of == i).astype(np.int32)


@dataclass(frozen=True)
class SlicPlan:
    """What SLIC is asked for, object by object (one entry per mask given to :func:`segment_objects`).

    Attributes:
        segments: Superpixels asked of SLIC for each object.
        shrink: Integer factor each object is reduced by before SLIC (1: full resolution); its
            labels are then scaled back up, so only the superpixel outlines get coarser.
        max_per_object: Most superpixels one object may keep; past it the smallest are merged
            into their nearest neighbours. None: no bound.
        max_total: Most superpixels all objects together may keep, taken in mask order (each
            object after the first keeps at least one). None: no bound.
    """

    segments: tuple[int, ...]
    shrink: tuple[int, ...]
    max_per_object: int | None = None
    max_total: int | None = None


def mask_box(mask: np.ndarray) -> tuple[slice, slice] | None:
    """The bounding box of a boolean mask as a pair of slices, or None when it is empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


def segment_objects(
    rgb: np.ndarray,
    masks: Sequence[np.ndarray],
    *,
    superpixel_area: float = DEFAULT_SUPERPIXEL_AREA,
    compactness: float = DEFAULT_COMPACTNESS,
    plan: SlicPlan | None = None,
) -> Superpixels:
    """Split every object into superpixels.

    Per object, in order: crop to its mask's bounding box, set pixels outside the mask to white,
    run SLIC (RGB converted to CIE Lab, ``mask=`` the object) asking for
    ``max(1, round(mask_area / superpixel_area))`` superpixels (or as ``plan`` says), then number
    them after those of the objects before. Where masks overlap, a pixel keeps the first object's
    superpixel. Empty masks get no superpixels; every pixel of a non-empty mask (not taken by an
    earlier object) lies in one of its object's superpixels.

    Args:
        rgb: The scan, uint8 (H, W, 3).
        masks: Boolean (H, W) object masks.
        superpixel_area: Wanted superpixel size in pixels (see the module docstring).
        compactness: SLIC's colour-versus-space weight m (higher: squarer superpixels).
        plan: Counts, resolutions and bounds per object (see :class:`SlicPlan`); when given it
            replaces the counts ``superpixel_area`` would ask for.

    Raises:
        ValueError: ``rgb`` is not (H, W, 3), a mask has another size, ``superpixel_area`` < 1,
            or ``plan`` has not one entry per mask.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) image, got shape {rgb.shape}")
    if superpixel_area < 1:
        raise ValueError(f"superpixel_area must be at least 1 pixel, got {superpixel_area}")
    if plan is not None and not len(plan.segments) == len(plan.shrink) == len(masks):
        raise ValueError(f"the plan covers {len(plan.segments)} objects, there are {len(masks)} masks")
    labels = np.zeros(rgb.shape[:2], np.int32)
    object_of = [-1]
    for index, mask in enumerate(masks):
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != labels.shape:
            raise ValueError(f"mask {index} has shape {mask.shape}, the scan {labels.shape}")
        box = mask_box(mask)
        if box is None:
            continue
        crop_mask = mask[box]
        if plan is None:
            segments, shrink, most = max(1, round(int(crop_mask.sum()) / superpixel_area)), 1, None
        else:
            segments, shrink, most = plan.segments[index], plan.shrink[index], plan.max_per_object
            if plan.max_total is not None:
                # Keep one superpixel for each object still to come.
                left = plan.max_total - (len(object_of) - 1) - (len(masks) - index - 1)
                most = max(1, left if most is None else min(most, left))
        local = _segment_one(rgb[box], crop_mask, segments, compactness, shrink, most)
        # Pixels an earlier object already holds stay with it.
        free = crop_mask & (labels[box] == 0)
        present = np.unique(local[free])
        present = present[present > 0]
        if present.size == 0:
            continue
        renumber = np.zeros(int(local.max()) + 1, np.int32)
        renumber[present] = np.arange(len(object_of), len(object_of) + present.size, dtype=np.int32)
        target = labels[box]  # a view: writes go into the scan's label map
        target[free] = renumber[local[free]]
        object_of.extend([index] * present.size)
    return Superpixels(labels=labels, object_of=np.asarray(object_of, np.int32))


def _segment_one(
    crop: np.ndarray,
    crop_mask: np.ndarray,
    n_segments: int,
    compactness: float,
    shrink: int = 1,
    most: int | None = None,
) -> np.ndarray:
    """SLIC labels (1.., 0 outside the mask) of one object cut to its bounding box.

    With ``shrink`` > 1, SLIC runs on ``shrink`` x ``shrink`` blocks (colours averaged, a block in
    the object when any of its pixels is) and each block's label goes to its pixels. With
    ``most``, superpixels past that many are merged into their neighbours.
    """
    if shrink > 1:
        small, small_mask = _block_reduce(crop, crop_mask, shrink)
        local = _segment_one(small, small_mask, n_segments, compactness, 1, most)
        big = local.repeat(shrink, axis=0).repeat(shrink, axis=1)[: crop_mask.shape[0], : crop_mask.shape[1]]
        return np.where(crop_mask, big, 0)
    local = _slic(crop, crop_mask, n_segments, compactness)
    if most is not None and int(local.max()) > most:
        local = _merge_smallest(local, crop_mask, most)
    return local


def _slic(crop: np.ndarray, crop_mask: np.ndarray, n_segments: int, compactness: float) -> np.ndarray:
    """maskSLIC of the object isolated on white; every mask pixel labelled."""
    if n_segments <= 1:
        # maskSLIC sizes its search window by the distance between seeds, so with a single
        # seed it assigns nothing; one superpixel is the whole object anyway.
        return crop_mask.astype(np.int32)
    isolated = crop.copy()
    isolated[~crop_mask] = AIR
    local = slic(
        isolated,
        n_segments=n_segments,
        compactness=compactness,
        mask=crop_mask,
        start_label=1,
        channel_axis=-1,
    ).astype(np.int32)
    return _fill_unlabelled(local, crop_mask)


def _block_reduce(crop: np.ndarray, crop_mask: np.ndarray, factor: int) -> tuple[np.ndarray, np.ndarray]:
    """The object isolated on white, averaged over ``factor`` x ``factor`` blocks, and its mask at
    that size (a block is in it when any of its pixels is, so every object pixel gets a label)."""
    height, width = crop_mask.shape
    rows, cols = -(-height // factor), -(-width // factor)
    isolated = np.full((rows * factor, cols * factor, 3), AIR, np.float32)
    isolated[:height, :width][crop_mask] = crop[crop_mask]
    small = isolated.reshape(rows, factor, cols, factor, 3).mean(axis=(1, 3))
    padded = np.zeros((rows * factor, cols * factor), bool)
    padded[:height, :width] = crop_mask
    small_mask = padded.reshape(rows, factor, cols, factor).any(axis=(1, 3))
    return np.round(small).astype(np.uint8), small_mask


def _merge_smallest(local: np.ndarray, crop_mask: np.ndarray, most: int) -> np.ndarray:
    """Keep the ``most`` largest superpixels (renumbered 1..most in their order); the pixels of the
    others go to the nearest kept one."""
    sizes = np.bincount(local[crop_mask], minlength=int(local.max()) + 1)
    sizes[0] = 0
    kept = np.sort(np.argsort(-sizes, kind="stable")[:most])
    renumber = np.zeros(sizes.size, np.int32)
    renumber[kept] = np.arange(1, kept.size + 1, dtype=np.int32)
    return _fill_unlabelled(renumber[local], crop_mask)


def _fill_unlabelled(local: np.ndarray, crop_mask: np.ndarray) -> np.ndarray:
    """Give mask pixels SLIC left at 0 the label of the nearest labelled pixel.

    SLIC only searches around its seeds and its connectivity step may drop fragments, so
    on tiny or thin masks some pixels can stay unlabelled; the object must still be covered.
    """
    missing = crop_mask & (local == 0)
    if not missing.any():
        return local
    labelled = local > 0
    if not labelled.any():
        return crop_mask.astype(np.int32)
    _, (rows, cols) = ndimage.distance_transform_edt(~labelled, return_indices=True)
    filled = local.copy()
    filled[missing] = local[rows[missing], cols[missing]]
    return filled
