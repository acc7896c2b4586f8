"""A shift in minutes: stream bags through the workstation's pipeline thread and watch memory.

``screener soak`` writes a pool of generated bags as PNG files, then submits them over and over
(bag ``i`` is pool file ``i % pool``) to the same :class:`~.qt_worker.PipelineThread` the window
uses, loading each from disk on that thread as a watched folder would, with at most two waiting.
Every ``every`` bags it reports the process's resident memory; the report gives the growth after
warm-up and the per-bag medians. Runs without a display (a ``QCoreApplication``).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from screener_gui.core.memory import resident_bytes

WAITING = 2  # jobs kept queued ahead, so the pipeline never idles and memory is not hoarded


@dataclass(frozen=True)
class SoakSettings:
    """What a soak run does.

    Attributes:
        bags: Bags to screen in all.
        pool: Distinct generated bags, written once and reloaded in turn.
        every: Report resident memory after this many bags.
        warmup: Growth is measured from this bag on (the first bags load models, fill caches).
        seed: Generator seed of the pool.
        device: Where the networks run (``cpu``, ``cuda``; default: CUDA when present).
        release_memory: Return freed memory to the system after each bag (the shipped
            behaviour); off only to measure what it changes.
    """

    bags: int = 1000
    pool: int = 100
    every: int = 50
    warmup: int = 100
    seed: int = 9100
    device: str | None = None
    release_memory: bool = True


@dataclass
class SoakReport:
    """Resident memory along the run and how long bags took."""

    settings: SoakSettings
    resident_mb: dict[int, float] = field(default_factory=dict)  # bags done -> MB
    pipeline_ms: list[float] = field(default_factory=list)  # per bag, load + screen on the thread
    release_ms: list[float] = field(default_factory=list)  # per bag, handing freed memory back
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def growth(self) -> float | None:
        """Relative growth of resident memory from the warm-up bag to the last report."""
        marks = sorted(self.resident_mb)
        start = next((n for n in marks if n >= self.settings.warmup), None)
        if start is None or start == marks[-1]:
            return None
        return self.resident_mb[marks[-1]] / self.resident_mb[start] - 1.0

    def summary(self) -> dict:
        """JSON-ready figures."""
        growth = self.growth
        return {
            "bags": len(self.pipeline_ms),
            "failed": len(self.failed),
            "resident_mb": {str(k): round(v, 1) for k, v in sorted(self.resident_mb.items())},
            "growth_after_warmup_pct": None if growth is None else round(100 * growth, 2),
            "pipeline_ms_median": _median(self.pipeline_ms),
            "release_memory_ms_median": _median(self.release_ms),
            "seconds": round(self.seconds, 1),
        }


def soak(
    settings: SoakSettings,
    *,
    progress: Callable[[int, int], None] | None = None,
    report: Callable[[int, float], None] | None = None,
    cancel: threading.Event | None = None,
) -> SoakReport:
    """Screen ``settings.bags`` bags through a :class:`PipelineThread`; see the module docstring.

    ``progress(done, total)`` is called after each bag, ``report(done, resident_mb)`` at each
    memory mark; setting ``cancel`` stops after the bag in hand (the report covers what was done).
    """
    from PySide6.QtCore import QCoreApplication, QEventLoop

    from screener_gui.core.io import load_scan
    from screener_gui.core.pipeline.screen import Screener
    from screener_gui.gui.qt_worker import PipelineThread
    from screener_gui.synth.dataset import write_dataset

    QCoreApplication.instance() or QCoreApplication([])
    out = SoakReport(settings)
    with tempfile.TemporaryDirectory(prefix="screener-soak-") as tmp:
        # Generated in worker processes, so the generator's memory is not counted as ours.
        write_dataset(tmp, settings.pool, settings.seed, workers=max(2, os.cpu_count() or 1))
        pool = sorted((Path(tmp) / "images").glob("*.png"))
        screener = Screener.load(device=settings.device)
        screener.release_memory = settings.release_memory
        pipeline = PipelineThread(lambda: screener)
        loop = QEventLoop()
        submitted, done = 0, 0
        t0 = time.perf_counter()

        def submit_more() -> None:
            nonlocal submitted
            while submitted < settings.bags and submitted - done < WAITING and not _cancelled(cancel):
                path = pool[submitted % len(pool)]
                pipeline.submit(str(path), lambda path=path: load_scan(path))
                submitted += 1
            if done == submitted:
                loop.quit()

        def finished(ms: float | None, failure: str | None) -> None:
            nonlocal done
            done += 1
            if failure is None:
                out.pipeline_ms.append(ms)
            else:
                out.failed.append(failure)
            if done % settings.every == 0 or done == settings.bags:
                out.resident_mb[done] = resident_bytes() / 2**20
                if report:
                    report(done, out.resident_mb[done])
            if progress:
                progress(done, settings.bags)
            submit_more()

        started: dict[int, float] = {}
        pipeline.started.connect(lambda job, _src: started.__setitem__(job, time.perf_counter()))

        def screened(s) -> None:
            out.release_ms.append(s.result.timings.get("release_memory", 0.0))
            finished(1000 * (time.perf_counter() - started[s.job_id]), None)

        pipeline.screened.connect(screened)
        pipeline.failed.connect(lambda _job, source, message: finished(None, f"{source}: {message}"))
        submit_more()
        if submitted:
            loop.exec()
        pipeline.stop()
        out.seconds = time.perf_counter() - t0
    return out


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _cancelled(cancel: threading.Event | None) -> bool:
    return cancel is not None and cancel.is_set()
