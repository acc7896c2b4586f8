"""Dual-energy false colour, calibrated the way scanners are.

The material ratio ``R = ln(T_low) / ln(T_high)`` rises with atomic number but also falls
with thickness (beam hardening), so a fixed threshold on ``R`` would call thick aluminium
organic. Instead, reference materials (polyethylene and POM for organics, aluminium, iron)
are simulated as step wedges through :class:`~screener_gui.core.physics.Scanner`; each gives
a curve ``R(A_high)`` in the plane of high-energy attenuation ``A_high = -ln T_high`` and
ratio. A pixel's effective Z is interpolated between the curves that bracket its ``R`` at its
own attenuation. Colour then follows the industry convention: hue from Z (orange organic,
green light inorganic / mixed, blue metal), lightness from attenuation, black where nothing
gets through.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import cache

import numpy as np
from scipy import ndimage

from screener_gui.core.physics import Scanner, default_scanner, material

# Reference wedges (material, assigned Z). Zeff of the materials themselves: PE 5.4,
# POM 7.0, Al 13, Fe 26.
REFERENCES: tuple[tuple[str, float], ...] = (
    ("polyethylene", 5.5),
    ("pom", 7.0),
    ("aluminium", 13.0),
    ("iron", 26.0),
)
ORGANIC_MAX_Z = 10.0  # below: organic (orange)
METAL_MIN_Z = 20.0  # above: metal (blue); in between: inorganic / mixed (green)
AIR_MAX_ATTENUATION = 0.03  # A_high below this reads as air
DENSE_MIN_ATTENUATION = 6.0  # T_high below ~0.25 %: too dense to penetrate

# Display model: HSV value = exp(-A_high / LIGHTNESS_SCALE), ramping to black between
# DENSE_MIN_ATTENUATION and BLACK_ATTENUATION; saturation = SATURATION_MAX * (1 - exp(-A / SATURATION_SCALE))
# so that thin material is pale.
LIGHTNESS_SCALE = 2.6
BLACK_ATTENUATION = DENSE_MIN_ATTENUATION + 1.0
SATURATION_MAX = 0.9
SATURATION_SCALE = 0.35

_LUT_SIZE = 512
_LUT_MAX_ATTENUATION = 9.0
_Z_LEVELS = 64
_Z_RANGE = (4.0, 30.0)


class MaterialClass(IntEnum):
    """What a pixel is made of, as a screener reads the colours."""

    AIR = 0
    ORGANIC = 1
    INORGANIC = 2
    METAL = 3
    DENSE = 4


@dataclass(frozen=True)
class ReferenceCurve:
    """Attenuations of one reference material over a range of thicknesses (mm)."""

    name: str
    z: float
    thickness_mm: np.ndarray
    attenuation_high: np.ndarray
    attenuation_low: np.ndarray

    @property
    def ratio(self) -> np.ndarray:
        """``R = A_low / A_high`` along the wedge."""
        return self.attenuation_low / self.attenuation_high


@cache
def reference_curves(scanner: Scanner | None = None) -> tuple[ReferenceCurve, ...]:
    """Simulated step wedges of the reference materials, noise-free.

    Thickness steps run from 0.05 mm to the thickness where ``A_high`` exceeds
    the dense limit, so every curve spans the whole usable attenuation range.
    """
    scanner = scanner or default_scanner()
    curves = []
    for name, z in REFERENCES:
        mu = float(material(name).mu(np.array([scanner.mean_energies()[0]]))[0])
        top_mm = 1.5 * (_LUT_MAX_ATTENUATION + 1) / mu
        thickness = np.geomspace(0.05, top_mm, 400)
        high, low = scanner.transmission({name: thickness})
        curves.append(
            ReferenceCurve(name, z, thickness, -np.log(high.astype(float)), -np.log(low.astype(float)))
        )
    return tuple(curves)


def effective_z(att_high: np.ndarray, att_low: np.ndarray, scanner: Scanner | None = None) -> np.ndarray:
    """Effective atomic number of each pixel from its high / low attenuations.

    Linear interpolation in ``R`` between the reference curves evaluated at the pixel's
    ``A_high``; clamped to the outermost references.
    """
    curves = reference_curves(scanner)
    a = np.asarray(att_high, float)
    ratio = np.asarray(att_low, float) / np.maximum(a, 1e-6)
    curve_r = np.stack([np.interp(a, c.attenuation_high, c.ratio) for c in curves])  # (C, ...)
    zs = np.array([c.z for c in curves])
    z = np.full(a.shape, zs[0])
    for i in range(len(curves) - 1):
        lo, hi = curve_r[i], curve_r[i + 1]
        frac = np.clip((ratio - lo) / np.maximum(hi - lo, 1e-6), 0.0, 1.0)
        z = np.where(ratio >= lo, zs[i] + frac * (zs[i + 1] - zs[i]), z)
    return z


def _hue_of_z(z: np.ndarray) -> np.ndarray:
    """Hue in degrees: orange organics, green inorganics, blue metals, smooth at the borders."""
    anchors_z = [4.0, 8.5, 10.5, 17.5, 20.5, 30.0]
    anchors_hue = [24.0, 32.0, 95.0, 115.0, 212.0, 222.0]
    return np.interp(z, anchors_z, anchors_hue)


def _hsv_to_rgb(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    h6 = (h % 360) / 60.0
    c = v * s
    x = c * (1 - np.abs(h6 % 2 - 1))
    m = v - c
    sector = np.floor(h6).astype(int) % 6
    zero = np.zeros_like(c)
    r = np.choose(sector, [c, x, zero, zero, x, c])
    g = np.choose(sector, [x, c, c, x, zero, zero])
    b = np.choose(sector, [zero, zero, x, c, c, x])
    return np.stack([r + m, g + m, b + m], axis=-1)


@cache
def _luts(scanner: Scanner | None) -> tuple[np.ndarray, np.ndarray]:
    """(z_index LUT over (A_high, A_low) bins, colour LUT over (z_index, A_high bin))."""
    centres = _bin_centres()
    a_high, a_low = np.meshgrid(centres, centres, indexing="ij")
    z = effective_z(a_high, a_low, scanner)
    z_index = np.rint((z - _Z_RANGE[0]) / (_Z_RANGE[1] - _Z_RANGE[0]) * (_Z_LEVELS - 1))
    z_index = np.clip(z_index, 0, _Z_LEVELS - 1).astype(np.uint8)

    z_levels = np.linspace(*_Z_RANGE, _Z_LEVELS)
    zz, aa = np.meshgrid(z_levels, centres, indexing="ij")
    hue = _hue_of_z(zz)
    # Thin material is pale, thicker is saturated; lightness falls with attenuation and
    # reaches black where the beam no longer gets through.
    saturation = saturation_of_attenuation(aa)
    value = lightness_of_attenuation(aa)
    colour = np.rint(_hsv_to_rgb(hue, saturation, value) * 255).astype(np.uint8)
    return z_index, colour


def lightness_of_attenuation(attenuation: np.ndarray) -> np.ndarray:
    """HSV value in [0, 1] (float32) the false colour gives high-energy attenuation ``A``."""
    a = np.clip(np.asarray(attenuation, np.float32), 0.0, None)
    ramp = np.clip(np.float32(BLACK_ATTENUATION) - a, 0.0, 1.0)
    return (np.exp(-a / np.float32(LIGHTNESS_SCALE)) * ramp).astype(np.float32)


def saturation_of_attenuation(attenuation: np.ndarray) -> np.ndarray:
    """HSV saturation in [0, 1) (float32) the false colour gives high-energy attenuation ``A``."""
    a = np.clip(np.asarray(attenuation, np.float32), 0.0, None)
    return (np.float32(SATURATION_MAX) * -np.expm1(-a / np.float32(SATURATION_SCALE))).astype(np.float32)


def _bin_centres() -> np.ndarray:
    return ((np.arange(_LUT_SIZE) + 0.5) / _LUT_SIZE) ** 2 * _LUT_MAX_ATTENUATION


def _bins(attenuation: np.ndarray) -> np.ndarray:
    # Square-root spacing: fine bins where attenuation is small and the ratio is delicate.
    scaled = np.sqrt(np.clip(attenuation, 0, None) * np.float32(1 / _LUT_MAX_ATTENUATION))
    return np.minimum((scaled * _LUT_SIZE).astype(np.int32), _LUT_SIZE - 1)


def attenuations(high: np.ndarray, low: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(-ln T_high, -ln T_low)`` as float32, transmissions clipped to (1e-7, 1]."""
    return (
        -np.log(np.clip(high, 1e-7, 1.0)).astype(np.float32),
        -np.log(np.clip(low, 1e-7, 1.0)).astype(np.float32),
    )


def _z_indices(
    a_high: np.ndarray, a_low: np.ndarray, scanner: Scanner | None
) -> tuple[np.ndarray, np.ndarray]:
    """(Z level index per pixel, smoothed A_high) from attenuations.

    Both attenuations are smoothed a little first (sigma 1 px) because the ratio of two noisy
    logarithms is itself noisy where attenuation is small; scanners do the same.
    """
    smooth_high = ndimage.gaussian_filter(a_high, 1.0)
    smooth_low = ndimage.gaussian_filter(a_low, 1.0)
    z_index, _ = _luts(scanner)
    return z_index[_bins(smooth_high), _bins(smooth_low)], smooth_high


def _z_of_level(index: np.ndarray) -> np.ndarray:
    """Effective Z (float32) that each LUT level stands for."""
    step = np.float32((_Z_RANGE[1] - _Z_RANGE[0]) / (_Z_LEVELS - 1))
    return np.float32(_Z_RANGE[0]) + index.astype(np.float32) * step


def z_map(high: np.ndarray, low: np.ndarray, scanner: Scanner | None = None) -> np.ndarray:
    """Effective Z per pixel (float32) from transmissions, read through the calibration LUT."""
    index, _ = _z_indices(*attenuations(high, low), scanner)
    return _z_of_level(index)


def render_dual_energy(
    high: np.ndarray,
    low: np.ndarray,
    scanner: Scanner | None = None,
    *,
    window: tuple[float, float] | None = None,
) -> np.ndarray:
    """False-colour RGB image (uint8, H x W x 3) from high / low transmissions in (0, 1].

    Args:
        high, low: Transmissions in (0, 1].
        scanner: Scanner whose reference wedges calibrate the colours (default scanner if None).
        window: Optional attenuation range ``(lo, hi)`` of ``A_high`` spread over the full
            lightness scale: ``lo`` and below show white, ``hi`` and above black, the hue (material)
            is unchanged. The operator's high / low penetration views use it; None renders as usual.
    """
    a_high, a_low = attenuations(high, low)
    zi, _ = _z_indices(a_high, a_low, scanner)
    if window is not None:
        lo, hi = window
        if not hi > lo:
            raise ValueError(f"window must be (lo, hi) with hi > lo, got {window}")
        # The colour table turns black at DENSE_MIN_ATTENUATION + 1: stretch the window onto that.
        scale = np.float32((DENSE_MIN_ATTENUATION + 1.0) / (hi - lo))
        a_high = np.clip(a_high - np.float32(lo), 0.0, None) * scale
    return _luts(scanner)[1][zi, _bins(a_high)]


def material_classes(high: np.ndarray, low: np.ndarray, scanner: Scanner | None = None) -> np.ndarray:
    """:class:`MaterialClass` of every pixel (uint8) from high / low transmissions."""
    index, smooth = _z_indices(*attenuations(high, low), scanner)
    z = _z_of_level(index)
    classes = np.full(index.shape, MaterialClass.INORGANIC, np.uint8)
    classes[z < ORGANIC_MAX_Z] = MaterialClass.ORGANIC
    classes[z >= METAL_MIN_Z] = MaterialClass.METAL
    classes[smooth < AIR_MAX_ATTENUATION] = MaterialClass.AIR
    classes[smooth >= DENSE_MIN_ATTENUATION] = MaterialClass.DENSE
    return classes
