"""The viewer's layers of a screening result, made once off the GUI thread."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from screener_gui.core.pipeline.overlay import contour_layer, heat_layer, outline_layer
from screener_gui.core.pipeline.screen import ScreeningResult


@dataclass(frozen=True)
class DisplayLayers:
    """uint8 (H, W, 4) RGBA layers: heatmap colours (opaque where there is evidence), red / green
    superpixel contours (None with the object strategy) and object outlines with alarm frames."""

    heatmap: np.ndarray
    contours: np.ndarray | None
    outlines: np.ndarray


def region_contours(result: ScreeningResult, labels: np.ndarray | None = None) -> np.ndarray | None:
    """The contour layer of ``result``'s superpixels coloured by ``labels`` (default: the model's)."""
    if result.superpixels is None:
        return None
    states = result.regions.labels if labels is None else np.asarray(labels)
    return contour_layer(result.superpixels.labels, states)


def display_layers(result: ScreeningResult) -> DisplayLayers:
    """All layers of ``result`` as the pipeline labelled it."""
    return DisplayLayers(
        heatmap=heat_layer(result.heatmap),
        contours=region_contours(result),
        outlines=outline_layer(
            result.shape, [o.mask for o in result.objects], [bool(a) for a in result.object_alarms]
        ),
    )
