"""Problems the operator has to see: error rows under the queue, the error log, where the logs are.

Every problem (a scan that could not be screened, a file the watched folder skips, a folder that
vanished, models that would not load, work that could not be saved) goes through
:meth:`Problems.report`: it becomes a row under the queue (whole text in its tooltip), a line in
the error log next to the decision log, and a status-bar message. The status bar always shows
where both logs are; File ▸ Log files… shows the full paths and opens their folder.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox

from screener_gui.gui.error_log import ErrorLog, plain_reason

MAX_ROWS = 20  # error rows kept under the queue (the log keeps them all)
MAX_MESSAGES = 200  # problems kept in memory for the session (the log keeps them all)


class Problems(QObject):
    """Error rows, the error log and the logs' location for ``window``.

    Signals: ``changed()`` after a problem is added (the queue list redraws its error rows).

    Attributes:
        messages: "source: message" of the latest problems, oldest first.
        rows: (row text, tooltip) of the error rows shown under the queue, oldest first.
    """

    changed = Signal()

    def __init__(self, window: QMainWindow, decision_log: Path, error_log: Path) -> None:
        super().__init__(window)
        self.window = window
        self.decision_log = decision_log
        self.log = ErrorLog(error_log)
        self.messages: list[str] = []
        self.rows: deque[tuple[str, str]] = deque(maxlen=MAX_ROWS)
        self.box: QMessageBox | None = None
        self.label = QLabel(f'<a href="#">logs: {decision_log.parent}</a>')
        self.label.setToolTip(self.locations())
        self.label.linkActivated.connect(lambda _link: self.show_locations())
        window.statusBar().addPermanentWidget(self.label)

    def locations(self) -> str:
        """Where both logs are, in words."""
        return (
            f"Decisions are logged to:\n{self.decision_log}\n\nErrors are logged to:\n{self.log.path}\n\n"
            "(File ▸ Log files… or Ctrl+L shows this again)"
        )

    def report(self, source: str, message: str) -> None:
        """Show a problem of ``source`` (a path or a name) and log it; never raises."""
        name = Path(source).name if "/" in source else source
        self.messages = [*self.messages[-(MAX_MESSAGES - 1) :], f"{source}: {message}"]
        self.rows.append((f"✗ {name}: {message}", f"{source}\n{message}\n(logged to {self.log.path})"))
        status = f"{name}: {message}"
        try:
            self.log.append(f"{source}: {message}")
        except OSError as exc:
            status += f"   [the error log {self.log.path} cannot be written: {plain_reason(exc)}]"
        self.window.statusBar().showMessage(status, 30000)
        self.changed.emit()

    def show_locations(self) -> None:
        """A non-blocking box with the full paths of both logs and a button to open their folder."""
        box = QMessageBox(QMessageBox.Icon.Information, "Log files", self.locations(), parent=self.window)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        open_folder = box.addButton("Open folder", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Close)
        open_folder.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.decision_log.parent)))
        )
        self.box = box
        box.open()
