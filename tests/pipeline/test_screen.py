"""The whole pipeline with the shipped models, on controlled generated laptops (the paper's mode;
tests/pipeline/test_detectors.py covers both modes' mechanics)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from screener_gui.core.pipeline.objects import match_objects
from screener_gui.core.pipeline.regions import superpixel_targets
from screener_gui.core.pipeline.screen import Screener, screen
from screener_gui.core.scan import Scan
from screener_gui.synth.scene import planted_scan

SEED = 424242  # a seed no training, validation or test dataset uses


@pytest.fixture(scope="module")
def screener():
    return Screener.load(device="cpu", mode="paper")


@pytest.fixture(scope="module")
def plate():
    return planted_scan(SEED, "laptop", "metal_plate", shrink=0.0)


def test_a_large_hidden_plate_is_marked_anomaly_and_alarms(screener, plate):
    result = screener.screen(Scan(rgb=plate.rgb))
    assert result.alarm
    assert [o.category for o in result.objects] == ["laptop"]
    over_plate = superpixel_targets(result.superpixels, plate.anomalies_mask).fractions >= 0.5
    assert over_plate.sum() >= 2
    assert result.regions.labels[over_plate].mean() >= 0.75
    # The heatmap glows over the plate more than over the rest of the laptop.
    plate_px = plate.anomalies_mask > 0
    rest = (plate.objects_mask > 0) & ~plate_px
    assert np.nanmean(result.heatmap[plate_px]) > 2 * np.nanmean(result.heatmap[rest])


def test_the_same_laptop_without_the_plate_raises_no_alarm(screener):
    clean = planted_scan(SEED, "laptop", None)
    result = screener.screen(Scan(rgb=clean.rgb))
    assert not result.alarm
    ious, _ = match_objects([o.mask for o in result.objects], clean.objects_mask)
    assert ious.tolist() and ious[0] >= 0.9


def test_result_summary_is_json_with_stage_timings(screener, plate):
    result = screen(Scan(rgb=plate.rgb, source="plate"), screener)
    summary = json.loads(json.dumps(result.summary()))
    assert summary["source"] == "plate" and summary["alarm"] == result.alarm
    assert {"objects", "superpixels", "classification", "heatmap", "total"} <= set(summary["timings_ms"])
    (laptop,) = summary["objects"]
    assert laptop["category"] == "laptop" and laptop["alarm"] == bool(result.object_alarms[0])
    assert len(laptop["regions"]) == result.superpixels.count
    assert laptop["anomalous_regions"] == int(result.regions.labels.sum())
    # The paper's item score is its highest region's.
    assert laptop["anomaly_score"] == pytest.approx(float(result.regions.scores.max()), abs=1e-4)
    assert max(r["score"] for r in laptop["regions"]) == pytest.approx(laptop["anomaly_score"], abs=1e-4)
    assert result.heatmap.shape == plate.rgb.shape[:2]
    assert np.isnan(result.heatmap[plate.objects_mask == 0]).mean() > 0.99
