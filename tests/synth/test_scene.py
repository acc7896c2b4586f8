"""Generated scans: ground truth consistent with the pixels, anomalies physical, seeds reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from screener_gui.core.physics import default_scanner
from screener_gui.synth.scene import SynthSettings, compose_scene, generate_scan, scan_rng


@pytest.fixture(scope="module")
def scans():
    settings = SynthSettings(anomaly_rate=1.0)
    return [generate_scan(7, i, settings) for i in range(6)]


def test_same_seed_gives_identical_scans():
    settings = SynthSettings()
    a, b = generate_scan(3, 1, settings), generate_scan(3, 1, settings)
    for name in ("raw_high", "raw_low", "rgb", "objects_mask", "anomalies_mask"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.objects == b.objects and a.anomalies == b.anomalies
    c = generate_scan(3, 2, settings)
    assert not np.array_equal(a.raw_high, c.raw_high)


def test_scans_have_the_expected_form(scans):
    for scan in scans:
        h, w = scan.rgb.shape[:2]
        assert (h, w) == (800, 1000) and scan.rgb.dtype == np.uint8
        assert scan.raw_high.dtype == np.uint16 and scan.raw_high.shape == (h, w)
        # The belt around the bag is air: raw values near the air level.
        assert abs(np.median(scan.raw_high[:5]) - 60000) < 600


def test_anomaly_masks_sit_inside_their_item(scans):
    n_anomalies = 0
    for scan in scans:
        for a in scan.anomalies:
            mask = scan.anomalies_mask == a.index
            n_anomalies += 1
            assert mask.sum() > 0, a
            assert np.all(scan.objects_mask[mask] == a.object_index), a
        hosts = {a.object_index for a in scan.anomalies}
        assert hosts == {o.index for o in scan.objects if o.has_anomaly}
    assert n_anomalies >= 3


def test_anomalies_change_the_attenuation_where_they_are():
    scanner = default_scanner()
    settings = SynthSettings(anomaly_rate=1.0, items_only=True)
    checked = 0
    for index in range(6):
        scene = compose_scene(scan_rng(11, index), settings)
        if not scene.anomalies:
            continue
        with_high, _ = scanner.transmission(scene.paths(with_anomalies=True))
        without_high, _ = scanner.transmission(scene.paths(with_anomalies=False))
        gain = -np.log(with_high) + np.log(without_high)
        for a in scene.anomalies:
            inside = scene.canvas.anomalies == a.index
            assert abs(np.median(gain[inside])) > 0.005, a  # a replaced component may absorb more
        hidden = np.zeros(with_high.shape, bool)
        for path in scene.hidden.paths.values():
            hidden |= path != 0  # replaced components are negative there
        # Nowhere else does anything change (up to float32 summation order).
        np.testing.assert_allclose(with_high[~hidden], without_high[~hidden], rtol=1e-5)
        checked += 1
    assert checked >= 3


def test_clean_setting_hides_nothing_and_items_only_has_no_bag():
    clean = [generate_scan(5, i, SynthSettings(anomaly_rate=0.0)) for i in range(3)]
    assert all(not s.anomalies and not s.anomalies_mask.any() for s in clean)
    alone = generate_scan(5, 0, SynthSettings(items_only=True))
    assert len(alone.objects) == 1 and alone.bag_kind == "belt"
    # Nothing but the item: pixels outside its footprint (and its blur) are air.
    outside = alone.objects_mask == 0
    assert np.median(alone.raw_high[outside]) > 59000
