"""Operator enhancement functions, as on a screening console.

Every function is pure: it never changes its input and returns a new uint8 (H, W, 3) image.
Functions of a :class:`Scan` use the raw dual-energy channels when the scan has them
(:func:`~screener_gui.core.false_colour.material_classes` and
:func:`~screener_gui.core.false_colour.attenuations`) and read materials and attenuation back
from the colours otherwise (:mod:`screener_gui.core.rgb_materials`); :func:`material_view`
makes that choice once. :data:`ENHANCEMENTS` maps plain names to functions of a scan with their
default settings, for the viewer to bind to keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from screener_gui.core.false_colour import (
    AIR_MAX_ATTENUATION,
    BLACK_ATTENUATION,
    MaterialClass,
    attenuations,
    lightness_of_attenuation,
    material_classes,
    render_dual_energy,
    saturation_of_attenuation,
)
from screener_gui.core.rgb_materials import (
    attenuation_from_rgb,
    attenuation_of_value,
    check_rgb,
    classify_rgb,
)
from screener_gui.core.scan import Scan

# Attenuation windows (A_high = -ln T_high) spread over white..black by the penetration views.
# High penetration: from the thick end of ordinary items to well inside the dense range.
HIGH_PENETRATION_WINDOW = (3.0, 10.0)
# Low penetration: thin plastics, paper and fabric; anything past A = 1.5 (e.g. 10 mm of
# aluminium) turns black.
LOW_PENETRATION_WINDOW = (0.0, 1.5)
STRIP_FADE = 0.9  # share of the way towards white that stripped material is moved
# The "contrast" entry of ENHANCEMENTS stretches lightness about white (the belt stays white):
# light tones, i.e. thin material, gain contrast, the darkest third turns black.
CONTRAST_BOOST = 1.5

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R BT.601 luminance weights


@dataclass(frozen=True)
class MaterialView:
    """What each pixel of a scan is, however the scan was obtained.

    Attributes:
        attenuation: High-energy attenuation ``-ln T_high`` per pixel, float32 (H, W); estimated
            from lightness for RGB-only scans.
        classes: :class:`~screener_gui.core.false_colour.MaterialClass` per pixel, uint8 (H, W).
    """

    attenuation: np.ndarray
    classes: np.ndarray

    def __post_init__(self) -> None:
        self.attenuation.flags.writeable = False
        self.classes.flags.writeable = False


def material_view(scan: Scan) -> MaterialView:
    """Attenuation and material classes of ``scan``: from the raw channels when it has them."""
    if scan.is_dual_energy:
        return MaterialView(attenuations(scan.high, scan.low)[0], material_classes(scan.high, scan.low))
    return MaterialView(attenuation_from_rgb(scan.rgb), classify_rgb(scan.rgb))


def _to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def _value_of(rgb: np.ndarray) -> np.ndarray:
    """HSV value (largest channel) of a uint8 image, uint8 (H, W)."""
    return np.maximum(np.maximum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])


def negative(rgb: np.ndarray) -> np.ndarray:
    """Inverted image: white belt turns black, dense objects turn light."""
    check_rgb(rgb)
    return np.subtract(np.uint8(255), rgb, dtype=np.uint8)


def greyscale(scan: Scan) -> np.ndarray:
    """Grey image, three equal channels.

    Dual-energy scans: the lightness the false-colour table gives the high-energy attenuation, so
    each grey pixel has the HSV value of the colour view's pixel (T_high ** (1 / 2.6) up to the
    dense limit). RGB-only scans: the luminance (ITU-R BT.601) of the colour image.
    """
    if scan.is_dual_energy:
        grey = lightness_of_attenuation(attenuations(scan.high, scan.low)[0]) * np.float32(255)
    else:
        grey = scan.rgb.astype(np.float32) @ _LUMA
    return np.repeat(_to_uint8(grey)[..., None], 3, axis=2)


def _fade(rgb: np.ndarray, mask: np.ndarray, fade: float) -> np.ndarray:
    """Copy of ``rgb`` with the masked pixels moved ``fade`` of the way towards white (air)."""
    if not 0.0 <= fade <= 1.0:
        raise ValueError(f"fade must be in [0, 1], got {fade}")
    levels = np.arange(256, dtype=np.float32)
    faded = _to_uint8(levels + (255 - levels) * np.float32(fade))[rgb]
    return np.where(mask[..., None], faded, rgb)


def strip_organic(scan: Scan, *, fade: float = STRIP_FADE, view: MaterialView | None = None) -> np.ndarray:
    """Organic material faded to near-white, so inorganic and metal objects stand out.

    Args:
        scan: The scan.
        fade: How far organic pixels move towards white (0 = unchanged, 1 = white).
        view: The scan's :func:`material_view`, if already computed.
    """
    view = view or material_view(scan)
    return _fade(scan.rgb, view.classes == MaterialClass.ORGANIC, fade)


def strip_inorganic(scan: Scan, *, fade: float = STRIP_FADE, view: MaterialView | None = None) -> np.ndarray:
    """Inorganic and metal material faded to near-white: organics only (dense areas stay black).

    Args:
        scan: The scan.
        fade: How far inorganic and metal pixels move towards white (0 = unchanged, 1 = white).
        view: The scan's :func:`material_view`, if already computed.
    """
    view = view or material_view(scan)
    stripped = (view.classes == MaterialClass.INORGANIC) | (view.classes == MaterialClass.METAL)
    return _fade(scan.rgb, stripped, fade)


def _windowed(attenuation: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    """Attenuation stretched so that ``window`` spans white..black of the colour table.

    The same mapping as the ``window`` of :func:`~screener_gui.core.false_colour.render_dual_energy`.
    """
    lo, hi = window
    if not hi > lo:
        raise ValueError(f"window must be (lo, hi) with hi > lo, got {window}")
    return np.clip(attenuation - np.float32(lo), 0.0, None) * np.float32(BLACK_ATTENUATION / (hi - lo))


def penetration(scan: Scan, window: tuple[float, float]) -> np.ndarray:
    """Colour image whose lightness spans only the attenuation range ``window`` (lo, hi).

    Attenuation ``lo`` and below shows white, ``hi`` and above black; the hue (material) is kept.
    Dual-energy scans are re-rendered from the raw channels. RGB-only scans are approximated:
    attenuation is estimated from lightness (:func:`attenuation_from_rgb`) and windowed; each
    pixel keeps its hue, takes the lightness the colour table gives the windowed attenuation, and
    has its saturation scaled as the table's would change (material pushed towards white loses
    colour, as in the dual-energy view). Black pixels, whose hue is lost, come out grey.
    """
    if scan.is_dual_energy:
        return render_dual_energy(scan.high, scan.low, window=window)
    # In HSV terms channel = value * (1 - s + s * f), f in [0, 1] set by the hue alone, i.e.
    # channel = offset + scale * (channel - smallest channel). Offset and scale depend only on
    # the pixel's (value, chroma), so they are tabulated over all 256 x 256 pairs.
    value = np.arange(256, dtype=np.uint8)[:, None]
    chroma = np.arange(256, dtype=np.float32)[None, :]
    attenuation = attenuation_of_value(value)
    windowed = _windowed(attenuation, window)
    # The floor keeps the near-white noise of real images from being blown up into colour.
    floor = saturation_of_attenuation(np.float32(AIR_MAX_ATTENUATION))
    gain = saturation_of_attenuation(windowed) / np.maximum(saturation_of_attenuation(attenuation), floor)
    saturation = np.clip(chroma / np.maximum(value, 1) * gain, 0.0, 1.0)
    new_value = lightness_of_attenuation(windowed) * np.float32(255)
    offset = new_value * (1 - saturation)
    scale = new_value * saturation / np.maximum(chroma, 1)

    rgb = scan.rgb
    top = _value_of(rgb)
    bottom = np.minimum(np.minimum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])
    pair = (top, top - bottom)
    out = offset[pair][..., None] + scale[pair][..., None] * (rgb - bottom[..., None]).astype(np.float32)
    return _to_uint8(out)


def high_penetration(scan: Scan, window: tuple[float, float] = HIGH_PENETRATION_WINDOW) -> np.ndarray:
    """Detail inside dense regions: lightness spread over high attenuation; thin material washes out."""
    return penetration(scan, window)


def low_penetration(scan: Scan, window: tuple[float, float] = LOW_PENETRATION_WINDOW) -> np.ndarray:
    """Thin and light organics made visible: lightness spread over low attenuation; thick turns black."""
    return penetration(scan, window)


def _with_value(rgb: np.ndarray, value: np.ndarray) -> np.ndarray:
    """``rgb`` with each pixel scaled to the HSV value ``value`` (0..255, float32, H x W).

    Scaling all three channels by one factor keeps hue and saturation, so the material colour an
    operator reads stays the same. Black pixels have no colour and become grey.
    """
    top = _value_of(rgb)
    value = np.clip(value, 0, 255).astype(np.float32)
    out = rgb * (value / np.maximum(top, np.float32(1)))[..., None]
    out += ((top == 0) * value)[..., None]  # black pixels: all channels were 0
    return _to_uint8(out)


def edge_enhance(rgb: np.ndarray, amount: float = 1.0, sigma_px: float = 1.5) -> np.ndarray:
    """Unsharp mask on lightness: edges and fine detail (wires, blades, seams) made crisper.

    The HSV value is sharpened and each pixel's colour scaled with it, so hues stay as they were.

    Args:
        rgb: uint8 (H, W, 3) image.
        amount: Strength; 0 leaves the image unchanged.
        sigma_px: Scale of the detail boosted, Gaussian sigma in pixels.
    """
    check_rgb(rgb)
    value = _value_of(rgb).astype(np.float32)
    blurred = ndimage.gaussian_filter(value, sigma_px, mode="nearest")
    return _with_value(rgb, value + np.float32(amount) * (value - blurred))


def adjust(rgb: np.ndarray, contrast: float = 1.0, gamma: float = 1.0, brightness: float = 0.0) -> np.ndarray:
    """Gamma, then contrast about mid-grey, then brightness, applied to lightness.

    With ``v`` the HSV value in [0, 1], ``v' = clip((v ** gamma - 0.5) * contrast + 0.5 + brightness,
    0, 1)``; each pixel's colour is scaled to ``v'``, keeping hue and saturation (a grey image is
    changed channel by channel exactly so).

    Args:
        rgb: uint8 (H, W, 3) image.
        contrast: Slope about mid-grey; above 1 more contrast, below 1 less.
        gamma: Exponent; below 1 brightens mid-tones, above 1 darkens them (white and black stay).
        brightness: Offset as a fraction of full scale, in [-1, 1].
    """
    check_rgb(rgb)
    if gamma <= 0 or contrast < 0:
        raise ValueError(f"need gamma > 0 and contrast >= 0, got gamma={gamma}, contrast={contrast}")
    levels = np.arange(256) / 255.0
    curve = np.clip((levels**gamma - 0.5) * contrast + 0.5 + brightness, 0.0, 1.0) * 255
    # Scaling a pixel to its new value multiplies each channel by curve[value] / value: tabulate
    # the result for every (value, channel) pair (a black pixel, all channels 0, turns grey).
    factor = curve / np.maximum(np.arange(256), 1)
    table = _to_uint8(factor[:, None] * np.arange(256)[None, :])
    table[0, 0] = _to_uint8(curve[0])
    return table[_value_of(rgb)[..., None], rgb]


ENHANCEMENTS: dict[str, Callable[[Scan], np.ndarray]] = {
    "negative": lambda scan: negative(scan.rgb),
    "greyscale": greyscale,
    "organic_stripped": strip_organic,
    "inorganic_stripped": strip_inorganic,
    "high_penetration": high_penetration,
    "low_penetration": low_penetration,
    "edge_enhanced": lambda scan: edge_enhance(scan.rgb),
    "contrast": lambda scan: adjust(scan.rgb, contrast=CONTRAST_BOOST, brightness=(1 - CONTRAST_BOOST) / 2),
}
"""Plain name → enhancement of a scan with default settings (new uint8 (H, W, 3) image)."""
