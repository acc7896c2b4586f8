"""An annotator's editing session over one scan's region labels, with undo and redo.

The GUI turns clicks into :meth:`AnnotationSession.flip` calls and redraws from
:attr:`AnnotationSession.labels`; saving is :func:`screener_gui.core.labels.save_labels` of
:meth:`AnnotationSession.to_labels` followed by :meth:`AnnotationSession.mark_saved`.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from screener_gui.core.labels import RegionLabels

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
    """

    def __init__(self, labels: RegionLabels) -> None:
        self._base = labels
        self._labels = np.array(labels.labels, np.int8)
        self._saved = self._labels.copy()
        self._undo: list[_Edit] = []
        self._redo: list[_Edit] = []

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
        return True

    def undo(self) -> int | None:
        """Take back the last edit; returns the superpixel id it changed, or None with nothing to undo."""
        if not self._undo:
            return None
        edit = self._undo.pop()
        self._labels[edit.region_id - 1] = edit.before
        self._redo.append(edit)
        return edit.region_id

    def redo(self) -> int | None:
        """Apply the last undone edit again; returns its superpixel id, or None with nothing to redo."""
        if not self._redo:
            return None
        edit = self._redo.pop()
        self._labels[edit.region_id - 1] = edit.after
        self._undo.append(edit)
        return edit.region_id

    def mark_saved(self) -> None:
        """Record the current labels as saved: :attr:`dirty` is False until they change again."""
        self._saved = self._labels.copy()

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

    def _index(self, region_id: int) -> int:
        if isinstance(region_id, bool) or not isinstance(region_id, int | np.integer):
            raise ValueError(f"a superpixel id is an integer, not {region_id!r}")
        if not 1 <= region_id <= self.count:
            raise ValueError(f"no superpixel {region_id}: ids run from 1 to {self.count}")
        return int(region_id) - 1
