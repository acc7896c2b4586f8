"""Where scans come from: opened files and folders, a watched folder, the simulated scanner.

Each source hands the pipeline thread a job whose ``load`` reads (or generates) the scan there, so
no file is read and no bag generated on the GUI thread. The watched folder is polled with ``stat``
calls only; a file counts once it has stopped changing (see
:class:`~screener_gui.core.sources.FolderWatcher`).

Every source shares one cap: while :data:`MAX_WAITING` bags wait for the operator's decision
(screened and waiting, or being screened), no more are taken. Opened and watched files then wait
their turn in a list of paths (nothing is dropped, and a path costs nothing while a screened bag
holds ~12 MB); the simulated scanner stops its belt, as a belt that waits for the operator would.
The simulated scanner also skips a beat while the pipeline still has two of its bags in hand.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from screener_gui.core.io import load_scan
from screener_gui.core.scan_files import expand_scan_paths
from screener_gui.core.sources import FolderWatcher
from screener_gui.gui.qt_worker import PipelineThread

if TYPE_CHECKING:
    from screener_gui.synth.sources import SimulatedScanner

WATCH_POLL_MS = 500
MAX_IN_FLIGHT = 2  # simulated bags queued or running before the belt waits
MAX_WAITING = 8  # bags waiting for the operator (or being screened) before any source waits


class Sources(QObject):
    """The scan sources of the window, under one cap on the bags waiting for a decision.

    Args:
        pipeline: Where scans are screened.
        waiting: How many screened bags wait for the operator's decision.

    Signals: ``problem(source, message)`` for a source that cannot be read (said once until it
    changes; the other sources go on); ``notice(message)`` for news that is no problem (the
    watched folder is back); ``changed()`` when the held scans or the pause change.
    """

    problem = Signal(str, str)
    notice = Signal(str)
    changed = Signal()

    def __init__(
        self, pipeline: PipelineThread, waiting: Callable[[], int] = lambda: 0, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.pipeline = pipeline
        self.waiting = waiting
        self.watcher: FolderWatcher | None = None
        self.scanner: SimulatedScanner | None = None
        self.held: list[Path] = []  # files waiting for room under the cap, oldest first
        self._watch_problem: str | None = None
        self._watch_timer = QTimer(self)
        self._watch_timer.setInterval(WATCH_POLL_MS)
        self._watch_timer.timeout.connect(self.poll_watched)
        self._belt = QTimer(self)
        self._belt.timeout.connect(self._next_simulated)
        self._simulated_jobs: set[int] = set()
        pipeline.screened.connect(lambda s: self._simulated_jobs.discard(s.job_id))
        pipeline.failed.connect(lambda job_id, *_: self._simulated_jobs.discard(job_id))

    # ---- the shared cap ---------------------------------------------------------------------
    @property
    def in_hand(self) -> int:
        """Bags waiting for a decision or being screened (what the cap counts)."""
        return self.waiting() + self.pipeline.pending

    @property
    def full(self) -> bool:
        return self.in_hand >= MAX_WAITING

    @property
    def pause_reason(self) -> str | None:
        """Why no more scans are taken now, for the operator; None when they are."""
        if not self.full or not (self.held or self.simulating or self.watcher is not None):
            return None
        text = f"paused: {self.in_hand} bags wait for a decision"
        if self.held:
            text += f"; {len(self.held)} more scan{'s' if len(self.held) > 1 else ''} held back"
        return text

    def feed(self) -> None:
        """Send held files to the pipeline while there is room under the cap."""
        before = len(self.held)
        while self.held and not self.full:
            path = self.held.pop(0)
            self.pipeline.submit(str(path), lambda p=path: load_scan(p))
        if before:
            self.changed.emit()

    def drop_held(self) -> int:
        """Forget the files still held back (Cancel queued scans); returns how many."""
        count, self.held = len(self.held), []
        self.changed.emit()
        return count

    # ---- opened files -----------------------------------------------------------------------
    def open_paths(self, paths: list[str | Path]) -> int:
        """Queue every scan in ``paths`` (files, or folders searched for scans); returns how many."""
        passed_over: list[tuple[Path, str]] = []
        try:
            found = expand_scan_paths(paths, skipped=passed_over)
        except (OSError, ValueError) as exc:
            self.problem.emit(", ".join(str(p) for p in paths), str(exc))
            return 0
        for path, reason in passed_over:  # a FIFO, a link loop, a .webp… in a folder: said once each
            self.problem.emit(str(path), f"not screened: {reason}")
        if not found:
            self.problem.emit(", ".join(str(p) for p in paths), "no scans found there")
        self.hold(found)
        return len(found)

    def hold(self, paths: list[Path]) -> None:
        """Queue files for screening, as room under the cap allows."""
        self.held.extend(paths)
        self.feed()

    # ---- the watched folder -----------------------------------------------------------------
    def watch(self, folder: str | Path | None) -> None:
        """Screen each new scan that appears in ``folder`` (None stops watching)."""
        self._watch_timer.stop()
        self.watcher = None
        self._watch_problem = None
        if folder:
            self.watcher = FolderWatcher(Path(folder))
            self._watch_timer.start()
            self._report_watch_problem()

    def poll_watched(self) -> None:
        if self.watcher is None:
            return
        found = self.watcher.poll()
        for skipped in self.watcher.skipped:
            self.problem.emit(str(skipped.path), f"not screened: {skipped.reason}")
        self._report_watch_problem()
        self.hold([p for p in found if p not in self.held])  # rewritten while held: screened once

    def _report_watch_problem(self) -> None:
        """Say once that the folder is gone (it keeps being polled), and once that it is back."""
        problem = self.watcher.problem if self.watcher is not None else None
        if problem == self._watch_problem:
            return
        self._watch_problem = problem
        folder = str(self.watcher.folder) if self.watcher is not None else ""
        if problem is not None:
            self.problem.emit(folder, f"{problem}; new scans are taken again as soon as it is back")
        else:
            self.notice.emit(f"the watched folder {folder} is back: new scans in it are screened again")
        self.changed.emit()

    @property
    def watch_problem(self) -> str | None:
        """Why the watched folder cannot be read now, else None."""
        return self._watch_problem

    # ---- the simulated scanner --------------------------------------------------------------
    def simulate(self, on: bool, *, seed: int = 7, belt_seconds: float = 4.0) -> None:
        """Start (from a fresh scanner with ``seed``) or stop the simulated scanner; its belt
        stops while the cap is reached (so an unattended workstation does not fill memory)."""
        self._belt.stop()
        if not on:
            self.scanner = None
            self.changed.emit()
            return
        # Imported on use: the generator takes a second to import, and only this source needs it.
        from screener_gui.synth.sources import SimulatedScanner

        self.scanner = SimulatedScanner(seed)
        self._belt.setInterval(int(1000 * belt_seconds))
        self._belt.start()
        self._next_simulated()
        self.changed.emit()

    @property
    def simulating(self) -> bool:
        return self.scanner is not None

    def _next_simulated(self) -> None:
        if self.scanner is None or len(self._simulated_jobs) >= MAX_IN_FLIGHT or self.full:
            return
        scanner = self.scanner
        self._simulated_jobs.add(self.pipeline.submit("simulated scanner", scanner.next_scan))
