"""The Mask R-CNN segmenter: construction without downloads, output format, frozen pretrained stem."""

from __future__ import annotations

import pytest
import torch

from screener_gui.core.models.lite0 import Lite0
from screener_gui.core.models.segmenter import Lite0FPN, build_segmenter


def test_lite0_segmenter_returns_full_resolution_masks():
    model = build_segmenter("lite0", 7).eval()
    with torch.no_grad():
        out = model([torch.rand(3, 240, 300)])[0]
    assert set(out) == {"boxes", "labels", "scores", "masks"}
    assert out["masks"].shape[1:] == (1, 240, 300)


def test_training_mode_returns_all_losses():
    model = build_segmenter("lite0", 7).train()
    mask = torch.zeros(1, 200, 240, dtype=torch.uint8)
    mask[0, 50:150, 40:200] = 1
    target = {"boxes": torch.tensor([[40.0, 50.0, 200.0, 150.0]]), "labels": torch.tensor([2]), "masks": mask}
    losses = model([torch.rand(3, 200, 240)], [target])
    assert {"loss_classifier", "loss_box_reg", "loss_mask", "loss_objectness", "loss_rpn_box_reg"} <= set(
        losses
    )
    assert all(torch.isfinite(v) for v in losses.values())


def test_pretrained_trunk_keeps_stem_and_batch_norm_frozen():
    backbone = Lite0FPN(Lite0(), pretrained=True).train()
    assert not any(p.requires_grad for p in backbone.trunk._conv_stem.parameters())
    assert not any(p.requires_grad for p in backbone.trunk._blocks[2].parameters())
    assert all(p.requires_grad for p in backbone.trunk._blocks[3].parameters())
    assert not backbone.trunk._blocks[5]._bn1.training


def test_resnet50_fpn_is_built_without_downloading():
    model = build_segmenter("resnet50", 7)
    assert model.roi_heads.mask_predictor.mask_fcn_logits.out_channels == 7


def test_unknown_backbone_is_refused():
    with pytest.raises(ValueError, match="lite0"):
        build_segmenter("alexnet")
