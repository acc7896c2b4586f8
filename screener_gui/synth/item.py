"""What an item builder returns: parts in the item's own frame plus room for concealment."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from screener_gui.synth.canvas import Part


@dataclass(frozen=True)
class Cavity:
    """A free volume inside an item where something could be hidden.

    Attributes:
        x_mm, y_mm: Centre in the item frame (mm).
        width_mm, height_mm: Footprint (mm) along the cavity's own u / v axes.
        depth_mm: Free height along the beam (mm); concealed objects are no thicker.
        angle_deg: Rotation of the cavity in the item frame.
    """

    x_mm: float
    y_mm: float
    width_mm: float
    height_mm: float
    depth_mm: float
    angle_deg: float = 0.0


@dataclass(frozen=True)
class Slot:
    """A component a smuggler can empty and refill: the classic way to hide inside electronics.

    Attributes:
        name: What it is, e.g. ``"battery_cells"``, ``"optical_bay"``, ``"drive_platters"``.
        parts: The component's removable insides, in the item frame. Drawn when the item is
            intact; left out when something is concealed in their place. Never also in
            :attr:`Item.parts`.
        room: The free volume left once ``parts`` are taken out (footprint and depth, mm).
        cores: Volumes that can be refilled in place with another material, keeping their
            shapes (e.g. the jelly roll inside each cell's steel can); empty when the component
            leaves only a bay. Each is a part in the item frame whose material is the original.
    """

    name: str
    parts: tuple[Part, ...]
    room: Cavity
    cores: tuple[Part, ...] = ()


@dataclass(frozen=True)
class Item:
    """An electronics item built in its own frame (origin at the centre, mm).

    Attributes:
        category: Object class name, one of :data:`screener_gui.synth.items.CATEGORIES`.
        outline: The outer shell; its footprint is the item's instance mask.
        parts: Everything else (internals, fittings), drawn after the outline.
        cavities: Places where a concealed anomaly may be put.
        slots: Components that can be replaced by a concealed anomaly; their parts are drawn
            unless replaced.
    """

    category: str
    outline: Part
    parts: tuple[Part, ...]
    cavities: tuple[Cavity, ...]
    slots: tuple[Slot, ...] = ()

    def intact_parts(self, replaced: Slot | None = None) -> tuple[Part, ...]:
        """Every part to draw, leaving out the insides of the ``replaced`` slot."""
        extra = tuple(p for s in self.slots if s is not replaced for p in s.parts)
        return self.parts + extra

    def half_extent_mm(self) -> tuple[float, float]:
        """Half width / height of the outline footprint in the item frame (mm)."""
        hw, hh = self.outline.shape.half_extent()
        corners = self.outline.transform @ np.array([[-hw, hw, hw, -hw], [-hh, -hh, hh, hh], [1, 1, 1, 1]])
        return float(np.abs(corners[0]).max()), float(np.abs(corners[1]).max())


@dataclass(frozen=True)
class Anomaly:
    """A concealed object: its type, a one-line description and its parts in the item frame."""

    kind: str
    description: str
    parts: tuple[Part, ...]
