"""An annotator's editing session over one scan's region labels, with undo and redo, and the
recovery journal that keeps its unsaved edits on disk.

The GUI turns clicks into :meth:`AnnotationSession.flip` calls and redraws from
:attr:`AnnotationSession.labels`; saving is :func:`screener_gui.core.labels.save_labels` of
:meth:`AnnotationSession.to_labels` followed by :meth:`AnnotationSession.mark_saved`.

While a session given a ``journal`` path has unsaved edits, its labels are kept in that file
(``bag.png.edits.json`` beside ``bag.png``), rewritten atomically after every edit and removed
once the labels are saved (or edited back to the saved state). The journal holds everything the
labels need, the superpixel map included, so a crash, or a label save torn between its two files,
loses nothing: :func:`read_journal` gives the labels back to offer to the annotator.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import io
import json
import math
import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from screener_gui.core.atomic import write_text_atomic
from screener_gui.core.labels import LabelFileError, LabelledObject, RegionLabels
from screener_gui.core.png import encode_png

JOURNAL_SUFFIX = ".edits.json"
JOURNAL_FORMAT = "xray-screener unsaved label edits"
JOURNAL_VERSION = 1

ANOMALY, BENIGN = 1, 0


@dataclasses.dataclass(frozen=True)
class _Edit:
    region_id: int
    before: int
    after: int


class AnnotationSession:
    """The annotator's labels of one scan's superpixels, being edited.

    Args:
        labels: The labels to start from (as loaded, or fresh from the model): the session
            counts as saved in this state.
        journal: Where to keep the unsaved edits (see :func:`journal_path`); None keeps none.

    Attributes:
        journal_problem: Why the journal could not be written after the last edit, else None
            (an edit never fails for it: the labels stay in memory).
    """

    def __init__(self, labels: RegionLabels, *, journal: Path | None = None) -> None:
        self._base = labels
        self._labels = np.array(labels.labels, np.int8)
        self._saved = self._labels.copy()
        self._undo: list[_Edit] = []
        self._redo: list[_Edit] = []
        self.journal = journal
        self.journal_problem: str | None = None
        self._map_png: bytes | None = None  # the superpixel map, encoded once for the journal

    @property
    def count(self) -> int:
        """Number of superpixels n (ids 1..n)."""
        return self._base.count

    @property
    def labels(self) -> np.ndarray:
        """The current labels, int8 (n,), 1 anomaly / 0 benign; superpixel ``l`` at ``l - 1`` (a copy)."""
        return self._labels.copy()

    @property
    def superpixels(self) -> np.ndarray:
        """The superpixel map the labels belong to, int32 (H, W) (read-only)."""
        return self._base.superpixels

    @property
    def model_labels(self) -> np.ndarray:
        """The model's labels, int8 (n,) (read-only)."""
        return self._base.model_labels

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def dirty(self) -> bool:
        """True when the labels differ from the last saved (or loaded) state."""
        return not np.array_equal(self._labels, self._saved)

    def label(self, region_id: int) -> int:
        """The current label of superpixel ``region_id`` (1 anomaly, 0 benign).

        Raises:
            ValueError: ``region_id`` is not in 1..n.
        """
        return int(self._labels[self._index(region_id)])

    def flip(self, region_id: int) -> int:
        """Toggle superpixel ``region_id`` between anomaly and benign; returns its new label.

        Raises:
            ValueError: ``region_id`` is not in 1..n.
        """
        new = BENIGN if self.label(region_id) == ANOMALY else ANOMALY
        self.set_label(region_id, new)
        return new

    def set_label(self, region_id: int, value: int) -> bool:
        """Set superpixel ``region_id``'s label; returns False (and records nothing) when unchanged.

        A change is an undoable edit and clears the redo history.

        Raises:
            ValueError: ``region_id`` is not in 1..n, or ``value`` is not 0 or 1.
        """
        index = self._index(region_id)
        if value not in (BENIGN, ANOMALY) or isinstance(value, bool):
            raise ValueError(f"a label is 0 (benign) or 1 (anomaly), not {value!r}")
        before = int(self._labels[index])
        if before == value:
            return False
        self._labels[index] = value
        self._undo.append(_Edit(int(region_id), before, int(value)))
        self._redo.clear()
        self._keep_journal()
        return True

    def undo(self) -> int | None:
        """Take back the last edit; returns the superpixel id it changed, or None with nothing to undo."""
        if not self._undo:
            return None
        edit = self._undo.pop()
        self._labels[edit.region_id - 1] = edit.before
        self._redo.append(edit)
        self._keep_journal()
        return edit.region_id

    def redo(self) -> int | None:
        """Apply the last undone edit again; returns its superpixel id, or None with nothing to redo."""
        if not self._redo:
            return None
        edit = self._redo.pop()
        self._labels[edit.region_id - 1] = edit.after
        self._undo.append(edit)
        self._keep_journal()
        return edit.region_id

    def mark_saved(self) -> None:
        """Record the current labels as saved: :attr:`dirty` is False until they change again, and
        the journal is removed."""
        self._saved = self._labels.copy()
        self._keep_journal()

    def changed_ids(self) -> np.ndarray:
        """Ids (int32, ascending) of the superpixels whose label differs from the model's."""
        return (np.flatnonzero(self._labels != self._base.model_labels) + 1).astype(np.int32)

    def region_at(self, y: float, x: float) -> int:
        """The superpixel id under pixel (row ``y``, column ``x``); 0 in no superpixel or off the scan.

        Fractional positions (a mouse in scene coordinates) fall in the pixel that holds them.
        """
        y, x = math.floor(y), math.floor(x)
        height, width = self._base.shape
        if not (0 <= y < height and 0 <= x < width):
            return 0
        return int(self._base.superpixels[y, x])

    def to_labels(self) -> RegionLabels:
        """The current state as :class:`RegionLabels` (for saving or export)."""
        return dataclasses.replace(self._base, labels=self._labels.copy())

    def _keep_journal(self) -> None:
        """Write the journal while there are unsaved edits, remove it when there are none."""
        if self.journal is None:
            return
        try:
            if self.dirty:
                if self._map_png is None:
                    self._map_png = _encode_map(self._base.superpixels)
                write_journal(self.journal, self.to_labels(), self._map_png)
            else:
                self.journal.unlink(missing_ok=True)
        except (OSError, ValueError) as exc:
            self.journal_problem = f"the recovery copy {self.journal} cannot be written ({_reason(exc)})"
        else:
            self.journal_problem = None

    def _index(self, region_id: int) -> int:
        if isinstance(region_id, bool) or not isinstance(region_id, int | np.integer):
            raise ValueError(f"a superpixel id is an integer, not {region_id!r}")
        if not 1 <= region_id <= self.count:
            raise ValueError(f"no superpixel {region_id}: ids run from 1 to {self.count}")
        return int(region_id) - 1


@dataclasses.dataclass(frozen=True)
class Journal:
    """Unsaved label edits found on disk.

    Attributes:
        path: The journal file.
        labels: The labels as the annotator left them, with their own superpixel map.
        written: When the journal was last written, ISO 8601 UTC.
    """

    path: Path
    labels: RegionLabels
    written: str

    @property
    def changed(self) -> int:
        """Regions whose label differs from the model's."""
        return int((self.labels.labels != self.labels.model_labels).sum())


def journal_path(scan_path: str | os.PathLike[str]) -> Path:
    """The journal of a scan's unsaved label edits: ``bag.png`` → ``bag.png.edits.json``."""
    scan_path = Path(scan_path)
    return scan_path.with_name(scan_path.name + JOURNAL_SUFFIX)


def write_journal(path: Path, labels: RegionLabels, map_png: bytes | None = None) -> None:
    """Write ``labels`` as a journal at ``path``, atomically (one file: it cannot be torn).

    Args:
        path: The journal file (see :func:`journal_path`).
        labels: The labels to keep.
        map_png: ``labels.superpixels`` already encoded as a 16-bit PNG (encoded here when None).

    Raises:
        OSError: The file cannot be written (an older journal is then untouched).
        ValueError: More superpixels than a 16-bit PNG can number.
    """
    png = map_png if map_png is not None else _encode_map(labels.superpixels)
    document = {
        "format": JOURNAL_FORMAT,
        "format_version": JOURNAL_VERSION,
        "scan": labels.scan_name,
        "scan_sha256": labels.scan_sha256,
        "threshold": float(labels.threshold),
        "objects": [
            {"index": o.index, "category": o.category, "box_xyxy": list(o.box_xyxy)} for o in labels.objects
        ],
        "object_of": labels.object_of.tolist(),
        "model_scores": labels.model_scores.tolist(),
        "model_labels": labels.model_labels.tolist(),
        "labels": labels.labels.tolist(),
        "superpixels_png": base64.b64encode(png).decode("ascii"),
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_text_atomic(path, json.dumps(document) + "\n")


def read_journal(path: str | os.PathLike[str]) -> Journal:
    """Read a journal written by :func:`write_journal`.

    Raises:
        LabelFileError: The file is missing, unreadable, of another format or version, or its
            contents do not make consistent labels (the message says which).
    """
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LabelFileError(path, f"it is not a readable journal ({_reason(exc)})") from exc
    if not isinstance(document, dict) or document.get("format") != JOURNAL_FORMAT:
        raise LabelFileError(path, f"it is not an {JOURNAL_FORMAT!r} file")
    if document.get("format_version") != JOURNAL_VERSION:
        version = document.get("format_version")
        raise LabelFileError(path, f"journal version {version!r} is not supported (only {JOURNAL_VERSION})")
    try:
        png = base64.b64decode(document["superpixels_png"], validate=True)
        with Image.open(io.BytesIO(png)) as image:
            superpixels = np.asarray(image)
        objects = tuple(
            LabelledObject(int(o["index"]), str(o["category"]), tuple(int(v) for v in o["box_xyxy"]))
            for o in document["objects"]
        )
        labels = RegionLabels(
            scan_name=str(document["scan"]),
            scan_sha256=document["scan_sha256"],
            superpixels=superpixels,
            object_of=document["object_of"],
            model_scores=document["model_scores"],
            model_labels=document["model_labels"],
            labels=document["labels"],
            threshold=float(document["threshold"]),
            objects=objects,
        )
        written = str(document["written"])
    except KeyError as exc:
        raise LabelFileError(path, f"it is malformed (missing field {exc})") from exc
    except (TypeError, ValueError, binascii.Error, OSError, UnidentifiedImageError) as exc:
        raise LabelFileError(path, f"it is malformed ({exc})") from exc
    return Journal(path, labels, written)


def _encode_map(superpixels: np.ndarray) -> bytes:
    if superpixels.size and int(superpixels.max()) > 65535:
        raise ValueError("more superpixels than a 16-bit map can number")
    return encode_png(superpixels.astype(np.uint16), compress_level=6)


def _reason(exc: BaseException) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
