"""Modes as one protocol: the screener hands items to a detector, and what it reports (JSON, region
maps, contours) agrees with the decision."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from screener_gui.core.pipeline import overlay
from screener_gui.core.pipeline.detectors import (
    DenseItemDetector,
    Detection,
    PaperDetector,
    load_detector,
)
from screener_gui.core.pipeline.figure import contour_view
from screener_gui.core.pipeline.objects import ObjectInstance
from screener_gui.core.pipeline.screen import BELOW_ALARM, MODE_FILES, Screener, models_dir
from screener_gui.core.pipeline.superpixels import Superpixels
from screener_gui.core.scan import Scan
from screener_gui.core.weights import WeightsError


class TwoItems:
    """Stands in for the segmenter: two square items."""

    def detect(self, rgb: np.ndarray) -> tuple[ObjectInstance, ...]:
        out = []
        for i, (y, x) in enumerate(((10, 10), (10, 90))):
            mask = np.zeros(rgb.shape[:2], bool)
            mask[y : y + 60, x : x + 60] = True
            out.append(ObjectInstance(i, "laptop", 0.9, (x, y, x + 60, y + 60), mask))
        return tuple(out)


class HotSpots:
    """A detector that scores the first superpixel of each item 0.9 and the rest 0.1; item 0 scores
    0.8 and item 1 0.2, so item 1's hot region lies below the alarm."""

    mode, strategy = "dense", "subcomponent"
    region_threshold, object_threshold = 0.5, 0.5
    device = torch.device("cpu")

    def __init__(self) -> None:
        self.metadata = {"arch": "scripted", "superpixel_area": 400}

    def detect(self, rgb, masks, sp) -> Detection:
        scores = np.full(sp.count, 0.1, np.float32)
        for i in range(len(masks)):
            scores[sp.of_object(i)[0] - 1] = 0.9
        heat = np.full(rgb.shape[:2], np.nan, np.float32)
        items = np.array([0.8, 0.2], np.float32)
        return Detection(scores, sp.object_of[1:].astype(np.int32), items, heat, {"classification": 1.0})


@pytest.fixture(scope="module")
def result():
    rng = np.random.default_rng(0)
    parts = rng.integers(60, 200, (8, 16, 3)).astype(np.uint8)  # 10 x 10 px parts in many colours
    rgb = parts.repeat(10, 0).repeat(10, 1)
    return Screener(TwoItems(), HotSpots()).screen(Scan(rgb=rgb, source="two"))


def test_a_hot_region_in_an_item_that_does_not_alarm_is_below_the_alarm(result):
    assert result.mode == "dense" and result.alarm and result.object_alarms.tolist() == [True, False]
    states = result.region_states()
    hot = np.flatnonzero(result.regions.labels == 1)
    assert len(hot) == 2 and result.superpixels.count > 6
    assert [int(states[r]) for r in hot] == [1, BELOW_ALARM]


def test_red_contours_lie_only_in_the_alarmed_item(result):
    rgb = np.full((*result.shape, 3), 128, np.uint8)
    view = contour_view(rgb, result)
    red = (view == overlay.ANOMALY_RGB).all(-1)
    yellow = (view == overlay.BELOW_ALARM_RGB["red_green"]).all(-1)
    assert red[:, :80].any() and not red[:, 80:].any()
    assert yellow[:, 80:].any() and not yellow[:, :80].any()


def test_the_json_gives_each_items_regions_and_the_map_locates_them(result):
    summary = json.loads(json.dumps(result.summary()))
    region_map = result.region_map()
    assert region_map.dtype == np.uint16 and region_map.shape == result.shape
    for item in summary["objects"]:
        assert len(item["regions"]) == int(np.count_nonzero(result.regions.object_of == item["index"]))
        for region in item["regions"]:
            ys, xs = np.nonzero(region_map == region["id"])
            x0, y0, x1, y1 = region["box_xyxy"]
            assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (x0, y0, x1, y1)
            assert region["anomalous"] == (region["score"] >= summary["region_threshold"])
    states = [r["state"] for item in summary["objects"] for r in item["regions"]]
    assert states.count("alarm") == 1 and states.count("below_alarm") == 1
    assert summary["mode"] == "dense"


def test_the_object_strategy_maps_each_item_as_one_region():
    masks = [np.zeros((20, 30), bool)]
    masks[0][2:8, 3:9] = True
    sp = Superpixels(masks[0].astype(np.int32), np.array([-1, 0], np.int32))
    from screener_gui.core.pipeline.screen import RegionScores, ScreeningResult

    res = ScreeningResult(
        source="x",
        shape=(20, 30),
        objects=(ObjectInstance(0, "phone", 0.9, (3, 2, 9, 8), masks[0]),),
        superpixels=None,
        regions=RegionScores(
            "object", np.array([0.7], np.float32), np.array([1], np.int8), np.array([0]), 0.5
        ),
        object_scores=np.array([0.7], np.float32),
        object_alarms=np.array([True]),
        heatmap=np.zeros((20, 30), np.float32),
        alarm=True,
        bag_score=0.7,
        object_threshold=0.5,
    )
    assert np.array_equal(res.region_map(), sp.labels.astype(np.uint16))
    assert res.summary()["objects"][0]["regions"][0]["box_xyxy"] == [3, 2, 9, 8]


def test_each_shipped_file_gives_its_mode_and_a_mismatch_is_refused():
    cpu = torch.device("cpu")
    assert isinstance(load_detector(models_dir() / MODE_FILES["dense"], cpu), DenseItemDetector)
    assert isinstance(load_detector(models_dir() / MODE_FILES["paper"], cpu), PaperDetector)
    with pytest.raises(WeightsError, match="paper"):
        Screener.load(detector=models_dir() / MODE_FILES["dense"], device="cpu", mode="paper")
    with pytest.raises(WeightsError, match="segmenter"):
        load_detector(models_dir() / "segmenter.safetensors", cpu)
