"""The viewer's layers of a screening result, made once off the GUI thread."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from screener_gui.core.pipeline.overlay import contour_layer, heat_layer, outline_layer
from screener_gui.core.pipeline.screen import ScreeningResult


@dataclass(frozen=True)
class DisplayLayers:
    """uint8 (H, W, 4) RGBA layers: heatmap colours (as opaque as the evidence is strong), anomaly /
    benign superpixel contours (None with the object strategy) and object outlines with alarm
    frames, the lines in ``palette``."""

    heatmap: np.ndarray
    contours: np.ndarray | None
    outlines: np.ndarray
    palette: str = "red_green"


def region_contours(
    result: ScreeningResult, labels: np.ndarray | None = None, *, palette: str = "red_green"
) -> np.ndarray | None:
    """The contour layer of ``result``'s superpixels coloured by ``labels`` (default: the model's)."""
    if result.superpixels is None:
        return None
    states = result.region_states() if labels is None else np.asarray(labels)
    return contour_layer(result.superpixels.labels, states, palette=palette)


def display_layers(result: ScreeningResult, *, palette: str = "red_green") -> DisplayLayers:
    """All layers of ``result`` as the pipeline labelled it, lines in ``palette`` (see
    :data:`~screener_gui.core.pipeline.overlay.PALETTES`)."""
    return DisplayLayers(
        heatmap=heat_layer(result.heatmap),
        contours=region_contours(result, palette=palette),
        outlines=outline_layer(
            result.shape,
            [o.mask for o in result.objects],
            [bool(a) for a in result.object_alarms],
            palette=palette,
        ),
        palette=palette,
    )
