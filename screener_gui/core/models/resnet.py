"""ResNet-18 / ResNet-50 region classifiers (torchvision's networks with a 2-class ``fc``)."""

from __future__ import annotations

import torch
from torchvision.models import resnet18, resnet50

from screener_gui.core.models.base import ANOMALY, NUM_CLASSES, RegionClassifier


class ResNetClassifier(RegionClassifier):
    """torchvision ResNet with a 2-class ``fc``; activation map = CAM (Zhou et al. 2016)."""

    backbone_prefix = "net."

    def __init__(self, arch: str = "resnet18"):
        super().__init__()
        constructors = {"resnet18": resnet18, "resnet50": resnet50}
        self.arch = arch
        self.net = constructors[arch](weights=None, num_classes=NUM_CLASSES)

    def conv_features(self, x: torch.Tensor) -> torch.Tensor:
        """The ``layer4`` map (stride 32)."""
        n = self.net
        x = n.maxpool(n.relu(n.bn1(n.conv1(x))))
        return n.layer4(n.layer3(n.layer2(n.layer1(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.fc(self.conv_features(x).mean((2, 3)))

    def predict_with_maps(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # Anomaly row of fc on every location: its spatial mean plus the bias is the anomaly logit.
        with torch.no_grad():
            fmap = self.conv_features(x)
            cam = torch.einsum("c,nchw->nhw", self.net.fc.weight[ANOMALY], fmap)
            return self.net.fc(fmap.mean((2, 3))), cam


def build_resnet18() -> ResNetClassifier:
    """ResNet-18, the ``resnet18`` architecture."""
    return ResNetClassifier("resnet18")


def build_resnet50() -> ResNetClassifier:
    """ResNet-50, the ``resnet50`` architecture."""
    return ResNetClassifier("resnet50")
