"""Electronics item builders: every class builds, has real-world size, and hides room inside."""

from __future__ import annotations

import numpy as np
import pytest

from screener_gui.core.physics import MATERIALS, Scanner
from screener_gui.synth.canvas import Canvas, Part, pose
from screener_gui.synth.item import Cavity, Item
from screener_gui.synth.items import CATEGORIES, build_item, random_category
from screener_gui.synth.shapes import Box

PIXEL_MM = 0.8
SEEDS = range(20)

# Long and short side of the outline (mm) that real items of each class have.
PLAUSIBLE = {
    "laptop": ((250, 420), (180, 300)),
    "tablet": ((190, 300), (125, 225)),
    "phone": ((110, 180), (60, 85)),
    "hard_drive": ((95, 150), (65, 105)),
    "power_bank": ((60, 180), (20, 100)),
    "camera": ((90, 160), (50, 115)),
}


@pytest.fixture(scope="module")
def items() -> dict[str, list[Item]]:
    return {cat: [build_item(cat, np.random.default_rng(seed)) for seed in SEEDS] for cat in CATEGORIES}


def _canvas_for(item: Item) -> tuple[Canvas, np.ndarray]:
    hw, hh = item.half_extent_mm()
    width, height = int(2 * hw / PIXEL_MM) + 16, int(2 * hh / PIXEL_MM) + 16
    return Canvas(height, width, PIXEL_MM), pose(width * PIXEL_MM / 2, height * PIXEL_MM / 2)


def _draw(item: Item) -> tuple[Canvas, np.ndarray]:
    canvas, at = _canvas_for(item)
    canvas.draw(item.outline.moved(at), instance=1)
    for p in item.parts:
        canvas.draw(p.moved(at))
    return canvas, at


def _rounded_box_distance(x: np.ndarray, y: np.ndarray, box: Box) -> np.ndarray:
    """Signed distance (mm, negative inside) to a rounded rectangle centred at the origin."""
    r = min(box.radius, box.width / 2, box.height / 2)
    qx, qy = np.abs(x) - (box.width / 2 - r), np.abs(y) - (box.height / 2 - r)
    outside = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0))
    return outside + np.minimum(np.maximum(qx, qy), 0) - r


def _cavity_corners(cavity: Cavity) -> np.ndarray:
    hw, hh = cavity.width_mm / 2, cavity.height_mm / 2
    corners = np.array([[-hw, hw, hw, -hw], [-hh, -hh, hh, hh], [1.0, 1.0, 1.0, 1.0]])
    return (pose(cavity.x_mm, cavity.y_mm, cavity.angle_deg) @ corners)[:2]


def test_every_category_builds_an_item_of_its_class_for_every_seed(items: dict[str, list[Item]]) -> None:
    for cat, built in items.items():
        for item in built:
            assert item.category == cat
            assert len(item.parts) >= 15, f"{cat} has too few parts to look like one"
            assert item.cavities, f"{cat} offers nowhere to hide anything"
            for p in (item.outline, *item.parts):
                assert p.material in MATERIALS
                assert p.transform.shape == (3, 3)


def test_outline_dimensions_are_those_of_real_items(items: dict[str, list[Item]]) -> None:
    for cat, built in items.items():
        (long_lo, long_hi), (short_lo, short_hi) = PLAUSIBLE[cat]
        for item in built:
            hw, hh = item.half_extent_mm()
            long, short = 2 * max(hw, hh), 2 * min(hw, hh)
            assert long_lo <= long <= long_hi, f"{cat} is {long:.0f} mm long"
            assert short_lo <= short <= short_hi, f"{cat} is {short:.0f} mm wide"


def test_laptops_come_in_several_sizes_and_chassis_materials(items: dict[str, list[Item]]) -> None:
    widths = [2 * item.half_extent_mm()[0] for item in items["laptop"]]
    assert max(widths) - min(widths) > 60
    assert len({item.outline.material for item in items["laptop"]}) >= 3


def test_cavities_lie_inside_the_outline_with_a_2mm_margin(items: dict[str, list[Item]]) -> None:
    for cat, built in items.items():
        for item in built:
            outline = item.outline
            assert isinstance(outline.shape, Box)
            for cavity in item.cavities:
                assert cavity.width_mm > 0 and cavity.height_mm > 0
                assert 0 < cavity.depth_mm <= 40
                corners = np.vstack([_cavity_corners(cavity), np.ones(4)])
                x, y, _ = np.linalg.inv(outline.transform) @ corners
                assert _rounded_box_distance(x, y, outline.shape).max() <= -2.0, f"{cat}: {cavity}"


def test_cavity_depths_are_realistic_per_class(items: dict[str, list[Item]]) -> None:
    deepest = {cat: max(k.depth_mm for item in built for k in item.cavities) for cat, built in items.items()}
    assert deepest["phone"] <= 8
    assert deepest["tablet"] <= 8
    assert 10 <= deepest["laptop"] <= 20


def test_no_part_leaks_outside_the_instance_mask(items: dict[str, list[Item]]) -> None:
    for cat, built in items.items():
        for item in built[:8]:
            canvas, at = _canvas_for(item)
            canvas.draw(item.outline.moved(at), instance=1)
            mask = canvas.instances > 0
            parts_only, _ = _canvas_for(item)
            for p in item.parts:
                parts_only.draw(p.moved(at), instance=1)
            leaked = (parts_only.instances > 0) & ~mask
            assert not leaked.any(), f"{cat}: {leaked.sum()} part pixels outside the outline"


def test_same_seed_gives_the_same_item_and_image() -> None:
    for cat in CATEGORIES:
        a = build_item(cat, np.random.default_rng(7))
        b = build_item(cat, np.random.default_rng(7))
        assert repr(a) == repr(b)
        paths_a, paths_b = _draw(a)[0].paths, _draw(b)[0].paths
        assert paths_a.keys() == paths_b.keys()
        for name in paths_a:
            np.testing.assert_array_equal(paths_a[name], paths_b[name])


def test_different_seeds_give_different_layouts() -> None:
    for cat in CATEGORIES:
        reprs = {repr(build_item(cat, np.random.default_rng(seed))) for seed in range(5)}
        assert len(reprs) == 5


def test_laptops_hold_their_characteristic_parts(items: dict[str, list[Item]]) -> None:
    for item in items["laptop"]:
        materials = {p.material for p in item.parts}
        assert {"li_ion_cell", "fr4", "copper", "steel", "lcd", "silicon"} <= materials
    with_fans = sum("polyester" in {p.material for p in item.parts} for item in items["laptop"])
    assert with_fans >= 15  # plastic impellers: all but a few fanless models


def test_battery_attenuates_more_than_an_empty_cavity() -> None:
    item = build_item("laptop", np.random.default_rng(3))
    canvas, at = _draw(item)
    high, _ = Scanner().transmission(canvas.paths)
    battery = canvas.paths["li_ion_cell"] > 0.5 * canvas.paths["li_ion_cell"].max()
    cavity_mask = np.zeros_like(battery)
    for cavity in item.cavities:
        probe, _ = _canvas_for(item)
        footprint = Box(cavity.width_mm, cavity.height_mm, 1.0)
        probe.draw(Part(footprint, "polyethylene", at @ _cavity_pose(cavity)), instance=1)
        cavity_mask |= probe.instances > 0
    empty = cavity_mask & (canvas.paths["li_ion_cell"] == 0) & (canvas.paths["copper"] == 0)
    assert battery.sum() > 1000 and empty.sum() > 1000
    assert np.median(high[battery]) < 0.8 * np.median(high[empty])


def _cavity_pose(cavity: Cavity) -> np.ndarray:
    return pose(cavity.x_mm, cavity.y_mm, cavity.angle_deg)


def test_random_category_favours_laptops() -> None:
    rng = np.random.default_rng(0)
    draws = [random_category(rng) for _ in range(3000)]
    share = {cat: draws.count(cat) / len(draws) for cat in CATEGORIES}
    assert 0.36 <= share["laptop"] <= 0.44
    assert all(share[cat] > 0.04 for cat in CATEGORIES)
    assert max(share, key=share.get) == "laptop"


def test_unknown_category_is_refused_with_the_known_ones_named() -> None:
    with pytest.raises(ValueError, match="laptop"):
        build_item("toaster", np.random.default_rng(0))
