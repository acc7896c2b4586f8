"""DFL applied to whole objects with superpixel pooling: the design's fast mode.

The paper classifies every superpixel crop separately. Here the DFL network runs once on the
isolated object and each superpixel's logits are pooled from the object's feature maps
(Convolutional Feature Masking, Dai et al. 2015; Superpixel Pooling, Kwak et al. 2017):

- P-stream: the bank responses are max-pooled over the feature cells the superpixel covers (cells
  covered at least half as much as its best-covered cell), then the same linear layer;
- side branch: the mean of each class's pooled responses, as in :class:`~.dfl.DFL`;
- G-stream: the G-stream's last map, averaged with weights equal to the superpixel's cover of
  each cell, then the same linear head.

The parameters are those of a :class:`~.dfl.DFL` model, so a model trained this way is stored
and loaded like any other DFL classifier; the weights' metadata says how it is applied. Besides
the 10-fold saving on CPU, each sub-component is judged in its object's context at the scan's
own scale, which a 190x150 crop of it alone loses.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from screener_gui.core.models.base import NUM_CLASSES
from screener_gui.core.models.dfl import DFL, SIDE_WEIGHT

ALIGN = 32  # object inputs are padded to a multiple of the coarsest stride


@dataclass(frozen=True)
class PooledLogits:
    """Per-superpixel logits ``(n, 2)`` of the three streams and the object's anomaly map."""

    g: torch.Tensor
    p: torch.Tensor
    side: torch.Tensor
    anomaly_map: torch.Tensor  # (h, w) mean anomaly-filter response at the bank's stride

    @property
    def combined(self) -> torch.Tensor:
        """The prediction: the same weighted sum of logits the crop-wise DFL uses."""
        return self.g + self.p + SIDE_WEIGHT * self.side


def coverage(labels: torch.Tensor, count: int, size: tuple[int, int]) -> torch.Tensor:
    """Share of each cell of an ``size`` grid covered by each superpixel.

    Args:
        labels: int64 ``(H, W)`` superpixel labels 1..count (0 outside), H and W multiples of the
            grid's cell size.
        count: number of superpixels.
        size: ``(h, w)`` of the feature map.

    Returns:
        float ``(count, h, w)`` in [0, 1].
    """
    big_h, big_w = labels.shape
    h, w = size
    step_y, step_x = big_h // h, big_w // w
    if step_y * h != big_h or step_x * w != big_w:
        raise ValueError(f"labels {tuple(labels.shape)} are not a whole number of {size} cells")
    ys = torch.arange(big_h, device=labels.device) // step_y
    xs = torch.arange(big_w, device=labels.device) // step_x
    cell = (ys[:, None] * w + xs[None, :]).expand(big_h, big_w)
    inside = labels > 0
    index = (labels[inside] - 1) * (h * w) + cell[inside]
    counts = torch.bincount(index, minlength=count * h * w)[: count * h * w]
    return counts.view(count, h, w).float() / (step_y * step_x)


def pool_superpixels(
    model: DFL,
    fmap: torch.Tensor,
    responses: torch.Tensor,
    gmap: torch.Tensor,
    labels: torch.Tensor,
    count: int,
) -> PooledLogits:
    """The three streams' logits of superpixels 1..count of one object.

    Args:
        fmap, responses, gmap: the object's bank input ``(C, h, w)``, bank responses ``(2k, h, w)``
            and G-stream map ``(Cg, hg, wg)``.
        labels: int64 ``(H, W)`` superpixel labels of the object input.
    """
    cover = coverage(labels, count, tuple(responses.shape[-2:]))
    best = cover.flatten(1).amax(1).clamp_min(1e-6)
    cells = cover >= 0.5 * best[:, None, None]
    pooled = responses[None].masked_fill(~cells[:, None], float("-inf")).amax((2, 3))
    side = pooled.view(count, NUM_CLASSES, model.filters_per_class).mean(-1)
    weights = coverage(labels, count, tuple(gmap.shape[-2:])).flatten(1)
    weights = weights / weights.sum(1, keepdim=True).clamp_min(1e-6)
    g = model.trunk.global_head(weights @ gmap.flatten(1).T)
    return PooledLogits(g, model.p_fc(pooled), side, model._anomaly_map(responses[None])[0])


def pooled_logits(model: DFL, x: torch.Tensor, labels: torch.Tensor, counts: list[int]) -> list[PooledLogits]:
    """Run ``model`` once on a batch of object inputs and pool each object's superpixels.

    Args:
        x: ``(B, 3, H, W)`` normalised object inputs, H and W multiples of :data:`ALIGN`.
        labels: int64 ``(B, H, W)`` superpixel labels, 1..counts[b] in image b, 0 elsewhere.
        counts: superpixels per image (an image with none gets empty logits).
    """
    fmap = model.trunk.shared(x)
    responses = model.bank(fmap)
    gmap = model.trunk.global_map(fmap)
    return [
        pool_superpixels(model, fmap[b], responses[b], gmap[b], labels[b], counts[b]) for b in range(len(x))
    ]


def pooled_loss(outputs: list[PooledLogits], targets: list[torch.Tensor]) -> torch.Tensor:
    """``CE_G + CE_P + 0.1 CE_side`` over the labelled superpixels of a batch, classes weighted
    equally (the minority up-sampling of the crop-wise training, done by weights); targets of -1
    (neither clearly anomaly nor benign) are left out."""
    g = torch.cat([o.g for o in outputs])
    p = torch.cat([o.p for o in outputs])
    side = torch.cat([o.side for o in outputs])
    y = torch.cat(targets)
    keep = y >= 0
    g, p, side, y = g[keep], p[keep], side[keep], y[keep]
    if len(y) == 0:
        return g.sum() * 0.0
    present = torch.bincount(y, minlength=NUM_CLASSES).float()
    class_weight = torch.where(present > 0, 1.0 / present.clamp_min(1), torch.zeros_like(present))
    w = class_weight[y] / class_weight[y].sum()

    def ce(logits: torch.Tensor) -> torch.Tensor:
        return (F.cross_entropy(logits, y, reduction="none") * w).sum()

    return ce(g) + ce(p) + SIDE_WEIGHT * ce(side)
