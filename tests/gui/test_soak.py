"""``screener soak``: bags stream through the workstation's pipeline thread; memory is reported."""

from __future__ import annotations

import threading

from screener_gui.gui.soak import SoakSettings, soak


def test_a_short_soak_reports_memory_at_each_mark_and_every_bag_screened():
    marks = []
    report = soak(
        SoakSettings(bags=6, pool=3, every=2, warmup=2, device="cpu"),
        report=lambda done, mb: marks.append((done, mb)),
    )
    assert [done for done, _ in marks] == [2, 4, 6] and all(mb > 100 for _, mb in marks)
    summary = report.summary()
    assert summary["bags"] == 6 and summary["failed"] == 0 and summary["pipeline_ms_median"] > 0
    assert summary["growth_after_warmup_pct"] is not None and summary["release_memory_ms_median"] >= 0


def test_a_cancelled_soak_stops_after_the_bag_in_hand():
    cancel = threading.Event()
    report = soak(
        SoakSettings(bags=50, pool=2, every=1, device="cpu"),
        progress=lambda done, total: cancel.set() if done == 2 else None,
        cancel=cancel,
    )
    assert 2 <= len(report.pipeline_ms) <= 4  # two already queued may finish
