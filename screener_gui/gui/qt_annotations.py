"""The annotator's side of the window: one label session per bag, saving, reloading, recovery.

Labels are saved next to the scan file in the documented format (docs/label_format.md). A bag
with no file of its own (the simulated scanner) is first written as a PNG into the annotation
folder, so its labels always have their scan beside them for export and retraining.

While a bag with a scan file has unsaved edits they are also kept in a journal beside it
(``bag.png.edits.json``, see :mod:`screener_gui.core.annotation`). When a bag is opened whose
saved labels cannot be used, or whose journal survived a crash, the window is told
(:meth:`Annotations.take_notice`) instead of silently starting from the model's labels, and a
journal can be restored (:meth:`Annotations.restore`) or discarded.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from screener_gui.core.annotation import AnnotationSession, Journal, journal_path, read_journal
from screener_gui.core.io import save_png_atomic
from screener_gui.core.labels import (
    RegionLabels,
    file_sha256,
    labels_from_result,
    labels_path,
    load_labels,
    save_labels,
)
from screener_gui.core.review import Entry
from screener_gui.gui.error_log import plain_reason


@dataclasses.dataclass(frozen=True)
class Notice:
    """What the window must tell the annotator about a bag's labels as its session starts.

    Attributes:
        source: The bag.
        problem: Why saved labels or a journal could not be used, else None.
        journal: Unsaved edits found on disk that can be restored, else None.
    """

    source: str
    problem: str | None
    journal: Journal | None


class Annotations:
    """Label sessions of the bags in the review queue, keyed by entry identity."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.saved_scans: list[Path] = []
        self._sessions: dict[int, tuple[Entry, AnnotationSession, Path | None]] = {}
        self._notices: dict[int, Notice] = {}

    def session(self, entry: Entry) -> AnnotationSession | None:
        """The entry's session, started from its saved label file when there is one, else from
        the model's labels; None when the result has no superpixels (object strategy).

        A saved file that cannot be used, or a journal of unsaved edits, leaves a
        :class:`Notice` for :meth:`take_notice`. While a journal waits for the annotator's
        answer the session keeps none of its own, so the journal is not overwritten.
        """
        key = id(entry)
        if key in self._sessions and self._sessions[key][0] is entry:
            return self._sessions[key][1]
        if entry.result.superpixels is None:
            return None
        scan_path = _scan_file(entry.source)
        saved, problems, journal = None, [], None
        if scan_path is not None:
            if labels_path(scan_path).exists():
                try:
                    saved = load_labels(scan_path)
                except (OSError, ValueError) as exc:  # LabelFileError, and whatever a loader raises
                    problems.append(f"its saved labels could not be used: {exc}")
            journal, problem = _journal_of(scan_path)
            if problem:
                problems.append(problem)
        if saved is None:
            name = scan_path.name if scan_path else _safe_name(entry.scan.source or entry.source) + ".png"
            sha = file_sha256(scan_path) if scan_path else None
            saved = labels_from_result(entry.result, name, sha)
            if problems:
                problems.append("it starts from the model's labels; saving (Ctrl+S) replaces the file")
        keep = journal_path(scan_path) if scan_path is not None and journal is None else None
        session = AnnotationSession(saved, journal=keep)
        self._sessions[key] = (entry, session, scan_path)
        if problems or journal is not None:
            self._notices[key] = Notice(entry.source, "; ".join(problems) or None, journal)
        return session

    def take_notice(self, entry: Entry) -> Notice | None:
        """What to tell the annotator about ``entry``'s labels, once (None: nothing)."""
        return self._notices.pop(id(entry), None)

    def restore(self, entry: Entry, journal: Journal) -> AnnotationSession:
        """Replace the entry's session by the journal's labels: each recovered change is an
        edit (undo takes it back) and unsaved, so it is saved like any other edit."""
        _, _, scan_path = self._sessions[id(entry)]
        labels = journal.labels
        session = AnnotationSession(dataclasses.replace(labels, labels=labels.model_labels))
        for region in (labels.labels != labels.model_labels).nonzero()[0]:
            session.set_label(int(region) + 1, int(labels.labels[region]))
        session.journal = journal.path  # the file on disk holds these very labels
        if not session.dirty:
            journal.path.unlink(missing_ok=True)
        self._sessions[id(entry)] = (entry, session, scan_path)
        return session

    def discard(self, entry: Entry, journal: Journal) -> None:
        """Drop a journal the annotator does not want; the session keeps its own from now on.

        Raises:
            OSError: The journal cannot be removed.
        """
        journal.path.unlink(missing_ok=True)
        _, session, _ = self._sessions[id(entry)]
        session.journal = journal.path

    def save(self, entry: Entry) -> Path:
        """Save the entry's labels; returns the label file.

        Raises:
            OSError: The files cannot be written (nothing half-written is left; the edits stay
                in the session, unsaved).
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
                except Exception as exc:  # one bag's failure (even a bug) must not stop the others
                    problems.append(f"{entry.source}: {plain_reason(exc)}")
        return written, problems

    def forget_missing(self, entries: list[Entry]) -> None:
        """Drop sessions of bags that left the review queue (their edits saved first)."""
        alive = {id(e) for e in entries}
        for key in [k for k in self._sessions if k not in alive]:
            entry, session, _ = self._sessions[key]
            if session.dirty:
                try:
                    self.save(entry)
                except Exception:
                    continue  # kept, so the next save_unsaved tries again and reports it
            del self._sessions[key]
            self._notices.pop(key, None)


def _journal_of(scan_path: Path) -> tuple[Journal | None, str | None]:
    """The scan's journal of unsaved edits if it has a usable one, else why not (None: none)."""
    path = journal_path(scan_path)
    if not path.exists():
        return None, None
    try:
        journal = read_journal(path)
    except (OSError, ValueError) as exc:
        return None, f"its recovery copy could not be used: {exc}"
    recorded, actual = journal.labels.scan_sha256, file_sha256(scan_path)
    if recorded is not None and actual is not None and recorded != actual:
        return None, f"its recovery copy {path.name} is of an earlier version of the scan (not used)"
    return journal, None


def _scan_file(source: str) -> Path | None:
    path = Path(source) if source else None
    return path if path is not None and path.is_file() else None


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "scan"


def _with_sha(labels: RegionLabels, sha: str | None) -> RegionLabels:
    return dataclasses.replace(labels, scan_sha256=sha)
