"""Dense whole-item anomaly detector: a per-pixel anomaly probability for an item, and an item score.

Why dense: an isolated superpixel crop on white cannot tell a hidden plate from a battery cell —
the difference lies in the layout of the whole item. This network sees the item at the scan's own
resolution with its context and gives every pixel an anomaly logit; superpixel scores are pooled
from that map (so the paper's red / green contours stay) and the map is the heatmap.

Architecture: the EfficientNet-Lite0 encoder (ImageNet start) at strides 4, 8, 16 and 32; a
light FPN decoder (1x1 laterals to ``channels``, top-down sums, two 3x3 convolutions at stride 4)
to one logit per stride-4 cell, bilinearly upsampled to the input; an item head on the decoder's
strongest responses (global max of the stride-32 and stride-4 features) and the dense map's own
statistics (its maximum and the mean of its highest logits), so the item score is learned, not the
maximum of region scores.

Input: uint8 false colour, (B, 3, H, W) normalised like Lite0 (mean 0.5, std 0.5; the weights' card
records it); any size (the encoder pads as TensorFlow's "same" does). Air is white.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from screener_gui.core.models.base import normalise
from screener_gui.core.models.lite0 import MEAN, STD, Lite0, load_imagenet

# Last Lite0 block at each output stride, and its channels.
_LEVELS = {4: (2, 24), 8: (4, 40), 16: (10, 112), 32: (15, 320)}
DECODER_CHANNELS = 64
TOP_SHARE = 0.01
"""Share of an item's pixels whose logits are averaged for the item head's "top" statistic."""


class DenseDetector(nn.Module):
    """Per-pixel anomaly logits and an item logit for crops of single items.

    Args:
        channels: Decoder width.
        pretrained: Start the encoder from the packaged ImageNet weights (and keep its stem and
            first stride-2 block frozen, with frozen batch-norm statistics: small batches).
        mean, std: The input normalisation (default Lite0's); a loaded model takes its weights'
            (:class:`~.card.DenseCard`).
    """

    arch = "dense_lite0"

    def __init__(
        self,
        *,
        channels: int = DECODER_CHANNELS,
        pretrained: bool = True,
        mean: tuple[float, float, float] = MEAN,
        std: tuple[float, float, float] = STD,
    ) -> None:
        super().__init__()
        self.mean, self.std = tuple(mean), tuple(std)
        self.encoder = Lite0()
        self.pretrained = pretrained
        if pretrained:
            load_imagenet(self.encoder)
            for module in (self.encoder._conv_stem, self.encoder._bn0, *self.encoder._blocks[:2]):
                module.requires_grad_(False)
        del self.encoder._fc, self.encoder._conv_head, self.encoder._bn1  # classification head unused
        self.laterals = nn.ModuleDict({str(s): nn.Conv2d(c, channels, 1) for s, (_, c) in _LEVELS.items()})
        self.smooth = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(inplace=True),
        )
        self.pixel = nn.Conv2d(channels, 1, 1)
        self.item = nn.Sequential(nn.Linear(2 * channels + 2, 64), nn.ReLU(inplace=True), nn.Linear(64, 1))
        nn.init.constant_(self.pixel.bias, -4.0)  # anomalies are rare: start near p = 0.02

    def train(self, mode: bool = True) -> DenseDetector:
        super().train(mode)
        if self.pretrained:
            for module in self.encoder.modules():
                if isinstance(module, nn.BatchNorm2d):
                    module.eval()
        return self

    def normalise(self, rgb: torch.Tensor) -> torch.Tensor:
        """uint8 (B, 3, H, W) false colour → the network's input (float, the model's normalisation)."""
        return normalise(rgb, self.mean, self.std)

    def _pyramid(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The decoder's stride-4 map and the encoder's stride-32 lateral."""
        maps, first = {}, 0
        for stride, (last, _) in _LEVELS.items():
            x = self.encoder.run_blocks(x, first, last)
            maps[stride] = self.laterals[str(stride)](x)
            first = last + 1
        top = maps[32]
        merged = top
        for stride in (16, 8, 4):
            merged = maps[stride] + F.interpolate(merged, size=maps[stride].shape[-2:], mode="nearest")
        return self.smooth(merged), top

    def forward(
        self, x: torch.Tensor, valid: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Pixel logits (B, 1, H, W) and item logits (B,).

        Args:
            x: Normalised input (see :meth:`normalise`).
            valid: Optional boolean (B, 1, H, W): the item's own pixels; the item head's map
                statistics look only there (default: everywhere).
        """
        logits, features = self.features(x, valid)
        return logits, self.item(features).squeeze(1)

    def features(
        self, x: torch.Tensor, valid: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Pixel logits (B, 1, H, W) and the item head's input (B, 2 x channels + 2): the strongest
        decoder and stride-32 responses, the item's highest logit and the mean of its top
        :data:`TOP_SHARE` logits."""
        height, width = x.shape[-2:]
        fine, top = self._pyramid(x)
        logits = F.interpolate(self.pixel(fine), size=(height, width), mode="bilinear", align_corners=False)
        if valid is None:
            valid = torch.ones_like(logits, dtype=torch.bool)
        masked = logits.masked_fill(~valid, -1e4).flatten(1)
        smallest = int(valid.flatten(1).sum(1).min())
        best = masked.topk(max(1, int(TOP_SHARE * smallest)), dim=1).values
        features = torch.cat(
            [
                F.adaptive_max_pool2d(fine, 1).flatten(1),
                F.adaptive_max_pool2d(top, 1).flatten(1),
                best[:, :1],
                best.mean(1, keepdim=True),
            ],
            dim=1,
        )
        return logits, features
