"""The analyst's panel: each item's score against the item threshold, a table of regions or
objects with their scores and why each got its state, and a score histogram with the decision
threshold.

The thresholds are the calibrated ones stored with the detector's weights; the heatmap's colours
are normalised per scan for display and say nothing about them. A region above the region
threshold in an item that did not alarm is listed as "below alarm", with the two comparisons
that put it there.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from screener_gui.core.pipeline.screen import BELOW_ALARM, ScreeningResult
from screener_gui.gui.qt_menus import DETECTOR_MODES

BINS = np.linspace(0.0, 1.0, 21)
LEVELS = ("subcomponent", "object")
STATE_TEXT = {1: "anomaly", BELOW_ALARM: "below alarm", 0: "benign"}


def region_reason(result: ScreeningResult, index: int) -> str:
    """Why region ``index`` (0-based) has its state: its score against the region threshold and,
    above it, its item's score against the item threshold."""
    score, threshold = float(result.regions.scores[index]), result.regions.threshold
    if score < threshold:
        return f"below region threshold {score:.4f} < {threshold:.4f}"
    item = int(result.regions.object_of[index])
    item_score = float(result.object_scores[item])
    if result.object_alarms[item]:
        return (
            f"above region threshold {score:.4f} ≥ {threshold:.4f}, and item score {item_score:.4f} "
            f"≥ item threshold {result.object_threshold:.4f}: alarm"
        )
    return (
        f"above region threshold {score:.4f} ≥ {threshold:.4f}, but item score {item_score:.4f} "
        f"< item threshold {result.object_threshold:.4f}: no alarm"
    )


def item_decision(result: ScreeningResult, index: int) -> str:
    """Item ``index``'s score against the item threshold, and its decision."""
    score, threshold = float(result.object_scores[index]), result.object_threshold
    if result.object_alarms[index]:
        return f"item score {score:.4f} ≥ item threshold {threshold:.4f}: alarm"
    return f"item score {score:.4f} < item threshold {threshold:.4f}: no alarm"


def items_text(result: ScreeningResult | None) -> str:
    """The detector that scored the scan, its thresholds, and each item's score and decision."""
    if result is None:
        return ""
    lines = [
        f"{DETECTOR_MODES.get(result.mode, result.mode)}: item threshold {result.object_threshold:.4f}, "
        f"region threshold {result.regions.threshold:.4f}"
    ]
    lines += [f"item {o.index + 1} {o.category}: {item_decision(result, o.index)}" for o in result.objects]
    return "\n".join(lines)


class RegionPanel(QWidget):
    """Signals: ``selected(level, index)``: the analyst picked row ``index`` (0-based region or
    object index) of ``level`` ("subcomponent" or "object")."""

    selected = Signal(str, int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.level = "subcomponent"
        self._result: ScreeningResult | None = None
        self._labels: np.ndarray | None = None
        self._filling = False

        self.subcomponents = QRadioButton("Sub-components")
        self.objects = QRadioButton("Objects")
        self.subcomponents.setChecked(True)
        group = QButtonGroup(self)
        for button in (self.subcomponents, self.objects):
            group.addButton(button)
        self.subcomponents.toggled.connect(lambda on: self.set_level("subcomponent" if on else "object"))

        self.items = QLabel()
        self.items.setWordWrap(True)
        self.items.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.table = QTableWidget(0, 5)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().setVisible(False)
        self.table.itemSelectionChanged.connect(self._row_picked)

        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumHeight(150)
        self.plot.setLabel("bottom", "anomaly score")
        self.plot.setLabel("left", "count")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.bars = pg.BarGraphItem(
            x0=BINS[:-1], x1=BINS[1:], height=np.zeros(len(BINS) - 1), brush=(90, 120, 200)
        )
        self.plot.addItem(self.bars)
        self.threshold_line = pg.InfiniteLine(angle=90, pen=pg.mkPen((220, 30, 30), width=2))
        self.plot.addItem(self.threshold_line)
        self.caption = QLabel()
        self.caption.setWordWrap(True)

        levels = QHBoxLayout()
        levels.addWidget(self.subcomponents)
        levels.addWidget(self.objects)
        layout = QVBoxLayout(self)
        layout.addWidget(self.items)
        layout.addLayout(levels)
        layout.addWidget(self.table, 3)
        layout.addWidget(self.plot, 2)
        layout.addWidget(self.caption)

    def show_result(self, result: ScreeningResult | None, labels: np.ndarray | None = None) -> None:
        """Fill the panel from ``result``; ``labels`` overrides the sub-component labels (an
        annotator's corrections)."""
        self._result, self._labels = result, labels
        self._fill()

    def set_level(self, level: str) -> None:
        if level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}")
        self.level = level
        (self.subcomponents if level == "subcomponent" else self.objects).setChecked(True)
        self._fill()

    def select(self, index: int) -> None:
        """Select the row of region (or object) ``index``, without announcing it."""
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == index:
                self._filling = True
                self.table.selectRow(row)
                self.table.scrollToItem(self.table.item(row, 0))
                self._filling = False
                return

    def _fill(self) -> None:
        self._filling = True
        self.table.setSortingEnabled(False)
        self.table.clearContents()
        rows, scores, threshold = self._rows()
        headers = (
            ["region", "object", "score", "label", "why"]
            if self.level == "subcomponent"
            else ["object", "category", "item score", "alarm", "why"]
        )
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(rows))
        for r, (index, values) in enumerate(rows):
            for c, value in enumerate(values):
                item = QTableWidgetItem()
                item.setData(Qt.ItemDataRole.DisplayRole, value)
                item.setData(Qt.ItemDataRole.UserRole, index)
                item.setToolTip(values[-1])  # the reason, in full
                self.table.setItem(r, c, item)
        self.table.setSortingEnabled(True)
        self.table.sortItems(2, Qt.SortOrder.DescendingOrder)
        self.table.resizeColumnsToContents()
        counts, _ = np.histogram(scores, BINS)
        self.bars.setOpts(height=counts)
        self.plot.setRange(xRange=(0, 1), yRange=(0, max(1, int(counts.max(initial=0)))), padding=0.05)
        self.threshold_line.setValue(threshold)
        self.items.setText(items_text(self._result))
        kind = "region" if self.level == "subcomponent" else "item"
        self.caption.setText(
            f"{len(rows)} {'regions' if self.level == 'subcomponent' else 'objects'}; {kind} threshold "
            f"{threshold:.4f} (red line). Heatmap colours are scaled per scan for display only."
            if self._result is not None
            else "No scan."
        )
        self._filling = False

    def _rows(self) -> tuple[list[tuple[int, list]], np.ndarray, float]:
        result = self._result
        if result is None:
            return [], np.zeros(0), 0.5
        if self.level == "object":
            rows = [
                (
                    o.index,
                    [
                        o.index + 1,
                        o.category,
                        round(float(result.object_scores[o.index]), 4),
                        "alarm" if result.object_alarms[o.index] else "clear",
                        item_decision(result, o.index),
                    ],
                )
                for o in result.objects
            ]
            return rows, np.asarray(result.object_scores), result.object_threshold
        regions = result.regions
        labels = regions.labels if self._labels is None else self._labels
        states = result.region_states()
        rows = [
            (
                i,
                [
                    i + 1,
                    int(regions.object_of[i]) + 1,
                    round(float(regions.scores[i]), 4),
                    _label_text(int(labels[i]), int(regions.labels[i]), int(states[i])),
                    region_reason(result, i),
                ],
            )
            for i in range(len(regions.scores))
        ]
        return rows, np.asarray(regions.scores), regions.threshold

    def _row_picked(self) -> None:
        if self._filling:
            return
        items = self.table.selectedItems()
        if items:
            self.selected.emit(self.level, int(items[0].data(Qt.ItemDataRole.UserRole)))


def _label_text(label: int, model_label: int, state: int) -> str:
    """The label column: the region's state, or the annotator's label where it differs from the
    model's."""
    if label != model_label:
        return ("anomaly" if label else "benign") + " (edited)"
    return STATE_TEXT[state]
