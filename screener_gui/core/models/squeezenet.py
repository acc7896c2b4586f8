"""SqueezeNet 1.1 region classifier (torchvision's network with a 2-class conv classifier)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torchvision.models import squeezenet1_1

from screener_gui.core.models.base import ANOMALY, NUM_CLASSES, RegionClassifier


class SqueezeNetClassifier(RegionClassifier):
    """torchvision SqueezeNet 1.1; its 1x1 conv classifier already gives a per-location class map."""

    arch = "squeezenet"
    backbone_prefix = "net."

    def __init__(self):
        super().__init__()
        self.net = squeezenet1_1(weights=None, num_classes=NUM_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def predict_with_maps(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # Conv classifier + ReLU before the global average pool (dropout skipped: maps do not jitter).
        with torch.no_grad():
            scores = F.relu(self.net.classifier[1](self.net.features(x)))
            return scores.mean((2, 3)), scores[:, ANOMALY]
