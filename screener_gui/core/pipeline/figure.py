"""Pictures of a screening result: the paper's figure 5 panels (scan | contours | heatmap)."""

from __future__ import annotations

import numpy as np

from screener_gui.core.pipeline import overlay
from screener_gui.core.pipeline.screen import ScreeningResult


def contour_view(rgb: np.ndarray, result: ScreeningResult) -> np.ndarray:
    """Red (anomaly) / green (benign) superpixel contours and object outlines with alarm frames."""
    out = rgb
    if result.superpixels is not None and result.superpixels.count:
        out = overlay.contours(out, result.superpixels.labels, result.region_states())
    masks = [o.mask for o in result.objects]
    return overlay.outlines(out, masks, result.object_alarms.tolist()) if masks else out


def heatmap_view(rgb: np.ndarray, result: ScreeningResult, *, alpha: float = 0.55) -> np.ndarray:
    """The activation heatmap over the scan (display normalisation only)."""
    return overlay.heatmap(rgb, np.clip(result.heatmap, 0.0, 1.0), alpha=alpha)


def figure(rgb: np.ndarray, result: ScreeningResult) -> np.ndarray:
    """Scan, contours and heatmap side by side."""
    return overlay.side_by_side([rgb, contour_view(rgb, result), heatmap_view(rgb, result)])
