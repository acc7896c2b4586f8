"""The dense detector at inference: maps on the items, superpixel scores from their top pixels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from screener_gui.core.models.dense import DenseDetector
from screener_gui.core.pipeline.dense import DenseModel, DenseScores
from screener_gui.core.pipeline.superpixels import Superpixels
from screener_gui.core.weights import WeightsError, save_weights


def _two_items():
    masks = [np.zeros((40, 60), bool), np.zeros((40, 60), bool)]
    masks[0][5:25, 5:25] = True
    masks[1][10:30, 35:55] = True
    labels = np.zeros((40, 60), np.int32)
    labels[5:25, 5:15], labels[5:25, 15:25] = 1, 2
    labels[10:30, 35:55] = 3
    sp = Superpixels(labels, np.array([-1, 0, 0, 1], np.int32))
    prob = np.zeros((20, 20), np.float32)
    prob[2:4, 12:14] = 0.9  # a small bright threat inside superpixel 2 (4 of its 200 pixels)
    maps = (prob, np.full((20, 20), 0.05, np.float32))
    return masks, sp, DenseScores(np.array([0.8, 0.1], np.float32), maps, ((5, 5, 25, 25), (10, 35, 30, 55)))


def test_a_small_threat_lifts_its_superpixel_and_only_it():
    _, sp, dense = _two_items()
    scores = dense.superpixel_scores(sp)
    assert scores[1] > 0.08 and scores[0] == 0.0  # top 20 % of 200 pixels: 4 of 40 at 0.9
    assert scores[2] == pytest.approx(0.05)


def test_the_heatmap_is_the_map_on_the_items_and_nan_elsewhere():
    masks, _, dense = _two_items()
    heat = dense.heatmap((40, 60), masks)
    assert np.isnan(heat[0, 0]) and np.isnan(heat[35, 30])
    assert heat[7, 17] == pytest.approx(0.9) and heat[20, 40] == pytest.approx(0.05)


def test_a_saved_detector_loads_and_scores_items(tmp_path):
    torch.manual_seed(0)
    model = DenseDetector(pretrained=False)
    path = tmp_path / "detector.safetensors"
    save_weights(
        path, model.state_dict(), {"kind": "dense_detector", "arch": "dense_lite0", "item_margin_px": 4}
    )
    loaded = DenseModel.load(path, torch.device("cpu"))
    rgb = np.full((40, 60, 3), 255, np.uint8)
    masks, _, _ = _two_items()
    rgb[masks[0]] = 60
    scores = loaded.score(rgb, masks)
    assert scores.item_scores.shape == (2,) and np.all((scores.item_scores > 0) & (scores.item_scores < 1))
    assert scores.boxes[0] == (1, 1, 29, 29) and scores.maps[0].shape == (28, 28)
    save_weights(path, model.state_dict(), {"kind": "classifier"})
    with pytest.raises(WeightsError, match="dense_detector"):
        DenseModel.load(path, torch.device("cpu"))


def test_an_uncalibrated_detector_decides_at_one_half(tmp_path):
    from screener_gui.core.pipeline.detectors import UNCALIBRATED, DenseItemDetector

    path = tmp_path / "detector.safetensors"
    meta = {"kind": "dense_detector", "arch": "dense_lite0", "region_threshold": None}
    save_weights(path, DenseDetector(pretrained=False).state_dict(), meta)
    detector = DenseItemDetector(DenseModel.load(path, torch.device("cpu")))
    assert detector.region_threshold == detector.object_threshold == UNCALIBRATED == 0.5
