"""The pipeline on a background thread: scans go in as jobs, results come back as signals.

The worker object lives in its own ``QThread`` and never touches a widget; the window talks to it
through :class:`PipelineThread` only. Jobs run one at a time in arrival order. Loading the scan is
part of the job, so reading a file or generating a simulated bag never blocks the GUI thread
either. A job that fails (unreadable file, bad pixels, a pipeline error) is reported with its
message and the next job runs. A new screener (another detector mode) can be swapped in while the
thread runs: it is loaded on the pipeline thread before the next job.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QThread, Signal, Slot

from screener_gui.core.errors import ScanLoadError
from screener_gui.core.pipeline.layers import DisplayLayers, display_layers
from screener_gui.core.pipeline.screen import Screener, ScreeningResult
from screener_gui.core.scan import Scan

# Exceptions of bad files and data, missing or wrong model weights, and the torch / numpy errors a
# malformed input can raise deep in the pipeline: reported with their own message.
JOB_ERRORS = (OSError, ValueError, RuntimeError, MemoryError, IndexError, KeyError, TypeError)


def job_error_text(exc: Exception) -> str:
    """The message a failed job reports: the error's own for the expected kinds, else a plain
    "the pipeline failed" (a bug), with the error, so the operator knows the bag was not screened."""
    if isinstance(exc, ScanLoadError):  # already plain words naming the file and the problem
        return exc.reason
    if isinstance(exc, JOB_ERRORS):
        return f"{type(exc).__name__}: {exc}"
    return f"the pipeline failed on this scan ({type(exc).__name__}: {exc})"


@dataclass(frozen=True)
class Job:
    """One scan to screen: ``load`` produces it (read a file, generate a bag) on the worker."""

    id: int
    source: str
    load: Callable[[], Scan]
    submitted: float  # time.monotonic() when it was queued
    generation: int  # jobs of an older generation were cancelled


@dataclass(frozen=True)
class Screened:
    """A finished job: the scan, what the pipeline found, its display layers, and how long the
    scan waited.

    Attributes:
        latency_ms: From queueing the job to its result and layers, milliseconds.
    """

    job_id: int
    source: str
    scan: Scan
    result: ScreeningResult
    layers: DisplayLayers
    latency_ms: float


class _Worker(QObject):
    """Runs jobs on the pipeline thread (slots run there; signals cross back by queued calls)."""

    started = Signal(int, str)
    screened = Signal(object)  # Screened
    failed = Signal(int, str, str)  # job id, source, message
    ready = Signal(str, str)  # the device the networks run on and the detector mode, once loaded
    load_failed = Signal(str)  # why the models could not be loaded
    skipped = Signal(int)  # a cancelled job, dropped unrun

    def __init__(self, owner: PipelineThread) -> None:
        super().__init__()
        self._owner = owner
        self._version: int | None = None  # of the owner's screener factory the models came from
        self._screener: Screener | None = None
        self._load_error: str | None = None

    @Slot(object)
    def run(self, job: Job) -> None:
        if job.generation < self._owner.generation:
            self._owner._done(job.id)
            self.skipped.emit(job.id)
            return
        self.started.emit(job.id, job.source)
        try:
            screener = self._models()
            scan = job.load()
            result = screener.screen(scan)
            layers = display_layers(result, palette=self._owner.palette)
        except Exception as exc:  # a slot must not raise: the job is reported, the thread goes on
            self._owner._done(job.id)
            self.failed.emit(job.id, job.source, job_error_text(exc))
            return
        latency = 1000.0 * (time.monotonic() - job.submitted)
        self._owner._done(job.id)
        self.screened.emit(Screened(job.id, job.source, scan, result, layers, latency))

    @Slot()
    def preload(self) -> None:
        """Load the models now, before the first scan arrives (errors wait for that scan)."""
        with contextlib.suppress(RuntimeError):  # the first job reports it, with its scan
            self._models()

    def _models(self) -> Screener:
        version, make_screener = self._owner._factory
        if version != self._version:  # first use, or another screener was chosen: drop the old one
            self._version, self._screener, self._load_error = version, None, None
        if self._screener is None:
            if self._load_error is not None:
                raise RuntimeError(self._load_error)
            try:
                self._screener = make_screener()
            except Exception as exc:  # e.g. a corrupt weights file: reported, another can be chosen
                self._load_error = f"models could not be loaded: {exc}"
                self.load_failed.emit(self._load_error)
                raise RuntimeError(self._load_error) from exc
            self.ready.emit(str(self._screener.device), self._screener.detector.mode)
        return self._screener


class PipelineThread(QObject):
    """Owns the pipeline thread and its queue.

    Signals (delivered on the GUI thread): ``started(job_id, source)``, ``screened(Screened)``,
    ``failed(job_id, source, message)``, ``ready(device, detector_mode)``, ``load_failed(message)``,
    ``pending_changed(count)``.
    """

    started = Signal(int, str)
    screened = Signal(object)
    failed = Signal(int, str, str)
    ready = Signal(str, str)
    load_failed = Signal(str)
    pending_changed = Signal(int)
    _submit = Signal(object)
    _preload = Signal()

    def __init__(self, make_screener: Callable[[], Screener], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.generation = 0
        self.palette = "red_green"  # line colours of the layers the worker makes (read there)
        self._ids = itertools.count(1)
        self._pending: set[int] = set()
        # (version, factory), replaced as one value: the worker reloads when the version changes.
        self._factory: tuple[int, Callable[[], Screener]] = (0, make_screener)
        self._thread = QThread()
        self._thread.setObjectName("screening pipeline")
        self._worker = _Worker(self)
        self._worker.moveToThread(self._thread)
        self._submit.connect(self._worker.run)
        self._preload.connect(self._worker.preload)
        self._worker.started.connect(self.started)
        self._worker.screened.connect(self._finished)
        self._worker.failed.connect(self._failed)
        self._worker.ready.connect(self.ready)
        self._worker.load_failed.connect(self.load_failed)
        self._worker.skipped.connect(lambda _id: self.pending_changed.emit(self.pending))
        self._thread.start()
        self._preload.emit()  # the first bag should not wait for the models to load

    @property
    def pending(self) -> int:
        """Jobs queued or running."""
        return len(self._pending)

    def submit(self, source: str, load: Callable[[], Scan]) -> int:
        """Queue a scan; returns its job id."""
        job = Job(next(self._ids), source, load, time.monotonic(), self.generation)
        self._pending.add(job.id)
        self.pending_changed.emit(self.pending)
        self._submit.emit(job)
        return job.id

    def set_screener(self, make_screener: Callable[[], Screener]) -> None:
        """Screen with what ``make_screener`` returns from the next job on (another detector mode).

        The worker drops its models and calls ``make_screener`` on the pipeline thread before the
        next job it runs, or at once when idle; a job already running finishes with the old models.
        """
        self._factory = (self._factory[0] + 1, make_screener)
        self._preload.emit()

    def cancel_pending(self) -> None:
        """Drop every queued job that has not started (the running one finishes)."""
        self.generation += 1

    @property
    def worker_thread(self) -> QThread:
        """The thread the pipeline runs on."""
        return self._thread

    def stop(self, timeout_ms: int = 30000) -> bool:
        """Cancel what is queued, let the running job end, stop the thread. True when stopped."""
        self.cancel_pending()
        self._thread.quit()
        return self._thread.wait(timeout_ms)

    def _done(self, job_id: int) -> None:
        # Called on the worker thread; set operations on ints are atomic under the GIL, and the
        # count is announced from the GUI thread by _finished / _failed.
        self._pending.discard(job_id)

    @Slot(object)
    def _finished(self, screened: Screened) -> None:
        self.pending_changed.emit(self.pending)
        self.screened.emit(screened)

    @Slot(int, str, str)
    def _failed(self, job_id: int, source: str, message: str) -> None:
        self.pending_changed.emit(self.pending)
        self.failed.emit(job_id, source, message)
