"""The workstation's main window: viewer in the middle, queue on the left, regions on the right.

The window only wires things together: scans come from :class:`~screener_gui.gui.qt_sources.Sources`,
are screened on :class:`~screener_gui.gui.qt_worker.PipelineThread`, queue up in a
:class:`~screener_gui.core.review.ReviewQueue` and are drawn by the viewer. Modes change what
the panels show and what a click does; every key works in every mode. The detector mode (dense
or the paper's) is switched from the Pipeline menu; given a way to load screeners, the window
swaps the pipeline's models at once. Problems of any kind go to
:class:`~screener_gui.gui.qt_problems.Problems` (error rows, the error log); the workstation
keeps running through all of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QVBoxLayout,
    QWidget,
)

from screener_gui.core.decisions import Decision, DecisionLog, utc_timestamp
from screener_gui.core.enhance import ENHANCEMENTS
from screener_gui.core.pipeline.layers import display_layers, region_contours
from screener_gui.core.pipeline.overlay import PALETTES, contour_layer
from screener_gui.core.pipeline.screen import BELOW_ALARM, Screener
from screener_gui.core.review import Entry, ReviewQueue
from screener_gui.gui.error_log import error_log_path, plain_reason
from screener_gui.gui.qt_annotations import Annotations
from screener_gui.gui.qt_annotator import AnnotatorActions
from screener_gui.gui.qt_controls import Banner, Toolbar, breakable, contour_legend, queue_row, queue_tooltip
from screener_gui.gui.qt_export import Exporter
from screener_gui.gui.qt_menus import DETECTOR_MODES, MODES, install_menus
from screener_gui.gui.qt_problems import Problems
from screener_gui.gui.qt_recovery import RecoveryBox
from screener_gui.gui.qt_regions import RegionPanel
from screener_gui.gui.qt_sources import Sources
from screener_gui.gui.qt_viewer import ScanViewer
from screener_gui.gui.qt_worker import PipelineThread, Screened
from screener_gui.gui.settings import load_preferences, save_preferences


class MainWindow(AnnotatorActions, QMainWindow):
    """Signals: ``shown(source)`` once a bag and its overlays are on screen; ``decided(Decision)``
    after a decision is logged; ``labels_changed()`` after an annotator's edit, undo or redo.

    ``load_screener(mode)`` loads the screener of a detector mode; with it, choosing a mode in the
    Pipeline menu swaps the pipeline's models before the next scan, without it the choice is
    saved for the next start.
    """

    shown = Signal(str)
    decided = Signal(object)
    labels_changed = Signal()

    def __init__(
        self,
        pipeline: PipelineThread,
        store: QSettings,
        decision_log: Path,
        annotation_folder: Path,
        load_screener: Callable[[str], Screener] | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("xray-screener")
        self.pipeline = pipeline
        self.load_screener = load_screener
        self.store = store
        self.prefs = load_preferences(store)
        if self.prefs.detector_mode not in DETECTOR_MODES:
            self.prefs.detector_mode = "dense"
        self.review = ReviewQueue()
        self.log = DecisionLog(decision_log)
        self.annotations = Annotations(Path(self.prefs.annotation_folder or annotation_folder))
        self.sources = Sources(pipeline, waiting=lambda: self.review.waiting, parent=self)
        self.exporter = Exporter(self)
        self.enhancement = ""  # "" = the scan as rendered
        self.unlogged: list[Decision] = []  # decisions the log could not take yet (a full disk)
        self.recovery_box: RecoveryBox | None = None

        self.viewer = ScanViewer()
        self.banner = Banner()
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.banner)
        column.addWidget(self.viewer, 1)
        self.setCentralWidget(central)

        self.queue_list = QListWidget()
        # Long file names and error messages wrap instead of being cut at the panel's edge.
        self.queue_list.setWordWrap(True)
        self.queue_list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.queue_list.setResizeMode(QListView.ResizeMode.Adjust)
        self.queue_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.queue_list.currentRowChanged.connect(self._queue_row_picked)
        self.queue_dock = self._dock("Queue", self.queue_list, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.regions = RegionPanel()
        self.regions.selected.connect(self._region_picked)
        self.regions_dock = self._dock("Regions", self.regions, Qt.DockWidgetArea.RightDockWidgetArea)

        self.toolbar = Toolbar(self.prefs.heat_opacity, list(ENHANCEMENTS))
        self.addToolBar(self.toolbar)
        self.toolbar.opacity_changed.connect(self._set_opacity)
        self.toolbar.enhancement_picked.connect(self.set_enhancement)
        self.device_label, self.latency_label, self.waiting_label = (
            QLabel("loading models…"),
            QLabel(),
            QLabel(),
        )
        self.clock_label = QLabel()
        for label in (self.clock_label, self.device_label, self.latency_label, self.waiting_label):
            self.statusBar().addPermanentWidget(label)
        self.problems = Problems(self, self.log.path, error_log_path(self.log.path))
        self.problems.changed.connect(self._refresh_queue)
        self.clock = QTimer(self)  # time on the bag, as the operator sees it tick
        self.clock.timeout.connect(self._tick)
        self.clock.start(500)

        install_menus(self)
        self.pipeline.screened.connect(self._screened)
        self.pipeline.failed.connect(self._failed)
        self.pipeline.ready.connect(self._pipeline_ready)
        self.pipeline.load_failed.connect(self._pipeline_not_loaded)
        self.pipeline.pending_changed.connect(lambda _n: self._update_status())
        self.sources.problem.connect(self.problems.report)
        self.sources.notice.connect(lambda message: self.statusBar().showMessage(message, 15000))
        self.sources.changed.connect(self._update_status)
        self.sources.changed.connect(self._refresh_queue)
        self.exporter.finished.connect(self._export_finished)
        self.viewer.hovered.connect(self._hovered)
        self.viewer.clicked.connect(self._clicked)
        for name, on in (
            ("heatmap", self.prefs.show_heatmap),
            ("contours", self.prefs.show_contours),
            ("outlines", self.prefs.show_outlines),
        ):
            self.set_layer_visible(name, on)
        self._set_opacity(self.prefs.heat_opacity)
        self.set_palette(self.prefs.palette if self.prefs.palette in PALETTES else "red_green")
        self.set_mode(self.prefs.mode if self.prefs.mode in MODES else "operator")
        self.resize(1400, 900)
        self.resizeDocks([self.queue_dock, self.regions_dock], [260, 360], Qt.Orientation.Horizontal)

    # ---- actions and keys -------------------------------------------------------------------
    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    # ---- modes and layers -------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.prefs.mode = mode
        self.mode_actions[mode].setChecked(True)
        self.regions_dock.setVisible(mode != "operator")
        self._draw_labels()
        self._update_status()

    def toggle_layer(self, name: str) -> None:
        self.set_layer_visible(name, not self.viewer.layer_visible(name))

    def set_layer_visible(self, name: str, on: bool) -> None:
        self.viewer.set_layer_visible(name, on)
        self.layer_actions[name].setChecked(on)
        setattr(self.prefs, f"show_{name}", on)

    def set_palette(self, palette: str | None) -> None:
        """Line colours: "red_green" (the paper's) or "orange_blue"; None toggles."""
        if palette is None:
            palette = "red_green" if self.prefs.palette == "orange_blue" else "orange_blue"
        if palette not in PALETTES:
            raise ValueError(f"palette must be one of {list(PALETTES)}")
        self.prefs.palette = self.pipeline.palette = palette
        self.palette_action.setChecked(palette == "orange_blue")
        self.toolbar.set_legend(palette)
        for action in (self.layer_actions["contours"], self.palette_action):
            action.setToolTip(contour_legend(palette))
            action.setStatusTip(contour_legend(palette))
        if self.review.current is not None:
            self._show_current(reset_view=False)

    def _set_opacity(self, opacity: float) -> None:
        self.prefs.heat_opacity = opacity
        self.viewer.set_layer_opacity("heatmap", opacity)
        self.toolbar.set_opacity(opacity)

    def set_enhancement(self, name: str) -> None:
        """Show the scan through enhancement ``name`` (a key of ENHANCEMENTS; "" = as rendered)."""
        self.enhancement = name if name in ENHANCEMENTS else ""
        self.toolbar.set_enhancement(self.enhancement)
        entry = self.review.current
        if entry is not None:
            self.viewer.set_image(self._picture(entry))

    def _picture(self, entry: Entry) -> np.ndarray:
        return ENHANCEMENTS[self.enhancement](entry.scan) if self.enhancement else entry.scan.rgb

    # ---- bags arriving and shown ------------------------------------------------------------
    def _screened(self, screened: Screened) -> None:
        source = screened.scan.source or screened.source
        entry = Entry(source, screened.scan, screened.result, screened.layers, screened.latency_ms)
        shown = self.review.add(entry, time.monotonic())
        self.annotations.forget_missing(self.review.entries)
        self.latency_label.setText(f"last bag {screened.latency_ms:.0f} ms")
        self._refresh_queue()
        if shown:
            self._show_current()
        self.sources.feed()
        self._update_status()

    def _failed(self, _job_id: int, source: str, message: str) -> None:
        self.problems.report(source, f"not screened: {message}")
        self.sources.feed()

    @property
    def errors(self) -> list[str]:
        """ "source: message" of the latest problems (all of them are in the error log)."""
        return self.problems.messages

    def _show_current(self, *, reset_view: bool = True) -> None:
        entry = self.review.current
        if entry is None:
            return
        if entry.layers.palette != self.prefs.palette:  # made before the colours were changed
            entry.layers = display_layers(entry.result, palette=self.prefs.palette)
        self.viewer.show_scan(self._picture(entry), reset_view=reset_view)
        self.viewer.set_layer("heatmap", entry.layers.heatmap)
        self.viewer.set_layer("outlines", entry.layers.outlines)
        self._draw_labels()
        self.banner.show_entry(entry)
        self._select_queue_row()
        self._tick()
        self.shown.emit(entry.source)

    def _draw_labels(self) -> None:
        """Contours and the regions table, with the annotator's labels in annotator mode."""
        entry = self.review.current
        if entry is None:
            return
        session = self.annotations.session(entry) if self.prefs.mode == "annotator" else None
        if session is None:
            self.viewer.set_layer("contours", entry.layers.contours)
            self.regions.show_result(entry.result)
            return
        self._tell_about_labels(entry)
        labels, superpixels = session.labels, session.superpixels
        if np.array_equal(superpixels, entry.result.superpixels.labels):
            # Regions the annotator has not relabelled keep the model's colours (below the alarm
            # included); relabelled ones show their label.
            result = entry.result
            states = np.where(labels == result.regions.labels, result.region_states(), labels)
            layer = region_contours(result, states, palette=self.prefs.palette)
            self.regions.show_result(result, labels)
        else:  # labels reloaded from an earlier run: their own superpixels
            layer = contour_layer(superpixels, labels, palette=self.prefs.palette)
            self.regions.show_result(entry.result)
        self.viewer.set_layer("contours", layer)

    def _refresh_queue(self) -> None:
        self.queue_list.blockSignals(True)
        self.queue_list.clear()
        rows = [(queue_row(entry), queue_tooltip(entry)) for entry in self.review.entries]
        paused = self.sources.pause_reason
        if paused:  # below the bags: rows past them select nothing
            rows.append((f"⚠ {paused}", "New scans are taken again as soon as you decide on a bag"))
        rows.extend(self.problems.rows)
        for text, tip in rows:
            item = QListWidgetItem(breakable(text))
            item.setToolTip(tip)
            self.queue_list.addItem(item)
        self.queue_list.blockSignals(False)
        self._select_queue_row()

    def _select_queue_row(self) -> None:
        self.queue_list.blockSignals(True)
        self.queue_list.setCurrentRow(self.review.index)
        self.queue_list.blockSignals(False)

    def _queue_row_picked(self, row: int) -> None:
        if 0 <= row < len(self.review.entries) and row != self.review.index:
            self.step(row - self.review.index)

    def _tick(self) -> None:
        entry = self.review.current
        if entry is None or entry.shown_at is None:
            self.clock_label.setText("")
        elif entry.decision is None:
            self.clock_label.setText(f"on this bag {time.monotonic() - entry.shown_at:.0f} s")
        else:
            self.clock_label.setText(f"{entry.decision} after {entry.seconds:.1f} s")

    def _update_status(self) -> None:
        text = f"{self.review.waiting} waiting, {self.pipeline.pending} screening"
        paused = self.sources.pause_reason
        if self.unlogged:
            text += f" · {len(self.unlogged)} decision(s) NOT logged yet"
        if paused:
            text += f" · {paused}"
        self.waiting_label.setText(text)
        self.waiting_label.setStyleSheet("color:#b00000;font-weight:bold;" if paused or self.unlogged else "")
        if self.review.current is None:
            self.banner.show_idle(self.sources.simulating, self._watching())

    def _watching(self) -> str | None:
        watcher = self.sources.watcher
        if watcher is None:
            return None
        problem = self.sources.watch_problem
        return f"{watcher.folder}" + (" (the folder is missing!)" if problem else "")

    # ---- operator ---------------------------------------------------------------------------
    def decide(self, decision: str) -> None:
        """Clear or flag the bag on screen, log it, and go on to the next waiting bag."""
        if self.review.current is None or self.review.current.decision is not None:
            return
        self._save_unsaved_labels()
        before = self.review.index
        entry = self.review.decide(decision, time.monotonic())
        record = Decision(
            time=utc_timestamp(),
            source=entry.source,
            decision=decision,
            model_alarm=bool(entry.result.alarm),
            bag_score=float(entry.result.bag_score),
            seconds_on_bag=round(float(entry.seconds or 0.0), 3),
            objects=len(entry.result.objects),
        )
        self.unlogged.append(record)
        self._write_unlogged()
        self._refresh_queue()
        if self.review.index != before:
            self._show_current()
        else:  # nothing waiting: the decided bag stays, its banner says what was decided
            self.banner.show_entry(entry)
        self.sources.feed()
        self._update_status()
        self.decided.emit(record)

    def _write_unlogged(self) -> None:
        """Log the decisions not yet logged, oldest first; those the log cannot take (a full
        disk) stay in memory and are written with the next decision or on closing."""
        while self.unlogged:
            try:
                self.log.append(self.unlogged[0])
            except (OSError, ValueError) as exc:
                count = len(self.unlogged)
                self.problems.report(
                    str(self.log.path),
                    f"{count} decision{'s' if count > 1 else ''} NOT logged yet: {plain_reason(exc)}. "
                    "They are kept and written with the next decision",
                )
                return
            self.unlogged.pop(0)

    def step(self, offset: int) -> None:
        self._save_unsaved_labels()
        if self.review.step(offset, time.monotonic()):
            self._show_current()
            self._update_status()

    # ---- analyst ----------------------------------------------------------------------------
    def _region_picked(self, level: str, index: int) -> None:
        entry = self.review.current
        if entry is None:
            return
        if level == "object":
            self.viewer.highlight(entry.result.objects[index].mask)
        elif entry.result.superpixels is not None:
            self.viewer.highlight(entry.result.superpixels.labels == index + 1)

    def _hovered(self, x: int, y: int) -> None:
        entry = self.review.current
        if entry is None or x < 0:
            self.statusBar().clearMessage()
            return
        r, g, b = (int(v) for v in entry.scan.rgb[y, x])
        text = f"x {x}  y {y}  RGB {r} {g} {b}"
        if entry.scan.is_dual_energy:
            text += f"  T_high {entry.scan.high[y, x]:.3f}  T_low {entry.scan.low[y, x]:.3f}"
        sp = entry.result.superpixels
        if sp is not None and sp.labels[y, x] > 0:
            region = int(sp.labels[y, x])
            text += f"  region {region} score {entry.result.regions.scores[region - 1]:.4f}"
            if entry.result.region_states()[region - 1] == BELOW_ALARM:
                text += " (above the region threshold, its item did not alarm)"
        self.statusBar().showMessage(text)

    def _clicked(self, x: int, y: int) -> None:
        entry = self.review.current
        if entry is None:
            return
        if self.prefs.mode == "annotator":
            session = self.annotations.session(entry)
            if session is not None and session.region_at(y, x) > 0:
                session.flip(session.region_at(y, x))
                self._labels_edited(session)
            return
        sp = entry.result.superpixels
        if sp is not None and sp.labels[y, x] > 0:
            index = int(sp.labels[y, x]) - 1
            self.regions.set_level("subcomponent")
            self.regions.select(index)
            self._region_picked("subcomponent", index)

    # ---- sources ----------------------------------------------------------------------------
    def open_files_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Open scans", self.prefs.last_open_folder)
        if files:
            self.prefs.last_open_folder = str(Path(files[0]).parent)
            self.sources.open_paths(files)

    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of scans", self.prefs.last_open_folder)
        if folder:
            self.prefs.last_open_folder = folder
            self.sources.open_paths([folder])

    def watch_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Watch a folder", self.prefs.watch_folder)
        if folder:
            self.watch(folder)

    def watch(self, folder: str | None) -> None:
        self.prefs.watch_folder = folder or ""
        self.sources.watch(folder)
        self.statusBar().showMessage(f"watching {folder}" if folder else "stopped watching", 8000)

    def toggle_simulator(self) -> None:
        self.simulate(not self.sources.simulating)

    def simulate(self, on: bool) -> None:
        self.sources.simulate(on, belt_seconds=self.prefs.belt_seconds)
        self.simulate_action.setChecked(on)
        self._update_status()

    def cancel_queued(self) -> None:
        """Drop the scans still waiting for the pipeline, and those held back (the one running
        finishes)."""
        self.pipeline.cancel_pending()
        held = self.sources.drop_held()
        self.statusBar().showMessage(f"queued scans cancelled ({held} held back dropped too)", 5000)

    def set_device(self, device: str) -> None:
        self.prefs.device = device
        self.statusBar().showMessage(f"the pipeline will run on {device} from the next start", 8000)

    def set_detector_mode(self, mode: str) -> None:
        """Screen with detector ``mode`` ("dense" or "paper"): from the next scan when the window
        can load screeners, else from the next start. The choice is saved either way."""
        if mode not in DETECTOR_MODES:
            raise ValueError(f"detector mode must be one of {list(DETECTOR_MODES)}")
        changed = mode != self.prefs.detector_mode
        self.note_detector_mode(mode)
        name = DETECTOR_MODES[mode]
        if self.load_screener is None:
            self.statusBar().showMessage(f"detector: {name}, from the next start", 8000)
        elif changed:
            load = self.load_screener
            self.pipeline.set_screener(lambda: load(mode))
            self.device_label.setText(f"loading the {mode} detector…")
            self.statusBar().showMessage(f"detector: {name}, from the next scan", 8000)

    def note_detector_mode(self, mode: str) -> None:
        """Record ``mode`` as the chosen detector and tick it in the menu, loading nothing (the
        pipeline already has it, e.g. started with it)."""
        self.prefs.detector_mode = mode
        self.detector_actions[mode].setChecked(True)

    def _pipeline_ready(self, device: str, mode: str) -> None:
        self.device_label.setText(f"{mode} detector on {device}")
        self.device_label.setToolTip("")

    def _pipeline_not_loaded(self, message: str) -> None:
        self.device_label.setText("models not loaded")
        self.device_label.setToolTip(message)
        self.problems.report("models", f"{message}. Pick another detector in Pipeline ▸ Detector")

    # ---- closing ----------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        self.sources.simulate(False)
        self.sources.watch(None)
        self.exporter.stop()
        self._write_unlogged()
        self._save_unsaved_labels()
        save_preferences(self.store, self.prefs)
        self.pipeline.stop()
        super().closeEvent(event)
