"""Pooled (fast-mode) DFL training on generated objects: the cache, the loss, the weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from screener_gui.core.models.pooled import pooled_logits, pooled_loss
from screener_gui.core.models.registry import build_classifier
from screener_gui.core.pipeline.classify import RegionModel
from screener_gui.core.pipeline.regions import ANOMALY_MIN, BENIGN_MAX
from screener_gui.core.pipeline.superpixels import segment_objects
from screener_gui.core.training.object_cache import ObjectCache
from screener_gui.core.training.pooled import PooledSettings, _batch, pooled_card, train_pooled
from screener_gui.synth.scene import SynthSettings, generate_scan


def test_the_object_cache_labels_superpixels_by_the_rule(tiny_objects):
    cache = tiny_objects
    assert len(cache) >= 6 and cache.meta.anomaly > 0 and cache.meta.benign > 0
    fractions = np.asarray(cache.fractions)
    assert np.all(cache.targets[fractions >= ANOMALY_MIN] == 1)
    assert np.all(fractions[cache.targets == 0] < BENIGN_MAX)
    # Every labelled anomaly superpixel names its anomaly, with the kind and ΔE the dataset records.
    positive = cache.targets == 1
    assert (cache.anomaly_ids[positive] > 0).all() and (cache.kinds[positive] >= 0).all()
    assert np.isfinite(cache.delta_e[positive]).all() and (cache.kinds[cache.targets == 0] == -1).all()
    image, labels, targets = cache.item(0)
    assert image.shape[:2] == labels.shape and labels.max() == len(targets)


def test_an_incomplete_object_cache_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError):
        ObjectCache.open(tmp_path)


def test_a_few_steps_on_generated_objects_lower_the_loss(tiny_objects):
    torch.manual_seed(0)
    model = build_classifier("dfl_lite0")
    card = pooled_card(PooledSettings(input_scale=0.5), model, tiny_objects)
    x, y, targets = _batch(card, tiny_objects, range(len(tiny_objects)), 0.5, None, "cpu")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    losses = []
    for _ in range(8):
        loss = pooled_loss(pooled_logits(model, x, y, [len(t) for t in targets]), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.7 * losses[0]


def test_pooled_weights_load_and_screen_a_scan(tiny_objects, tmp_path):
    settings = PooledSettings(pretrained=None, epochs=1, batch=4, input_scale=0.5, bank_init_objects=4)
    path = train_pooled(tiny_objects, tiny_objects, tmp_path, settings, log=lambda _: None)
    model = RegionModel.load(path)
    assert model.mode == "pooled" and model.input_scale == 0.5 and model.input_size is None
    assert model.card.mode == "pooled" and model.card.data_seed == tiny_objects.meta.dataset_seed
    assert 0.0 <= model.region_threshold <= 1.0 + 1e-6

    scan = generate_scan(7, 0, SynthSettings(width_px=480, height_px=384, items_only=True))
    masks = [scan.objects_mask == o.index for o in scan.objects]
    sp = segment_objects(scan.rgb, masks, superpixel_area=1500)
    scores, heat = model.score_objects(scan.rgb, sp, len(masks))
    assert scores.shape == (sp.count,) and np.all((scores >= 0) & (scores <= 1))
    on_objects = sp.labels > 0
    assert np.isfinite(heat[on_objects]).all() and np.isnan(heat[~on_objects]).all()
    # Resuming a finished run trains nothing more and keeps the file.
    before = path.read_bytes()
    train_pooled(tiny_objects, tiny_objects, tmp_path, settings, log=lambda _: None)
    assert path.read_bytes() == before
