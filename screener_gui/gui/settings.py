"""What the workstation remembers between runs (QSettings): folders, layers, mode, device, detector.

One typed wrapper, so keys and defaults live in one place. Tests pass their own ``QSettings``
(an INI file in a temporary folder) and never read the user's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from PySide6.QtCore import QSettings

from screener_gui.core.pipeline.overlay import PALETTES

ORGANIZATION, APPLICATION = "xray-screener", "workstation"


@dataclass
class Preferences:
    """The remembered settings, with their defaults; a stored value outside :data:`ALLOWED` is
    ignored (a hand-edited or damaged settings file never reaches the workstation)."""

    mode: str = "operator"
    device: str = "auto"  # "auto" (CUDA when present), "cpu", "cuda"...
    detector_mode: str = "dense"  # "dense" (whole-item detector) or "paper" (DFL per sub-component)
    last_open_folder: str = ""
    watch_folder: str = ""
    annotation_folder: str = ""
    heat_opacity: float = 0.45
    show_heatmap: bool = True
    show_contours: bool = True
    show_outlines: bool = True
    palette: str = "red_green"  # or "orange_blue" (colour-blind safe)
    belt_seconds: float = 4.0  # simulated scanner: a bag every so many seconds


ALLOWED: dict[str, Callable[[Any], bool]] = {
    "mode": lambda v: v in ("operator", "analyst", "annotator"),
    "device": lambda v: re.fullmatch(r"auto|cpu|cuda(:\d{1,2})?", v) is not None,
    "detector_mode": lambda v: v in ("dense", "paper"),
    "heat_opacity": lambda v: math.isfinite(v) and 0.0 <= v <= 1.0,
    "palette": lambda v: v in PALETTES,
    "belt_seconds": lambda v: math.isfinite(v) and 0.1 <= v <= 3600.0,
}


def default_store() -> QSettings:
    return QSettings(ORGANIZATION, APPLICATION)


def load_preferences(store: QSettings) -> Preferences:
    """Read :class:`Preferences` from ``store``; a missing or unreadable value keeps its default."""
    prefs = Preferences()
    for f in fields(Preferences):
        if not store.contains(f.name):
            continue
        default = getattr(prefs, f.name)
        raw = store.value(f.name)
        try:
            if isinstance(default, bool):
                value = raw if isinstance(raw, bool) else str(raw).lower() in ("true", "1", "yes")
            else:
                value = type(default)(raw)
        except (TypeError, ValueError):
            continue
        if f.name in ALLOWED and not ALLOWED[f.name](value):
            continue
        setattr(prefs, f.name, value)
    return prefs


def save_preferences(store: QSettings, prefs: Preferences) -> None:
    for f in fields(Preferences):
        store.setValue(f.name, getattr(prefs, f.name))
    store.sync()
