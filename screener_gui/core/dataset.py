"""The one reader of a generated dataset folder (format: ``docs/dataset_format.md``).

``screener synth`` writes the folder; training, evaluation and the CLI read it only through
:meth:`Dataset.open`, which checks ``manifest.json`` and ``annotations.json`` (JSON only, never
pickle) and turns them into frozen dataclasses. Images, raw pairs and label maps are read on
demand by :class:`ScanEntry`'s ``load_*`` methods. Object classes and anomaly kinds come from the
file's ``categories`` (supercategory ``electronics`` / ``anomaly``), never from a list in code.

Every problem with the folder is a :class:`DatasetError` naming the file and what is wrong.

Visibility bins, by the CIEDE2000 colour difference ΔE an anomaly makes in the false colour:
``below`` ΔE < 2, ``subtle`` 2–5, ``medium`` 5–10, ``obvious`` ≥ 10; *visible* means ΔE ≥ 5.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from screener_gui.core import rle
from screener_gui.core.errors import ScanLoadError
from screener_gui.core.io import load_scan

SUBTLE_MIN_DELTA_E = 2.0  # ΔE at or above which an anomaly leaves the "below" bin
MEDIUM_MIN_DELTA_E = 5.0
OBVIOUS_MIN_DELTA_E = 10.0
VISIBLE_MIN_DELTA_E = 5.0  # "visible" = medium or obvious
VISIBILITY_BINS: tuple[str, ...] = ("below", "subtle", "medium", "obvious")

OBJECT_SUPERCATEGORY, ANOMALY_SUPERCATEGORY = "electronics", "anomaly"
DEFAULT_CONCEALMENT = "cavity"  # datasets written before concealment was recorded
_VISIBILITY_KEYS = (
    "delta_e",
    "d_att_high",
    "d_att_low",
    "cnr_high",
    "cnr_low",
    "clutter_contrast",
    "target_delta_e",
)


class DatasetError(ValueError):
    """A dataset folder or one of its files is missing or malformed; the message names the file."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def visibility_bin(delta_e: float) -> str:
    """The visibility bin of a colour difference ΔE (CIEDE2000, unitless): one of :data:`VISIBILITY_BINS`."""
    if delta_e < SUBTLE_MIN_DELTA_E:
        return "below"
    if delta_e < MEDIUM_MIN_DELTA_E:
        return "subtle"
    if delta_e < OBVIOUS_MIN_DELTA_E:
        return "medium"
    return "obvious"


@dataclass(frozen=True)
class Visibility:
    """How visible an anomaly is, measured by the generator (rendered with and without it, noise-free).

    Attributes:
        delta_e: Mean CIEDE2000 colour difference of the false colour over the anomaly.
        d_att_high, d_att_low: Mean change of attenuation −ln T over the anomaly, per channel.
        cnr_high, cnr_low: Contrast-to-noise ratio per channel.
        clutter_contrast: The change against the variation of the surroundings.
        target_delta_e: The ΔE the generator aimed at (from the anomaly's subtlety).
        pixels: Anomaly pixels measured (0 when the dataset does not say).
    """

    delta_e: float
    d_att_high: float
    d_att_low: float
    cnr_high: float
    cnr_low: float
    clutter_contrast: float
    target_delta_e: float
    pixels: int = 0

    def as_dict(self) -> dict[str, float]:
        """The record as the annotations store it (floats to 4 significant digits)."""
        record: dict[str, float] = {key: float(f"{getattr(self, key):.4g}") for key in _VISIBILITY_KEYS}
        record["pixels"] = int(self.pixels)
        return record

    @property
    def bin(self) -> str:
        """The visibility bin of :attr:`delta_e`."""
        return visibility_bin(self.delta_e)

    @property
    def visible(self) -> bool:
        """ΔE at or above :data:`VISIBLE_MIN_DELTA_E`."""
        return self.delta_e >= VISIBLE_MIN_DELTA_E

    @property
    def cnr(self) -> float:
        """The better channel's contrast-to-noise ratio."""
        return max(self.cnr_high, self.cnr_low)


@dataclass(frozen=True)
class ObjectEntry:
    """One electronics item of a scan.

    Attributes:
        id: COCO annotation id.
        index: Its value in the scan's object label map.
        category: Electronics class (one of :attr:`Dataset.object_classes`).
        has_anomaly: It hides at least one anomaly.
        bbox: COCO box (x, y, width, height) in pixels.
        area: Pixels.
        rle_size, rle_counts: The COCO RLE segmentation (``size`` [h, w] and ``counts``).
    """

    id: int
    index: int
    category: str
    has_anomaly: bool
    bbox: tuple[int, int, int, int]
    area: int
    rle_size: tuple[int, int]
    rle_counts: str = field(repr=False)

    def mask(self) -> np.ndarray:
        """Boolean (H, W) mask decoded from the segmentation."""
        return rle.decode({"size": self.rle_size, "counts": self.rle_counts})


@dataclass(frozen=True)
class AnomalyEntry:
    """One concealed anomaly of a scan.

    Attributes:
        id: COCO annotation id.
        index: Its value in the scan's anomaly label map.
        object_index: The host item's value in the object label map.
        kind: Anomaly kind (one of :attr:`Dataset.anomaly_kinds`).
        description: One line: material, size in mm.
        subtlety: 0 (obvious) … 1 (subtle), what the generator aimed at.
        concealment: ``"cavity"`` (a free space) or ``"replaced:<slot>"`` (in place of a part).
        visibility: Measured visibility; None in datasets written before it was measured.
        bbox: COCO box (x, y, width, height) in pixels.
        area: Pixels.
        rle_size, rle_counts: The COCO RLE segmentation.
    """

    id: int
    index: int
    object_index: int
    kind: str
    description: str
    subtlety: float
    concealment: str
    visibility: Visibility | None
    bbox: tuple[int, int, int, int]
    area: int
    rle_size: tuple[int, int]
    rle_counts: str = field(repr=False)

    @property
    def delta_e(self) -> float:
        """The measured ΔE, NaN when not measured."""
        return self.visibility.delta_e if self.visibility is not None else math.nan

    def mask(self) -> np.ndarray:
        """Boolean (H, W) mask decoded from the segmentation."""
        return rle.decode({"size": self.rle_size, "counts": self.rle_counts})


@dataclass(frozen=True)
class ScanEntry:
    """One scan of the dataset: its files, size and ground truth.

    Attributes:
        id: COCO image id (the writer numbers them from scan index + 1).
        name: File stem of the false-colour image, e.g. ``bag_000000``.
        image, raw_high, raw_low, objects_mask, anomalies_mask: Absolute paths.
        width, height: Pixels.
        bag_kind: suitcase, trolley, …, or ``belt`` for items-only scans.
        objects: Electronics items, by label-map value.
        anomalies: Concealed anomalies, by label-map value.
    """

    id: int
    name: str
    image: Path
    raw_high: Path
    raw_low: Path
    objects_mask: Path
    anomalies_mask: Path
    width: int
    height: int
    bag_kind: str
    objects: tuple[ObjectEntry, ...]
    anomalies: tuple[AnomalyEntry, ...]

    @property
    def scan_id(self) -> int:
        """The scan index (COCO image id − 1): what training splits by."""
        return self.id - 1

    def load_rgb(self) -> np.ndarray:
        """The false colour, uint8 (H, W, 3)."""
        try:
            rgb = load_scan(self.image).rgb
        except ScanLoadError as exc:
            raise DatasetError(self.image, exc.reason) from exc
        self._check_shape(self.image, rgb.shape[:2])
        return rgb

    def load_raw(self) -> tuple[np.ndarray, np.ndarray]:
        """The raw detector counts (high, low), uint16 (H, W) each (air at the scanner's air level)."""
        return self._read(self.raw_high, np.uint16), self._read(self.raw_low, np.uint16)

    def load_object_map(self) -> np.ndarray:
        """uint8 (H, W): 0, or the :attr:`ObjectEntry.index` of the item covering the pixel."""
        return self._read(self.objects_mask, np.uint8)

    def load_anomaly_map(self) -> np.ndarray:
        """uint8 (H, W): 0, or the :attr:`AnomalyEntry.index` of the anomaly covering the pixel."""
        return self._read(self.anomalies_mask, np.uint8)

    def anomaly(self, index: int) -> AnomalyEntry | None:
        """The anomaly with label-map value ``index``, None when there is none."""
        return next((a for a in self.anomalies if a.index == index), None)

    def most_visible(self, indices: Sequence[int] | np.ndarray) -> AnomalyEntry | None:
        """Of the anomalies with these label-map values, the one of highest ΔE (unmeasured ones
        rank lowest; ties go to the first); None when none of them exists."""
        found = [a for a in (self.anomaly(int(i)) for i in indices) if a is not None]
        if not found:
            return None
        return max(found, key=lambda a: -math.inf if math.isnan(a.delta_e) else a.delta_e)

    def _read(self, path: Path, dtype: type) -> np.ndarray:
        try:
            with Image.open(path) as image:
                values = np.asarray(image)
        except FileNotFoundError as exc:
            raise DatasetError(path, "file missing") from exc
        except (OSError, ValueError, SyntaxError) as exc:
            raise DatasetError(path, f"not a readable PNG ({exc})") from exc
        if values.ndim != 2 or np.dtype(values.dtype).itemsize > np.dtype(dtype).itemsize:
            raise DatasetError(
                path, f"expected {np.dtype(dtype).name} grey values, got {values.dtype} {values.shape}"
            )
        self._check_shape(path, values.shape)
        return values.astype(dtype, copy=False)

    def _check_shape(self, path: Path, shape: tuple[int, ...]) -> None:
        if tuple(shape) != (self.height, self.width):
            raise DatasetError(
                path, f"is {shape[1]}x{shape[0]} px, annotations.json says {self.width}x{self.height}"
            )


@dataclass(frozen=True)
class Dataset:
    """A generated dataset folder, read.

    Attributes:
        folder: The folder.
        seed: Dataset seed (from the manifest).
        count: Scans the generator was asked for.
        generator_version: Version of the generator that wrote it.
        redraws: Draws of a place and kind that missed their visibility target (0 when not recorded).
        dropped: Anomalies given up after every draw missed, their items left clean (0 when not recorded).
        object_classes: Electronics classes, by COCO category id.
        anomaly_kinds: Anomaly kinds, by COCO category id.
        scans: Every scan, by COCO image id.
    """

    folder: Path
    seed: int
    count: int
    generator_version: str
    redraws: int
    dropped: int
    object_classes: tuple[str, ...]
    anomaly_kinds: tuple[str, ...]
    scans: tuple[ScanEntry, ...]

    @classmethod
    def open(cls, folder: str | os.PathLike[str]) -> Dataset:
        """Read ``folder/manifest.json`` and ``folder/annotations.json``.

        Raises:
            DatasetError: A file is missing (a folder without a manifest is incomplete), is not
                JSON, or lacks a field or has one of the wrong type; the message names the file.
        """
        folder = Path(folder)
        manifest_path = folder / "manifest.json"
        if not manifest_path.is_file():
            raise DatasetError(manifest_path, "missing: not a complete generated dataset")
        manifest = _Fields(_read_json(manifest_path), manifest_path, "manifest")
        counts = manifest.get("counts", dict, {})
        annotations_path = folder / "annotations.json"
        coco = _Fields(_read_json(annotations_path), annotations_path, "annotations.json")
        classes, kinds, names = _categories(coco)
        scans = _scans(folder, coco, names)
        return cls(
            folder=folder,
            seed=manifest.get("seed", int),
            count=manifest.get("count", int),
            generator_version=str(manifest.get("generator_version", str, "")),
            redraws=_Fields(counts, manifest_path, "counts").get("redraws", int, 0),
            dropped=_Fields(counts, manifest_path, "counts").get("dropped", int, 0),
            object_classes=classes,
            anomaly_kinds=kinds,
            scans=scans,
        )

    def class_number(self, category: str) -> int:
        """1-based number of an object class in :attr:`object_classes` (the segmenter's label)."""
        return self.object_classes.index(category) + 1

    @property
    def anomalies(self) -> tuple[AnomalyEntry, ...]:
        """Every anomaly of every scan, scan by scan."""
        return tuple(a for scan in self.scans for a in scan.anomalies)


_MISSING = object()


class _Fields:
    """Typed access to one JSON object; a missing or mistyped field is a DatasetError naming it."""

    def __init__(self, record: object, path: Path, where: str) -> None:
        if not isinstance(record, dict):
            raise DatasetError(path, f"{where} is not a JSON object")
        self.record, self.path, self.where = record, path, where

    def get(self, key: str, kind: type, default: Any = _MISSING) -> Any:
        if key not in self.record:
            if default is _MISSING:
                raise DatasetError(self.path, f"{self.where} has no {key!r}")
            return default
        value = self.record[key]
        if value is None and default is not _MISSING:  # null stands for "not recorded"
            return default
        ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
        if kind is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            value = float(value) if ok else value
        if not ok:
            raise DatasetError(self.path, f"{self.where}: {key!r} is {value!r}, not {kind.__name__}")
        return value

    def box(self) -> tuple[int, int, int, int]:
        box = self.get("bbox", list)
        if len(box) != 4 or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in box):
            raise DatasetError(self.path, f"{self.where}: bbox {box!r} is not [x, y, w, h]")
        return tuple(int(v) for v in box)  # type: ignore[return-value]


def _read_json(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DatasetError(path, "file missing") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(path, f"cannot be read ({exc})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(path, f"not valid JSON ({exc.msg} at line {exc.lineno})") from exc


def _categories(coco: _Fields) -> tuple[tuple[str, ...], tuple[str, ...], dict[int, tuple[str, str]]]:
    """Object classes and anomaly kinds by id, and id → (supercategory, name)."""
    names: dict[int, tuple[str, str]] = {}
    for i, raw in enumerate(coco.get("categories", list)):
        c = _Fields(raw, coco.path, f"categories[{i}]")
        supercategory = c.get("supercategory", str)
        if supercategory not in (OBJECT_SUPERCATEGORY, ANOMALY_SUPERCATEGORY):
            raise DatasetError(
                coco.path,
                f"categories[{i}] has supercategory {supercategory!r}, "
                f"neither {OBJECT_SUPERCATEGORY!r} nor {ANOMALY_SUPERCATEGORY!r}",
            )
        names[c.get("id", int)] = (supercategory, c.get("name", str))
    ordered = sorted(names.items())
    classes = tuple(name for _, (sup, name) in ordered if sup == OBJECT_SUPERCATEGORY)
    kinds = tuple(name for _, (sup, name) in ordered if sup == ANOMALY_SUPERCATEGORY)
    return classes, kinds, names


def _scans(folder: Path, coco: _Fields, names: dict[int, tuple[str, str]]) -> tuple[ScanEntry, ...]:
    by_image: dict[int, list[_Fields]] = {}
    for i, raw in enumerate(coco.get("annotations", list)):
        a = _Fields(raw, coco.path, f"annotations[{i}]")
        by_image.setdefault(a.get("image_id", int), []).append(a)
    scans = []
    for i, raw in enumerate(coco.get("images", list)):
        image = _Fields(raw, coco.path, f"images[{i}]")
        scans.append(_scan(folder, image, by_image.pop(image.get("id", int), []), names))
    if by_image:
        raise DatasetError(coco.path, f"annotations name images {sorted(by_image)} that are not listed")
    return tuple(sorted(scans, key=lambda s: s.id))


def _scan(folder: Path, image: _Fields, anns: list[_Fields], names: dict[int, tuple[str, str]]) -> ScanEntry:
    objects, anomalies, parents = [], [], {}
    for a in anns:
        category = a.get("category_id", int)
        if category not in names:
            raise DatasetError(a.path, f"{a.where}: category_id {category} is not in categories")
        supercategory, name = names[category]
        common = {
            "id": a.get("id", int),
            "index": a.get("mask_value", int),
            "bbox": a.box(),
            "area": a.get("area", int),
            **_segmentation(a),
        }
        if supercategory == OBJECT_SUPERCATEGORY:
            objects.append(ObjectEntry(category=name, has_anomaly=a.get("has_anomaly", bool), **common))
            parents[common["id"]] = common["index"]
        else:
            anomalies.append((a, name, common))
    found = []
    for a, kind, common in anomalies:
        parent = a.get("parent_id", int)
        if parent not in parents:
            raise DatasetError(a.path, f"{a.where}: parent_id {parent} is no object of its image")
        found.append(
            AnomalyEntry(
                object_index=parents[parent],
                kind=kind,
                description=a.get("description", str),
                subtlety=a.get("subtlety", float),
                concealment=a.get("concealment", str, DEFAULT_CONCEALMENT),
                visibility=_visibility(a),
                **common,
            )
        )
    file_name = image.get("file_name", str)

    def inside(key: str) -> Path:
        """The file ``key`` names, refused when it would lie outside the dataset folder."""
        relative = Path(image.get(key, str))
        if relative.is_absolute() or ".." in relative.parts:
            raise DatasetError(image.path, f"{image.where}.{key} {str(relative)!r} leaves the dataset folder")
        return folder / relative

    return ScanEntry(
        id=image.get("id", int),
        name=Path(file_name).stem,
        image=inside("file_name"),
        raw_high=inside("raw_high"),
        raw_low=inside("raw_low"),
        objects_mask=inside("objects_mask"),
        anomalies_mask=inside("anomalies_mask"),
        width=image.get("width", int),
        height=image.get("height", int),
        bag_kind=image.get("bag_kind", str),
        objects=tuple(sorted(objects, key=lambda o: o.index)),
        anomalies=tuple(sorted(found, key=lambda x: x.index)),
    )


def _segmentation(a: _Fields) -> dict[str, Any]:
    seg = _Fields(a.get("segmentation", dict), a.path, f"{a.where}.segmentation")
    size = seg.get("size", list)
    if len(size) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in size):
        raise DatasetError(a.path, f"{a.where}.segmentation: size {size!r} is not [h, w]")
    return {"rle_size": (size[0], size[1]), "rle_counts": seg.get("counts", str)}


def _visibility(a: _Fields) -> Visibility | None:
    record = a.get("visibility", dict, None)
    if record is None:
        return None
    fields = _Fields(record, a.path, f"{a.where}.visibility")
    values = {key: fields.get(key, float) for key in _VISIBILITY_KEYS}
    return Visibility(**values, pixels=fields.get("pixels", int, 0))
