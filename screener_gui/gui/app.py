"""``screener-gui``: the screening workstation.

With no scans named it starts the built-in simulated scanner, so a newcomer sees the system work
with no data of their own. Decisions go to a JSON-lines log and bags labelled from the simulator
to an annotation folder, both under the user's application-data folder unless named.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QApplication

from screener_gui.gui.settings import APPLICATION, ORGANIZATION


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
    p.add_argument("--classifier", default=None, help="classifier weights (default: the shipped model)")
    p.add_argument("--decision-log", default=None, help="decision log (JSON lines)")
    p.add_argument("--annotations", default=None, help="folder for labelled simulated bags")
    p.add_argument("--mode", choices=("operator", "analyst", "annotator"), default=None)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    # Imported after the QApplication exists: pyqtgraph and the models are heavy.
    from screener_gui.core.pipeline.screen import Screener
    from screener_gui.gui.qt_main import MainWindow
    from screener_gui.gui.qt_worker import PipelineThread
    from screener_gui.gui.settings import default_store, load_preferences

    store = default_store()
    saved_device = load_preferences(store).device
    device = args.device or (None if saved_device == "auto" else saved_device)
    pipeline = PipelineThread(lambda: Screener.load(args.segmenter, args.classifier, device))
    folder = data_folder()
    decision_log = Path(args.decision_log) if args.decision_log else folder / "decisions.jsonl"
    window = MainWindow(
        pipeline,
        store,
        decision_log,
        Path(args.annotations) if args.annotations else folder / "annotations",
    )
    window.statusBar().showMessage(f"decisions are logged to {decision_log}", 15000)
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
