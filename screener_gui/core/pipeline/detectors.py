"""Detectors behind one small interface: how a scan's found items get region and item scores.

:meth:`~screener_gui.core.pipeline.screen.Screener.screen` reads objects → superpixels →
detector → result and never branches on a mode: each detector says whether it needs superpixels
(``strategy``), and returns a :class:`Detection`.

* :class:`DenseItemDetector` (default): one pass of the dense whole-item network per item; region
  scores pooled from its probability map, item scores from its item head.
* :class:`PaperDetector`: the paper's region classifiers — each superpixel's (or object's) isolated
  crop classified ("crop"), or the pooled fast mode — with the item score the highest region's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from screener_gui.core.models.registry import CLASSIFIER_KIND
from screener_gui.core.pipeline.classify import RegionModel, object_heatmap, superpixel_heatmap
from screener_gui.core.pipeline.dense import KIND as DENSE_KIND
from screener_gui.core.pipeline.dense import DenseModel
from screener_gui.core.pipeline.regions import crop_boxes, object_crops, superpixel_crops
from screener_gui.core.pipeline.superpixels import Superpixels
from screener_gui.core.weights import WeightsError, read_metadata

UNCALIBRATED = 0.5
"""The dense detector's thresholds until ``screener calibrate`` has set them."""


@dataclass(frozen=True)
class Detection:
    """A detector's scores for one scan.

    Attributes:
        scores: float32 (n regions,) anomaly probability of each region (superpixels 1..n at
            index l - 1, or the objects with the object strategy).
        object_of: int32 (n regions,) the object each region belongs to.
        object_scores: float32 (n objects,) each item's anomaly score.
        heatmap: float32 (H, W) display evidence in [0, 1], NaN outside the items.
        timings: Milliseconds of the detector's own stages.
    """

    scores: np.ndarray
    object_of: np.ndarray
    object_scores: np.ndarray
    heatmap: np.ndarray
    timings: dict[str, float]


class ItemDetector(Protocol):
    """What the screener needs of a detector."""

    mode: str  # "dense" or "paper"
    strategy: str  # "subcomponent" (needs superpixels) or "object"
    region_threshold: float
    object_threshold: float
    metadata: dict
    device: torch.device

    def detect(self, rgb: np.ndarray, masks: list[np.ndarray], sp: Superpixels | None) -> Detection: ...


class DenseItemDetector:
    """The dense whole-item detector; thresholds from its weights file (``screener calibrate``)."""

    mode = "dense"
    strategy = "subcomponent"

    def __init__(self, model: DenseModel) -> None:
        self.model, self.metadata, self.device = model, model.metadata, model.device
        # Uncalibrated weights decide at p = 0.5 until `screener calibrate` sets the thresholds.
        region, item = model.card.region_threshold, model.card.object_threshold
        self.region_threshold = UNCALIBRATED if region is None else region
        self.object_threshold = UNCALIBRATED if item is None else item

    def detect(self, rgb: np.ndarray, masks: list[np.ndarray], sp: Superpixels | None) -> Detection:
        if sp is None:
            raise ValueError("the dense detector scores superpixels: it needs them")
        t = time.perf_counter()
        dense = self.model.score(rgb, masks)
        times = {"classification": ms_since(t)}
        t = time.perf_counter()
        scores = dense.superpixel_scores(sp)
        heat = dense.heatmap(rgb.shape[:2], masks)
        times["heatmap"] = ms_since(t)
        return Detection(scores, sp.object_of[1:].astype(np.int32), dense.item_scores, heat, times)


class PaperDetector:
    """The paper's per-region classifiers (crop or pooled mode; sub-component or object strategy)."""

    mode = "paper"

    def __init__(self, model: RegionModel) -> None:
        self.model, self.metadata, self.device = model, model.metadata, model.device
        self.strategy = model.strategy
        self.region_threshold, self.object_threshold = model.region_threshold, model.object_threshold

    def detect(self, rgb: np.ndarray, masks: list[np.ndarray], sp: Superpixels | None) -> Detection:
        cm, times = self.model, {}
        t = time.perf_counter()
        if sp is not None and cm.mode == "pooled":
            scores, heat = cm.score_objects(rgb, sp, len(masks))
            times["classification"] = ms_since(t)  # the heatmap comes with the scores
            t = time.perf_counter()
        elif sp is not None:
            crops = superpixel_crops(rgb, sp)
            times["crops"] = ms_since(t)
            t = time.perf_counter()
            scores, maps = cm.score(crops)
            times["classification"] = ms_since(t)
            t = time.perf_counter()
            heat = superpixel_heatmap(rgb.shape[:2], sp, crop_boxes(sp), maps, scores, cm.input_size)
        else:
            crops = object_crops(rgb, masks) if masks else np.zeros((0, *cm.input_size, 3), np.uint8)
            times["crops"] = ms_since(t)
            t = time.perf_counter()
            scores, maps = cm.score(crops)
            times["classification"] = ms_since(t)
            t = time.perf_counter()
            heat = object_heatmap(rgb.shape[:2], masks, maps, scores, cm.input_size)
        times["heatmap"] = ms_since(t)
        object_of = (
            sp.object_of[1:].astype(np.int32) if sp is not None else np.arange(len(masks), dtype=np.int32)
        )
        object_scores = np.zeros(len(masks), np.float32)
        np.maximum.at(object_scores, object_of, scores.astype(np.float32))
        return Detection(scores.astype(np.float32), object_of, object_scores, heat, times)


KIND_MODES = {DENSE_KIND: "dense", CLASSIFIER_KIND: "paper"}
"""The detector mode of each kind of weights file (``metadata["kind"]``)."""


def load_detector(path: str | Path, device: torch.device) -> ItemDetector:
    """The detector a weights file holds: a dense detector or a paper-mode region classifier.

    Raises:
        WeightsError: The file is neither, or cannot be used.
    """
    kind = read_metadata(path).get("kind")
    mode = KIND_MODES.get(kind)
    if mode == "dense":
        return DenseItemDetector(DenseModel.load(path, device))
    if mode == "paper":
        return PaperDetector(RegionModel.load(path, device))
    raise WeightsError(path, f"it holds a {kind!r}, not a dense detector or a region classifier")


def ms_since(start: float) -> float:
    """Milliseconds since ``start`` (a ``time.perf_counter()`` reading)."""
    return 1000.0 * (time.perf_counter() - start)
