"""DICOS Threat Detection Reports (TDR): a screening result out, any writer's report in.

The screening result becomes a MACHINE report (the model's decision) or, with an operator's
decision, an OPERATOR report; one potential threat object per electronics item and one per alarmed
sub-component, each with its box and mask in the image. docs/dicos.md lists the attributes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import UID, DICOSThreatDetectionReportStorage, generate_uid

from screener_gui import __version__
from screener_gui.core.atomic import write_bytes_atomic
from screener_gui.core.dicos import (
    DICOM_ERRORS,
    MANUFACTURER,
    encode,
    new_dataset,
    quiet_pydicom,
)
from screener_gui.core.errors import display_path
from screener_gui.core.scan_files import is_dicos

if TYPE_CHECKING:
    from screener_gui.core.decisions import Decision
    from screener_gui.core.pipeline.screen import ScreeningResult


class ThreatReportError(ValueError):
    """A file is not a readable DICOS threat detection report; the message names it and says why."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"Cannot read threat report {display_path(path)}: {reason}")


class ThreatRegion(NamedTuple):
    """One potential threat object (PTO) of a report.

    Attributes:
        box: (x0, y0, x1, y1) in image pixels, end exclusive.
        score: The assessment probability (the model's anomaly score) in [0, 1].
        label: What it is, e.g. "laptop" (an item) or "laptop, region 12" (a sub-component).
        threat: Assessed as a threat (an alarmed item, or an anomalous region in one).
    """

    box: tuple[int, int, int, int]
    score: float
    label: str
    threat: bool


@dataclass(frozen=True)
class ThreatReport:
    """What a DICOS threat detection report says, from its standard attributes.

    Attributes:
        tdr_type: "MACHINE" (the model's report) or "OPERATOR" (an operator's decision).
        alarm: The report's Alarm Decision: the model's with MACHINE, the operator's with OPERATOR.
        regions: The potential threat objects, in the report's order.
        operator_decision: "clear" or "suspect" in an OPERATOR report, else None.
        referenced_image_uid: SOP Instance UID of the screened image, when the report names one.
        scan_source: The screened scan as the writer named it (a path), "" when not recorded.
    """

    tdr_type: str
    alarm: bool
    regions: tuple[ThreatRegion, ...]
    operator_decision: str | None
    referenced_image_uid: str | None
    scan_source: str

    @property
    def machine_alarm(self) -> bool:
        """Whether the model alarmed: some potential threat object is assessed a threat."""
        return any(region.threat for region in self.regions)


def write_threat_report(
    path: str | os.PathLike[str],
    result: ScreeningResult,
    *,
    scan_source: str,
    decision: Decision | None = None,
) -> None:
    """Write a screening result as a DICOS Threat Detection Report (TDR), atomically.

    One potential threat object (PTO) per electronics item (a threat when it alarmed, else
    "NO_THREAT") and one per anomalous region of an alarmed item; each with its box in image
    pixels (Threat ROI base / extents, its mask as the ROI bitmap, and a bounding polygon), the
    score as ATD assessment probability and the item's category as threat category description.
    Without ``decision`` it is a MACHINE report whose Alarm Decision is the model's; with one, an
    OPERATOR report whose Alarm Decision is the operator's (suspect = ALARM, clear = CLEAR), made at
    the decision's time, with the model's PTOs kept. When ``scan_source`` is a DICOS image, the
    report joins its study and references it.

    Raises:
        OSError: The file cannot be written.
    """
    image = _image_reference(scan_source)
    ds = new_dataset(DICOSThreatDetectionReportStorage, "TDR", study_uid=image and image.study)
    ds.AcquisitionStatus = "SUCCESSFUL"
    ds.FrameOfReferenceUID = (image and image.frame_of_reference) or generate_uid()
    if image is not None:
        ds.ReferencedSeriesSequence = [Dataset()]
        ds.ReferencedSeriesSequence[0].SeriesInstanceUID = image.series
        ds.ReferencedSeriesSequence[0].ReferencedInstanceSequence = [image.reference()]
    ds.ImageComments = f"source: {scan_source}"
    threats = _threat_items(result, image)
    alarmed = sum(item.ATDAssessmentSequence[0].ATDAssessmentFlag == "THREAT" for item in threats)
    ds.TDRType = "MACHINE" if decision is None else "OPERATOR"
    ds.ThreatDetectionAlgorithmAndVersion = [
        MANUFACTURER,
        __version__,
        f"mode={result.mode}",
        f"strategy={result.regions.strategy}",
        f"object_threshold={result.object_threshold:g}",
    ]
    if decision is None:
        ds.AlarmDecision = "ALARM" if result.alarm else "CLEAR"
        ds.AlarmDecisionTime = ds.InstanceCreationDate + ds.InstanceCreationTime + ds.TimezoneOffsetFromUTC
        ds.TotalProcessingTime = float(result.timings.get("total", 0.0))  # ms
    else:
        ds.AlarmDecision = "ALARM" if decision.decision == "suspect" else "CLEAR"
        ds.AlarmDecisionTime = _dicom_datetime(datetime.fromisoformat(decision.time))
        ds.TotalProcessingTime = float(decision.seconds_on_bag) * 1000.0  # the operator's time, ms
        ds.OperatorIdentificationSequence = [_anonymous_operator()]
    ds.AbortFlag = "SUCCESS"
    ds.NumberOfTotalObjects = len(threats)
    if ds.AlarmDecision == "ALARM":
        ds.NumberOfAlarmObjects = alarmed
    ds.ThreatSequence = threats
    write_bytes_atomic(path, encode(ds))


def read_threat_report(path: str | os.PathLike[str]) -> ThreatReport:
    """Read a DICOS threat detection report (any writer's), from standard attributes only.

    A PTO's box comes from its Threat ROI base / extents, else from its bounding polygon.

    Raises:
        ThreatReportError: Missing, not DICOM, not a TDR, or an attribute the reading needs is
            missing or malformed.
    """
    path = Path(path)
    if not path.is_file():
        raise ThreatReportError(path, "the file does not exist" if not path.exists() else "it is not a file")
    try:
        with quiet_pydicom():
            ds = pydicom.dcmread(path)
            sop_class = UID(str(ds.get("SOPClassUID", "")))
            if sop_class != DICOSThreatDetectionReportStorage:
                kind = sop_class.name if sop_class else "no SOP class"
                raise ThreatReportError(path, f"it is not a DICOS threat detection report ({kind})")
            decision = str(ds.get("AlarmDecision", ""))
            if decision not in ("ALARM", "CLEAR"):
                raise ThreatReportError(
                    path, f"its Alarm Decision is {decision or 'missing'}, not ALARM or CLEAR"
                )
            tdr_type = str(ds.get("TDRType", ""))
            regions = tuple(
                _read_region(item, n, path) for n, item in enumerate(ds.get("ThreatSequence", []))
            )
            references = [
                str(ref.ReferencedSOPInstanceUID)
                for series in ds.get("ReferencedSeriesSequence", [])
                for ref in series.get("ReferencedInstanceSequence", [])
            ]
            comment = str(ds.get("ImageComments", ""))
    except ThreatReportError:
        raise
    except DICOM_ERRORS as exc:
        raise ThreatReportError(path, f"it is not a readable DICOM file ({exc})") from exc
    operator = None
    if tdr_type == "OPERATOR":
        operator = "suspect" if decision == "ALARM" else "clear"
    return ThreatReport(
        tdr_type=tdr_type,
        alarm=decision == "ALARM",
        regions=regions,
        operator_decision=operator,
        referenced_image_uid=references[0] if references else None,
        scan_source=comment.removeprefix("source: "),
    )


class _ImageReference(NamedTuple):
    study: str
    series: str
    sop_class: str
    sop_instance: str
    frame_of_reference: str | None

    def reference(self) -> Dataset:
        item = Dataset()
        item.ReferencedSOPClassUID = self.sop_class
        item.ReferencedSOPInstanceUID = self.sop_instance
        return item


def _image_reference(source: str) -> _ImageReference | None:
    """The UIDs of the screened image when ``source`` is a readable DICOS image, else None."""
    path = Path(source)
    if not source or not path.is_file() or not is_dicos(path):
        return None
    try:
        with quiet_pydicom():
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        frame_of_reference = ds.get("FrameOfReferenceUID")
        return _ImageReference(
            str(ds.StudyInstanceUID),
            str(ds.SeriesInstanceUID),
            str(ds.SOPClassUID),
            str(ds.SOPInstanceUID),
            str(frame_of_reference) if frame_of_reference else None,
        )
    except DICOM_ERRORS:
        return None  # the report stands without the reference


def _dicom_datetime(moment: datetime) -> str:
    """DICOM DT (YYYYMMDDHHMMSS.FFFFFF&ZZXX); a moment without a zone is taken as local time."""
    return moment.astimezone().strftime("%Y%m%d%H%M%S.%f%z")


def _anonymous_operator() -> Dataset:
    """Operator Identification (required in an OPERATOR report); decisions do not name the operator."""
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator = "OPERATOR", "99XRS"
    code.CodeMeaning = "workstation operator (not identified)"
    item = Dataset()
    item.PersonIdentificationCodeSequence = [code]
    return item


def _threat_items(result: ScreeningResult, image: _ImageReference | None) -> list[Dataset]:
    """One PTO per item, then one per alarmed sub-component of that item; ids 0, 1, 2, ...
    (With the object strategy an item's one region is the item itself, already its own PTO.)"""
    summary = result.summary()
    subcomponents = result.superpixels is not None
    region_map = result.region_map() if subcomponents and result.alarm else None
    items: list[Dataset] = []
    for obj, instance in zip(summary["objects"], result.objects, strict=True):
        item = ThreatRegion(tuple(obj["box_xyxy"]), obj["anomaly_score"], obj["category"], obj["alarm"])
        items.append(_threat_item(len(items), item, instance.mask, image))
        for region in obj["regions"] if obj["alarm"] and subcomponents else ():
            if region["state"] == "alarm":
                label = f"{obj['category']}, region {region['id']}"
                part = ThreatRegion(tuple(region["box_xyxy"]), region["score"], label, True)
                items.append(_threat_item(len(items), part, region_map == region["id"], image))
    return items


def _threat_item(pto_id: int, pto: ThreatRegion, mask: np.ndarray, image: _ImageReference | None) -> Dataset:
    """One Threat Sequence item: the assessment, and the PTO's place in the image (its box as ROI
    base / extents with ``mask`` inside the box as the bitmap, and as a bounding polygon)."""
    x0, y0, x1, y1 = (int(v) for v in pto.box)
    assessment = Dataset()
    assessment.ThreatCategory = "ANOMALY"
    assessment.ThreatCategoryDescription = pto.label
    assessment.ATDAbilityAssessment = "NO_INTERFERENCE"
    assessment.ATDAssessmentFlag = "THREAT" if pto.threat else "NO_THREAT"
    assessment.ATDAssessmentProbability = float(pto.score)
    roi = Dataset()  # 2-D: z = 0, one plane deep; the bitmap's bits run x fastest, then y
    roi.ThreatROIBase = [float(x0), float(y0), 0.0]
    roi.ThreatROIExtents = [float(x1 - x0), float(y1 - y0), 1.0]
    roi.ThreatROIBitmap = np.packbits(mask[y0:y1, x0:x1].ravel(), bitorder="little").tobytes()
    representation = Dataset()
    if image is not None:
        representation.ReferencedInstanceSequence = [image.reference()]
    corners = ((x0, y0), (x1, y0), (x1, y1), (x0, y1))  # pixel edges, clockwise on screen
    representation.BoundingPolygon = [float(v) for x, y in corners for v in (x, y, 0)]
    representation.ThreatROIVoxelSequence = [roi]
    item = Dataset()
    item.PotentialThreatObjectID = pto_id
    item.ATDAssessmentSequence = [assessment]
    item.PTORepresentationSequence = [representation]
    return item


def _read_region(item: Dataset, index: int, path: Path) -> ThreatRegion:
    assessments = item.get("ATDAssessmentSequence") or []
    if not assessments:
        raise ThreatReportError(path, f"threat item {index + 1} has no ATD assessment")
    assessment = assessments[0]
    representation = (item.get("PTORepresentationSequence") or [Dataset()])[0]
    rois = representation.get("ThreatROIVoxelSequence") or []
    if rois and "ThreatROIBase" in rois[0] and "ThreatROIExtents" in rois[0]:
        (x0, y0, _), (width, height, _) = rois[0].ThreatROIBase, rois[0].ThreatROIExtents
        x1, y1 = x0 + width, y0 + height
    elif representation.get("BoundingPolygon"):
        points = np.asarray(representation.BoundingPolygon, np.float64).reshape(-1, 3)
        (x0, y0), (x1, y1) = points[:, :2].min(axis=0), points[:, :2].max(axis=0)
    else:
        raise ThreatReportError(path, f"threat item {index + 1} has no bounding box")
    probability = assessment.get("ATDAssessmentProbability")
    return ThreatRegion(
        box=(round(x0), round(y0), round(x1), round(y1)),
        score=float(probability) if probability is not None else float("nan"),
        label=str(assessment.get("ThreatCategoryDescription") or assessment.get("ThreatCategory", "")),
        threat=str(assessment.get("ATDAssessmentFlag", "")) in ("THREAT", "HIGH_THREAT"),
    )
