"""Concealment as it is done: components replaced, visibility on target, nothing capped silently."""

from __future__ import annotations

import numpy as np
import pytest

from screener_gui.core.physics import default_scanner
from screener_gui.synth.anomalies import FILLED_CELLS
from screener_gui.synth.canvas import Canvas, pose
from screener_gui.synth.conceal import MAX_DRAWS, Tally, conceal
from screener_gui.synth.items import build_item
from screener_gui.synth.scene import SynthSettings, compose_scene, planted_scan, scan_rng
from screener_gui.synth.visibility import TOLERANCE


def _first_planted(category: str, kind: str, slot: str, seeds=range(40)):
    for seed in seeds:
        try:
            return planted_scan(seed, category, kind, shrink=0.0, slot=slot)
        except ValueError:
            continue
    raise AssertionError(f"no {category} of seeds {seeds} has a {slot} for {kind}")


@pytest.mark.parametrize(
    ("category", "slot"),
    [
        ("laptop", "battery_cells"),
        ("power_bank", "battery_cells"),
        ("camera", "battery_cells"),
        ("phone", "battery_cells"),
        ("tablet", "battery_cells"),
    ],
)
def test_battery_cells_are_emptied_and_refilled_in_many_item_classes(category: str, slot: str):
    scan = _first_planted(category, FILLED_CELLS, slot)
    (anomaly,) = scan.anomalies
    assert anomaly.kind == FILLED_CELLS and anomaly.concealment == f"replaced:{slot}"
    assert "refilled" in anomaly.description
    assert scan.anomalies_mask.any()
    # The refill changes the scan: cells of explosive or powder do not look like cells.
    assert anomaly.visibility.delta_e > 2 and abs(anomaly.visibility.d_att_high) > 0.02


@pytest.mark.parametrize(
    ("category", "slot"),
    [("laptop", "optical_bay"), ("laptop", "drive_internals"), ("hard_drive", "drive_platters")],
)
def test_a_bay_or_a_drive_emptied_holds_a_thick_organic(category: str, slot: str):
    scan = _first_planted(category, "organic_slab", slot)
    (anomaly,) = scan.anomalies
    assert anomaly.concealment == f"replaced:{slot}"
    thickness = float(anomaly.description.split("x")[-1].split()[0])  # "... 120x80x9.5 mm in film"
    assert thickness > 3.0


def test_an_obvious_organic_in_a_laptop_is_clearly_visible():
    """An 18650 pack refilled with explosive: the classic laptop device, ~18 mm of organic."""
    seen = []
    for seed in range(40):
        try:
            scan = planted_scan(seed, "laptop", FILLED_CELLS, shrink=0.0, slot="battery_cells")
        except ValueError:
            continue
        anomaly = scan.anomalies[0]
        if anomaly.description.endswith("100% with plastic_explosive"):
            seen.append(anomaly.visibility.delta_e)
        if len(seen) == 3:
            break
    assert len(seen) == 3
    assert min(seen) >= 10


def test_hidden_anomalies_reach_their_target_or_are_counted():
    settings = SynthSettings(anomaly_rate=1.0)
    placed = dropped = 0
    on_target = 0
    for index in range(12):
        scene = compose_scene(scan_rng(404, index), settings)
        dropped += scene.tally.dropped
        for a in scene.anomalies:
            placed += 1
            v = a.visibility
            on_target += v.target_delta_e / TOLERANCE <= v.delta_e <= v.target_delta_e * TOLERANCE
        assert len(scene.anomalies) + scene.tally.dropped == len(scene.objects)
    assert on_target == placed > 0
    assert dropped <= placed / 4


def test_an_item_with_no_room_is_left_clean_and_counted():
    item = build_item("phone", np.random.default_rng(3))
    sealed = type(item)(item.category, item.outline, item.parts, (), ())  # no cavity, no slot
    canvas = Canvas(300, 300, 0.8)
    transform = pose(120, 120)
    canvas.draw(sealed.outline.moved(transform), instance=1)
    canvas.draw_all(sealed.intact_parts(), transform)
    tally = Tally()
    assert (
        conceal(sealed, transform, canvas, 1, 0.2, np.random.default_rng(0), default_scanner(), tally) is None
    )
    assert tally == Tally(redraws=MAX_DRAWS - 1, dropped=1)
