"""``screener bench``: per-stage timings of the pipeline on a fixed set of generated bags."""

from __future__ import annotations

import platform
import time

import numpy as np
import torch

from screener_gui.core.pipeline.screen import Screener
from screener_gui.core.scan import Scan
from screener_gui.synth.scene import SynthSettings, generate_scan


def bench(screener: Screener, *, count: int = 8, seed: int = 90210, repeats: int = 3) -> dict:
    """Screen ``count`` generated bags ``repeats`` times (after one warm-up) and report the median
    milliseconds of every stage, with the spread between scans."""
    scans = [generate_scan(seed, i, SynthSettings()).rgb for i in range(count)]
    screener.screen(Scan(rgb=scans[0]))
    per_stage: dict[str, list[float]] = {}
    objects, regions = [], []
    for _ in range(repeats):
        for rgb in scans:
            t0 = time.perf_counter()
            result = screener.screen(Scan(rgb=rgb))
            wall = 1000 * (time.perf_counter() - t0)
            for stage, ms in {**result.timings, "wall": wall}.items():
                per_stage.setdefault(stage, []).append(ms)
            objects.append(len(result.objects))
            regions.append(len(result.regions.scores))
    return {
        "scans": count,
        "seed": seed,
        "repeats": repeats,
        "scan_size": list(scans[0].shape[:2]),
        "device": str(screener.device),
        "torch_threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "classifier": screener.classifier.metadata["arch"],
        "strategy": screener.classifier.strategy,
        "segmenter": screener.segmenter.metadata["backbone"],
        "objects_per_scan": float(np.mean(objects)),
        "regions_per_scan": float(np.mean(regions)),
        "median_ms": {k: round(float(np.median(v)), 1) for k, v in per_stage.items()},
        "p90_ms": {k: round(float(np.percentile(v, 90)), 1) for k, v in per_stage.items()},
    }
