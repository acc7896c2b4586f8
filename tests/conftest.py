"""Shared test set-up: no display, no user settings, no network."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory):
    """Six small generated scans (one item each, most hiding an anomaly), seed 0, with their
    sub-component region cache: shared by the training and evaluation tests."""
    from screener_gui.core.training.region_cache import extract_regions
    from screener_gui.synth.dataset import write_dataset
    from screener_gui.synth.scene import SynthSettings

    folder = tmp_path_factory.mktemp("tiny_dataset")
    write_dataset(
        folder,
        6,
        seed=0,
        workers=1,
        settings=SynthSettings(width_px=480, height_px=384, items_only=True, anomaly_rate=0.9),
    )
    regions = tmp_path_factory.mktemp("tiny_regions")
    extract_regions(folder, regions, strategy="subcomponent", superpixel_area=1500, workers=1, progress=False)
    return folder, regions


@pytest.fixture(scope="session")
def tiny_objects(tiny_dataset, tmp_path_factory):
    """The tiny dataset's objects with labelled superpixels (the pooled mode's training input)."""
    from screener_gui.core.training.object_cache import extract_objects

    folder = tmp_path_factory.mktemp("tiny_objects")
    return extract_objects(tiny_dataset[0], folder, superpixel_area=1500, workers=1, progress=False)
