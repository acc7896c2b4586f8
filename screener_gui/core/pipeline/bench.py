"""``screener bench``: per-stage timings of the pipeline on a fixed set of scans (the CLI generates
them; the core never imports the generator), or on named scan files (``--real``)."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np
import torch

from screener_gui.core.pipeline.screen import Screener
from screener_gui.core.scan import Scan


def bench(
    screener: Screener,
    scans: Sequence[np.ndarray],
    *,
    repeats: int = 3,
    compare: Screener | None = None,
) -> dict:
    """Screen ``scans`` (uint8 (H, W, 3) false colour each) ``repeats`` times (after one warm-up)
    and report the median milliseconds of every stage, with the spread between scans.

    With ``compare`` (e.g. the same segmenter with the other mode's detector), both screen every
    bag in turn, so machine load falls on both alike; the report then holds ``compare``'s figures
    and the ratio of the two median wall times.
    """
    if not scans:
        raise ValueError("the bench needs at least one scan")
    named = [(str(i), Scan(rgb=rgb)) for i, rgb in enumerate(scans)]
    report = {"scans": len(scans), "repeats": repeats, "scan_size": list(scans[0].shape[:2])}
    return report | _run(screener, compare, lambda: named, repeats)


def bench_files(
    screener: Screener, scans: Iterable[tuple[str, Scan]], *, compare: Screener | None = None
) -> dict:
    """Screen each of the named ``scans`` (e.g. real files) once, with ``compare`` in turn after
    each, and report the median, the 95th percentile and the slowest scan by name, per stage.
    The scans are read as they come (one in memory at a time)."""
    count = 0

    def counted() -> Iterator[tuple[str, Scan]]:
        nonlocal count
        for pair in scans:
            count += 1
            yield pair

    report = _run(screener, compare, counted, 1)
    return {"scans": count, "repeats": 1} | report


def _run(
    screener: Screener,
    compare: Screener | None,
    named: Callable[[], Iterable[tuple[str, Scan]]],
    repeats: int,
) -> dict:
    """Time every (name, scan) of ``named()`` (called once per repeat), ``compare`` in turn."""
    contenders = [screener] if compare is None else [screener, compare]
    records = [_Record() for _ in contenders]
    for _ in range(repeats):
        for name, scan in named():
            if not records[0].names:  # one warm-up each, on the first scan
                for contender in contenders:
                    contender.screen(scan)
            for contender, record in zip(contenders, records, strict=True):
                record.add(contender, name, scan)
    if not records[0].names:
        raise ValueError("the bench found no scan to time")
    report = records[0].report(screener)
    if compare is not None:
        report["compare"] = records[1].report(compare)
        report["wall_ratio"] = round(report["median_ms"]["wall"] / report["compare"]["median_ms"]["wall"], 3)
    return report


class _Record:
    """Timings, object and region counts of one screener over the bench, and the caps that applied."""

    def __init__(self):
        self.per_stage: dict[str, list[float]] = {}
        self.names: list[str] = []
        self.objects: list[int] = []
        self.regions: list[int] = []
        self.capped: dict[str, int] = {}

    def add(self, screener: Screener, name: str, scan: Scan) -> None:
        t0 = time.perf_counter()
        result = screener.screen(scan)
        wall = 1000 * (time.perf_counter() - t0)
        self.names.append(name)
        for stage, ms in {**result.timings, "wall": wall}.items():
            self.per_stage.setdefault(stage, []).append(ms)
        self.objects.append(len(result.objects))
        self.regions.append(len(result.regions.scores))
        for cap in result.capped:
            self.capped[cap] = self.capped.get(cap, 0) + 1

    def report(self, screener: Screener) -> dict:
        slowest = int(np.argmax(self.per_stage["wall"]))
        return {
            "device": str(screener.device),
            "torch_threads": torch.get_num_threads(),
            "cpu": platform.processor() or platform.machine(),
            "mode": screener.detector.mode,
            "detector": screener.detector.metadata["arch"],
            "strategy": screener.detector.strategy,
            "segmenter": screener.segmenter.metadata["backbone"],
            "objects_per_scan": float(np.mean(self.objects)),
            "regions_per_scan": float(np.mean(self.regions)),
            "capped_screenings": self.capped,  # cap name -> screenings it limited (see caps.py)
            "median_ms": {k: round(float(np.median(v)), 1) for k, v in self.per_stage.items()},
            "p90_ms": {k: round(float(np.percentile(v, 90)), 1) for k, v in self.per_stage.items()},
            "p95_ms": {k: round(float(np.percentile(v, 95)), 1) for k, v in self.per_stage.items()},
            "slowest": {"scan": self.names[slowest], "wall_ms": round(self.per_stage["wall"][slowest], 1)},
        }
