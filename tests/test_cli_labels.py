"""``screener export-labels``: annotated scans in folders → a region cache for training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from screener_gui.cli import main
from screener_gui.core.labels import LabelledObject, RegionLabels, file_sha256, save_labels
from screener_gui.core.training.region_cache import RegionCache


def _labelled_scan(path: Path, labels: list[int]) -> None:
    """A 40 x 60 scan with one object of two superpixels, saved with ``labels``."""
    rgb = np.full((40, 60, 3), 255, np.uint8)
    rgb[10:30, 10:50] = (60, 140, 200)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(path)
    sp = np.zeros((40, 60), np.int32)
    sp[10:30, 10:30], sp[10:30, 30:50] = 1, 2
    save_labels(
        path,
        RegionLabels(
            scan_name=path.name,
            scan_sha256=file_sha256(path),
            superpixels=sp,
            object_of=np.array([-1, 0, 0], np.int32),
            model_scores=np.array([0.2, 0.3], np.float32),
            model_labels=np.array([0, 0], np.int8),
            labels=np.array(labels, np.int8),
            threshold=0.5,
            objects=(LabelledObject(0, "phone", (10, 10, 50, 30)),),
        ),
    )


def test_export_labels_counts_classes_and_names_unlabelled_scans(tmp_path: Path, capsys) -> None:
    scans = tmp_path / "scans"
    _labelled_scan(scans / "a.png", [1, 0])
    _labelled_scan(scans / "day2" / "b.png", [0, 0])
    Image.fromarray(np.full((10, 10, 3), 255, np.uint8)).save(scans / "c.png")
    out = tmp_path / "cache"

    assert main(["export-labels", str(scans), "--out", str(out)]) == 0

    printed = capsys.readouterr().out
    assert "4 regions (1 anomaly, 3 benign) from 2 scans" in printed
    assert f"no labels: {scans / 'c.png'}" in printed
    assert "superpixels.png" not in printed  # label maps are not taken for scans
    cache = RegionCache.open(out)
    assert sorted(cache.targets.tolist()) == [0, 0, 0, 1] and len(set(cache.scan_ids.tolist())) == 2


def test_export_labels_fails_clearly_without_any_labels(tmp_path: Path, capsys) -> None:
    Image.fromarray(np.full((10, 10, 3), 255, np.uint8)).save(tmp_path / "c.png")
    assert main(["export-labels", str(tmp_path / "c.png"), "--out", str(tmp_path / "cache")]) == 1
    captured = capsys.readouterr()
    assert "no labels:" in captured.out and "nothing to export" in captured.err
    assert not (tmp_path / "cache").exists()
