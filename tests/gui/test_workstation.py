"""The workstation driven as a user would: real widgets, the shipped models, offscreen."""

from __future__ import annotations

import shutil
import threading
import time

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtTest import QTest

from screener_gui.core.decisions import read_decisions
from screener_gui.core.labels import labels_path, load_labels
from screener_gui.core.pipeline.detectors import Detection
from screener_gui.core.pipeline.overlay import ANOMALY_RGB, BELOW_ALARM_RGB, PALETTES
from screener_gui.core.pipeline.screen import CLASSIFIER_FILE, Screener, models_dir
from screener_gui.core.training.region_cache import RegionCache
from screener_gui.gui.app import detector_mode, parse_args
from screener_gui.gui.qt_main import MainWindow
from screener_gui.gui.qt_worker import PipelineThread
from screener_gui.gui.settings import load_preferences

WAIT_MS = 90_000  # one bag on a 2-core CPU takes ~2 s; leave room for a loaded machine


class RecordingScreener:
    """The shipped screener, noting the thread each scan is screened on."""

    def __init__(self, inner: Screener) -> None:
        self.inner, self.device, self.detector, self.threads = inner, inner.device, inner.detector, []

    def screen(self, scan):
        self.threads.append(threading.get_ident())
        return self.inner.screen(scan)


@pytest.fixture
def screener(shipped):
    return RecordingScreener(shipped)


@pytest.fixture
def window(qtbot, tmp_path, screener):
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    pipeline = PipelineThread(lambda: screener)
    win = MainWindow(pipeline, store, tmp_path / "decisions.jsonl", tmp_path / "annotations")
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
    assert not pipeline.worker_thread.isRunning()


def queue_rows(window) -> list[str]:
    """The queue panel's rows as the operator reads them (without the invisible break points)."""
    return [window.queue_list.item(i).text().replace("\u200b", "") for i in range(window.queue_list.count())]


def copy_scan(src, folder):
    folder.mkdir(parents=True, exist_ok=True)
    return shutil.copy(src, folder / src.name)


def test_an_opened_scan_appears_with_its_overlays_in_analyst_mode(qtbot, window, scan_files):
    window.set_mode("analyst")
    with qtbot.waitSignal(window.shown, timeout=WAIT_MS) as shown:
        window.sources.open_paths([scan_files["plate"]])
    assert shown.args == [str(scan_files["plate"])]
    entry = window.review.current
    heat = window.viewer.layers["heatmap"].image
    contours = window.viewer.layers["contours"].image
    assert heat.shape == (*entry.result.shape, 4) and (heat[..., 3] > 0).any()
    assert np.all(contours[contours[..., 3] > 0][:, :3] != 0, axis=1).all()
    assert (contours[..., :3] == ANOMALY_RGB).all(axis=-1).any(), "the plate's red contours are drawn"
    assert window.banner.text().startswith("ALARM")
    assert window.regions.table.rowCount() == entry.result.superpixels.count
    QTest.keyClick(window, Qt.Key.Key_K)  # colour-blind safe lines
    contours = window.viewer.layers["contours"].image
    anomaly, benign = PALETTES["orange_blue"]
    assert (contours[..., :3] == anomaly).all(axis=-1).any() and (contours[..., :3] == benign).all(
        axis=-1
    ).any()
    assert not (contours[..., :3] == ANOMALY_RGB).all(axis=-1).any()


def test_the_pipeline_runs_off_the_gui_thread(qtbot, window, screener, scan_files):
    with qtbot.waitSignal(window.shown, timeout=WAIT_MS):
        window.sources.open_paths([scan_files["clean"]])
    assert screener.threads and threading.get_ident() not in screener.threads


def test_clear_and_suspect_keys_write_the_decision_log(qtbot, window, scan_files, tmp_path):
    with qtbot.waitSignal(window.shown, timeout=WAIT_MS):
        window.sources.open_paths([scan_files["plate"], scan_files["clean"]])
    qtbot.waitUntil(lambda: len(window.review.entries) == 2, timeout=WAIT_MS)
    with qtbot.waitSignal(window.decided):
        QTest.keyClick(window, Qt.Key.Key_S)
    assert window.review.current.source == str(scan_files["clean"]), "the next bag is shown"
    with qtbot.waitSignal(window.decided):
        QTest.keyClick(window, Qt.Key.Key_C)
    log = read_decisions(tmp_path / "decisions.jsonl")
    assert [(d.source, d.decision, d.model_alarm) for d in log] == [
        (str(scan_files["plate"]), "suspect", True),
        (str(scan_files["clean"]), "clear", False),
    ]
    assert all(d.seconds_on_bag >= 0 for d in log)


def click_pixel(window, x: int, y: int) -> None:
    viewer = window.viewer
    scene_point = viewer.view.mapViewToScene(QPointF(x + 0.5, y + 0.5))
    point = viewer.mapFromScene(scene_point)
    QTest.mouseClick(viewer.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(point.x(), point.y()))


def test_flipping_a_superpixel_then_undo_and_redo_change_the_saved_labels(
    qtbot, window, scan_files, tmp_path
):
    scan = copy_scan(scan_files["clean"], tmp_path / "work")
    window.set_mode("annotator")
    with qtbot.waitSignal(window.shown, timeout=WAIT_MS):
        window.sources.open_paths([scan])
    sp = window.review.current.result.superpixels
    ys, xs = np.nonzero(sp.labels == 1)
    centre = np.argmin((ys - ys.mean()) ** 2 + (xs - xs.mean()) ** 2)
    y, x = int(ys[centre]), int(xs[centre])
    region = int(sp.labels[y, x])
    model = int(window.review.current.result.regions.labels[region - 1])

    def saved() -> int:
        QTest.keySequence(window, "Ctrl+S")
        return int(load_labels(scan).labels[region - 1])

    qtbot.wait(100)  # let the view settle before mapping a pixel to the screen
    with qtbot.waitSignal(window.labels_changed):
        click_pixel(window, x, y)
    assert saved() == 1 - model
    assert labels_path(scan).exists()
    with qtbot.waitSignal(window.labels_changed):
        QTest.keySequence(window, "Ctrl+Z")
    assert saved() == model
    with qtbot.waitSignal(window.labels_changed):
        QTest.keySequence(window, "Ctrl+Shift+Z")
    assert saved() == 1 - model

    with qtbot.waitSignal(window.exporter.finished, timeout=WAIT_MS) as exported:
        assert window.export_labels(tmp_path / "export")  # on a worker thread
    assert exported.args[0] is True, exported.args[1]
    cache = RegionCache.open(tmp_path / "export")
    assert len(cache) == sp.count and cache.targets[region - 1] == 1 - model

    with qtbot.waitSignal(window.shown, timeout=WAIT_MS):  # the same scan again: labels reload
        window.decide("clear")
        window.sources.open_paths([scan])
    assert window.review.current.source == str(scan) and window.review.index == 1
    table = window.regions.table
    rows = {
        table.item(r, 0).data(Qt.ItemDataRole.DisplayRole): table.item(r, 3).text()
        for r in range(table.rowCount())
    }
    assert rows[region] == ("anomaly" if model == 0 else "benign") + " (edited)"


def test_a_watched_folder_screens_each_new_file_once_even_one_written_slowly(
    qtbot, window, scan_files, tmp_path
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "old.png").write_bytes(scan_files["clean"].read_bytes())  # there before: not screened
    window.watch(str(inbox))
    screened = []
    window.pipeline.screened.connect(lambda s: screened.append(s.source))
    copy_scan(scan_files["plate"], inbox)
    data = scan_files["clean"].read_bytes()
    with open(inbox / "slow.png", "wb") as handle:
        for start in range(0, len(data), len(data) // 4 + 1):
            handle.write(data[start : start + len(data) // 4 + 1])
            handle.flush()
            qtbot.wait(300)
    qtbot.waitUntil(lambda: len(screened) == 2, timeout=WAIT_MS)
    qtbot.wait(2000)  # more polls: nothing is screened twice
    assert sorted(screened) == sorted([str(inbox / "laptop_plate.png"), str(inbox / "slow.png")])
    assert window.errors == []


def test_a_corrupt_file_shows_an_error_and_the_next_scan_is_screened(qtbot, window, scan_files, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10)
    with qtbot.waitSignal(window.shown, timeout=WAIT_MS) as shown:
        window.sources.open_paths([bad, scan_files["clean"]])
    assert shown.args == [str(scan_files["clean"])]
    assert len(window.errors) == 1 and "broken.png" in window.errors[0]
    assert any(row.startswith("✗ broken.png") for row in queue_rows(window))


def test_the_simulated_scanner_streams_bags(qtbot, window):
    with qtbot.waitSignal(window.shown, timeout=WAIT_MS) as shown:
        window.simulate(True)
    assert shown.args[0].startswith("simulated bag 0")
    window.simulate(False)


def test_the_belt_stops_while_too_many_bags_wait_for_the_operator(qtbot, window, monkeypatch):
    from screener_gui.gui import qt_sources

    monkeypatch.setattr(qt_sources, "MAX_WAITING", 0)  # as if eight bags were waiting
    submitted = []
    window.pipeline.pending_changed.connect(submitted.append)
    window.simulate(True)
    qtbot.wait(300)
    assert submitted == [] and window.pipeline.pending == 0
    window.simulate(False)


def test_closing_mid_scan_stops_the_pipeline_thread(qtbot, window, scan_files):
    window.sources.open_paths([scan_files["plate"], scan_files["clean"], scan_files["plate"]])
    qtbot.waitUntil(lambda: window.pipeline.pending == 3, timeout=5000)
    started = time.monotonic()
    window.close()
    assert not window.pipeline.worker_thread.isRunning()
    assert time.monotonic() - started < 30, "queued bags are dropped, not screened, on close"


def test_settings_are_kept_between_runs(qtbot, tmp_path, screener):
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    first = MainWindow(PipelineThread(lambda: screener), store, tmp_path / "d.jsonl", tmp_path / "a")
    qtbot.addWidget(first)
    first.set_mode("annotator")
    first.toolbar.opacity.setValue(70)
    first.toggle_layer("contours")
    first.set_palette("orange_blue")
    first.close()
    again = MainWindow(PipelineThread(lambda: screener), store, tmp_path / "d.jsonl", tmp_path / "a")
    qtbot.addWidget(again)
    assert again.prefs.mode == "annotator" and again.mode_actions["annotator"].isChecked()
    assert again.prefs.heat_opacity == pytest.approx(0.7)
    assert not again.viewer.layer_visible("contours")
    assert again.prefs.palette == "orange_blue" and again.pipeline.palette == "orange_blue"
    again.close()


def test_label_edits_are_saved_when_the_window_closes(qtbot, window, scan_files, tmp_path):
    scan = copy_scan(scan_files["clean"], tmp_path / "work")
    window.set_mode("annotator")
    with qtbot.waitSignal(window.shown, timeout=WAIT_MS):
        window.sources.open_paths([scan])
    result = window.review.current.result
    ys, xs = np.nonzero(result.superpixels.labels == 2)
    with qtbot.waitSignal(window.labels_changed):
        window.viewer.clicked.emit(int(xs[0]), int(ys[0]))
    assert not labels_path(scan).exists()  # nothing saved yet
    window.close()
    assert int(load_labels(scan).labels[1]) == 1 - int(result.regions.labels[1])


# ---- detector modes and the "below the alarm" state ---------------------------------------------


class FixedScoreDetector:
    """A detector with set scores: odd-numbered regions 0.9, even-numbered 0.1 (region threshold
    0.5), every item ``item_score`` (item threshold 0.55), so a test decides whether items alarm."""

    mode, strategy = "dense", "subcomponent"
    region_threshold, object_threshold = 0.5, 0.55
    device = torch.device("cpu")

    def __init__(self, item_score: float) -> None:
        self.item_score, self.metadata = item_score, {}

    def detect(self, rgb, masks, sp) -> Detection:
        scores = np.where(np.arange(sp.count) % 2 == 0, 0.9, 0.1).astype(np.float32)
        heat = np.full(rgb.shape[:2], np.nan, np.float32)
        for mask in masks:
            heat[mask] = 0.5
        items = np.full(len(masks), self.item_score, np.float32)
        return Detection(scores, sp.object_of[1:].astype(np.int32), items, heat, {})


@pytest.fixture(scope="module")
def dense():
    return Screener.load(device="cpu", mode="dense")


def new_window(qtbot, tmp_path, screener, **options) -> MainWindow:
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(PipelineThread(lambda: screener), store, tmp_path / "d.jsonl", tmp_path / "a", **options)
    qtbot.addWidget(win)
    win.show()
    return win


def colour_pixels(layer: np.ndarray, rgb) -> np.ndarray:
    return (layer[..., 3] > 0) & (layer[..., :3] == rgb).all(axis=-1)


def no_red_in_quiet_items(screened) -> bool:
    """No red contour pixel lies in an item that did not alarm."""
    red = colour_pixels(screened.layers.contours, ANOMALY_RGB)
    result = screened.result
    return not any(red[o.mask].any() for o in result.objects if not result.object_alarms[o.index])


def test_switching_the_detector_mode_in_the_menu_screens_the_next_scan_with_it_and_is_saved(
    qtbot, tmp_path, shipped, dense, scan_files
):
    screeners = {"dense": RecordingScreener(dense), "paper": RecordingScreener(shipped)}
    win = new_window(qtbot, tmp_path, screeners["dense"], load_screener=lambda mode: screeners[mode])
    assert win.detector_actions["dense"].isChecked() and win.prefs.detector_mode == "dense"
    qtbot.waitUntil(lambda: win.device_label.text() == "dense detector on cpu", timeout=WAIT_MS)
    with qtbot.waitSignal(win.pipeline.screened, timeout=WAIT_MS) as first:
        win.sources.open_paths([scan_files["clean"]])
    assert first.args[0].result.mode == "dense" and no_red_in_quiet_items(first.args[0])

    win.detector_actions["paper"].trigger()
    assert win.detector_actions["paper"].isChecked() and not win.detector_actions["dense"].isChecked()
    with qtbot.waitSignal(win.pipeline.screened, timeout=WAIT_MS) as second:
        win.sources.open_paths([scan_files["clean"]])
    assert second.args[0].result.mode == "paper" and no_red_in_quiet_items(second.args[0])
    assert screeners["paper"].threads and threading.get_ident() not in screeners["paper"].threads
    qtbot.waitUntil(lambda: win.device_label.text() == "paper detector on cpu", timeout=WAIT_MS)
    win.close()

    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert load_preferences(store).detector_mode == "paper"
    again = new_window(qtbot, tmp_path, screeners["paper"])
    assert again.detector_actions["paper"].isChecked()
    again.close()


def test_the_command_line_detector_mode_wins_over_the_saved_one():
    assert detector_mode(parse_args([]), "paper") == "paper"
    assert detector_mode(parse_args(["--detector-mode", "dense"]), "paper") == "dense"
    assert detector_mode(parse_args(["--detector", str(models_dir() / CLASSIFIER_FILE)]), "dense") == "paper"
    assert detector_mode(parse_args([]), "no such mode") == "dense"


def test_regions_above_threshold_in_an_item_that_did_not_alarm_are_yellow_and_explained(
    qtbot, tmp_path, shipped, scan_files
):
    win = new_window(qtbot, tmp_path, Screener(shipped.segmenter, FixedScoreDetector(0.3)))
    win.set_mode("analyst")
    with qtbot.waitSignal(win.shown, timeout=WAIT_MS):
        win.sources.open_paths([scan_files["clean"]])
    result = win.review.current.result
    assert not result.alarm and win.banner.text().startswith("NO ALARM")
    contours = win.viewer.layers["contours"].image
    assert not colour_pixels(contours, ANOMALY_RGB).any(), "no red in an item that did not alarm"
    assert colour_pixels(contours, BELOW_ALARM_RGB["red_green"]).any()

    table = win.regions.table
    rows = {
        table.item(r, 0).text(): (table.item(r, 3).text(), table.item(r, 4).text())
        for r in range(table.rowCount())
    }
    assert rows["1"] == (
        "below alarm",
        "above region threshold 0.9000 ≥ 0.5000, but item score 0.3000 < item threshold 0.5500: no alarm",
    )
    assert rows["2"] == ("benign", "below region threshold 0.1000 < 0.5000")
    assert "item score 0.3000 < item threshold 0.5500: no alarm" in win.regions.items.text()
    assert "Dense whole-item detector" in win.regions.items.text()
    assert "below the alarm" in win.toolbar.legend.text()
    assert "yellow = below the alarm" in win.layer_actions["contours"].statusTip()
    QTest.keyClick(win, Qt.Key.Key_K)  # colour-blind safe lines: purple instead of yellow
    assert "purple = below the alarm" in win.toolbar.legend.toolTip()
    contours = win.viewer.layers["contours"].image
    assert colour_pixels(contours, BELOW_ALARM_RGB["orange_blue"]).any()
    assert not colour_pixels(contours, PALETTES["orange_blue"][0]).any()
    win.close()


def test_an_annotators_relabelled_regions_show_their_labels(qtbot, tmp_path, shipped, scan_files):
    win = new_window(qtbot, tmp_path, Screener(shipped.segmenter, FixedScoreDetector(0.3)))
    win.set_mode("annotator")
    with qtbot.waitSignal(win.shown, timeout=WAIT_MS):
        win.sources.open_paths([copy_scan(scan_files["clean"], tmp_path / "work")])
    sp = win.review.current.result.superpixels
    assert not colour_pixels(win.viewer.layers["contours"].image, ANOMALY_RGB).any()
    for region in (1, 2):  # below the alarm → benign; benign → anomaly
        ys, xs = np.nonzero(sp.labels == region)
        with qtbot.waitSignal(win.labels_changed):
            win.viewer.clicked.emit(int(xs[0]), int(ys[0]))
    contours = win.viewer.layers["contours"].image
    red = colour_pixels(contours, ANOMALY_RGB)
    assert red.any() and (sp.labels[red] == 2).all(), "only the region labelled anomaly is red"
    assert not colour_pixels(contours, BELOW_ALARM_RGB["red_green"])[sp.labels == 1].any()
    table = win.regions.table
    rows = {table.item(r, 0).text(): table.item(r, 3).text() for r in range(table.rowCount())}
    assert (rows["1"], rows["2"], rows["3"]) == ("benign (edited)", "anomaly (edited)", "below alarm")
    win.close()
