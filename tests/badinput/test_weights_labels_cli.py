"""Corrupt or wrong weights, model metadata with NaN or absurd values, and malformed label files,
through ``screen``, ``evaluate`` and ``export-labels``: one line naming the file and the problem."""

from __future__ import annotations

import json
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from screener_gui.cli import main
from screener_gui.core.labels import labels_path
from screener_gui.core.weights import read_metadata, save_weights

SHIPPED = Path(__file__).resolve().parents[2] / "models"


def _with_metadata(path: Path, shipped: str, **changes) -> Path:
    """A small weights file holding the metadata of a shipped model, changed (its tensors do not
    matter: the metadata is refused before any is used)."""
    save_weights(path, {"w": torch.zeros(2)}, read_metadata(SHIPPED / shipped) | changes)
    return path


@pytest.fixture
def bad_weights(tmp_path: Path) -> list[tuple[str, Path, str]]:
    """(option, file, expected words) of every broken weights file."""
    real = (SHIPPED / "classifier.safetensors").read_bytes()
    files = {
        "random.safetensors": bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)),
        "truncated.safetensors": real[: len(real) // 3],
        "header_only.safetensors": real[:40],
        "pickled.safetensors": pickle.dumps({"weight": [1.0, 2.0]}, protocol=4),  # written, never loaded
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    t = tmp_path
    return [
        ("--detector", t / "random.safetensors", "not a safetensors weights file"),
        ("--detector", t / "truncated.safetensors", "truncated"),
        ("--detector", t / "header_only.safetensors", "truncated"),
        ("--detector", t / "pickled.safetensors", "pickle-based PyTorch file"),
        ("--segmenter", t / "random.safetensors", "not a safetensors weights file"),
        (
            "--detector",
            _with_metadata(t / "other_arch.safetensors", "classifier.safetensors"),
            "does not fit",
        ),
        (
            "--detector",
            _with_metadata(t / "nan.safetensors", "detector.safetensors", region_threshold=math.nan),
            "region_threshold nan is not a threshold",
        ),
        (
            "--detector",
            _with_metadata(t / "tiny_sp.safetensors", "detector.safetensors", superpixel_area=1),
            "superpixel_area 1 is not a whole number in 100..100000",
        ),
        (
            "--detector",
            _with_metadata(t / "huge_input.safetensors", "classifier.safetensors", input_size=[150, 90000]),
            "input_size",
        ),
        (
            "--segmenter",
            _with_metadata(t / "seg_nan.safetensors", "segmenter.safetensors", score_threshold=math.nan),
            "score_threshold nan is not a number in [0.0, 1.0]",
        ),
        (
            "--segmenter",
            _with_metadata(t / "seg_size.safetensors", "segmenter.safetensors", min_size=1),
            "min_size 1 is not a whole number in 64..4096",
        ),
        (
            "--segmenter",
            _with_metadata(t / "seg_arch.safetensors", "segmenter.safetensors", backbone="alexnet"),
            "backbone 'alexnet' is not one of lite0, resnet50",
        ),
    ]


def test_screen_refuses_each_bad_weights_file_in_one_line(bad_weights, tmp_path, capsys):
    scan = tmp_path / "bag.png"
    Image.fromarray(np.full((20, 20, 3), 255, np.uint8)).save(scan)
    for option, path, expect in bad_weights:
        code = main(
            ["screen", str(scan), "--out", str(tmp_path / "r.jsonl"), option, str(path), "--device", "cpu"]
        )
        err = capsys.readouterr().err
        assert code == 1 and "Traceback" not in err, (path.name, err)
        (line,) = err.splitlines()
        assert str(path) in line and expect in line, (path.name, line)


def test_weights_holding_nan_tensors_are_refused(tmp_path, capsys):
    path = tmp_path / "nan_tensors.safetensors"
    save_weights(
        path, {"w": torch.tensor([0.0, math.nan])}, read_metadata(SHIPPED / "classifier.safetensors")
    )
    scan = tmp_path / "bag.png"
    Image.fromarray(np.full((20, 20, 3), 255, np.uint8)).save(scan)
    assert main(["screen", str(scan), "--out", str(tmp_path / "r.jsonl"), "--detector", str(path)]) == 1
    assert "hold NaN or infinite values" in capsys.readouterr().err


def test_evaluate_with_a_bad_detector_or_a_missing_dataset_is_one_line(bad_weights, tmp_path, capsys):
    _, corrupt, expect = bad_weights[1]
    for args, words in (
        ([str(tmp_path), "--detector", str(corrupt)], expect),
        ([str(tmp_path / "no_such_dataset")], "no_such_dataset"),
    ):
        assert main(["evaluate", *args, "--out", str(tmp_path / "eval"), "--device", "cpu"]) == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err and len(err.splitlines()) == 1 and words in err, err


# ---- label files ---------------------------------------------------------------------------------


def _edit(scan: Path, change) -> None:
    path = labels_path(scan)
    path.write_text(change(path.read_text()))


def _map_claiming(scan: Path, width: int, height: int) -> str:
    """Replace the scan's superpixel map by a PNG whose header claims ``width`` x ``height``."""
    import hashlib
    import struct
    import zlib

    png = scan.with_name(json.loads(labels_path(scan).read_text())["superpixels_png"])
    data = bytearray(png.read_bytes())
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    png.write_bytes(bytes(data))
    return hashlib.sha256(bytes(data)).hexdigest()


def _bad_label_folder(folder: Path, labelled_scan) -> dict[str, str]:
    """Labelled scans with broken label files beside one good one; {scan name: expected words}."""
    labelled_scan(folder / "good.png", [1, 0])
    expected = {}

    def broken(name: str, change, words: str) -> None:
        labelled_scan(folder / name, [0, 1])
        _edit(folder / name, change)
        expected[name] = words

    broken("infinity.png", lambda t: t.replace('"threshold": 0.5', '"threshold": Infinity'), "Infinity")
    broken("nan_score.png", lambda t: t.replace('"model_score": 0.2', '"model_score": NaN', 1), "NaN")
    broken("huge_index.png", lambda t: t.replace('"index": 0', f'"index": {2**40}'), "object index")
    broken("deep.png", lambda t: "[" * 100_000 + "]" * 100_000, "nested too deeply")
    broken("not_json.png", lambda t: t[: len(t) // 2], "not readable JSON")
    broken("bad_label.png", lambda t: t.replace('"label": 1', '"label": 7'), "not 0 (benign) or 1")

    labelled_scan(folder / "huge_map.png", [0, 1])
    digest = _map_claiming(folder / "huge_map.png", 20000, 20000)
    doc = json.loads(labels_path(folder / "huge_map.png").read_text())
    labels_path(folder / "huge_map.png").write_text(
        json.dumps(doc | {"height": 20000, "width": 20000, "superpixels_sha256": digest})
    )
    expected["huge_map.png"] = "too large"
    labelled_scan(folder / "map_header.png", [0, 1])
    digest = _map_claiming(folder / "map_header.png", 20000, 20000)
    doc = json.loads(labels_path(folder / "map_header.png").read_text())
    labels_path(folder / "map_header.png").write_text(json.dumps(doc | {"superpixels_sha256": digest}))
    expected["map_header.png"] = "(20000, 20000)"
    return expected


def test_export_labels_leaves_out_each_bad_label_file_with_one_line_and_exports_the_rest(
    tmp_path, capsys, labelled_scan
):
    scans = tmp_path / "scans"
    expected = _bad_label_folder(scans, labelled_scan)
    out = tmp_path / "cache"
    assert main(["export-labels", str(scans), "--out", str(out)]) == 1
    printed = capsys.readouterr()
    assert "Traceback" not in printed.out + printed.err
    assert "2 regions (1 anomaly, 1 benign) from 1 scans" in printed.out
    for name, words in expected.items():
        lines = [line for line in printed.err.splitlines() if f"{name}.labels.json" in line]
        assert len(lines) == 1 and words in lines[0], (name, lines)
    assert (out / "meta.json").is_file()


def test_export_labels_refuses_an_out_that_is_an_existing_file(tmp_path, capsys, labelled_scan):
    labelled_scan(tmp_path / "a.png", [1, 0])
    (tmp_path / "taken").write_text("precious")
    assert main(["export-labels", str(tmp_path / "a.png"), "--out", str(tmp_path / "taken")]) == 1
    err = capsys.readouterr().err
    assert "is an existing file" in err and len(err.splitlines()) == 1
    assert (tmp_path / "taken").read_text() == "precious"
