"""Bilinear CNN region classifier on VGG-16 relu5_3, Grad-CAM activation maps."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from screener_gui.core.models.base import NUM_CLASSES, RegionClassifier, grad_cam, vgg16_conv


class BCNN(RegionClassifier):
    """Bilinear CNN (Lin, RoyChowdhury, Maji 2015), symmetric, on VGG-16 relu5_3.

    The 512x512 outer product of the relu5_3 vectors is averaged over locations, passed through a
    signed square root (with ``eps`` inside the root so its gradient stays finite at 0), L2 normalised
    and classified by one linear layer.
    """

    arch = "bcnn"

    def __init__(self, eps: float = 1e-5):
        super().__init__()
        self.features = vgg16_conv()
        self.fc = nn.Linear(512 * 512, NUM_CLASSES)
        self.eps = eps

    def _head(self, fmap: torch.Tensor) -> torch.Tensor:
        flat = fmap.flatten(2)
        gram = (flat @ flat.transpose(1, 2) / flat.shape[-1]).flatten(1)
        gram = torch.sign(gram) * torch.sqrt(gram.abs() + self.eps)
        return self.fc(F.normalize(gram, dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._head(self.features(x))

    def predict_with_maps(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return grad_cam(self.features, self._head, x)
