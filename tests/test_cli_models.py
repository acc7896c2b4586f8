"""``screener screen``, ``evaluate`` and ``bench`` from the command line, with the shipped models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from screener_gui.cli import main
from screener_gui.core.io import save_png_atomic
from screener_gui.synth.scene import planted_scan


def test_screen_writes_one_line_per_scan_and_overlays_and_survives_a_bad_file(tmp_path, capsys):
    scans = tmp_path / "scans"
    scans.mkdir()
    rgb = planted_scan(31337, "tablet", "organic_slab").rgb
    save_png_atomic(scans / "good.png", rgb)
    (scans / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    out = tmp_path / "results.jsonl"
    code = main(
        ["screen", str(scans), "--out", str(out), "--overlays", str(tmp_path / "ov"), "--device", "cpu"]
    )
    assert code == 1  # one file could not be read
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 2
    broken = next(line for line in lines if line["source"].endswith("broken.png"))
    assert "broken.png" in broken["error"]
    good = next(line for line in lines if line["source"].endswith("good.png"))
    assert good["objects"] and "load" in good["timings_ms"]
    overlay = np.asarray(Image.open(tmp_path / "ov" / "good_screened.png"))
    assert overlay.shape[0] == rgb.shape[0] and overlay.shape[1] > 3 * rgb.shape[1]
    assert "ALARM" in capsys.readouterr().out or not good["alarm"]


def test_evaluate_writes_metrics_at_three_levels(tiny_dataset, tmp_path, capsys):
    folder, _ = tiny_dataset
    assert main(["evaluate", str(folder), "--out", str(tmp_path), "--device", "cpu"]) == 0
    report = json.loads((tmp_path / "metrics.json").read_text())
    text = json.dumps(report)
    assert "object" in text and "bag" in text and "IoU" in text
    assert (tmp_path / "metrics.md").read_text().count("|") > 20
    assert "TP" in capsys.readouterr().out


def test_bench_prints_per_stage_medians_and_compares_two_classifiers(capsys):
    from screener_gui.core.pipeline.screen import CLASSIFIER_FILE, models_dir

    shipped = str(models_dir() / CLASSIFIER_FILE)
    args = ["bench", "--count", "1", "--repeats", "1", "--device", "cpu", "--compare-classifier", shipped]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"objects", "classification", "total", "wall"} <= set(report["median_ms"])
    assert report["device"] == "cpu" and report["mode"] == "crop"
    assert set(report["compare"]["median_ms"]) == set(report["median_ms"])
    assert report["wall_ratio"] == pytest.approx(
        report["median_ms"]["wall"] / report["compare"]["median_ms"]["wall"], rel=0.01
    )


def test_scans_with_the_same_name_in_two_folders_get_two_overlays(tmp_path):
    rgb = planted_scan(4242, "phone", None).rgb
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        save_png_atomic(tmp_path / folder / "bag.png", rgb)
    out = tmp_path / "results.jsonl"
    ov = tmp_path / "ov"
    assert (
        main(["screen", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out), "--overlays", str(ov)])
        == 0
    )
    overlays = [json.loads(line)["overlay"] for line in out.read_text().splitlines()]
    assert len(set(overlays)) == 2 and all(Path(o).is_file() for o in overlays)
