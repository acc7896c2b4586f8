"""``screener export-labels``: annotated scans in folders → a region cache for training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from screener_gui.cli import main
from screener_gui.core.training.region_cache import RegionCache


def test_export_labels_counts_classes_and_names_unlabelled_scans(
    tmp_path: Path, capsys, labelled_scan
) -> None:
    scans = tmp_path / "scans"
    labelled_scan(scans / "a.png", [1, 0])
    labelled_scan(scans / "day2" / "b.png", [0, 0])
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
