"""The whole pipeline on one scan: objects → superpixels → region scores → heatmap → decision."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import torch

from screener_gui.core.pipeline.caps import Caps, plan_bag
from screener_gui.core.pipeline.classify import RegionModel, object_heatmap, superpixel_heatmap
from screener_gui.core.pipeline.objects import ObjectInstance, Segmenter
from screener_gui.core.pipeline.regions import crop_boxes, object_crops, superpixel_crops
from screener_gui.core.pipeline.superpixels import DEFAULT_COMPACTNESS, Superpixels, segment_objects
from screener_gui.core.scan import Scan

MODELS_ENV = "SCREENER_MODELS"
SEGMENTER_FILE = "segmenter.safetensors"
CLASSIFIER_FILE = "classifier.safetensors"


@dataclass(frozen=True)
class RegionScores:
    """Scores of the classified regions: superpixels 1..n (index l - 1) or objects, by strategy.

    Attributes:
        strategy: "subcomponent" or "object".
        scores: float32 (n,) anomaly probability of each region.
        labels: int8 (n,) 1 anomaly / 0 benign at ``threshold``.
        object_of: int32 (n,) the object each region belongs to.
        threshold: Decision threshold on ``scores`` (calibrated on validation data).
    """

    strategy: str
    scores: np.ndarray
    labels: np.ndarray
    object_of: np.ndarray
    threshold: float


@dataclass(frozen=True)
class ScreeningResult:
    """Everything the pipeline found in one scan.

    Attributes:
        source: Where the scan came from.
        shape: (H, W) of the scan.
        objects: Electronics items, best score first.
        superpixels: Sub-components of the objects (None with the object strategy).
        regions: Classified regions.
        object_scores: float32 (n objects,) each object's anomaly score (max over its regions).
        object_alarms: bool (n objects,) object score at or above the object threshold.
        heatmap: float32 (H, W) display evidence in [0, 1] (activation x probability), NaN outside objects.
        alarm: The bag decision: any object alarmed.
        bag_score: Highest object score (0 with no objects).
        object_threshold: Object score at or above which an object alarms.
        capped: Names of the caps (see :mod:`~.caps`) that limited this scan's screening, e.g.
            ``("items", "superpixels_per_bag")``; empty when none did.
        timings: Milliseconds per stage and in total.
        device: Where the networks ran.
    """

    source: str
    shape: tuple[int, int]
    objects: tuple[ObjectInstance, ...]
    superpixels: Superpixels | None
    regions: RegionScores
    object_scores: np.ndarray
    object_alarms: np.ndarray
    heatmap: np.ndarray
    alarm: bool
    bag_score: float
    object_threshold: float
    capped: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    device: str = "cpu"

    def summary(self) -> dict:
        """A JSON-ready summary (no pixel arrays): one line of ``screener screen``'s output."""
        return {
            "source": self.source,
            "height": self.shape[0],
            "width": self.shape[1],
            "alarm": self.alarm,
            "bag_score": round(self.bag_score, 5),
            "strategy": self.regions.strategy,
            "region_threshold": self.regions.threshold,
            "object_threshold": self.object_threshold,
            "objects": [
                {
                    "index": o.index,
                    "category": o.category,
                    "detection_score": round(o.score, 4),
                    "box_xyxy": list(o.box),
                    "area_px": o.area,
                    "anomaly_score": round(float(self.object_scores[o.index]), 5),
                    "alarm": bool(self.object_alarms[o.index]),
                    "regions": int(np.count_nonzero(self.regions.object_of == o.index)),
                    "anomalous_regions": int(
                        np.count_nonzero((self.regions.object_of == o.index) & (self.regions.labels == 1))
                    ),
                }
                for o in self.objects
            ],
            "capped": list(self.capped),
            "timings_ms": {k: round(v, 1) for k, v in self.timings.items()},
            "device": self.device,
        }


def pick_device(name: str | None = None) -> torch.device:
    """``name`` when given, else CUDA when present, else the CPU."""
    if name:
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def models_dir() -> Path:
    """Where the shipped models are: ``$SCREENER_MODELS``, else the project's ``models/`` folder."""
    env = os.environ.get(MODELS_ENV)
    return Path(env) if env else Path(__file__).resolve().parents[3] / "models"


class Screener:
    """A segmenter and a region classifier working together; ``screen`` runs one scan.

    ``caps`` bounds the work per scan (items, superpixels, pixels; default :class:`~.caps.Caps`).
    """

    def __init__(
        self,
        segmenter: Segmenter,
        classifier: RegionModel,
        *,
        compactness: float = DEFAULT_COMPACTNESS,
        superpixel_area: int | None = None,
        caps: Caps | None = None,
    ):
        self.segmenter = segmenter
        self.classifier = classifier
        self.compactness = compactness
        self.superpixel_area = int(superpixel_area or classifier.metadata.get("superpixel_area") or 2500)
        self.caps = caps or Caps()
        self.device = classifier.device

    @classmethod
    def load(
        cls,
        segmenter: str | Path | None = None,
        classifier: str | Path | None = None,
        device: str | None = None,
        **options,
    ) -> Screener:
        """Load the two models (default: the shipped ones) onto ``device`` (default: CUDA if present)."""
        dev = pick_device(device)
        seg = Segmenter.load(segmenter or models_dir() / SEGMENTER_FILE, dev)
        cls_model = RegionModel.load(classifier or models_dir() / CLASSIFIER_FILE, dev)
        return cls(seg, cls_model, **options)

    def screen(self, scan: Scan) -> ScreeningResult:
        """Run the pipeline on ``scan`` (its false-colour image, so any scanner's output works)."""
        times, t0 = {}, time.perf_counter()
        rgb = scan.rgb
        objects = self.segmenter.detect(rgb)
        times["objects"] = _ms(t0)
        plan = plan_bag([o.area for o in objects], self.superpixel_area, self.caps)
        objects = objects[: plan.keep]  # best first: the highest-scoring detections stay
        masks = [o.mask for o in objects]
        cm = self.classifier
        sp = None
        # The object strategy makes no superpixels: only the item cap can touch it.
        capped = tuple(c for c in plan.capped if c == "items" or cm.strategy == "subcomponent")
        if cm.strategy == "subcomponent":
            t = time.perf_counter()
            sp = segment_objects(
                rgb, masks, superpixel_area=self.superpixel_area, compactness=self.compactness, plan=plan.slic
            )
            times["superpixels"] = _ms(t)
            t = time.perf_counter()
            if cm.mode == "pooled":
                scores, heat = cm.score_objects(rgb, sp, len(objects))
                times["classification"] = _ms(t)  # the heatmap comes with the scores
                t = time.perf_counter()
            else:
                crops = superpixel_crops(rgb, sp)
                times["crops"] = _ms(t)
                t = time.perf_counter()
                scores, maps = cm.score(crops)
                times["classification"] = _ms(t)
                t = time.perf_counter()
                heat = superpixel_heatmap(rgb.shape[:2], sp, crop_boxes(sp), maps, scores, cm.input_size)
            object_of = sp.object_of[1:].astype(np.int32)
        else:
            t = time.perf_counter()
            crops = object_crops(rgb, masks) if masks else np.zeros((0, *cm.input_size, 3), np.uint8)
            times["crops"] = _ms(t)
            t = time.perf_counter()
            scores, maps = cm.score(crops)
            times["classification"] = _ms(t)
            t = time.perf_counter()
            heat = object_heatmap(rgb.shape[:2], masks, maps, scores, cm.input_size)
            object_of = np.arange(len(objects), dtype=np.int32)
        times["heatmap"] = _ms(t)
        object_scores = np.zeros(len(objects), np.float32)
        np.maximum.at(object_scores, object_of, scores.astype(np.float32))
        alarms = object_scores >= cm.object_threshold
        labels = (scores >= cm.region_threshold).astype(np.int8)
        times["total"] = _ms(t0)
        regions = RegionScores(cm.strategy, scores.astype(np.float32), labels, object_of, cm.region_threshold)
        return ScreeningResult(
            source=scan.source,
            shape=rgb.shape[:2],
            objects=objects,
            superpixels=sp,
            regions=regions,
            object_scores=object_scores,
            object_alarms=alarms,
            heatmap=heat,
            alarm=bool(alarms.any()),
            bag_score=float(object_scores.max()) if len(objects) else 0.0,
            object_threshold=cm.object_threshold,
            capped=capped,
            timings=times,
            device=str(self.device),
        )


def _ms(start: float) -> float:
    return 1000.0 * (time.perf_counter() - start)


@cache
def default_screener() -> Screener:
    """The shipped models, loaded once per process."""
    return Screener.load()


def screen(scan: Scan, screener: Screener | None = None) -> ScreeningResult:
    """Screen one scan with ``screener`` (default: the shipped models on the best device)."""
    return (screener or default_screener()).screen(scan)
