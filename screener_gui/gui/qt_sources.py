"""Where scans come from: opened files and folders, a watched folder, the simulated scanner.

Each source hands the pipeline thread a job whose ``load`` reads (or generates) the scan there, so
no file is read and no bag generated on the GUI thread. The watched folder is polled with ``stat``
calls only; a file counts once it has stopped changing (see
:class:`~screener_gui.core.sources.FolderWatcher`). The simulated scanner sends a bag every
``belt_seconds``, skipping a beat while the pipeline still has two bags in hand, and stops while
eight screened bags wait for the operator's decision, as a belt that waits for the operator would.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from screener_gui.core.io import expand_scan_paths, load_scan
from screener_gui.core.sources import FolderWatcher
from screener_gui.gui.qt_worker import PipelineThread

if TYPE_CHECKING:
    from screener_gui.synth.sources import SimulatedScanner

WATCH_POLL_MS = 500
MAX_IN_FLIGHT = 2  # simulated bags queued or running before the belt waits
MAX_WAITING = 8  # screened bags waiting for the operator before the belt stops


class Sources(QObject):
    """Signals: ``problem(message)`` for a source that cannot be read (the others go on)."""

    problem = Signal(str)

    def __init__(self, pipeline: PipelineThread, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pipeline = pipeline
        self.watcher: FolderWatcher | None = None
        self.scanner: SimulatedScanner | None = None
        self._watch_timer = QTimer(self)
        self._watch_timer.setInterval(WATCH_POLL_MS)
        self._watch_timer.timeout.connect(self.poll_watched)
        self._belt = QTimer(self)
        self._belt.timeout.connect(self._next_simulated)
        self._simulated_jobs: set[int] = set()
        self._waiting: Callable[[], int] = lambda: 0
        pipeline.screened.connect(lambda s: self._simulated_jobs.discard(s.job_id))
        pipeline.failed.connect(lambda job_id, *_: self._simulated_jobs.discard(job_id))

    def open_paths(self, paths: list[str | Path]) -> int:
        """Queue every scan in ``paths`` (files, or folders searched for scans); returns how many."""
        try:
            found = expand_scan_paths(paths)
        except (OSError, ValueError) as exc:
            self.problem.emit(str(exc))
            return 0
        for path in found:
            self.submit_file(path)
        if not found:
            self.problem.emit("no scans found in " + ", ".join(str(p) for p in paths))
        return len(found)

    def submit_file(self, path: Path) -> int:
        return self.pipeline.submit(str(path), lambda p=path: load_scan(p))

    def watch(self, folder: str | Path | None) -> None:
        """Screen each new scan that appears in ``folder`` (None stops watching)."""
        self._watch_timer.stop()
        self.watcher = None
        if folder:
            self.watcher = FolderWatcher(Path(folder))
            self._watch_timer.start()

    def poll_watched(self) -> None:
        if self.watcher is None:
            return
        for path in self.watcher.poll():
            self.submit_file(path)
        if self.watcher.problem:
            self.problem.emit(self.watcher.problem)

    def simulate(
        self, on: bool, *, seed: int = 7, belt_seconds: float = 4.0, waiting: Callable[[], int] = lambda: 0
    ) -> None:
        """Start (from a fresh scanner with ``seed``) or stop the simulated scanner. ``waiting``
        tells how many screened bags wait for the operator: at :data:`MAX_WAITING` the belt
        stops until the operator catches up (so an unattended workstation does not fill memory)."""
        self._belt.stop()
        self._waiting = waiting
        if not on:
            self.scanner = None
            return
        # Imported on use: the generator takes a second to import, and only this source needs it.
        from screener_gui.synth.sources import SimulatedScanner

        self.scanner = SimulatedScanner(seed)
        self._belt.setInterval(int(1000 * belt_seconds))
        self._belt.start()
        self._next_simulated()

    @property
    def simulating(self) -> bool:
        return self.scanner is not None

    def _next_simulated(self) -> None:
        if self.scanner is None or len(self._simulated_jobs) >= MAX_IN_FLIGHT:
            return
        if self._waiting() >= MAX_WAITING:
            return
        scanner = self.scanner
        self._simulated_jobs.add(self.pipeline.submit("simulated scanner", scanner.next_scan))
