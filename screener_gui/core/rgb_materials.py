"""Materials and attenuation read back from a false-colour RGB image alone.

Real scanners often hand over only the rendered image (a JPEG or PNG), so the material a pixel
shows has to be read from its colour, the way an operator reads it. The same rule is applied to
the project's own renders, which makes synthetic and real images comparable with one rule.

The rule works in HSV (hue in degrees, saturation and value in [0, 1]) and is applied in order,
later steps overriding earlier ones:

1. by hue: organic for orange / yellow / brown / red hues, inorganic for green (yellow-green to
   cyan-green), metal for blue / violet (see the ``*_HUE_DEG`` constants);
2. grey pixels (chroma, the largest minus the smallest channel, below ``GREY_MAX_CHROMA``) carry
   no material information, so they get the class most common at their lightness: light grey
   (estimated attenuation below ``GREY_ORGANIC_MAX_ATTENUATION``) organic, mid grey (below
   ``GREY_INORGANIC_MAX_ATTENUATION``) inorganic, dark grey metal. A greyscale (single-energy)
   image is classified by this step alone;
3. air: very light and unsaturated (white belt or background, JPEG noise included);
4. dense: very dark (``value < DENSE_MAX_VALUE``) whatever the hue.

The thresholds follow the colour table of :mod:`screener_gui.core.false_colour`: its hue at the
organic and metal limits of effective Z, its saturation and lightness at the air limit of
attenuation, and its lightness at the dense limit.
"""

from __future__ import annotations

import numpy as np

from screener_gui.core.false_colour import (
    BLACK_ATTENUATION,
    DENSE_MIN_ATTENUATION,
    LIGHTNESS_SCALE,
    MaterialClass,
    lightness_of_attenuation,
)

# Hue boundaries in degrees. Organic runs from METAL_MAX_HUE_DEG round through red to
# ORGANIC_MAX_HUE_DEG; 79° is the false-colour hue at Z = 10 (organic limit), 196° the hue at
# Z = 20 (metal limit).
ORGANIC_MAX_HUE_DEG = 79.0
METAL_MIN_HUE_DEG = 196.0
METAL_MAX_HUE_DEG = 320.0  # violet ends here; magenta-red beyond reads as organic (brown / red)

# Air: value and saturation of the colour table at A = AIR_MAX_ATTENUATION (0.988, 0.074),
# with a little room on the value side for the JPEG noise of real white belts.
AIR_MIN_VALUE = 0.93
AIR_MAX_SATURATION = 0.075
# Dense: darker than the colour table at A = DENSE_MIN_ATTENUATION (value 0.0995).
DENSE_MAX_VALUE = float(np.exp(-DENSE_MIN_ATTENUATION / LIGHTNESS_SCALE))
# Grey (unclassifiable by hue) and the lightness rule that classifies it.
GREY_MAX_CHROMA = 10  # max - min channel, 8-bit levels: below it the hue is mostly noise
GREY_ORGANIC_MAX_ATTENUATION = 1.0
GREY_INORGANIC_MAX_ATTENUATION = 2.5


def _attenuation_lut() -> np.ndarray:
    """Attenuation for each 8-bit value code: the inverse of :func:`lightness_of_attenuation`."""
    grid = np.linspace(0.0, BLACK_ATTENUATION, 70_001, dtype=np.float64)
    value = lightness_of_attenuation(grid).astype(np.float64)
    # ``value`` falls monotonically along ``grid``; np.interp needs rising x.
    return np.interp(np.arange(256) / 255.0, value[::-1], grid[::-1]).astype(np.float32)


_ATTENUATION_OF_VALUE = _attenuation_lut()


def check_rgb(rgb: np.ndarray) -> None:
    """Raise ValueError unless ``rgb`` is a uint8 (H, W, 3) image."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected uint8 (H, W, 3) RGB, got {rgb.dtype} {rgb.shape}")


def attenuation_from_rgb(rgb: np.ndarray) -> np.ndarray:
    """Approximate high-energy attenuation ``A = -ln T_high`` from the lightness of a colour image.

    Inverts the lightness curve of the project's false-colour table (value = exp(-A / 2.6),
    falling to black at A = 7) using the HSV value (the largest channel). White gives 0, black
    gives :data:`BLACK_ATTENUATION`. Only an estimate: a real scanner's colour table differs, and
    the 8-bit value quantises A to about ±0.01 near white and ±0.05 near the dense limit.

    Args:
        rgb: uint8 (H, W, 3) false-colour image.

    Returns:
        float32 (H, W) attenuation, monotone decreasing in lightness.
    """
    check_rgb(rgb)
    return _ATTENUATION_OF_VALUE[np.maximum(np.maximum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])]


def attenuation_of_value(value: np.ndarray) -> np.ndarray:
    """Like :func:`attenuation_from_rgb`, for given HSV values (largest channel, uint8 0..255)."""
    value = np.asarray(value)
    if value.dtype != np.uint8:
        raise ValueError(f"expected uint8 values, got {value.dtype}")
    return _ATTENUATION_OF_VALUE[value]


def _whole_hue_degrees(planes: np.ndarray, top: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    """HSV hue plus 360, floored to whole degrees (int16 in [300, 660]), from uint8 (3, H, W) planes."""
    r, g, b = planes.astype(np.int16)
    is_r = top == planes[0]
    is_g = top == planes[1]
    # Sector base 0° (red largest), 120° (green) or 240° (blue), then the offset within it (±60°).
    numerator = b - r
    np.copyto(numerator, r - g, where=~is_g)
    np.copyto(numerator, g - b, where=is_r)
    base = np.full(top.shape, 360 + 240, np.int16)
    base[is_g] = 360 + 120
    base[is_r] = 360
    # Kept positive so that the cast floors instead of truncating towards zero.
    return (base + np.float32(60) * numerator / np.maximum(chroma, 1)).astype(np.int16)


def _hue_class_lut() -> np.ndarray:
    """Class of each whole degree of hue + 360 (0..720); the ``*_HUE_DEG`` boundaries are whole degrees."""
    degrees = np.arange(721) % 360
    lut = np.full(degrees.shape, MaterialClass.ORGANIC, np.uint8)
    lut[(degrees >= ORGANIC_MAX_HUE_DEG) & (degrees < METAL_MIN_HUE_DEG)] = MaterialClass.INORGANIC
    lut[(degrees >= METAL_MIN_HUE_DEG) & (degrees < METAL_MAX_HUE_DEG)] = MaterialClass.METAL
    return lut


_FROM_HUE = 255  # marks (value, chroma) cells whose class comes from the hue


def _value_chroma_lut() -> np.ndarray:
    """Class fixed by (value, chroma) alone — dense, air or grey — else ``_FROM_HUE``; 256 x 256."""
    top, chroma = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    value = top / 255.0
    saturation = chroma / np.maximum(top, 1)
    attenuation = _ATTENUATION_OF_VALUE[top]
    lut = np.full(top.shape, _FROM_HUE, np.uint8)
    grey = chroma < GREY_MAX_CHROMA
    lut[grey] = MaterialClass.METAL
    lut[grey & (attenuation < GREY_INORGANIC_MAX_ATTENUATION)] = MaterialClass.INORGANIC
    lut[grey & (attenuation < GREY_ORGANIC_MAX_ATTENUATION)] = MaterialClass.ORGANIC
    lut[(value >= AIR_MIN_VALUE) & (saturation < AIR_MAX_SATURATION)] = MaterialClass.AIR
    lut[value < DENSE_MAX_VALUE] = MaterialClass.DENSE
    lut[chroma > top] = MaterialClass.AIR  # impossible cells; any value will do
    return lut


_CLASS_OF_HUE = _hue_class_lut()
_CLASS_OF_VALUE_CHROMA = _value_chroma_lut()


def classify_rgb(rgb: np.ndarray) -> np.ndarray:
    """:class:`MaterialClass` of every pixel (uint8, H x W) read from false colour alone.

    See the module docstring for the rule and its constants. Two look-up tables and one hue
    computation: some 20–50 ms for 1000 x 800 pixels on one CPU core.

    Args:
        rgb: uint8 (H, W, 3) false-colour image (white = no attenuation).
    """
    check_rgb(rgb)
    planes = np.ascontiguousarray(np.moveaxis(rgb, 2, 0))
    top = np.maximum(np.maximum(planes[0], planes[1]), planes[2])
    chroma = top - np.minimum(np.minimum(planes[0], planes[1]), planes[2])
    fixed = _CLASS_OF_VALUE_CHROMA[top, chroma]
    by_hue = _CLASS_OF_HUE[_whole_hue_degrees(planes, top, chroma)]
    return np.where(fixed == _FROM_HUE, by_hue, fixed)
