"""VGG-16 region classifier (torchvision's network with a 2-class fc8), Grad-CAM activation maps."""

from __future__ import annotations

import torch
from torchvision.models import vgg16

from screener_gui.core.models.base import NUM_CLASSES, VGG_RELU5_3, RegionClassifier, grad_cam


class VGG16Classifier(RegionClassifier):
    """torchvision VGG-16 (fc6, fc7 and a 2-class fc8); activation map = Grad-CAM on relu5_3."""

    arch = "vgg16"
    backbone_prefix = "net."

    def __init__(self):
        super().__init__()
        self.net = vgg16(weights=None, num_classes=NUM_CLASSES)

    def _head(self, relu5_3: torch.Tensor) -> torch.Tensor:
        pooled = self.net.avgpool(self.net.features[VGG_RELU5_3:](relu5_3))
        return self.net.classifier(torch.flatten(pooled, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._head(self.net.features[:VGG_RELU5_3](x))

    def predict_with_maps(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return grad_cam(self.net.features[:VGG_RELU5_3], self._head, x)
