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


def test_screen_writes_region_maps_whose_ids_are_the_json_regions(tmp_path):
    save_png_atomic(tmp_path / "bag.png", planted_scan(31337, "laptop", "knife_blade").rgb)
    out = tmp_path / "r.jsonl"
    args = ["screen", str(tmp_path / "bag.png"), "--out", str(out), "--masks", str(tmp_path / "m")]
    assert main([*args, "--device", "cpu"]) == 0
    line = json.loads(out.read_text())
    region_map = np.asarray(Image.open(line["region_map"]))
    assert line["mode"] == "dense" and region_map.shape == (line["height"], line["width"])
    for item in line["objects"]:
        keys = {"id", "box_xyxy", "score", "anomalous", "state"}
        assert item["regions"] and keys <= set(item["regions"][0])
        for region in item["regions"]:
            ys, xs = np.nonzero(region_map == region["id"])
            assert [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] == region["box_xyxy"]
            if region["state"] == "alarm":
                assert item["alarm"]


def test_evaluate_measures_both_modes_on_the_same_scans(tiny_dataset, tmp_path, capsys):
    folder, _ = tiny_dataset
    args = ["evaluate", str(folder), "--out", str(tmp_path), "--device", "cpu", "--modes", "dense", "paper"]
    assert main(args) == 0
    for mode in ("dense", "paper"):
        notes = json.loads((tmp_path / mode / "metrics.json").read_text())
        assert f"{mode} mode" in json.dumps(notes)
    table = (tmp_path / "modes.md").read_text()
    assert "bag (dense)" in table and "bag (paper)" in table


def test_evaluate_writes_metrics_at_three_levels(tiny_dataset, tmp_path, capsys):
    folder, _ = tiny_dataset
    assert main(["evaluate", str(folder), "--out", str(tmp_path), "--device", "cpu"]) == 0
    report = json.loads((tmp_path / "metrics.json").read_text())
    text = json.dumps(report)
    assert "object" in text and "bag" in text and "IoU" in text
    assert (tmp_path / "metrics.md").read_text().count("|") > 20
    assert "TP" in capsys.readouterr().out


def test_bench_measures_the_dense_and_the_paper_mode_on_the_same_bags(capsys):
    args = ["bench", "--count", "1", "--repeats", "1", "--device", "cpu"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"objects", "classification", "total", "wall"} <= set(report["median_ms"])
    assert report["device"] == "cpu" and report["mode"] == "dense" and report["compare"]["mode"] == "paper"
    assert {"objects", "classification", "total", "wall"} <= set(report["compare"]["median_ms"])
    assert report["wall_ratio"] == pytest.approx(
        report["median_ms"]["wall"] / report["compare"]["median_ms"]["wall"], rel=0.01
    )


def test_bench_times_scan_files_and_names_the_slowest(tmp_path, capsys):
    save_png_atomic(tmp_path / "small.png", planted_scan(4242, "phone", None).rgb[:200, :200])
    save_png_atomic(tmp_path / "laptop.png", planted_scan(424242, "laptop", None).rgb)
    (tmp_path / "broken.png").write_bytes(b"not a picture")
    args = ["bench", "--count", "1", "--repeats", "1", "--compare", "none", "--device", "cpu"]
    assert main([*args, "--real", str(tmp_path)]) == 0
    out = capsys.readouterr()
    real = json.loads(out.out)["real"]
    assert real["scans"] == 2 and "broken.png" in out.err
    assert real["slowest"]["scan"].endswith("laptop.png")  # a whole laptop against an empty corner
    assert real["slowest"]["wall_ms"] >= real["p95_ms"]["wall"] >= real["median_ms"]["wall"]


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


def test_evaluate_writes_region_and_object_tables_and_metrics_per_bin(tiny_dataset, tmp_path):
    folder, _ = tiny_dataset
    assert main(["evaluate", str(folder), "--out", str(tmp_path), "--limit", "2", "--device", "cpu"]) == 0
    with (tmp_path / "regions.csv").open() as handle:
        assert handle.readline().strip() == "scan,object,region,score,label,anomaly_id,kind,delta_e"
    with (tmp_path / "objects.csv").open() as handle:
        assert handle.readline().strip() == "scan,object,class,score,alarm,label,kinds,max_delta_e"
    report = json.loads((tmp_path / "metrics.json").read_text())
    for level in ("region", "object", "bag"):
        names = [row["name"] for row in report["breakdown"][level]]
        assert names[:6] == ["all", "below", "subtle", "medium", "obvious", "visible"]


def test_visibility_prints_and_writes_the_table(two_scan_dataset, tmp_path, capsys):
    out = tmp_path / "visibility.md"
    assert main(["visibility", str(two_scan_dataset), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    written = out.read_text()
    assert written in printed
    rows = {line.split("|")[1].strip(): line for line in written.splitlines() if line.startswith("| ")}
    header = [cell.strip() for cell in rows["kind"].strip("|").split("|")]
    cells = dict(zip(header, (c.strip() for c in rows["organic_slab"].strip("|").split("|")), strict=True))
    assert (cells["obvious"], cells["total"], cells["median ΔE"], cells["median CNR"]) == (
        "1",
        "1",
        "12.50",
        "12.50",
    )
    handgun = dict(zip(header, (c.strip() for c in rows["handgun"].strip("|").split("|")), strict=True))
    assert (handgun["not measured"], handgun["median ΔE"]) == ("1", "n/a")
    assert "| replaced:battery_cells | 1 |" in written and "| cavity | 2 |" in written
    assert "Spearman rank correlation of subtlety with ΔE: ρ = n/a" in written  # two measured: too few


def test_visibility_correlates_subtlety_with_delta_e(tmp_path, planted, capsys):
    anomalies = tuple(
        planted.Anomaly((12 + 6 * i, 12, 16 + 6 * i, 20), "screws", delta_e, subtlety=subtlety)
        for i, (delta_e, subtlety) in enumerate([(1.0, 0.9), (4.0, 0.7), (8.0, 0.3), (20.0, 0.1)])
    )
    folder = planted.write(tmp_path / "d", [planted.Scan((10, 10, 50, 70), "laptop", anomalies)])
    assert main(["visibility", str(folder)]) == 0
    printed = capsys.readouterr().out
    assert "ρ = -1.000" in printed and "n = 4 measured" in printed
    assert "| screws | 1 | 1 | 1 | 1 | 0 | 4 | 50.0 |" in printed


def test_a_folder_that_is_no_dataset_is_a_message_not_a_traceback(tmp_path, capsys):
    assert main(["visibility", str(tmp_path)]) == 1
    assert "manifest.json: missing" in capsys.readouterr().err
