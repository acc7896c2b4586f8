"""``screener-gui``: the screening workstation.

With no scans named it starts the built-in simulated scanner, so a newcomer sees the system work
with no data of their own. Decisions go to a JSON-lines log and bags labelled from the simulator
to an annotation folder, both under the user's application-data folder unless named. The detector
mode is ``--detector-mode``, else the ``--detector`` file's, else the one last chosen in the
Pipeline menu (which switches it while the workstation runs).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QApplication

from screener_gui.gui.settings import APPLICATION, ORGANIZATION

if TYPE_CHECKING:
    from screener_gui.core.pipeline.screen import Screener


def data_folder() -> Path:
    """The user's application-data folder for the workstation (created on use)."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(base or Path.home()) / ORGANIZATION


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="screener-gui", description=__doc__.splitlines()[0])
    p.add_argument("paths", nargs="*", help="scan files or folders to screen")
    p.add_argument("--watch", default=None, help="screen each new scan written into this folder")
    p.add_argument(
        "--simulate",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="stream generated bags (default: on when no scans or folder are named)",
    )
    p.add_argument(
        "--device", default=None, help="cpu, cuda ... (default: the saved choice, else CUDA when present)"
    )
    p.add_argument("--segmenter", default=None, help="segmenter weights (default: the shipped model)")
    p.add_argument(
        "--detector-mode",
        choices=("dense", "paper"),
        default=None,
        help="dense: the whole-item detector (default); paper: the DFL per-superpixel classifier",
    )
    p.add_argument("--detector", default=None, help="detector weights of either mode (default: shipped)")
    p.add_argument("--decision-log", default=None, help="decision log (JSON lines)")
    p.add_argument("--annotations", default=None, help="folder for labelled simulated bags")
    p.add_argument("--mode", choices=("operator", "analyst", "annotator"), default=None)
    return p.parse_args(argv)


def detector_file_mode(path: str | None) -> str | None:
    """The mode of the detector in weights file ``path``: "dense", "paper", or None (no file, or
    one that cannot be read: loading it reports why)."""
    if not path:
        return None
    from screener_gui.core.pipeline.detectors import KIND_MODES
    from screener_gui.core.weights import WeightsError, read_metadata

    try:
        kind = read_metadata(path).get("kind")
    except (OSError, WeightsError):
        return None
    return KIND_MODES.get(kind)


def detector_mode(args: argparse.Namespace, saved: str) -> str:
    """The detector mode to start with: ``--detector-mode``, else the ``--detector`` file's, else
    ``saved`` (the default mode when that is not a mode)."""
    from screener_gui.core.pipeline.screen import DEFAULT_MODE, MODE_FILES

    mode = args.detector_mode or detector_file_mode(args.detector) or saved
    return mode if mode in MODE_FILES else DEFAULT_MODE


def screener_loader(args: argparse.Namespace, device: str | None) -> Callable[[str], Screener]:
    """``mode`` → the screener of that detector mode on ``device``: the ``--detector`` file for
    the mode it was named for, the shipped detector for the other."""
    from screener_gui.core.pipeline.screen import Screener

    pinned = args.detector_mode or detector_file_mode(args.detector)

    def load(mode: str) -> Screener:
        own = args.detector if pinned in (None, mode) else None
        return Screener.load(args.segmenter, own, device, mode=mode)

    return load


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    # Imported after the QApplication exists: pyqtgraph and the models are heavy.
    from screener_gui.gui.qt_main import MainWindow
    from screener_gui.gui.qt_worker import PipelineThread
    from screener_gui.gui.settings import default_store, load_preferences

    store = default_store()
    prefs = load_preferences(store)
    device = args.device or (None if prefs.device == "auto" else prefs.device)
    load = screener_loader(args, device)
    mode = detector_mode(args, prefs.detector_mode)
    pipeline = PipelineThread(lambda: load(mode))
    folder = data_folder()
    decision_log = Path(args.decision_log) if args.decision_log else folder / "decisions.jsonl"
    window = MainWindow(
        pipeline,
        store,
        decision_log,
        Path(args.annotations) if args.annotations else folder / "annotations",
        load_screener=load,
    )
    window.note_detector_mode(mode)
    window.statusBar().showMessage(f"decisions are logged to {decision_log} (File ▸ Log files…)", 15000)
    if args.device:
        window.prefs.device = args.device
    if args.mode:
        window.set_mode(args.mode)
    window.show()
    if args.paths:
        window.sources.open_paths(args.paths)
    if args.watch:
        window.watch(args.watch)
    if args.simulate or (args.simulate is None and not args.paths and not args.watch):
        window.simulate(True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
