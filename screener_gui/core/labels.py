"""Annotator region labels, stored next to the scan (format: ``docs/label_format.md``).

For a scan ``bag.png`` the labels are two files in the same folder:

* ``bag.png.<12 hex digits>.superpixels.png``: the superpixel label map, a 16-bit greyscale PNG
  (0 = in no superpixel, superpixels 1..n), named by the start of its SHA-256;
* ``bag.png.labels.json``: the objects, each superpixel's model score and label, and the
  annotator's label, plus the SHA-256 of the scan and of the PNG, so labels can never be applied
  to a different scan or a different segmentation by mistake.

Both are written atomically, the PNG first. A changed map gets a new name, so a crash between
the two leaves the previous JSON with the previous map: the labels saved before stay whole. The
JSON names its map, and maps of earlier saves are removed once the JSON is in place.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import stat
import struct
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from screener_gui.core.atomic import write_bytes_atomic, write_text_atomic
from screener_gui.core.errors import display_path
from screener_gui.core.io import MAX_PIXELS
from screener_gui.core.png import encode_png
from screener_gui.core.scan_files import SUPERPIXELS_SUFFIX

if TYPE_CHECKING:
    from screener_gui.core.pipeline.screen import ScreeningResult

FORMAT = "xray-screener region labels"
FORMAT_VERSION = 1
LABELS_SUFFIX = ".labels.json"
_MAX_SUPERPIXELS = 65535  # what a 16-bit PNG can number
_MAP_TAG = 12  # hex digits of the map's SHA-256 in its file name
_MAX_OBJECTS = 65535  # object indices and counts; a bag holds a handful
_MAX_JSON_BYTES = 64 << 20  # 65535 regions take about 6 MB of JSON
_MAX_MAP_BYTES = 1 << 30  # the largest map (MAX_PIXELS 16-bit pixels) compresses far below this
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# What malformed content can raise while it is read into numbers and arrays; all mean "malformed".
_MALFORMED = (KeyError, TypeError, ValueError, OverflowError, IndexError)

Box = tuple[int, int, int, int]  # (x0, y0, x1, y1) in scan pixels, end exclusive


class LabelFileError(ValueError):
    """A label file cannot be used; the message names the file and says what is wrong."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"Cannot use label file {display_path(path)}: {reason}")


@dataclass(frozen=True)
class LabelledObject:
    """An electronics item whose superpixels are labelled.

    Attributes:
        index: 0-based position of the object in the screening result.
        category: Electronics class (laptop, phone, ...).
        box_xyxy: (x0, y0, x1, y1) in scan pixels, end exclusive.
    """

    index: int
    category: str
    box_xyxy: Box


@dataclass(frozen=True)
class RegionLabels:
    """The superpixels of one scan with the model's and the annotator's labels.

    Arrays are copied to their documented dtypes and made read-only on construction.

    Attributes:
        scan_name: File name of the scan (e.g. ``bag.png``).
        scan_sha256: Hex SHA-256 of the scan file's bytes, or None when the scan is no file.
        superpixels: int32 (H, W), 0 = in no superpixel, superpixels 1..n, each present.
        object_of: int32 (n + 1,), the object index of each superpixel; ``object_of[0] = -1``.
        model_scores: float32 (n,), the model's anomaly probability of superpixel ``l`` at ``l - 1``.
        model_labels: int8 (n,), 1 anomaly / 0 benign as the model decided at ``threshold``.
        labels: int8 (n,), 1 anomaly / 0 benign as the annotator decided (the model's if unchanged).
        threshold: The model's region threshold on ``model_scores``.
        objects: The objects the superpixels belong to.

    Raises:
        ValueError: The arrays disagree in size, a label is not 0 / 1, or the map holds ids
            outside 1..n or misses one.
    """

    scan_name: str
    scan_sha256: str | None
    superpixels: np.ndarray
    object_of: np.ndarray
    model_scores: np.ndarray
    model_labels: np.ndarray
    labels: np.ndarray
    threshold: float
    objects: tuple[LabelledObject, ...]

    def __post_init__(self) -> None:
        for name, dtype in (
            ("superpixels", np.int32),
            ("object_of", np.int32),
            ("model_scores", np.float32),
            ("model_labels", np.int8),
            ("labels", np.int8),
        ):
            array = np.array(getattr(self, name), dtype=dtype)  # a private copy
            array.flags.writeable = False
            object.__setattr__(self, name, array)
        _check_consistent(self)

    @property
    def count(self) -> int:
        """Number of superpixels n."""
        return len(self.object_of) - 1

    @property
    def shape(self) -> tuple[int, int]:
        """Scan size (height, width) in pixels."""
        return self.superpixels.shape[0], self.superpixels.shape[1]


def labels_path(scan_path: str | os.PathLike[str]) -> Path:
    """The label JSON of a scan: ``bag.png`` → ``bag.png.labels.json`` in the same folder."""
    scan_path = Path(scan_path)
    return scan_path.with_name(scan_path.name + LABELS_SUFFIX)


def superpixels_path(scan_path: str | os.PathLike[str], sha256: str | None = None) -> Path:
    """The superpixel map of a scan: ``bag.png`` → ``bag.png.superpixels.png``, or given the map's
    SHA-256 the name :func:`save_labels` writes, ``bag.png.<12 hex digits>.superpixels.png``."""
    scan_path = Path(scan_path)
    tag = f".{sha256[:_MAP_TAG]}" if sha256 else ""
    return scan_path.with_name(scan_path.name + tag + SUPERPIXELS_SUFFIX)


def _remove_other_maps(scan_path: Path, keep: Path) -> None:
    """Delete the scan's superpixel maps other than ``keep`` (those of earlier saves)."""
    own = re.compile(
        re.escape(scan_path.name) + rf"(\.[0-9a-f]{{{_MAP_TAG}}})?" + re.escape(SUPERPIXELS_SUFFIX)
    )
    with contextlib.suppress(OSError):
        for entry in os.scandir(scan_path.parent):
            if entry.name != keep.name and own.fullmatch(entry.name):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def is_label_file(path: str | os.PathLike[str]) -> bool:
    """True for the files of this format, which must not be taken for scans (the map is a PNG)."""
    name = Path(path).name.lower()
    return name.endswith(SUPERPIXELS_SUFFIX) or name.endswith(LABELS_SUFFIX)


def file_sha256(path: str | os.PathLike[str]) -> str | None:
    """Hex SHA-256 of a file's bytes, or None when ``path`` is not a file."""
    path = Path(path)
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def labels_from_result(result: ScreeningResult, scan_name: str, scan_sha256: str | None) -> RegionLabels:
    """Region labels of a screened scan, the annotator's labels starting as the model's.

    Raises:
        ValueError: The result was made with the object strategy (it has no superpixels).
    """
    sp = result.superpixels
    if result.regions.strategy != "subcomponent" or sp is None:
        raise ValueError(
            f"only sub-component results have superpixels to label; this one is {result.regions.strategy!r}"
        )
    objects = tuple(
        LabelledObject(int(o.index), str(o.category), tuple(int(v) for v in o.box)) for o in result.objects
    )
    return RegionLabels(
        scan_name=scan_name,
        scan_sha256=scan_sha256,
        superpixels=sp.labels,
        object_of=sp.object_of,
        model_scores=result.regions.scores,
        model_labels=result.regions.labels,
        labels=result.regions.labels,
        threshold=float(result.regions.threshold),
        objects=objects,
    )


def save_labels(scan_path: str | os.PathLike[str], labels: RegionLabels) -> Path:
    """Write a scan's label files next to it (the PNG, then the JSON, each atomically; then the
    maps of earlier saves are removed).

    Returns:
        The path of the JSON file.

    Raises:
        ValueError: More superpixels than a 16-bit PNG can number.
        OSError: The files cannot be written.
    """
    if labels.count > _MAX_SUPERPIXELS:
        raise ValueError(f"{labels.count} superpixels do not fit a 16-bit label map")
    png = encode_png(labels.superpixels.astype(np.uint16), compress_level=6)
    digest = hashlib.sha256(png).hexdigest()
    # A new map gets a new name, so until the JSON is replaced the old JSON and its map still
    # agree: a save killed half-way leaves the previous labels whole, never a torn pair.
    png_path, json_path = superpixels_path(scan_path, digest), labels_path(scan_path)
    height, width = labels.shape
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "scan": labels.scan_name,
        "scan_sha256": labels.scan_sha256,
        "height": height,
        "width": width,
        "superpixels_png": png_path.name,
        "superpixels_sha256": digest,
        "threshold": float(labels.threshold),
        "objects": [
            {"index": o.index, "category": o.category, "box_xyxy": list(o.box_xyxy)} for o in labels.objects
        ],
        "regions": [
            {
                "id": region_id,
                "object": int(labels.object_of[region_id]),
                "model_score": float(labels.model_scores[region_id - 1]),
                "model_label": int(labels.model_labels[region_id - 1]),
                "label": int(labels.labels[region_id - 1]),
            }
            for region_id in range(1, labels.count + 1)
        ],
        "saved": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_bytes_atomic(png_path, png)
    write_text_atomic(json_path, json.dumps(document, indent=1) + "\n")
    _remove_other_maps(Path(scan_path), png_path)
    return json_path


def load_labels(scan_path: str | os.PathLike[str]) -> RegionLabels:
    """Read a scan's label files and check them against each other and against the scan.

    Nothing in the files is trusted: sizes, ids, indices, scores and the map's header are checked
    before they are used, so a damaged or hostile file gives a :class:`LabelFileError`, never
    another exception, a hang (a FIFO) or a huge allocation.

    Raises:
        LabelFileError: The JSON is missing, not a regular file, too large or not valid JSON
            (``NaN`` / ``Infinity`` included, or nested too deeply), has another format or version,
            lacks a field or has one out of range; its PNG is missing, altered (SHA-256), not a
            16-bit grey PNG or of another size; its region ids are not 1..n; a label is not 0 / 1;
            or the scan file's SHA-256 differs from the recorded one (the labels belong to
            another scan).
    """
    json_path = labels_path(scan_path)
    text = _read_limited(json_path, json_path, "the file", _MAX_JSON_BYTES).decode("utf-8", "replace")
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise LabelFileError(json_path, "it is not readable JSON (it is nested too deeply)") from exc
    except ValueError as exc:  # JSONDecodeError, and the constants refused
        raise LabelFileError(json_path, f"it is not readable JSON ({exc})") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise LabelFileError(json_path, f"it is not an {FORMAT!r} file")
    if document.get("format_version") != FORMAT_VERSION:
        version = document.get("format_version")
        raise LabelFileError(
            json_path, f"format version {version!r} is not supported (only {FORMAT_VERSION})"
        )
    try:
        return _parse(Path(scan_path), json_path, document)
    except LabelFileError:
        raise
    except _MALFORMED as exc:
        detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        raise LabelFileError(json_path, f"it is malformed ({detail})") from exc


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _read_limited(json_path: Path, path: Path, what: str, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (checked before it is opened)."""
    try:
        info = path.stat()
    except FileNotFoundError as exc:
        reason = (
            "the file does not exist"
            if path == json_path
            else f"{what} {display_path(path.name)} cannot be read (it does not exist)"
        )
        raise LabelFileError(json_path, reason) from exc
    except (OSError, ValueError) as exc:
        raise LabelFileError(json_path, f"{what} {display_path(path.name)} cannot be read ({exc})") from exc
    if not stat.S_ISREG(info.st_mode):
        raise LabelFileError(json_path, f"{what} {display_path(path.name)} is not a regular file")
    if info.st_size > limit:
        raise LabelFileError(
            json_path,
            f"{what} {display_path(path.name)} is too large ({info.st_size:,} bytes; limit {limit:,})",
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise LabelFileError(json_path, f"{what} {display_path(path.name)} cannot be read ({exc})") from exc


def _int(value: object, name: str, low: int, high: int) -> int:
    """A whole number in [low, high] (JSON floats such as 3.0 accepted, bools not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} {value!r} is not a whole number")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"{name} {value!r} is not a whole number")
    if not low <= value <= high:
        raise ValueError(f"{name} {value!r} is outside {low}..{high}")
    return int(value)


def _unit(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} {value!r} is not a number in [0, 1]")
    return float(value)


def _parse(scan_path: Path, json_path: Path, doc: dict) -> RegionLabels:
    recorded = doc["scan_sha256"]
    if recorded is not None and not isinstance(recorded, str):
        raise LabelFileError(json_path, "its scan_sha256 is neither a hex string nor null")
    height, width = _int(doc["height"], "height", 1, MAX_PIXELS), _int(doc["width"], "width", 1, MAX_PIXELS)
    if height * width > MAX_PIXELS:
        raise LabelFileError(
            json_path, f"its map size {width}x{height} is too large (the limit is {MAX_PIXELS:,} pixels)"
        )
    regions = doc["regions"]
    if not isinstance(regions, list) or len(regions) > _MAX_SUPERPIXELS:
        raise LabelFileError(json_path, f"its regions are not a list of at most {_MAX_SUPERPIXELS}")
    objects_doc = doc["objects"]
    if not isinstance(objects_doc, list) or len(objects_doc) > _MAX_OBJECTS:
        raise LabelFileError(json_path, f"its objects are not a list of at most {_MAX_OBJECTS}")
    actual = file_sha256(scan_path)
    if recorded is not None and actual is not None and actual != recorded:
        raise LabelFileError(
            json_path, f"it does not match its scan: {display_path(scan_path.name)} has changed"
        )
    name = doc["superpixels_png"]
    if not isinstance(name, str):
        raise ValueError(f"superpixels_png {name!r} is not a file name")
    superpixels = _read_map(json_path, json_path.with_name(name), doc, (height, width))
    ids = [_int(r["id"], "region id", 1, _MAX_SUPERPIXELS) for r in regions]
    if ids != list(range(1, len(regions) + 1)):
        raise LabelFileError(json_path, f"its region ids are not 1..{len(regions)} in order")
    labels = [r["label"] for r in regions]
    model_labels = [r["model_label"] for r in regions]
    if any(type(v) is not int or v not in (0, 1) for v in labels + model_labels):
        raise LabelFileError(json_path, "a region label is not 0 (benign) or 1 (anomaly)")
    if superpixels.size and int(superpixels.max()) > len(regions):
        found = int(superpixels.max())
        raise LabelFileError(
            json_path, f"the map holds superpixel {found} but only {len(regions)} are listed"
        )
    objects = tuple(
        LabelledObject(
            _int(o["index"], "object index", 0, _MAX_OBJECTS - 1), str(o["category"]), _box(o["box_xyxy"])
        )
        for o in objects_doc
    )
    return RegionLabels(
        scan_name=str(doc["scan"]),
        scan_sha256=recorded,
        superpixels=superpixels,
        object_of=np.array(
            [-1, *(_int(r["object"], "region object", 0, _MAX_OBJECTS - 1) for r in regions)], np.int32
        ),
        model_scores=np.array([_unit(r["model_score"], "model_score") for r in regions], np.float32),
        model_labels=model_labels,
        labels=labels,
        threshold=_unit(doc["threshold"], "threshold"),
        objects=objects,
    )


def _box(values: object) -> Box:
    if not isinstance(values, list):
        raise ValueError(f"box_xyxy {values!r} is not a list of 4 numbers")
    box = tuple(_int(v, "box_xyxy value", 0, MAX_PIXELS) for v in values)
    if len(box) != 4:
        raise ValueError(f"box_xyxy needs 4 numbers, got {len(box)}")
    return box


def _read_map(json_path: Path, png_path: Path, doc: dict, expected: tuple[int, int]) -> np.ndarray:
    """The superpixel PNG named by the JSON, checked by hash, header and size, as int32 (H, W)."""
    data = _read_limited(json_path, png_path, "its superpixel map", _MAX_MAP_BYTES)
    if hashlib.sha256(data).hexdigest() != doc["superpixels_sha256"]:
        raise LabelFileError(
            json_path, f"its superpixel map {display_path(png_path.name)} has changed (SHA-256 differs)"
        )
    # The header is read before anything is decoded: the map must be the size the JSON says.
    if len(data) < 33 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise LabelFileError(json_path, f"its superpixel map {display_path(png_path.name)} is not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    if (height, width) != expected:
        raise LabelFileError(
            json_path,
            f"its superpixel map is {(height, width)}, the labels are for {expected} (height, width)",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is checked above
            with Image.open(io.BytesIO(data)) as image:
                if image.mode not in ("I;16", "I;16B", "L", "I"):
                    raise LabelFileError(
                        json_path, f"its superpixel map is a {image.mode} image, not 16-bit grey"
                    )
                values = np.asarray(image)
    except LabelFileError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, MemoryError) as exc:
        raise LabelFileError(
            json_path, f"its superpixel map {display_path(png_path.name)} is not a readable PNG ({exc})"
        ) from exc
    if values.ndim != 2 or values.shape != expected:
        raise LabelFileError(
            json_path, f"its superpixel map is {values.shape}, the labels are for {expected} (height, width)"
        )
    return values.astype(np.int32)


def _check_consistent(labels: RegionLabels) -> None:
    n = labels.count
    if labels.superpixels.ndim != 2:
        raise ValueError(f"superpixels must be (H, W), got shape {labels.superpixels.shape}")
    if labels.object_of.ndim != 1 or n < 0 or labels.object_of[0] != -1:
        raise ValueError("object_of must be (n + 1,) with object_of[0] = -1")
    for name in ("model_scores", "model_labels", "labels"):
        if getattr(labels, name).shape != (n,):
            raise ValueError(f"{name} has shape {getattr(labels, name).shape}, expected ({n},)")
    for name in ("model_labels", "labels"):
        if not np.isin(getattr(labels, name), (0, 1)).all():
            raise ValueError(f"{name} must be 0 (benign) or 1 (anomaly)")
    ids = labels.superpixels.ravel()
    if ids.size and (int(ids.min()) < 0 or int(ids.max()) > n):
        raise ValueError(f"superpixel ids must lie in 0..{n}")
    missing = np.flatnonzero(np.bincount(ids, minlength=n + 1)[1:] == 0)
    if missing.size:
        raise ValueError(f"superpixel {int(missing[0]) + 1} of 1..{n} is not in the map")
    known = {o.index for o in labels.objects}
    strays = set(labels.object_of[1:].tolist()) - known
    if strays:
        raise ValueError(f"superpixels belong to objects {sorted(strays)} that are not listed")
