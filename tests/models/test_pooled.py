"""Superpixel pooling of DFL: each superpixel gets the logits of its own cells, nothing else."""

from __future__ import annotations

import pytest
import torch

from screener_gui.core.models.dfl import dfl_lite0
from screener_gui.core.models.pooled import (
    PooledLogits,
    coverage,
    pool_superpixels,
    pooled_logits,
    pooled_loss,
)


def _two_halves(height: int = 64, width: int = 96) -> torch.Tensor:
    labels = torch.zeros((height, width), dtype=torch.int64)
    labels[:, : width // 2] = 1
    labels[:, width // 2 :] = 2
    labels[:8] = 0  # a strip off the object
    return labels


def test_coverage_is_the_share_of_each_cell_in_each_superpixel():
    cover = coverage(_two_halves(), 2, (4, 6))
    assert cover.shape == (2, 4, 6)
    assert torch.allclose(cover[0, 1:, :3], torch.ones(3, 3)) and torch.all(cover[0, :, 3:] == 0)
    assert torch.allclose(cover[1, 1:, 3:], torch.ones(3, 3))
    assert torch.allclose(
        cover[:, 0], torch.full((2, 6), 0.5) * torch.tensor([[1.0] * 3 + [0.0] * 3, [0.0] * 3 + [1.0] * 3])
    )
    with pytest.raises(ValueError, match="whole number"):
        coverage(_two_halves(), 2, (5, 6))


def test_a_response_in_one_superpixel_raises_only_that_superpixels_anomaly_logit():
    torch.manual_seed(0)
    model = dfl_lite0().eval()
    labels = _two_halves()
    fmap = torch.zeros(model.trunk.channels, 4, 6)
    responses = torch.zeros(2 * model.filters_per_class, 4, 6)
    responses[model.filters_per_class :, 2, 4] = 5.0  # anomaly filters fire in superpixel 2 only
    gmap = torch.zeros(1280, 2, 3)
    with torch.no_grad():
        out = pool_superpixels(model, fmap, responses, gmap, labels, 2)
    assert out.g.shape == out.p.shape == out.side.shape == (2, 2)
    assert out.side[1, 1] == pytest.approx(5.0) and out.side[0, 1] == pytest.approx(0.0)
    assert out.anomaly_map.shape == (4, 6) and out.anomaly_map[2, 4] == pytest.approx(5.0)


def test_pooled_logits_cover_every_superpixel_of_every_object_in_a_batch():
    model = dfl_lite0().eval()
    labels = torch.stack([_two_halves(64, 96), torch.zeros(64, 96, dtype=torch.int64)])
    labels[1, 20:40, 20:50] = 1
    with torch.no_grad():
        outs = pooled_logits(model, torch.randn(2, 3, 64, 96), labels, [2, 1])
    assert [o.combined.shape for o in outs] == [(2, 2), (1, 2)]
    assert all(torch.isfinite(o.combined).all() for o in outs)


def test_the_loss_leaves_out_ignored_superpixels_and_weights_classes_equally():
    g = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 3.0]])
    out = PooledLogits(g=g, p=2 * g, side=-g, anomaly_map=torch.zeros(1, 1))
    assert float(pooled_loss([out], [torch.tensor([-1, -1, -1, -1])])) == 0.0
    targets = torch.tensor([0, 0, 0, -1])  # benign only: a plain mean over the three
    ce = torch.nn.functional.cross_entropy
    y = targets[:3]
    expected = ce(g[:3], y) + ce(2 * g[:3], y) + 0.1 * ce(-g[:3], y)
    assert float(pooled_loss([out], [targets])) == pytest.approx(float(expected), rel=1e-5)
    # Two benign and one anomaly superpixel: the anomaly weighs as much as both benign together.
    targets = torch.tensor([0, -1, 0, 1])
    keep = torch.tensor([0, 2, 3])

    def balanced(logits):
        each = ce(logits[keep], targets[keep], reduction="none")
        return 0.5 * each[:2].mean() + 0.5 * each[2]

    expected = balanced(g) + balanced(2 * g) + 0.1 * balanced(-g)
    assert float(pooled_loss([out], [targets])) == pytest.approx(float(expected), rel=1e-5)
