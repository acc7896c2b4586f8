"""The contract every long job keeps: settings in, progress out, cancellation honoured.

A long job (dataset generation, region / object / item extraction, training, evaluation,
calibration, the soak run) is a plain function::

    job(..., settings, *, progress: Progress | None = None, cancel: threading.Event | None = None)

- ``settings`` is a frozen dataclass whose docstring's ``Attributes:`` section says what each field
  means; the CLI makes its options from those fields (:mod:`screener_gui.cli_settings`), so a
  default lives only in the dataclass.
- ``progress(done, total)`` is called as work finishes, in the job's own unit (scans, items,
  optimiser steps), ending with ``done == total`` when the job runs to its end. It is called on the
  job's thread; the GUI turns it into a signal, the CLI into a progress bar. The core draws no bar.
- ``cancel`` is polled between units of work. Once it is set the job stops at the next check,
  leaves its output in the state its docstring names (a training run saves its checkpoint first,
  so running it again continues; a dataset or cache is left without the index file that marks it
  complete) and raises :class:`Cancelled`. A measurement (the soak run) returns what it
  measured up to that point instead, so a stopped run still reports.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")

Progress = Callable[[int, int], None]
"""``progress(done, total)``: units of work done of the total."""


class Cancelled(Exception):
    """A long job stopped because its cancel event was set (not an error: nothing is damaged)."""


def check_cancel(cancel: threading.Event | None) -> None:
    """Raise :class:`Cancelled` when ``cancel`` is set.

    Raises:
        Cancelled: The event is set.
    """
    if cancel is not None and cancel.is_set():
        raise Cancelled


def report(progress: Progress | None, done: int, total: int) -> None:
    """Call ``progress(done, total)`` when there is a callback."""
    if progress:
        progress(done, total)


def parallel_map(
    work: Callable[[Job], Result],
    jobs: list[Job],
    workers: int,
    *,
    setup: Callable[[], None] | None = None,
) -> Iterator[Result]:
    """``work`` applied to ``jobs`` in ``workers`` processes; the results in job order.

    Leaving early (a cancel, an error, Ctrl+C, a consumer that stops) drops the jobs not yet started
    and waits only for the ones running, one per worker, so no worker outlives the call. The
    workers also die with this process, even when it is killed by SIGKILL (Linux:
    ``PR_SET_PDEATHSIG``). ``setup`` runs once in each worker (a module-level function).

    (``multiprocessing.Pool.terminate`` is not used: it can wait for ever on a worker that sits
    idle holding the task queue's lock.)
    """
    executor = ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(os.getpid(), setup))
    try:
        yield from executor.map(work, jobs)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _start_worker(parent: int, setup: Callable[[], None] | None) -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            pr_set_pdeathsig = 1  # <sys/prctl.h>
            ctypes.CDLL("libc.so.6").prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)
    if setup is not None:
        setup()
