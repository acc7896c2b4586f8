"""Render the workstation with real results into PNGs (for the README): ``make screenshots``.

Runs offscreen with the shipped models in the default (dense) mode, throwaway settings and logs.
The scans are generated: a laptop hiding a knife shown to the analyst, the same laptop hiding a
large metal plate to the annotator, and a bag from the simulated scanner to the operator.

    python -m screener_gui.gui.screenshots [--out docs/images]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

PLATE_SEED = 424242  # the planted-laptop seed of the tests (no dataset uses it)
BAG_SEED, BAG_INDEX = 7, 2  # a simulated bag holding a laptop and a hard drive


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="render the workstation into PNGs")
    p.add_argument("--out", default="docs/images")
    args = p.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])  # noqa: F841 - must exist
    from screener_gui.core.pipeline.regions import superpixel_targets
    from screener_gui.core.pipeline.screen import Screener
    from screener_gui.core.scan import Scan
    from screener_gui.gui.qt_main import MainWindow
    from screener_gui.gui.qt_worker import PipelineThread
    from screener_gui.synth.scene import planted_scan
    from screener_gui.synth.sources import SimulatedScanner

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    screener = Screener.load(device="cpu")
    planted = planted_scan(PLATE_SEED, "laptop", "metal_plate")
    plate = Scan(rgb=planted.rgb, source="laptop with a hidden plate")
    knife = Scan(
        rgb=planted_scan(PLATE_SEED, "laptop", "knife_blade").rgb, source="laptop with a hidden knife"
    )
    scanner = SimulatedScanner(BAG_SEED)
    scanner.index = BAG_INDEX
    bag = scanner.next_scan()
    shots = (
        ("operator", bag, "workstation_operator.png"),
        ("analyst", knife, "workstation_analyst.png"),
        ("annotator", plate, "workstation_annotator.png"),
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(PipelineThread(lambda: screener), store, Path(tmp) / "d.jsonl", Path(tmp) / "a")
        window.resize(1500, 940)
        window.show()
        for mode, scan, name in shots:
            window.set_mode(mode)
            loop = QEventLoop()
            window.shown.connect(loop.quit)
            window.pipeline.submit(scan.source, lambda s=scan: s)
            loop.exec()
            window.shown.disconnect(loop.quit)
            if mode != "operator":  # analysts and annotators zoom in on the item
                x0, y0, x1, y1 = window.review.current.result.objects[0].box
                window.viewer.view.setRange(xRange=(x0 - 20, x1 + 20), yRange=(y0 - 20, y1 + 20))
            if mode == "analyst":  # the analyst has picked the highest-scoring region
                window.regions.table.selectRow(0)
            if mode == "annotator":  # and has marked a region the plate reaches into as anomalous
                entry = window.review.current
                covered = superpixel_targets(entry.result.superpixels, planted.anomalies_mask).fractions
                covered = np.where(entry.result.regions.labels, 0.0, covered)  # benign ones only
                if covered.max() > 0:
                    region = int(np.argmax(covered))
                    ys, xs = (entry.result.superpixels.labels == region + 1).nonzero()
                    window.viewer.clicked.emit(int(xs[len(xs) // 2]), int(ys[len(ys) // 2]))
                    window.regions.select(region)
            settle = QEventLoop()
            QTimer.singleShot(300, settle.quit)
            settle.exec()
            window.grab().save(str(out / name))
            print(f"wrote {out / name}")
            window.decide("clear")
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
