"""Item caches for the dense detector, and its training: labels, resumption, weights with metadata."""

from __future__ import annotations

import numpy as np
import pytest

from screener_gui.core.dataset import Dataset
from screener_gui.core.models.card import DenseCard, read_card
from screener_gui.core.training.dense import DenseRun, dense_loss, sample_batch, train_dense
from screener_gui.core.training.item_cache import IGNORE, ItemCache, write_item_cache
from screener_gui.core.training.settings import ItemSettings
from screener_gui.core.weights import load_weights
from screener_gui.synth.dataset import write_dataset
from screener_gui.synth.scene import SynthSettings


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> ItemCache:
    folder = tmp_path_factory.mktemp("items")
    settings = SynthSettings(width_px=480, height_px=384, items_only=True, anomaly_rate=0.6)
    write_dataset(folder / "data", 10, seed=77, settings=settings, workers=1)
    return write_item_cache(folder / "data", folder / "cache", ItemSettings(min_delta_e=2.0))


def test_every_item_is_cut_out_with_targets_that_follow_the_visibility(cache):
    dataset = Dataset.open(cache.meta["data"])
    assert len(cache) == sum(len(scan.objects) for scan in dataset.scans) >= 8
    labels = {r.label for r in cache.records}
    assert 1 in labels and 0 in labels
    for i, record in enumerate(cache.records):
        arrays = cache.load(i)
        target = arrays["target"]
        assert arrays["rgb"].shape[:2] == target.shape == arrays["item"].shape
        assert set(np.unique(target).tolist()) <= {0, 1, IGNORE}
        if record.label == 1:
            assert (target == 1).any() and record.max_delta_e >= 2.0
            assert (target[target != 0] != 0).all() and (arrays["item"][target == 1]).all()
        if record.label == 0:
            assert not (target != 0).any() and not record.kinds
        if record.label == -1:  # only anomalies below visibility: never taught either way
            assert not (target == 1).any() and (target == IGNORE).any()


def test_a_cache_of_another_format_is_refused(tmp_path):
    (tmp_path / "index.json").write_text('{"format": "something else"}')
    with pytest.raises(ValueError, match="not an item cache"):
        ItemCache.open(tmp_path)


def test_training_batches_hold_anomalies_and_their_loss_falls_when_fitted(cache):
    import torch

    from screener_gui.core.models.dense import DenseDetector

    run = DenseRun(train="", val="", out="", batch=4, crop=96, positive_share=1.0)
    rgb, target, item, window_labels = sample_batch(cache, run, np.random.default_rng(0))
    assert rgb.shape == (4, 3, 96, 96) and (target == 1).any()
    torch.manual_seed(0)
    model = DenseDetector(pretrained=True).train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=3e-3)
    losses = []
    for _ in range(25):
        logits, item_logits = model(model.normalise(rgb), item)
        loss = dense_loss(logits, item_logits, target, window_labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5])


def test_a_run_keeps_its_best_weights_and_resumes_where_it_stopped(cache, tmp_path):
    import torch

    run = DenseRun(
        train=str(cache.folder),
        val=str(cache.folder),
        out=str(tmp_path / "run"),
        steps=2,
        batch=2,
        crop=64,
        validate_every=1,
    )
    lines: list[str] = []
    best = train_dense(run, log=lines.append)
    _, metadata = load_weights(best)
    assert metadata["kind"] == "dense_detector" and metadata["min_delta_e"] == 2.0
    card = read_card(best)
    assert isinstance(card, DenseCard) and card.to_metadata() == metadata
    assert card.item_margin_px == cache.meta["margin_px"] and card.data_seed == cache.meta["seed"]
    assert card.mean == card.std == (0.5, 0.5, 0.5) and card.extra["run"]["steps"] == 2
    assert metadata["validation"]["step"] in (1, 2)
    longer = DenseRun(**{**run.__dict__, "steps": 3})
    train_dense(longer, log=lines.append)
    assert any(line.startswith("resumed at step 2") for line in lines)
    # Started from those weights (learning rate 0: only batch-norm statistics move), a run keeps
    # the pixel network and starts its item head afresh.
    again = DenseRun(**{**run.__dict__, "out": str(tmp_path / "again"), "init": str(best), "lr": 0.0})
    before, _ = load_weights(best)
    after, _ = load_weights(train_dense(again, log=lines.append))
    learnt = [k for k in before if not k.startswith("item.") and "running" not in k and "batches" not in k]
    assert all(torch.equal(after[k], before[k]) for k in learnt)
    assert not torch.equal(after["item.0.weight"], before["item.0.weight"])


def test_the_cache_keeps_each_items_raw_pair_and_projected_windows_carry_objects(cache):
    from screener_gui.core.false_colour import render_dual_energy

    arrays = cache.load(0, raw=True)
    assert arrays["high"].shape == arrays["low"].shape == arrays["target"].shape
    assert arrays["high"].min() > 0 and arrays["high"].max() <= 1.0
    # The cached false colour is the raw pair's rendering.
    assert np.abs(render_dual_energy(arrays["high"], arrays["low"]).astype(int) - arrays["rgb"]).mean() < 1
    run = DenseRun(train="", val="", out="", batch=8, crop=96, projection_share=1.0)
    rgb, target, item, window_labels = sample_batch(cache, run, np.random.default_rng(1))
    assert rgb.shape == (8, 3, 96, 96)
    assert (window_labels == 1).sum() >= 3, "few projected objects were visible"
    for labelled, mask in zip(target[:, 0].numpy(), item[:, 0].numpy(), strict=True):
        assert not (labelled[~mask] == 1).any()


def test_a_cancelled_run_is_checkpointed_and_continues_from_that_step(cache, tmp_path):
    import threading

    from screener_gui.core.jobs import Cancelled

    run = DenseRun(
        train=str(cache.folder), val=str(cache.folder), out=str(tmp_path), steps=3, batch=2, crop=64
    )
    cancel, calls = threading.Event(), []

    def progress(done: int, total: int) -> None:
        calls.append((done, total))
        if done == 1:
            cancel.set()

    with pytest.raises(Cancelled):
        train_dense(run, log=lambda _: None, progress=progress, cancel=cancel)
    assert calls == [(0, 3), (1, 3)] and (tmp_path / "checkpoint.safetensors").exists()
    lines: list[str] = []
    calls.clear()
    train_dense(run, log=lines.append, progress=lambda done, total: calls.append((done, total)))
    assert any(line.startswith("resumed at step 1") for line in lines)
    assert calls == [(1, 3), (2, 3), (3, 3)]
