"""Offering an annotator's unsaved label edits back after a crash (or a torn save).

A non-blocking question over the window: restore the edits found on disk, discard them, or decide
later (Escape; the edits stay on disk and are offered again next time the bag is opened).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from screener_gui.gui.qt_annotations import Notice


class RecoveryBox(QMessageBox):
    """ "Unsaved label edits found" with its three answers as buttons (tests click them)."""

    def __init__(self, notice: Notice, parent: QWidget | None = None) -> None:
        super().__init__(QMessageBox.Icon.Question, "Unsaved label edits found", "", parent=parent)
        journal = notice.journal
        if journal is None:
            raise ValueError("a recovery question needs unsaved edits to offer")
        self.journal = journal
        name = Path(notice.source).name
        text = (
            f"{name} has label edits that were never saved (kept in {journal.path.name}, last "
            f"written {journal.written}; {journal.changed} regions labelled differently from the model).\n\n"
            "Restore them? Restored edits can be undone (Ctrl+Z) and are saved like any other."
        )
        if notice.problem:
            text += f"\n\nNote: {notice.problem}."
        self.setText(text)
        self.restore_button = self.addButton("Restore the edits", QMessageBox.ButtonRole.AcceptRole)
        self.discard_button = self.addButton("Discard them", QMessageBox.ButtonRole.DestructiveRole)
        self.later_button = self.addButton("Decide later", QMessageBox.ButtonRole.RejectRole)
        self.setDefaultButton(self.restore_button)
        self.setEscapeButton(self.later_button)

    def answer(self) -> str:
        """ "restore", "discard" or "later" (closed without a choice)."""
        clicked = self.clickedButton()
        if clicked == self.restore_button:
            return "restore"
        if clicked == self.discard_button:
            return "discard"
        return "later"
