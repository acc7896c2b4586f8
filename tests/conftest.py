"""Shared test set-up: no display, no user settings, no network; small datasets made in fixtures."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import settings as hypothesis_settings
from PIL import Image

from screener_gui.core import rle

# Property-based tests draw the same examples on every run, so a CI result can be reproduced;
# HYPOTHESIS_PROFILE=explore searches further (run it by hand after changing a loader).
hypothesis_settings.register_profile("repeatable", max_examples=120, derandomize=True, database=None)
hypothesis_settings.register_profile("explore", max_examples=3000)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory):
    """Six small generated scans (one item each, most hiding an anomaly), seed 0, with their
    sub-component region cache: shared by the training and evaluation tests."""
    from screener_gui.core.training.region_cache import extract_regions
    from screener_gui.core.training.settings import RegionSettings
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
    extract_regions(folder, regions, RegionSettings("subcomponent", superpixel_area=1500, workers=1))
    return folder, regions


@pytest.fixture(scope="session")
def tiny_objects(tiny_dataset, tmp_path_factory):
    """The tiny dataset's objects with labelled superpixels (the pooled mode's training input)."""
    from screener_gui.core.training.object_cache import extract_objects
    from screener_gui.core.training.settings import RegionSettings

    folder = tmp_path_factory.mktemp("tiny_objects")
    return extract_objects(tiny_dataset[0], folder, RegionSettings(superpixel_area=1500, workers=1))


# ---- datasets written file by file ------------------------------------------------------------
# Not by the generator, whose new features are in flux: the format of docs/dataset_format.md.

HEIGHT, WIDTH = 60, 80


@dataclass(frozen=True)
class PlantedAnomaly:
    """An anomaly to write: its box in the object, kind and measured ΔE (None: no record)."""

    box: tuple[int, int, int, int]  # (y0, x0, y1, x1), end exclusive
    kind: str
    delta_e: float | None
    concealment: str | None = "cavity"
    subtlety: float = 0.5


@dataclass(frozen=True)
class PlantedScan:
    """A scan to write: one object box with its class and its anomalies."""

    object_box: tuple[int, int, int, int]
    category: str
    anomalies: tuple[PlantedAnomaly, ...] = ()


def visibility_record(delta_e: float) -> dict:
    """A full visibility record whose values follow from ΔE (so they are easy to check)."""
    return {
        "delta_e": delta_e,
        "d_att_high": delta_e / 100,
        "d_att_low": delta_e / 50,
        "cnr_high": delta_e / 2,
        "cnr_low": delta_e,
        "clutter_contrast": delta_e / 10,
        "target_delta_e": delta_e + 1,
    }


def _box_mask(box: tuple[int, int, int, int]) -> np.ndarray:
    mask = np.zeros((HEIGHT, WIDTH), bool)
    y0, x0, y1, x1 = box
    mask[y0:y1, x0:x1] = True
    return mask


def _annotation(ann_id: int, image_id: int, category_id: int, mask: np.ndarray, value: int) -> dict:
    rows, cols = np.nonzero(mask)
    box = [int(cols.min()), int(rows.min()), int(np.ptp(cols)) + 1, int(np.ptp(rows)) + 1]
    return {
        "id": ann_id,
        "image_id": image_id,
        "category_id": category_id,
        "segmentation": rle.encode(mask),
        "area": int(mask.sum()),
        "bbox": box,
        "iscrowd": 0,
        "mask_value": value,
    }


def write_dataset(
    folder: Path,
    scans: list[PlantedScan],
    *,
    classes: tuple[str, ...] = ("laptop", "phone"),
    kinds: tuple[str, ...] = ("organic_slab", "screws", "handgun"),
    counts: dict | None = None,
) -> Path:
    """Write ``scans`` as a complete dataset folder; objects are grey boxes on white, each anomaly a
    darker box inside its object, so the image shows them."""
    for sub in ("images", "raw", "masks"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    categories = [{"id": i + 1, "name": c, "supercategory": "electronics"} for i, c in enumerate(classes)]
    categories += [{"id": 101 + i, "name": k, "supercategory": "anomaly"} for i, k in enumerate(kinds)]
    ids = {c["name"]: c["id"] for c in categories}
    images, annotations = [], []
    for index, scan in enumerate(scans):
        name = f"bag_{index:06d}"
        rgb = np.full((HEIGHT, WIDTH, 3), 255, np.uint8)
        objects = np.zeros((HEIGHT, WIDTH), np.uint8)
        anomalies = np.zeros((HEIGHT, WIDTH), np.uint8)
        body = _box_mask(scan.object_box)
        rgb[body] = (150, 150, 150)
        objects[body] = 1
        object_ann = _annotation(len(annotations) + 1, index + 1, ids[scan.category], body, 1)
        object_ann["has_anomaly"] = bool(scan.anomalies)
        annotations.append(object_ann)
        for value, planted in enumerate(scan.anomalies, start=1):
            mask = _box_mask(planted.box)
            rgb[mask] = (40, 40, 160)
            anomalies[mask] = value
            ann = _annotation(len(annotations) + 1, index + 1, ids[planted.kind], mask, value)
            ann |= {"parent_id": object_ann["id"], "subtlety": planted.subtlety, "description": planted.kind}
            if planted.concealment is not None:
                ann["concealment"] = planted.concealment
            if planted.delta_e is not None:
                ann["visibility"] = visibility_record(planted.delta_e)
            annotations.append(ann)
        Image.fromarray(rgb).save(folder / "images" / f"{name}.png")
        raw = np.where(body, 30000, 60000).astype(np.uint16)
        Image.fromarray(raw).save(folder / "raw" / f"{name}_high.png")
        Image.fromarray(raw // 2).save(folder / "raw" / f"{name}_low.png")
        Image.fromarray(objects).save(folder / "masks" / f"{name}_objects.png")
        Image.fromarray(anomalies).save(folder / "masks" / f"{name}_anomalies.png")
        images.append(
            {
                "id": index + 1,
                "file_name": f"images/{name}.png",
                "width": WIDTH,
                "height": HEIGHT,
                "raw_high": f"raw/{name}_high.png",
                "raw_low": f"raw/{name}_low.png",
                "objects_mask": f"masks/{name}_objects.png",
                "anomalies_mask": f"masks/{name}_anomalies.png",
                "bag_kind": "belt",
            }
        )
    coco = {
        "info": {},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": categories,
    }
    (folder / "annotations.json").write_text(json.dumps(coco))
    manifest = {"generator": "test", "generator_version": "t1", "seed": 77, "count": len(scans)}
    manifest["counts"] = counts if counts is not None else {"scans": len(scans)}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


TWO_SCANS = [
    PlantedScan(
        (10, 10, 50, 70),
        "laptop",
        (
            PlantedAnomaly((15, 15, 25, 35), "organic_slab", 12.5, "replaced:battery_cells", 0.1),
            PlantedAnomaly((40, 60, 43, 64), "screws", 1.5, "cavity", 0.9),
        ),
    ),
    PlantedScan((20, 5, 40, 40), "phone", (PlantedAnomaly((25, 10, 30, 20), "handgun", None, None),)),
]


@pytest.fixture
def planted():
    """The hand-written dataset toolkit: ``write(folder, scans)``, ``Scan``, ``Anomaly``,
    ``visibility_record`` and the scan size (``HEIGHT``, ``WIDTH``)."""
    return SimpleNamespace(
        write=write_dataset,
        Scan=PlantedScan,
        Anomaly=PlantedAnomaly,
        visibility_record=visibility_record,
        HEIGHT=HEIGHT,
        WIDTH=WIDTH,
    )


@pytest.fixture
def two_scan_dataset(tmp_path: Path) -> Path:
    """A laptop hiding an obvious slab (ΔE 12.5, in place of its battery cells) and faint screws
    (ΔE 1.5), and a phone hiding a handgun part with no visibility record (an older dataset)."""
    return write_dataset(tmp_path / "two_scans", TWO_SCANS)


@pytest.fixture
def labelled_scan():
    """``labelled_scan(path, labels)``: write a 40 x 60 scan with one object (a phone) of two
    superpixels at ``path``, and its label files with the annotator's ``labels``."""
    from screener_gui.core.labels import LabelledObject, RegionLabels, file_sha256, save_labels

    def make(path: Path, labels: list[int]) -> None:
        rgb = np.full((40, 60, 3), 255, np.uint8)
        rgb[10:30, 10:50] = (60, 140, 200)
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rgb).save(path)
        sp = np.zeros((40, 60), np.int32)
        sp[10:30, 10:30], sp[10:30, 30:50] = 1, 2
        save_labels(
            path,
            RegionLabels(
                scan_name=path.name,
                scan_sha256=file_sha256(path),
                superpixels=sp,
                object_of=np.array([-1, 0, 0], np.int32),
                model_scores=np.array([0.2, 0.3], np.float32),
                model_labels=np.array([0, 0], np.int8),
                labels=np.array(labels, np.int8),
                threshold=0.5,
                objects=(LabelledObject(0, "phone", (10, 10, 50, 30)),),
            ),
        )

    return make
