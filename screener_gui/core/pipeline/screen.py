"""The whole pipeline on one scan: objects → superpixels → region scores → heatmap → decision."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import torch

from screener_gui.core.memory import release_freed
from screener_gui.core.pipeline.caps import Caps, plan_bag
from screener_gui.core.pipeline.detectors import ItemDetector, load_detector, ms_since
from screener_gui.core.pipeline.objects import ObjectInstance, Segmenter
from screener_gui.core.pipeline.regions import crop_boxes
from screener_gui.core.pipeline.superpixels import DEFAULT_COMPACTNESS, Superpixels, segment_objects
from screener_gui.core.scan import Scan
from screener_gui.core.weights import WeightsError

MODELS_ENV = "SCREENER_MODELS"
INSTALLED_MODELS = "share/xray-screener/models"  # under sys.prefix (pyproject's data-files)
SEGMENTER_FILE = "segmenter.safetensors"
CLASSIFIER_FILE = "classifier.safetensors"
DETECTOR_FILE = "detector.safetensors"
MODE_FILES = {"dense": DETECTOR_FILE, "paper": CLASSIFIER_FILE}
"""The shipped weights of each mode, in :func:`models_dir`."""
DEFAULT_MODE = "dense"
BELOW_ALARM = 2
"""Region state: above the region threshold, in an item that did not alarm."""


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
        object_scores: float32 (n objects,) each object's anomaly score (the dense detector's item
            head; the paper mode's highest region).
        object_alarms: bool (n objects,) object score at or above the object threshold.
        heatmap: float32 (H, W) display evidence in [0, 1] (activation x probability), NaN outside objects.
        alarm: The bag decision: any object alarmed.
        bag_score: Highest object score (0 with no objects).
        object_threshold: Object score at or above which an object alarms.
        mode: The detector that scored it: "dense" or "paper".
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
    mode: str = "dense"
    capped: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    device: str = "cpu"

    def region_states(self) -> np.ndarray:
        """int8 (n regions,): 1 anomalous in an alarmed item, 2 above the region threshold in an
        item that did not alarm ("below the alarm"), 0 benign. What the overlays and the viewer
        draw, so a red region always lies in an alarmed item."""
        states = self.regions.labels.astype(np.int8)
        if states.size:
            quiet = ~self.object_alarms[self.regions.object_of]
            states[(states == 1) & quiet] = BELOW_ALARM
        return states

    def summary(self) -> dict:
        """A JSON-ready summary (no pixel arrays): one line of ``screener screen``'s output.

        Per item: its score and alarm, and its regions (id = superpixel label, or the item's index
        with the object strategy; box ``[x0, y0, x1, y1]`` end exclusive; score; ``anomalous`` at
        the region threshold; ``state`` "alarm", "below_alarm" or "benign").
        """
        states = self.region_states()
        boxes = self._region_boxes()
        names = {1: "alarm", BELOW_ALARM: "below_alarm", 0: "benign"}

        def regions_of(index: int) -> list[dict]:
            return [
                {
                    "id": int(r + 1) if self.superpixels is not None else int(r),
                    "box_xyxy": [int(boxes[r, 1]), int(boxes[r, 0]), int(boxes[r, 3]), int(boxes[r, 2])],
                    "score": round(float(self.regions.scores[r]), 5),
                    "anomalous": bool(self.regions.labels[r]),
                    "state": names[int(states[r])],
                }
                for r in np.flatnonzero(self.regions.object_of == index)
            ]

        return {
            "source": self.source,
            "height": self.shape[0],
            "width": self.shape[1],
            "mode": self.mode,
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
                    "anomalous_regions": int(
                        np.count_nonzero((self.regions.object_of == o.index) & (self.regions.labels == 1))
                    ),
                    "regions": regions_of(o.index),
                }
                for o in self.objects
            ],
            "capped": list(self.capped),
            "timings_ms": {k: round(v, 1) for k, v in self.timings.items()},
            "device": self.device,
        }

    def region_map(self) -> np.ndarray:
        """uint16 (H, W): each pixel's region id as in :meth:`summary` plus one for objects
        (superpixel labels 1..n; with the object strategy, item index + 1); 0 outside regions."""
        if self.superpixels is not None:
            return self.superpixels.labels.astype(np.uint16)
        out = np.zeros(self.shape, np.uint16)
        for i, o in enumerate(self.objects):
            out[o.mask & (out == 0)] = i + 1
        return out

    def _region_boxes(self) -> np.ndarray:
        """int64 (n regions, 4) (y0, x0, y1, x1) of each region, end exclusive."""
        if self.superpixels is not None:
            return crop_boxes(self.superpixels)
        boxes = np.zeros((len(self.objects), 4), np.int64)
        for i, o in enumerate(self.objects):
            x0, y0, x1, y1 = o.box
            boxes[i] = y0, x0, y1, x1
        return boxes


def pick_device(name: str | None = None) -> torch.device:
    """``name`` when given, else CUDA when present, else the CPU."""
    if name:
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def models_dir() -> Path:
    """Where the shipped models are, the first of these that holds them:

    1. ``$SCREENER_MODELS`` (always, when set);
    2. ``models/`` inside a packaged application (PyInstaller, ``packaging/``);
    3. the source checkout's ``models/`` folder;
    4. ``<prefix>/share/xray-screener/models``, where an installed wheel puts them.

    With none of them holding a segmenter, the checkout's folder (so a message names it).
    """
    env = os.environ.get(MODELS_ENV)
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parents[3] / "models"
    candidates = [checkout, Path(sys.prefix) / INSTALLED_MODELS]
    if getattr(sys, "frozen", False):
        candidates.insert(0, Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "models")
    return next((c for c in candidates if (c / SEGMENTER_FILE).is_file()), checkout)


class Screener:
    """A segmenter and a detector working together; ``screen`` runs one scan.

    The scan's path reads objects → caps → superpixels (when the detector's strategy needs them)
    → detector → decision; the detector (dense or the paper's, see :mod:`~.detectors`) is the only
    thing that differs between modes. ``caps`` bounds the work per scan (default :class:`~.caps.Caps`).
    """

    def __init__(
        self,
        segmenter: Segmenter,
        detector: ItemDetector,
        *,
        compactness: float = DEFAULT_COMPACTNESS,
        superpixel_area: int | None = None,
        caps: Caps | None = None,
    ):
        self.segmenter = segmenter
        self.detector = detector
        self.compactness = compactness
        self.superpixel_area = int(superpixel_area or detector.metadata.get("superpixel_area") or 2500)
        self.caps = caps or Caps()
        self.device = detector.device
        # Hand the memory a bag freed back to the system after each (see core.memory): without
        # it a long shift's resident memory creeps up. False only to measure the difference.
        self.release_memory = True

    @classmethod
    def load(
        cls,
        segmenter: str | Path | None = None,
        detector: str | Path | None = None,
        device: str | None = None,
        *,
        mode: str | None = None,
        **options,
    ) -> Screener:
        """Load the segmenter and a detector onto ``device`` (default: CUDA if present).

        ``detector`` is a weights file of either kind; without it, the shipped detector of ``mode``
        (default :data:`DEFAULT_MODE`) from :func:`models_dir`.

        Raises:
            WeightsError: A file is missing, malformed or of the wrong kind, or ``detector``'s
                kind contradicts ``mode``.
        """
        dev = pick_device(device)
        seg = Segmenter.load(segmenter or models_dir() / SEGMENTER_FILE, dev)
        path = Path(detector) if detector else models_dir() / MODE_FILES[mode or DEFAULT_MODE]
        found = load_detector(path, dev)
        if mode is not None and found.mode != mode:
            raise WeightsError(path, f"it holds a {found.mode}-mode detector, not {mode}")
        return cls(seg, found, **options)

    def screen(self, scan: Scan) -> ScreeningResult:
        """Run the pipeline on ``scan`` (its false-colour image, so any scanner's output works)."""
        times, t0 = {}, time.perf_counter()
        rgb = scan.rgb
        objects = self.segmenter.detect(rgb)
        times["objects"] = ms_since(t0)
        plan = plan_bag([o.area for o in objects], self.superpixel_area, self.caps)
        objects = objects[: plan.keep]  # best first: the highest-scoring detections stay
        masks = [o.mask for o in objects]
        detector = self.detector
        sp = None
        # The object strategy makes no superpixels: only the item cap can touch it.
        capped = tuple(c for c in plan.capped if c == "items" or detector.strategy == "subcomponent")
        if detector.strategy == "subcomponent":
            t = time.perf_counter()
            sp = segment_objects(
                rgb, masks, superpixel_area=self.superpixel_area, compactness=self.compactness, plan=plan.slic
            )
            times["superpixels"] = ms_since(t)
        found = detector.detect(rgb, masks, sp)
        times.update(found.timings)
        alarms = found.object_scores >= detector.object_threshold
        labels = (found.scores >= detector.region_threshold).astype(np.int8)
        if self.release_memory:
            t = time.perf_counter()
            release_freed()
            times["release_memory"] = ms_since(t)
        times["total"] = ms_since(t0)
        regions = RegionScores(
            detector.strategy, found.scores, labels, found.object_of, detector.region_threshold
        )
        return ScreeningResult(
            source=scan.source,
            shape=rgb.shape[:2],
            objects=objects,
            superpixels=sp,
            regions=regions,
            object_scores=found.object_scores,
            object_alarms=alarms,
            heatmap=found.heatmap,
            alarm=bool(alarms.any()),
            bag_score=float(found.object_scores.max()) if len(objects) else 0.0,
            object_threshold=detector.object_threshold,
            mode=detector.mode,
            capped=capped,
            timings=times,
            device=str(self.device),
        )


@cache
def default_screener() -> Screener:
    """The shipped models, loaded once per process."""
    return Screener.load()


def screen(scan: Scan, screener: Screener | None = None) -> ScreeningResult:
    """Screen one scan with ``screener`` (default: the shipped models on the best device)."""
    return (screener or default_screener()).screen(scan)
