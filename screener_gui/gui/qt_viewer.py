"""The scan viewer: pan / zoom, the scan and its layers, a pixel read-out and clicks.

Layers, bottom to top: the scan (or an enhancement of it), the heatmap, the superpixel contours
(red alarm / yellow below the alarm / green benign), the object outlines with alarm frames, and a
highlight of the selected region. Every layer is an RGBA image made by the core
(:mod:`screener_gui.core.pipeline.overlay`); the viewer only shows them. Mouse moves are throttled
before the read-out is asked for.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal

LAYERS = ("heatmap", "contours", "outlines", "highlight")
HIGHLIGHT_RGBA = (255, 230, 0, 110)


class ScanViewer(pg.GraphicsLayoutWidget):
    """Signals: ``hovered(x, y)`` (scan pixel under the mouse, or (-1, -1) off the scan) and
    ``clicked(x, y)`` (a left click on the scan, not a drag)."""

    hovered = Signal(int, int)
    clicked = Signal(int, int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.view = self.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.view.setDefaultPadding(0.01)
        self.scan_item = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.scan_item)
        self.layers: dict[str, pg.ImageItem] = {}
        for z, name in enumerate(LAYERS, start=1):
            item = pg.ImageItem(axisOrder="row-major")
            item.setZValue(z)
            self.view.addItem(item)
            self.layers[name] = item
        self._shape: tuple[int, int] | None = None
        self._proxy = pg.SignalProxy(self.scene().sigMouseMoved, rateLimit=30, slot=self._moved)
        self.scene().sigMouseClicked.connect(self._clicked)

    @property
    def shape(self) -> tuple[int, int] | None:
        """(H, W) of the scan shown, None before the first."""
        return self._shape

    def show_scan(self, image: np.ndarray, *, reset_view: bool = True) -> None:
        """Show a new scan (uint8 (H, W, 3)); its layers are cleared."""
        self._shape = image.shape[:2]
        self.set_image(image)
        for name in LAYERS:
            self.set_layer(name, None)
        if reset_view:
            self.reset_view()

    def set_image(self, image: np.ndarray) -> None:
        """Replace the scan picture (an enhancement of the same scan), keeping the view."""
        self.scan_item.setImage(np.ascontiguousarray(image), autoLevels=False, levels=(0, 255))

    def set_layer(self, name: str, rgba: np.ndarray | None) -> None:
        """Show ``rgba`` (uint8 (H, W, 4)) as layer ``name``; None empties it."""
        item = self.layers[name]
        if rgba is None:
            item.clear()
            return
        item.setImage(np.ascontiguousarray(rgba), autoLevels=False, levels=(0, 255))

    def set_layer_visible(self, name: str, visible: bool) -> None:
        self.layers[name].setVisible(visible)

    def layer_visible(self, name: str) -> bool:
        return self.layers[name].isVisible()

    def set_layer_opacity(self, name: str, opacity: float) -> None:
        self.layers[name].setOpacity(float(np.clip(opacity, 0.0, 1.0)))

    def highlight(self, mask: np.ndarray | None) -> None:
        """Tint ``mask`` (boolean (H, W)) yellow, or clear the highlight."""
        if mask is None or self._shape is None:
            self.set_layer("highlight", None)
            return
        rgba = np.zeros((*self._shape, 4), np.uint8)
        rgba[mask] = HIGHLIGHT_RGBA
        self.set_layer("highlight", rgba)

    def reset_view(self) -> None:
        """Fit the whole scan in the window."""
        if self._shape is not None:
            h, w = self._shape
            self.view.setRange(xRange=(0, w), yRange=(0, h), padding=0.01)

    def pixel_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        """The scan pixel (x, y) under a scene position, None off the scan."""
        if self._shape is None or not self.view.sceneBoundingRect().contains(scene_pos):
            return None
        point = self.view.mapSceneToView(scene_pos)
        x, y = int(np.floor(point.x())), int(np.floor(point.y()))
        h, w = self._shape
        return (x, y) if 0 <= x < w and 0 <= y < h else None

    def _moved(self, args) -> None:
        pixel = self.pixel_at(args[0])
        self.hovered.emit(*(pixel or (-1, -1)))

    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        pixel = self.pixel_at(event.scenePos())
        if pixel is not None:
            self.clicked.emit(*pixel)
