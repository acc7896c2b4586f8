"""Write a synthetic dataset to disk: images, raw pairs, masks, COCO annotations and a manifest.

Layout (documented in ``docs/dataset_format.md``)::

    DIR/manifest.json            generator version, seed, settings, counts
    DIR/annotations.json         COCO instance segmentation (objects and anomalies)
    DIR/images/bag_000000.png    false colour, 8-bit RGB
    DIR/raw/bag_000000_high.png  raw high-energy detector image, 16-bit grey (air ~60000)
    DIR/raw/bag_000000_low.png   raw low-energy detector image, 16-bit grey
    DIR/masks/bag_000000_objects.png    8-bit: 0 or the object's index in the scan
    DIR/masks/bag_000000_anomalies.png  8-bit: 0 or the anomaly's index in the scan
"""

from __future__ import annotations

import ctypes
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from screener_gui.core.atomic import write_text_atomic
from screener_gui.core.io import save_png_atomic
from screener_gui.core.jobs import Progress, check_cancel, parallel_map, report
from screener_gui.synth import coco
from screener_gui.synth.anomalies import ANOMALY_KINDS
from screener_gui.synth.items import CATEGORIES
from screener_gui.synth.scene import GENERATOR_VERSION, SynthSettings, generate_scan

ANOMALY_CATEGORY_OFFSET = 100  # COCO ids of anomaly categories start above the object classes


@dataclass(frozen=True)
class ScanRecord:
    """What the annotation file needs to know about one written scan."""

    index: int
    name: str
    width: int
    height: int
    bag_kind: str
    objects: tuple[dict, ...]
    anomalies: tuple[dict, ...]
    redraws: int
    dropped: int


@dataclass(frozen=True)
class DatasetSummary:
    """Counts and speed of a finished generation run."""

    out: Path
    scans: int
    seconds: float
    counts: dict

    @property
    def scans_per_second(self) -> float:
        return self.scans / self.seconds if self.seconds > 0 else float("inf")


def scan_name(index: int) -> str:
    """File stem of scan ``index``."""
    return f"bag_{index:06d}"


def _region(mask: np.ndarray) -> dict:
    """COCO geometry of a mask: compressed RLE, area (pixels) and box."""
    return {"rle": coco.encode(mask), "area": int(mask.sum()), "bbox": coco.bbox(mask)}


def _write_one(job: tuple[Path, int, int, SynthSettings]) -> ScanRecord:
    out, seed, index, settings = job
    scan = generate_scan(seed, index, settings)
    name = scan_name(index)
    save_png_atomic(out / "images" / f"{name}.png", scan.rgb)
    save_png_atomic(out / "raw" / f"{name}_high.png", scan.raw_high)
    save_png_atomic(out / "raw" / f"{name}_low.png", scan.raw_low)
    save_png_atomic(out / "masks" / f"{name}_objects.png", scan.objects_mask)
    save_png_atomic(out / "masks" / f"{name}_anomalies.png", scan.anomalies_mask)
    objects = [
        {"index": o.index, "category": o.category, "has_anomaly": o.has_anomaly}
        | _region(scan.objects_mask == o.index)
        for o in scan.objects
    ]
    anomalies = [
        {
            "index": a.index,
            "object_index": a.object_index,
            "kind": a.kind,
            "description": a.description,
            "subtlety": a.subtlety,
            "concealment": a.concealment,
            "visibility": a.visibility.as_dict(),
        }
        | _region(scan.anomalies_mask == a.index)
        for a in scan.anomalies
    ]
    h, w = scan.rgb.shape[:2]
    return ScanRecord(
        index, name, w, h, scan.bag_kind, tuple(objects), tuple(anomalies), scan.redraws, scan.dropped
    )


def _keep_heap() -> None:
    """In a generator process: ask glibc to keep freed memory instead of returning it to the OS
    after every scan. Each scan allocates and frees some hundred MB of arrays, and unmapping them
    and faulting them in again costs 10–15 % of generation time. Other platforms keep their defaults.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # constants of glibc's <malloc.h>
    libc.mallopt(m_mmap_threshold, 256 << 20)
    libc.mallopt(m_trim_threshold, 1 << 30)


def _records(jobs: list, workers: int) -> Iterator[ScanRecord]:
    if workers <= 1:
        yield from map(_write_one, jobs)
    else:  # workers die with a killed synth; a stopped one (Ctrl+C, cancel) starts no more scans
        yield from parallel_map(_write_one, jobs, workers, setup=_keep_heap)


def write_dataset(
    out: str | os.PathLike,
    count: int,
    seed: int,
    settings: SynthSettings | None = None,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> DatasetSummary:
    """Generate ``count`` scans with ``seed`` into folder ``out``.

    Scan ``i`` depends only on ``(seed, i)`` and the settings, so the files are identical
    whatever the number of workers. The annotation and manifest files are removed first and
    written last, atomically: a folder with a manifest is complete.

    Args:
        out: Output folder (created; existing scan files with the same names are replaced).
        count: Number of scans.
        seed: Dataset seed.
        settings: Generator settings (defaults: bags of 1000x800 px, half the items hiding
            an anomaly).
        workers: Processes to use (default: all cores).
        progress: Called with (scans written, ``count``) after each scan.
        cancel: When set, no more scans are started (those in hand are finished) and no
            manifest is written (see :mod:`screener_gui.core.jobs`).

    Raises:
        Cancelled: ``cancel`` was set; the folder holds some scans and no manifest.
    """
    settings = settings or SynthSettings()
    out = Path(out)
    for sub in ("images", "raw", "masks"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    for name in ("manifest.json", "annotations.json"):  # from here on the folder is incomplete
        (out / name).unlink(missing_ok=True)
    workers = workers or os.cpu_count() or 1
    jobs = [(out, seed, i, settings) for i in range(count)]
    started = time.perf_counter()
    records = []
    check_cancel(cancel)
    report(progress, 0, count)
    with closing(_records(jobs, workers)) as written:  # closing it stops the workers
        for record in written:
            check_cancel(cancel)
            records.append(record)
            report(progress, len(records), count)
    seconds = time.perf_counter() - started
    counts = _counts(records)
    write_text_atomic(out / "annotations.json", json.dumps(_coco(records, seed, settings), indent=1))
    manifest = {
        "generator": "xray-screener synth",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "count": count,
        "settings": asdict(settings),
        "counts": counts,
        "files": {
            "annotations": "annotations.json",
            "images": "images/{name}.png",
            "raw_high": "raw/{name}_high.png",
            "raw_low": "raw/{name}_low.png",
            "objects_mask": "masks/{name}_objects.png",
            "anomalies_mask": "masks/{name}_anomalies.png",
        },
    }
    write_text_atomic(out / "manifest.json", json.dumps(manifest, indent=1))
    return DatasetSummary(out, count, seconds, counts)


def _counts(records: list[ScanRecord]) -> dict:
    objects = Counter(o["category"] for r in records for o in r.objects)
    anomalies = Counter(a["kind"] for r in records for a in r.anomalies)
    return {
        "scans": len(records),
        "scans_with_anomaly": sum(1 for r in records if r.anomalies),
        "objects": sum(objects.values()),
        "objects_with_anomaly": sum(1 for r in records for o in r.objects if o["has_anomaly"]),
        "objects_per_category": {c: objects.get(c, 0) for c in CATEGORIES},
        "anomalies_per_kind": {k: anomalies.get(k, 0) for k in ANOMALY_KINDS},
        "anomalies_per_concealment": dict(
            sorted(Counter(a["concealment"] for r in records for a in r.anomalies).items())
        ),
        "bags_per_kind": dict(sorted(Counter(r.bag_kind for r in records).items())),
        # Draws of a place and kind that could not reach their visibility target, and anomalies
        # given up after every draw missed (their items left clean).
        "redraws": sum(r.redraws for r in records),
        "dropped": sum(r.dropped for r in records),
    }


def _coco(records: list[ScanRecord], seed: int, settings: SynthSettings) -> dict:
    categories = [{"id": i + 1, "name": c, "supercategory": "electronics"} for i, c in enumerate(CATEGORIES)]
    categories += [
        {"id": ANOMALY_CATEGORY_OFFSET + i + 1, "name": k, "supercategory": "anomaly"}
        for i, k in enumerate(ANOMALY_KINDS)
    ]
    category_id = {c["name"]: c["id"] for c in categories}
    images, annotations = [], []
    for r in records:
        image_id = r.index + 1
        images.append(
            {
                "id": image_id,
                "file_name": f"images/{r.name}.png",
                "width": r.width,
                "height": r.height,
                "raw_high": f"raw/{r.name}_high.png",
                "raw_low": f"raw/{r.name}_low.png",
                "objects_mask": f"masks/{r.name}_objects.png",
                "anomalies_mask": f"masks/{r.name}_anomalies.png",
                "bag_kind": r.bag_kind,
            }
        )
        object_ids = {}
        for o in r.objects:
            ann_id = len(annotations) + 1
            object_ids[o["index"]] = ann_id
            annotations.append(
                {
                    "id": ann_id,
                    "image_id": image_id,
                    "category_id": category_id[o["category"]],
                    "segmentation": o["rle"],
                    "area": o["area"],
                    "bbox": o["bbox"],
                    "iscrowd": 0,
                    "mask_value": o["index"],
                    "has_anomaly": o["has_anomaly"],
                }
            )
        for a in r.anomalies:
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": category_id[a["kind"]],
                    "segmentation": a["rle"],
                    "area": a["area"],
                    "bbox": a["bbox"],
                    "iscrowd": 0,
                    "mask_value": a["index"],
                    "parent_id": object_ids[a["object_index"]],
                    "subtlety": a["subtlety"],
                    "description": a["description"],
                    "concealment": a["concealment"],
                    "visibility": a["visibility"],
                }
            )
    return {
        "info": {
            "description": "xray-screener synthetic dual-energy bag scans",
            "version": GENERATOR_VERSION,
            "seed": seed,
            "items_only": settings.items_only,
        },
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": categories,
    }
