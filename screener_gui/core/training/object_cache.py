"""Objects with labelled superpixels, extracted once from a generated dataset, for pooled training.

Each electronics item (ground-truth mask) is split by SLIC exactly as at run time and cut out by
:func:`~screener_gui.core.pipeline.pooled.object_input`; its superpixels are labelled by the
pipeline's rule. Layout (plain ``.npy``, read with ``allow_pickle=False``)::

    OUT/images.npy      uint8 (P, 3)    every object's pixels, row-major, one object after another
    OUT/labels.npy      int16 (P,)      local superpixel labels 1..n (0 off the object)
    OUT/shapes.npy      int32 (N, 2)    (h, w) of each object
    OUT/counts.npy      int32 (N,)      superpixels per object
    OUT/targets.npy     int8 (S,)       1 anomaly / 0 benign / -1 ignored, object after object
    OUT/fractions.npy   float32 (S,)    share of each superpixel covered by anomaly pixels
    OUT/anomaly_ids.npy int16 (S,)      label-map value of each superpixel's anomaly (0: none)
    OUT/kinds.npy       int16 (S,)      its kind, 0-based in ``meta.anomaly_kinds`` (-1: none)
    OUT/delta_e.npy     float32 (S,)    its measured ΔE (NaN: none, or not measured)
    OUT/scan_ids.npy    int32 (N,)      scan index of each object
    OUT/categories.npy  int8 (N,)       class of each object, 1-based in ``meta.object_classes``
    OUT/meta.json       written last and atomically: a folder with a meta.json is complete
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from screener_gui.core.atomic import write_text_atomic
from screener_gui.core.dataset import Dataset
from screener_gui.core.jobs import Progress
from screener_gui.core.pipeline.pooled import object_input
from screener_gui.core.pipeline.regions import (
    ANOMALY_MIN,
    ANOMALY_MIN_PIXELS,
    ANOMALY_SHARE_MIN,
    BENIGN_MAX,
    BENIGN_MAX_PIXELS,
)
from screener_gui.core.pipeline.superpixels import segment_objects
from screener_gui.core.training.region_cache import ScanJob, run_jobs, scan_jobs
from screener_gui.core.training.settings import RegionSettings
from screener_gui.core.training.truth import LabelledRegions, scan_truth, superpixel_labels

FORMAT_VERSION = 2  # 2: the label rule of 30 % / 30 % / 30 px, labels carry their anomaly
_SUPERPIXEL_ARRAYS = ("targets", "fractions", "anomaly_ids", "kinds", "delta_e")
_ARRAYS = ("images", "labels", "shapes", "counts", *_SUPERPIXEL_ARRAYS, "scan_ids", "categories")
_DTYPES = {
    "images": np.uint8,
    "labels": np.int16,
    "shapes": np.int32,
    "counts": np.int32,
    "targets": np.int8,
    "fractions": np.float32,
    "anomaly_ids": np.int16,
    "kinds": np.int16,
    "delta_e": np.float32,
    "scan_ids": np.int32,
    "categories": np.int8,
}


@dataclass(frozen=True)
class ObjectCacheMeta:
    """How an object cache was made (``meta.json``); the rule's thresholds as in
    :class:`~screener_gui.core.training.region_cache.RegionCacheMeta`."""

    superpixel_area: int
    anomaly_min: float
    anomaly_share_min: float
    anomaly_min_pixels: int
    benign_max: float
    benign_max_pixels: int
    object_classes: tuple[str, ...]
    anomaly_kinds: tuple[str, ...]
    dataset: str
    dataset_seed: int
    scans: int
    objects: int
    anomaly: int
    benign: int
    ignored: int
    format_version: int = FORMAT_VERSION


@dataclass(frozen=True)
class ObjectCache:
    """An extracted object dataset; ``images`` and ``labels`` are memory-mapped."""

    images: np.ndarray
    labels: np.ndarray
    shapes: np.ndarray
    counts: np.ndarray
    targets: np.ndarray
    fractions: np.ndarray
    anomaly_ids: np.ndarray
    kinds: np.ndarray
    delta_e: np.ndarray
    scan_ids: np.ndarray
    categories: np.ndarray
    meta: ObjectCacheMeta

    @classmethod
    def open(cls, folder: str | os.PathLike[str]) -> ObjectCache:
        """Open a cache written by :func:`extract_objects`.

        Raises:
            FileNotFoundError: No ``meta.json``: the folder holds no complete cache.
            ValueError: Wrong format version or arrays that disagree.
        """
        folder = Path(folder)
        data = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"{folder}: object cache format {data.get('format_version')!r}, expected {FORMAT_VERSION} "
                "(labels now follow the 30 % / 30 % / 30 px rule and carry their anomaly): extract it "
                "again with `screener regions --mode pooled`"
            )
        for key in ("object_classes", "anomaly_kinds"):
            data[key] = tuple(data.get(key, ()))
        arrays = {
            name: np.load(
                folder / f"{name}.npy",
                mmap_mode="r" if name in ("images", "labels") else None,
                allow_pickle=False,
            )
            for name in _ARRAYS
        }
        cache = cls(**arrays, meta=ObjectCacheMeta(**data))
        pixels = int(np.prod(cache.shapes, axis=1).sum()) if len(cache.shapes) else 0
        if (
            len(cache.images) != pixels
            or len(cache.labels) != pixels
            or any(len(getattr(cache, name)) != int(cache.counts.sum()) for name in _SUPERPIXEL_ARRAYS)
        ):
            raise ValueError(f"{folder}: the object cache's arrays disagree in length")
        return cache

    def __len__(self) -> int:
        return len(self.shapes)

    @property
    def pixel_offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(np.prod(self.shapes, axis=1))]).astype(np.int64)

    @property
    def target_offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.counts)]).astype(np.int64)

    def item(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Object ``i``: image uint8 (h, w, 3), labels int32 (h, w), targets int8 (n,)."""
        start, stop = self.pixel_offsets[i : i + 2]
        first, last = self.target_offsets[i : i + 2]
        h, w = (int(v) for v in self.shapes[i])
        image = np.array(self.images[start:stop]).reshape(h, w, 3)
        labels = np.asarray(self.labels[start:stop]).reshape(h, w).astype(np.int32)
        return image, labels, np.asarray(self.targets[first:last])


def _objects_of_scan(job: ScanJob) -> list[tuple[np.ndarray, np.ndarray, LabelledRegions, int]]:
    """(image, superpixel labels, their region labels, class) of each object of a scan (worker process)."""
    truth = scan_truth(job.scan, job.object_classes)
    sp = segment_objects(truth.rgb, truth.masks, superpixel_area=job.superpixel_area)
    regions = superpixel_labels(job.scan, truth, sp, job.anomaly_kinds)
    found = []
    for index, category in enumerate(truth.categories):
        item = object_input(truth.rgb, sp, index)
        if item is not None:
            found.append(
                (item.image, item.labels.astype(np.int16), regions.take(item.ids - 1), int(category))
            )
    return found


def extract_objects(
    dataset_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    settings: RegionSettings,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ObjectCache:
    """Cut out and label every object of a generated dataset into ``out_dir`` (replaced if there),
    split into superpixels of ``settings.superpixel_area``, by ``settings.workers`` processes.

    ``progress`` gets (scans done, scans); when ``cancel`` is set the workers are stopped and the
    folder is left without its ``meta.json`` (no cache).

    Raises:
        ValueError: ``settings.strategy`` is not "subcomponent" (an object cache holds superpixels).
        DatasetError: ``dataset_dir`` is no complete dataset, or a file of it is malformed.
        Cancelled: ``cancel`` was set.
    """
    if settings.strategy != "subcomponent":
        raise ValueError(f"an object cache holds sub-components, not {settings.strategy!r} regions")
    superpixel_area = settings.superpixel_area
    out_dir = Path(out_dir)
    dataset = Dataset.open(dataset_dir)
    jobs = scan_jobs(dataset, "subcomponent", superpixel_area)[: settings.limit]
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "meta.json").unlink(missing_ok=True)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in _ARRAYS}
    results = run_jobs(jobs, settings.workers, progress, _objects_of_scan, cancel=cancel)
    for job, found in zip(jobs, results, strict=True):
        for image, labels, regions, category in found:
            parts["images"].append(image.reshape(-1, 3))
            parts["labels"].append(labels.ravel())
            parts["shapes"].append(np.array([labels.shape], np.int32))
            parts["counts"].append(np.array([len(regions.targets)], np.int32))
            for name in _SUPERPIXEL_ARRAYS:
                parts[name].append(getattr(regions, name))
            parts["scan_ids"].append(np.array([job.scan_id], np.int32))
            parts["categories"].append(np.array([category], np.int8))
    empty = {"images": (0, 3), "shapes": (0, 2)}
    arrays = {
        name: (np.concatenate(parts[name]) if parts[name] else np.zeros(empty.get(name, (0,)))).astype(
            _DTYPES[name]
        )
        for name in _ARRAYS
    }
    for name, array in arrays.items():
        np.save(out_dir / f"{name}.npy", array)
    targets = arrays["targets"]
    meta = ObjectCacheMeta(
        superpixel_area=int(superpixel_area),
        anomaly_min=ANOMALY_MIN,
        anomaly_share_min=ANOMALY_SHARE_MIN,
        anomaly_min_pixels=ANOMALY_MIN_PIXELS,
        benign_max=BENIGN_MAX,
        benign_max_pixels=BENIGN_MAX_PIXELS,
        object_classes=dataset.object_classes,
        anomaly_kinds=dataset.anomaly_kinds,
        dataset=str(dataset.folder.resolve()),
        dataset_seed=dataset.seed,
        scans=len(jobs),
        objects=len(parts["shapes"]),
        anomaly=int(np.count_nonzero(targets == 1)),
        benign=int(np.count_nonzero(targets == 0)),
        ignored=int(np.count_nonzero(targets == -1)),
    )
    write_text_atomic(out_dir / "meta.json", json.dumps(asdict(meta), indent=1) + "\n")
    return ObjectCache.open(out_dir)
