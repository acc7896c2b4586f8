"""DICOS in and out: images load as scans (as io renders them), scans and results are written as
DICOS files that plain pydicom reads, and every bad file is one clear ScanLoadError."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
import torch
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    DICOSDigitalXRayImageStorageForProcessing,
    DICOSThreatDetectionReportStorage,
    ExplicitVRLittleEndian,
    JPEGLSLossless,
    RLELossless,
    generate_uid,
)

from screener_gui.core import io
from screener_gui.core.decisions import Decision
from screener_gui.core.dicos import HIGH_ENERGY, LOW_ENERGY, load_dicos, write_dicos_scan
from screener_gui.core.errors import ScanLoadError
from screener_gui.core.pipeline.detectors import Detection
from screener_gui.core.pipeline.objects import ObjectInstance
from screener_gui.core.pipeline.screen import Screener, ScreeningResult
from screener_gui.core.scan import Scan
from screener_gui.core.scan_files import TDR_SUFFIX, is_dicos, is_dicos_name
from screener_gui.core.tdr import ThreatRegion, ThreatReportError, read_threat_report, write_threat_report

AIR = 60000  # raw air level of a scanner's 16-bit detector


def _raw_channel(object_level: int, seed: int, shape: tuple[int, int] = (40, 50)) -> np.ndarray:
    """uint16 raw channel: noisy air, a block of material, a nearly opaque bar."""
    rng = np.random.default_rng(seed)
    values = rng.normal(AIR, 120, shape)
    values[5:30, 10:40] = rng.normal(object_level, 80, (25, 30))
    values[32:36, :] = 300
    return np.clip(np.rint(values), 0, 65535).astype(np.uint16)


def _image_dataset(pixels: np.ndarray, photometric: str, bits: int, **attributes: object) -> Dataset:
    """A minimal DX image as a scanner might send it (no transmission mapping, no labels)."""
    ds = Dataset()
    ds.SOPClassUID = DICOSDigitalXRayImageStorageForProcessing
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality = "DX"
    ds.set_pixel_data(pixels, photometric, bits)
    for name, value in attributes.items():
        setattr(ds, name, value)
    return ds


def _save(path: Path, ds: Dataset) -> Path:
    meta = getattr(ds, "file_meta", None)
    syntax = meta.TransferSyntaxUID if meta is not None else ExplicitVRLittleEndian
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = syntax
    pydicom.dcmwrite(path, ds, enforce_file_format=True)
    return path


def _label_frames(ds: Dataset, labels: list[str]) -> None:
    ds.PerFrameFunctionalGroupsSequence = []
    for label in labels:
        content = Dataset()
        content.FrameLabel = label
        group = Dataset()
        group.FrameContentSequence = [content]
        ds.PerFrameFunctionalGroupsSequence.append(group)


@pytest.fixture
def dual_scan() -> Scan:
    high = _raw_channel(30000, seed=1).astype(np.float32) / AIR
    low = _raw_channel(15000, seed=2).astype(np.float32) / AIR
    high, low = (np.clip(t, 1 / 65535, 1).astype(np.float32) for t in (high, low))
    return Scan(rgb=io._render(high, low), high=high, low=low, source="synthetic bag")


# --- images ----------------------------------------------------------------------------------


def test_a_dual_energy_scan_round_trips_as_two_labelled_frames(tmp_path: Path, dual_scan: Scan) -> None:
    path = tmp_path / "bag.dcm"
    write_dicos_scan(path, dual_scan)

    ds = pydicom.dcmread(path)
    assert ds.SOPClassUID == DICOSDigitalXRayImageStorageForProcessing and ds.Modality == "DX"
    assert int(ds.NumberOfFrames) == 2 and ds.BitsStored == 16
    labels = [g.FrameContentSequence[0].FrameLabel for g in ds.PerFrameFunctionalGroupsSequence]
    assert labels == [HIGH_ENERGY, LOW_ENERGY]

    scan = load_dicos(path)
    assert scan.is_dual_energy and scan.source == str(path)
    np.testing.assert_allclose(scan.high, dual_scan.high, atol=0.5 / 65535 + 1e-7)
    np.testing.assert_allclose(scan.low, dual_scan.low, atol=0.5 / 65535 + 1e-7)
    assert np.array_equal(scan.rgb, io._render(scan.high, scan.low))
    # What the operator sees barely changes through 16-bit storage (most in the near-opaque bar,
    # where a stored step is the largest share of the value).
    change = np.abs(scan.rgb.astype(int) - dual_scan.rgb).max(axis=2)
    assert (change <= 1).mean() > 0.99 and change.max() <= 4


def test_a_scanners_dual_energy_frames_load_like_the_same_png_pair(tmp_path: Path) -> None:
    high_raw, low_raw = _raw_channel(30000, seed=1), _raw_channel(15000, seed=2)
    ds = _image_dataset(np.stack([low_raw, high_raw]), "MONOCHROME2", 16)  # low first: order is free
    _label_frames(ds, ["low energy", "High Energy"])
    scan = load_dicos(_save(tmp_path / "scanner_output", ds))  # no extension: found by content

    Image.fromarray(high_raw).save(tmp_path / "bag_high.png")
    Image.fromarray(low_raw).save(tmp_path / "bag_low.png")
    expected = io.load_scan(tmp_path / "bag_high.png")
    assert np.array_equal(scan.high, expected.high) and np.array_equal(scan.low, expected.low)
    assert np.array_equal(scan.rgb, expected.rgb)


def test_a_16bit_monochrome1_dx_with_rescale_shows_as_the_same_grey_png(tmp_path: Path) -> None:
    intensity = _raw_channel(30000, seed=3)  # what the detector measured, air brightest
    stored = (4095 - intensity // 16).astype(np.uint16)  # 12-bit MONOCHROME1: air is the lowest value
    ds = _image_dataset(stored, "MONOCHROME1", 12, RescaleSlope="16", RescaleIntercept="0")
    scan = load_dicos(_save(tmp_path / "grey.dcm", ds))

    Image.fromarray((intensity // 16 * 16).astype(np.uint16)).save(tmp_path / "grey.png")
    expected = io.load_scan(tmp_path / "grey.png")
    assert not scan.is_dual_energy
    assert np.array_equal(scan.rgb, expected.rgb)
    assert (scan.rgb[0:3] >= 245).all() and scan.rgb[33, 20].max() < 5  # air white, metal dark


def test_a_compressed_image_pydicom_can_decode_loads_like_the_uncompressed_one(tmp_path: Path) -> None:
    intensity = _raw_channel(30000, seed=5)
    plain = load_dicos(_save(tmp_path / "plain.dcm", _image_dataset(intensity, "MONOCHROME2", 16)))
    ds = _image_dataset(intensity, "MONOCHROME2", 16)
    ds.compress(RLELossless)
    rle = load_dicos(_save(tmp_path / "rle.dcm", ds))
    assert np.array_equal(rle.rgb, plain.rgb)


def test_a_grey_and_a_colour_scan_round_trip_exactly(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    grey = np.repeat(rng.integers(0, 256, (30, 20, 1), dtype=np.uint8), 3, axis=2)
    colour = rng.integers(0, 256, (30, 20, 3), dtype=np.uint8)
    for name, rgb, photometric in (("grey.dicos", grey, "MONOCHROME2"), ("colour", colour, "RGB")):
        path = tmp_path / name
        write_dicos_scan(path, Scan(rgb=rgb))
        assert is_dicos(path)
        assert pydicom.dcmread(path).PhotometricInterpretation == photometric
        scan = load_dicos(path)
        assert np.array_equal(scan.rgb, rgb) and not scan.is_dual_energy


def test_scan_names_and_contents_are_recognised(tmp_path: Path) -> None:
    assert is_dicos_name("bag.DCM") and is_dicos_name("bag.dicos") and is_dicos_name("bag.dcs")
    assert not is_dicos_name(".bag.dcm") and not is_dicos_name("bag" + TDR_SUFFIX)  # a report is no scan
    path = tmp_path / "notes.txt"
    path.write_text("not an image")
    assert not is_dicos(path) and not is_dicos(tmp_path / "missing") and not is_dicos(tmp_path)


# --- bad images ------------------------------------------------------------------------------


def _refused(path: Path, *words: str) -> str:
    with pytest.raises(ScanLoadError) as caught:
        load_dicos(path)
    message = str(caught.value)
    assert path.name in message and "Traceback" not in message and "\n" not in message
    for word in words:
        assert word in message
    return message


def test_a_text_file_named_dcm_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scan.dcm"
    path.write_text("PATIENT,SCORE\nbag 1,0.4\n" * 20)
    _refused(path, "not a DICOM")


def test_missing_and_empty_files_are_refused(tmp_path: Path) -> None:
    _refused(tmp_path / "gone.dcm", "does not exist")
    (tmp_path / "empty.dcm").write_bytes(b"")
    _refused(tmp_path / "empty.dcm", "empty")


@pytest.mark.parametrize("keep", [0.0, 0.2, 0.5, 0.8, 0.95, 0.999])
def test_a_truncated_file_is_refused(tmp_path: Path, dual_scan: Scan, keep: float) -> None:
    whole = tmp_path / "whole.dcm"
    write_dicos_scan(whole, dual_scan)
    data = whole.read_bytes()
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(data[: max(140, int(len(data) * keep))])  # always past the DICM marker
    message = _refused(cut)
    assert "truncated" in message


def test_a_dicom_file_without_pixel_data_is_refused(tmp_path: Path, result: ScreeningResult) -> None:
    path = tmp_path / "report.dcm"
    write_threat_report(path, result, scan_source="bag.png")
    _refused(path, "no pixel data", "Threat Detection Report")


def test_a_huge_image_size_is_refused_from_the_header(tmp_path: Path) -> None:
    ds = _image_dataset(np.zeros((4, 4), np.uint16), "MONOCHROME2", 16)
    ds.Rows, ds.Columns = 60000, 60000  # 3.6 gigapixels declared, 32 bytes of pixels
    _refused(_save(tmp_path / "huge.dcm", ds), "too large", "60000x60000")


def test_nan_pixels_are_refused(tmp_path: Path) -> None:
    ds = _image_dataset(np.zeros((4, 4), np.uint16), "MONOCHROME2", 16)
    del ds.PixelData
    values = np.full((4, 4), 0.5, np.float32)
    values[1, 2] = np.nan
    ds.FloatPixelData = values.tobytes()
    ds.BitsAllocated, ds.PixelRepresentation = 32, 0
    del ds.BitsStored, ds.HighBit
    _refused(_save(tmp_path / "nan.dcm", ds), "NaN")


def test_frames_that_are_not_an_energy_pair_are_refused(tmp_path: Path) -> None:
    three = _image_dataset(np.zeros((3, 4, 4), np.uint16), "MONOCHROME2", 16)
    _refused(_save(tmp_path / "three.dcm", three), "3 frames")
    unlabelled = _image_dataset(np.zeros((2, 4, 4), np.uint16), "MONOCHROME2", 16)
    _label_frames(unlabelled, [HIGH_ENERGY, "VIEW 2"])
    _refused(_save(tmp_path / "two.dcm", unlabelled), "2 frames", "VIEW 2", HIGH_ENERGY)


def test_compression_without_an_installed_decoder_is_refused(tmp_path: Path) -> None:
    ds = _image_dataset(np.zeros((4, 4), np.uint16), "MONOCHROME2", 16)
    ds.PixelData = encapsulate([b"\xff\xd8\xff\xf7" + bytes(40)])  # a JPEG-LS stream's start
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = JPEGLSLossless
    _refused(_save(tmp_path / "jls.dcm", ds), "JPEG-LS", "no decoder")


# --- threat reports --------------------------------------------------------------------------


class TwoLaptops:
    """Stands in for the segmenter: two 60 x 60 px laptops side by side."""

    def detect(self, rgb: np.ndarray) -> tuple[ObjectInstance, ...]:
        items = []
        for index, x in enumerate((10, 90)):
            mask = np.zeros(rgb.shape[:2], bool)
            mask[10:70, x : x + 60] = True
            items.append(ObjectInstance(index, "laptop", 0.95, (x, 10, x + 60, 70), mask))
        return tuple(items)


class OneHotRegion:
    """A detector that scores each laptop's first superpixel 0.9 and the rest 0.1; the laptops
    score ``object_scores``, so only those at or above 0.5 alarm."""

    mode, strategy = "dense", "subcomponent"
    region_threshold, object_threshold = 0.5, 0.5
    device = torch.device("cpu")

    def __init__(self, object_scores: tuple[float, float]) -> None:
        self.metadata = {"superpixel_area": 400}
        self.object_scores = np.array(object_scores, np.float32)

    def detect(self, rgb, masks, sp) -> Detection:
        scores = np.full(sp.count, 0.1, np.float32)
        for index in range(len(masks)):
            scores[sp.of_object(index)[0] - 1] = 0.9
        heat = np.full(rgb.shape[:2], np.nan, np.float32)
        return Detection(scores, sp.object_of[1:].astype(np.int32), self.object_scores, heat, {"dense": 2.0})


def _screen(object_scores: tuple[float, float]) -> ScreeningResult:
    parts = np.random.default_rng(0).integers(60, 200, (8, 16, 3)).astype(np.uint8)
    rgb = parts.repeat(10, axis=0).repeat(10, axis=1)  # 80 x 160 px of 10 px parts
    return Screener(TwoLaptops(), OneHotRegion(object_scores)).screen(Scan(rgb=rgb, source="bag"))


@pytest.fixture(scope="module")
def result() -> ScreeningResult:
    """The first laptop alarms (one hot region); the second has a hot region but does not alarm."""
    return _screen((0.8, 0.2))


def _expected_ptos(result: ScreeningResult) -> list[tuple[list[int], float, bool]]:
    """(box, score, threat) the report must hold: every item, then the alarmed regions of alarmed items."""
    out = []
    for item in result.summary()["objects"]:
        out.append((item["box_xyxy"], item["anomaly_score"], item["alarm"]))
        out += [(r["box_xyxy"], r["score"], True) for r in item["regions"] if r["state"] == "alarm"]
    return out


def test_a_machine_report_holds_the_alarm_and_each_threat_box_for_plain_pydicom(
    tmp_path: Path, result: ScreeningResult
) -> None:
    path = tmp_path / "bag.tdr.dcm"
    write_threat_report(path, result, scan_source="scans/bag.png")

    ds = pydicom.dcmread(path)
    assert ds.SOPClassUID == DICOSThreatDetectionReportStorage and ds.Modality == "TDR"
    assert ds.TDRType == "MACHINE" and ds.AlarmDecision == "ALARM" and ds.AbortFlag == "SUCCESS"
    assert ds.ThreatDetectionAlgorithmAndVersion[0] == "xray-screener"
    expected = _expected_ptos(result)
    assert len(expected) == 3  # two laptops, the alarmed laptop's hot region
    assert ds.NumberOfTotalObjects == 3 and ds.NumberOfAlarmObjects == 2
    for item, (box, score, threat) in zip(ds.ThreatSequence, expected, strict=True):
        roi = item.PTORepresentationSequence[0].ThreatROIVoxelSequence[0]
        x0, y0, _ = roi.ThreatROIBase
        width, height, _ = roi.ThreatROIExtents
        assert [x0, y0, x0 + width, y0 + height] == box
        polygon = np.reshape(item.PTORepresentationSequence[0].BoundingPolygon, (-1, 3))
        assert [*polygon[:, :2].min(0), *polygon[:, :2].max(0)] == box
        assessment = item.ATDAssessmentSequence[0]
        assert assessment.ATDAssessmentProbability == pytest.approx(score, abs=1e-6)
        assert assessment.ATDAssessmentFlag == ("THREAT" if threat else "NO_THREAT")
        assert assessment.ThreatCategoryDescription.startswith("laptop")

    report = read_threat_report(path)
    assert report.tdr_type == "MACHINE" and report.alarm and report.machine_alarm
    assert report.operator_decision is None and report.scan_source == "scans/bag.png"
    assert [(list(r.box), r.threat) for r in report.regions] == [(box, t) for box, _, t in expected]
    assert [r.score for r in report.regions] == pytest.approx([s for _, s, _ in expected], abs=1e-6)
    assert report.regions[0].label == "laptop" and "region" in report.regions[1].label


def test_a_region_bitmap_covers_exactly_the_region(tmp_path: Path, result: ScreeningResult) -> None:
    path = tmp_path / "bag.tdr.dcm"
    write_threat_report(path, result, scan_source="bag.png")
    region_item = pydicom.dcmread(path).ThreatSequence[1]  # the first laptop's hot region
    roi = region_item.PTORepresentationSequence[0].ThreatROIVoxelSequence[0]
    width, height = int(roi.ThreatROIExtents[0]), int(roi.ThreatROIExtents[1])
    bits = np.unpackbits(np.frombuffer(roi.ThreatROIBitmap, np.uint8), bitorder="little")[: width * height]
    hot = int(np.flatnonzero(result.region_states() == 1)[0]) + 1
    x0, y0 = int(roi.ThreatROIBase[0]), int(roi.ThreatROIBase[1])
    expected = result.region_map()[y0 : y0 + height, x0 : x0 + width] == hot
    assert np.array_equal(bits.reshape(height, width).astype(bool), expected)


def test_a_report_on_a_dicos_scan_references_the_image(
    tmp_path: Path, result: ScreeningResult, dual_scan: Scan
) -> None:
    image = tmp_path / "bag.dcm"
    write_dicos_scan(image, dual_scan)
    write_threat_report(tmp_path / "bag.tdr", result, scan_source=str(image))
    scan_ds, report_ds = pydicom.dcmread(image), pydicom.dcmread(tmp_path / "bag.tdr")
    assert report_ds.StudyInstanceUID == scan_ds.StudyInstanceUID
    referenced = report_ds.ThreatSequence[0].PTORepresentationSequence[0].ReferencedInstanceSequence[0]
    assert referenced.ReferencedSOPInstanceUID == scan_ds.SOPInstanceUID
    assert read_threat_report(tmp_path / "bag.tdr").referenced_image_uid == scan_ds.SOPInstanceUID


@pytest.mark.parametrize("call", ["suspect", "clear"])
def test_an_operator_report_records_the_operators_decision(
    tmp_path: Path, result: ScreeningResult, call: str
) -> None:
    decision = Decision("2024-05-01T08:30:00.125+00:00", "bag", call, True, 0.8, 4.5, 2)
    path = tmp_path / "bag.operator.dcm"
    write_threat_report(path, result, scan_source="bag", decision=decision)

    ds = pydicom.dcmread(path)
    assert ds.TDRType == "OPERATOR" and "OperatorIdentificationSequence" in ds
    assert ds.AlarmDecision == ("ALARM" if call == "suspect" else "CLEAR")
    assert ds.AlarmDecisionTime.startswith("20240501") and ds.TotalProcessingTime == pytest.approx(4500.0)
    report = read_threat_report(path)
    assert report.operator_decision == call and report.alarm == (call == "suspect")
    assert report.machine_alarm and len(report.regions) == 3  # the model's findings stay


def test_a_clean_bag_gives_a_clear_report_with_no_threats(tmp_path: Path) -> None:
    path = tmp_path / "clean.dcm"
    write_threat_report(path, _screen((0.2, 0.1)), scan_source="clean.png")
    ds = pydicom.dcmread(path)
    assert ds.AlarmDecision == "CLEAR" and "NumberOfAlarmObjects" not in ds
    report = read_threat_report(path)
    assert not report.alarm and not report.machine_alarm
    assert [r.threat for r in report.regions] == [False, False]  # both laptops, judged clean
    assert all(isinstance(r, ThreatRegion) and r.label == "laptop" for r in report.regions)


def test_reading_something_else_as_a_report_names_the_file(tmp_path: Path, dual_scan: Scan) -> None:
    image = tmp_path / "bag.dcm"
    write_dicos_scan(image, dual_scan)
    with pytest.raises(ThreatReportError, match=r"bag\.dcm.*not a DICOS threat detection report"):
        read_threat_report(image)
    (tmp_path / "notes.dcm").write_text("hello")
    with pytest.raises(ThreatReportError, match=r"notes\.dcm.*not a readable DICOM"):
        read_threat_report(tmp_path / "notes.dcm")
    with pytest.raises(ThreatReportError, match="does not exist"):
        read_threat_report(tmp_path / "gone.dcm")
