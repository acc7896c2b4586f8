"""The item head fitted on whole items: it learns what separates the items, and the saved network
scores raw features exactly as the fitted head scored standardised ones."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from screener_gui.core.metrics import roc_auc
from screener_gui.core.models.dense import DenseDetector
from screener_gui.core.training.item_head import ItemFeatures, fit_item_head


def _features(n: int, seed: int) -> ItemFeatures:
    """Items whose anomaly shows in one feature of large scale, the rest noise on other scales."""
    scales = np.random.default_rng(0).uniform(0.01, 50, 130)  # the same features in every set
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.4).astype(np.int64)
    x = rng.normal(0, 1, (n, 130)) * scales
    x[:, 7] = 300 + 40 * labels + rng.normal(0, 15, n)
    return ItemFeatures(x.astype(np.float32), labels, np.where(labels == 1, 12.0, np.nan).astype(np.float32))


def test_the_fitted_head_separates_items_the_old_one_cannot():
    torch.manual_seed(0)
    model = DenseDetector(pretrained=False)
    train, val = _features(600, 1), _features(300, 2)
    result = fit_item_head(model, train, val)
    assert result["val_item_auc"] > 0.9 and result["val_item_auc"] > result["val_item_auc_before"] + 0.2
    with torch.no_grad():
        scores = model.item(torch.from_numpy(val.features)).squeeze(1).numpy()
    assert roc_auc(val.labels, scores) == pytest.approx(result["val_item_auc"], abs=1e-6)
    assert result["kept"] == "fitted"


def test_a_head_that_already_ranks_better_than_any_fit_is_kept():
    model = DenseDetector(pretrained=False)
    train, val = _features(600, 1), _features(300, 2)
    with torch.no_grad():  # a perfect own head: the label feature alone, read off feature 7
        model.item[0].weight.zero_(), model.item[0].bias.zero_(), model.item[2].weight.zero_()
        model.item[0].weight[0, 7], model.item[0].bias[0], model.item[2].weight[0, 0] = 1.0, -320.0, 1.0
    val = ItemFeatures(val.features, val.labels, val.delta_e)
    val.features[:, 7] = np.where(val.labels == 1, 400.0, 250.0)  # no overlap on validation
    train.features[:, 7] = 300.0  # ...while the training items carry nothing to fit
    own = {k: v.clone() for k, v in model.item.state_dict().items()}
    result = fit_item_head(model, train, val)
    assert result["kept"] == "own" and result["val_item_auc"] == result["val_item_auc_before"] == 1.0
    assert all(torch.equal(v, own[k]) for k, v in model.item.state_dict().items())


def test_one_class_only_is_refused():
    model = DenseDetector(pretrained=False)
    data = _features(50, 3)
    clean = ItemFeatures(data.features, np.zeros_like(data.labels), data.delta_e)
    with pytest.raises(ValueError, match="with and without"):
        fit_item_head(model, clean, data)


def test_features_of_a_saved_cache_round_trip(tmp_path):
    data = _features(20, 4)
    data.save(tmp_path / "f.npz")
    again = ItemFeatures.load(tmp_path / "f.npz")
    assert np.array_equal(again.features, data.features) and np.array_equal(again.labels, data.labels)
