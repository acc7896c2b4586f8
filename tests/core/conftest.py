"""Fixtures for the core tests: a tiny scan with hand-made superpixels and region labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from screener_gui.core.labels import LabelledObject, RegionLabels, file_sha256

SCAN_SHAPE = (60, 80)  # (height, width) in pixels
OBJECT_BOX = (10, 10, 70, 50)  # (x0, y0, x1, y1) of the one object


def quadrant_superpixels() -> np.ndarray:
    """int32 (60, 80): one object cut into four quadrant superpixels 1-4, 0 around it."""
    sp = np.zeros(SCAN_SHAPE, np.int32)
    sp[10:30, 10:40], sp[10:30, 40:70], sp[30:50, 10:40], sp[30:50, 40:70] = 1, 2, 3, 4
    return sp


def make_labels(scan_name: str = "bag.png", scan_sha256: str | None = None) -> RegionLabels:
    """Labels of :func:`quadrant_superpixels`: the model calls superpixels 2 and 4 anomalies."""
    scores = np.array([0.1, 0.9, 0.2, 0.7], np.float32)
    model = (scores >= 0.5).astype(np.int8)
    return RegionLabels(
        scan_name=scan_name,
        scan_sha256=scan_sha256,
        superpixels=quadrant_superpixels(),
        object_of=np.array([-1, 0, 0, 0, 0], np.int32),
        model_scores=scores,
        model_labels=model,
        labels=model,
        threshold=0.5,
        objects=(LabelledObject(0, "laptop", OBJECT_BOX),),
    )


@pytest.fixture
def scan_file(tmp_path: Path) -> Path:
    """A small RGB scan on disk: white belt, each quadrant of the object a different colour."""
    rgb = np.full((*SCAN_SHAPE, 3), 255, np.uint8)
    colours = {1: (200, 120, 40), 2: (40, 160, 60), 3: (30, 60, 200), 4: (90, 90, 90)}
    sp = quadrant_superpixels()
    for region_id, colour in colours.items():
        rgb[sp == region_id] = colour
    path = tmp_path / "scans" / "bag.png"
    path.parent.mkdir()
    Image.fromarray(rgb).save(path)
    return path


@pytest.fixture
def scan_labels(scan_file: Path) -> RegionLabels:
    """Model-made labels for ``scan_file`` (not yet saved)."""
    return make_labels(scan_file.name, file_sha256(scan_file))


@pytest.fixture
def region_labels() -> RegionLabels:
    """Labels of the quadrant superpixels for a scan that is no file (no SHA-256)."""
    return make_labels()
