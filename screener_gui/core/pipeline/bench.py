"""``screener bench``: per-stage timings of the pipeline on a fixed set of scans (the CLI generates
them; the core never imports the generator)."""

from __future__ import annotations

import platform
import time
from collections.abc import Sequence

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
    contenders = [screener] if compare is None else [screener, compare]
    records = [_Record() for _ in contenders]
    for contender in contenders:
        contender.screen(Scan(rgb=scans[0]))
    for _ in range(repeats):
        for rgb in scans:
            for contender, record in zip(contenders, records, strict=True):
                record.add(contender, rgb)
    report = {"scans": len(scans), "repeats": repeats, "scan_size": list(scans[0].shape[:2])}
    report |= records[0].report(screener)
    if compare is not None:
        report["compare"] = records[1].report(compare)
        report["wall_ratio"] = round(report["median_ms"]["wall"] / report["compare"]["median_ms"]["wall"], 3)
    return report


class _Record:
    """Timings, object and region counts of one screener over the bench, and the caps that applied."""

    def __init__(self):
        self.per_stage: dict[str, list[float]] = {}
        self.objects: list[int] = []
        self.regions: list[int] = []
        self.capped: dict[str, int] = {}

    def add(self, screener: Screener, rgb: np.ndarray) -> None:
        t0 = time.perf_counter()
        result = screener.screen(Scan(rgb=rgb))
        wall = 1000 * (time.perf_counter() - t0)
        for stage, ms in {**result.timings, "wall": wall}.items():
            self.per_stage.setdefault(stage, []).append(ms)
        self.objects.append(len(result.objects))
        self.regions.append(len(result.regions.scores))
        for cap in result.capped:
            self.capped[cap] = self.capped.get(cap, 0) + 1

    def report(self, screener: Screener) -> dict:
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
        }
