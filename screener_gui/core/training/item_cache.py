"""Whole-item crops with per-pixel targets, for training and validating the dense detector.

``screener items DATA --out CACHE`` cuts every electronics item of a generated dataset out of its
false-colour scan at the scan's own resolution (its box plus :data:`MARGIN_PX` of context) and
stores, per item, one ``.npz`` (never pickled: read with ``allow_pickle=False``) holding:

* ``rgb`` uint8 (H, W, 3): the false colour;
* ``target`` uint8 (H, W): 1 where an anomaly with ΔE ≥ ``min_delta_e`` lies, :data:`IGNORE`
  where a fainter one lies and on a :data:`RING_PX` ring around every anomaly (its edge is blurred
  by the detector, neither class), 0 elsewhere;
* ``item`` bool (H, W): the item's own mask;
* ``high``, ``low`` uint16 (H, W): the raw detector counts (air at the index's ``air_level``), from
  which training projects random objects into clean items (:mod:`.projection`).

``index.json`` lists the items (scan, object, class, label, kinds, max ΔE, shape). An item's label
is 1 when it holds an anomaly with ΔE ≥ ``min_delta_e``, 0 when it holds none, -1 when it holds only
fainter ones (left out of the item loss and of validation). Positives below visibility are thus
never taught as benign nor as anomalies.
"""

from __future__ import annotations

import io
import json
import math
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage

from screener_gui.core.atomic import write_bytes_atomic, write_text_atomic
from screener_gui.core.dataset import Dataset, ScanEntry
from screener_gui.core.jobs import Progress, check_cancel, report
from screener_gui.core.physics import default_scanner
from screener_gui.core.training.settings import ItemSettings

FORMAT = "xray-screener item cache"
FORMAT_VERSION = 2
MARGIN_PX = 16
IGNORE = 255
RING_PX = 1


@dataclass(frozen=True)
class ItemRecord:
    """One cached item.

    Attributes:
        file: Its ``.npz`` in the cache folder.
        scan: Scan name; ``scan_id`` its index (splits are by scan).
        object: Label-map value of the item in its scan.
        category: Electronics class.
        label: 1 visible anomaly, 0 clean, -1 only anomalies below ``min_delta_e``.
        kinds: Kinds of the anomalies it holds.
        max_delta_e: ΔE of its most visible anomaly (NaN when clean or unmeasured).
        box: (y0, x0, y1, x1) of the crop in the scan, pixels, end exclusive.
    """

    file: str
    scan: str
    scan_id: int
    object: int
    category: str
    label: int
    kinds: tuple[str, ...]
    max_delta_e: float
    box: tuple[int, int, int, int]


def item_arrays(
    rgb: np.ndarray,
    objects: np.ndarray,
    anomalies: np.ndarray,
    index: int,
    visible: set[int],
    box: tuple,
    raw: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """The crop, targets and item mask of item ``index`` (and its raw pair when given; see the
    module docstring)."""
    y0, x0, y1, x1 = box
    anomaly = anomalies[y0:y1, x0:x1]
    target = np.zeros(anomaly.shape, np.uint8)
    present = anomaly > 0
    if present.any():
        ring = ndimage.binary_dilation(present, iterations=RING_PX) & ~present
        target[ring] = IGNORE
        target[present] = IGNORE
        target[np.isin(anomaly, sorted(visible))] = 1
    arrays = {
        "rgb": np.ascontiguousarray(rgb[y0:y1, x0:x1]),
        "target": target,
        "item": objects[y0:y1, x0:x1] == index,
    }
    if raw is not None:
        arrays["high"], arrays["low"] = (np.ascontiguousarray(r[y0:y1, x0:x1]) for r in raw)
    return arrays


def _items(entry: ScanEntry, min_delta_e: float) -> list[tuple[ItemRecord, dict[str, np.ndarray]]]:
    rgb, objects, anomalies = entry.load_rgb(), entry.load_object_map(), entry.load_anomaly_map()
    raw = entry.load_raw()
    height, width = objects.shape
    out = []
    for obj in entry.objects:
        rows, cols = np.nonzero(objects == obj.index)
        if rows.size == 0:
            continue
        box = (
            max(int(rows.min()) - MARGIN_PX, 0),
            max(int(cols.min()) - MARGIN_PX, 0),
            min(int(rows.max()) + MARGIN_PX + 1, height),
            min(int(cols.max()) + MARGIN_PX + 1, width),
        )
        held = [a for a in entry.anomalies if a.object_index == obj.index]
        visible = {a.index for a in held if a.visibility is not None and a.delta_e >= min_delta_e}
        label = 1 if visible else (-1 if held else 0)
        delta_e = [a.delta_e for a in held if not math.isnan(a.delta_e)]
        record = ItemRecord(
            file=f"{entry.name}_{obj.index}.npz",
            scan=entry.name,
            scan_id=entry.scan_id,
            object=obj.index,
            category=obj.category,
            label=label,
            kinds=tuple(sorted({a.kind for a in held})),
            max_delta_e=max(delta_e) if delta_e else math.nan,
            box=box,
        )
        out.append((record, item_arrays(rgb, objects, anomalies, obj.index, visible, box, raw)))
    return out


def write_item_cache(
    data: str | Path,
    out: str | Path,
    settings: ItemSettings,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ItemCache:
    """Cut every item of the dataset at ``data`` into the cache folder ``out``, its targets at
    ``settings.min_delta_e`` (of the first ``settings.limit`` scans).

    The index is removed first and written last: a folder with an ``index.json`` is complete.
    ``progress`` gets (scans done, scans); when ``cancel`` is set the job stops after its current
    scan, leaving no index (see :mod:`screener_gui.core.jobs`).

    Raises:
        DatasetError: ``data`` is no complete dataset, or a file of it is malformed.
        Cancelled: ``cancel`` was set.
    """
    dataset = Dataset.open(data)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "index.json").unlink(missing_ok=True)
    min_delta_e = settings.min_delta_e
    scans = dataset.scans[: settings.limit]
    records = []
    report(progress, 0, len(scans))
    for n, entry in enumerate(scans, start=1):
        check_cancel(cancel)
        for record, arrays in _items(entry, min_delta_e):
            write_bytes_atomic(out / record.file, _npz_bytes(arrays))
            records.append(record)
        report(progress, n, len(scans))
    index = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "data": str(dataset.folder),
        "seed": dataset.seed,
        "min_delta_e": min_delta_e,
        "margin_px": MARGIN_PX,
        "ring_px": RING_PX,
        "air_level": default_scanner().air_level,
        "items": [asdict(r) for r in records],
    }
    write_text_atomic(out / "index.json", json.dumps(index, indent=1, allow_nan=True) + "\n")
    return ItemCache.open(out)


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


class ItemCache:
    """A folder written by :func:`write_item_cache`: its records, and each item's arrays on demand."""

    def __init__(self, folder: Path, records: tuple[ItemRecord, ...], meta: dict) -> None:
        self.folder, self.records, self.meta = folder, records, meta

    @classmethod
    def open(cls, folder: str | Path) -> ItemCache:
        """Read ``index.json``.

        Raises:
            ValueError: Not an item cache of this version (the message names the folder).
        """
        folder = Path(folder)
        try:
            meta = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"{folder}: not an item cache ({exc}); make one with `screener items`") from exc
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ValueError(f"{folder}: not an item cache; make one with `screener items`")
        if meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"{folder}: item cache version {meta.get('format_version')!r}, need {FORMAT_VERSION}"
            )
        records = tuple(
            ItemRecord(**{**r, "kinds": tuple(r["kinds"]), "box": tuple(r["box"])}) for r in meta["items"]
        )
        return cls(folder, records, meta)

    def __len__(self) -> int:
        return len(self.records)

    def load(self, i: int, *, raw: bool = False) -> dict[str, np.ndarray]:
        """Item ``i``'s ``rgb``, ``target`` and ``item`` arrays, and its ``high`` and ``low``
        transmissions (float32 in (0, 1]) when ``raw``."""
        with np.load(self.folder / self.records[i].file, allow_pickle=False) as data:
            arrays = {key: data[key] for key in ("rgb", "target", "item")}
            if raw:
                scale = np.float32(1.0 / self.meta["air_level"])
                for key in ("high", "low"):
                    arrays[key] = np.clip(data[key].astype(np.float32) * scale, 1 / 65535, 1.0)
        return arrays
