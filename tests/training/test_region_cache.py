"""Region cache: extraction from a generated dataset, reopening, scan splits, class balancing."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from screener_gui.core.dataset import Dataset, DatasetError
from screener_gui.core.pipeline.regions import ANOMALY_MIN, BENIGN_MAX
from screener_gui.core.training.region_cache import (
    RegionCache,
    balanced_indices,
    extract_regions,
    visible_targets,
)
from screener_gui.core.training.settings import RegionSettings
from screener_gui.synth.dataset import write_dataset
from screener_gui.synth.scene import SynthSettings

SETTINGS = SynthSettings(width_px=400, height_px=320, items_only=True)
SUBCOMPONENTS = RegionSettings("subcomponent", superpixel_area=1500, workers=1)
OBJECTS = RegionSettings("object", workers=1)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Three items-only scans: two items hiding an anomaly and one empty belt (seed 0)."""
    folder = tmp_path_factory.mktemp("dataset")
    write_dataset(folder, 3, seed=0, settings=SETTINGS, workers=1)
    return folder


@pytest.fixture(scope="module")
def subcomponents(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("subcomponent")
    extract_regions(dataset, out, SUBCOMPONENTS)
    return RegionCache.open(out), out


def test_subcomponent_cache_round_trip(dataset, subcomponents):
    cache, out = subcomponents
    assert sorted(p.name for p in out.iterdir()) == [
        "anomaly_ids.npy",
        "categories.npy",
        "crops.npy",
        "delta_e.npy",
        "fractions.npy",
        "kinds.npy",
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
    # The stored fractions agree with the targets by the rule; anomalies carry their anomaly.
    assert (cache.fractions[cache.targets == 0] < BENIGN_MAX).all()
    assert (cache.targets[cache.fractions >= ANOMALY_MIN] == 1).all()
    positive = cache.targets == 1
    assert (cache.anomaly_ids[positive] > 0).all() and (cache.kinds[positive] >= 0).all()
    assert (cache.anomaly_ids[~positive] == 0).all() and (cache.kinds[~positive] == -1).all()
    manifest = json.loads((dataset / "manifest.json").read_text())
    meta = cache.meta
    assert (meta.strategy, meta.size, meta.superpixel_area) == ("subcomponent", (150, 190), 1500)
    assert (meta.dataset_seed, meta.dataset_count, meta.scans) == (manifest["seed"], 3, 3)
    assert (meta.anomaly, meta.benign) == (int((cache.targets == 1).sum()), int((cache.targets == 0).sum()))
    assert meta.anomaly > 0 and meta.benign > 0
    data = Dataset.open(dataset)
    assert meta.object_classes == data.object_classes and meta.anomaly_kinds == data.anomaly_kinds
    assert set(np.unique(cache.categories)) <= set(range(1, len(data.object_classes) + 1))


def test_same_output_with_one_or_two_workers(dataset, subcomponents, tmp_path):
    serial, _ = subcomponents
    parallel = extract_regions(dataset, tmp_path, replace(SUBCOMPONENTS, workers=2))
    for name in (
        "crops",
        "targets",
        "scan_ids",
        "fractions",
        "categories",
        "anomaly_ids",
        "kinds",
        "delta_e",
    ):
        assert np.array_equal(getattr(parallel, name), getattr(serial, name), equal_nan=name == "delta_e"), (
            name
        )
    assert parallel.meta.anomaly == serial.meta.anomaly and parallel.meta.ignored == serial.meta.ignored


def test_object_cache_labels_objects_that_hold_an_anomaly(dataset, tmp_path):
    cache = extract_regions(dataset, tmp_path, OBJECTS)
    scans = Dataset.open(dataset).scans
    objects = [(scan, o) for scan in scans for o in scan.objects]
    assert cache.crops.shape == (len(objects), 224, 224, 3)
    assert np.array_equal(cache.targets, [int(o.has_anomaly) for _, o in objects])
    assert np.array_equal(cache.scan_ids, [scan.scan_id for scan, _ in objects])
    assert (cache.crops[:, 0, 0] == 255).all()  # isolated on white


def test_limit_and_select_split_by_scan(dataset, subcomponents, tmp_path):
    cache, _ = subcomponents
    first = extract_regions(dataset, tmp_path, replace(SUBCOMPONENTS, limit=1))
    assert set(np.unique(first.scan_ids)) == {0} and first.meta.scans == 1
    picked = cache.select([0])
    assert len(picked) == len(first)
    assert np.array_equal(cache.crops[picked], first.crops)
    assert cache.select([2]).size == 0  # the empty belt has no regions


def test_a_folder_without_meta_is_not_a_cache(tmp_path, dataset):
    with pytest.raises(FileNotFoundError, match=r"meta\.json"):
        RegionCache.open(tmp_path)
    with pytest.raises(DatasetError, match="manifest"):
        extract_regions(tmp_path, tmp_path / "out", OBJECTS)
    with pytest.raises(ValueError, match="strategy"):
        extract_regions(dataset, tmp_path / "out", RegionSettings("pixels"))  # type: ignore[arg-type]


def test_an_object_cache_holds_sub_components_only(dataset, tmp_path):
    from screener_gui.core.training.object_cache import extract_objects

    with pytest.raises(ValueError, match="sub-components"):
        extract_objects(dataset, tmp_path / "out", OBJECTS)
    assert not (tmp_path / "out").exists()  # refused before anything is written


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


def test_regions_carry_their_anomalys_kind_and_visibility(two_scan_dataset, tmp_path):
    """The laptop's obvious slab (ΔE 12.5) and faint screws (ΔE 1.5, 12 px) are both labelled, each
    with its kind and ΔE; the phone's handgun part has no visibility record (NaN)."""
    cache = extract_regions(two_scan_dataset, tmp_path, replace(SUBCOMPONENTS, superpixel_area=300))
    kinds = cache.meta.anomaly_kinds
    positive = cache.targets == 1
    found = {
        (kinds[k], None if np.isnan(d) else float(d))
        for k, d in zip(cache.kinds[positive], cache.delta_e[positive], strict=True)
    }
    assert found == {("organic_slab", 12.5), ("screws", 1.5), ("handgun", None)}
    assert set(cache.anomaly_ids[positive & (cache.scan_ids == 0)]) == {1, 2}


def test_objects_carry_their_most_visible_anomaly(two_scan_dataset, tmp_path):
    cache = extract_regions(two_scan_dataset, tmp_path, OBJECTS)
    assert cache.targets.tolist() == [1, 1]
    assert cache.anomaly_ids.tolist() == [1, 1]  # the slab, not the fainter screws
    assert [cache.meta.anomaly_kinds[k] for k in cache.kinds] == ["organic_slab", "handgun"]
    assert cache.delta_e[0] == 12.5 and np.isnan(cache.delta_e[1])
    assert [cache.meta.object_classes[c - 1] for c in cache.categories] == ["laptop", "phone"]


def test_training_can_leave_faint_anomalies_out():
    targets = np.array([1, 1, 1, 0, 0], np.int8)
    delta_e = np.array([1.5, 12.5, np.nan, np.nan, np.nan], np.float32)
    assert visible_targets(targets, delta_e, None).tolist() == [1, 1, 1, 0, 0]
    assert visible_targets(targets, delta_e, 2.0).tolist() == [-1, 1, 1, 0, 0]  # unmeasured kept
    with pytest.raises(ValueError, match="no anomaly region has a measured"):
        visible_targets(targets, np.full(5, np.nan), 2.0)


def test_an_old_cache_is_refused_with_what_to_do(subcomponents, tmp_path):
    _, out = subcomponents
    meta = json.loads((out / "meta.json").read_text())
    meta["format_version"] = 1
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="extract it again with `screener regions`"):
        RegionCache.open(tmp_path)
