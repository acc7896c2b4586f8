"""How the workstation feels while it screens: ``make gui-bench`` prints JSON.

* **arrival to overlay**: from a scan file landing in the watched folder (the moment it is fully
  written) to the window showing that bag with its overlays, milliseconds; it includes the
  watcher's wait for the file to stop changing (two polls 500 ms apart) and, separately
  reported, the pipeline's time from queueing the file to its result;
* **GUI stall**: the longest gap between ticks of a 10 ms timer on the GUI thread while the
  pipeline runs, i.e. the longest time the window could not react to a key or the mouse.

Runs offscreen with the shipped models, throwaway settings, generated bags and the operator
clearing each bag as it appears.

    python -m screener_gui.gui.bench [--bags 6] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

TICK_MS = 10


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="time the workstation: arrival to overlay, GUI stalls")
    p.add_argument("--bags", type=int, default=6)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--device", default="cpu")
    args = p.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])  # noqa: F841 - must exist
    from screener_gui.core.io import save_png_atomic
    from screener_gui.core.pipeline.screen import Screener
    from screener_gui.gui.qt_main import MainWindow
    from screener_gui.gui.qt_worker import PipelineThread
    from screener_gui.synth.sources import SimulatedScanner

    screener = Screener.load(device=args.device)
    scanner = SimulatedScanner(args.seed)
    scans = [scanner.next_scan() for _ in range(args.bags)]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inbox = tmp / "inbox"
        inbox.mkdir()
        store = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(PipelineThread(lambda: screener), store, tmp / "d.jsonl", tmp / "a")
        window.resize(1500, 940)
        window.show()
        window.watch(str(inbox))
        shown_at: dict[str, float] = {}
        window.shown.connect(lambda source: shown_at.setdefault(source, time.perf_counter()))
        pipeline_ms: list[float] = []
        window.pipeline.screened.connect(lambda s: pipeline_ms.append(s.latency_ms))
        window.shown.connect(lambda _source: QTimer.singleShot(0, lambda: window.decide("clear")))
        gaps, last = [], [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            gaps.append(1000.0 * (now - last[0]) - TICK_MS)
            last[0] = now

        ticker = QTimer()
        ticker.timeout.connect(tick)
        ticker.start(TICK_MS)
        landed: dict[str, float] = {}
        for i, scan in enumerate(scans):
            path = inbox / f"bag_{i:03d}.png"
            save_png_atomic(path, scan.rgb)  # written whole, then renamed in: "arrives" now
            landed[str(path)] = time.perf_counter()
            loop = QEventLoop()
            window.shown.connect(loop.quit)
            QTimer.singleShot(120_000, loop.quit)
            loop.exec()
            window.shown.disconnect(loop.quit)
        ticker.stop()
        window.close()
    latencies = [1000.0 * (shown_at[s] - landed[s]) for s in landed if s in shown_at]
    report = {
        "bags": len(latencies),
        "device": args.device,
        "watch_poll_ms": 500,
        "arrival_to_overlay_ms": {
            "median": round(statistics.median(latencies), 1),
            "max": round(max(latencies), 1),
        },
        "queued_to_result_ms_median": round(statistics.median(pipeline_ms), 1),
        "gui_stall_ms": {
            "longest": round(max(gaps), 1),
            "p99": round(sorted(gaps)[int(0.99 * (len(gaps) - 1))], 1),
            "ticks": len(gaps),
        },
    }
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
