"""Model cards: the shipped weights read into typed cards, cards round-trip, bad metadata is refused
with the file and the field named, and one normalisation serves training and inference."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from screener_gui.core.models.card import (
    MAX_THRESHOLD,
    ClassifierCard,
    DenseCard,
    card_from_metadata,
    read_card,
)
from screener_gui.core.models.dense import DenseDetector
from screener_gui.core.pipeline.classify import RegionModel
from screener_gui.core.pipeline.dense import DenseModel
from screener_gui.core.weights import WeightsError, load_weights, read_metadata, save_weights

SHIPPED = Path(__file__).resolve().parents[2] / "models"
CLASSIFIER_FILE, DETECTOR_FILE = SHIPPED / "classifier.safetensors", SHIPPED / "detector.safetensors"


def _classifier_metadata(**changes) -> dict:
    return {
        "kind": "classifier",
        "arch": "dfl_lite0",
        "strategy": "subcomponent",
        "input_size": [150, 190],
        "mean": [0.5, 0.5, 0.5],
        "std": [0.5, 0.5, 0.5],
        "region_threshold": 0.9,
        "data": {"seed": 7},
        "training": {"epochs": 1},
    } | changes


def _write(path: Path, metadata: dict) -> Path:
    save_weights(path, {"w": torch.zeros(2)}, metadata)
    return path


def test_the_shipped_classifier_reads_into_a_card_with_defaults_for_what_it_predates():
    card = read_card(CLASSIFIER_FILE)
    assert isinstance(card, ClassifierCard)
    assert (card.arch, card.strategy, card.input_size) == ("dfl_lite0", "subcomponent", (150, 190))
    assert card.mode == "crop" and card.input_scale == 1.0  # not in the file: the defaults
    assert card.mean == card.std == (0.5, 0.5, 0.5) and card.data_seed == 1300
    assert 0.9 < card.region_threshold < card.object_threshold <= 1.0
    assert card.extra["calibration"]["object_fpr"] == 0.05 and card.extra["epoch"] == 22


def test_the_shipped_detector_reads_into_a_card():
    card = read_card(DETECTOR_FILE)
    assert isinstance(card, DenseCard)
    assert card.arch == "dense_lite0" and card.item_margin_px == 16 and card.min_delta_e == 2.0
    assert card.mean == card.std == (0.5, 0.5, 0.5) and card.data_seed == 4100
    head = card.extra["item_head"]  # refitted on whole items, kept only where it ranks better
    assert head["kept"] in ("own", "fitted") and head["val_item_auc"] >= head["val_item_auc_before"]
    assert card.region_threshold is not None and card.object_threshold is not None  # calibrated
    assert card.extra["calibration"]["data_seed"] == 4200


@pytest.mark.parametrize("path", [CLASSIFIER_FILE, DETECTOR_FILE], ids=["classifier", "detector"])
def test_a_card_round_trips_and_keeps_every_key_of_the_file(path):
    metadata = read_metadata(path)
    card = card_from_metadata(metadata, path)
    written = card.to_metadata()
    assert card_from_metadata(written) == card
    added = {"mode": "crop", "input_scale": 1.0} if isinstance(card, ClassifierCard) else {}
    assert written == metadata | added


def test_the_shipped_files_load_for_inference():
    assert RegionModel.load(CLASSIFIER_FILE).card == read_card(CLASSIFIER_FILE)
    dense = DenseModel.load(DETECTOR_FILE, torch.device("cpu"))
    assert dense.margin == 16 and dense.metadata == read_card(DETECTOR_FILE).to_metadata()


def test_calibration_of_the_metadata_dict_survives_the_card(tmp_path):
    """``screener calibrate`` updates the thresholds and adds its record to the file's metadata."""
    path = _write(tmp_path / "c.safetensors", _classifier_metadata())
    tensors, metadata = load_weights(path, kind="classifier")
    metadata.update(region_threshold=0.7, object_threshold=0.8, calibration={"data_seed": 2000})
    save_weights(path, tensors, metadata)
    card = read_card(path)
    assert (card.region_threshold, card.object_threshold) == (0.7, 0.8)
    assert card.to_metadata()["calibration"] == {"data_seed": 2000}


def test_a_missing_object_threshold_falls_back_to_the_region_threshold(tmp_path):
    path = tmp_path / "c.safetensors"
    save_weights(path, RegionModel.load(CLASSIFIER_FILE).model.state_dict(), _classifier_metadata())
    model = RegionModel.load(path)
    assert model.region_threshold == model.object_threshold == 0.9


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"region_threshold": math.nan}, "region_threshold nan is not a threshold in"),
        ({"object_threshold": 1.5}, "object_threshold 1.5 is not a threshold in"),
        ({"region_threshold": "high"}, "region_threshold 'high' is not a number"),
        ({"arch": "alexnet"}, "architecture 'alexnet' is not a known classifier .*resnet18"),
        ({"arch": "dense_lite0"}, "architecture 'dense_lite0' is not a known classifier"),
        ({"std": [0.5, 0.0, 0.5]}, "std .* is not three positive numbers"),
        ({"mean": [0.5, 0.5]}, "mean .* is not three finite numbers"),
        ({"mode": "pooled", "arch": "resnet18"}, "pooled mode needs a DFL architecture"),
        ({"input_size": None}, "crop-mode classifier without an input_size"),
        ({"classes": ["anomaly", "benign"]}, "classes .* are not benign, anomaly"),
        ({"data": {"seed": "x"}}, "data seed 'x' is not a whole number"),
    ],
)
def test_bad_metadata_is_refused_naming_the_file_and_the_field(tmp_path, change, message):
    path = _write(tmp_path / "bad.safetensors", _classifier_metadata(**change))
    for read in (read_card, RegionModel.load):
        with pytest.raises(WeightsError, match=message) as caught:
            read(path)
        assert str(caught.value).startswith(f"{path}: ")


def test_a_missing_required_field_and_a_wrong_kind_are_named(tmp_path):
    metadata = _classifier_metadata()
    del metadata["strategy"]
    with pytest.raises(WeightsError, match=r"c\.safetensors: its metadata has no strategy"):
        ClassifierCard.from_metadata(metadata, "c.safetensors")
    with pytest.raises(WeightsError, match="it holds a classifier, expected a dense_detector"):
        DenseCard.from_metadata(_classifier_metadata(), "d.safetensors")
    with pytest.raises(WeightsError, match="'segmenter', not a model with a card"):
        read_card(_write(tmp_path / "s.safetensors", {"kind": "segmenter"}))


def test_an_uncalibrated_classifier_is_refused_for_inference(tmp_path):
    metadata = _classifier_metadata()
    del metadata["region_threshold"]
    path = _write(tmp_path / "c.safetensors", metadata)
    assert read_card(path).region_threshold is None
    with pytest.raises(WeightsError, match="no region_threshold"):
        RegionModel.load(path)


def test_the_threshold_that_alarms_on_nothing_is_accepted():
    card = ClassifierCard.from_metadata(_classifier_metadata(region_threshold=MAX_THRESHOLD))
    assert card.region_threshold > 1.0


def test_a_dense_card_defaults_what_old_files_lack():
    card = DenseCard.from_metadata({"kind": "dense_detector", "arch": "dense_lite0"})
    assert card.item_margin_px == 16 and card.mean == (0.5, 0.5, 0.5) and card.region_threshold is None
    with pytest.raises(WeightsError, match=r"item_margin_px -1 is not a whole number in 0\.\.512"):
        DenseCard.from_metadata({"kind": "dense_detector", "arch": "dense_lite0", "item_margin_px": -1})


def test_a_card_is_frozen_to_its_nested_metadata():
    card = ClassifierCard.from_metadata(_classifier_metadata())
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.region_threshold = 0.1  # type: ignore[misc]
    with pytest.raises(TypeError):
        card.extra["training"] = {}  # type: ignore[index]
    card.to_metadata()["training"]["epochs"] = 99
    assert card.extra["training"]["epochs"] == 1
    assert hash(card) == hash(dataclasses.replace(card))


def test_one_normalisation_for_numpy_crops_and_tensors_of_any_layout():
    card = ClassifierCard.from_metadata(_classifier_metadata(mean=[0.1, 0.2, 0.3], std=[0.5, 0.25, 0.2]))
    crops = np.random.default_rng(0).integers(0, 256, (2, 6, 5, 3), dtype=np.uint8)
    x = card.normalise(crops)
    mean, std = torch.tensor([0.1, 0.2, 0.3])[:, None, None], torch.tensor([0.5, 0.25, 0.2])[:, None, None]
    expected = (torch.from_numpy(crops).permute(0, 3, 1, 2) / 255.0 - mean) / std
    assert x.shape == (2, 3, 6, 5) and x.dtype == torch.float32
    torch.testing.assert_close(x, expected)
    torch.testing.assert_close(card.normalise(torch.from_numpy(crops).permute(0, 3, 1, 2)), x)
    torch.testing.assert_close(card.normalise(crops[0]), x[:1])
    torch.testing.assert_close(card.normalise(crops.astype(np.float32) / 255.0), x)
    with pytest.raises(ValueError, match="three-channel"):
        card.normalise(np.zeros((2, 6, 5, 4), np.uint8))


def test_the_dense_detector_normalises_as_its_card():
    rgb = torch.randint(0, 256, (1, 3, 8, 9), dtype=torch.uint8)
    card = DenseCard(arch="dense_lite0", mean=(0.2, 0.3, 0.4), std=(0.3, 0.3, 0.3))
    model = DenseDetector(pretrained=False, mean=card.mean, std=card.std)
    torch.testing.assert_close(model.normalise(rgb), card.normalise(rgb))
    default = DenseDetector(pretrained=False)
    torch.testing.assert_close(default.normalise(rgb), DenseCard(arch="dense_lite0").normalise(rgb))


def test_a_dense_file_with_its_own_normalisation_is_applied_with_it(tmp_path):
    model = DenseDetector(pretrained=False)
    path = tmp_path / "d.safetensors"
    card = DenseCard(arch="dense_lite0", mean=(0.2, 0.3, 0.4), std=(0.3, 0.3, 0.3), item_margin_px=4)
    save_weights(path, model.state_dict(), card.to_metadata())
    loaded = DenseModel.load(path, torch.device("cpu"))
    assert loaded.model.mean == (0.2, 0.3, 0.4) and loaded.margin == 4
