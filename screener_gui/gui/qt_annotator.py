"""The annotator's actions of the main window: undo / redo, saving, recovery offers, export.

A mixin of :class:`~screener_gui.gui.qt_main.MainWindow`, kept apart so the window stays short.
It uses the window's ``review``, ``annotations``, ``problems``, ``exporter``, ``recovery_box``,
``labels_changed`` signal and ``_draw_labels``. Saving never loses an edit: what cannot be
written (a full disk) stays in the session, unsaved, and is reported with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from screener_gui.core.annotation import AnnotationSession
from screener_gui.core.review import Entry
from screener_gui.gui.error_log import plain_reason
from screener_gui.gui.qt_recovery import RecoveryBox


class AnnotatorActions:
    """Undo / redo, save, the recovery question and the export, for the main window."""

    _journal_problem: str | None = None  # the last recovery-copy problem reported

    def undo(self) -> None:
        self._edit(lambda session: session.undo())

    def redo(self) -> None:
        self._edit(lambda session: session.redo())

    def _edit(self, change: Callable[[AnnotationSession], int | None]) -> None:
        entry = self.review.current
        session = self.annotations.session(entry) if entry is not None else None
        if session is not None and change(session) is not None:
            self._labels_edited(session)

    def _labels_edited(self, session: AnnotationSession) -> None:
        self._draw_labels()
        self.labels_changed.emit()
        problem = session.journal_problem
        if problem and problem != self._journal_problem:  # said once, not at every click
            self.problems.report("labels", f"{problem}; the edits are kept in memory, save them soon")
        self._journal_problem = problem

    def _tell_about_labels(self, entry: Entry) -> None:
        """Say why a bag's saved labels were not used, and offer back unsaved edits found on disk."""
        notice = self.annotations.take_notice(entry)
        if notice is None:
            return
        if notice.problem:
            self.problems.report(entry.source, notice.problem)
        if notice.journal is not None:
            box = RecoveryBox(notice, self)
            box.finished.connect(lambda _result: self._recovery_answered(entry, box))
            self.recovery_box = box
            box.open()

    def _recovery_answered(self, entry: Entry, box: RecoveryBox) -> None:
        journal, answer = box.journal, box.answer()
        self.recovery_box = None
        if answer == "restore":
            self.annotations.restore(entry, journal)
            if self.review.current is entry:
                self._draw_labels()
            self.statusBar().showMessage(f"restored {journal.changed} unsaved label edits", 8000)
            self.labels_changed.emit()
        elif answer == "discard":
            try:
                self.annotations.discard(entry, journal)
            except OSError as exc:
                self.problems.report(str(journal.path), f"cannot be removed: {plain_reason(exc)}")

    def save_labels(self) -> Path | None:
        entry = self.review.current
        if entry is None:
            return None
        try:
            path = self.annotations.save(entry)
        except Exception as exc:  # a full disk, or a bug in the writer: reported, the edits stay
            self.problems.report(
                entry.source,
                f"labels NOT saved: {plain_reason(exc)}. The edits are kept; Ctrl+S tries again",
            )
            return None
        self.statusBar().showMessage(f"labels saved: {path}", 8000)
        return path

    def _save_unsaved_labels(self) -> None:
        written, problems = self.annotations.save_unsaved()
        for problem in problems:
            self.problems.report("labels", f"NOT saved: {problem}. The edits are kept; Ctrl+S tries again")
        if written and not problems:
            self.statusBar().showMessage(f"labels saved: {', '.join(str(p) for p in written)}", 8000)

    def export_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export training set to")
        if folder:
            self.export_labels(Path(folder))

    def export_labels(self, out_dir: Path) -> bool:
        """Export the saved labels to ``out_dir`` on a worker thread (progress, Cancel); False
        when there is nothing to export or an export is running. ``exporter.finished`` tells the end."""
        scans = self.annotations.saved_scans
        if not scans:
            self.statusBar().showMessage("no saved labels to export yet (Ctrl+S saves a bag's labels)", 10000)
            return False
        if not self.exporter.start(list(scans), out_dir):
            self.statusBar().showMessage("an export is already running", 8000)
            return False
        return True

    def _export_finished(self, ok: bool, message: str) -> None:
        if ok:
            self.statusBar().showMessage(message, 15000)
        else:
            self.problems.report("export", message)
