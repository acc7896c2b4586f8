"""The :class:`Scan`: what the operator sees, plus the raw dual-energy data when known."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scan:
    """One bag scan.

    Attributes:
        rgb: False-colour image as shown to the operator, uint8, shape (H, W, 3).
            White is no attenuation.
        high: High-energy transmission, float32 in (0, 1] (1 = air), shape (H, W), or None
            when only a rendered image is known.
        low: Low-energy transmission, same conventions as ``high``.
        source: Where the scan came from (a path, or a description such as "synthetic seed 3").
    """

    rgb: np.ndarray
    high: np.ndarray | None = None
    low: np.ndarray | None = None
    source: str = ""

    def __post_init__(self) -> None:
        rgb = self.rgb
        if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"Scan.rgb must be uint8 (H, W, 3), got {rgb.dtype} {rgb.shape}")
        if (self.high is None) != (self.low is None):
            raise ValueError("Scan.high and Scan.low must be given together")
        if self.high is not None:
            for name in ("high", "low"):
                channel = getattr(self, name)
                if channel.dtype != np.float32 or channel.shape != rgb.shape[:2]:
                    raise ValueError(
                        f"Scan.{name} must be float32 {rgb.shape[:2]}, got {channel.dtype} {channel.shape}"
                    )
        # Arrays are shared between the pipeline, the viewer and caches: make them read-only
        # so that nobody can change a scan behind another's back.
        for array in (self.rgb, self.high, self.low):
            if array is not None:
                array.flags.writeable = False

    @property
    def shape(self) -> tuple[int, int]:
        """Image size as (height, width) in pixels."""
        return self.rgb.shape[0], self.rgb.shape[1]

    @property
    def is_dual_energy(self) -> bool:
        """True when the raw high / low transmissions are known."""
        return self.high is not None
