"""The dense detector: a logit per pixel at the input's size, an item logit, trainable end to end."""

from __future__ import annotations

import pytest
import torch

from screener_gui.core.models.dense import DenseDetector


@pytest.fixture(scope="module")
def model() -> DenseDetector:
    torch.manual_seed(0)
    return DenseDetector(pretrained=False).eval()


def test_pixel_logits_have_the_input_size_whatever_it_is(model):
    rgb = torch.randint(0, 256, (2, 3, 97, 131), dtype=torch.uint8)
    with torch.no_grad():
        logits, item = model(model.normalise(rgb))
    assert logits.shape == (2, 1, 97, 131) and item.shape == (2,)
    assert torch.isfinite(logits).all() and torch.isfinite(item).all()


def test_every_trainable_part_gets_a_gradient():
    torch.manual_seed(1)
    model = DenseDetector(pretrained=False).train()
    rgb = torch.randint(0, 256, (2, 3, 64, 64), dtype=torch.uint8)
    logits, item = model(model.normalise(rgb))
    (logits.mean() + item.mean()).backward()
    for name in ("pixel.weight", "item.0.weight", "laterals.4.weight", "laterals.32.weight"):
        assert model.get_parameter(name).grad is not None, name
        assert model.get_parameter(name).grad.abs().sum() > 0, name


def test_the_pretrained_encoder_keeps_its_stem_frozen():
    model = DenseDetector(pretrained=True)
    assert not model.encoder._conv_stem.weight.requires_grad
    assert model.encoder._blocks[5]._depthwise_conv.weight.requires_grad
    model.train()
    assert not model.encoder._bn0.training  # frozen batch-norm statistics
