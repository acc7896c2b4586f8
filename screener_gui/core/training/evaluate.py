"""Evaluate the whole pipeline on a generated dataset, and calibrate its decision thresholds.

Everything runs through :meth:`Screener.screen` on the false-colour images, exactly as a scan would
be screened; ground truth comes from the dataset's masks. Levels:

* **region**: superpixels of the *predicted* objects, labelled by the documented rule (ignored ones
  left out); with the object strategy, regions are the objects.
* **object**: predicted objects (anomalous when they hold an anomaly), plus every anomalous true
  object that no prediction matched, counted with score 0 — a missed item is a missed threat.
* **bag**: alarm versus "the bag holds a concealed item".
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from screener_gui.core.metrics import BinaryMetrics, binary_metrics, threshold_at_fpr
from screener_gui.core.pipeline.objects import match_objects
from screener_gui.core.pipeline.regions import object_targets, superpixel_targets
from screener_gui.core.pipeline.screen import Screener
from screener_gui.core.report import write_report
from screener_gui.core.scan import Scan
from screener_gui.core.weights import load_weights, save_weights


@dataclass
class Collected:
    """Labels and scores gathered over a dataset, per level."""

    region_labels: list[int] = field(default_factory=list)
    region_scores: list[float] = field(default_factory=list)
    object_labels: list[int] = field(default_factory=list)
    object_scores: list[float] = field(default_factory=list)
    bag_labels: list[int] = field(default_factory=list)
    bag_scores: list[float] = field(default_factory=list)
    ious: list[float] = field(default_factory=list)
    false_detections: int = 0
    kind_hits: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    subtlety_hits: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    scans: int = 0


def _read(folder: Path, relative: str, mode: str | None = None) -> np.ndarray:
    with Image.open(folder / relative) as image:
        return np.asarray(image.convert(mode) if mode else image)


def collect(
    folder: Path,
    screener: Screener,
    *,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Collected:
    """Screen every scan of a generated dataset and gather labels, scores and mask IoUs."""
    coco = json.loads((folder / "annotations.json").read_text())
    anns = defaultdict(list)
    for ann in coco["annotations"]:
        anns[ann["image_id"]].append(ann)
    images = coco["images"][:limit]
    out = Collected()
    for n, image in enumerate(images):
        rgb = _read(folder, image["file_name"], "RGB")
        truth = _read(folder, image["objects_mask"])
        anomalies = _read(folder, image["anomalies_mask"])
        result = screener.screen(Scan(rgb=rgb, source=image["file_name"]))
        masks = [o.mask for o in result.objects]
        ious, pairs = match_objects(masks, truth)
        out.ious.extend(ious.tolist())
        out.false_detections += len(masks) - len(pairs)
        if result.superpixels is not None:
            targets, _ = superpixel_targets(result.superpixels, anomalies)
            keep = targets >= 0
            out.region_labels.extend(targets[keep].tolist())
            out.region_scores.extend(result.regions.scores[keep].tolist())
        targets = object_targets(masks, anomalies)
        if result.superpixels is None:
            out.region_labels.extend(targets.tolist())
            out.region_scores.extend(result.object_scores.tolist())
        out.object_labels.extend(targets.tolist())
        out.object_scores.extend(result.object_scores.tolist())
        objects = sorted(
            (a for a in anns[image["id"]] if "parent_id" not in a), key=lambda a: a["mask_value"]
        )
        matched = {t: p for t, p in pairs}
        for t, obj in enumerate(objects):
            if obj["has_anomaly"] and t not in matched:
                out.object_labels.append(1)
                out.object_scores.append(0.0)
        for a in anns[image["id"]]:
            if "parent_id" in a:
                host = next(i for i, o in enumerate(objects) if o["id"] == a["parent_id"])
                p = matched.get(host)
                hit = p is not None and bool(result.object_alarms[p])
                out.kind_hits[coco_kind(coco, a)].append(float(hit))
                out.subtlety_hits[_subtlety_band(a["subtlety"])].append(float(hit))
        out.bag_labels.append(int(anomalies.any()))
        out.bag_scores.append(result.bag_score)
        for stage, ms in result.timings.items():
            out.timings[stage].append(ms)
        out.scans += 1
        if progress:
            progress(n + 1, len(images))
    return out


def _subtlety_band(subtlety: float) -> str:
    return "obvious (< 0.33)" if subtlety < 1 / 3 else "medium" if subtlety < 2 / 3 else "subtle (>= 0.67)"


def coco_kind(coco: dict, annotation: dict) -> str:
    names = {c["id"]: c["name"] for c in coco["categories"]}
    return names[annotation["category_id"]]


def level_metrics(c: Collected, region_threshold: float, object_threshold: float) -> dict[str, BinaryMetrics]:
    """Paper metrics per level at the given thresholds (bags use the object threshold)."""
    rows = {}
    for name, labels, scores, threshold in (
        ("region", c.region_labels, c.region_scores, region_threshold),
        ("object", c.object_labels, c.object_scores, object_threshold),
        ("bag", c.bag_labels, c.bag_scores, object_threshold),
    ):
        if labels:
            rows[name] = binary_metrics(np.asarray(labels), np.asarray(scores), threshold)
    return rows


def evaluate(
    folder: Path,
    screener: Screener,
    out_dir: Path,
    *,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, BinaryMetrics], dict]:
    """Screen a test dataset, write ``metrics.md/.csv/.json`` to ``out_dir``, return rows and notes."""
    c = collect(folder, screener, limit=limit, progress=progress)
    cm = screener.classifier
    rows = level_metrics(c, cm.region_threshold, cm.object_threshold)
    manifest = json.loads((folder / "manifest.json").read_text())
    notes = {
        "test data": f"{folder} (seed {manifest.get('seed')}, {c.scans} scans)",
        "segmenter": f"{screener.segmenter.metadata.get('backbone')} (trained on seed "
        f"{screener.segmenter.metadata.get('data_seed')})",
        "classifier": f"{cm.metadata['arch']} / {cm.strategy} "
        f"(trained on seed {cm.metadata['data']['seed']})",
        "object masks mean IoU": f"{np.mean(c.ious):.4f} over {len(c.ious)} true objects "
        f"({sum(i == 0 for i in c.ious)} missed, {c.false_detections} false detections)",
        "detection rate per anomaly kind": {
            k: f"{np.mean(v):.3f} of {len(v)}" for k, v in sorted(c.kind_hits.items())
        },
        "detection rate per subtlety": {
            k: f"{np.mean(v):.3f} of {len(v)}" for k, v in sorted(c.subtlety_hits.items())
        },
        "median timings ms": {k: round(float(np.median(v)), 1) for k, v in c.timings.items()},
        "device": str(screener.device),
    }
    write_report(out_dir, "Screening evaluation", rows, notes)
    return rows, notes


def calibrate(
    folder: Path,
    screener: Screener,
    classifier_path: Path,
    *,
    region_fpr: float,
    object_fpr: float,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Set the region and object thresholds at the target FP rates on a *validation* dataset and
    store them in the classifier's weights file (rewritten atomically)."""
    c = collect(folder, screener, limit=limit, progress=progress)
    region = threshold_at_fpr(np.asarray(c.region_labels), np.asarray(c.region_scores), region_fpr)
    obj = threshold_at_fpr(np.asarray(c.object_labels), np.asarray(c.object_scores), object_fpr)
    manifest = json.loads((folder / "manifest.json").read_text())
    tensors, meta = load_weights(classifier_path, kind="classifier")
    meta.update(
        region_threshold=region,
        object_threshold=obj,
        calibration={
            "data_seed": manifest.get("seed"),
            "scans": c.scans,
            "region_fpr": region_fpr,
            "object_fpr": object_fpr,
            "segmenter": screener.segmenter.metadata.get("backbone"),
        },
    )
    save_weights(classifier_path, tensors, meta)
    return meta["calibration"] | {"region_threshold": region, "object_threshold": obj}
