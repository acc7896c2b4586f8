"""Evaluation on a hand-written dataset with a scripted screener: the tables tell which anomalies
were found, by visibility bin and kind, and list every region and object."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from screener_gui.core.dataset import Dataset
from screener_gui.core.pipeline.objects import ObjectInstance
from screener_gui.core.pipeline.screen import RegionScores, ScreeningResult
from screener_gui.core.pipeline.superpixels import Superpixels
from screener_gui.core.scan import Scan
from screener_gui.core.training.evaluate import OBJECT_COLUMNS, REGION_COLUMNS, evaluate
from screener_gui.core.training.settings import EvaluateSettings

BLOCK = 10  # superpixels of the scripted screener: 10 x 10 px blocks of each object
THRESHOLD = 0.5
ALL = EvaluateSettings()  # every scan


class _Part:
    def __init__(self, metadata: dict) -> None:
        self.metadata = metadata


class ObviousOnlyScreener:
    """Finds every true object and scores a block 0.9 when it touches an anomaly of ΔE >= 10, else
    0.1: a screener that sees obvious anomalies only."""

    def __init__(self, folder: Path) -> None:
        self.dataset = Dataset.open(folder)
        self.detector = _Part({"arch": "scripted", "data": {"seed": 1}})
        self.detector.mode, self.detector.strategy = "dense", "subcomponent"
        self.detector.region_threshold = self.detector.object_threshold = THRESHOLD
        self.segmenter = _Part({"backbone": "truth", "data_seed": 1})
        self.device = "cpu"

    def found_mask(self, truth: np.ndarray, anomaly_map: np.ndarray) -> np.ndarray:
        """The mask the scripted segmenter finds for a true object: the truth itself."""
        return truth

    def screen(self, scan: Scan) -> ScreeningResult:
        entry = next(s for s in self.dataset.scans if scan.source.endswith(f"{s.name}.png"))
        objects_map, anomaly_map = entry.load_object_map(), entry.load_anomaly_map()
        obvious = np.isin(anomaly_map, [a.index for a in entry.anomalies if a.delta_e >= 10])
        labels = np.zeros(objects_map.shape, np.int32)
        object_of, scores, objects = [-1], [], []
        for i, obj in enumerate(entry.objects):
            mask = self.found_mask(objects_map == obj.index, anomaly_map)
            blocks = (np.arange(mask.shape[0])[:, None] // BLOCK) * 100 + np.arange(mask.shape[1]) // BLOCK
            for block in np.unique(blocks[mask]):
                region = mask & (blocks == block)
                labels[region] = len(object_of)
                object_of.append(i)
                scores.append(0.9 if obvious[region].any() else 0.1)
            rows, cols = np.nonzero(mask)
            box = (int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1)
            objects.append(ObjectInstance(i, obj.category, 0.99, box, mask))
        of = np.array(object_of[1:], np.int32)
        region_scores = np.array(scores, np.float32)
        object_scores = np.array([region_scores[of == i].max() for i in range(len(objects))], np.float32)
        return ScreeningResult(
            source=scan.source,
            shape=objects_map.shape,
            objects=tuple(objects),
            superpixels=Superpixels(labels, np.array(object_of, np.int32)),
            regions=RegionScores(
                "subcomponent", region_scores, (region_scores >= THRESHOLD).astype(np.int8), of, THRESHOLD
            ),
            object_scores=object_scores,
            object_alarms=object_scores >= THRESHOLD,
            heatmap=np.full(objects_map.shape, np.nan, np.float32),
            alarm=bool((object_scores >= THRESHOLD).any()),
            bag_score=float(object_scores.max(initial=0.0)),
            object_threshold=THRESHOLD,
            timings={"total": 1.0},
        )


class PartialMaskScreener(ObviousOnlyScreener):
    """Finds every item, but without the part that hides its anomalies."""

    def found_mask(self, truth: np.ndarray, anomaly_map: np.ndarray) -> np.ndarray:
        return truth & (anomaly_map == 0)


@pytest.fixture
def evaluated(tmp_path: Path, planted):
    scans = [
        planted.Scan(
            (10, 10, 50, 70),
            "laptop",
            (
                planted.Anomaly((15, 15, 25, 35), "organic_slab", 12.5),  # obvious
                planted.Anomaly((40, 60, 43, 64), "screws", 1.5),  # below: 12 px
            ),
        ),
        planted.Scan((20, 5, 40, 40), "phone", (planted.Anomaly((25, 10, 30, 20), "handgun", 7.0),)),
        planted.Scan((10, 10, 50, 70), "laptop"),
    ]
    folder = planted.write(tmp_path / "data", scans)
    out = tmp_path / "eval"
    rows, breakdowns, _ = evaluate(folder, ObviousOnlyScreener(folder), out, ALL)
    return out, rows, breakdowns


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_only_obvious_anomalies_found_shows_in_the_bins(evaluated) -> None:
    out, _, breakdowns = evaluated
    for level in ("region", "object", "bag"):
        by_name = {row.name: row for row in breakdowns[level]}
        assert by_name["obvious"].tp_rate == 1.0, level
        assert by_name["medium"].tp_rate == 0.0 and by_name["medium"].positives >= 1, level
        assert by_name["all"].fp_rate == 0.0
    region = {row.name: row for row in breakdowns["region"]}
    assert region["below"].positives == 1 and region["below"].tp_rate == 0.0  # the 12-px screws
    assert region["screws"].positives == 1 and region["handgun"].tp_rate == 0.0
    document = json.loads((out / "metrics.json").read_text())
    assert {row["name"] for row in document["breakdown"]["bag"]} >= {"below", "visible", "handgun"}
    assert "TP % at 3.5 % FP" in (out / "metrics.md").read_text()


def test_regions_csv_lists_every_region_with_its_anomaly(evaluated) -> None:
    out, rows, _ = evaluated
    table = _csv(out / "regions.csv")
    assert tuple(table[0]) == REGION_COLUMNS
    screws = [r for r in table if r["kind"] == "screws"]
    assert len(screws) == 1 and screws[0]["label"] == "1" and screws[0]["delta_e"] == "1.5"
    assert screws[0]["scan"] == "bag_000000" and float(screws[0]["score"]) == pytest.approx(0.1)
    assert {r["label"] for r in table} == {"1", "0", "-1"}  # the rule's ignored regions are listed too
    benign = [r for r in table if r["label"] == "0"]
    assert all(r["anomaly_id"] == "0" and r["kind"] == "" and r["delta_e"] == "" for r in benign)
    labelled = sum(1 for r in table if r["label"] != "-1")
    assert rows["region"].n == labelled


def test_objects_csv_names_kinds_and_the_most_visible_anomaly(evaluated) -> None:
    out, rows, _ = evaluated
    table = _csv(out / "objects.csv")
    assert tuple(table[0]) == OBJECT_COLUMNS
    laptop, phone, clean = table
    assert (laptop["class"], laptop["alarm"], laptop["label"]) == ("laptop", "1", "1")
    assert laptop["kinds"] == "organic_slab;screws" and laptop["max_delta_e"] == "12.5"
    assert (phone["alarm"], phone["label"], phone["kinds"], phone["max_delta_e"]) == (
        "0",
        "1",
        "handgun",
        "7",
    )
    assert (clean["alarm"], clean["label"], clean["kinds"], clean["max_delta_e"]) == ("0", "0", "", "")
    assert rows["bag"].tp == 1 and rows["bag"].fn == 1 and rows["bag"].tn == 1


def test_an_item_found_without_the_part_hiding_its_anomaly_is_a_missed_threat(two_scan_dataset, tmp_path):
    rows, _, _ = evaluate(two_scan_dataset, PartialMaskScreener(two_scan_dataset), tmp_path, ALL)
    table = _csv(tmp_path / "objects.csv")
    found = [r for r in table if not r["object"].startswith("missed")]
    missed = [r for r in table if r["object"].startswith("missed")]
    assert [r["label"] for r in found] == ["0", "0"]  # the masks hold no anomaly pixel
    assert [(r["scan"], r["object"], r["label"], r["score"], r["kinds"]) for r in missed] == [
        ("bag_000000", "missed:1", "1", "0", "organic_slab;screws"),
        ("bag_000001", "missed:1", "1", "0", "handgun"),
    ]
    assert rows["object"].positives == 2 and rows["object"].tp == 0


def test_pointing_counts_alarmed_items_whose_best_region_is_on_the_anomaly():
    from screener_gui.core.training.evaluate import Collected, ObjectRecord, RegionRecord, pointing

    c = Collected()
    for obj, scores_labels in enumerate(([(0.9, 1), (0.2, 0)], [(0.8, 0), (0.7, 1)], [(0.9, -1), (0.1, 1)])):
        for number, (score, label) in enumerate(scores_labels, 1):
            c.regions.append(RegionRecord("s", obj, number, score, label, 1, "k", 5.0))
        c.objects.append(ObjectRecord("s", str(obj), "laptop", 0.9, True, 1, ("k",), 5.0))
    c.objects.append(ObjectRecord("s", "missed:4", "laptop", 0.0, False, 1, ("k",), 5.0))
    assert pointing(c) == "1 of 3 (33.3 %; 2 touching one)"
    assert pointing(Collected()) == "no alarmed anomalous item"


def test_evaluation_and_calibration_report_each_scan_and_stop_before_writing(two_scan_dataset, tmp_path):
    import threading

    from screener_gui.core.jobs import Cancelled
    from screener_gui.core.training.evaluate import calibrate

    screener = ObviousOnlyScreener(two_scan_dataset)
    calls: list[tuple[int, int]] = []
    evaluate(two_scan_dataset, screener, tmp_path / "all", ALL, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(0, 2), (1, 2), (2, 2)]
    cancel = threading.Event()
    stop_after_one = lambda done, total: done and cancel.set()  # noqa: E731
    with pytest.raises(Cancelled):
        evaluate(two_scan_dataset, screener, tmp_path / "cut", ALL, progress=stop_after_one, cancel=cancel)
    assert not (tmp_path / "cut").exists()
    cancel.clear()
    weights = tmp_path / "detector.safetensors"
    with pytest.raises(Cancelled):
        calibrate(two_scan_dataset, screener, weights, progress=stop_after_one, cancel=cancel)
    assert not weights.exists()  # never reached: a cancelled calibration leaves the file as it was


def test_a_scan_whose_files_are_damaged_is_named_and_left_out_and_the_others_are_evaluated(
    two_scan_dataset, tmp_path
):
    (two_scan_dataset / "images" / "bag_000001.png").write_bytes(b"\x89PNG\r\n\x1a\n cut short")
    rows, _, notes = evaluate(two_scan_dataset, PartialMaskScreener(two_scan_dataset), tmp_path, ALL)
    (problem,) = notes["scans not evaluated (left out of every figure)"]
    assert problem.startswith("bag_000001: ") and "bag_000001.png" in problem
    assert rows["bag"].positives + rows["bag"].negatives == 1  # only the readable scan counts
    assert [r["scan"] for r in _csv(tmp_path / "objects.csv")] == ["bag_000000", "bag_000000"]
