"""A region dataset for training classifiers, extracted once from a generated dataset folder.

Every region (a superpixel or a whole object, from the ground-truth object masks) is cropped as
the pipeline crops it at run time (:mod:`screener_gui.core.pipeline.regions`), so training and
inference see identical inputs, and labelled by the pipeline's documented rule. Layout::

    OUT/crops.npy       uint8 (N, h, w, 3)   region crops, memory-mapped when opened
    OUT/targets.npy     int8 (N,)            1 anomaly, 0 benign (ignored regions are left out)
    OUT/scan_ids.npy    int32 (N,)           scan index of each region: split by scan, never by crop
    OUT/fractions.npy   float32 (N,)         share of the region covered by anomaly pixels
    OUT/categories.npy  int8 (N,)            the region's object class: 1-based number in
                                             ``meta.object_classes`` (the dataset's category id)
    OUT/anomaly_ids.npy int16 (N,)           label-map value of the region's anomaly (0: none)
    OUT/kinds.npy       int16 (N,)           its kind: 0-based index in ``meta.anomaly_kinds`` (-1: none)
    OUT/delta_e.npy     float32 (N,)         its measured visibility ΔE (NaN: none, or not measured)
    OUT/meta.json       how the cache was made; written last and atomically: a folder with
                        a meta.json is complete

A region's anomaly is the one holding most of its anomaly pixels (superpixels), or the most
visible one it holds (objects); benign regions have none.

The arrays are plain ``.npy`` files (read with ``allow_pickle=False``), the metadata JSON.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar, get_args

import numpy as np

from screener_gui.core.atomic import write_text_atomic
from screener_gui.core.dataset import Dataset, ScanEntry
from screener_gui.core.jobs import Progress, check_cancel, parallel_map, report
from screener_gui.core.pipeline.regions import (
    ANOMALY_MIN,
    ANOMALY_MIN_PIXELS,
    ANOMALY_SHARE_MIN,
    BENIGN_MAX,
    BENIGN_MAX_PIXELS,
    IGNORED,
    OBJECT_MIN_PIXELS,
    OBJECT_MIN_SHARE,
    OBJECT_SIZE,
    SUBCOMPONENT_SIZE,
    object_crops,
    superpixel_crops,
)
from screener_gui.core.pipeline.superpixels import segment_objects
from screener_gui.core.training.settings import RegionSettings, Strategy
from screener_gui.core.training.truth import (
    LABEL_FIELDS,
    LabelledRegions,
    object_labels,
    scan_truth,
    superpixel_labels,
)

STRATEGIES: tuple[str, ...] = get_args(Strategy)
FORMAT_VERSION = 2  # 2: the label rule of 30 % / 30 % / 30 px, labels carry their anomaly
T = TypeVar("T")

_ARRAYS = ("crops", "scan_ids", *LABEL_FIELDS)
_COPY_CHUNK = 512  # crops copied at a time from the spill file into crops.npy


@dataclass(frozen=True)
class RegionCacheMeta:
    """How a region cache was made and what it holds (``meta.json``).

    Attributes:
        strategy: "subcomponent" (superpixels) or "object".
        size: Crop (height, width) in pixels.
        superpixel_area: Pixels per superpixel asked of SLIC (subcomponent caches).
        anomaly_min, anomaly_share_min, anomaly_min_pixels, benign_max, benign_max_pixels,
            object_min_share, object_min_pixels: The labelling rule's thresholds
            (:mod:`screener_gui.core.pipeline.regions`).
        object_classes: Object classes; ``categories.npy`` numbers them from 1.
        anomaly_kinds: Anomaly kinds; ``kinds.npy`` indexes them from 0.
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
    anomaly_share_min: float
    anomaly_min_pixels: int
    benign_max: float
    benign_max_pixels: int
    object_min_share: float
    object_min_pixels: int
    object_classes: tuple[str, ...]
    anomaly_kinds: tuple[str, ...]
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
            raise ValueError(
                f"region cache format {version!r}, expected {FORMAT_VERSION} (labels now follow the "
                "30 % / 30 % / 30 px rule and carry their anomaly): extract it again with `screener regions`"
            )
        try:
            for key in ("size", "object_classes", "anomaly_kinds"):
                data[key] = tuple(data[key])
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
    anomaly_ids: np.ndarray
    kinds: np.ndarray
    delta_e: np.ndarray
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


def visible_targets(targets: np.ndarray, delta_e: np.ndarray, min_delta_e: float | None) -> np.ndarray:
    """Training targets without the positives too faint to see: anomaly regions whose measured ΔE
    is below ``min_delta_e`` become -1 (left out); benign regions and anomalies without a
    measurement stay as they are. ``min_delta_e`` None keeps everything.

    Raises:
        ValueError: ``min_delta_e`` is given but no anomaly region has a measured ΔE (a dataset
            written before visibility was measured: there is nothing to filter on).
    """
    targets = np.array(targets, dtype=np.int8)
    if min_delta_e is None:
        return targets
    positive = targets == 1
    measured = positive & np.isfinite(delta_e)
    if positive.any() and not measured.any():
        raise ValueError("no anomaly region has a measured visibility (ΔE): cannot leave faint ones out")
    targets[measured & (np.asarray(delta_e) < min_delta_e)] = IGNORED
    return targets


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
    """One scan to extract (sent to a worker process)."""

    scan: ScanEntry
    object_classes: tuple[str, ...]
    anomaly_kinds: tuple[str, ...]
    strategy: str
    superpixel_area: int

    @property
    def scan_id(self) -> int:
        return self.scan.scan_id


@dataclass(frozen=True)
class _ScanRegions:
    crops: np.ndarray
    labels: LabelledRegions
    ignored: int


def extract_regions(
    dataset_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    settings: RegionSettings,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> RegionCache:
    """Crop and label every region of a generated dataset into ``out_dir``.

    Regions come from the ground-truth object masks: their superpixels ("subcomponent") or the
    objects themselves ("object"), as ``settings.strategy`` says. Superpixels the rule ignores are
    left out. Scans are processed in parallel; the output order is by scan index, then region,
    whatever ``settings.workers`` is.

    Args:
        dataset_dir: A complete folder written by ``screener synth`` (see docs/dataset_format.md).
        out_dir: Output folder (created; an existing cache there is replaced).
        settings: Strategy, superpixel area, processes and scan limit.
        progress: Called with (scans done, scans) as scans are extracted.
        cancel: When set, the workers are stopped and the folder is left without its
            ``meta.json`` (no cache); see :mod:`screener_gui.core.jobs`.

    Raises:
        ValueError: Unknown strategy.
        DatasetError: ``dataset_dir`` is no complete dataset, or a file of it is malformed.
        Cancelled: ``cancel`` was set.
    """
    strategy, superpixel_area = settings.strategy, settings.superpixel_area
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; expected one of {STRATEGIES}")
    out_dir = Path(out_dir)
    dataset = Dataset.open(dataset_dir)
    jobs = scan_jobs(dataset, strategy, superpixel_area)[: settings.limit]
    size = SUBCOMPONENT_SIZE if strategy == "subcomponent" else OBJECT_SIZE

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "meta.json").unlink(missing_ok=True)  # from here on the folder is incomplete
    spill = out_dir / ".crops.spill"
    labels: list[LabelledRegions] = []
    scan_ids: list[np.ndarray] = []
    ignored = 0
    try:
        with open(spill, "wb") as spill_file:
            for job, regions in zip(
                jobs, run_jobs(jobs, settings.workers, progress, cancel=cancel), strict=True
            ):
                np.ascontiguousarray(regions.crops).tofile(spill_file)
                labels.append(regions.labels)
                scan_ids.append(np.full(len(regions.labels.targets), job.scan_id, np.int32))
                ignored += regions.ignored
        count = sum(len(part.targets) for part in labels)
        _crops_from_spill(spill, out_dir / "crops.npy", (count, *size, 3))
    finally:
        spill.unlink(missing_ok=True)
        (out_dir / ".crops.npy.tmp").unlink(missing_ok=True)
    joined = LabelledRegions.joined(labels)
    save_labels(out_dir, joined, _joined(scan_ids, np.int32))
    meta = cache_meta(
        strategy=strategy,
        size=size,
        superpixel_area=int(superpixel_area),
        object_classes=dataset.object_classes,
        anomaly_kinds=dataset.anomaly_kinds,
        dataset=str(dataset.folder.resolve()),
        dataset_seed=dataset.seed,
        dataset_count=dataset.count,
        scans=len(jobs),
        targets=joined.targets,
        ignored=ignored,
    )
    write_text_atomic(out_dir / "meta.json", meta.to_json())
    return RegionCache.open(out_dir)


def cache_meta(*, targets: np.ndarray, **fields) -> RegionCacheMeta:
    """The metadata of a cache holding ``targets``, with this version's label-rule thresholds."""
    return RegionCacheMeta(
        anomaly_min=ANOMALY_MIN,
        anomaly_share_min=ANOMALY_SHARE_MIN,
        anomaly_min_pixels=ANOMALY_MIN_PIXELS,
        benign_max=BENIGN_MAX,
        benign_max_pixels=BENIGN_MAX_PIXELS,
        object_min_share=OBJECT_MIN_SHARE,
        object_min_pixels=OBJECT_MIN_PIXELS,
        anomaly=int(np.count_nonzero(targets == 1)),
        benign=int(np.count_nonzero(targets == 0)),
        **fields,
    )


def save_labels(out_dir: Path, labels: LabelledRegions, scan_ids: np.ndarray) -> None:
    """Write every array but ``crops.npy`` into ``out_dir``."""
    for name in LABEL_FIELDS:
        np.save(out_dir / f"{name}.npy", getattr(labels, name))
    np.save(out_dir / "scan_ids.npy", scan_ids.astype(np.int32))


def scan_jobs(dataset: Dataset, strategy: str, superpixel_area: int) -> list[ScanJob]:
    """One job per scan of the dataset, by scan index."""
    jobs = [
        ScanJob(scan, dataset.object_classes, dataset.anomaly_kinds, strategy, superpixel_area)
        for scan in dataset.scans
    ]
    return sorted(jobs, key=lambda job: job.scan_id)


def run_jobs(
    jobs: list[ScanJob],
    workers: int | None,
    progress: Progress | None,
    worker: Callable[[ScanJob], T] | None = None,
    *,
    cancel: threading.Event | None = None,
) -> Iterator[T]:
    """``worker`` (default: region extraction) applied to ``jobs``, results in job order.

    Raises:
        Cancelled: ``cancel`` was set (the worker processes are terminated).
    """
    worker = worker or _extract_scan
    workers = workers or os.cpu_count() or 1
    check_cancel(cancel)
    report(progress, 0, len(jobs))
    if workers <= 1 or len(jobs) <= 1:
        results: Iterator[T] = map(worker, jobs)
    else:  # leaving early starts no more jobs and waits only for those running
        results = parallel_map(worker, jobs, min(workers, len(jobs)))
    try:
        for done, result in enumerate(results, start=1):
            check_cancel(cancel)
            report(progress, done, len(jobs))
            yield result
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()


def _extract_scan(job: ScanJob) -> _ScanRegions:
    """Crops and labels of one scan's regions (runs in a worker process)."""
    truth = scan_truth(job.scan, job.object_classes)
    if job.strategy == "object":
        labels = object_labels(job.scan, truth, job.anomaly_kinds)
        return _ScanRegions(object_crops(truth.rgb, truth.masks), labels, ignored=0)
    sp = segment_objects(truth.rgb, truth.masks, superpixel_area=job.superpixel_area)
    labels = superpixel_labels(job.scan, truth, sp, job.anomaly_kinds)
    kept = np.flatnonzero(labels.targets != IGNORED)
    return _ScanRegions(
        crops=superpixel_crops(truth.rgb, sp, kept + 1),
        labels=labels.take(kept),
        ignored=int(labels.targets.size - kept.size),
    )


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
