"""Classifier training on generated regions: the loss falls, weights round-trip, pickles are refused."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from screener_gui.core.models.registry import build_classifier
from screener_gui.core.pipeline.classify import RegionModel
from screener_gui.core.training.classifier import ClassifierSettings, classifier_card, train_classifier
from screener_gui.core.training.region_cache import RegionCache
from screener_gui.core.weights import WeightsError


@pytest.fixture(scope="module")
def cache(tiny_dataset):
    return RegionCache.open(tiny_dataset[1])


def test_a_few_steps_on_generated_regions_lower_the_loss(cache):
    torch.manual_seed(0)
    pos, neg = np.flatnonzero(cache.targets == 1), np.flatnonzero(cache.targets == 0)
    assert len(pos) and len(neg), "the tiny dataset must hold both classes"
    idx = np.sort(np.concatenate([np.resize(pos, 8), neg[:8]]))
    model = build_classifier("dfl_lite0")
    x = classifier_card(ClassifierSettings(), model, cache).normalise(cache.crops[idx])
    y = torch.from_numpy(cache.targets[idx].astype(np.int64))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    losses = []
    for _ in range(8):
        loss, _ = model.loss(x, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    assert losses[-1] < 0.7 * losses[0]


def test_training_writes_weights_that_load_exactly(cache, tmp_path):
    settings = ClassifierSettings(arch="dfl_lite0", pretrained=None, epochs=1, samples_per_epoch=32, batch=16)
    path = train_classifier(cache, cache, tmp_path, settings, log=lambda _: None)
    loaded = RegionModel.load(path)
    assert loaded.strategy == "subcomponent" and loaded.input_size == (150, 190)
    assert 0.0 <= loaded.region_threshold <= 1.0
    assert loaded.metadata["data"]["seed"] == 0 and loaded.card.data_seed == 0
    assert loaded.card.arch == "dfl_lite0" and loaded.card.mean == (0.5, 0.5, 0.5)
    scores, maps = loaded.score(np.array(cache.crops[:3]))
    assert scores.shape == (3,) and maps.ndim == 3 and np.all((scores >= 0) & (scores <= 1))
    again = RegionModel.load(path)
    for (name, a), b in zip(
        loaded.model.state_dict().items(), again.model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), name
    # Resuming a finished run trains nothing more and keeps the file.
    before = path.read_bytes()
    train_classifier(cache, cache, tmp_path, settings, log=lambda _: None)
    assert path.read_bytes() == before


def test_a_pickled_checkpoint_is_refused(tmp_path):
    path = tmp_path / "classifier.safetensors"
    torch.save(build_classifier("squeezenet").state_dict(), path)
    with pytest.raises(WeightsError, match="pickle"):
        RegionModel.load(path)


def test_a_segmenter_file_is_not_taken_for_a_classifier(tmp_path):
    from screener_gui.core.weights import save_weights

    path = tmp_path / "x.safetensors"
    save_weights(path, {"w": torch.zeros(2)}, {"kind": "segmenter"})
    with pytest.raises(WeightsError, match="segmenter"):
        RegionModel.load(path)


def test_training_can_leave_out_anomalies_too_faint_to_see(cache, tmp_path):
    measured = np.sort(cache.delta_e[(cache.targets == 1) & np.isfinite(cache.delta_e)])
    assert measured.size and measured[0] < measured[-1], "the tiny dataset's anomalies carry a measured ΔE"
    cut = float(measured[-1])  # only the most visible anomaly's regions stay
    faint = int(np.count_nonzero(measured < cut))
    messages: list[str] = []
    settings = ClassifierSettings(
        arch="squeezenet", pretrained=None, epochs=1, samples_per_epoch=16, batch=8, min_delta_e=cut
    )
    path = train_classifier(cache, cache, tmp_path, settings, log=messages.append)
    assert messages[0].startswith(f"left out {faint} of {int((cache.targets == 1).sum())} training anomaly")
    assert RegionModel.load(path).metadata["training"]["min_delta_e"] == cut
    with pytest.raises(ValueError, match="cannot balance 0 anomaly"):  # nothing left to learn from
        train_classifier(cache, cache, tmp_path / "none", replace(settings, min_delta_e=1e9), log=print)
