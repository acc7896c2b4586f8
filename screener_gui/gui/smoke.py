"""``xray-screener --smoke``: start the workstation headless, screen one generated bag, exit 0.

The check a packaged build must pass (``packaging/README.md``): the Qt window comes up with the
models that travel with the application, one scan file goes through the same path an operator's
file does (sources → pipeline thread → viewer), and the result is printed as JSON with the
start-up and screening times. Exits 1 with the reason when anything fails or takes over
``--timeout`` seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    p = argparse.ArgumentParser(prog="xray-screener --smoke", description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds before giving up")
    args = p.parse_args(argv)
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])  # noqa: F841 - must exist
    from screener_gui.core.io import save_png_atomic
    from screener_gui.core.pipeline.screen import Screener, models_dir
    from screener_gui.gui.qt_main import MainWindow
    from screener_gui.gui.qt_worker import PipelineThread
    from screener_gui.synth.sources import SimulatedScanner

    outcome: dict = {"models": str(models_dir())}
    with tempfile.TemporaryDirectory(prefix="screener-smoke-") as tmp:
        tmp = Path(tmp)
        store = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
        pipeline = PipelineThread(lambda: Screener.load(device=args.device))
        window = MainWindow(pipeline, store, tmp / "decisions.jsonl", tmp / "annotations")
        window.show()
        outcome["window_s"] = round(time.perf_counter() - started, 2)
        scan = tmp / "smoke_bag.png"
        save_png_atomic(scan, SimulatedScanner(seed=5).next_scan().rgb)
        loop = QEventLoop()
        pipeline.screened.connect(lambda s: (outcome.update(_result(s)), loop.quit()))
        pipeline.failed.connect(lambda _id, _src, message: (outcome.update(error=message), loop.quit()))
        pipeline.load_failed.connect(lambda message: (outcome.update(error=message), loop.quit()))
        QTimer.singleShot(int(1000 * args.timeout), lambda: (outcome.update(error="timed out"), loop.quit()))
        window.sources.open_paths([str(scan)])
        loop.exec()
        window.close()
        pipeline.stop()
    outcome["total_s"] = round(time.perf_counter() - started, 2)
    print(json.dumps(outcome, indent=1))
    return 1 if "error" in outcome else 0


def _result(screened) -> dict:
    result = screened.result
    return {
        "screened": Path(screened.source).name,
        "items": len(result.objects),
        "alarm": result.alarm,
        "mode": result.mode,
        "pipeline_ms": round(result.timings["total"], 1),
    }


if __name__ == "__main__":
    sys.exit(main())
