"""A region dataset for training classifiers, extracted once from a generated dataset folder.

Every region (a superpixel or a whole object, from the ground-truth object masks) is cropped as
the pipeline crops it at run time (:mod:`screener_gui.core.pipeline.regions`), so training and
inference see identical inputs, and labelled by the pipeline's documented rule. Layout::

    OUT/crops.npy       uint8 (N, h, w, 3)   region crops, memory-mapped when opened
    OUT/targets.npy     int8 (N,)            1 anomaly, 0 benign (ignored regions are left out)
    OUT/scan_ids.npy    int32 (N,)           scan index of each region: split by scan, never by crop
    OUT/fractions.npy   float32 (N,)         share of the region covered by anomaly pixels
    OUT/categories.npy  int8 (N,)            COCO category id of the region's object
    OUT/meta.json       how the cache was made; written last and atomically: a folder with
                        a meta.json is complete

The arrays are plain ``.npy`` files (read with ``allow_pickle=False``), the metadata JSON.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np
from PIL import Image
from tqdm import tqdm

from screener_gui.core.atomic import write_text_atomic
from screener_gui.core.io import load_scan
from screener_gui.core.pipeline.regions import (
    ANOMALY_MIN,
    BENIGN_MAX,
    IGNORED,
    OBJECT_MIN_PIXELS,
    OBJECT_SIZE,
    SUBCOMPONENT_SIZE,
    object_crops,
    object_targets,
    superpixel_crops,
    superpixel_targets,
)
from screener_gui.core.pipeline.superpixels import DEFAULT_SUPERPIXEL_AREA, segment_objects

Strategy = Literal["subcomponent", "object"]
STRATEGIES: tuple[str, ...] = ("subcomponent", "object")
FORMAT_VERSION = 1
T = TypeVar("T")

_ARRAYS = ("crops", "targets", "scan_ids", "fractions", "categories")
_COPY_CHUNK = 512  # crops copied at a time from the spill file into crops.npy


@dataclass(frozen=True)
class RegionCacheMeta:
    """How a region cache was made and what it holds (``meta.json``).

    Attributes:
        strategy: "subcomponent" (superpixels) or "object".
        size: Crop (height, width) in pixels.
        superpixel_area: Pixels per superpixel asked of SLIC (subcomponent caches).
        anomaly_min, benign_max, object_min_pixels: The labelling rule's thresholds.
        dataset: The source dataset folder.
        dataset_seed, dataset_count: Seed and scan count from the source dataset's manifest.
        scans: Scans extracted (fewer than ``dataset_count`` with a limit).
        anomaly, benign: Regions per class in the cache.
        ignored: Superpixels left out by the rule (neither clearly anomaly nor benign).
    """

    strategy: str
    size: tuple[int, int]
    superpixel_area: int
    anomaly_min: float
    benign_max: float
    object_min_pixels: int
    dataset: str
    dataset_seed: int
    dataset_count: int
    scans: int
    anomaly: int
    benign: int
    ignored: int
    format_version: int = FORMAT_VERSION

    @classmethod
    def from_json(cls, text: str) -> RegionCacheMeta:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
            version = data.get("format_version") if isinstance(data, dict) else None
            raise ValueError(f"region cache format {version!r}, expected {FORMAT_VERSION}")
        try:
            data["size"] = tuple(data["size"])
            return cls(**data)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed region cache meta.json ({exc})") from exc

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1) + "\n"


@dataclass(frozen=True)
class RegionCache:
    """An extracted region dataset; ``crops`` is memory-mapped read-only."""

    crops: np.ndarray
    targets: np.ndarray
    scan_ids: np.ndarray
    fractions: np.ndarray
    categories: np.ndarray
    meta: RegionCacheMeta

    @classmethod
    def open(cls, out_dir: str | os.PathLike[str]) -> RegionCache:
        """Open a cache written by :func:`extract_regions`.

        Raises:
            FileNotFoundError: No ``meta.json``: the folder holds no complete cache.
            ValueError: The files disagree with each other or with the format.
        """
        out_dir = Path(out_dir)
        meta_path = out_dir / "meta.json"
        if not meta_path.is_file():
            raise FileNotFoundError(f"{out_dir} holds no complete region cache (no meta.json)")
        meta = RegionCacheMeta.from_json(meta_path.read_text(encoding="utf-8"))
        arrays = {
            name: np.load(
                out_dir / f"{name}.npy", mmap_mode="r" if name == "crops" else None, allow_pickle=False
            )
            for name in _ARRAYS
        }
        lengths = {name: len(a) for name, a in arrays.items()}
        if len(set(lengths.values())) != 1 or lengths["crops"] != meta.anomaly + meta.benign:
            raise ValueError(f"region cache {out_dir} is inconsistent: lengths {lengths}")
        if arrays["crops"].shape[1:] != (*meta.size, 3):
            raise ValueError(f"region cache {out_dir}: crops {arrays['crops'].shape}, meta size {meta.size}")
        return cls(meta=meta, **arrays)

    def __len__(self) -> int:
        return len(self.targets)

    def select(self, scan_ids_subset: Sequence[int] | np.ndarray) -> np.ndarray:
        """Indices (ascending) of the regions that come from the given scans."""
        return np.flatnonzero(np.isin(self.scan_ids, np.asarray(scan_ids_subset)))


def balanced_indices(targets: np.ndarray, indices: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Up-sample the minority class (as the paper does): equal numbers of both classes, shuffled.

    All of ``indices`` are kept; minority-class indices drawn at random with replacement are
    added until both classes are equally many. Indices whose target is neither 0 nor 1 are dropped.

    Raises:
        ValueError: One class is absent from ``indices`` (nothing to up-sample).
    """
    indices = np.asarray(indices)
    picked = np.asarray(targets)[indices]
    positive, negative = indices[picked == 1], indices[picked == 0]
    if positive.size == 0 or negative.size == 0:
        raise ValueError(f"cannot balance {positive.size} anomaly and {negative.size} benign regions")
    minority, majority = sorted((positive, negative), key=len)
    extra = rng.choice(minority, size=majority.size - minority.size, replace=True)
    return rng.permutation(np.concatenate([majority, minority, extra]))


@dataclass(frozen=True)
class ScanJob:
    scan_id: int
    image: Path
    objects_mask: Path
    anomalies_mask: Path
    objects: tuple[tuple[int, int], ...]  # (mask_value, category_id) per object, in annotation order
    strategy: str
    superpixel_area: int


@dataclass(frozen=True)
class _ScanRegions:
    crops: np.ndarray
    targets: np.ndarray
    fractions: np.ndarray
    categories: np.ndarray
    ignored: int


def extract_regions(
    dataset_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    strategy: Strategy,
    superpixel_area: int = DEFAULT_SUPERPIXEL_AREA,
    workers: int | None = None,
    limit: int | None = None,
    progress: bool = True,
) -> RegionCache:
    """Crop and label every region of a generated dataset into ``out_dir``.

    Regions come from the ground-truth object masks: their superpixels ("subcomponent") or the
    objects themselves ("object"). Superpixels the rule ignores are left out. Scans are processed
    in parallel; the output order is by scan index, then region, whatever ``workers`` is.

    Args:
        dataset_dir: A complete folder written by ``screener synth`` (see docs/dataset_format.md).
        out_dir: Output folder (created; an existing cache there is replaced).
        strategy: "subcomponent" or "object".
        superpixel_area: Pixels per superpixel (subcomponent only).
        workers: Processes (default: all cores; 1 runs in this process).
        limit: Only the first ``limit`` scans.
        progress: Show a progress bar on stderr.

    Raises:
        ValueError: Unknown strategy.
        FileNotFoundError: ``dataset_dir`` has no manifest (incomplete or not a dataset).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; expected one of {STRATEGIES}")
    dataset_dir, out_dir = Path(dataset_dir), Path(out_dir)
    manifest_path = dataset_dir / "manifest.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{dataset_dir} is not a complete generated dataset (no manifest.json)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    jobs = scan_jobs(dataset_dir, strategy, superpixel_area)[:limit]
    size = SUBCOMPONENT_SIZE if strategy == "subcomponent" else OBJECT_SIZE

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "meta.json").unlink(missing_ok=True)  # from here on the folder is incomplete
    spill = out_dir / ".crops.spill"
    targets, scan_ids, fractions, categories = [], [], [], []
    ignored = 0
    try:
        with open(spill, "wb") as spill_file:
            for job, regions in zip(jobs, run_jobs(jobs, workers, progress), strict=True):
                np.ascontiguousarray(regions.crops).tofile(spill_file)
                targets.append(regions.targets)
                fractions.append(regions.fractions)
                categories.append(regions.categories)
                scan_ids.append(np.full(len(regions.targets), job.scan_id, np.int32))
                ignored += regions.ignored
        count = sum(len(t) for t in targets)
        _crops_from_spill(spill, out_dir / "crops.npy", (count, *size, 3))
    finally:
        spill.unlink(missing_ok=True)
        (out_dir / ".crops.npy.tmp").unlink(missing_ok=True)
    target_array = _joined(targets, np.int8)
    np.save(out_dir / "targets.npy", target_array)
    np.save(out_dir / "scan_ids.npy", _joined(scan_ids, np.int32))
    np.save(out_dir / "fractions.npy", _joined(fractions, np.float32))
    np.save(out_dir / "categories.npy", _joined(categories, np.int8))
    meta = RegionCacheMeta(
        strategy=strategy,
        size=size,
        superpixel_area=int(superpixel_area),
        anomaly_min=ANOMALY_MIN,
        benign_max=BENIGN_MAX,
        object_min_pixels=OBJECT_MIN_PIXELS,
        dataset=str(dataset_dir.resolve()),
        dataset_seed=int(manifest["seed"]),
        dataset_count=int(manifest["count"]),
        scans=len(jobs),
        anomaly=int(np.count_nonzero(target_array == 1)),
        benign=int(np.count_nonzero(target_array == 0)),
        ignored=ignored,
    )
    write_text_atomic(out_dir / "meta.json", meta.to_json())
    return RegionCache.open(out_dir)


def scan_jobs(dataset_dir: Path, strategy: str, superpixel_area: int) -> list[ScanJob]:
    """One job per scan of the dataset, by scan index."""
    # Imported on use: the generator package is heavy, and only extraction reads its format.
    from screener_gui.synth.dataset import load_annotations

    coco = load_annotations(dataset_dir)
    electronics = {c["id"] for c in coco["categories"] if c.get("supercategory") == "electronics"}
    objects: dict[int, list[tuple[int, int]]] = {}
    for a in coco["annotations"]:
        if a["category_id"] in electronics:
            objects.setdefault(a["image_id"], []).append((int(a["mask_value"]), int(a["category_id"])))
    jobs = [
        ScanJob(
            scan_id=int(image["id"]) - 1,  # the writer numbers COCO images from scan index + 1
            image=dataset_dir / image["file_name"],
            objects_mask=dataset_dir / image["objects_mask"],
            anomalies_mask=dataset_dir / image["anomalies_mask"],
            objects=tuple(objects.get(image["id"], ())),
            strategy=strategy,
            superpixel_area=superpixel_area,
        )
        for image in coco["images"]
    ]
    return sorted(jobs, key=lambda job: job.scan_id)


def run_jobs(
    jobs: list[ScanJob], workers: int | None, progress: bool, worker: Callable[[ScanJob], T] | None = None
) -> Iterator[T]:
    """``worker`` (default: region extraction) applied to ``jobs``, results in job order."""
    worker = worker or _extract_scan
    workers = workers or os.cpu_count() or 1
    bar = tqdm(total=len(jobs), unit="scan", desc="regions", disable=not progress)
    try:
        if workers <= 1 or len(jobs) <= 1:
            results = map(worker, jobs)
            for result in results:
                bar.update()
                yield result
            return
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
            for result in pool.map(worker, jobs, chunksize=1):
                bar.update()
                yield result
    finally:
        bar.close()


def scan_truth(job: ScanJob) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, np.ndarray]:
    """A job's scan: RGB, ground-truth object masks (empty ones dropped), their category ids
    (int8) and the boolean anomaly mask."""
    rgb = load_scan(job.image).rgb
    object_map = _read_label_map(job.objects_mask, rgb.shape[:2])
    anomalies = _read_label_map(job.anomalies_mask, rgb.shape[:2]) > 0
    masks, category_ids = [], []
    for value, category in job.objects:
        mask = object_map == value
        if mask.any():
            masks.append(mask)
            category_ids.append(category)
    return rgb, masks, np.asarray(category_ids, np.int8), anomalies


def _extract_scan(job: ScanJob) -> _ScanRegions:
    """Crops and labels of one scan's regions (runs in a worker process)."""
    rgb, masks, category_of, anomalies = scan_truth(job)
    if job.strategy == "object":
        areas = np.array([np.count_nonzero(m) for m in masks], np.float64)
        hits = np.array([np.count_nonzero(m & anomalies) for m in masks], np.float64)
        return _ScanRegions(
            crops=object_crops(rgb, masks),
            targets=object_targets(masks, anomalies),
            fractions=(hits / np.maximum(areas, 1)).astype(np.float32),
            categories=category_of,
            ignored=0,
        )
    sp = segment_objects(rgb, masks, superpixel_area=job.superpixel_area)
    targets, fractions = superpixel_targets(sp, anomalies)
    kept = np.flatnonzero(targets != IGNORED)
    return _ScanRegions(
        crops=superpixel_crops(rgb, sp, kept + 1),
        targets=targets[kept],
        fractions=fractions[kept],
        categories=category_of[sp.object_of[kept + 1]] if kept.size else np.zeros(0, np.int8),
        ignored=int(targets.size - kept.size),
    )


def _read_label_map(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """An 8-bit label-map PNG as uint8 (H, W)."""
    with Image.open(path) as image:
        values = np.asarray(image)
    if values.ndim != 2 or values.shape != shape:
        raise ValueError(f"{path}: expected a {shape} label map, got shape {values.shape}")
    return values


def _joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)


def _crops_from_spill(spill: Path, target: Path, shape: tuple[int, ...]) -> None:
    """Copy raw crops from the spill file into an ``.npy`` file, a chunk at a time.

    The file is written under a temporary name and renamed: a cache opened elsewhere keeps
    reading its old, memory-mapped crops instead of a file truncated under it.
    """
    temporary = target.with_name(f".{target.name}.tmp")
    crops = np.lib.format.open_memmap(temporary, mode="w+", dtype=np.uint8, shape=shape)
    if shape[0]:
        source = np.memmap(spill, dtype=np.uint8, mode="r", shape=shape)
        for start in range(0, shape[0], _COPY_CHUNK):
            crops[start : start + _COPY_CHUNK] = source[start : start + _COPY_CHUNK]
        del source
    crops.flush()
    del crops
    os.replace(temporary, target)
