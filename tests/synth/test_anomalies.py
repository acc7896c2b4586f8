"""Concealed anomalies: they stay inside their cavity, scale with subtlety, and fail clearly."""

from __future__ import annotations

import numpy as np
import pytest

from screener_gui.core.physics import MATERIALS
from screener_gui.synth.anomalies import (
    CAVITY_KINDS,
    build_anomaly,
    fits,
    min_size,
    random_anomaly_kind,
)
from screener_gui.synth.canvas import Canvas, Part, pose
from screener_gui.synth.item import Anomaly, Cavity
from screener_gui.synth.items import CATEGORIES, build_item
from screener_gui.synth.shapes import Box

PIXEL_MM = 0.8
SIZE_PX = 320  # canvas side: 256 mm, cavities are centred on it

# Laptop-sized, rotated, tall (height > width) and cramped cavities.
CAVITIES = (
    Cavity(0.0, 0.0, 180.0, 100.0, 14.0),
    Cavity(12.0, -8.0, 130.0, 70.0, 9.0, 33.0),
    Cavity(-5.0, 6.0, 40.0, 120.0, 6.0, -70.0),
    Cavity(3.0, 2.0, 60.0, 30.0, 3.5, 12.0),
)


def _origin() -> np.ndarray:
    return pose(SIZE_PX * PIXEL_MM / 2, SIZE_PX * PIXEL_MM / 2)


def _cavity_mask(cavity: Cavity) -> np.ndarray:
    canvas = Canvas(SIZE_PX, SIZE_PX, PIXEL_MM)
    footprint = Part(
        Box(cavity.width_mm, cavity.height_mm, 1.0),
        "polyethylene",
        pose(cavity.x_mm, cavity.y_mm, cavity.angle_deg),
    )
    canvas.draw(footprint.moved(_origin()), instance=1)
    return canvas.instances > 0


def _drawn(anomaly: Anomaly) -> Canvas:
    canvas = Canvas(SIZE_PX, SIZE_PX, PIXEL_MM)
    for p in anomaly.parts:
        canvas.draw(p.moved(_origin()), anomaly=1)
    return canvas


def _mass_g(anomaly: Anomaly) -> float:
    """Mass in grams: path length (mm) x density (g/cm³) x pixel area, summed."""
    canvas = _drawn(anomaly)
    return (
        sum(float(path.sum()) * MATERIALS[name].density for name, path in canvas.paths.items())
        * PIXEL_MM**2
        / 1000
    )


@pytest.mark.parametrize("kind", CAVITY_KINDS)
def test_anomaly_lies_inside_its_cavity_and_no_thicker_than_its_depth(kind: str) -> None:
    for cavity in CAVITIES:
        if not fits(kind, cavity):
            continue
        inside = _cavity_mask(cavity)
        for seed in range(3):
            for subtlety in (0.0, 0.5, 1.0):
                anomaly = build_anomaly(kind, cavity, np.random.default_rng(seed), subtlety)
                assert anomaly.kind == kind and anomaly.description and anomaly.parts
                canvas = _drawn(anomaly)
                footprint = canvas.anomalies > 0
                assert footprint.any()
                assert not (footprint & ~inside).any(), f"{kind} leaves {cavity}: {anomaly.description}"
                stacked = sum(canvas.paths.values())
                assert stacked.max() <= cavity.depth_mm + 1e-3, f"{kind} {anomaly.description} in {cavity}"
                assert all(p.material in MATERIALS for p in anomaly.parts)


@pytest.mark.parametrize("kind", CAVITY_KINDS)
def test_subtle_anomalies_hold_less_material_than_obvious_ones(kind: str) -> None:
    cavity = CAVITIES[0]
    obvious = np.mean([_mass_g(build_anomaly(kind, cavity, np.random.default_rng(s), 0.0)) for s in range(8)])
    subtle = np.mean([_mass_g(build_anomaly(kind, cavity, np.random.default_rng(s), 1.0)) for s in range(8)])
    assert subtle < 0.8 * obvious, f"{kind}: subtle {subtle:.1f} g vs obvious {obvious:.1f} g"


def test_obvious_organic_slab_in_a_laptop_is_large_and_subtle_one_small() -> None:
    cavity = CAVITIES[0]
    big = build_anomaly("organic_slab", cavity, np.random.default_rng(1), 0.0)
    small = build_anomaly("organic_slab", cavity, np.random.default_rng(1), 1.0)
    assert _drawn(big).anomalies.sum() * PIXEL_MM**2 > 8000  # mm², e.g. 150 x 80
    assert _drawn(small).anomalies.sum() * PIXEL_MM**2 < 1200  # e.g. 30 x 20
    organic = {"plastic_explosive", "tnt", "marzipan"}
    assert organic & {p.material for p in big.parts}


def test_every_kind_materials_match_the_threat() -> None:
    rng = np.random.default_rng(0)
    cavity = CAVITIES[0]
    materials = {
        kind: {p.material for p in build_anomaly(kind, cavity, rng, 0.3).parts} for kind in CAVITY_KINDS
    }
    assert materials["screws"] <= {"steel", "stainless"}
    assert materials["knife_blade"] <= {"steel", "stainless"}
    assert materials["metal_plate"] & {"steel", "aluminium", "copper"}
    assert "copper" in materials["wires"]
    assert "li_ion_cell" in materials["extra_cells"] and "steel" in materials["extra_cells"]
    assert materials["powder"] & {"powder", "black_powder"} and "polyethylene" in materials["powder"]


def test_anomalies_fit_the_cavities_of_real_items() -> None:
    built = 0
    for cat in CATEGORIES:
        for seed in range(4):
            item = build_item(cat, np.random.default_rng(seed))
            for cavity in item.cavities:
                for kind in CAVITY_KINDS:
                    if fits(kind, cavity):
                        anomaly = build_anomaly(kind, cavity, np.random.default_rng(seed), seed / 3)
                        assert anomaly.parts
                        built += 1
    assert built > 300


def test_same_seed_gives_the_same_anomaly() -> None:
    for kind in CAVITY_KINDS:
        cavity = CAVITIES[1] if fits(kind, CAVITIES[1]) else CAVITIES[0]
        a = build_anomaly(kind, cavity, np.random.default_rng(5), 0.4)
        b = build_anomaly(kind, cavity, np.random.default_rng(5), 0.4)
        assert repr(a) == repr(b)


def test_too_small_a_cavity_is_refused_with_the_needed_size() -> None:
    phone_gap = Cavity(0.0, 0.0, 35.0, 20.0, 3.0)
    assert not fits("knife_blade", phone_gap)
    assert fits("screws", phone_gap)
    with pytest.raises(ValueError, match=r"knife_blade needs a cavity of at least 50 x 12 mm"):
        build_anomaly("knife_blade", phone_gap, np.random.default_rng(0), 0.5)
    need = min_size("extra_cells")
    shallow = Cavity(0.0, 0.0, 80.0, 60.0, need.depth_mm - 0.5)
    assert not fits("extra_cells", shallow)
    with pytest.raises(ValueError, match="deep"):
        build_anomaly("extra_cells", shallow, np.random.default_rng(0), 0.0)


def test_builds_at_exactly_the_minimum_size() -> None:
    for kind in CAVITY_KINDS:
        need = min_size(kind)
        cavity = Cavity(0.0, 0.0, need.long_mm + 1.0, need.short_mm + 1.0, need.depth_mm)
        assert fits(kind, cavity)
        for seed in range(5):
            anomaly = build_anomaly(kind, cavity, np.random.default_rng(seed), 0.0)
            assert sum(_drawn(anomaly).paths.values()).max() <= cavity.depth_mm + 1e-3


def test_bad_arguments_are_refused() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="unknown anomaly kind"):
        build_anomaly("bomb", CAVITIES[0], rng, 0.5)
    with pytest.raises(ValueError, match="shrink"):
        build_anomaly("screws", CAVITIES[0], rng, 1.5)


def test_random_kind_covers_every_kind_with_organics_most_often() -> None:
    rng = np.random.default_rng(0)
    draws = [random_anomaly_kind(rng) for _ in range(2000)]
    assert set(draws) == set(CAVITY_KINDS)
    assert max(set(draws), key=draws.count) == "organic_slab"
