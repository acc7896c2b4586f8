"""Multi-Attention CNN region classifier on VGG-16 relu5_3, with its grouping losses."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from screener_gui.core.models.base import ANOMALY, NUM_CLASSES, RegionClassifier, vgg16_conv


class MACNN(RegionClassifier):
    """Multi-Attention CNN (Zheng et al., ICCV 2017), single scale, on VGG-16 relu5_3.

    - Channel grouping: each of ``parts`` FC stacks (fc-tanh-fc-sigmoid) maps the channel descriptor
      (global average of every channel) to channel weights ``d_i`` in (0, 1). The part's score map is
      the ``d_i``-weighted mean of the channels; standardised over locations and soft-maxed, it is the
      attention map ``M_i`` (a distribution over locations, so its scale does not depend on the
      backbone's activation scale).
    - Part features ``P_i = sum_xy M_i(xy) f(xy)`` (attention-weighted pooling of relu5_3); one
      linear classifier per part and one on the concatenated parts, whose logits are the prediction.
    - Loss: CE(combined) + mean_i CE(part i) + ``distance_weight * Dis`` + ``diversity_weight * Div``.
      ``Dis`` (compactness) is the spatial variance of each ``M_i`` about its centre of mass, on
      coordinates scaled to [0, 1] (the paper measures about the peak; the centre of mass is its
      differentiable stand-in). ``Div = hw * sum_xy M_i(xy) max_{k != i} M_k(xy)``: 1 for identical
      uniform maps, 0 for disjoint ones (the paper's margin is a constant for normalised maps, so it is
      dropped). As in the paper's alternation, the grouping losses train only the grouping layers:
      they are computed on detached features.
    - Activation map: ``sum_i M_i(xy) * (w_i . f(xy))``, where ``w_i`` is the combined classifier's
      anomaly row restricted to part ``i``: the part attentions weighted by what each part's pooled
      features contribute to the anomaly logit at that location. Its sum over locations is exactly
      that logit minus its bias, as CAM is for ResNet.
    """

    arch = "macnn"

    def __init__(
        self, parts: int = 4, hidden: int = 256, distance_weight: float = 0.1, diversity_weight: float = 0.1
    ):
        super().__init__()
        channels = 512
        self.features = vgg16_conv()
        self.grouping = nn.ModuleList(
            nn.Sequential(nn.Linear(channels, hidden), nn.Tanh(), nn.Linear(hidden, channels), nn.Sigmoid())
            for _ in range(parts)
        )
        self.part_fc = nn.ModuleList(nn.Linear(channels, NUM_CLASSES) for _ in range(parts))
        self.fc = nn.Linear(parts * channels, NUM_CLASSES)
        self.distance_weight = distance_weight
        self.diversity_weight = diversity_weight

    def attention(self, fmap: torch.Tensor) -> torch.Tensor:
        """Part attention maps ``(N, parts, h, w)``, each summing to 1 over locations."""
        descriptor = fmap.mean((2, 3))
        weights = torch.stack([group(descriptor) for group in self.grouping], 1)  # (N, P, C)
        score = torch.einsum("npc,nchw->nphw", weights, fmap) / weights.sum(-1)[..., None, None]
        flat = score.flatten(2)
        flat = (flat - flat.mean(-1, keepdim=True)) / (flat.std(-1, keepdim=True, correction=0) + 1e-6)
        return flat.softmax(-1).view_as(score)

    def _logits(self, fmap: torch.Tensor, maps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        parts = torch.einsum("nphw,nchw->npc", maps, fmap)
        per_part = torch.stack([fc(parts[:, i]) for i, fc in enumerate(self.part_fc)], 1)
        return self.fc(parts.flatten(1)), per_part

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fmap = self.features(x)
        return self._logits(fmap, self.attention(fmap))[0]

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        fmap = self.features(x)
        logits, per_part = self._logits(fmap, self.attention(fmap))
        parts = per_part.shape[1]
        part_ce = F.cross_entropy(per_part.flatten(0, 1), y.repeat_interleave(parts))
        grouping_maps = self.attention(fmap.detach())
        total = (
            F.cross_entropy(logits, y)
            + part_ce
            + self.distance_weight * distance_loss(grouping_maps)
            + self.diversity_weight * diversity_loss(grouping_maps)
        )
        return total, logits

    def predict_with_maps(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            fmap = self.features(x)
            maps = self.attention(fmap)
            rows = self.fc.weight[ANOMALY].view(maps.shape[1], fmap.shape[1])
            return self._logits(fmap, maps)[0], torch.einsum("nphw,pc,nchw->nhw", maps, rows, fmap)


def distance_loss(maps: torch.Tensor) -> torch.Tensor:
    """Mean spatial variance of attention maps ``(N, P, h, w)`` (each sums to 1), coordinates in [0, 1]."""
    h, w = maps.shape[-2:]
    ys = torch.linspace(0, 1, h, device=maps.device)[:, None].expand(h, w)
    xs = torch.linspace(0, 1, w, device=maps.device)[None, :].expand(h, w)
    cy = (maps * ys).sum((2, 3), keepdim=True)
    cx = (maps * xs).sum((2, 3), keepdim=True)
    return (maps * ((ys - cy) ** 2 + (xs - cx) ** 2)).sum((2, 3)).mean()


def diversity_loss(maps: torch.Tensor) -> torch.Tensor:
    """Mean overlap of each attention map with the strongest other map at every location."""
    parts = maps.shape[1]
    overlaps = []
    for i in range(parts):
        others = torch.cat([maps[:, :i], maps[:, i + 1 :]], 1).amax(1)
        overlaps.append((maps[:, i] * others).sum((1, 2)))
    return torch.stack(overlaps, 1).mean() * maps[0, 0].numel()
