"""The dataset reader: what the generator writes comes back typed, and a broken folder says which
file is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from screener_gui.core import rle
from screener_gui.core.dataset import (
    VISIBILITY_BINS,
    Dataset,
    DatasetError,
    Visibility,
    visibility_bin,
)


def test_a_written_dataset_reads_back(two_scan_dataset: Path, planted) -> None:
    data = Dataset.open(two_scan_dataset)
    assert (data.seed, data.count, data.generator_version) == (77, 2, "t1")
    assert data.object_classes == ("laptop", "phone")
    assert data.anomaly_kinds == ("organic_slab", "screws", "handgun")  # from the file, not from code
    assert (data.redraws, data.dropped) == (0, 0)  # not in this manifest
    laptop_scan, phone_scan = data.scans
    assert (laptop_scan.name, laptop_scan.scan_id, laptop_scan.bag_kind) == ("bag_000000", 0, "belt")
    (laptop,) = laptop_scan.objects
    assert (laptop.index, laptop.category, laptop.has_anomaly, laptop.area) == (1, "laptop", True, 2400)
    assert laptop.bbox == (10, 10, 60, 40)
    slab, screws = laptop_scan.anomalies
    assert (slab.kind, slab.object_index, slab.concealment, slab.subtlety) == (
        "organic_slab",
        1,
        "replaced:battery_cells",
        0.1,
    )
    assert slab.visibility == Visibility(**planted.visibility_record(12.5))
    assert slab.visibility.bin == "obvious" and slab.visibility.visible
    assert slab.visibility.cnr == 12.5  # the better of the two channels
    assert screws.visibility.bin == "below" and screws.area == 12
    # Written before visibility and concealment were recorded: None and "cavity".
    (handgun,) = phone_scan.anomalies
    assert handgun.visibility is None and np.isnan(handgun.delta_e) and handgun.concealment == "cavity"
    assert laptop_scan.most_visible([2, 1]) is slab
    assert phone_scan.most_visible([1]) is handgun and phone_scan.most_visible([3]) is None


def test_images_masks_and_raw_pairs_load_and_agree_with_the_segmentations(two_scan_dataset: Path) -> None:
    scan = Dataset.open(two_scan_dataset).scans[0]
    rgb = scan.load_rgb()
    objects, anomalies = scan.load_object_map(), scan.load_anomaly_map()
    high, low = scan.load_raw()
    assert rgb.shape == (60, 80, 3) and rgb.dtype == np.uint8
    assert objects.dtype == anomalies.dtype == np.uint8
    assert high.dtype == low.dtype == np.uint16 and high.max() == 60000 and low.max() == 30000
    for obj in scan.objects:
        assert np.array_equal(obj.mask(), objects == obj.index)
    for anomaly in scan.anomalies:
        assert np.array_equal(anomaly.mask(), anomalies == anomaly.index)
        assert np.all(objects[anomaly.mask()] == anomaly.object_index)


def test_new_kinds_and_generator_counts_are_read_from_the_files(tmp_path: Path, planted) -> None:
    scans = [planted.Scan((5, 5, 30, 30), "camera", (planted.Anomaly((8, 8, 12, 12), "coins", 6.0),))]
    folder = planted.write(
        tmp_path / "d", scans, classes=("camera",), kinds=("coins",), counts={"redraws": 4, "dropped": 1}
    )
    data = Dataset.open(folder)
    assert data.object_classes == ("camera",) and data.anomaly_kinds == ("coins",)
    assert (data.redraws, data.dropped) == (4, 1)
    assert [a.kind for a in data.anomalies] == ["coins"] and data.class_number("camera") == 1


@pytest.mark.parametrize(
    ("delta_e", "expected"),
    [
        (0.0, "below"),
        (1.99, "below"),
        (2.0, "subtle"),
        (4.99, "subtle"),
        (5.0, "medium"),
        (9.99, "medium"),
        (10.0, "obvious"),
        (55.0, "obvious"),
    ],
)
def test_visibility_bins(delta_e: float, expected: str) -> None:
    assert visibility_bin(delta_e) == expected
    assert expected in VISIBILITY_BINS


def _edit_annotations(folder: Path, edit) -> None:
    path = folder / "annotations.json"
    coco = json.loads(path.read_text())
    edit(coco)
    path.write_text(json.dumps(coco))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c["annotations"][1].pop("parent_id"), r"annotations\[1\] has no 'parent_id'"),
        (lambda c: c["annotations"][1]["visibility"].pop("cnr_low"), r"visibility has no 'cnr_low'"),
        (lambda c: c["annotations"][1]["visibility"].update(delta_e="high"), r"'delta_e' is 'high'"),
        (lambda c: c["images"][0].update(width="80"), r"'width' is '80', not int"),
        (lambda c: c["annotations"][0].update(category_id=55), r"category_id 55"),
        (lambda c: c["categories"][0].update(supercategory="food"), r"supercategory 'food'"),
        (lambda c: c["annotations"][2].update(parent_id=99), r"parent_id 99"),
        (lambda c: c.pop("images"), r"annotations.json has no 'images'"),
        (lambda c: c["images"][0].update(file_name="../../etc/x.png"), r"file_name .* leaves the dataset"),
        (lambda c: c["images"][1].update(raw_low="/etc/passwd"), r"raw_low '/etc/passwd' leaves the dataset"),
    ],
)
def test_a_malformed_annotation_file_is_named_with_its_problem(two_scan_dataset: Path, edit, message) -> None:
    _edit_annotations(two_scan_dataset, edit)
    with pytest.raises(DatasetError, match=message) as caught:
        Dataset.open(two_scan_dataset)
    assert caught.value.path == str(two_scan_dataset / "annotations.json")


def test_missing_or_broken_files_are_named(two_scan_dataset: Path) -> None:
    (two_scan_dataset / "annotations.json").write_text('{"images": [')
    with pytest.raises(DatasetError, match=r"annotations\.json: not valid JSON"):
        Dataset.open(two_scan_dataset)
    (two_scan_dataset / "manifest.json").unlink()
    with pytest.raises(DatasetError, match=r"manifest\.json: missing"):
        Dataset.open(two_scan_dataset)
    assert issubclass(DatasetError, ValueError)


def test_a_missing_or_mis_sized_mask_is_named_when_loaded(two_scan_dataset: Path) -> None:
    scan = Dataset.open(two_scan_dataset).scans[1]
    scan.anomalies_mask.unlink()
    with pytest.raises(DatasetError, match=r"bag_000001_anomalies\.png: file missing"):
        scan.load_anomaly_map()
    scan.objects_mask.write_bytes(scan.raw_low.read_bytes())  # 16-bit values where 8-bit labels belong
    with pytest.raises(DatasetError, match=r"bag_000001_objects\.png: expected uint8"):
        scan.load_object_map()


def test_rle_round_trips_and_refuses_a_corrupt_string() -> None:
    rng = np.random.default_rng(1)
    for _ in range(50):
        mask = rng.random((int(rng.integers(1, 30)), int(rng.integers(1, 30)))) < rng.random()
        assert np.array_equal(rle.decode(rle.encode(mask)), mask)
    assert rle.encode(np.array([[0, 1, 0], [0, 1, 0]], bool)) == {"size": [2, 3], "counts": "222"}
    with pytest.raises(ValueError, match="expected 2x3"):
        rle.decode({"size": [2, 3], "counts": "22"})
