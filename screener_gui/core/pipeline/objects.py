"""Object level: electronics items found by the Mask R-CNN segmenter, and how well they match truth."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from screener_gui.core.models.card import check_segmenter_metadata
from screener_gui.core.models.segmenter import build_segmenter
from screener_gui.core.weights import load_state, load_weights

SEGMENTER_KIND = "segmenter"


@dataclass(frozen=True)
class ObjectInstance:
    """An electronics item in a scan.

    Attributes:
        index: 0-based position in the result (objects are sorted by score, best first).
        category: Electronics class (laptop, tablet, phone, ...).
        score: Detector confidence in [0, 1].
        box: (x0, y0, x1, y1) in scan pixels, end-exclusive.
        mask: bool (H, W) footprint in scan coordinates.
    """

    index: int
    category: str
    score: float
    box: tuple[int, int, int, int]
    mask: np.ndarray

    @property
    def area(self) -> int:
        return int(self.mask.sum())


def image_tensor(rgb: np.ndarray) -> torch.Tensor:
    """uint8 (H, W, 3) → float (3, H, W) in [0, 1], the segmenter's input."""
    return torch.from_numpy(np.array(rgb, dtype=np.uint8)).permute(2, 0, 1).float().div_(255.0)


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over the smaller mask: one item found twice (as two classes) overlaps ~1."""
    inter = np.count_nonzero(a & b)
    return inter / max(1, min(np.count_nonzero(a), np.count_nonzero(b)))


class Segmenter:
    """A trained Mask R-CNN with its metadata (classes, thresholds), ready to run on scans."""

    def __init__(self, model: torch.nn.Module, metadata: dict, device: str | torch.device = "cpu"):
        self.model = model.to(device).eval()
        self.metadata = metadata
        self.device = torch.device(device)
        self.categories: list[str] = list(metadata["categories"])
        self.score_threshold = float(metadata.get("score_threshold", 0.5))
        self.mask_threshold = float(metadata.get("mask_threshold", 0.5))

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "cpu") -> Segmenter:
        tensors, meta = load_weights(path, kind=SEGMENTER_KIND)
        check_segmenter_metadata(meta, path)  # WeightsError naming the field, before anything is built
        model = build_segmenter(
            meta["backbone"],
            len(meta["categories"]) + 1,
            min_size=meta["min_size"],
            max_size=meta["max_size"],
        )
        load_state(model, tensors, path)
        return cls(model, meta, device)

    @torch.inference_mode()
    def detect(self, rgb: np.ndarray) -> tuple[ObjectInstance, ...]:
        """Items in ``rgb`` (uint8 H x W x 3), best first; one item found as two classes is kept once."""
        out = self.model([image_tensor(rgb).to(self.device)])[0]
        keep = out["scores"] >= self.score_threshold
        scores = out["scores"][keep].cpu().numpy()
        labels = out["labels"][keep].cpu().numpy()
        masks = (out["masks"][keep, 0] >= self.mask_threshold).cpu().numpy()
        kept: list[ObjectInstance] = []
        for i in np.argsort(-scores, kind="stable"):
            mask = masks[i]
            if not mask.any() or any(_overlap(mask, k.mask) > 0.5 for k in kept):
                continue
            kept.append(
                ObjectInstance(len(kept), self.categories[labels[i] - 1], float(scores[i]), _box(mask), mask)
            )
        return tuple(kept)


def match_objects(masks: list[np.ndarray], truth: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Match predicted masks to the ground-truth label map one-to-one, greedily by IoU.

    Returns:
        ious: (number of true objects,) best IoU of each true object with its matched prediction,
            0 where no prediction overlaps it (a missed item counts as IoU 0).
        pairs: (true object value - 1, prediction index) for matches with IoU > 0.
    """
    values = [v for v in np.unique(truth) if v != 0]
    table = np.zeros((len(values), len(masks)))
    for t, v in enumerate(values):
        gt = truth == v
        for p, m in enumerate(masks):
            inter = np.count_nonzero(gt & m)
            table[t, p] = inter / max(1, np.count_nonzero(gt | m)) if inter else 0.0
    ious, pairs = np.zeros(len(values)), []
    while table.size and table.max() > 0:
        t, p = np.unravel_index(np.argmax(table), table.shape)
        ious[t] = table[t, p]
        pairs.append((int(values[t]) - 1, int(p)))
        table[t, :] = 0
        table[:, p] = 0
    return ious, pairs
