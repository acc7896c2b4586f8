"""The workstation keeps running through failures: a pipeline bug on one bag, models that will
not load, a full disk while saving labels or decisions, a crash that left unsaved label edits,
and a long export (on a worker thread, cancellable). A canned screener makes each bag instant."""

from __future__ import annotations

import errno
import os
import shutil
import threading

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton

from screener_gui.core.annotation import AnnotationSession, journal_path
from screener_gui.core.decisions import DecisionLog, read_decisions
from screener_gui.core.labels import (
    file_sha256,
    labels_from_result,
    labels_path,
    load_labels,
    save_labels,
)
from screener_gui.core.training.label_export import export_training_set
from screener_gui.gui import qt_export
from screener_gui.gui.qt_main import MainWindow
from screener_gui.gui.qt_worker import PipelineThread

WAIT_MS = 30_000


def full_disk(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def window(lane_window):
    return lane_window


def copy_to(src, folder, name: str | None = None):
    folder.mkdir(parents=True, exist_ok=True)
    return shutil.copy(src, folder / (name or src.name))


def region_rows(window) -> dict[int, str]:
    table = window.regions.table
    return {int(table.item(r, 0).text()): table.item(r, 3).text() for r in range(table.rowCount())}


def test_a_pipeline_error_on_one_bag_is_shown_and_the_next_bag_is_screened(
    qtbot, window, queue_rows, scan_files, tmp_path
):
    boom = copy_to(scan_files["clean"], tmp_path / "in", "boom.png")
    good = copy_to(scan_files["clean"], tmp_path / "in", "good.png")
    with qtbot.waitSignal(window.shown, timeout=WAIT_MS) as shown:
        window.sources.open_paths([boom, good])
    assert shown.args == [str(good)]
    qtbot.waitUntil(lambda: window.pipeline.pending == 0, timeout=WAIT_MS)
    assert (
        "✗ boom.png: not screened: the pipeline failed on this scan (ZeroDivisionError: division by zero)"
        in queue_rows(window)
    )
    assert "0 screening" in window.waiting_label.text(), "the failed bag is not counted as screening"


class CorruptWeights(Exception):
    """Like safetensors' own error: neither an OSError nor a ValueError."""


def test_models_that_cannot_load_are_reported_and_another_detector_can_be_picked(
    qtbot, tmp_path, canned, queue_rows, scan_files
):
    def load(mode: str):
        if mode == "paper":
            raise CorruptWeights("the weights file is not safetensors (header too large)")
        return canned

    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    pipeline = PipelineThread(lambda: load("paper"))
    win = MainWindow(pipeline, store, tmp_path / "d.jsonl", tmp_path / "a", load_screener=load)
    qtbot.addWidget(win)
    win.note_detector_mode("paper")
    win.show()
    qtbot.waitUntil(lambda: win.device_label.text() == "models not loaded", timeout=WAIT_MS)
    assert any(
        row.startswith("✗ models: models could not be loaded: the weights file is not safetensors")
        and "Pick another detector" in row
        for row in queue_rows(win)
    )
    win.detector_actions["dense"].trigger()
    with qtbot.waitSignal(win.shown, timeout=WAIT_MS) as shown:
        win.sources.open_paths([scan_files["clean"]])
    assert shown.args == [str(scan_files["clean"])]
    win.close()
    assert not pipeline.worker_thread.isRunning()


def test_a_full_disk_keeps_the_annotators_edits_and_says_so(
    qtbot, window, queue_rows, scan_files, tmp_path, monkeypatch
):
    scan = copy_to(scan_files["clean"], tmp_path / "work")
    window.set_mode("annotator")
    with qtbot.waitSignal(window.shown, timeout=WAIT_MS):
        window.sources.open_paths([scan])
    sp = window.review.current.result.superpixels.labels
    model = int(window.review.current.result.regions.labels[1])
    ys, xs = np.nonzero(sp == 2)
    with qtbot.waitSignal(window.labels_changed):
        window.viewer.clicked.emit(int(xs[0]), int(ys[0]))
    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", full_disk)  # every durable write now fails as on a full disk
        QTest.keySequence(window, "Ctrl+S")
    assert not labels_path(scan).exists()
    assert any(
        "labels NOT saved: the disk is full (No space left on device). The edits are kept" in row
        for row in queue_rows(window)
    )
    assert region_rows(window)[2].endswith("(edited)"), "the edit is still on screen"
    assert journal_path(scan).exists(), "and in the recovery copy"
    QTest.keySequence(window, "Ctrl+S")  # the disk has room again
    assert int(load_labels(scan).labels[1]) == 1 - model
    assert not journal_path(scan).exists()


def test_a_decision_the_full_disk_refused_is_kept_and_logged_later(
    qtbot, window, queue_rows, scan_files, tmp_path, monkeypatch
):
    bags = [copy_to(scan_files["clean"], tmp_path / "in", f"bag_{i}.png") for i in range(2)]
    window.sources.open_paths(bags)
    qtbot.waitUntil(lambda: len(window.review.entries) == 2, timeout=WAIT_MS)
    with monkeypatch.context() as patch:
        patch.setattr(DecisionLog, "append", full_disk)
        window.decide("suspect")
    assert "1 decision(s) NOT logged yet" in window.waiting_label.text()
    assert any("1 decision NOT logged yet: the disk is full" in row for row in queue_rows(window))
    window.decide("clear")
    log = read_decisions(tmp_path / "logs" / "decisions.jsonl")
    assert [(d.source, d.decision) for d in log] == [(str(bags[0]), "suspect"), (str(bags[1]), "clear")]
    assert "NOT logged" not in window.waiting_label.text()


def crashed_with_unsaved_edits(scan, result, region: int) -> None:
    """What a crash can leave: labels saved once, later edits only in the recovery journal, and a
    label file that can no longer be used (cut short, as by a copy that was interrupted)."""
    labels = labels_from_result(result, scan.name, file_sha256(scan))
    save_labels(scan, labels)
    session = AnnotationSession(labels, journal=journal_path(scan))
    session.flip(region)
    text = labels_path(scan).read_text()
    labels_path(scan).write_text(text[: len(text) // 2])


def test_unsaved_edits_are_offered_back_when_the_saved_labels_cannot_be_used(
    qtbot, window, queue_rows, canned, scan_files, tmp_path
):
    scan = copy_to(scan_files["clean"], tmp_path / "work")
    model = int(canned.result.regions.labels[2])
    crashed_with_unsaved_edits(scan, canned.result, 3)
    window.set_mode("annotator")
    with qtbot.waitSignal(window.shown, timeout=WAIT_MS):
        window.sources.open_paths([scan])
    assert any(
        row.startswith(f"✗ {scan.name}: its saved labels could not be used") for row in queue_rows(window)
    )
    box = window.recovery_box
    assert box is not None and box.isVisible()
    assert f"{scan.name} has label edits that were never saved" in box.text()
    assert "1 regions labelled differently from the model" in box.text()
    with qtbot.waitSignal(window.labels_changed):
        box.restore_button.click()
    assert region_rows(window)[3].endswith("(edited)")
    assert window.save_labels() == labels_path(scan)  # File ▸ Save labels
    assert int(load_labels(scan).labels[2]) == 1 - model
    assert not journal_path(scan).exists(), "saved: the recovery copy is gone"


def test_unsaved_edits_can_be_discarded(qtbot, window, canned, scan_files, tmp_path):
    scan = copy_to(scan_files["clean"], tmp_path / "work")
    crashed_with_unsaved_edits(scan, canned.result, 3)
    window.set_mode("annotator")
    with qtbot.waitSignal(window.shown, timeout=WAIT_MS):
        window.sources.open_paths([scan])
    window.recovery_box.discard_button.click()
    assert window.recovery_box is None and not journal_path(scan).exists()
    assert not any(text.endswith("(edited)") for text in region_rows(window).values())


def test_the_export_runs_on_a_worker_thread_and_can_be_cancelled(
    qtbot, window, queue_rows, scan_files, tmp_path, monkeypatch
):
    release = threading.Event()  # holds the export after its first scan until the user has cancelled

    def held_export(scans, out_dir, *, progress, cancel):
        def gated(done: int, total: int) -> None:
            release.wait(WAIT_MS / 1000)
            progress(done, total)

        return export_training_set(scans, out_dir, progress=gated, cancel=cancel)

    monkeypatch.setattr(qt_export, "export_training_set", held_export)
    scan = copy_to(scan_files["clean"], tmp_path / "work")
    window.set_mode("annotator")
    with qtbot.waitSignal(window.shown, timeout=WAIT_MS):
        window.sources.open_paths([scan])
    assert window.save_labels() is not None
    with qtbot.waitSignal(window.exporter.finished, timeout=WAIT_MS) as finished:
        assert window.export_labels(tmp_path / "export")
        assert window.exporter.running and window.exporter.dialog.isVisible()  # the GUI is free
        window.exporter.dialog.findChild(QPushButton).click()  # the progress dialog's Cancel
        release.set()
    ok, message = finished.args
    assert not ok and message.startswith("export cancelled")
    assert not (tmp_path / "export" / "meta.json").exists(), "never taken for a complete training set"
    assert any(row.startswith("✗ export: export cancelled") for row in queue_rows(window))
    assert not window.exporter.running
