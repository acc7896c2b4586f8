"""Annotated scans exported as a region cache that training reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from screener_gui.core.annotation import AnnotationSession
from screener_gui.core.labels import LabelFileError, RegionLabels, save_labels
from screener_gui.core.training.label_export import export_training_set
from screener_gui.core.training.region_cache import RegionCache


def test_export_uses_the_annotators_labels(
    scan_file: Path, scan_labels: RegionLabels, tmp_path: Path
) -> None:
    session = AnnotationSession(scan_labels)  # model: [0, 1, 0, 1]
    session.flip(2)  # the annotator says superpixel 2 is benign
    save_labels(scan_file, session.to_labels())
    unlabelled = scan_file.with_name("other.png")
    Image.fromarray(np.full((20, 20, 3), 255, np.uint8)).save(unlabelled)
    skipped: list[Path] = []
    out = tmp_path / "cache"

    cache = export_training_set(
        [scan_file, unlabelled, scan_file.with_name("bag.png.superpixels.png")],
        out,
        on_unlabelled=skipped.append,
    )

    assert skipped == [unlabelled]
    reopened = RegionCache.open(out)
    np.testing.assert_array_equal(reopened.targets, [0, 0, 0, 1])
    assert reopened.crops.shape == (4, 150, 190, 3) and reopened.crops.dtype == np.uint8
    np.testing.assert_array_equal(reopened.scan_ids, [0, 0, 0, 0])
    np.testing.assert_array_equal(reopened.fractions, [0.0, 0.0, 0.0, 1.0])
    assert cache.meta.object_classes == ("laptop",)
    np.testing.assert_array_equal(reopened.categories, [1] * 4)  # laptop, the first class
    np.testing.assert_array_equal(reopened.kinds, [-1] * 4)  # an annotator records no kind ...
    assert np.isnan(reopened.delta_e).all()  # ... nor a visibility
    meta = cache.meta
    assert (meta.strategy, meta.scans, meta.dataset_count, meta.anomaly, meta.benign, meta.ignored) == (
        "subcomponent",
        1,
        2,
        1,
        3,
        0,
    )
    assert meta.dataset.startswith("annotations: ") and meta.dataset_seed == -1
    # Crops are the superpixels isolated on white: superpixel 3 is blue in the scan.
    centre = reopened.crops[2][75, 95]
    np.testing.assert_array_equal(centre, [30, 60, 200])
    assert not list(out.glob(".*"))  # no temporary files left


def test_labels_that_do_not_match_their_scan_are_refused(
    scan_file: Path, scan_labels: RegionLabels, tmp_path: Path
) -> None:
    save_labels(scan_file, scan_labels)
    Image.fromarray(np.zeros((60, 80, 3), np.uint8)).save(scan_file)
    with pytest.raises(LabelFileError, match=r"bag\.png\.labels\.json"):
        export_training_set([scan_file], tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_nothing_labelled_is_an_error(scan_file: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"none of the scans has a label file"):
        export_training_set([scan_file], tmp_path / "cache")


def test_the_classes_are_those_the_label_files_name(
    scan_file: Path, scan_labels: RegionLabels, tmp_path: Path
) -> None:
    (only,) = scan_labels.objects
    renamed = RegionLabels(**{**scan_labels.__dict__, "objects": (type(only)(0, "toaster", only.box_xyxy),)})
    save_labels(scan_file, renamed)
    cache = export_training_set([scan_file], tmp_path / "cache")
    assert cache.meta.object_classes == ("toaster",)
    np.testing.assert_array_equal(cache.categories, [1, 1, 1, 1])
