"""Object inputs for superpixel-pooled classification (the fast mode) and its heatmap.

An object input is the object isolated on white (air) with a small margin, its superpixels
renumbered 1..n, and where it sits in the scan. Training (from ground-truth masks) and screening
(from the segmenter's masks) build it with the same function, and batch it with the same one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from screener_gui.core.models.pooled import ALIGN
from screener_gui.core.pipeline.superpixels import AIR, Superpixels, mask_box

MARGIN = 8  # px of air kept around the object, so its outline is seen as an outline


@dataclass(frozen=True)
class ObjectInput:
    """One object ready for pooled classification.

    Attributes:
        image: uint8 (h, w, 3), the object on white.
        labels: int32 (h, w), its superpixels numbered 1..n, 0 off the object.
        ids: int32 (n,), the scan superpixel label of local label i + 1.
        box: (y0, x0, y1, x1) of ``image`` in the scan.
    """

    image: np.ndarray
    labels: np.ndarray
    ids: np.ndarray
    box: tuple[int, int, int, int]

    @property
    def count(self) -> int:
        return len(self.ids)


def object_input(rgb: np.ndarray, sp: Superpixels, index: int, margin: int = MARGIN) -> ObjectInput | None:
    """Object ``index`` of ``sp`` cut out of the scan; None when it has no superpixels."""
    ids = sp.of_object(index)
    if ids.size == 0:
        return None
    mine = sp.object_of[sp.labels] == index
    rows, cols = mask_box(mine)
    height, width = sp.labels.shape
    y0, y1 = max(0, rows.start - margin), min(height, rows.stop + margin)
    x0, x1 = max(0, cols.start - margin), min(width, cols.stop + margin)
    inside = mine[y0:y1, x0:x1]
    image = np.full((y1 - y0, x1 - x0, 3), AIR, np.uint8)
    image[inside] = rgb[y0:y1, x0:x1][inside]
    lookup = np.zeros(sp.count + 1, np.int32)
    lookup[ids] = np.arange(1, ids.size + 1, dtype=np.int32)
    labels = np.where(inside, lookup[sp.labels[y0:y1, x0:x1]], 0).astype(np.int32)
    return ObjectInput(image, labels, ids.astype(np.int32), (y0, x0, y1, x1))


def scaled_size(shape: tuple[int, int], scale: float) -> tuple[int, int]:
    return max(1, round(shape[0] * scale)), max(1, round(shape[1] * scale))


def input_batch(
    images: list[np.ndarray],
    labels: list[np.ndarray],
    scale: float,
    mean: tuple[float, ...],
    std: tuple[float, ...],
    device: torch.device | str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Scale object images (bilinear) and labels (nearest) by ``scale`` and pad them on white, at
    the top left, to one size that is a multiple of :data:`ALIGN`.

    Returns:
        normalised ``(B, 3, H, W)`` inputs and int64 ``(B, H, W)`` labels (0 in the padding).
    """
    sizes = [scaled_size(im.shape[:2], scale) for im in images]
    big_h = -(-max(s[0] for s in sizes) // ALIGN) * ALIGN
    big_w = -(-max(s[1] for s in sizes) // ALIGN) * ALIGN
    x = torch.ones((len(images), 3, big_h, big_w), device=device)
    y = torch.zeros((len(images), big_h, big_w), dtype=torch.int64, device=device)
    for b, (image, label, (h, w)) in enumerate(zip(images, labels, sizes, strict=True)):
        im = torch.from_numpy(np.ascontiguousarray(image)).to(device).permute(2, 0, 1)[None].float() / 255.0
        lab = torch.from_numpy(np.ascontiguousarray(label)).to(device)[None, None].float()
        if (h, w) != image.shape[:2]:
            im = F.interpolate(im, size=(h, w), mode="bilinear", align_corners=False, antialias=scale < 1)
            lab = F.interpolate(lab, size=(h, w), mode="nearest")
        x[b, :, :h, :w] = im[0]
        y[b, :h, :w] = lab[0, 0].long()
    mean_t = torch.tensor(mean, device=device).view(1, 3, 1, 1)
    std_t = torch.tensor(std, device=device).view(1, 3, 1, 1)
    return (x - mean_t) / std_t, y


def place_heat(
    heat: np.ndarray, item: ObjectInput, amap: np.ndarray, scores: np.ndarray, scale: float, stride: int
) -> None:
    """Write one object's evidence into the scan heatmap: its anomaly map (at ``stride`` over the
    padded input; normalised over the object, for display only) times the probability of the
    superpixel under each pixel."""
    h, w = scaled_size(item.labels.shape, scale)
    up = F.interpolate(
        torch.from_numpy(amap.astype(np.float32))[None, None],
        scale_factor=stride,
        mode="bilinear",
        align_corners=False,
    )[:, :, :h, :w]
    up = F.interpolate(up, size=item.labels.shape, mode="bilinear", align_corners=False)[0, 0].numpy()
    inside = item.labels > 0
    lo, hi = float(up[inside].min()), float(up[inside].max())
    norm = (up - lo) / (hi - lo) if hi > lo else np.ones_like(up)
    probability = np.concatenate([[0.0], scores]).astype(np.float32)[item.labels]
    y0, x0, y1, x1 = item.box
    heat[y0:y1, x0:x1][inside] = (norm * probability)[inside]
