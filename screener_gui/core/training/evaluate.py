"""Evaluate the whole pipeline on a generated dataset, and calibrate its decision thresholds.

Everything runs through :meth:`Screener.screen` on the false-colour images, exactly as a scan would
be screened; ground truth comes from the dataset (:mod:`screener_gui.core.dataset`). Levels:

* **region**: superpixels of the *predicted* objects, labelled by the documented rule (ignored ones
  left out of the metrics, kept in ``regions.csv`` with label -1); with the object strategy,
  regions are the objects.
* **object**: predicted objects (anomalous when they hold an anomaly), plus every anomalous true
  object none of whose anomalies a prediction holds (not found at all, or found without the part
  that hides the anomaly), counted with score 0 — a missed item is a missed threat.
* **bag**: alarm (any item alarms) versus "the bag holds a concealed item".

Each labelled sample carries its anomaly's kind and measured ΔE, so every level is also reported
per visibility bin and per anomaly kind (:mod:`screener_gui.core.breakdown`).
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from screener_gui.core.breakdown import SubsetMetrics, breakdown
from screener_gui.core.dataset import Dataset, DatasetError, ScanEntry
from screener_gui.core.jobs import Progress, check_cancel, report
from screener_gui.core.metrics import BinaryMetrics, binary_metrics, threshold_at_fpr
from screener_gui.core.pipeline.objects import match_objects
from screener_gui.core.pipeline.regions import ANOMALY, IGNORED, object_targets, superpixel_targets
from screener_gui.core.pipeline.screen import Screener, ScreeningResult
from screener_gui.core.report import write_csv, write_report
from screener_gui.core.scan import Scan
from screener_gui.core.training.settings import CalibrateSettings, EvaluateSettings
from screener_gui.core.weights import load_weights, save_weights

REGION_COLUMNS = ("scan", "object", "region", "score", "label", "anomaly_id", "kind", "delta_e")
OBJECT_COLUMNS = ("scan", "object", "class", "score", "alarm", "label", "kinds", "max_delta_e")


@dataclass(frozen=True)
class RegionRecord:
    """One classified region: a superpixel (``region`` = its label) or an object (its index)."""

    scan: str
    object: int
    region: int
    score: float
    label: int  # 1 anomaly, 0 benign, -1 ignored by the rule
    anomaly_id: int  # label-map value of its anomaly, 0 for none
    kind: str  # "" for none
    delta_e: float  # NaN for none or unmeasured


@dataclass(frozen=True)
class ObjectRecord:
    """One predicted object, or (``object`` = "missed:<mask value>") an anomalous true item whose
    anomalies no predicted object holds."""

    scan: str
    object: str
    category: str
    score: float
    alarm: bool
    label: int
    kinds: tuple[str, ...]
    max_delta_e: float


@dataclass(frozen=True)
class BagRecord:
    """One scan's bag decision."""

    scan: str
    score: float
    alarm: bool
    label: int
    kinds: tuple[str, ...]
    max_delta_e: float


@dataclass
class Collected:
    """Everything gathered over a dataset."""

    regions: list[RegionRecord] = field(default_factory=list)
    objects: list[ObjectRecord] = field(default_factory=list)
    bags: list[BagRecord] = field(default_factory=list)
    ious: list[float] = field(default_factory=list)
    false_detections: int = 0
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    scans: int = 0
    seed: int = 0
    anomaly_kinds: tuple[str, ...] = ()
    not_evaluated: list[str] = field(default_factory=list)  # "<scan>: why", left out of every figure

    def labelled_regions(self) -> list[RegionRecord]:
        """The regions the metrics count (the rule's ignored ones left out)."""
        return [r for r in self.regions if r.label != IGNORED]


def collect(
    folder: Path,
    screener: Screener,
    *,
    limit: int | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Collected:
    """Screen every scan of a generated dataset and gather labelled scores and mask IoUs;
    ``progress`` gets (scans screened, scans).

    A scan whose files cannot be read (or that the pipeline cannot screen) is left out of every
    figure and named in :attr:`Collected.not_evaluated`; the others are evaluated.

    Raises:
        DatasetError: The folder is no complete dataset, or its annotation file is malformed.
        Cancelled: ``cancel`` was set (checked before each scan).
    """
    dataset = Dataset.open(folder)
    scans = dataset.scans[:limit]
    out = Collected(seed=dataset.seed, anomaly_kinds=dataset.anomaly_kinds)
    report(progress, 0, len(scans))
    for n, scan in enumerate(scans):
        check_cancel(cancel)
        try:
            rgb = scan.load_rgb()
            truth = scan.load_object_map()
            anomaly_map = scan.load_anomaly_map()
            result = screener.screen(Scan(rgb=rgb, source=str(scan.image.relative_to(dataset.folder))))
        except (DatasetError, ValueError, RuntimeError, MemoryError) as error:
            out.not_evaluated.append(f"{scan.name}: {error}")
            report(progress, n + 1, len(scans))
            continue
        masks = [o.mask for o in result.objects]
        ious, pairs = match_objects(masks, truth)
        out.ious.extend(ious.tolist())
        out.false_detections += len(masks) - len(pairs)
        out.regions.extend(_regions(scan, result, masks, anomaly_map))
        out.objects.extend(_objects(scan, result, masks, anomaly_map))
        present = [a for a in scan.anomalies if np.any(anomaly_map == a.index)]
        out.bags.append(
            BagRecord(
                scan.name,
                result.bag_score,
                result.alarm,
                int(bool(present)),
                _kinds(present),
                _max_delta_e(present),
            )
        )
        for stage, ms in result.timings.items():
            out.timings[stage].append(ms)
        out.scans += 1
        report(progress, n + 1, len(scans))
    return out


def _regions(
    scan: ScanEntry, result: ScreeningResult, masks: list[np.ndarray], anomaly_map: np.ndarray
) -> list[RegionRecord]:
    scores = result.regions.scores
    if result.superpixels is not None:
        found = superpixel_targets(result.superpixels, anomaly_map)
        labels, ids = found.targets, found.anomaly_ids
        numbers = np.arange(1, len(scores) + 1)
    else:
        held = object_targets(masks, anomaly_map)
        labels = held.targets
        most_visible = [scan.most_visible(h) for h in held.anomaly_ids]
        ids = np.array([a.index if a is not None else 0 for a in most_visible], np.int32)
        numbers = np.arange(len(scores))
    records = []
    for number, obj, score, label, index in zip(
        numbers, result.regions.object_of, scores, labels, ids, strict=True
    ):
        anomaly = scan.anomaly(int(index)) if index else None
        records.append(
            RegionRecord(
                scan.name,
                int(obj),
                int(number),
                float(score),
                int(label),
                int(index),
                anomaly.kind if anomaly is not None else "",
                anomaly.delta_e if anomaly is not None else math.nan,
            )
        )
    return records


def _objects(
    scan: ScanEntry,
    result: ScreeningResult,
    masks: list[np.ndarray],
    anomaly_map: np.ndarray,
) -> list[ObjectRecord]:
    held = object_targets(masks, anomaly_map)
    records = []
    for o, label, ids in zip(result.objects, held.targets, held.anomaly_ids, strict=True):
        anomalies = [a for a in (scan.anomaly(i) for i in ids) if a is not None]
        records.append(
            ObjectRecord(
                scan.name,
                str(o.index),
                o.category,
                float(result.object_scores[o.index]),
                bool(result.object_alarms[o.index]),
                int(label),
                _kinds(anomalies),
                _max_delta_e(anomalies),
            )
        )
    found = {index for ids in held.anomaly_ids for index in ids}
    for obj in scan.objects:
        anomalies = [a for a in scan.anomalies if a.object_index == obj.index]
        if anomalies and not any(a.index in found for a in anomalies):
            records.append(
                ObjectRecord(
                    scan.name,
                    f"missed:{obj.index}",
                    obj.category,
                    0.0,
                    False,
                    ANOMALY,
                    _kinds(anomalies),
                    _max_delta_e(anomalies),
                )
            )
    return records


def _kinds(anomalies: Sequence) -> tuple[str, ...]:
    return tuple(sorted({a.kind for a in anomalies}))


def _max_delta_e(anomalies: Sequence) -> float:
    measured = [a.delta_e for a in anomalies if not math.isnan(a.delta_e)]
    return max(measured) if measured else math.nan


@dataclass(frozen=True)
class Level:
    """The labelled samples of one level, as arrays."""

    name: str
    labels: np.ndarray  # int64, 0 / 1
    scores: np.ndarray  # float64
    delta_e: np.ndarray  # float64, ΔE of the (most visible) anomaly; NaN for none or unmeasured
    kinds: list[tuple[str, ...]]


def levels(c: Collected) -> tuple[Level, Level, Level]:
    """The region (ignored regions left out), object and bag levels."""
    regions = c.labelled_regions()
    region = Level(
        "region",
        np.array([r.label for r in regions], np.int64),
        np.array([r.score for r in regions], np.float64),
        np.array([r.delta_e for r in regions], np.float64),
        [(r.kind,) if r.kind else () for r in regions],
    )
    obj, bag = (
        Level(
            name,
            np.array([r.label for r in records], np.int64),
            np.array([r.score for r in records], np.float64),
            np.array([r.max_delta_e for r in records], np.float64),
            [r.kinds for r in records],
        )
        for name, records in (("object", c.objects), ("bag", c.bags))
    )
    return region, obj, bag


def level_metrics(
    c: Collected, region_threshold: float, object_threshold: float
) -> tuple[dict[str, BinaryMetrics], dict[str, tuple[SubsetMetrics, ...]]]:
    """Per level, the paper metrics at the given thresholds (bags use the object threshold), and
    the same level per visibility bin and per anomaly kind (:mod:`screener_gui.core.breakdown`)."""
    rows, breakdowns = {}, {}
    thresholds = (region_threshold, object_threshold, object_threshold)
    for level, threshold in zip(levels(c), thresholds, strict=True):
        if len(level.labels):
            rows[level.name] = binary_metrics(level.labels, level.scores, threshold)
            breakdowns[level.name] = breakdown(
                level.labels, level.scores, threshold, level.delta_e, level.kinds, c.anomaly_kinds
            )
    return rows, breakdowns


def write_tables(out_dir: Path, c: Collected) -> dict[str, Path]:
    """Write ``regions.csv`` and ``objects.csv`` (every region and object with its label, anomaly
    and score) into ``out_dir``, atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"regions": out_dir / "regions.csv", "objects": out_dir / "objects.csv"}
    write_csv(
        paths["regions"],
        REGION_COLUMNS,
        [(r.scan, r.object, r.region, r.score, r.label, r.anomaly_id, r.kind, r.delta_e) for r in c.regions],
    )
    write_csv(
        paths["objects"],
        OBJECT_COLUMNS,
        [
            (o.scan, o.object, o.category, o.score, int(o.alarm), o.label, ";".join(o.kinds), o.max_delta_e)
            for o in c.objects
        ],
    )
    return paths


def evaluate(
    folder: Path,
    screener: Screener,
    out_dir: Path,
    settings: EvaluateSettings,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> tuple[dict[str, BinaryMetrics], dict[str, tuple[SubsetMetrics, ...]], dict]:
    """Screen a test dataset (its first ``settings.limit`` scans); write ``metrics.md/.csv/.json``,
    ``regions.csv`` and ``objects.csv`` to ``out_dir``; return the rows per level, their breakdowns
    and the notes.

    ``progress`` gets (scans screened, scans). When ``cancel`` is set the job stops before the
    next scan and writes nothing.

    Raises:
        DatasetError: The folder is no complete dataset, or one of its files is malformed.
        Cancelled: ``cancel`` was set.
    """
    c = collect(folder, screener, limit=settings.limit, progress=progress, cancel=cancel)
    cm = screener.detector
    rows, breakdowns = level_metrics(c, cm.region_threshold, cm.object_threshold)
    unmeasured = sum(1 for r in c.bags if r.label == 1 and math.isnan(r.max_delta_e))
    notes = {
        "test data": f"{folder} (seed {c.seed}, {c.scans} scans)",
        "scans not evaluated (left out of every figure)": c.not_evaluated,
        "segmenter": f"{screener.segmenter.metadata.get('backbone')} (trained on seed "
        f"{screener.segmenter.metadata.get('data_seed')})",
        "detector": f"{cm.mode} mode: {cm.metadata['arch']} / {cm.strategy} "
        f"(trained on seed {cm.metadata.get('data', {}).get('seed')})",
        "object masks mean IoU": f"{np.mean(c.ious):.4f} over {len(c.ious)} true objects "
        f"({sum(i == 0 for i in c.ious)} missed, {c.false_detections} false detections)",
        "regions ignored by the label rule": sum(1 for r in c.regions if r.label == IGNORED),
        "anomalous bags without a measured visibility": unmeasured,
        "alarmed anomalous items whose highest region lies on an anomaly": pointing(c),
        "median timings ms": {k: round(float(np.median(v)), 1) for k, v in c.timings.items()},
        "device": str(screener.device),
    }
    write_report(out_dir, "Screening evaluation", rows, notes, breakdowns)
    write_tables(out_dir, c)
    return rows, breakdowns, notes


def pointing(c: Collected) -> str:
    """Of the alarmed items that hold an anomaly, how many have their highest-scoring region on it
    (a region labelled anomaly; in parentheses also counting regions the label rule ignores, which
    hold some anomaly pixels)."""
    best: dict[tuple[str, int], RegionRecord] = {}
    for r in c.regions:
        key = (r.scan, r.object)
        if key not in best or r.score > best[key].score:
            best[key] = r
    alarmed = [(o.scan, int(o.object)) for o in c.objects if o.alarm and o.label == 1 and o.object.isdigit()]
    top = [best[key] for key in alarmed if key in best]
    if not top:
        return "no alarmed anomalous item"
    on = sum(r.label == 1 for r in top)
    touching = sum(r.label != 0 for r in top)
    return f"{on} of {len(top)} ({100 * on / len(top):.1f} %; {touching} touching one)"


def calibrate(
    folder: Path,
    screener: Screener,
    weights_path: Path,
    settings: CalibrateSettings | None = None,
    *,
    limit: int | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> dict:
    """Set the region and object thresholds at the target FP rates on a *validation* dataset and
    store them in the detector's weights file (either mode; rewritten atomically), at the rates of
    ``settings`` (default: the paper's 3.5 % for regions, 5 % for items).

    ``progress`` gets (scans screened, scans). When ``cancel`` is set the job stops before the
    next scan and the weights file is left as it was.

    Raises:
        DatasetError: The folder is no complete dataset, or one of its files is malformed.
        Cancelled: ``cancel`` was set.
    """
    settings = settings or CalibrateSettings()
    region_fpr, object_fpr = settings.region_fpr, settings.object_fpr
    c = collect(folder, screener, limit=limit, progress=progress, cancel=cancel)
    region_level, object_level, _ = levels(c)
    region = threshold_at_fpr(region_level.labels, region_level.scores, region_fpr)
    obj = threshold_at_fpr(object_level.labels, object_level.scores, object_fpr)
    tensors, meta = load_weights(weights_path, kind=screener.detector.metadata["kind"])
    meta.update(
        region_threshold=region,
        object_threshold=obj,
        calibration={
            "data_seed": c.seed,
            "scans": c.scans,
            "region_fpr": region_fpr,
            "object_fpr": object_fpr,
            "segmenter": screener.segmenter.metadata.get("backbone"),
        },
    )
    save_weights(weights_path, tensors, meta)
    return meta["calibration"] | {"region_threshold": region, "object_threshold": obj}
