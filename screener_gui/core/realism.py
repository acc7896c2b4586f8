"""How close synthetic scans look to real ones: colour shares and attenuation histograms.

Both sides are measured from their false-colour images with the same rule
(:func:`~screener_gui.core.rgb_materials.classify_rgb` and
:func:`~screener_gui.core.rgb_materials.attenuation_from_rgb`), so a difference in the numbers
is a difference in the pictures, not in how they were read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import wasserstein_distance

from screener_gui.core.errors import ScanLoadError
from screener_gui.core.false_colour import MaterialClass
from screener_gui.core.io import load_scan
from screener_gui.core.rgb_materials import attenuation_from_rgb, classify_rgb
from screener_gui.core.scan_files import find_scans

HISTOGRAM_EDGES = np.linspace(0.0, 6.0, 25)  # attenuation bins, -ln T units
_CLASSES = (MaterialClass.ORGANIC, MaterialClass.INORGANIC, MaterialClass.METAL, MaterialClass.DENSE)


@dataclass(frozen=True)
class ImageStats:
    """Material shares among non-air pixels and their attenuation histogram (sums to 1)."""

    shares: dict[str, float]
    histogram: np.ndarray
    non_air: float


def image_stats(rgb: np.ndarray) -> ImageStats:
    """Statistics of one false-colour image."""
    classes = classify_rgb(rgb)
    objects = classes != MaterialClass.AIR
    n = max(int(objects.sum()), 1)
    shares = {c.name.lower(): float((classes == c).sum()) / n for c in _CLASSES}
    attenuation = attenuation_from_rgb(rgb)[objects]
    hist, _ = np.histogram(np.clip(attenuation, 0, HISTOGRAM_EDGES[-1] - 1e-6), HISTOGRAM_EDGES)
    return ImageStats(shares, hist / max(hist.sum(), 1), float(objects.mean()))


def folder_stats(folder: str | os.PathLike, limit: int = 200) -> list[ImageStats]:
    """Statistics of up to ``limit`` scans in ``folder`` (unreadable files are skipped)."""
    stats = []
    for path in find_scans(Path(folder))[:limit]:
        try:
            stats.append(image_stats(load_scan(path).rgb))
        except ScanLoadError:
            continue
    return stats


def summarise(stats: list[ImageStats]) -> dict:
    """Mean and spread of the shares, and the pooled histogram, over a set of images."""
    if not stats:
        raise ValueError("no readable images to summarise")
    out: dict = {"images": len(stats)}
    for name in stats[0].shares:
        values = np.array([s.shares[name] for s in stats])
        out[f"{name}_share_mean"] = round(float(values.mean()), 4)
        out[f"{name}_share_std"] = round(float(values.std()), 4)
    out["non_air_fraction_mean"] = round(float(np.mean([s.non_air for s in stats])), 4)
    pooled = np.mean([s.histogram for s in stats], axis=0)
    out["attenuation_histogram"] = [round(float(v), 4) for v in pooled]
    centres = (HISTOGRAM_EDGES[:-1] + HISTOGRAM_EDGES[1:]) / 2
    out["attenuation_mean"] = round(float(pooled @ centres), 4)
    return out


def compare_folders(synthetic: str | os.PathLike, real: str | os.PathLike, limit: int = 200) -> dict:
    """Side-by-side statistics and distances between a synthetic and a real set of scans.

    Distances: absolute difference of each mean share (percentage points), histogram
    intersection (1 = identical) and earth mover's distance of the attenuation histograms
    (in attenuation units).
    """
    syn, rea = summarise(folder_stats(synthetic, limit)), summarise(folder_stats(real, limit))
    centres = (HISTOGRAM_EDGES[:-1] + HISTOGRAM_EDGES[1:]) / 2
    hs, hr = np.array(syn["attenuation_histogram"]), np.array(rea["attenuation_histogram"])
    distances = {
        f"{name}_share_diff_pp": round(100 * abs(syn[f"{name}_share_mean"] - rea[f"{name}_share_mean"]), 2)
        for name in ("organic", "inorganic", "metal", "dense")
    }
    distances["histogram_intersection"] = round(float(np.minimum(hs, hr).sum()), 4)
    distances["attenuation_emd"] = round(
        float(wasserstein_distance(centres, centres, hs + 1e-12, hr + 1e-12)), 4
    )
    return {
        "histogram_edges": [round(float(e), 3) for e in HISTOGRAM_EDGES],
        "synthetic": syn,
        "real": rea,
        "distances": distances,
    }
