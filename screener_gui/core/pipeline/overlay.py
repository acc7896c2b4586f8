"""What the screen shows on top of a scan, as pure functions returning new uint8 images.

Red / green superpixel contours, a class-activation heatmap, object outlines with alarm frames
and side-by-side panels (the paper's figure 5). Contours and outlines exist as transparent RGBA
layers too (``*_layer``): the viewer shows each layer on its own, the saved overlays composite
them. Nothing here changes its inputs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import ndimage

from screener_gui.core.pipeline.superpixels import mask_box

ANOMALY_RGB = (230, 30, 30)
BENIGN_RGB = (40, 200, 60)
# (anomaly, benign) colours of contours and outlines: the paper's red / green, and orange / blue
# for analysts who cannot tell red from green (the commonest colour-vision deficiency).
PALETTES: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "red_green": (ANOMALY_RGB, BENIGN_RGB),
    "orange_blue": ((245, 130, 0), (30, 110, 230)),
}
# Regions above the region threshold inside an item that did not alarm ("below the alarm"): drawn
# in a third colour, so a red contour always lies in an alarmed item.
BELOW_ALARM_RGB: dict[str, tuple[int, int, int]] = {"red_green": (255, 215, 0), "orange_blue": (190, 80, 210)}
GAP_RGB = (255, 255, 255)

_REFERENCE_DIAGONAL = math.hypot(800, 1000)  # a default 1000 x 800 scan gets 2 px contours

# Anchors of the heat colormap: dark blue (cold) through light blue, yellow and orange to red.
# Lightness rises then falls only at the hot end, where the red hue already says "hot".
_HEAT_ANCHORS = (
    (0.00, (40, 30, 130)),
    (0.25, (45, 110, 220)),
    (0.50, (120, 205, 200)),
    (0.70, (250, 225, 70)),
    (0.85, (245, 140, 35)),
    (1.00, (205, 25, 25)),
)


def _heat_lut() -> np.ndarray:
    positions = np.array([p for p, _ in _HEAT_ANCHORS])
    colours = np.array([c for _, c in _HEAT_ANCHORS], np.float64)
    x = np.linspace(0.0, 1.0, 256)
    lut = np.stack([np.interp(x, positions, colours[:, k]) for k in range(3)], axis=1)
    lut = np.round(lut).astype(np.uint8)
    lut.flags.writeable = False
    return lut


HEAT_LUT: np.ndarray = _heat_lut()  # uint8 (256, 3): heat 0 -> row 0, heat 1 -> row 255


def default_thickness(shape: tuple[int, ...]) -> int:
    """Contour width in pixels for a scan of ``shape``: 2 at 1000 x 800, scaled by the diagonal."""
    return max(1, round(2 * math.hypot(shape[0], shape[1]) / _REFERENCE_DIAGONAL))


def contours(
    rgb: np.ndarray, sp_labels: np.ndarray, states: np.ndarray, *, thickness: int | None = None
) -> np.ndarray:
    """Superpixel boundaries drawn on the scan: red for anomaly superpixels, green for benign ones
    (see :func:`contour_layer`).

    Raises:
        ValueError: Shapes disagree or ``states`` is shorter than the largest label.
    """
    _check_rgb(rgb)
    if sp_labels.shape != rgb.shape[:2]:
        raise ValueError(f"labels have shape {sp_labels.shape}, the scan {rgb.shape[:2]}")
    width = default_thickness(rgb.shape) if thickness is None else int(thickness)
    return composite(rgb, contour_layer(sp_labels, states, thickness=width))


def contour_layer(
    sp_labels: np.ndarray, states: np.ndarray, *, thickness: int | None = None, palette: str = "red_green"
) -> np.ndarray:
    """Superpixel boundaries as a transparent layer: red for anomaly, green for benign, yellow for
    "above the region threshold, but its item did not alarm".

    Each superpixel's border is drawn inside it, ``thickness`` pixels wide, in its own colour:
    where a red and a green superpixel meet both colours show, so the red side stays legible.

    Args:
        sp_labels: int (H, W) superpixel labels (0 = none), as ``Superpixels.labels``.
        states: int (count,) per superpixel, index 0 = label 1: 1 anomaly, 0 benign, 2 below the
            alarm (see :data:`BELOW_ALARM_RGB`), -1 not shown.
        thickness: Line width in pixels (default :func:`default_thickness`).
        palette: A key of :data:`PALETTES`.

    Returns:
        uint8 (H, W, 4) RGBA, alpha 255 on the lines and 0 elsewhere.

    Raises:
        ValueError: ``states`` is shorter than the largest label.
    """
    anomaly_rgb, benign_rgb = PALETTES[palette]
    states = np.asarray(states).ravel()
    highest = int(sp_labels.max(initial=0))
    if highest > states.size:
        raise ValueError(f"{states.size} states for superpixels labelled up to {highest}")
    width = default_thickness(sp_labels.shape) if thickness is None else int(thickness)
    state_of = np.full(states.size + 1, -1, np.int8)
    state_of[1:] = states
    border = _inner_borders(sp_labels, width)
    state_map = state_of[sp_labels]
    out = np.zeros((*sp_labels.shape, 4), np.uint8)
    out[border & (state_map == 0)] = (*benign_rgb, 255)
    out[border & (state_map == 2)] = (*BELOW_ALARM_RGB[palette], 255)
    out[border & (state_map == 1)] = (*anomaly_rgb, 255)  # last, so anomaly is on top
    return out


def composite(rgb: np.ndarray, layer: np.ndarray) -> np.ndarray:
    """``layer`` (uint8 RGBA, same size) painted over the scan with its alpha; a new RGB image."""
    _check_rgb(rgb)
    if layer.shape != (*rgb.shape[:2], 4) or layer.dtype != np.uint8:
        raise ValueError(f"layer {layer.dtype} {layer.shape} does not fit the scan {rgb.shape}")
    alpha = layer[:, :, 3:4].astype(np.float32) / 255.0
    if np.all((alpha == 0) | (alpha == 1)):  # binary layers (lines) copy exactly
        out = rgb.copy()
        solid = layer[:, :, 3] == 255
        out[solid] = layer[solid, :3]
        return out
    return np.round(rgb * (1.0 - alpha) + layer[:, :, :3] * alpha).astype(np.uint8)


def heatmap(rgb: np.ndarray, heat: np.ndarray, *, alpha: float = 0.5) -> np.ndarray:
    """Blend a heat map over the scan with :data:`HEAT_LUT`.

    Args:
        rgb: The scan, uint8 (H, W, 3).
        heat: float (H, W), already normalised for display by the caller (values are clipped to
            [0, 1]); NaN (or any non-finite value) where there is nothing to show: those pixels
            keep the scan's colour.
        alpha: Opacity of the heat colours, 0 (invisible) to 1 (opaque).
    """
    _check_rgb(rgb)
    if heat.shape != rgb.shape[:2]:
        raise ValueError(f"heat has shape {heat.shape}, the scan {rgb.shape[:2]}")
    alpha = float(np.clip(alpha, 0.0, 1.0))
    shown, colours = _heat_colours(heat)
    out = rgb.copy()
    out[shown] = np.round((1.0 - alpha) * rgb[shown] + alpha * colours).astype(np.uint8)
    return out


def heat_layer(heat: np.ndarray) -> np.ndarray:
    """The heat map as an RGBA layer of :data:`HEAT_LUT` colours whose opacity follows the heat
    (no evidence is fully transparent, so cold parts of an item stay readable; the viewer scales
    the whole layer's opacity), transparent where the heat is not finite. ``heat`` as for
    :func:`heatmap`."""
    shown, colours = _heat_colours(heat)
    out = np.zeros((*heat.shape, 4), np.uint8)
    out[shown, :3] = colours
    out[shown, 3] = np.round(np.clip(heat[shown], 0.0, 1.0) * 255).astype(np.uint8)
    return out


def _heat_colours(heat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    shown = np.isfinite(heat)
    return shown, HEAT_LUT[np.round(np.clip(heat[shown], 0.0, 1.0) * 255).astype(np.intp)]


def outlines(
    rgb: np.ndarray, masks: Sequence[np.ndarray], alarms: Sequence[bool], *, width: int = 3
) -> np.ndarray:
    """Object outlines drawn on the scan (see :func:`outline_layer`)."""
    _check_rgb(rgb)
    return composite(rgb, outline_layer(rgb.shape[:2], masks, alarms, width=width))


def outline_layer(
    shape: tuple[int, int],
    masks: Sequence[np.ndarray],
    alarms: Sequence[bool],
    *,
    width: int = 3,
    palette: str = "red_green",
) -> np.ndarray:
    """Object outlines as a transparent layer, red when the object alarmed (plus a red frame
    around it), green otherwise.

    Args:
        shape: (H, W) of the scan.
        masks: Boolean (H, W) object masks; empty ones are skipped.
        alarms: One flag per mask.
        width: Line width in pixels, of the outline (drawn inside the mask) and of the frame.
        palette: A key of :data:`PALETTES`.

    Returns:
        uint8 (H, W, 4) RGBA, alpha 255 on the lines and 0 elsewhere.
    """
    anomaly_rgb, benign_rgb = PALETTES[palette]
    if len(masks) != len(alarms):
        raise ValueError(f"{len(masks)} masks but {len(alarms)} alarm flags")
    width = max(1, int(width))
    out = np.zeros((*shape, 4), np.uint8)
    # Quiet objects first, so alarmed ones are drawn on top where they touch.
    order = sorted(range(len(masks)), key=lambda i: bool(alarms[i]))
    for i in order:
        mask = np.asarray(masks[i], dtype=bool)
        if mask.shape != tuple(shape):
            raise ValueError(f"mask {i} has shape {mask.shape}, the scan {tuple(shape)}")
        box = mask_box(mask)
        if box is None:
            continue
        colour = (*(anomaly_rgb if alarms[i] else benign_rgb), 255)
        sub = mask[box]
        eroded = ndimage.binary_erosion(sub, np.ones((3, 3), bool), iterations=width, border_value=0)
        out[box][sub & ~eroded] = colour
        if alarms[i]:
            _draw_frame(out, box, margin=2 * width, width=width, colour=colour)
    return out


def side_by_side(images: Sequence[np.ndarray], *, gap: int = 8) -> np.ndarray:
    """Panels in a row separated by ``gap`` white pixels, uint8 RGB.

    Grey (H, W) panels become RGB; shorter panels are centred vertically on white.
    """
    if not images:
        raise ValueError("no images to put side by side")
    panels = [_as_rgb(image) for image in images]
    height = max(p.shape[0] for p in panels)
    width = sum(p.shape[1] for p in panels) + gap * (len(panels) - 1)
    out = np.full((height, width, 3), GAP_RGB, np.uint8)
    x = 0
    for panel in panels:
        h, w = panel.shape[:2]
        top = (height - h) // 2
        out[top : top + h, x : x + w] = panel
        x += w + gap
    return out


def _inner_borders(labels: np.ndarray, width: int) -> np.ndarray:
    """Pixels of a labelled region within ``width`` pixels (chessboard distance) of another label.

    Outside the image counts as no label, so regions cut by the scan's edge are closed there.
    """
    size = 2 * width + 1
    highest = ndimage.maximum_filter(labels, size=size, mode="constant", cval=0)
    lowest = ndimage.minimum_filter(labels, size=size, mode="constant", cval=0)
    return (labels > 0) & ((highest != labels) | (lowest != labels))


def _draw_frame(
    out: np.ndarray, box: tuple[slice, slice], *, margin: int, width: int, colour: tuple[int, ...]
) -> None:
    rows, cols = box
    h, w = out.shape[:2]
    y0, y1 = max(0, rows.start - margin), min(h, rows.stop + margin)
    x0, x1 = max(0, cols.start - margin), min(w, cols.stop + margin)
    out[y0 : min(y1, y0 + width), x0:x1] = colour
    out[max(y0, y1 - width) : y1, x0:x1] = colour
    out[y0:y1, x0 : min(x1, x0 + width)] = colour
    out[y0:y1, max(x0, x1 - width) : x1] = colour


def _as_rgb(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise ValueError(f"expected uint8 panels, got {image.dtype}")
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    raise ValueError(f"expected (H, W) or (H, W, 3) panels, got shape {image.shape}")


def _check_rgb(rgb: np.ndarray) -> None:
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected a uint8 (H, W, 3) image, got {rgb.dtype} {rgb.shape}")
