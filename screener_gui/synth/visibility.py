"""How visible a concealed anomaly is: its neighbourhood scanned noise-free with and without it.

Only the anomaly's bounding box plus a margin is rendered, twice: the scene as it would be
without the anomaly (for a replaced component: the intact item) and with it. The two renders
give the anomaly's contrast in each energy channel, its contrast-to-noise ratio under the
scanner's own noise model at that place, the CIEDE2000 colour difference an operator sees
between the two false-colour images, and its contrast against the host's own structure.

The record is the dataset reader's :class:`~screener_gui.core.dataset.Visibility` (fields and
visibility bins documented there and in ``docs/dataset_format.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import ndimage
from skimage.color import deltaE_ciede2000, rgb2lab

from screener_gui.core.dataset import Visibility
from screener_gui.core.false_colour import render_dual_energy
from screener_gui.core.physics import Scanner
from screener_gui.synth.canvas import Canvas, Part, footprint_box, pose

MARGIN_PX = 10
"""Pixels rendered around the anomaly's box: room for the colour smoothing and the clutter ring."""
RING_PX = 6
"""Width (pixels) of the ring around the anomaly over which the host's own variation is measured."""

# Target colour difference for a subtlety s in [0, 1]: ΔE = HIGHEST * (LOWEST / HIGHEST) ** s,
# log-uniform from 30 (s = 0) to 1.5 (s = 1). With s uniform: 37 % obvious (ΔE ≥ 10), 23 % medium,
# 31 % subtle and 9.6 % below 2, so that nothing learns that every anomaly can be seen.
TARGET_HIGHEST = 30.0
TARGET_LOWEST = 1.5
TOLERANCE = 1.35
"""A built anomaly is accepted when its measured ΔE is within this factor of its target."""


def target_delta_e(subtlety: float) -> float:
    """The CIEDE2000 colour difference that an anomaly of ``subtlety`` (0 … 1) is built to show."""
    if not 0.0 <= subtlety <= 1.0:
        raise ValueError(f"subtlety must lie in [0, 1], got {subtlety}")
    return float(TARGET_HIGHEST * (TARGET_LOWEST / TARGET_HIGHEST) ** subtlety)


def subtlety_of(delta_e: float) -> float:
    """The subtlety whose target is ``delta_e`` (clipped to [0, 1]): the inverse of :func:`target_delta_e`."""
    if delta_e <= 0:
        return 1.0
    s = np.log(delta_e / TARGET_HIGHEST) / np.log(TARGET_LOWEST / TARGET_HIGHEST)
    return round(float(np.clip(s, 0.0, 1.0)), 3)


def on_target(delta_e: float, target: float) -> bool:
    """Whether a measured ΔE is close enough to its target (within :data:`TOLERANCE`)."""
    return target / TOLERANCE <= delta_e <= target * TOLERANCE


@dataclass(frozen=True)
class Window:
    """A rectangle of the scan (pixels, end exclusive) and its origin in mm."""

    y0: int
    y1: int
    x0: int
    x1: int
    pixel_mm: float

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    def canvas(self) -> Canvas:
        """An empty canvas covering the window."""
        return Canvas(self.y1 - self.y0, self.x1 - self.x0, self.pixel_mm)

    def local(self, parts: list[Part] | tuple[Part, ...]) -> list[Part]:
        """Parts in scan mm moved into the window's own frame."""
        shift = pose(-self.x0 * self.pixel_mm, -self.y0 * self.pixel_mm)
        return [p.moved(shift) for p in parts]


def window_around(parts: list[Part] | tuple[Part, ...], canvas: Canvas, margin: int = MARGIN_PX) -> Window:
    """The scan window holding the parts' footprints plus ``margin`` pixels, clipped to the scan."""
    lo_x, lo_y, hi_x, hi_y = footprint_box(parts)
    px = canvas.pixel_mm
    x0 = max(int(np.floor(lo_x / px)) - margin, 0)
    y0 = max(int(np.floor(lo_y / px)) - margin, 0)
    x1 = min(int(np.ceil(hi_x / px)) + margin + 1, canvas.width)
    y1 = min(int(np.ceil(hi_y / px)) + margin + 1, canvas.height)
    return Window(y0, max(y1, y0 + 1), x0, max(x1, x0 + 1), px)


class Neighbourhood:
    """The scene around one anomaly, rendered once without it, then with each candidate build.

    Args:
        canvas: The scene's canvas (every part drawn except the anomaly; a replaced component
            still in place).
        host: The host item's index in ``canvas.instances``.
        window: The part of the scan to render (see :func:`window_around`).
        scanner: The scanner whose physics and noise model apply.
    """

    def __init__(self, canvas: Canvas, host: int, window: Window, scanner: Scanner) -> None:
        self.window, self.scanner = window, scanner
        rows, cols = window.slices
        self._paths = {name: path[rows, cols] for name, path in canvas.paths.items()}
        self._host = canvas.instances[rows, cols] == host
        self._without = _render(self._paths, scanner)

    def measure(
        self, parts: list[Part] | tuple[Part, ...], removed: list[Part] | tuple[Part, ...], target: float
    ) -> tuple[Visibility, np.ndarray]:
        """Visibility of the anomaly made of ``parts`` (scan mm) and its pixel mask in the window.

        ``removed`` are the parts (scan mm) that the anomaly takes the place of, if any.

        Raises:
            ValueError: The anomaly covers no pixel of its host.
        """
        local = self.window.canvas()
        for p in self.window.local(removed):
            local.draw(p)
        removed = {name: -path for name, path in local.paths.items()}
        local = self.window.canvas()
        for p in self.window.local(parts):
            local.draw(p, anomaly=1)
        mask = (local.anomalies > 0) & self._host
        if not mask.any():
            raise ValueError("the anomaly covers no pixel of its host")
        paths = dict(self._paths)
        for name, path in (*removed.items(), *local.paths.items()):
            paths[name] = np.maximum(paths[name] + path, 0.0) if name in paths else path
        with_ = _render(paths, self.scanner)
        att_h0, att_l0, rgb0 = self._without
        att_h1, att_l1, rgb1 = with_
        d_high = float((att_h1 - att_h0)[mask].mean())
        d_low = float((att_l1 - att_l0)[mask].mean())
        sigma_h, sigma_l = (
            float(np.mean(_sigma_att(att[mask], quanta, self.scanner)))
            for att, quanta in ((att_h1, self.scanner.quanta_high), (att_l1, self.scanner.quanta_low))
        )
        lab0, lab1 = rgb2lab(rgb0[mask][None]), rgb2lab(rgb1[mask][None])
        delta_e = float(deltaE_ciede2000(lab0, lab1).mean())
        ring = ndimage.binary_dilation(mask, iterations=RING_PX) & ~mask & self._host
        spread = float(att_h0[ring].std()) if ring.sum() >= 8 else float(att_h0[self._host].std())
        visibility = Visibility(
            delta_e=delta_e,
            d_att_high=d_high,
            d_att_low=d_low,
            cnr_high=abs(d_high) / sigma_h,
            cnr_low=abs(d_low) / sigma_l,
            clutter_contrast=abs(d_high) / (spread + sigma_h),
            target_delta_e=target,
            pixels=int(mask.sum()),
        )
        return visibility, mask


def _render(paths: dict[str, np.ndarray], scanner: Scanner) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Noise-free attenuations (high, low) after the detector blur, and the false colour (uint8)."""
    high, low = scanner.transmission(paths)
    if scanner.blur_px > 0:
        high = ndimage.gaussian_filter(high, scanner.blur_px, mode="nearest")
        low = ndimage.gaussian_filter(low, scanner.blur_px, mode="nearest")
    rgb = render_dual_energy(high, low, scanner)
    return -np.log(high), -np.log(low), rgb


def _sigma_att(att: np.ndarray, quanta: float, scanner: Scanner) -> np.ndarray:
    """Per-pixel noise (1 sigma) of -ln T at attenuations ``att`` in a channel with ``quanta``.

    Photon noise (variance T / quanta) and electronic noise are smoothed by the blur; the
    per-element and per-line gain jitter (two independent factors) are not.
    """
    t = np.exp(-att.astype(np.float64))
    blurred = (t / quanta + (scanner.dark_noise / scanner.air_level) ** 2) * _blur_power(scanner.blur_px)
    sigma_t = np.sqrt(blurred + 2 * (scanner.gain_jitter * t) ** 2)
    return sigma_t / t


@cache
def _blur_power(sigma_px: float) -> float:
    """Share of white-noise variance left after the detector's Gaussian blur."""
    if sigma_px <= 0:
        return 1.0
    impulse = np.zeros((31, 31))
    impulse[15, 15] = 1.0
    kernel = ndimage.gaussian_filter(impulse, sigma_px, mode="constant")
    return float((kernel**2).sum())
