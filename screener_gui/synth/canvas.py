"""Where parts are drawn: per-material path lengths plus instance and anomaly label maps."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from screener_gui.synth.shapes import Shape


def pose(x_mm: float, y_mm: float, angle_deg: float = 0.0) -> np.ndarray:
    """3x3 affine transform: rotate by ``angle_deg`` then move to (x_mm, y_mm).

    Coordinates are (x, y) = (column, row) direction in mm; angles turn x towards y.
    """
    a = np.deg2rad(angle_deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, x_mm], [s, c, y_mm], [0.0, 0.0, 1.0]])


@dataclass(frozen=True)
class Part:
    """A shape of one material placed in its parent's frame (mm)."""

    shape: Shape
    material: str
    transform: np.ndarray

    def moved(self, parent: np.ndarray) -> Part:
        """The same part expressed in the parent's parent frame."""
        return Part(self.shape, self.material, parent @ self.transform)


def part(shape: Shape, material: str, x_mm: float = 0.0, y_mm: float = 0.0, angle_deg: float = 0.0) -> Part:
    """Shorthand for a :class:`Part` at a pose."""
    return Part(shape, material, pose(x_mm, y_mm, angle_deg))


def footprint_box(
    parts: Iterable[Part], parent: np.ndarray | None = None
) -> tuple[float, float, float, float]:
    """Box (x0, y0, x1, y1) in mm around the parts' bounding rectangles, moved by ``parent`` first
    when given."""
    lo, hi = np.full(2, np.inf), np.full(2, -np.inf)
    for p in parts:
        hw, hh = p.shape.half_extent()
        t = p.transform if parent is None else parent @ p.transform
        corners = t @ np.array([[-hw, hw, hw, -hw], [-hh, -hh, hh, hh], [1, 1, 1, 1]])
        lo = np.minimum(lo, corners[:2].min(axis=1))
        hi = np.maximum(hi, corners[:2].max(axis=1))
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


class Canvas:
    """Accumulates material path lengths (mm) on a pixel grid, with ground-truth label maps.

    Attributes:
        paths: Material name → float32 (H, W) path length in mm.
        instances: uint16 (H, W), 0 or the 1-based id of the object whose footprint covers a pixel.
        anomalies: uint16 (H, W), 0 or the 1-based id of the concealed anomaly there.
    """

    def __init__(self, height: int, width: int, pixel_mm: float) -> None:
        self.height, self.width, self.pixel_mm = height, width, pixel_mm
        self.paths: dict[str, np.ndarray] = {}
        self.instances = np.zeros((height, width), np.uint16)
        self.anomalies = np.zeros((height, width), np.uint16)

    def _window(self, item: Part) -> tuple[slice, slice, np.ndarray, np.ndarray] | None:
        hw, hh = item.shape.half_extent()
        corners = item.transform @ np.array([[-hw, hw, hw, -hw], [-hh, -hh, hh, hh], [1, 1, 1, 1]])
        px = self.pixel_mm
        x0 = max(int(np.floor(corners[0].min() / px)) - 1, 0)
        x1 = min(int(np.ceil(corners[0].max() / px)) + 2, self.width)
        y0 = max(int(np.floor(corners[1].min() / px)) - 1, 0)
        y1 = min(int(np.ceil(corners[1].max() / px)) + 2, self.height)
        if x0 >= x1 or y0 >= y1:
            return None
        # Rigid transforms (rotation, mirror, shift): the inverse is the transpose. Row and column
        # terms in float64, their sum (the big grid) in float32.
        (a, b, tx), (c, d, ty) = item.transform[:2].tolist()
        xs = (np.arange(x0, x1) + 0.5) * px - tx
        ys = (np.arange(y0, y1) + 0.5) * px - ty
        f32 = np.float32
        u = (a * xs).astype(f32)[None, :] + (c * ys).astype(f32)[:, None]
        v = (b * xs).astype(f32)[None, :] + (d * ys).astype(f32)[:, None]
        return slice(y0, y1), slice(x0, x1), u, v

    def draw(
        self, item: Part, *, instance: int = 0, anomaly: int = 0, remove: bool = False
    ) -> np.ndarray | None:
        """Add ``item``'s material to the path lengths; label its footprint when asked.

        Args:
            item: The part, its transform mapping part coordinates to canvas mm.
            instance: If non-zero, pixels at least half covered get this instance id.
            anomaly: If non-zero, pixels at least half covered get this anomaly id.
            remove: Subtract the part's path lengths instead (a component taken out of an item
                drawn elsewhere; the paths may go negative on this canvas).

        Returns:
            The boolean footprint within the full canvas bounding window, or None when the part
            lies outside the canvas.
        """
        window = self._window(item)
        if window is None:
            return None
        rows, cols, u, v = window
        coverage, thickness = item.shape.profile(u, v, self.pixel_mm)
        path = self.paths.get(item.material)
        if path is None:
            path = self.paths[item.material] = np.zeros((self.height, self.width), np.float32)
        if remove:
            path[rows, cols] -= coverage * thickness
        else:
            path[rows, cols] += coverage * thickness
        footprint = coverage >= 0.5
        if instance:
            self.instances[rows, cols][footprint] = instance
        if anomaly:
            self.anomalies[rows, cols][footprint] = anomaly
        return footprint

    def draw_all(self, items: list[Part] | tuple[Part, ...], parent: np.ndarray | None = None) -> None:
        """Draw several parts, each moved into ``parent``'s frame first when given."""
        for item in items:
            self.draw(item.moved(parent) if parent is not None else item)
