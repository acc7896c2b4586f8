"""DICOS (NEMA IIC 1, DICOM for security) images in and out; threat reports are in :mod:`.tdr`.

Read: any DICOM / DICOS file with an image (DICOS DX, DX, CR, secondary capture, ...). Grey
images are intensities rendered as :mod:`~screener_gui.core.io` renders a grey PNG; colour images
are the false colour itself; a two-frame image whose frames are labelled ``HIGH ENERGY`` and
``LOW ENERGY`` is a dual-energy scan. Write: scans as DICOS DX (or secondary capture for colour).
docs/dicos.md describes the attributes and the dual-energy convention.

Like the scan loader, every problem with an image file is a :class:`ScanLoadError` with one plain
line, never a pydicom traceback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import struct
import warnings
from collections.abc import Iterator
from datetime import datetime
from io import BytesIO
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.pixels import apply_color_lut, get_decoder, pixel_array
from pydicom.uid import (
    UID,
    DICOSDigitalXRayImageStorageForPresentation,
    DICOSDigitalXRayImageStorageForProcessing,
    ExplicitVRLittleEndian,
    SecondaryCaptureImageStorage,
    generate_uid,
)

from screener_gui import __version__
from screener_gui.core import io as scan_io
from screener_gui.core.atomic import write_bytes_atomic
from screener_gui.core.errors import ScanLoadError
from screener_gui.core.scan import Scan
from screener_gui.core.scan_files import DICM_HEAD, has_dicm_marker, not_regular, stat_problem

HIGH_ENERGY, LOW_ENERGY = "HIGH ENERGY", "LOW ENERGY"
"""Frame Label (0020,9453) of the two frames of a dual-energy image (DICOS image characteristics)."""
TRANSMISSION_LABEL = "TRANSMISSION"
"""LUT Label of the Real World Value Mapping that turns stored values into transmission (1 = air)."""
MANUFACTURER = "xray-screener"

_PIXEL_DATA = {"PixelData": 0, "FloatPixelData": 32, "DoubleFloatPixelData": 64}  # 0: Bits Allocated
_T_LEVELS = 65535  # transmissions are stored as round(T * 65535), at least 1
# pydicom reports damaged or unexpected data with a wide range of exception types; all of them
# mean "this file cannot be read" to the person at the screen.
DICOM_ERRORS = (
    InvalidDicomError,
    OSError,
    ValueError,
    EOFError,
    KeyError,
    AttributeError,
    TypeError,
    IndexError,
    NotImplementedError,
    RuntimeError,
    OverflowError,
    struct.error,
)


def load_dicos(path: str | os.PathLike[str]) -> Scan:
    """Load a DICOS / DICOM X-ray image as a scan.

    Grey (MONOCHROME1 / 2): Rescale Slope / Intercept applied, MONOCHROME1 inverted so that air is
    bright, then rendered as :func:`~screener_gui.core.io.load_scan` renders a grey image (8 bit
    as it is; deeper scaled by its own air level). RGB, YBR and palette colour: the false colour.
    Two frames labelled ``HIGH ENERGY`` / ``LOW ENERGY``: a dual-energy scan; each frame becomes a
    transmission by its ``TRANSMISSION`` Real World Value Mapping when it has one, else by its own
    air level, and the false colour is rendered from the pair.

    Returns:
        The scan; ``source`` is the path.

    Raises:
        ScanLoadError: Missing, empty, not DICOM, truncated, no image, compressed with a codec that
            is not installed, too large, NaN pixels, or not a single image / energy pair.
    """
    path = Path(path)
    _check_dicom_file(path)
    ds = _read(path)
    rows, columns, frames = _image_size(ds, path)
    labels = _frame_labels(ds, frames) if frames == 2 else []
    dual = sorted(labels) == [HIGH_ENERGY, LOW_ENERGY]
    _check_memory(ds, path, (columns, rows), frames, dual=dual)
    if frames != 1 and not dual:
        named = f" ({', '.join(label or 'unlabelled' for label in labels)})" if any(labels) else ""
        raise ScanLoadError(
            path,
            f"it holds {frames} frames{named}; only single images, or two frames labelled "
            f"'{HIGH_ENERGY}' and '{LOW_ENERGY}', are supported",
        )
    pixels = _decode(ds, path, rows, columns, frames)
    photometric = str(ds.get("PhotometricInterpretation", "")).upper()
    if dual:
        if photometric not in ("MONOCHROME1", "MONOCHROME2"):
            raise ScanLoadError(path, f"its energy frames are {photometric or 'not grey'}, not grey images")
        channels = {}
        for index, label in enumerate(labels):
            mapping = _transmission_mapping(ds, index)
            if mapping is None:
                channels[label] = scan_io._transmission(_intensity(pixels[index], ds, path), path)
            else:
                slope, intercept = mapping
                values = pixels[index].astype(np.float32) * np.float32(slope) + np.float32(intercept)
                channels[label] = np.clip(values, 1.0 / _T_LEVELS, 1.0, out=values)
        high, low = channels[HIGH_ENERGY], channels[LOW_ENERGY]
        return Scan(rgb=scan_io._render(high, low), high=high, low=low, source=str(path))
    if photometric in ("MONOCHROME1", "MONOCHROME2"):
        rgb = scan_io._to_rgb8(_intensity(pixels, ds, path), path)
    elif photometric == "PALETTE COLOR":
        rgb = scan_io._to_rgb8(_checked(apply_color_lut(pixels, ds), path), path)
    elif photometric == "RGB" or photometric.startswith("YBR"):  # pydicom decodes YBR to RGB
        rgb = scan_io._to_rgb8(pixels, path)
    else:
        raise ScanLoadError(path, f"its colour model ({photometric or 'none given'}) is not supported")
    return Scan(rgb=rgb, source=str(path))


def write_dicos_scan(path: str | os.PathLike[str], scan: Scan) -> None:
    """Write a scan as a DICOS image file that :func:`load_dicos` reads back, atomically.

    Dual-energy: DICOS DX for processing, two 16-bit frames labelled ``HIGH ENERGY`` / ``LOW ENERGY``
    holding ``round(T * 65535)``, with a ``TRANSMISSION`` Real World Value Mapping (slope 1/65535).
    Grey false colour (R = G = B): DICOS DX for presentation, 8-bit MONOCHROME2. Other colour:
    Secondary Capture, 8-bit RGB. The false colour round-trips exactly; transmissions to 1/65535.

    Raises:
        OSError: The file cannot be written.
    """
    if scan.is_dual_energy:
        ds = new_dataset(DICOSDigitalXRayImageStorageForProcessing, "DX")
        ds.PresentationIntentType = "FOR PROCESSING"
        stored = np.stack([_quantise(scan.high), _quantise(scan.low)])
        ds.set_pixel_data(stored, "MONOCHROME2", 16, generate_instance_uid=False)
        ds.SharedFunctionalGroupsSequence = [Dataset()]
        ds.SharedFunctionalGroupsSequence[0].RealWorldValueMappingSequence = [_transmission_lut()]
        ds.PerFrameFunctionalGroupsSequence = [_frame_item(label) for label in (HIGH_ENERGY, LOW_ENERGY)]
    elif (scan.rgb == scan.rgb[..., :1]).all():
        ds = new_dataset(DICOSDigitalXRayImageStorageForPresentation, "DX")
        ds.PresentationIntentType = "FOR PRESENTATION"
        ds.set_pixel_data(
            np.ascontiguousarray(scan.rgb[..., 0]), "MONOCHROME2", 8, generate_instance_uid=False
        )
    else:
        ds = new_dataset(SecondaryCaptureImageStorage, "OT")
        ds.ConversionType = "WSD"  # workstation
        ds.set_pixel_data(np.ascontiguousarray(scan.rgb), "RGB", 8, generate_instance_uid=False)
    ds.ImageType = ["ORIGINAL", "PRIMARY"] if ds.Modality == "DX" else ["DERIVED", "SECONDARY"]
    if ds.Modality == "DX":
        ds.PixelIntensityRelationship = "LIN"
        ds.PixelIntensityRelationshipSign = 1  # higher value, more X-ray intensity (air brightest)
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = "0", "1", "US"
    ds.BurnedInAnnotation = "NO"
    if scan.source:
        ds.ImageComments = f"source: {scan.source}"
    write_bytes_atomic(path, encode(ds))


# --- reading images ---------------------------------------------------------------------------


@contextlib.contextmanager
def quiet_pydicom() -> Iterator[None]:
    """Silence pydicom's warnings and log lines about odd values: the checks here decide, and say
    so in one line. (Like io's decoders: not thread-safe, but only ever more quiet.)"""
    logger = logging.getLogger("pydicom")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _check_dicom_file(path: Path) -> None:
    # One stat before any open, as io does: opening a FIFO blocks until a writer comes.
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise ScanLoadError(path, stat_problem(path, exc)) from exc
    except ValueError as exc:  # a NUL byte in the name
        raise ScanLoadError(path, f"it is not a valid file name ({exc})") from exc
    if stat.S_ISDIR(mode):
        raise ScanLoadError(path, "it is a folder, not an image file")
    if not stat.S_ISREG(mode):
        raise ScanLoadError(path, not_regular(mode))
    try:
        with path.open("rb") as handle:
            head = handle.read(DICM_HEAD)
    except OSError as exc:
        raise ScanLoadError(path, f"the file cannot be read ({exc.strerror or exc})") from exc
    if not head:
        raise ScanLoadError(path, "the file is empty (0 bytes)")
    if not has_dicm_marker(head):
        raise ScanLoadError(
            path, "it is not a DICOM / DICOS file (no 'DICM' marker after the 128-byte preamble)"
        )


def _read(path: Path) -> Dataset:
    try:
        with quiet_pydicom():
            ds = pydicom.dcmread(path)
    except DICOM_ERRORS as exc:
        raise ScanLoadError(path, f"the file is truncated or its DICOM data is corrupt ({exc})") from exc
    if not any(name in ds for name in _PIXEL_DATA):
        # pydicom stops quietly at the end of a cut-off file, so a header alone may be all there is.
        sop_class = UID(str(ds.get("SOPClassUID", "")))
        known = sop_class.name != sop_class and "Image" not in sop_class.name
        why = f"it is a {sop_class.name}" if known else "the file may be truncated"
        raise ScanLoadError(path, f"it holds no image: there is no pixel data ({why})")
    return ds


def _image_size(ds: Dataset, path: Path) -> tuple[int, int, int]:
    """(rows, columns, frames) from the header, before any pixel is decoded."""
    try:
        rows, columns = int(ds.Rows), int(ds.Columns)
        frames = int(ds.get("NumberOfFrames") or 1)
    except DICOM_ERRORS as exc:
        raise ScanLoadError(path, f"its image size is missing or malformed ({exc})") from exc
    if frames < 1:
        raise ScanLoadError(path, f"it declares {frames} frames")
    return rows, columns, frames


def _check_memory(ds: Dataset, path: Path, size: tuple[int, int], frames: int, *, dual: bool) -> None:
    """The pixel and memory limits of io (:func:`~screener_gui.core.io.load_cost`), from the header.

    pydicom holds the file's pixel bytes and the decoded array (frames x samples x bytes each per
    pixel); grey frames then become float32 (intensity, transmission) before the uint8 output.
    """
    samples = int(ds.get("SamplesPerPixel") or 1)
    _, bits = _pixel_element(ds)
    stored = frames * samples * max(1, bits // 8)
    float_grey = samples == 1 and (bits > 8 or "RescaleSlope" in ds)
    converted = 4 if float_grey or dual else 0
    scan_io._check_cost(path, size, 2 * stored, converted, dual=dual, float_grey=float_grey and not dual)


def _frame_labels(ds: Dataset, frames: int) -> list[str]:
    """Each frame's Frame Label (per-frame Frame Content), upper case; "" where there is none."""
    items = list(ds.get("PerFrameFunctionalGroupsSequence", []))[:frames]
    labels = []
    for item in items:
        content = item.get("FrameContentSequence") or [Dataset()]
        labels.append(str(content[0].get("FrameLabel", "")).strip().upper())
    return labels + [""] * (frames - len(labels))


def _decode(ds: Dataset, path: Path, rows: int, columns: int, frames: int) -> np.ndarray:
    """All pixels: (R, C[, 3]) for one frame, (N, R, C) for several; checked shape, no NaN."""
    meta = getattr(ds, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if not syntax:
        raise ScanLoadError(path, "its file meta information names no transfer syntax")
    syntax = UID(str(syntax))
    try:
        decoder = get_decoder(syntax)
    except NotImplementedError as exc:
        raise ScanLoadError(path, f"its pixel data uses {syntax.name}, which cannot be decoded here") from exc
    if not decoder.is_available:
        raise ScanLoadError(
            path,
            f"its pixel data is compressed as {syntax.name} and no decoder for it is installed "
            f"(it needs one of: {'; '.join(decoder.missing_dependencies) or 'a pydicom plug-in'})",
        )
    samples = int(ds.get("SamplesPerPixel") or 1)
    if not syntax.is_compressed:
        _check_length(ds, path, rows * columns * frames * samples)
    try:
        with quiet_pydicom():
            pixels = pixel_array(ds)
    except DICOM_ERRORS as exc:
        raise ScanLoadError(path, f"the file is truncated or its pixel data is corrupt ({exc})") from exc
    expected = (rows, columns) if samples == 1 else (rows, columns, samples)
    if frames > 1:
        expected = (frames, *expected)
    if pixels.shape != expected or samples not in (1, 3):
        raise ScanLoadError(
            path,
            f"its pixels have shape {pixels.shape} with {samples} samples per pixel; scans are one grey "
            "or RGB image (or a high / low energy pair of grey frames)",
        )
    return _checked(pixels, path)


def _pixel_element(ds: Dataset) -> tuple[str, int]:
    """The keyword of the dataset's pixel data element and its bits per sample."""
    name = next(name for name in _PIXEL_DATA if name in ds)
    return name, _PIXEL_DATA[name] or int(ds.get("BitsAllocated") or 8)


def _check_length(ds: Dataset, path: Path, samples: int) -> None:
    """Uncompressed pixel data must hold every sample: a short one is a cut-off file."""
    name, bits = _pixel_element(ds)
    needed = (samples * bits + 7) // 8
    if str(ds.get("PhotometricInterpretation", "")).upper() == "YBR_FULL_422":
        needed = needed * 2 // 3  # two chroma samples shared by each pair of pixels
    have = len(ds[name].value or b"")
    if have < needed:
        raise ScanLoadError(
            path,
            f"the file is truncated: its pixel data has {have:,} of the {needed:,} bytes the image needs",
        )


def _checked(pixels: np.ndarray, path: Path) -> np.ndarray:
    if pixels.dtype.kind == "f" and not np.isfinite(pixels).all():
        raise ScanLoadError(path, "its pixel values include NaN or infinity")
    return pixels


def _intensity(frame: np.ndarray, ds: Dataset, path: Path) -> np.ndarray:
    """A grey frame as intensity (air brightest): MONOCHROME1 inverted over the stored range, then
    Rescale Slope / Intercept. 8-bit frames with no rescale stay uint8 (shown as they are)."""
    if str(ds.get("PhotometricInterpretation", "")).upper() == "MONOCHROME1":
        if frame.dtype.kind in "iu":
            bits = int(ds.get("BitsStored") or frame.dtype.itemsize * 8)
            low, high = (
                (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
                if frame.dtype.kind == "i"
                else (0, (1 << bits) - 1)
            )
            frame = (low + high - frame.astype(np.int64)).astype(frame.dtype)
        else:
            frame = frame.max() + frame.min() - frame
    try:
        slope = float(ds.get("RescaleSlope") or 1.0)
        intercept = float(ds.get("RescaleIntercept") or 0.0)
    except (TypeError, ValueError) as exc:
        raise ScanLoadError(path, f"its Rescale Slope / Intercept is not a number ({exc})") from exc
    if slope == 1.0 and intercept == 0.0:
        return frame
    return _checked(frame.astype(np.float32) * np.float32(slope) + np.float32(intercept), path)


def _transmission_mapping(ds: Dataset, frame: int) -> tuple[float, float] | None:
    """(slope, intercept) of the frame's ``TRANSMISSION`` Real World Value Mapping (per-frame
    first, then shared), or None."""
    groups = list(ds.get("PerFrameFunctionalGroupsSequence", []))[frame : frame + 1]
    groups += list(ds.get("SharedFunctionalGroupsSequence", []))
    for group in groups:
        for item in group.get("RealWorldValueMappingSequence", []):
            if str(item.get("LUTLabel", "")).strip().upper() == TRANSMISSION_LABEL:
                return float(item.RealWorldValueSlope), float(item.RealWorldValueIntercept)
    return None


# --- writing (images here, reports in core.tdr) -------------------------------------------------


def new_dataset(sop_class: UID, modality: str, *, study_uid: str | None = None) -> Dataset:
    """SOP common, object of inspection (a bag, no owner recorded), study, series, equipment."""
    now = datetime.now().astimezone()
    date, time = now.strftime("%Y%m%d"), now.strftime("%H%M%S.%f")
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"  # UTF-8: scan paths may be in any language
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.InstanceCreationDate, ds.InstanceCreationTime = date, time
    ds.TimezoneOffsetFromUTC = now.strftime("%z")
    ds.PatientName, ds.PatientID = "", ""  # the OOI (bag) and its owner are not identified
    ds.PatientBirthDate, ds.PatientSex = "", ""
    ds.OOIType = "BAGGAGE"
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.StudyDate, ds.StudyTime = date, time
    ds.StudyID, ds.AccessionNumber, ds.ReferringPhysicianName = "", "", ""
    ds.Modality = modality
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber, ds.InstanceNumber = 1, 1
    ds.SeriesDate, ds.SeriesTime = date, time
    ds.ContentDate, ds.ContentTime = date, time
    ds.Manufacturer = MANUFACTURER
    ds.ManufacturerModelName = "xray-screener workstation"
    ds.SoftwareVersions = __version__
    return ds


def encode(ds: Dataset) -> bytes:
    """The dataset as a DICOM Part 10 file (preamble, DICM, file meta; explicit VR little endian)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    buffer = BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


def _quantise(transmission: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(transmission.astype(np.float64) * _T_LEVELS), 1, _T_LEVELS).astype(np.uint16)


def _transmission_lut() -> Dataset:
    units = Dataset()
    units.CodeValue, units.CodingSchemeDesignator, units.CodeMeaning = "1", "UCUM", "no units"
    item = Dataset()
    item.LUTLabel = TRANSMISSION_LABEL
    item.LUTExplanation = "X-ray transmission, 1 = air"
    item.add_new(0x00409216, "US", 0)  # Real World Value First Value Mapped
    item.add_new(0x00409211, "US", _T_LEVELS)  # Real World Value Last Value Mapped
    item.RealWorldValueIntercept = 0.0
    item.RealWorldValueSlope = 1.0 / _T_LEVELS
    item.MeasurementUnitsCodeSequence = [units]
    return item


def _frame_item(label: str) -> Dataset:
    content = Dataset()
    content.FrameLabel = label
    group = Dataset()
    group.FrameContentSequence = [content]
    return group
