"""Property-based tests: whatever bytes a scan, label or decision file holds, only the reader's own
error class comes out (never a decoder's exception, a hang or a crash); plus the memory budget."""

from __future__ import annotations

import contextlib
import io
import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import tifffile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from screener_gui.core import io as scan_io
from screener_gui.core.decisions import load_decision_log
from screener_gui.core.errors import ScanLoadError
from screener_gui.core.io import estimate_air_level, load_scan
from screener_gui.core.labels import (
    LabelFileError,
    LabelledObject,
    RegionLabels,
    labels_path,
    load_labels,
    save_labels,
)
from screener_gui.core.models.card import card_from_metadata
from screener_gui.core.weights import WeightsError

FAST = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _valid(fmt: str) -> bytes:
    rng = np.random.default_rng(1)
    buffer = io.BytesIO()
    if fmt == "TIFF":
        tifffile.imwrite(buffer, rng.integers(0, 65535, (12, 10), dtype=np.uint16), compression="zlib")
    else:
        Image.fromarray(rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)).save(buffer, format=fmt)
    return buffer.getvalue()


VALID = {".png": _valid("PNG"), ".tif": _valid("TIFF"), ".jpg": _valid("JPEG"), ".bmp": _valid("BMP")}


@st.composite
def mutated(draw, original: bytes) -> bytes:
    """``original`` with a few bytes changed, a cut, or bytes inserted."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["flip", "cut", "insert", "zero_run"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif action == "cut":
            del data[at:]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            data[at : at + 8] = bytes(min(8, len(data) - at))
    return bytes(data)


def _only_scan_errors(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        scan = load_scan(path)
    except ScanLoadError as error:
        assert path.name in str(error) and "\n" not in str(error)
    else:
        assert scan.rgb.dtype == np.uint8 and scan.rgb.ndim == 3


@FAST
@given(data=st.binary(max_size=300), suffix=st.sampled_from(sorted(VALID)))
def test_random_bytes_only_ever_give_a_scan_load_error(tmp_path, data, suffix):
    _only_scan_errors(tmp_path / f"random{suffix}", data)


@FAST
@given(st.data())
def test_mutated_images_only_ever_give_a_scan_load_error(tmp_path, data):
    suffix = data.draw(st.sampled_from(sorted(VALID)))
    _only_scan_errors(tmp_path / f"mutated{suffix}", data.draw(mutated(VALID[suffix])))


@settings(deadline=None)
@given(st.lists(st.integers(0, 65535), min_size=1, max_size=400))
def test_the_histogram_air_level_equals_the_percentile_rule(values):
    grey = np.array(values, np.uint16)
    try:
        expected = estimate_air_level(grey.astype(np.float64))
    except ValueError:
        with pytest.raises(ValueError):
            estimate_air_level(grey)
        return
    assert estimate_air_level(grey) == pytest.approx(expected, rel=1e-6)


# ---- label files ---------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    scan = tmp_path / "bag.png"
    Image.fromarray(np.full((30, 40, 3), 255, np.uint8)).save(scan)
    sp = np.zeros((30, 40), np.int32)
    sp[5:25, 5:20], sp[5:25, 20:35] = 1, 2
    save_labels(
        scan,
        RegionLabels(
            scan_name="bag.png",
            scan_sha256=None,
            superpixels=sp,
            object_of=np.array([-1, 0, 0], np.int32),
            model_scores=np.array([0.2, 0.7], np.float32),
            model_labels=np.array([0, 1], np.int8),
            labels=np.array([0, 1], np.int8),
            threshold=0.5,
            objects=(LabelledObject(0, "phone", (5, 5, 35, 25)),),
        ),
    )
    return scan


def _replace_somewhere(doc: object, path: list[int], value: object) -> object:
    """``doc`` with the node that ``path`` picks (indices taken modulo each container) replaced."""
    if not path or not isinstance(doc, dict | list) or not doc:
        return value
    keys = list(doc) if isinstance(doc, dict) else list(range(len(doc)))
    key = keys[path[0] % len(keys)]
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[key] = _replace_somewhere(copy[key], path[1:], value)
    return copy


@FAST
@given(where=st.lists(st.integers(0, 50), max_size=4), value=JSON_VALUES)
def test_a_label_file_with_any_field_replaced_only_gives_a_label_file_error(labelled, where, value):
    json_path = labels_path(labelled)
    original = json_path.read_text()
    try:
        json_path.write_text(json.dumps(_replace_somewhere(json.loads(original), where, value)))
        try:
            labels = load_labels(labelled)
        except LabelFileError as error:
            assert "bag.png.labels.json" in str(error)
        else:
            assert labels.count == len(labels.model_scores)
    finally:
        json_path.write_text(original)


@FAST
@given(st.data())
def test_a_label_file_with_damaged_bytes_only_gives_a_label_file_error(labelled, data):
    json_path = labels_path(labelled)
    original = json_path.read_bytes()
    try:
        json_path.write_bytes(data.draw(mutated(original)))
        with contextlib.suppress(LabelFileError):
            load_labels(labelled)
    finally:
        json_path.write_bytes(original)


# ---- decision logs and model metadata -----------------------------------------------------------

GOOD_LINE = {
    "time": "2024-05-01T08:30:00.125+00:00",
    "source": "bag.png",
    "decision": "clear",
    "model_alarm": False,
    "bag_score": 0.25,
    "seconds_on_bag": 2.5,
    "objects": 1,
}


@FAST
@given(
    lines=st.lists(
        st.one_of(
            st.binary(max_size=40),
            st.builds(
                lambda k, v: json.dumps(GOOD_LINE | {k: v}).encode(),
                st.sampled_from(sorted(GOOD_LINE)),
                JSON_VALUES,
            ),
            st.just(b'{"bag_score": NaN}'),
            st.just(b"[" * 50_000),
        ),
        max_size=6,
    )
)
def test_a_decision_log_of_any_lines_reads_without_an_exception(tmp_path, lines):
    path = tmp_path / "decisions.jsonl"
    path.write_bytes(b"\n".join([json.dumps(GOOD_LINE).encode(), *lines]))
    contents = load_decision_log(path)
    assert contents.decisions[0].source == "bag.png"
    for decision in contents.decisions:
        assert 0.0 <= decision.bag_score <= 1.0 and decision.seconds_on_bag >= 0


@FAST
@given(
    key=st.sampled_from(
        [
            "arch",
            "region_threshold",
            "superpixel_area",
            "input_size",
            "input_scale",
            "mean",
            "std",
            "strategy",
            "mode",
            "classes",
            "data",
        ]
    ),
    value=JSON_VALUES,
)
def test_classifier_metadata_with_any_field_replaced_only_gives_a_weights_error(key, value):
    metadata = {
        "kind": "classifier",
        "arch": "dfl_lite0",
        "strategy": "subcomponent",
        "input_size": [150, 190],
        "mean": [0.5, 0.5, 0.5],
        "std": [0.5, 0.5, 0.5],
        "region_threshold": 0.9,
    }
    try:
        card = card_from_metadata(metadata | {key: value}, "c.safetensors")
    except WeightsError as error:
        assert str(error).startswith("c.safetensors: ")
    else:
        assert card.region_threshold is None or 0 <= card.region_threshold <= 1.0001


# ---- memory --------------------------------------------------------------------------------------


def test_a_large_rgba_image_loads_without_full_size_float_copies(tmp_path):
    # 2000 x 2000 RGBA: 16 MB decoded, 12 MB of output. Converted as a whole, each float32 copy
    # took 64 MB and there were several (an 8900 x 8900 white RGBA PNG peaked at 4.4 GB); in
    # strips the whole load holds less than one such copy.
    path = tmp_path / "white.png"
    Image.fromarray(np.full((2000, 2000, 4), 255, np.uint8)).save(path)
    tracemalloc.start()
    try:
        scan = load_scan(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert scan.rgb.shape == (2000, 2000, 3) and (scan.rgb == 255).all()
    assert peak < 64e6, f"peak {peak / 1e6:.0f} MB"


def test_a_load_above_the_memory_budget_is_refused_before_decoding(tmp_path, monkeypatch):
    path = tmp_path / "float.tif"
    tifffile.imwrite(path, np.ones((100, 100), np.float32))
    monkeypatch.setattr(scan_io, "MAX_LOAD_BYTES", 100 * 100 * 10)  # under the 15 bytes a float pixel takes
    with pytest.raises(ScanLoadError, match=r"too large to load .*MiB of memory"):
        load_scan(path)
    monkeypatch.setattr(scan_io, "MAX_LOAD_BYTES", 100 * 100 * 15)
    assert load_scan(path).rgb.shape == (100, 100, 3)
