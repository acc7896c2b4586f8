"""The annotator's side of the window: one label session per bag, saving, reloading, export.

Labels are saved next to the scan file in the documented format (docs/label_format.md). A bag
with no file of its own (the simulated scanner) is first written as a PNG into the annotation
folder, so its labels always have their scan beside them for export and retraining.
"""

from __future__ import annotations

import re
from pathlib import Path

from screener_gui.core.annotation import AnnotationSession
from screener_gui.core.io import save_png_atomic
from screener_gui.core.labels import (
    LabelFileError,
    file_sha256,
    labels_from_result,
    labels_path,
    load_labels,
    save_labels,
)
from screener_gui.core.review import Entry


class Annotations:
    """Label sessions of the bags in the review queue, keyed by entry identity."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.saved_scans: list[Path] = []
        self._sessions: dict[int, tuple[Entry, AnnotationSession, Path | None]] = {}

    def session(self, entry: Entry) -> AnnotationSession | None:
        """The entry's session, started from its saved label file when there is one, else from
        the model's labels; None when the result has no superpixels (object strategy)."""
        key = id(entry)
        if key in self._sessions and self._sessions[key][0] is entry:
            return self._sessions[key][1]
        if entry.result.superpixels is None:
            return None
        scan_path = _scan_file(entry.source)
        session = None
        if scan_path is not None and labels_path(scan_path).exists():
            try:
                session = AnnotationSession(load_labels(scan_path))
            except LabelFileError:
                session = None  # a stale or broken file: start from the model, saving replaces it
        if session is None:
            name = scan_path.name if scan_path else _safe_name(entry.scan.source or entry.source) + ".png"
            sha = file_sha256(scan_path) if scan_path else None
            session = AnnotationSession(labels_from_result(entry.result, name, sha))
        self._sessions[key] = (entry, session, scan_path)
        return session

    def save(self, entry: Entry) -> Path:
        """Save the entry's labels; returns the label file.

        Raises:
            OSError: The files cannot be written (nothing half-written is left).
            ValueError: The bag has no session (nothing to save).
        """
        session = self.session(entry)
        if session is None:
            raise ValueError("this result has no sub-components to label")
        _, _, scan_path = self._sessions[id(entry)]
        labels = session.to_labels()
        if scan_path is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            scan_path = self.folder / labels.scan_name
            save_png_atomic(scan_path, entry.scan.rgb)
            labels = _with_sha(labels, file_sha256(scan_path))
            self._sessions[id(entry)] = (entry, session, scan_path)
        written = save_labels(scan_path, labels)
        session.mark_saved()
        if scan_path not in self.saved_scans:
            self.saved_scans.append(scan_path)
        return written

    def save_unsaved(self) -> tuple[list[Path], list[str]]:
        """Save every session with edits not yet on disk (leaving a bag, closing): an
        annotator's work is never lost. Returns the label files written and the problems."""
        written, problems = [], []
        for entry, session, _ in list(self._sessions.values()):
            if session.dirty:
                try:
                    written.append(self.save(entry))
                except (OSError, ValueError) as exc:
                    problems.append(f"{entry.source}: {exc}")
        return written, problems

    def forget_missing(self, entries: list[Entry]) -> None:
        """Drop sessions of bags that left the review queue (their edits saved first)."""
        alive = {id(e) for e in entries}
        for key in [k for k in self._sessions if k not in alive]:
            entry, session, _ = self._sessions[key]
            if session.dirty:
                try:
                    self.save(entry)
                except (OSError, ValueError):
                    continue  # kept, so the next save_unsaved tries again and reports it
            del self._sessions[key]


def _scan_file(source: str) -> Path | None:
    path = Path(source) if source else None
    return path if path is not None and path.is_file() else None


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "scan"


def _with_sha(labels, sha: str | None):
    from dataclasses import replace

    return replace(labels, scan_sha256=sha)
