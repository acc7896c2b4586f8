"""Realism statistics read the materials and attenuation of an image back correctly."""

from __future__ import annotations

import numpy as np
from PIL import Image

from screener_gui.core.false_colour import render_dual_energy
from screener_gui.core.montage import contact_sheet, outline_truth
from screener_gui.core.physics import default_scanner
from screener_gui.core.realism import compare_folders, image_stats


def _scene(organic_cols: int, metal_cols: int) -> np.ndarray:
    pe = np.zeros((40, 100))
    steel = np.zeros((40, 100))
    pe[:, 10 : 10 + organic_cols] = 20.0
    steel[:, 60 : 60 + metal_cols] = 1.5
    high, low = default_scanner().transmission({"polyethylene": pe, "steel": steel})
    return render_dual_energy(high, low)


def test_shares_follow_the_material_areas():
    stats = image_stats(_scene(organic_cols=30, metal_cols=10))
    assert abs(stats.shares["organic"] - 0.75) < 0.06
    assert abs(stats.shares["metal"] - 0.25) < 0.06
    assert abs(stats.non_air - 0.4) < 0.05
    assert abs(stats.histogram.sum() - 1) < 1e-6


def test_identical_folders_compare_as_identical(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        Image.fromarray(_scene(30, 10)).save(tmp_path / name / "scan.png")
    report = compare_folders(tmp_path / "a", tmp_path / "b")
    assert report["distances"]["histogram_intersection"] > 0.999
    assert report["distances"]["organic_share_diff_pp"] == 0


def test_truth_outlines_and_contact_sheet():
    rgb = np.full((50, 60, 3), 255, np.uint8)
    objects = np.zeros((50, 60), np.uint8)
    anomalies = np.zeros((50, 60), np.uint8)
    objects[10:40, 10:50] = 1
    anomalies[20:30, 20:30] = 1
    drawn = outline_truth(rgb, objects, anomalies)
    assert tuple(drawn[10, 30]) == (255, 210, 0)  # item edge
    assert tuple(drawn[20, 25]) == (230, 0, 0)  # anomaly edge
    assert tuple(drawn[0, 0]) == (255, 255, 255)  # untouched elsewhere
    sheet = contact_sheet([rgb, drawn, rgb], ["a", "b", "c"], columns=2, tile_width=100)
    assert sheet.shape[1] == 2 * (100 + 6) + 6 and sheet.dtype == np.uint8
