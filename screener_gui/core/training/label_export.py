"""Annotated scans → a region cache, so classifiers can be trained on the annotators' labels.

Each labelled scan's superpixels are cropped exactly as the pipeline crops them at run time and
written in the layout :class:`~screener_gui.core.training.region_cache.RegionCache` reads; the
targets are the annotator's labels (every superpixel is a clean example, none is ignored). The
object classes are those the label files name (sorted); an annotator's anomaly has no recorded
kind or visibility, so its ``kinds`` is -1 and its ``delta_e`` NaN.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from screener_gui.core.atomic import write_text_atomic
from screener_gui.core.errors import ScanLoadError
from screener_gui.core.io import load_scan
from screener_gui.core.jobs import Progress, check_cancel, report
from screener_gui.core.labels import LabelFileError, RegionLabels, is_label_file, labels_path, load_labels
from screener_gui.core.pipeline.regions import SUBCOMPONENT_SIZE, superpixel_crops
from screener_gui.core.pipeline.superpixels import DEFAULT_SUPERPIXEL_AREA, Superpixels
from screener_gui.core.training.region_cache import RegionCache, cache_meta, save_labels
from screener_gui.core.training.truth import LabelledRegions


def export_training_set(
    scan_paths: Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    on_unlabelled: Callable[[Path], None] | None = None,
    on_error: Callable[[Path, ValueError], None] | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> RegionCache:
    """Write the labelled superpixels of ``scan_paths`` as a sub-component region cache.

    Every label file is checked before anything is written, so without ``on_error`` a bad one
    leaves ``out_dir`` untouched. ``meta.json`` is written last (atomically): an interrupted export
    is never taken for a complete cache. Scan ids are positions among the exported (labelled) scans.

    Args:
        scan_paths: Scan files (label files among them are passed over).
        out_dir: Output folder (created; an existing cache there is replaced).
        on_unlabelled: Called with each scan that has no label file (it is skipped).
        progress: Called with (scans done, scans to export) after each scan (:mod:`~screener_gui.core.jobs`).
        cancel: Checked before each scan; once set, the export stops, ``out_dir`` is left without
            ``meta.json`` (no complete cache) and :class:`~screener_gui.core.jobs.Cancelled` is raised.
        on_error: When given, a scan whose label files are damaged or whose image cannot be
            loaded is left out and passed here with its :class:`LabelFileError` /
            :class:`ScanLoadError`, and the other scans are exported.

    Returns:
        The written cache, opened.

    Raises:
        LabelFileError: A label file is damaged or does not match its scan (the message names it).
        ScanLoadError: A labelled scan cannot be loaded.
        ValueError: No scan has labels (or, with ``on_error``, none could be exported).
        OSError: ``out_dir`` cannot be made or written (e.g. it is a file).
        Cancelled: ``cancel`` was set.
    """
    candidates = [Path(p) for p in scan_paths if not is_label_file(p)]
    labelled: list[Path] = []
    total = 0
    names: set[str] = set()
    refused = 0
    for path in candidates:
        if labels_path(path).exists() or labels_path(path).is_symlink():
            try:
                labels = load_labels(path)  # checks the files and the scan's hash
            except LabelFileError as error:
                if on_error is None:
                    raise
                on_error(path, error)
                refused += 1
                continue
            total += labels.count
            names.update(o.category for o in labels.objects)
            labelled.append(path)
        elif on_unlabelled is not None:
            on_unlabelled(path)
    if not labelled:
        raise ValueError(
            "none of the label files could be used; nothing to export"
            if refused
            else "none of the scans has a label file; nothing to export"
        )

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "meta.json").unlink(missing_ok=True)  # from here on the folder is incomplete
    classes = tuple(sorted(names))
    temporary = out_dir / ".crops.npy.tmp"
    parts: list[LabelledRegions] = []
    scan_ids: list[np.ndarray] = []
    try:
        crops = np.lib.format.open_memmap(
            temporary, mode="w+", dtype=np.uint8, shape=(total, *SUBCOMPONENT_SIZE, 3)
        )
        start, exported = 0, []
        for done, path in enumerate(labelled, 1):
            check_cancel(cancel)
            try:
                labels = load_labels(path)
                if start + labels.count > total:  # a label file changed since the check
                    raise LabelFileError(labels_path(path), "it changed during the export")
                rows = _scan_crops(path, labels)
            except (LabelFileError, ScanLoadError) as error:
                if on_error is None:
                    raise
                on_error(path, error)
                continue
            crops[start : start + len(rows)] = rows
            start += len(rows)
            parts.append(_annotated(labels, classes))
            scan_ids.append(np.full(labels.count, len(exported), np.int32))
            exported.append(path)
            report(progress, done, len(labelled))
        if not exported:
            raise ValueError("none of the labelled scans could be exported; nothing to export")
        if start != total and on_error is None:  # a label file changed between the check and the export
            raise LabelFileError(
                out_dir, f"the labels changed during the export ({start} of {total} regions)"
            )
        crops.flush()
        del crops
        if start != total:  # scans were left out: keep only the rows written
            _shrink(temporary, start)
        os.replace(temporary, out_dir / "crops.npy")
    finally:
        temporary.unlink(missing_ok=True)
    labelled = exported
    joined = LabelledRegions.joined(parts)
    save_labels(out_dir, joined, np.concatenate(scan_ids))
    meta = cache_meta(
        strategy="subcomponent",
        size=SUBCOMPONENT_SIZE,
        superpixel_area=DEFAULT_SUPERPIXEL_AREA,
        object_classes=classes,
        anomaly_kinds=(),
        dataset=f"annotations: {_common_folder(labelled)}",
        dataset_seed=-1,
        dataset_count=len(candidates),
        scans=len(labelled),
        targets=joined.targets,
        ignored=0,
    )
    write_text_atomic(out_dir / "meta.json", meta.to_json())
    return RegionCache.open(out_dir)


def _shrink(npy: Path, rows: int) -> None:
    """Cut a .npy file of crops to its first ``rows`` rows, copying a block at a time."""
    full = np.load(npy, mmap_mode="r")
    kept = npy.with_name(npy.name + ".kept")
    try:
        out = np.lib.format.open_memmap(kept, mode="w+", dtype=full.dtype, shape=(rows, *full.shape[1:]))
        for start in range(0, rows, 256):
            out[start : start + 256] = full[start : start + 256]
        out.flush()
        del out, full
        os.replace(kept, npy)
    finally:
        kept.unlink(missing_ok=True)


def _scan_crops(path: Path, labels: RegionLabels) -> np.ndarray:
    """Crops of all of a scan's superpixels, uint8 (n, 150, 190, 3), in id order."""
    rgb = load_scan(path).rgb
    if rgb.shape[:2] != labels.shape:
        raise LabelFileError(
            labels_path(path), f"its superpixel map is {labels.shape} but the scan is {rgb.shape[:2]}"
        )
    if labels.count == 0:
        return np.zeros((0, *SUBCOMPONENT_SIZE, 3), np.uint8)
    return superpixel_crops(rgb, Superpixels(labels=labels.superpixels, object_of=labels.object_of))


def _annotated(labels: RegionLabels, classes: tuple[str, ...]) -> LabelledRegions:
    """An annotated scan's superpixel labels in the cache's terms (a label is all or nothing)."""
    class_of = {o.index: classes.index(o.category) + 1 for o in labels.objects}
    n = labels.count
    return LabelledRegions(
        targets=labels.labels.astype(np.int8),
        fractions=labels.labels.astype(np.float32),
        categories=np.array([class_of[int(i)] for i in labels.object_of[1:]], np.int8),
        anomaly_ids=np.zeros(n, np.int16),
        kinds=np.full(n, -1, np.int16),
        delta_e=np.full(n, np.nan, np.float32),
    )


def _common_folder(paths: list[Path]) -> str:
    return os.path.commonpath([str(p.resolve().parent) for p in paths])
