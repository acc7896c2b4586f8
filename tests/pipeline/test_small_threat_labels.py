"""Small metal that can be seen is labelled: screws and wires make anomalous superpixels."""

from __future__ import annotations

import pytest

from screener_gui.core.pipeline.regions import ANOMALY, superpixel_targets
from screener_gui.core.pipeline.superpixels import segment_objects
from screener_gui.synth.scene import planted_scan

CASES = [
    (category, kind, shrink, seed)
    for category in ("laptop", "tablet", "phone", "power_bank")
    for kind in ("screws", "wires")
    for shrink in (0.0, 0.6, 1.0)
    for seed in (1, 2)
]


@pytest.fixture(scope="module")
def visible_small_metal():
    """(case, scan) for every planted screw or wire bundle with ΔE ≥ 5."""
    found = []
    for category, kind, shrink, seed in CASES:
        try:
            scan = planted_scan(seed, category, kind, shrink=shrink)
        except ValueError:  # the item's largest cavity is too small for the kind
            continue
        if scan.anomalies[0].visibility.delta_e >= 5:
            found.append(((category, kind, shrink, seed), scan))
    return found


def test_every_visible_screw_or_wire_yields_an_anomalous_superpixel(visible_small_metal):
    assert len(visible_small_metal) >= 12
    for case, scan in visible_small_metal:
        sp = segment_objects(scan.rgb, [scan.objects_mask == 1])
        truth = superpixel_targets(sp, scan.anomalies_mask)
        anomalous = truth.targets == ANOMALY
        assert anomalous.any(), f"{case}: {scan.anomalies[0].description} has no anomalous superpixel"
        # Each anomalous superpixel names the anomaly it holds.
        assert set(truth.anomaly_ids[anomalous].tolist()) == {1}
