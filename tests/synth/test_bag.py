"""Bags and their clutter: they fit the scan, hold their contents and read like luggage."""

from __future__ import annotations

import numpy as np
import pytest

from screener_gui.core.physics import MATERIALS, default_scanner
from screener_gui.synth.bag import BAG_KINDS, Bag, build_bag
from screener_gui.synth.canvas import Canvas, Part, pose
from screener_gui.synth.clutter import CLUTTER_KINDS, build_clutter, build_clutter_item, clutter_count

ROWS, COLS, PIXEL_MM = 800, 1000, 0.8
SCAN_W_MM, SCAN_H_MM = COLS * PIXEL_MM, ROWS * PIXEL_MM
SEEDS = range(20)
BORDER_PX = 12  # about 10 mm of belt that must stay bare


def _draw(parts: tuple[Part, ...] | list[Part]) -> Canvas:
    canvas = Canvas(ROWS, COLS, PIXEL_MM)
    for p in parts:
        canvas.draw(p)
    return canvas


def _total_path(canvas: Canvas) -> np.ndarray:
    return sum(canvas.paths.values())


def _interior_corners(interior: tuple[float, float, float, float, float]) -> np.ndarray:
    x, y, w, h, angle = interior
    local = np.array([[-w / 2, w / 2, w / 2, -w / 2], [-h / 2, -h / 2, h / 2, h / 2], [1, 1, 1, 1]])
    return (pose(x, y, angle) @ local)[:2].T


def _overflow_mm(parts: tuple[Part, ...], interior: tuple[float, float, float, float, float]) -> float:
    """How far (mm) the parts' bounding boxes reach beyond the interior rectangle at most."""
    x, y, w, h, angle = interior
    to_interior = np.linalg.inv(pose(x, y, angle))
    worst = -np.inf
    for p in parts:
        hw, hh = p.shape.half_extent()
        corners = to_interior @ p.transform @ np.array([[-hw, hw, hw, -hw], [-hh, -hh, hh, hh], [1, 1, 1, 1]])
        worst = max(worst, np.abs(corners[0]).max() - w / 2, np.abs(corners[1]).max() - h / 2)
    return float(worst)


def _signature(parts: tuple[Part, ...]) -> list[tuple[object, str, list[list[float]]]]:
    return [(p.shape, p.material, p.transform.tolist()) for p in parts]


@pytest.mark.parametrize("kind", BAG_KINDS)
def test_bag_lies_inside_the_scan_with_bare_belt_around_and_holds_its_interior(kind: str) -> None:
    for seed in SEEDS:
        bag = build_bag(np.random.default_rng(seed), SCAN_W_MM, SCAN_H_MM, kind=kind)
        assert bag.kind == kind
        total = _total_path(_draw(bag.parts))
        assert total.max() > 0
        border = np.ones_like(total, bool)
        border[BORDER_PX:-BORDER_PX, BORDER_PX:-BORDER_PX] = False
        assert total[border].max() == 0, f"{kind} seed {seed} touches the scan border"
        # The interior is a sizeable rectangle and every corner of it is covered by the bag.
        _, _, w, h, _ = bag.interior
        assert min(w, h) > 150
        for cx, cy in _interior_corners(bag.interior):
            assert total[int(cy / PIXEL_MM), int(cx / PIXEL_MM)] > 0, f"{kind} seed {seed}: interior outside"


def test_random_bags_include_every_kind_trays_too() -> None:
    kinds = {build_bag(np.random.default_rng(seed), SCAN_W_MM, SCAN_H_MM).kind for seed in range(80)}
    assert kinds == set(BAG_KINDS)


def test_unknown_kind_and_tiny_scan_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown bag kind"):
        build_bag(np.random.default_rng(0), SCAN_W_MM, SCAN_H_MM, kind="crate")
    with pytest.raises(ValueError, match="does not fit"):
        build_bag(np.random.default_rng(0), 100.0, 100.0, kind="suitcase")
    with pytest.raises(ValueError, match="unknown bag kind"):
        clutter_count("crate", np.random.default_rng(0))
    with pytest.raises(ValueError, match="unknown clutter kind"):
        build_clutter_item("anvil", np.random.default_rng(0), (400.0, 320.0, 500.0, 300.0, 0.0))


@pytest.mark.parametrize("kind", BAG_KINDS)
def test_clutter_stays_inside_the_interior(kind: str) -> None:
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        bag = build_bag(rng, SCAN_W_MM, SCAN_H_MM, kind=kind)
        clutter = build_clutter(rng, bag.interior, 12)
        assert _overflow_mm(clutter, bag.interior) <= 3.0


def test_every_clutter_kind_builds_inside_the_interior_with_known_materials() -> None:
    for seed in range(5):
        rng = np.random.default_rng(seed)
        bag = build_bag(rng, SCAN_W_MM, SCAN_H_MM, kind=BAG_KINDS[seed % len(BAG_KINDS)])
        for kind in CLUTTER_KINDS:
            parts = build_clutter_item(kind, rng, bag.interior)
            assert parts, kind
            assert {p.material for p in parts} <= set(MATERIALS), kind
            assert _overflow_mm(parts, bag.interior) <= 3.0, kind


def test_same_seed_same_bag_and_clutter() -> None:
    def make(seed: int) -> tuple[Bag, tuple[Part, ...]]:
        rng = np.random.default_rng(seed)
        bag = build_bag(rng, SCAN_W_MM, SCAN_H_MM)
        return bag, build_clutter(rng, bag.interior, clutter_count(bag.kind, rng))

    for seed in range(5):
        (bag_a, clutter_a), (bag_b, clutter_b) = make(seed), make(seed)
        assert bag_a.kind == bag_b.kind and bag_a.interior == bag_b.interior
        assert _signature(bag_a.parts) == _signature(bag_b.parts)
        assert _signature(clutter_a) == _signature(clutter_b)
    assert _signature(make(0)[1]) != _signature(make(1)[1])


def test_a_packed_bag_is_mostly_organic() -> None:
    for seed in range(5):
        rng = np.random.default_rng(seed)
        bag = build_bag(rng, SCAN_W_MM, SCAN_H_MM, kind="suitcase")
        clutter = build_clutter(rng, bag.interior, 12)
        assert sum(p.material in ("cotton", "polyester", "nylon") for p in clutter) >= 2
        canvas = _draw(bag.parts + clutter)
        by_kind = {"organic": 0.0, "metal": 0.0}
        for name, path in canvas.paths.items():
            if MATERIALS[name].kind in by_kind:
                by_kind[MATERIALS[name].kind] += float(path.sum())
        assert by_kind["organic"] > 5 * by_kind["metal"] > 0


@pytest.mark.parametrize("kind", ["trolley", "backpack"])
def test_scanned_bag_absorbs_and_the_belt_around_it_does_not(kind: str) -> None:
    rng = np.random.default_rng(3)
    bag = build_bag(rng, SCAN_W_MM, SCAN_H_MM, kind=kind)
    canvas = _draw(bag.parts + build_clutter(rng, bag.interior, clutter_count(kind, rng)))
    high, low = default_scanner().transmission(canvas.paths)
    occupied = _total_path(canvas) > 0
    for transmission in (high, low):
        assert np.all(transmission[:BORDER_PX] == 1) and np.all(transmission[-BORDER_PX:] == 1)
        assert np.all(transmission[:, :BORDER_PX] == 1) and np.all(transmission[:, -BORDER_PX:] == 1)
        assert transmission[occupied].mean() < 0.75
    # Metal parts (zips, rivets, wheels' axles) absorb far more than the shell.
    assert high[occupied].min() < 0.2
