"""Region cache: extraction from a generated dataset, reopening, scan splits, class balancing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from screener_gui.core.training.region_cache import RegionCache, balanced_indices, extract_regions
from screener_gui.synth.dataset import load_annotations, write_dataset
from screener_gui.synth.scene import SynthSettings

SETTINGS = SynthSettings(width_px=400, height_px=320, items_only=True)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Three items-only scans: two items hiding an anomaly and one empty belt (seed 0)."""
    folder = tmp_path_factory.mktemp("dataset")
    write_dataset(folder, 3, seed=0, settings=SETTINGS, workers=1)
    return folder


@pytest.fixture(scope="module")
def subcomponents(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("subcomponent")
    extract_regions(dataset, out, strategy="subcomponent", superpixel_area=1500, workers=1, progress=False)
    return RegionCache.open(out), out


def test_subcomponent_cache_round_trip(dataset, subcomponents):
    cache, out = subcomponents
    assert sorted(p.name for p in out.iterdir()) == [
        "categories.npy",
        "crops.npy",
        "fractions.npy",
        "meta.json",
        "scan_ids.npy",
        "targets.npy",
    ]  # no temporary files left behind
    n = len(cache)
    assert n > 0
    assert cache.crops.shape == (n, 150, 190, 3) and cache.crops.dtype == np.uint8
    assert isinstance(cache.crops, np.memmap)  # opened memory-mapped, not read into memory
    assert cache.targets.dtype == np.int8 and set(np.unique(cache.targets)) == {0, 1}
    assert cache.scan_ids.dtype == np.int32 and (np.diff(cache.scan_ids) >= 0).all()
    assert set(np.unique(cache.scan_ids)) <= {0, 1, 2}
    assert cache.fractions.dtype == np.float32
    # The stored fractions agree with the targets by the rule.
    assert (cache.fractions[cache.targets == 1] >= 0.2).all()
    assert (cache.fractions[cache.targets == 0] < 0.02).all()
    manifest = json.loads((dataset / "manifest.json").read_text())
    meta = cache.meta
    assert (meta.strategy, meta.size, meta.superpixel_area) == ("subcomponent", (150, 190), 1500)
    assert (meta.dataset_seed, meta.dataset_count, meta.scans) == (manifest["seed"], 3, 3)
    assert (meta.anomaly, meta.benign) == (int((cache.targets == 1).sum()), int((cache.targets == 0).sum()))
    assert meta.anomaly > 0 and meta.benign > 0
    electronics = {
        c["id"] for c in load_annotations(dataset)["categories"] if c["supercategory"] == "electronics"
    }
    assert set(np.unique(cache.categories)) <= electronics


def test_same_output_with_one_or_two_workers(dataset, subcomponents, tmp_path):
    serial, _ = subcomponents
    parallel = extract_regions(
        dataset, tmp_path, strategy="subcomponent", superpixel_area=1500, workers=2, progress=False
    )
    for name in ("crops", "targets", "scan_ids", "fractions", "categories"):
        assert np.array_equal(getattr(parallel, name), getattr(serial, name)), name
    assert parallel.meta.anomaly == serial.meta.anomaly and parallel.meta.ignored == serial.meta.ignored


def test_object_cache_labels_objects_that_hold_an_anomaly(dataset, tmp_path):
    cache = extract_regions(dataset, tmp_path, strategy="object", workers=1, progress=False)
    coco = load_annotations(dataset)
    objects = [a for a in coco["annotations"] if "has_anomaly" in a]
    assert cache.crops.shape == (len(objects), 224, 224, 3)
    assert np.array_equal(cache.targets, [int(a["has_anomaly"]) for a in objects])
    assert np.array_equal(cache.scan_ids, [a["image_id"] - 1 for a in objects])
    assert (cache.crops[:, 0, 0] == 255).all()  # isolated on white


def test_limit_and_select_split_by_scan(dataset, subcomponents, tmp_path):
    cache, _ = subcomponents
    first = extract_regions(
        dataset, tmp_path, strategy="subcomponent", superpixel_area=1500, limit=1, workers=1, progress=False
    )
    assert set(np.unique(first.scan_ids)) == {0} and first.meta.scans == 1
    picked = cache.select([0])
    assert len(picked) == len(first)
    assert np.array_equal(cache.crops[picked], first.crops)
    assert cache.select([2]).size == 0  # the empty belt has no regions


def test_a_folder_without_meta_is_not_a_cache(tmp_path, dataset):
    with pytest.raises(FileNotFoundError, match=r"meta\.json"):
        RegionCache.open(tmp_path)
    with pytest.raises(FileNotFoundError, match="manifest"):
        extract_regions(tmp_path, tmp_path / "out", strategy="object", progress=False)
    with pytest.raises(ValueError, match="strategy"):
        extract_regions(dataset, tmp_path / "out", strategy="pixels", progress=False)  # type: ignore[arg-type]


def test_balanced_indices_up_sample_the_minority():
    targets = np.array([0] * 10 + [1] * 3, np.int8)
    indices = np.arange(13)
    balanced = balanced_indices(targets, indices, np.random.default_rng(0))
    assert (targets[balanced] == 1).sum() == (targets[balanced] == 0).sum() == 10
    assert set(balanced) == set(indices)  # every original index is kept
    assert not np.array_equal(balanced, np.sort(balanced))  # shuffled
    again = balanced_indices(targets, indices, np.random.default_rng(0))
    assert np.array_equal(balanced, again)
    with pytest.raises(ValueError, match="balance"):
        balanced_indices(targets, np.arange(10), np.random.default_rng(0))
