"""Contact sheets: many scans tiled into one image for a quick look."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw


def contact_sheet(
    images: list[np.ndarray], captions: list[str] | None = None, *, columns: int = 4, tile_width: int = 320
) -> np.ndarray:
    """Tile uint8 RGB images (any sizes) into one RGB image, each scaled to ``tile_width``.

    Args:
        images: uint8 (H, W, 3) arrays.
        captions: Optional text drawn under each tile.
        columns: Tiles per row.
        tile_width: Width of each tile in pixels; heights keep each image's aspect ratio
            within a common row height.
    """
    if not images:
        raise ValueError("contact_sheet needs at least one image")
    aspect = max(im.shape[0] / im.shape[1] for im in images)
    caption_h = 18 if captions else 0
    tile_h = round(tile_width * aspect)
    rows = (len(images) + columns - 1) // columns
    gap = 6
    sheet = Image.new(
        "RGB", (columns * (tile_width + gap) + gap, rows * (tile_h + caption_h + gap) + gap), (40, 40, 40)
    )
    draw = ImageDraw.Draw(sheet)
    for i, im in enumerate(images):
        r, c = divmod(i, columns)
        x = gap + c * (tile_width + gap)
        y = gap + r * (tile_h + caption_h + gap)
        h = round(tile_width * im.shape[0] / im.shape[1])
        tile = Image.fromarray(im).resize((tile_width, h), Image.Resampling.LANCZOS)
        sheet.paste(tile, (x, y))
        if captions:
            draw.text((x + 2, y + tile_h + 3), captions[i], fill=(230, 230, 230))
    return np.asarray(sheet)


def outline_truth(
    rgb: np.ndarray, objects_mask: np.ndarray, anomalies_mask: np.ndarray, *, width_px: int = 3
) -> np.ndarray:
    """The scan with ground truth drawn on it: item outlines yellow, anomaly outlines red.

    Args:
        rgb: uint8 (H, W, 3) false-colour scan.
        objects_mask: (H, W) label map of electronics items (0 = none).
        anomalies_mask: (H, W) label map of concealed anomalies (0 = none).
        width_px: Line width in pixels (thick enough to survive a thumbnail).
    """
    from scipy import ndimage
    from skimage.segmentation import find_boundaries

    grow = max(width_px - 1, 0)
    out = rgb.copy()
    for labels, colour in ((objects_mask, (255, 210, 0)), (anomalies_mask, (230, 0, 0))):
        edge = find_boundaries(labels, mode="inner")
        if grow:
            edge = ndimage.binary_dilation(edge, iterations=grow) & (labels > 0)
        out[edge] = colour
    return out
