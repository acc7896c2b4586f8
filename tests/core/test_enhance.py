"""Operator enhancements do what an operator expects, on dual-energy and on RGB-only scans."""

from __future__ import annotations

import numpy as np
import pytest

from screener_gui.core.enhance import (
    ENHANCEMENTS,
    adjust,
    edge_enhance,
    greyscale,
    high_penetration,
    low_penetration,
    material_view,
    negative,
    strip_inorganic,
    strip_organic,
)
from screener_gui.core.false_colour import MaterialClass, material_classes, render_dual_energy
from screener_gui.core.physics import default_scanner
from screener_gui.core.rgb_materials import classify_rgb
from screener_gui.core.scan import Scan

# Regions of the test scan (rows, columns); interiors keep clear of the blurred borders.
SLAB = np.s_[10:26, 10:34]  # 25 mm polyethylene
BAR = np.s_[9:15, 46:88]  # 10 mm aluminium
SCREW = np.s_[22:26, 52:60]  # 3 mm steel
STEEL_20 = np.s_[38:56, 48:66]
STEEL_24 = np.s_[38:56, 70:88]
PE_1 = np.s_[38:56, 10:21]  # 1 mm polyethylene on air
PE_2 = np.s_[38:56, 25:36]  # 2 mm polyethylene on air


def _test_transmissions() -> tuple[np.ndarray, np.ndarray]:
    """64 x 96 scan: thin organic bag with a slab, an aluminium bar, a screw and thick steel steps."""
    pe = np.zeros((64, 96), np.float32)
    aluminium = np.zeros_like(pe)
    steel = np.zeros_like(pe)
    pe[4:32, 6:92] = 2.0  # thin organic background (bag lining)
    pe[32:60, 42:92] = 2.0
    pe[8:28, 8:36] += 25.0
    aluminium[8:16, 44:90] = 10.0
    steel[20:28, 50:62] = 3.0
    steel[36:58, 46:68] = 20.0
    steel[36:58, 68:90] = 24.0
    pe[36:58, 8:23] = 1.0  # thin steps on air
    pe[36:58, 23:38] = 2.0
    return default_scanner().transmission({"polyethylene": pe, "aluminium": aluminium, "steel": steel})


@pytest.fixture(scope="module")
def dual_scan() -> Scan:
    high, low = _test_transmissions()
    return Scan(render_dual_energy(high, low), high, low, source="test scene")


@pytest.fixture(scope="module")
def rgb_scan(dual_scan: Scan) -> Scan:
    return Scan(dual_scan.rgb.copy(), source="test scene, rendered image only")


@pytest.fixture(params=["dual", "rgb"])
def scan(request, dual_scan: Scan, rgb_scan: Scan) -> Scan:
    return dual_scan if request.param == "dual" else rgb_scan


def _value(image: np.ndarray) -> np.ndarray:
    return image.max(axis=2).astype(float)


def _saturation(image: np.ndarray) -> np.ndarray:
    top = _value(image)
    return (top - image.min(axis=2)) / np.maximum(top, 1)


@pytest.mark.parametrize("name", sorted(ENHANCEMENTS))
def test_every_enhancement_returns_a_new_image_and_leaves_the_scan_alone(scan, name):
    before = scan.rgb.copy()
    out = ENHANCEMENTS[name](scan)
    assert out.dtype == np.uint8
    assert out.shape == scan.rgb.shape
    assert not np.shares_memory(out, scan.rgb)
    assert np.array_equal(scan.rgb, before)
    assert not np.array_equal(out, scan.rgb)  # each one visibly changes this scene


def test_image_functions_never_write_into_their_input(dual_scan):
    rgb = dual_scan.rgb.copy()  # writable
    before = rgb.copy()
    for result in (negative(rgb), edge_enhance(rgb, 2.0), adjust(rgb, 1.5, 0.5, 0.1)):
        assert not np.shares_memory(result, rgb)
    assert np.array_equal(rgb, before)


def test_negative_turns_white_black_and_is_its_own_inverse(dual_scan):
    white = np.full((5, 7, 3), 255, np.uint8)
    assert np.all(negative(white) == 0)
    assert np.array_equal(negative(negative(dual_scan.rgb)), dual_scan.rgb)


def test_greyscale_has_no_colour_and_orders_by_attenuation(scan):
    grey = greyscale(scan)
    assert np.all(grey[..., 0] == grey[..., 1]) and np.all(grey[..., 1] == grey[..., 2])
    air, slab, steel = grey[1, 1, 0], np.median(grey[SLAB][..., 0]), np.median(grey[STEEL_20][..., 0])
    assert air > 250 > slab > steel


def test_greyscale_of_dual_energy_is_as_light_as_the_colour_view(dual_scan):
    assert np.abs(_value(greyscale(dual_scan)) - _value(dual_scan.rgb)).max() <= 3


def test_organic_stripping_fades_the_slab_and_keeps_metal(scan):
    out = strip_organic(scan)
    assert np.median(_value(scan.rgb[SLAB])) < 220 and np.median(_saturation(scan.rgb[SLAB])) > 0.5
    assert np.all(_value(out[SLAB]) >= 240)  # near the white background...
    assert np.all(_saturation(out[SLAB]) < 0.1)  # ...and without its orange
    assert np.array_equal(out[SCREW], scan.rgb[SCREW])
    assert np.array_equal(out[BAR], scan.rgb[BAR])


def test_inorganic_stripping_fades_aluminium_and_metal_and_keeps_organics(scan):
    out = strip_inorganic(scan)
    for region in (BAR, SCREW):
        assert np.all(_value(out[region]) >= 230)
        assert np.all(_saturation(out[region]) < 0.1)
    assert np.array_equal(out[SLAB], scan.rgb[SLAB])


def test_high_penetration_separates_thick_steel_steps(scan):
    plain = np.median(_value(scan.rgb[STEEL_20])) - np.median(_value(scan.rgb[STEEL_24]))
    out = high_penetration(scan)
    windowed = np.median(_value(out[STEEL_20])) - np.median(_value(out[STEEL_24]))
    assert windowed > 1.5 * plain + 5
    assert np.median(_value(out[SLAB])) > np.median(_value(scan.rgb[SLAB]))  # light material washes out


def test_low_penetration_separates_thin_polyethylene_steps(scan):
    def step_difference(image: np.ndarray) -> float:
        one = np.median(image[PE_1].reshape(-1, 3).astype(float), axis=0)
        two = np.median(image[PE_2].reshape(-1, 3).astype(float), axis=0)
        return float(np.linalg.norm(one - two))

    out = low_penetration(scan)
    assert step_difference(out) > 2 * step_difference(scan.rgb) + 5
    assert np.median(_value(out[PE_2])) < np.median(_value(scan.rgb[PE_2]))


def test_rgb_only_penetration_approximates_the_dual_energy_view(dual_scan, rgb_scan):
    for view in (high_penetration, low_penetration):
        difference = np.abs(_value(view(dual_scan)) - _value(view(rgb_scan)))
        assert np.median(difference) <= 3 and np.percentile(difference, 95) <= 15


def test_edge_enhancement_steepens_edges(dual_scan):
    rows = dual_scan.rgb[SLAB[0]]

    def steepest(image: np.ndarray) -> float:
        return float(np.abs(np.diff(_value(image), axis=1))[:, 4:14].max())  # across the slab's left edge

    assert steepest(edge_enhance(rows)) > 1.2 * steepest(rows)
    assert np.array_equal(edge_enhance(dual_scan.rgb, amount=0.0), dual_scan.rgb)


def test_adjust(dual_scan):
    grey = np.full((2, 2, 3), 128, np.uint8)
    assert adjust(grey, gamma=0.5)[0, 0, 0] > 170  # mid-tones brighter
    assert adjust(grey, gamma=2.0)[0, 0, 0] < 80
    assert adjust(grey, contrast=2.0)[0, 0, 0] == pytest.approx(128, abs=2)  # pivot at mid-grey
    assert adjust(grey, brightness=0.2)[0, 0, 0] == pytest.approx(179, abs=1)
    extremes = np.array([[[0, 0, 0], [255, 255, 255]]], np.uint8)
    assert np.array_equal(adjust(extremes, gamma=0.5), extremes)
    assert np.array_equal(adjust(dual_scan.rgb), dual_scan.rgb)
    orange = np.array([[[200, 120, 60]]], np.uint8)
    r, g, b = adjust(orange, contrast=1.5, gamma=1.3)[0, 0].astype(float)
    assert (g - b) / (r - b) == pytest.approx((120 - 60) / (200 - 60), abs=0.03)  # hue kept


def test_material_view_uses_raw_channels_when_it_has_them(dual_scan, rgb_scan):
    view = material_view(dual_scan)
    assert np.array_equal(view.classes, material_classes(dual_scan.high, dual_scan.low))
    assert np.array_equal(material_view(rgb_scan).classes, classify_rgb(rgb_scan.rgb))
    assert view.attenuation.dtype == np.float32 and view.attenuation.shape == dual_scan.shape
    assert view.classes[SLAB].min() == view.classes[SLAB].max() == MaterialClass.ORGANIC
    with pytest.raises(ValueError):
        view.classes[0, 0] = 0


def test_render_window_is_optional_and_maps_its_range_onto_the_full_lightness_scale(dual_scan):
    high, low = dual_scan.high, dual_scan.low
    assert np.array_equal(render_dual_energy(high, low, window=None), dual_scan.rgb)
    # The colour table runs from white at A = 0 to black at A = 7: the identity window.
    assert np.array_equal(render_dual_energy(high, low, window=(0.0, 7.0)), dual_scan.rgb)
    with pytest.raises(ValueError, match="window"):
        render_dual_energy(high, low, window=(2.0, 1.0))
