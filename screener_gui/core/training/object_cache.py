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
    OUT/scan_ids.npy    int32 (N,)      scan index of each object
    OUT/categories.npy  int8 (N,)       COCO category id of each object
    OUT/meta.json       written last and atomically: a folder with a meta.json is complete
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from screener_gui.core.atomic import write_text_atomic
from screener_gui.core.pipeline.pooled import object_input
from screener_gui.core.pipeline.regions import ANOMALY_MIN, BENIGN_MAX, superpixel_targets
from screener_gui.core.pipeline.superpixels import DEFAULT_SUPERPIXEL_AREA, segment_objects
from screener_gui.core.training.region_cache import ScanJob, run_jobs, scan_jobs, scan_truth

FORMAT_VERSION = 1
_ARRAYS = ("images", "labels", "shapes", "counts", "targets", "fractions", "scan_ids", "categories")


@dataclass(frozen=True)
class ObjectCacheMeta:
    """How an object cache was made (``meta.json``)."""

    superpixel_area: int
    anomaly_min: float
    benign_max: float
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
                f"{folder}: object cache format {data.get('format_version')!r}, expected {FORMAT_VERSION}"
            )
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
            or len(cache.targets) != int(cache.counts.sum())
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


def _objects_of_scan(job: ScanJob) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]]:
    """(image, labels, targets, fractions, category) of each object of a scan (worker process)."""
    rgb, masks, categories, anomalies = scan_truth(job)
    sp = segment_objects(rgb, masks, superpixel_area=job.superpixel_area)
    targets, fractions = superpixel_targets(sp, anomalies)
    found = []
    for index, category in enumerate(categories):
        item = object_input(rgb, sp, index)
        if item is not None:
            ids = item.ids - 1
            found.append(
                (item.image, item.labels.astype(np.int16), targets[ids], fractions[ids], int(category))
            )
    return found


def extract_objects(
    dataset_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    superpixel_area: int = DEFAULT_SUPERPIXEL_AREA,
    workers: int | None = None,
    limit: int | None = None,
    progress: bool = True,
) -> ObjectCache:
    """Cut out and label every object of a generated dataset into ``out_dir`` (replaced if there)."""
    dataset_dir, out_dir = Path(dataset_dir), Path(out_dir)
    manifest_path = dataset_dir / "manifest.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{dataset_dir} is not a complete generated dataset (no manifest.json)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    jobs = scan_jobs(dataset_dir, "subcomponent", superpixel_area)[:limit]
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "meta.json").unlink(missing_ok=True)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in _ARRAYS}
    for job, found in zip(jobs, run_jobs(jobs, workers, progress, _objects_of_scan), strict=True):
        for image, labels, targets, fractions, category in found:
            parts["images"].append(image.reshape(-1, 3))
            parts["labels"].append(labels.ravel())
            parts["shapes"].append(np.array([labels.shape], np.int32))
            parts["counts"].append(np.array([len(targets)], np.int32))
            parts["targets"].append(targets.astype(np.int8))
            parts["fractions"].append(fractions.astype(np.float32))
            parts["scan_ids"].append(np.array([job.scan_id], np.int32))
            parts["categories"].append(np.array([category], np.int8))
    empty = {"images": (0, 3), "shapes": (0, 2)}
    dtypes = {
        "images": np.uint8,
        "labels": np.int16,
        "shapes": np.int32,
        "counts": np.int32,
        "targets": np.int8,
        "fractions": np.float32,
        "scan_ids": np.int32,
        "categories": np.int8,
    }
    for name in _ARRAYS:
        array = np.concatenate(parts[name]) if parts[name] else np.zeros(empty.get(name, (0,)), dtypes[name])
        np.save(out_dir / f"{name}.npy", array.astype(dtypes[name]))
    targets = np.concatenate(parts["targets"]) if parts["targets"] else np.zeros(0, np.int8)
    meta = ObjectCacheMeta(
        superpixel_area=int(superpixel_area),
        anomaly_min=ANOMALY_MIN,
        benign_max=BENIGN_MAX,
        dataset=str(dataset_dir.resolve()),
        dataset_seed=int(manifest["seed"]),
        scans=len(jobs),
        objects=len(parts["shapes"]),
        anomaly=int(np.count_nonzero(targets == 1)),
        benign=int(np.count_nonzero(targets == 0)),
        ignored=int(np.count_nonzero(targets == -1)),
    )
    write_text_atomic(out_dir / "meta.json", json.dumps(asdict(meta), indent=1) + "\n")
    return ObjectCache.open(out_dir)
