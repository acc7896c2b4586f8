"""Reading materials from false colour alone agrees with the dual-energy classification."""

from __future__ import annotations

import numpy as np
import pytest

from screener_gui.core.false_colour import (
    BLACK_ATTENUATION,
    MaterialClass,
    attenuations,
    material_classes,
    render_dual_energy,
)
from screener_gui.core.physics import default_scanner
from screener_gui.core.rgb_materials import attenuation_from_rgb, classify_rgb

STEP_PX = 12


def _wedge(name: str, steps_mm: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Noise-free step wedge, 16 rows, one STEP_PX-wide column block per thickness, air first."""
    thickness = np.repeat(np.array((0.0, *steps_mm), np.float32), STEP_PX)[None, :].repeat(16, axis=0)
    return default_scanner().transmission({name: thickness})


def _pixel(rgb: tuple[int, int, int]) -> np.ndarray:
    return np.array(rgb, np.uint8).reshape(1, 1, 3)


@pytest.mark.parametrize(
    ("name", "steps_mm", "expected"),
    [
        ("polyethylene", (2, 5, 10, 20, 50, 100, 200), MaterialClass.ORGANIC),
        ("pom", (2, 5, 10, 20, 50, 100), MaterialClass.ORGANIC),
        ("aluminium", (1, 2, 5, 10, 20, 50, 80), MaterialClass.INORGANIC),
        ("iron", (0.3, 1, 2, 5, 10, 15, 20), MaterialClass.METAL),
        ("steel", (0.5, 1, 3, 8, 15, 25, 40), MaterialClass.METAL),
    ],
)
def test_step_wedge_renders_read_back_as_their_dual_energy_classes(name, steps_mm, expected):
    high, low = _wedge(name, steps_mm)
    reference = material_classes(high, low)
    read = classify_rgb(render_dual_energy(high, low))
    # Measured: 99.0-99.6 % of pixels; the rest sit on the blurred borders between steps.
    assert np.mean(read == reference) > 0.97
    assert np.all(read[:, 2 : STEP_PX - 2] == MaterialClass.AIR)
    material_pixels = read[:, STEP_PX:]
    assert np.mean((material_pixels == expected) | (material_pixels == MaterialClass.DENSE)) > 0.97


def test_white_belt_is_air_even_with_jpeg_noise():
    rng = np.random.default_rng(0)
    white = np.full((40, 60, 3), 255, np.uint8)
    assert np.all(classify_rgb(white) == MaterialClass.AIR)
    noisy = (255 - rng.integers(0, 8, white.shape)).astype(np.uint8)
    assert np.all(classify_rgb(noisy) == MaterialClass.AIR)


def test_black_and_very_dark_pixels_are_dense_whatever_their_hue():
    assert np.all(classify_rgb(np.zeros((8, 8, 3), np.uint8)) == MaterialClass.DENSE)
    for dark in ((20, 8, 2), (2, 20, 5), (5, 9, 24), (12, 12, 12)):
        assert classify_rgb(_pixel(dark))[0, 0] == MaterialClass.DENSE, dark


@pytest.mark.parametrize(
    ("colour", "expected"),
    [
        ((230, 140, 60), MaterialClass.ORGANIC),  # orange
        ((235, 215, 60), MaterialClass.ORGANIC),  # yellow
        ((120, 70, 30), MaterialClass.ORGANIC),  # brown
        ((60, 200, 60), MaterialClass.INORGANIC),  # green
        ((160, 220, 50), MaterialClass.INORGANIC),  # yellow-green
        ((40, 200, 150), MaterialClass.INORGANIC),  # cyan-green
        ((40, 90, 220), MaterialClass.METAL),  # blue
        ((150, 60, 220), MaterialClass.METAL),  # violet
        ((215, 215, 215), MaterialClass.ORGANIC),  # light grey: thin, most often organic
        ((128, 128, 128), MaterialClass.INORGANIC),  # mid grey
        ((60, 60, 60), MaterialClass.METAL),  # dark grey
    ],
)
def test_colour_families(colour, expected):
    assert classify_rgb(_pixel(colour))[0, 0] == expected


def test_attenuation_estimate_is_monotone_from_white_to_black():
    levels = np.arange(256, dtype=np.uint8)
    greys = np.repeat(levels[None, :, None], 3, axis=2)
    estimate = attenuation_from_rgb(greys)[0]
    assert estimate.dtype == np.float32
    assert estimate[255] == 0.0
    assert estimate[0] == pytest.approx(BLACK_ATTENUATION)
    assert np.all(np.diff(estimate) < 0)


def test_attenuation_estimate_recovers_attenuation_of_project_renders():
    high, low = _wedge("aluminium", (0.5, 2, 5, 10, 20, 40, 80, 120))
    truth = attenuations(high, low)[0]
    estimate = attenuation_from_rgb(render_dual_energy(high, low))
    usable = truth < 5.5  # below the dense limit, where lightness still varies
    assert np.all(np.abs(estimate - truth)[usable] < 0.03 + 0.02 * truth[usable])


def test_rejects_non_rgb_input():
    with pytest.raises(ValueError, match="uint8"):
        classify_rgb(np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        attenuation_from_rgb(np.zeros((4, 4, 3), np.float32))
