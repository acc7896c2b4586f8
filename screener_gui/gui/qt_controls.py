"""Small controls of the main window: the alarm banner, the toolbar with the contour legend, and
queue rows."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QSlider, QToolBar

from screener_gui.core.pipeline.overlay import BELOW_ALARM_RGB, PALETTES
from screener_gui.core.pipeline.screen import BELOW_ALARM, ScreeningResult
from screener_gui.core.review import Entry

ALARM_STYLE = "background:#c81e1e;color:white;font-size:20px;font-weight:bold;padding:6px;"
CLEAR_STYLE = "background:#2f8f3a;color:white;font-size:20px;font-weight:bold;padding:6px;"
IDLE_STYLE = "background:#555;color:white;font-size:20px;padding:6px;"
# The contour colours of each palette in words: (alarm, below the alarm, benign).
COLOUR_NAMES = {"red_green": ("red", "yellow", "green"), "orange_blue": ("orange", "purple", "blue")}


def contour_legend(palette: str) -> str:
    """What the contour colours of ``palette`` mean, in words (tool and status tips)."""
    alarm, below, benign = COLOUR_NAMES[palette]
    return (
        f"Contours: {alarm} = anomalous region of an item that alarmed; {below} = below the alarm: "
        f"the region is above the region threshold but its item's score is under the item threshold, "
        f"so the item did not alarm; {benign} = benign. A region the annotator relabels shows its "
        f"label ({alarm} anomaly, {benign} benign)."
    )


def legend_html(palette: str) -> str:
    """The contour legend as coloured squares with their meaning (rich text)."""
    anomaly, benign = PALETTES[palette]
    keys = ((anomaly, "alarm"), (BELOW_ALARM_RGB[palette], "below the alarm"), (benign, "benign"))
    return "&nbsp;&nbsp;".join(
        f'<span style="color:#{r:02x}{g:02x}{b:02x}">■</span>&nbsp;{text}' for (r, g, b), text in keys
    )


def idle_text(simulating: bool, watching: str | None = None) -> str:
    """The banner with no bag on screen: what is running, and the keys that change it."""
    if simulating:
        return "Waiting for bags — the simulated scanner is running (Ctrl+M stops it)"
    if watching:
        return f"Waiting for bags — watching {watching} · Simulated scanner: Ctrl+M · Open: Ctrl+O"
    return "Waiting for bags — start the simulated scanner (Ctrl+M) or open scans (Ctrl+O)"


class Banner(QLabel):
    """What the model says about the bag on screen, before the operator decides."""

    def __init__(self) -> None:
        super().__init__(idle_text(False))
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setStyleSheet(IDLE_STYLE)

    def show_idle(self, simulating: bool, watching: str | None = None) -> None:
        """No bag on screen yet: say what is running and how to start or stop it."""
        self.setText(idle_text(simulating, watching))
        self.setStyleSheet(IDLE_STYLE)
        self.setToolTip("")

    def show_entry(self, entry: Entry) -> None:
        result = entry.result
        alarmed = [o for o in result.objects if result.object_alarms[o.index]]
        items = ", ".join(o.category for o in result.objects) or "no electronics found"
        if result.alarm:
            names = ", ".join(o.category for o in alarmed)
            text = f"ALARM — {len(alarmed)} of {len(result.objects)} items: {names}"
        else:
            text = f"NO ALARM — {items}"
        if entry.decision:
            text += f"   [operator: {entry.decision.upper()}]"
        self.setText(text)
        self.setStyleSheet(ALARM_STYLE if result.alarm else CLEAR_STYLE)
        self.setToolTip(f"{entry.source}\n{score_text(result)}")


def score_text(result: ScreeningResult) -> str:
    """The bag score against the item threshold, the detector that gave it, and any regions below
    the alarm."""
    relation = "≥" if result.alarm else "<"
    text = (
        f"bag score {result.bag_score:.4f} {relation} item threshold {result.object_threshold:.4f} "
        f"({result.mode} detector)"
    )
    below = int((result.region_states() == BELOW_ALARM).sum())
    if below:
        text += f"\n{below} region{'s' if below > 1 else ''} above the region threshold, below the alarm"
    return text


def queue_row(entry: Entry) -> str:
    """One line of the queue list: decision, model alarm, source, latency."""
    mark = {"clear": "✓ clear", "suspect": "⚑ suspect", None: "… waiting"}[entry.decision]
    alarm = "ALARM" if entry.result.alarm else "no alarm"
    seconds = f", {entry.seconds:.1f} s" if entry.seconds is not None else ""
    name = Path(entry.source).name if "/" in entry.source else entry.source
    return f"{mark} | {alarm} | {name} ({entry.latency_ms:.0f} ms{seconds})"


def breakable(text: str) -> str:
    """``text`` with invisible break points (zero-width spaces) after ``_ - . /``, so a long file
    name wraps in a narrow panel instead of being cut at its edge."""
    return re.sub(r"([_\-./\\])", "\\1\u200b", text)


def queue_tooltip(entry: Entry) -> str:
    """The whole story of a queue row: the full source, the row, the score."""
    return f"{entry.source}\n{queue_row(entry)}\n{score_text(entry.result)}"


class Toolbar(QToolBar):
    """Heatmap opacity and the enhancement in use."""

    opacity_changed = Signal(float)
    enhancement_picked = Signal(str)

    def __init__(self, opacity: float, enhancements: list[str]) -> None:
        super().__init__("View")
        self.setObjectName("view toolbar")
        self.addWidget(QLabel(" Heatmap opacity "))
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setFixedWidth(140)
        self.opacity.setValue(round(100 * opacity))
        self.opacity.valueChanged.connect(lambda v: self.opacity_changed.emit(v / 100.0))
        self.addWidget(self.opacity)
        self.addWidget(QLabel("  Enhancement "))
        self.enhancement = QComboBox()
        self.enhancement.addItem("0  as rendered", "")
        for number, name in enumerate(enhancements, start=1):
            self.enhancement.addItem(f"{number}  {name.replace('_', ' ')}", name)
        self.enhancement.activated.connect(
            lambda i: self.enhancement_picked.emit(self.enhancement.itemData(i))
        )
        self.addWidget(self.enhancement)
        self.addWidget(QLabel("  Contours "))
        self.legend = QLabel()
        self.addWidget(self.legend)

    def set_legend(self, palette: str) -> None:
        """Show the contour colours of ``palette`` and what they mean."""
        self.legend.setText(legend_html(palette))
        self.legend.setToolTip(contour_legend(palette))

    def set_opacity(self, opacity: float) -> None:
        self.opacity.blockSignals(True)
        self.opacity.setValue(round(100 * opacity))
        self.opacity.blockSignals(False)

    def set_enhancement(self, name: str) -> None:
        index = self.enhancement.findData(name)
        self.enhancement.blockSignals(True)
        self.enhancement.setCurrentIndex(max(index, 0))
        self.enhancement.blockSignals(False)
