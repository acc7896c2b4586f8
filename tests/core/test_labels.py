"""Region label files next to the scan: round trip, the documented layout, every refusal."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from screener_gui.core.labels import (
    FORMAT,
    LabelFileError,
    RegionLabels,
    is_label_file,
    labels_from_result,
    labels_path,
    load_labels,
    save_labels,
    superpixels_path,
)


def _assert_same(a: RegionLabels, b: RegionLabels) -> None:
    assert (a.scan_name, a.scan_sha256, a.threshold, a.objects) == (
        b.scan_name,
        b.scan_sha256,
        b.threshold,
        b.objects,
    )
    for name in ("superpixels", "object_of", "model_scores", "model_labels", "labels"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert getattr(a, name).dtype == getattr(b, name).dtype


def test_saved_labels_load_back_identically_from_files_next_to_the_scan(
    scan_file: Path, scan_labels: RegionLabels
) -> None:
    labels = RegionLabels(**{**scan_labels.__dict__, "labels": np.array([1, 1, 0, 1], np.int8)})
    json_path = save_labels(scan_file, labels)
    assert json_path == scan_file.parent / "bag.png.labels.json" == labels_path(scan_file)
    (png,) = scan_file.parent.glob("*.superpixels.png")
    assert png.name == f"bag.png.{_doc(scan_file)['superpixels_sha256'][:12]}.superpixels.png"
    with Image.open(png) as image:
        assert image.mode == "I;16" and image.size == (80, 60)
    _assert_same(load_labels(scan_file), labels)


def _doc(scan_file: Path) -> dict:
    return json.loads(labels_path(scan_file).read_text(encoding="utf-8"))


def test_a_changed_map_is_saved_under_a_new_name_and_the_old_one_removed(
    scan_file: Path, scan_labels: RegionLabels
) -> None:
    save_labels(scan_file, scan_labels)
    first = _doc(scan_file)["superpixels_png"]
    turned = scan_labels.superpixels[::-1].copy()
    save_labels(scan_file, RegionLabels(**{**scan_labels.__dict__, "superpixels": turned}))
    second = _doc(scan_file)["superpixels_png"]
    assert first != second and [p.name for p in scan_file.parent.glob("*.superpixels.png")] == [second]
    assert (load_labels(scan_file).superpixels == turned).all()
    (scan_file.parent / "bag.png.x.png").write_bytes(b"")  # another scan's name starting alike
    other_map = superpixels_path(scan_file.parent / "bag.png.x.png", "0" * 64)
    other_map.write_bytes(b"")
    save_labels(scan_file, scan_labels)
    assert other_map.exists()  # another scan's map is never touched


def test_json_holds_the_documented_fields(scan_file: Path, scan_labels: RegionLabels) -> None:
    doc = json.loads(save_labels(scan_file, scan_labels).read_text(encoding="utf-8"))
    assert doc["format"] == FORMAT and doc["format_version"] == 1
    assert doc["scan"] == "bag.png" and len(doc["scan_sha256"]) == 64
    map_name = f"bag.png.{doc['superpixels_sha256'][:12]}.superpixels.png"
    assert (doc["height"], doc["width"], doc["superpixels_png"]) == (60, 80, map_name)
    assert doc["objects"] == [{"index": 0, "category": "laptop", "box_xyxy": [10, 10, 70, 50]}]
    assert doc["regions"][1] == {
        "id": 2,
        "object": 0,
        "model_score": pytest.approx(0.9),
        "model_label": 1,
        "label": 1,
    }


def test_label_files_are_not_taken_for_scans() -> None:
    assert is_label_file("bag.png.superpixels.png") and is_label_file("x/bag.png.labels.json")
    assert not is_label_file("bag.png") and not is_label_file("superpixels.png")


def _edit_json(scan: Path, change) -> None:
    path = labels_path(scan)
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format_version=2), "format version 2"),
        (lambda d: d.update(format="something else"), "is not an"),
        (lambda d: d.update(height=61), "superpixel map is"),
        (lambda d: d["regions"][2].update(id=7), "region ids are not 1..4"),
        (lambda d: d["regions"].pop(), "region ids|superpixel 4"),
        (lambda d: d["regions"][0].update(label=2), "not 0 .benign. or 1"),
        (lambda d: d["regions"][0].update(label=0.5), "not 0 .benign. or 1"),
        (lambda d: d.pop("threshold"), "missing field 'threshold'"),
        (lambda d: d.update(superpixels_png="other.png"), "cannot be read"),
    ],
)
def test_damaged_json_is_refused_with_a_clear_message(
    scan_file: Path, scan_labels: RegionLabels, change, message: str
) -> None:
    save_labels(scan_file, scan_labels)
    _edit_json(scan_file, change)
    with pytest.raises(LabelFileError, match=message) as info:
        load_labels(scan_file)
    assert "bag.png.labels.json" in str(info.value)


def test_missing_or_unparsable_label_file_is_refused(scan_file: Path, scan_labels: RegionLabels) -> None:
    with pytest.raises(LabelFileError, match="does not exist"):
        load_labels(scan_file)
    save_labels(scan_file, scan_labels)
    labels_path(scan_file).write_text('{"format": ', encoding="utf-8")
    with pytest.raises(LabelFileError, match="not readable JSON"):
        load_labels(scan_file)


def test_missing_or_altered_superpixel_map_is_refused(scan_file: Path, scan_labels: RegionLabels) -> None:
    save_labels(scan_file, scan_labels)
    png = scan_file.parent / _doc(scan_file)["superpixels_png"]
    sp = np.asarray(Image.open(png)).copy()
    sp[sp == 1] = 2
    Image.fromarray(sp).save(png)
    with pytest.raises(LabelFileError, match="has changed"):
        load_labels(scan_file)
    png.unlink()
    with pytest.raises(LabelFileError, match="cannot be read"):
        load_labels(scan_file)


def test_labels_of_another_scan_are_refused(scan_file: Path, scan_labels: RegionLabels) -> None:
    save_labels(scan_file, scan_labels)
    Image.fromarray(np.zeros((60, 80, 3), np.uint8)).save(scan_file)  # the scan was replaced
    with pytest.raises(LabelFileError, match="does not match its scan"):
        load_labels(scan_file)


def test_inconsistent_labels_are_refused_on_construction(region_labels: RegionLabels) -> None:
    fields = region_labels.__dict__
    with pytest.raises(ValueError, match=r"superpixel 4 of 1\.\.4 is not in the map"):
        RegionLabels(
            **{**fields, "superpixels": np.where(fields["superpixels"] == 4, 3, fields["superpixels"])}
        )
    with pytest.raises(ValueError, match=r"0 \(benign\) or 1"):
        RegionLabels(**{**fields, "labels": np.array([0, 1, 2, 0])})
    with pytest.raises(ValueError, match="labels has shape"):
        RegionLabels(**{**fields, "labels": np.array([0, 1, 0])})


def test_labels_are_a_read_only_copy(region_labels: RegionLabels) -> None:
    with pytest.raises(ValueError, match="read-only"):
        region_labels.labels[0] = 1


def _result(strategy: str, region_labels: RegionLabels) -> SimpleNamespace:
    """The parts of a ScreeningResult that labels are made from."""
    return SimpleNamespace(
        superpixels=SimpleNamespace(labels=region_labels.superpixels, object_of=region_labels.object_of),
        regions=SimpleNamespace(
            strategy=strategy,
            scores=region_labels.model_scores,
            labels=region_labels.model_labels,
            threshold=0.5,
        ),
        objects=(SimpleNamespace(index=0, category="laptop", score=0.98, box=(10, 10, 70, 50)),),
    )


def test_labels_from_a_subcomponent_result_start_as_the_models(region_labels: RegionLabels) -> None:
    made = labels_from_result(_result("subcomponent", region_labels), "bag.png", None)
    _assert_same(made, region_labels)


def test_object_strategy_results_cannot_be_labelled(region_labels: RegionLabels) -> None:
    with pytest.raises(ValueError, match="sub-component"):
        labels_from_result(_result("object", region_labels), "bag.png", None)
