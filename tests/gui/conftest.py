"""Fixtures of the workstation tests: the shipped models and two planted-laptop scan files."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from screener_gui.core.io import save_png_atomic
from screener_gui.core.pipeline.screen import Screener
from screener_gui.synth.scene import planted_scan

SEED = 424242  # the planted-laptop seed of tests/pipeline/test_screen.py (no dataset uses it)

# One QApplication for the whole session, made before any test runs: a test that needs only a
# QCoreApplication (e.g. the soak run) then reuses it, and the widget tests after it still work.
_APP = QApplication.instance() or QApplication([])


@pytest.fixture(scope="session")
def shipped():
    """The shipped paper-mode classifier: calibrated, so these tests can say which bags alarm (the
    shipped dense detector is preliminary; the detector-mode tests drive it)."""
    return Screener.load(device="cpu", mode="paper")


@pytest.fixture(scope="session")
def scan_files(tmp_path_factory):
    """A laptop hiding a metal plate, and the same laptop clean, as PNG files."""
    folder = tmp_path_factory.mktemp("scans")
    paths = {}
    for name, kind in (("plate", "metal_plate"), ("clean", None)):
        paths[name] = folder / f"laptop_{name}.png"
        save_png_atomic(paths[name], planted_scan(SEED, "laptop", kind).rgb)
    return paths


class CannedScreener:
    """Gives every scan the result the shipped models gave the clean laptop, at once; a scan whose
    source names "boom" makes it raise an error no job expects (a bug in the pipeline)."""

    def __init__(self, inner, result) -> None:
        self.device, self.detector, self.result = inner.device, inner.detector, result

    def screen(self, scan):
        if "boom" in (scan.source or ""):
            raise ZeroDivisionError("division by zero")
        return self.result


@pytest.fixture(scope="session")
def canned(shipped, scan_files):
    from screener_gui.core.io import load_scan

    return CannedScreener(shipped, shipped.screen(load_scan(scan_files["clean"])))


@pytest.fixture
def lane_window(qtbot, tmp_path, canned):
    """A shown workstation screening with the canned screener; logs in ``tmp_path / "logs"``."""
    from PySide6.QtCore import QSettings

    from screener_gui.gui.qt_main import MainWindow
    from screener_gui.gui.qt_worker import PipelineThread

    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    pipeline = PipelineThread(lambda: canned)
    win = MainWindow(pipeline, store, tmp_path / "logs" / "decisions.jsonl", tmp_path / "annotations")
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
    assert not pipeline.worker_thread.isRunning()


@pytest.fixture
def queue_rows():
    """``queue_rows(window)``: the queue panel's rows as the operator reads them (without the
    invisible break points that let long names wrap)."""

    def read(window) -> list[str]:
        items = (window.queue_list.item(i) for i in range(window.queue_list.count()))
        return [item.text().replace("\u200b", "") for item in items]

    return read
