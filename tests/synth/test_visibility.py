"""Visibility is measured, and subtlety means visibility."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from screener_gui.core.physics import default_scanner
from screener_gui.synth.canvas import Canvas, part
from screener_gui.synth.scene import SynthSettings, compose_scene, scan_rng
from screener_gui.synth.shapes import Box
from screener_gui.synth.visibility import (
    TARGET_HIGHEST,
    TARGET_LOWEST,
    Neighbourhood,
    subtlety_of,
    target_delta_e,
    window_around,
)

SETTINGS = SynthSettings(width_px=640, height_px=512, items_only=True, anomaly_rate=1.0)


@pytest.fixture(scope="module")
def anomalies():
    """Anomalies of 240 generated single-item scans (composed, not scanned: visibility is measured
    while composing)."""
    found = []
    for i in range(240):
        found.extend(compose_scene(scan_rng(2718, i), SETTINGS).anomalies)
    return found


def test_targets_run_log_uniformly_from_obvious_to_below_the_noise():
    assert target_delta_e(0.0) == pytest.approx(TARGET_HIGHEST)
    assert target_delta_e(1.0) == pytest.approx(TARGET_LOWEST)
    s = np.linspace(0, 1, 10001)
    targets = np.array([target_delta_e(v) for v in s])
    assert np.all(np.diff(targets) < 0)
    shares = {
        "below": np.mean(targets < 2),
        "subtle": np.mean((targets >= 2) & (targets < 5)),
        "medium": np.mean((targets >= 5) & (targets < 10)),
        "obvious": np.mean(targets >= 10),
    }
    assert 0.05 < shares["below"] < 0.15  # a small share nobody could see
    assert min(shares.values()) > 0.05
    assert subtlety_of(target_delta_e(0.42)) == pytest.approx(0.42, abs=1e-3)
    with pytest.raises(ValueError, match="subtlety"):
        target_delta_e(1.2)


def _plate_scene(thickness_mm: float, material: str = "steel"):
    """An aluminium box (the host, instance 1) with nothing, and a plate candidate over it."""
    canvas = Canvas(120, 160, 0.8)
    canvas.draw(part(Box(100, 70, 2.0), "aluminium", 64, 48), instance=1)
    plate = part(Box(40, 25, thickness_mm), material, 64, 48)
    around = Neighbourhood(canvas, 1, window_around([plate], canvas), default_scanner())
    return around, plate


def test_a_thick_steel_plate_is_obvious_and_a_foil_is_not():
    around, thick = _plate_scene(2.0)
    seen, mask = around.measure([thick], [], target=20.0)
    assert mask.sum() == pytest.approx(50 * 31, rel=0.1)
    assert seen.delta_e >= 10 and seen.d_att_high > 0.5 and seen.cnr_high > 50
    around, foil = _plate_scene(0.01)
    faint, _ = around.measure([foil], [], target=1.0)
    assert faint.delta_e < 2 and faint.cnr_high < seen.cnr_high / 20
    assert seen.clutter_contrast > faint.clutter_contrast


def test_replacing_a_part_by_itself_changes_nothing():
    around, plate = _plate_scene(1.0)
    # The plate is "removed" and put back: no anomaly at all.
    canvas = Canvas(120, 160, 0.8)
    canvas.draw(part(Box(100, 70, 2.0), "aluminium", 64, 48), instance=1)
    canvas.draw(plate)
    around = Neighbourhood(canvas, 1, window_around([plate], canvas), default_scanner())
    same, _ = around.measure([plate], [plate], target=1.0)
    assert same.delta_e < 0.05 and abs(same.d_att_high) < 1e-3


def test_an_anomaly_outside_its_host_cannot_be_measured():
    around, _ = _plate_scene(1.0)
    with pytest.raises(ValueError, match="host"):
        around.measure([part(Box(5, 5, 1.0), "steel", 4, 4)], [], target=5.0)


def test_every_anomaly_has_its_measured_visibility(anomalies):
    assert len(anomalies) >= 200
    for a in anomalies:
        v = a.visibility
        values = [v.delta_e, v.d_att_high, v.d_att_low, v.cnr_high, v.cnr_low, v.clutter_contrast]
        assert np.all(np.isfinite(values)) and v.pixels > 0
        assert v.target_delta_e == pytest.approx(target_delta_e(a.subtlety))
        assert a.concealment == "cavity" or a.concealment.startswith("replaced:")


def test_subtlety_ranks_the_measured_colour_difference(anomalies):
    subtlety = [a.subtlety for a in anomalies]
    delta_e = [a.visibility.delta_e for a in anomalies]
    rho = spearmanr(subtlety, delta_e).statistic
    assert rho <= -0.8  # more subtle, less visible
    bins = np.digitize(delta_e, [2, 5, 10])
    assert np.bincount(bins, minlength=4).min() >= 10  # every visibility bin is populated
