"""The dataset on disk: identical for a seed, COCO consistent with the mask images, CLI usable."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from PIL import Image

from screener_gui.cli import main
from screener_gui.core.io import load_scan
from screener_gui.core.rle import decode
from screener_gui.synth.dataset import write_dataset
from screener_gui.synth.scene import SynthSettings


def _digests(folder):
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("data") / "one"
    write_dataset(out, 4, seed=21, settings=SynthSettings(anomaly_rate=0.7), workers=1)
    return out


def test_same_seed_same_files_whatever_the_workers(dataset, tmp_path):
    again = tmp_path / "two"
    write_dataset(again, 4, seed=21, settings=SynthSettings(anomaly_rate=0.7), workers=2)
    assert _digests(dataset) == _digests(again)
    other = tmp_path / "three"
    write_dataset(other, 1, seed=22, settings=SynthSettings(anomaly_rate=0.7), workers=1)
    assert _digests(other)["raw/bag_000000_high.png"] != _digests(dataset)["raw/bag_000000_high.png"]


def test_coco_annotations_match_the_mask_images(dataset):
    coco = json.loads((dataset / "annotations.json").read_text())
    categories = {c["id"]: c for c in coco["categories"]}
    by_id = {a["id"]: a for a in coco["annotations"]}
    assert len(coco["images"]) == 4
    for image in coco["images"]:
        objects = np.asarray(Image.open(dataset / image["objects_mask"]))
        anomalies = np.asarray(Image.open(dataset / image["anomalies_mask"]))
        for ann in (a for a in coco["annotations"] if a["image_id"] == image["id"]):
            mask = decode(ann["segmentation"])
            assert mask.shape == (image["height"], image["width"])
            assert ann["area"] == int(mask.sum()) > 0
            kind = categories[ann["category_id"]]["supercategory"]
            labels = objects if kind == "electronics" else anomalies
            assert np.array_equal(mask, labels == ann["mask_value"])
            if kind == "anomaly":
                parent = by_id[ann["parent_id"]]
                assert parent["has_anomaly"] and np.all(decode(parent["segmentation"])[mask])


def test_files_load_as_scans_and_manifest_counts(dataset):
    manifest = json.loads((dataset / "manifest.json").read_text())
    assert manifest["seed"] == 21 and manifest["counts"]["scans"] == 4
    coco = json.loads((dataset / "annotations.json").read_text())
    n_objects = sum(1 for a in coco["annotations"] if "has_anomaly" in a)
    assert manifest["counts"]["objects"] == n_objects
    pair = load_scan(dataset / "raw" / "bag_000000_high.png")
    assert pair.is_dual_energy
    assert abs(float(np.median(pair.high[:4])) - 1.0) < 0.02  # belt reads as air


def test_cli_synth_and_contact_sheet(tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["synth", "--out", str(out), "--count", "2", "--seed", "3", "--items-only", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "scans/s" in printed and "wrote 2 scans" in printed
    sheet = tmp_path / "sheet.png"
    assert main(["contact-sheet", str(out), "--out", str(sheet)]) == 0
    assert Image.open(sheet).size[0] > 300


def test_cli_check_reports_each_bad_file_and_goes_on(dataset, tmp_path, capsys):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    for name in ("bag_000000_high.png", "bag_000000_low.png"):
        (folder / name).write_bytes((dataset / "raw" / name).read_bytes())
    (folder / "bag.png").write_bytes((dataset / "images" / "bag_000001.png").read_bytes())
    assert main(["check", str(folder)]) == 1
    printed = capsys.readouterr().out
    assert "2 of 3 scans load (1 of them dual-energy pairs)" in printed
    assert "broken.png" in printed


def test_progress_ends_at_the_count_and_a_cancelled_run_leaves_no_manifest(tmp_path):
    import threading

    from screener_gui.core.dataset import Dataset, DatasetError
    from screener_gui.core.jobs import Cancelled

    small = SynthSettings(width_px=400, height_px=320, items_only=True)
    calls: list[tuple[int, int]] = []
    write_dataset(tmp_path / "all", 2, seed=5, settings=small, workers=1, progress=lambda *c: calls.append(c))
    assert calls == [(0, 2), (1, 2), (2, 2)]
    cancel = threading.Event()
    with pytest.raises(Cancelled):  # over a complete dataset: its manifest goes first
        write_dataset(
            tmp_path / "all",
            6,
            seed=5,
            settings=small,
            workers=2,
            progress=lambda d, t: d and cancel.set(),
            cancel=cancel,
        )
    assert not (tmp_path / "all" / "manifest.json").exists()
    with pytest.raises(DatasetError):
        Dataset.open(tmp_path / "all")
