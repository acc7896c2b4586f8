"""Every long training-side job reports its progress to the end, and stops when asked: a cancelled
cache is never taken for a complete one, a cancelled training run continues where it stopped."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from screener_gui.core.jobs import Cancelled
from screener_gui.core.models.dense import DenseDetector
from screener_gui.core.training.classifier import ClassifierSettings, train_classifier
from screener_gui.core.training.item_cache import ItemCache, write_item_cache
from screener_gui.core.training.item_head import L2_GRID, ItemFeatures, fit_item_head
from screener_gui.core.training.object_cache import ObjectCache, extract_objects
from screener_gui.core.training.pooled import PooledSettings, train_pooled
from screener_gui.core.training.region_cache import RegionCache, extract_regions
from screener_gui.core.training.settings import ItemSettings, RegionSettings
from screener_gui.core.weights import load_weights


class Recorder:
    """A ``progress`` callback that keeps every call and sets ``cancel`` once ``done`` reaches ``at``."""

    def __init__(self, at: int | None = None) -> None:
        self.calls: list[tuple[int, int]] = []
        self.cancel = threading.Event()
        self.at = at

    def __call__(self, done: int, total: int) -> None:
        self.calls.append((done, total))
        if self.at is not None and done >= self.at:
            self.cancel.set()

    def ended(self) -> bool:
        done, total = self.calls[-1]
        return done == total > 0 and [d for d, _ in self.calls] == sorted(d for d, _ in self.calls)


def _quiet(_: str) -> None:
    pass


def test_region_extraction_reports_each_scan_and_a_cancelled_one_leaves_no_cache(tiny_dataset, tmp_path):
    progress = Recorder()
    extract_regions(tiny_dataset[0], tmp_path / "all", RegionSettings("object", workers=1), progress=progress)
    assert progress.ended() and progress.calls[-1] == (6, 6)
    for workers in (1, 2):
        stop = Recorder(at=2)
        out = tmp_path / f"cancelled{workers}"
        with pytest.raises(Cancelled):
            extract_regions(
                tiny_dataset[0],
                out,
                RegionSettings("object", workers=workers),
                progress=stop,
                cancel=stop.cancel,
            )
        assert stop.calls[-1] == (2, 6) and not (out / "meta.json").exists()
        assert not list(out.glob(".*"))  # no spill file left
        with pytest.raises(FileNotFoundError, match="no complete region cache"):
            RegionCache.open(out)


def test_object_extraction_stops_when_cancelled(tiny_dataset, tmp_path):
    stop = Recorder(at=1)
    with pytest.raises(Cancelled):
        extract_objects(
            tiny_dataset[0],
            tmp_path,
            RegionSettings(superpixel_area=1500, workers=1),
            progress=stop,
            cancel=stop.cancel,
        )
    assert not (tmp_path / "meta.json").exists()
    with pytest.raises((ValueError, OSError)):
        ObjectCache.open(tmp_path)


def test_an_item_cache_cancelled_over_a_complete_one_is_no_cache(tiny_dataset, tmp_path):
    progress = Recorder()
    write_item_cache(tiny_dataset[0], tmp_path, ItemSettings(), progress=progress)
    assert progress.ended() and progress.calls[-1] == (6, 6)
    stop = Recorder(at=3)
    with pytest.raises(Cancelled):
        write_item_cache(tiny_dataset[0], tmp_path, ItemSettings(), progress=stop, cancel=stop.cancel)
    with pytest.raises(ValueError, match="not an item cache"):
        ItemCache.open(tmp_path)


def _same_weights(a, b) -> bool:
    first, second = load_weights(a)[0], load_weights(b)[0]
    return first.keys() == second.keys() and all(torch.allclose(first[k], second[k]) for k in first)


def test_a_cancelled_classifier_run_resumes_to_the_same_weights(tiny_dataset, tmp_path):
    cache = RegionCache.open(tiny_dataset[1])
    settings = ClassifierSettings(arch="resnet18", pretrained=None, epochs=2, samples_per_epoch=32, batch=16)
    progress = Recorder()
    whole = train_classifier(cache, cache, tmp_path / "whole", settings, log=_quiet, progress=progress)
    assert progress.ended() and progress.calls[-1] == (4, 4)  # 2 epochs of 2 steps
    stop = Recorder(at=3)  # in the second epoch
    with pytest.raises(Cancelled):
        train_classifier(
            cache, cache, tmp_path / "split", settings, log=_quiet, progress=stop, cancel=stop.cancel
        )
    assert stop.calls[-1] == (3, 4)
    again = Recorder()
    resumed = train_classifier(cache, cache, tmp_path / "split", settings, log=_quiet, progress=again)
    assert again.calls[0] == (2, 4) and again.calls[-1] == (4, 4)  # the finished epoch counts at once
    assert _same_weights(whole, resumed)


def test_a_cancelled_pooled_run_resumes_to_the_same_weights(tiny_objects, tmp_path):
    settings = PooledSettings(pretrained=None, epochs=1, batch=2, input_scale=0.5, bank_init_objects=4)
    steps = -(-len(tiny_objects) // 2)
    assert steps >= 2
    progress = Recorder()
    whole = train_pooled(
        tiny_objects, tiny_objects, tmp_path / "whole", settings, log=_quiet, progress=progress
    )
    assert progress.ended() and progress.calls[-1] == (steps, steps)
    stop = Recorder(at=1)
    with pytest.raises(Cancelled):
        train_pooled(
            tiny_objects,
            tiny_objects,
            tmp_path / "split",
            settings,
            log=_quiet,
            progress=stop,
            cancel=stop.cancel,
        )
    resumed = train_pooled(tiny_objects, tiny_objects, tmp_path / "split", settings, log=_quiet)
    assert _same_weights(whole, resumed)


def _features(n: int, seed: int) -> ItemFeatures:
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.5).astype(np.int64)
    x = rng.normal(0, 1, (n, 130))
    x[:, 3] += 2 * labels
    return ItemFeatures(x.astype(np.float32), labels, np.full(n, np.nan, np.float32))


def test_the_item_head_fit_counts_its_strengths_and_a_cancelled_fit_leaves_the_model(tmp_path):
    torch.manual_seed(0)
    model = DenseDetector(pretrained=False)
    before = {k: v.clone() for k, v in model.item.state_dict().items()}
    stop = Recorder(at=2)
    with pytest.raises(Cancelled):
        fit_item_head(model, _features(200, 1), _features(100, 2), progress=stop, cancel=stop.cancel)
    assert all(torch.equal(before[k], v) for k, v in model.item.state_dict().items())
    progress = Recorder()
    fit_item_head(model, _features(200, 1), _features(100, 2), progress=progress)
    assert progress.ended() and progress.calls[-1] == (len(L2_GRID), len(L2_GRID))
