"""The shipped dense detector (the default mode) on controlled laptops: its heatmap and its
highest-scoring superpixel point at a hidden copper plate or knife; the knives alarm on their own
superpixels (the plates do not yet: strict expected failures, so a model that finds them has to
say so); the same laptops without them do not alarm.

The laptops come from ``planted_scan`` with seeds no training, validation or test dataset uses;
the plate and the knife are the generator's, which the detector never saw projected (its
training projects random shapes, :mod:`screener_gui.core.training.projection`).
"""

from __future__ import annotations

import numpy as np
import pytest

from screener_gui.core.pipeline.regions import superpixel_targets
from screener_gui.core.pipeline.screen import Screener
from screener_gui.core.scan import Scan
from screener_gui.synth.scene import planted_scan

SEEDS = (424242, 424243)  # no dataset uses them


@pytest.fixture(scope="module")
def screener():
    return Screener.load(device="cpu", mode="dense")


CASES = [(seed, kind) for seed in SEEDS for kind in ("metal_plate", "knife_blade")]
MISSED = {
    (424242, "metal_plate"): "the plate's superpixel scores 0.99, over the region threshold of 0.73 "
    "(drawn yellow: 'below the alarm'), but the item score, 0.64, stays under the item threshold of 0.72",
    (424243, "metal_plate"): "the plate's best superpixel scores 0.64, under the region threshold of "
    "0.73, and the item 0.47 (models/README.md)",
}


@pytest.mark.parametrize(("seed", "kind"), CASES)
def test_the_heatmap_and_the_top_superpixel_point_at_a_hidden_plate_or_knife(screener, seed, kind):
    planted = planted_scan(seed, "laptop", kind)
    result = screener.screen(Scan(rgb=planted.rgb))
    on_threat = superpixel_targets(result.superpixels, planted.anomalies_mask).fractions >= 0.5
    top = int(np.argmax(result.regions.scores))
    assert on_threat[top], "the highest-scoring superpixel is not on the threat"
    threat = planted.anomalies_mask > 0
    rest = (planted.objects_mask > 0) & ~threat
    assert np.nanmean(result.heatmap[threat]) > 5 * np.nanmean(result.heatmap[rest])


@pytest.mark.parametrize(
    ("seed", "kind"),
    [
        pytest.param(*case, marks=pytest.mark.xfail(strict=True, reason=MISSED[case]))
        if case in MISSED
        else case
        for case in CASES
    ],
)
def test_a_hidden_plate_or_knife_alarms_on_its_own_superpixels(screener, seed, kind):
    planted = planted_scan(seed, "laptop", kind)
    result = screener.screen(Scan(rgb=planted.rgb))
    assert result.alarm and result.object_alarms.tolist() == [True]
    on_threat = superpixel_targets(result.superpixels, planted.anomalies_mask).fractions >= 0.5
    red = result.region_states() == 1
    assert red[on_threat].any() and red[on_threat].mean() >= red[~on_threat].mean()


@pytest.mark.parametrize("seed", SEEDS)
def test_the_same_laptop_without_them_does_not_alarm(screener, seed):
    result = screener.screen(Scan(rgb=planted_scan(seed, "laptop", None).rgb))
    assert [o.category for o in result.objects] == ["laptop"]
    assert not result.alarm
    assert not (result.region_states() == 1).any()
