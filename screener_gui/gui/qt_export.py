"""Exporting the saved labels as a training set, on a worker thread with progress and cancel.

The export reads every labelled scan and writes a region cache: seconds to minutes, so it never
runs on the GUI thread. A progress dialog counts the scans and its Cancel button stops the export
after the scan in hand; an interrupted export leaves no ``meta.json``, so the folder is never
taken for a complete cache.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from screener_gui.core.jobs import Cancelled
from screener_gui.core.training.label_export import export_training_set
from screener_gui.gui.error_log import plain_reason


class _ExportThread(QThread):
    progressed = Signal(int, int)  # scans done, scans to export
    succeeded = Signal(str)  # what was exported, in words
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, scans: list[Path], out_dir: Path) -> None:
        super().__init__()
        self.scans, self.out_dir = scans, out_dir
        self.stop_requested = threading.Event()  # set from the GUI thread

    def run(self) -> None:
        try:
            cache = export_training_set(
                self.scans, self.out_dir, progress=self.progressed.emit, cancel=self.stop_requested
            )
        except Cancelled:
            self.cancelled.emit()
        except Exception as exc:  # LabelFileError, ScanLoadError, OSError (a full disk) and bugs
            self.failed.emit(plain_reason(exc))
        else:
            meta = cache.meta
            self.succeeded.emit(
                f"exported {meta.anomaly} anomaly and {meta.benign} benign regions to {self.out_dir}"
            )


class Exporter(QObject):
    """Runs one export at a time for ``parent`` and reports how it ended.

    Signals: ``finished(ok, message)`` once an export succeeded, failed or was cancelled.
    """

    finished = Signal(bool, str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self.thread: _ExportThread | None = None
        self.dialog: QProgressDialog | None = None

    @property
    def running(self) -> bool:
        return self.thread is not None

    def start(self, scans: list[Path], out_dir: Path) -> bool:
        """Export ``scans``' labels to ``out_dir``; False when an export is already running."""
        if self.thread is not None:
            return False
        text = f"Exporting labels to {out_dir}…"
        self.dialog = QProgressDialog(text, "Cancel", 0, len(scans), self._parent)
        self.dialog.setWindowTitle("Export training set")
        self.dialog.setMinimumDuration(0)
        self.dialog.canceled.connect(self.cancel)
        self.thread = _ExportThread(list(scans), out_dir)
        self.thread.progressed.connect(lambda done, total: self.dialog and self.dialog.setValue(done))
        self.thread.succeeded.connect(lambda text: self._end(True, text))
        self.thread.failed.connect(lambda reason: self._end(False, f"export failed: {reason}"))
        self.thread.cancelled.connect(
            lambda: self._end(False, f"export cancelled; {out_dir} holds no complete training set")
        )
        self.thread.start()
        self.dialog.show()
        return True

    def cancel(self) -> None:
        """Stop the export after the scan in hand."""
        if self.thread is not None:
            self.thread.stop_requested.set()

    def stop(self) -> None:
        """Cancel and wait for the thread (the window is closing)."""
        if self.thread is not None:
            self.cancel()
            self.thread.wait()
            self._end(False, "export cancelled (the window closed)")

    def _end(self, ok: bool, message: str) -> None:
        if self.thread is None:
            return
        self.thread.wait()
        self.thread = None
        if self.dialog is not None:
            self.dialog.canceled.disconnect(self.cancel)
            self.dialog.close()
            self.dialog = None
        self.finished.emit(ok, message)
