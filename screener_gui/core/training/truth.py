"""Ground truth of one dataset scan's regions: the pipeline's label rule plus each label's anomaly.

The rule itself is :mod:`screener_gui.core.pipeline.regions`; here its results are joined with
the dataset's records, so each labelled region carries its anomaly's kind and measured
visibility (ΔE). The region and object caches store what this module returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from screener_gui.core.dataset import ScanEntry
from screener_gui.core.pipeline.regions import object_targets, superpixel_targets
from screener_gui.core.pipeline.superpixels import Superpixels

LABEL_FIELDS: tuple[str, ...] = ("targets", "fractions", "categories", "anomaly_ids", "kinds", "delta_e")
LABEL_DTYPES: dict[str, type] = {
    "targets": np.int8,
    "fractions": np.float32,
    "categories": np.int8,
    "anomaly_ids": np.int16,
    "kinds": np.int16,
    "delta_e": np.float32,
}


@dataclass(frozen=True)
class ScanTruth:
    """A scan and its ground truth, as extraction needs them.

    Attributes:
        rgb: uint8 (H, W, 3) false colour.
        masks: Boolean (H, W) masks of the objects (empty ones dropped), by label-map value.
        categories: int8 (n,): each object's class number (1-based in the dataset's classes).
        anomaly_map: uint8 (H, W) anomaly label map.
    """

    rgb: np.ndarray
    masks: list[np.ndarray]
    categories: np.ndarray
    anomaly_map: np.ndarray


@dataclass(frozen=True)
class LabelledRegions:
    """Labels of regions and the anomaly each carries; arrays of one length, dtypes :data:`LABEL_DTYPES`.

    Attributes:
        targets: 1 anomaly, 0 benign, -1 ignored.
        fractions: Share of the region's pixels that are anomaly pixels.
        categories: The region's object class, 1-based in the dataset's classes.
        anomaly_ids: Label-map value of the region's anomaly (0: none).
        kinds: Index of its kind in the dataset's anomaly kinds (-1: none).
        delta_e: Its measured ΔE (NaN: none, or not measured).
    """

    targets: np.ndarray
    fractions: np.ndarray
    categories: np.ndarray
    anomaly_ids: np.ndarray
    kinds: np.ndarray
    delta_e: np.ndarray

    def take(self, rows: np.ndarray) -> LabelledRegions:
        """The labels of ``rows`` only."""
        return LabelledRegions(**{name: getattr(self, name)[rows] for name in LABEL_FIELDS})

    @classmethod
    def joined(cls, parts: Sequence[LabelledRegions]) -> LabelledRegions:
        """All ``parts`` one after another, in the cache dtypes."""
        return cls(
            **{
                name: np.concatenate([getattr(p, name) for p in parts]).astype(LABEL_DTYPES[name])
                if parts
                else np.zeros(0, LABEL_DTYPES[name])
                for name in LABEL_FIELDS
            }
        )


def scan_truth(scan: ScanEntry, object_classes: Sequence[str]) -> ScanTruth:
    """A scan, its object masks (empty ones dropped) with their classes, and its anomaly map."""
    rgb = scan.load_rgb()
    object_map = scan.load_object_map()
    masks, classes = [], []
    for obj in scan.objects:
        mask = object_map == obj.index
        if mask.any():
            masks.append(mask)
            classes.append(list(object_classes).index(obj.category) + 1)
    return ScanTruth(rgb, masks, np.asarray(classes, np.int8), scan.load_anomaly_map())


def anomaly_labels(
    scan: ScanEntry, anomaly_ids: np.ndarray, kinds: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Kind index (int16, -1 for none) and ΔE (float32, NaN for none or unmeasured) of each of
    ``anomaly_ids`` (label-map values of the scan's anomalies, 0 for none)."""
    kind_index = np.full(len(anomaly_ids), -1, np.int16)
    delta_e = np.full(len(anomaly_ids), np.nan, np.float32)
    for row, index in enumerate(np.asarray(anomaly_ids)):
        entry = scan.anomaly(int(index)) if index else None
        if entry is not None:
            kind_index[row] = list(kinds).index(entry.kind)
            delta_e[row] = entry.delta_e
    return kind_index, delta_e


def superpixel_labels(
    scan: ScanEntry, truth: ScanTruth, sp: Superpixels, kinds: Sequence[str]
) -> LabelledRegions:
    """Labels of every superpixel 1..count of a scan (ignored ones included)."""
    found = superpixel_targets(sp, truth.anomaly_map)
    kind_index, delta_e = anomaly_labels(scan, found.anomaly_ids, kinds)
    categories = truth.categories[sp.object_of[1:]] if sp.count else np.zeros(0, np.int8)
    return LabelledRegions(found.targets, found.fractions, categories, found.anomaly_ids, kind_index, delta_e)


def object_labels(scan: ScanEntry, truth: ScanTruth, kinds: Sequence[str]) -> LabelledRegions:
    """Labels of a scan's objects; each carries the most visible anomaly it holds."""
    found = object_targets(truth.masks, truth.anomaly_map)
    areas = np.array([np.count_nonzero(m) for m in truth.masks], np.float64)
    hits = np.array([np.count_nonzero(m & (truth.anomaly_map > 0)) for m in truth.masks], np.float64)
    most_visible = [scan.most_visible(held) for held in found.anomaly_ids]
    anomaly_ids = np.array([a.index if a is not None else 0 for a in most_visible], np.int32)
    kind_index, delta_e = anomaly_labels(scan, anomaly_ids, kinds)
    return LabelledRegions(
        found.targets,
        (hits / np.maximum(areas, 1)).astype(np.float32),
        truth.categories,
        anomaly_ids,
        kind_index,
        delta_e,
    )
