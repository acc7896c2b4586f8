"""X-ray physics of a dual-energy line scanner: materials, tube spectrum, detectors, transmission."""

from screener_gui.core.physics.materials import MATERIALS, Material, material
from screener_gui.core.physics.scanner import Scanner, default_scanner

__all__ = ["MATERIALS", "Material", "Scanner", "default_scanner", "material"]
