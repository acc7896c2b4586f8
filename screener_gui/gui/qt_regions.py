"""The analyst's panel: a table of regions or objects with their scores, and a score histogram
with the decision threshold.

The histogram's threshold is the calibrated decision threshold stored with the weights; the
heatmap's colours are normalised per scan for display and say nothing about it.
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

from screener_gui.core.pipeline.screen import ScreeningResult

BINS = np.linspace(0.0, 1.0, 21)
LEVELS = ("subcomponent", "object")


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

        self.table = QTableWidget(0, 4)
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
            ["region", "object", "score", "label"]
            if self.level == "subcomponent"
            else ["object", "category", "score", "alarm"]
        )
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(rows))
        for r, (index, values) in enumerate(rows):
            for c, value in enumerate(values):
                item = QTableWidgetItem()
                item.setData(Qt.ItemDataRole.DisplayRole, value)
                item.setData(Qt.ItemDataRole.UserRole, index)
                self.table.setItem(r, c, item)
        self.table.setSortingEnabled(True)
        self.table.sortItems(2, Qt.SortOrder.DescendingOrder)
        self.table.resizeColumnsToContents()
        counts, _ = np.histogram(scores, BINS)
        self.bars.setOpts(height=counts)
        self.plot.setRange(xRange=(0, 1), yRange=(0, max(1, int(counts.max(initial=0)))), padding=0.05)
        self.threshold_line.setValue(threshold)
        self.caption.setText(
            f"{len(rows)} {'regions' if self.level == 'subcomponent' else 'objects'}; decision threshold "
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
                    ],
                )
                for o in result.objects
            ]
            return rows, np.asarray(result.object_scores), result.object_threshold
        regions = result.regions
        labels = regions.labels if self._labels is None else self._labels
        rows = [
            (
                i,
                [
                    i + 1,
                    int(regions.object_of[i]) + 1,
                    round(float(regions.scores[i]), 4),
                    ("anomaly" if labels[i] else "benign")
                    + (" (edited)" if labels[i] != regions.labels[i] else ""),
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
