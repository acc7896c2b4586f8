"""The dense whole-item detector at inference: one network pass per found item.

Each item is cut out at the scan's own resolution (its mask's box plus the margin it was trained
with), the network gives a per-pixel anomaly probability and an item probability. The probability
map is the heatmap; a superpixel's score is the mean of its highest :data:`TOP_SHARE` of pixels
(a small threat inside a large superpixel still lifts it); the item score is the item head's,
learned on item labels, not the maximum of region scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from screener_gui.core.models.card import DenseCard
from screener_gui.core.models.dense import DenseDetector
from screener_gui.core.models.registry import build
from screener_gui.core.pipeline.superpixels import Superpixels
from screener_gui.core.weights import load_state, load_weights

KIND = "dense_detector"
TOP_SHARE = 0.2
"""Share of a superpixel's pixels, the highest-scoring ones, whose mean is its score."""
MAX_SIDE_PX = 1400
"""Items larger than this (pixels, either side) are scored at a reduced scale, to bound time and memory."""


@dataclass(frozen=True)
class DenseScores:
    """What the dense detector says about one scan's items.

    Attributes:
        item_scores: float32 (n items,) anomaly probability of each item (item head).
        maps: Per item, float32 (h, w) pixel probabilities over its box.
        boxes: Per item, (y0, x0, y1, x1) of its map in the scan (end exclusive).
    """

    item_scores: np.ndarray
    maps: tuple[np.ndarray, ...]
    boxes: tuple[tuple[int, int, int, int], ...]

    def heatmap(self, shape: tuple[int, int], masks: list[np.ndarray]) -> np.ndarray:
        """float32 (H, W): each item's probabilities on its own pixels, NaN elsewhere."""
        heat = np.full(shape, np.nan, np.float32)
        for mask, prob, (y0, x0, y1, x1) in zip(masks, self.maps, self.boxes, strict=True):
            inside = mask[y0:y1, x0:x1]
            window = heat[y0:y1, x0:x1]
            window[inside] = np.fmax(window[inside], prob[inside])
        return heat

    def superpixel_scores(self, sp: Superpixels) -> np.ndarray:
        """float32 (n,): superpixel ``l``'s score at ``l - 1``, the mean of its top pixels."""
        scores = np.zeros(sp.count, np.float32)
        for index, (prob, (y0, x0, y1, x1)) in enumerate(zip(self.maps, self.boxes, strict=True)):
            labels = sp.labels[y0:y1, x0:x1]
            for label in np.unique(labels[labels > 0]):
                if sp.object_of[label] != index:
                    continue
                values = np.sort(prob[labels == label])[::-1]
                scores[label - 1] = values[: max(1, int(np.ceil(TOP_SHARE * values.size)))].mean()
        return scores


class DenseModel:
    """A trained :class:`DenseDetector` with its card, on a device."""

    def __init__(self, model: DenseDetector, card: DenseCard, device: torch.device) -> None:
        self.model, self.card, self.device = model.eval().to(device), card, device
        self.metadata = card.to_metadata()
        self.margin = card.item_margin_px

    @classmethod
    def load(cls, path: str | Path, device: torch.device) -> DenseModel:
        """Read a ``dense_detector`` weights file (never unpickled).

        The network is the registered architecture its card names, with the card's normalisation.

        Raises:
            WeightsError: Not such a file, a card that is not valid, or tensors that do not fit.
        """
        tensors, metadata = load_weights(path, kind=KIND)
        card = DenseCard.from_metadata(metadata, path)
        model = build(card.arch, kind=KIND, pretrained=False, mean=card.mean, std=card.std)
        load_state(model, tensors, path)
        return cls(model, card, device)

    @torch.no_grad()
    def score(self, rgb: np.ndarray, masks: list[np.ndarray]) -> DenseScores:
        """Probability maps and item scores of the items with ``masks`` in the scan ``rgb``."""
        height, width = rgb.shape[:2]
        scores, maps, boxes = [], [], []
        for mask in masks:
            rows, cols = np.nonzero(mask)
            if rows.size == 0:
                scores.append(0.0)
                maps.append(np.zeros((0, 0), np.float32))
                boxes.append((0, 0, 0, 0))
                continue
            y0, x0 = max(int(rows.min()) - self.margin, 0), max(int(cols.min()) - self.margin, 0)
            y1 = min(int(rows.max()) + self.margin + 1, height)
            x1 = min(int(cols.max()) + self.margin + 1, width)
            crop = torch.from_numpy(np.ascontiguousarray(rgb[y0:y1, x0:x1].transpose(2, 0, 1)))[None]
            inside = torch.from_numpy(np.ascontiguousarray(mask[y0:y1, x0:x1]))[None, None]
            scale = min(1.0, MAX_SIDE_PX / max(y1 - y0, x1 - x0))
            x = self.model.normalise(crop.to(self.device))
            valid = inside.to(self.device)
            if scale < 1.0:
                size = (max(1, round((y1 - y0) * scale)), max(1, round((x1 - x0) * scale)))
                x = torch.nn.functional.interpolate(x, size=size, mode="bilinear", align_corners=False)
                valid = torch.nn.functional.interpolate(valid.float(), size=size, mode="nearest") > 0.5
            logits, item = self.model(x, valid)
            if scale < 1.0:
                logits = torch.nn.functional.interpolate(logits, size=(y1 - y0, x1 - x0), mode="bilinear")
            maps.append(torch.sigmoid(logits)[0, 0].float().cpu().numpy())
            scores.append(float(torch.sigmoid(item)[0]))
            boxes.append((y0, x0, y1, x1))
        return DenseScores(np.array(scores, np.float32), tuple(maps), tuple(boxes))
