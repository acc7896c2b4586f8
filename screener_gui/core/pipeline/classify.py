"""Region classification: anomaly scores and activation maps of region crops, and the scan heatmap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from screener_gui.core.models.card import ClassifierCard
from screener_gui.core.models.pooled import pooled_logits
from screener_gui.core.models.registry import CLASSIFIER_KIND, build_classifier
from screener_gui.core.pipeline.pooled import input_batch, object_input, place_heat
from screener_gui.core.pipeline.regions import padded_box
from screener_gui.core.pipeline.superpixels import Superpixels
from screener_gui.core.weights import WeightsError, load_state, load_weights


class RegionModel:
    """A trained region classifier with its card: architecture, strategy, input, thresholds.

    ``mode`` is how sub-components are classified: "crop" (the paper: each superpixel's own
    190x150 crop) or "pooled" (the fast mode: the DFL network runs once per object, scaled by
    ``input_scale``, and pools each superpixel's logits; see :mod:`~.models.pooled`). Without a
    calibrated object threshold, an object alarms at the region threshold.

    Raises:
        ValueError: The card has no region threshold.
    """

    def __init__(self, model: torch.nn.Module, card: ClassifierCard, device: str | torch.device = "cpu"):
        if card.region_threshold is None:
            raise ValueError("the classifier has no region threshold: train or calibrate it first")
        self.model = model.to(device).eval()
        self.card = card
        self.metadata = card.to_metadata()
        self.device = torch.device(device)
        self.strategy = card.strategy
        self.input_size = card.input_size
        self.region_threshold = card.region_threshold
        self.object_threshold = (
            card.region_threshold if card.object_threshold is None else card.object_threshold
        )
        self.mode = card.mode
        self.input_scale = card.input_scale

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "cpu") -> RegionModel:
        """Read a ``classifier`` weights file (never unpickled).

        Raises:
            WeightsError: Not such a file, a card that is not valid or has no region threshold, or
                tensors that do not fit the architecture.
        """
        tensors, metadata = load_weights(path, kind=CLASSIFIER_KIND)
        card = ClassifierCard.from_metadata(metadata, path)
        if card.region_threshold is None:
            raise WeightsError(path, "it has no region_threshold: train or calibrate it first")
        model = build_classifier(card.arch)
        load_state(model, tensors, path)
        return cls(model, card, device)

    @torch.inference_mode()
    def score(self, crops: np.ndarray, batch: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """Anomaly probabilities (N,) and activation maps (N, h, w) of uint8 crops (N, H, W, 3)."""
        if crops.shape[1:3] != self.input_size:
            raise ValueError(f"crops are {crops.shape[1:3]}, the classifier expects {self.input_size}")
        probs, maps = [], []
        for i in range(0, len(crops), batch):
            x = self.card.normalise(crops[i : i + batch], self.device)
            logits, amap = self.model.predict_with_maps(x)
            probs.append(torch.softmax(logits.float(), 1)[:, 1].cpu())
            maps.append(amap.float().cpu())
        if not probs:
            return np.zeros(0, np.float32), np.zeros((0, 1, 1), np.float32)
        return torch.cat(probs).numpy(), torch.cat(maps).numpy()

    @torch.inference_mode()
    def score_objects(
        self, rgb: np.ndarray, sp: Superpixels, objects: int, batch: int = 4
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pooled mode: anomaly probabilities (sp.count,) of all superpixels and the scan heatmap
        (activation x probability, NaN outside objects)."""
        scores = np.zeros(sp.count, np.float32)
        heat = np.full(rgb.shape[:2], np.nan, np.float32)
        items = [item for i in range(objects) if (item := object_input(rgb, sp, i)) is not None]
        items.sort(key=lambda item: item.labels.size)  # similar sizes share a batch: less padding
        mean, std = self.card.mean, self.card.std
        for start in range(0, len(items), batch):
            chunk = items[start : start + batch]
            x, labels = input_batch(
                [c.image for c in chunk], [c.labels for c in chunk], self.input_scale, mean, std, self.device
            )
            for item, out in zip(
                chunk, pooled_logits(self.model, x, labels, [c.count for c in chunk]), strict=True
            ):
                probability = torch.softmax(out.combined.float(), 1)[:, 1].cpu().numpy()
                scores[item.ids - 1] = probability
                amap = out.anomaly_map.float().cpu().numpy()
                place_heat(heat, item, amap, probability, self.input_scale, self.model.trunk.stride)
        return scores, heat


def _place(
    heat: np.ndarray,
    amap: np.ndarray,
    box: tuple[int, int, int, int],
    size: tuple[int, int],
    region: np.ndarray,
    weight: float,
) -> None:
    """Write one crop's activation map, normalised to [0, 1] and scaled by ``weight``, into ``heat``
    where ``region`` (the region's pixels within ``box``) is set; the map covers the crop's padded box."""
    py0, px0, py1, px1 = padded_box(box, size)
    lo, hi = float(amap.min()), float(amap.max())
    norm = (amap - lo) / (hi - lo) if hi > lo else np.ones_like(amap)
    up = F.interpolate(
        torch.from_numpy(norm)[None, None], size=(py1 - py0, px1 - px0), mode="bilinear", align_corners=False
    )[0, 0].numpy()
    y0, x0, y1, x1 = box
    patch = up[y0 - py0 : y1 - py0, x0 - px0 : x1 - px0]
    heat[y0:y1, x0:x1][region] = weight * patch[region]


def superpixel_heatmap(
    shape: tuple[int, int],
    sp: Superpixels,
    boxes: np.ndarray,
    maps: np.ndarray,
    scores: np.ndarray,
    size: tuple[int, int],
) -> np.ndarray:
    """Scan heatmap for display: each superpixel's activation map (normalised within its crop)
    times its anomaly probability; NaN outside objects. Decisions never read it."""
    heat = np.full(shape, np.nan, np.float32)
    for i in range(sp.count):
        y0, x0, y1, x1 = (int(v) for v in boxes[i])
        if y1 > y0:
            region = sp.labels[y0:y1, x0:x1] == i + 1
            _place(heat, maps[i], (y0, x0, y1, x1), size, region, float(scores[i]))
    return heat


def object_heatmap(
    shape: tuple[int, int],
    masks: list[np.ndarray],
    maps: np.ndarray,
    scores: np.ndarray,
    size: tuple[int, int],
) -> np.ndarray:
    """The same for whole-object crops (object strategy)."""
    heat = np.full(shape, np.nan, np.float32)
    for mask, amap, score in zip(masks, maps, scores, strict=True):
        rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
        y0, x0, y1, x1 = rows[0], cols[0], rows[-1] + 1, cols[-1] + 1
        _place(heat, amap, (y0, x0, y1, x1), size, mask[y0:y1, x0:x1], float(score))
    return heat
