"""What the workstation remembers between runs (QSettings): folders, layers, mode, device, detector.

One typed wrapper, so keys and defaults live in one place. Tests pass their own ``QSettings``
(an INI file in a temporary folder) and never read the user's.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from PySide6.QtCore import QSettings

ORGANIZATION, APPLICATION = "xray-screener", "workstation"


@dataclass
class Preferences:
    """The remembered settings, with their defaults."""

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
        setattr(prefs, f.name, value)
    return prefs


def save_preferences(store: QSettings, prefs: Preferences) -> None:
    for f in fields(Preferences):
        store.setValue(f.name, getattr(prefs, f.name))
    store.sync()
