"""Mask R-CNN that finds electronics items in a bag scan (torchvision, never with hub weights).

Two backbones: ``resnet50`` (the paper's ResNet-50-FPN, torchvision's standard heads) and ``lite0``
(EfficientNet-Lite0 + a slim FPN and heads, sized for a 2-core CPU). Scans are fed at half their
resolution (``min_size``/``max_size``): a 1000x800 bag becomes 500x400, where the smallest item
(a phone, ~70 mm across = ~45 px) is still several anchors wide. Masks come back at full resolution.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn
from torchvision.models.detection import MaskRCNN, maskrcnn_resnet50_fpn
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
from torchvision.ops import FeaturePyramidNetwork, MultiScaleRoIAlign
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

from screener_gui.core.models.lite0 import MEAN, STD, STRIDE_BLOCKS, Lite0, load_imagenet

BACKBONES = ("lite0", "resnet50")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
FPN_CHANNELS = 96


class Lite0FPN(nn.Module):
    """Lite0 feature maps at strides 8, 16, 32 through an FPN, plus a stride-64 max-pooled level.

    As in torchvision's detection backbones, batch-norm statistics stay frozen (detection batches are
    too small to estimate them), and with pretrained weights the stem and the stride-2/4 blocks are
    frozen too: edges and blobs transfer, and it saves the costliest part of the backward pass.
    """

    def __init__(self, trunk: Lite0, channels: int = FPN_CHANNELS, *, pretrained: bool = True):
        super().__init__()
        self.pretrained = pretrained
        self.trunk = trunk
        self.fpn = FeaturePyramidNetwork([c for _, c in STRIDE_BLOCKS.values()], channels, LastLevelMaxPool())
        self.out_channels = channels
        frozen = [trunk._conv_stem, trunk._bn0, *trunk._blocks[:3]] if pretrained else []
        for module in frozen:
            module.requires_grad_(False)

    def train(self, mode: bool = True) -> Lite0FPN:
        super().train(mode)
        for module in self.trunk.modules() if self.pretrained else ():
            if isinstance(module, nn.BatchNorm2d):
                module.eval()
        return self

    def forward(self, x: torch.Tensor) -> OrderedDict[str, torch.Tensor]:
        maps = self.trunk.features(x)
        return self.fpn(OrderedDict((str(i), m) for i, m in enumerate(maps.values())))


def _lite0_maskrcnn(num_classes: int, pretrained: str | Path | None, **sizes) -> MaskRCNN:
    trunk = Lite0()
    if pretrained is not None:
        load_imagenet(trunk, None if pretrained == "imagenet" else Path(pretrained))
    backbone = Lite0FPN(trunk, pretrained=pretrained is not None)
    anchors = AnchorGenerator(((24, 36), (48, 72), (96, 144), (192, 288)), ((0.5, 1.0, 2.0),) * 4)
    levels = ["0", "1", "2"]
    c = backbone.out_channels
    return MaskRCNN(
        backbone,
        image_mean=list(MEAN),
        image_std=list(STD),
        rpn_anchor_generator=anchors,
        rpn_pre_nms_top_n_train=1000,
        rpn_post_nms_top_n_train=500,
        rpn_pre_nms_top_n_test=500,
        rpn_post_nms_top_n_test=200,
        box_roi_pool=MultiScaleRoIAlign(levels, 7, 2),
        box_head=TwoMLPHead(c * 7 * 7, 512),
        box_predictor=FastRCNNPredictor(512, num_classes),
        box_batch_size_per_image=64,
        box_detections_per_img=20,
        mask_roi_pool=MultiScaleRoIAlign(levels, 14, 2),
        mask_head=MaskRCNNHeads(c, [64, 64, 64, 64], 1),
        mask_predictor=MaskRCNNPredictor(64, 64, num_classes),
        **sizes,
    )


def _resnet50_maskrcnn(num_classes: int, pretrained: str | Path | None, **sizes) -> MaskRCNN:
    model = maskrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=num_classes, **sizes)
    if pretrained is not None:
        state = torch.load(Path(pretrained), map_location="cpu", weights_only=True)
        body = model.backbone.body.state_dict()
        model.backbone.body.load_state_dict(
            {k: v for k, v in state.items() if k in body and body[k].shape == v.shape}, strict=False
        )
    return model


def build_segmenter(
    backbone: str = "lite0",
    num_classes: int = 7,
    *,
    pretrained: str | Path | None = None,
    min_size: int = 400,
    max_size: int = 500,
) -> MaskRCNN:
    """A Mask R-CNN for ``num_classes`` (background included).

    Args:
        backbone: ``lite0`` or ``resnet50``.
        pretrained: Backbone ImageNet weights: a local torchvision-format state dict, or ``"imagenet"``
            for the installed EfficientNet-Lite0 package. ``None`` trains from scratch.
        min_size, max_size: The scan is rescaled so its short side is ``min_size`` (long side at most
            ``max_size``) before the network; results are mapped back to the input size.
    """
    if backbone == "lite0":
        return _lite0_maskrcnn(num_classes, pretrained, min_size=min_size, max_size=max_size)
    if backbone == "resnet50":
        return _resnet50_maskrcnn(num_classes, pretrained, min_size=min_size, max_size=max_size)
    raise ValueError(f"unknown segmenter backbone {backbone!r}; choose from {', '.join(BACKBONES)}")
